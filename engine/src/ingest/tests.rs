use std::net::IpAddr;

use super::*;

fn read_text(text: &str) -> Result<Ingested, IngestError> {
    read_slice(text.as_bytes(), &IngestOptions::default())
}

const HEADER: &str = "timestamp,user_id,ip_address,user_agent,success\n";

#[test]
fn reads_valid_rows_with_positions() {
    let input = format!(
        "{HEADER}2026-03-02T08:15:03Z,alice,84.208.1.2,Mozilla/5.0,true\n\
         2026-03-02 08:16:00,bob,2a02:2121::1,curl/8.0,0\n"
    );
    let ingested = read_text(&input).unwrap();
    assert_eq!(ingested.rows_read, 2);
    assert!(ingested.rejections.is_empty());
    let [alice, bob] = &ingested.events[..] else {
        panic!("two events expected")
    };
    assert_eq!((alice.row, alice.line), (1, 2));
    assert_eq!(alice.user_id, "alice");
    assert_eq!(alice.ip, "84.208.1.2".parse::<IpAddr>().unwrap());
    assert_eq!(alice.success, Some(true));
    assert_eq!((bob.row, bob.line), (2, 3));
    assert!(bob.ip.is_ipv6());
    assert_eq!(bob.success, Some(false));
    assert_eq!(bob.timestamp_ms - alice.timestamp_ms, 57_000);
}

#[test]
fn every_bad_row_is_rejected_with_line_and_reason() {
    let input = format!(
        "{HEADER}2026-03-02T08:15:03Z,alice,84.208.1.2,UA,true\n\
         soon,alice,84.208.1.2,UA,true\n\
         2026-03-02T08:15:03Z,,84.208.1.2,UA,true\n\
         2026-03-02T08:15:03Z,alice,999.1.1.1,UA,true\n\
         2026-03-02T08:15:03Z,alice,84.208.1.2,UA,maybe\n\
         2026-03-02T08:15:03Z,alice,84.208.1.2\n\
         \"2026-03-02T08:15:03Z\",\"multi\nline\",84.208.1.2,UA,true\n\
         2026-03-02T08:15:03Z,carol,84.208.1.3,UA,\n"
    );
    let ingested = read_text(&input).unwrap();
    assert_eq!(ingested.rows_read, 8);
    assert_eq!(ingested.events.len() + ingested.rejections.len(), 8);
    let lines: Vec<(u64, String)> = ingested
        .rejections
        .iter()
        .map(|r| (r.line.unwrap(), r.reason.to_string()))
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0].0, 3);
    assert!(lines[0].1.contains("bad timestamp"), "{}", lines[0].1);
    assert_eq!(lines[1], (4, "empty user_id".to_owned()));
    assert_eq!(lines[2].0, 5);
    assert!(lines[2].1.contains("999.1.1.1"));
    assert_eq!(lines[3].0, 6);
    assert!(lines[3].1.contains("maybe"));
    assert_eq!(lines[4], (7, "expected 5 fields, found 3".to_owned()));
    // The quoted multi-line user name is accepted and keeps its starting line; the next row's
    // line number accounts for the embedded newline.
    let multi = &ingested.events[1];
    assert_eq!((multi.row, multi.line), (7, 8));
    let carol = &ingested.events[2];
    assert_eq!((carol.row, carol.line, carol.success), (8, 10, None));
}

#[test]
fn aliases_case_and_extra_columns() {
    let input = "Login Timestamp,User ID,Country,IP Address,User Agent String,Login Successful\n\
                 1772439303,U1,NO,84.208.1.2,Mozilla,False\n";
    let ingested = read_text(input).unwrap();
    assert!(ingested.extra_columns.is_empty());
    let event = &ingested.events[0];
    assert_eq!(event.user_id, "U1");
    assert_eq!(
        event
            .reported_location
            .as_ref()
            .unwrap()
            .country_code
            .as_deref(),
        Some("NO")
    );
    assert_eq!(event.success, Some(false));
    assert_eq!(event.timestamp_ms, 1_772_439_303_000);
}

#[test]
fn whole_file_errors_are_clear() {
    assert_eq!(read_text("").unwrap_err(), IngestError::Empty);
    assert_eq!(read_text(" \n\n").unwrap_err(), IngestError::Empty);
    assert_eq!(read_text(HEADER).unwrap_err(), IngestError::NoDataRows);
    assert!(matches!(
        read_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &IngestOptions::default()),
        Err(IngestError::NotText { offset: 8 })
    ));
    assert_eq!(
        read_slice(b"time\xff,user\n1,2\n", &IngestOptions::default()).unwrap_err(),
        IngestError::HeaderNotUtf8
    );
    let missing = read_text("timestamp,user,agent\n2026-03-02T08:15:03Z,a,b\n").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "missing required column: ip_address; found: timestamp, user, agent; expected \
         timestamp, user_id and ip_address (and optionally user_agent, success, …), or map them \
         with --map field=column"
    );
}

#[test]
fn bom_bracketed_ipv6_and_invalid_utf8_rows() {
    let mut input = b"\xEF\xBB\xBFtimestamp,user_id,ip_address,user_agent\n".to_vec();
    input.extend_from_slice(b"2026-03-02T08:15:03Z,ann,[2001:db8::7],UA\n");
    input.extend_from_slice(b"2026-03-02T08:15:03Z,b\xffb,10.1.1.1,UA\n");
    let ingested = read_slice(&input, &IngestOptions::default()).unwrap();
    assert_eq!(ingested.events.len(), 1);
    assert_eq!(
        ingested.events[0].ip,
        "2001:db8::7".parse::<IpAddr>().unwrap()
    );
    assert_eq!(ingested.rejections[0].reason, RejectReason::NotUtf8);
    assert_eq!(ingested.rejections[0].line, Some(3));
}

#[test]
fn an_unclosed_quote_loses_no_count() {
    let input = format!(
        "{HEADER}2026-03-02T08:15:03Z,ann,10.0.0.1,UA,true\n2026-03-02T08:15:03Z,\"bob,10.0.0.1,UA,true\n2026-03-02T08:15:04Z,cid,10.0.0.2,UA,true\n"
    );
    let ingested = read_text(&input).unwrap();
    assert_eq!(
        ingested.rows_read,
        ingested.events.len() as u64 + ingested.rejections.len() as u64
    );
    assert_eq!(ingested.events.len(), 1);
    assert_eq!(ingested.rejections[0].line, Some(3));
    assert!(matches!(
        ingested.rejections[0].reason,
        RejectReason::UnclosedQuote { .. }
    ));
}

#[test]
fn line_numbers_are_right_with_crlf_line_ends() {
    let input = "timestamp,user_id,ip_address\r\n2026-03-02T08:15:03Z,ann,10.0.0.1\r\n\
                 2026-03-02T08:15:04Z,bob,x\r\n2026-03-02T08:15:05Z,\"c\r\nd\",10.0.0.2\r\n\
                 2026-03-02T08:15:06Z,eve,y\r\n";
    let ingested = read_text(input).unwrap();
    let lines: Vec<Option<u64>> = ingested.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![Some(3), Some(6)]);
    assert_eq!(ingested.events[0].line, 2);
    assert_eq!(ingested.events[1].line, 4);
}

#[test]
fn rejections_beyond_the_kept_ones_are_counted_and_observed() {
    struct Seen(u64);
    impl ReadObserver for Seen {
        fn rejected(&mut self, _rejection: &Rejection) {
            self.0 += 1;
        }
    }
    let extra = 7;
    let mut input = String::from(HEADER);
    for _ in 0..MAX_KEPT_REJECTIONS + extra {
        input.push_str("2026-03-02T08:15:03Z,ann,not-an-ip,UA,true\n");
    }
    input.push_str("2026-03-02T08:15:03Z,ann,10.0.0.1,UA,true\n");
    let mut seen = Seen(0);
    let ingested = read(input.as_bytes(), &IngestOptions::default(), &mut seen).unwrap();
    assert_eq!(ingested.rejections.len(), MAX_KEPT_REJECTIONS);
    assert_eq!(ingested.rejected, (MAX_KEPT_REJECTIONS + extra) as u64);
    assert_eq!(seen.0, ingested.rejected);
    assert_eq!(ingested.rows_read, ingested.rejected + 1);
}
