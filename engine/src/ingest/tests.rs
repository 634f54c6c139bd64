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
fn logins_with_the_same_user_agent_share_one_copy_of_it() {
    let ingested = read_text(
        "timestamp,user_id,ip_address,user_agent\n\
         2026-03-02T08:00:00Z,ana,192.0.2.1,Mozilla/5.0 (X11)\n\
         2026-03-02T08:01:00Z,bob,192.0.2.2,curl/8.5\n\
         2026-03-02T08:02:00Z,cid,192.0.2.3,Mozilla/5.0 (X11)\n",
    )
    .unwrap();
    let agents: Vec<&std::sync::Arc<str>> = ingested
        .events
        .iter()
        .map(|event| &event.user_agent)
        .collect();
    assert_eq!(&**agents[2], "Mozilla/5.0 (X11)");
    assert!(std::sync::Arc::ptr_eq(agents[0], agents[2]));
    assert!(!std::sync::Arc::ptr_eq(agents[0], agents[1]));
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

/// `rows` sign-ins, one per line, after the header.
fn rows(rows: usize) -> Vec<String> {
    (0..rows)
        .map(|row| {
            format!("2026-03-02T08:{row:02}:00Z,user{row},10.0.0.{row},Mozilla/5.0 (X11),true")
        })
        .collect()
}

fn csv_of(rows: &[String]) -> String {
    format!("{HEADER}{}\n", rows.join("\n"))
}

fn unclosed(rejection: &Rejection) -> (u64, u64, QuoteProblem) {
    match rejection.reason {
        RejectReason::UnclosedQuote {
            first_line,
            last_line,
            cause,
        } => (first_line, last_line, cause),
        ref other => panic!("not an unclosed quote: {other:?}"),
    }
}

fn assert_every_line_counted(ingested: &Ingested, physical_lines: u64) {
    assert_eq!(ingested.physical_lines, physical_lines);
    assert_eq!(
        ingested.rows_read,
        ingested.events.len() as u64 + ingested.rejected + ingested.skipped_total()
    );
}

#[test]
fn one_stray_quote_among_many_rows_rejects_its_line_only() {
    let mut lines = rows(20);
    lines[3] = lines[3].replace(",user3,", ",\"user3,");
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 21);
    assert_eq!((ingested.events.len(), ingested.rejected), (19, 1));
    let rejection = &ingested.rejections[0];
    assert_eq!((rejection.row, rejection.line), (4, Some(5)));
    assert_eq!(unclosed(rejection), (5, 12, QuoteProblem::TooLong));
    assert_eq!(
        rejection.reason.to_string(),
        "a quote opened on this line is not closed within 8 lines or 64 KB (lines 5–12); the \
         lines after it are read as records of their own"
    );
    let after: Vec<(u64, u64)> = ingested.events[3..5]
        .iter()
        .map(|event| (event.row, event.line))
        .collect();
    assert_eq!(after, [(5, 6), (6, 7)]);
}

#[test]
fn an_unclosed_quote_on_line_four_of_ten_loses_only_that_line() {
    let mut lines = rows(9);
    lines[2] = lines[2].replace(",user2,", ",\"user2,");
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 10);
    assert_eq!((ingested.rows_read, ingested.events.len()), (9, 8));
    assert_eq!(ingested.rejections[0].line, Some(4));
    assert_eq!(
        unclosed(&ingested.rejections[0]),
        (4, 10, QuoteProblem::EndOfInput)
    );
}

#[test]
fn two_stray_quotes_on_different_lines_fold_nothing_into_a_user_agent() {
    // The quote opened on line 4 closes on line 6; joined, lines 4–6 have the right number of
    // fields, but line 5 is a whole record by itself.
    let mut lines = rows(8);
    lines[2] = lines[2].replace("Mozilla/5.0 (X11)", "\"Mozilla/5.0 (X11)");
    lines[4] = lines[4].replace("Mozilla/5.0 (X11)", "Mozilla/5.0 (X11)\"");
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 9);
    assert_eq!((ingested.events.len(), ingested.rejected), (7, 1));
    assert_eq!(
        unclosed(&ingested.rejections[0]),
        (4, 6, QuoteProblem::NotOneRecord)
    );
    let user4 = ingested
        .events
        .iter()
        .find(|e| e.user_id == "user4")
        .unwrap();
    assert_eq!((user4.line, &*user4.user_agent), (6, "Mozilla/5.0 (X11)\""));
    assert!(
        ingested
            .events
            .iter()
            .all(|event| !event.user_agent.contains('\n'))
    );
    assert!(ingested.events.iter().any(|event| event.user_id == "user3"));

    // Closing quotes that give the joined lines the wrong number of fields.
    let mut lines = rows(8);
    lines[1] = lines[1].replace(",user1,", ",\"user1,");
    lines[3] = lines[3].replace(",user3,", ",user3\",");
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 9);
    assert_eq!((ingested.events.len(), ingested.rejected), (7, 1));
    assert_eq!(
        unclosed(&ingested.rejections[0]),
        (3, 5, QuoteProblem::NotOneRecord)
    );
}

#[test]
fn an_unclosed_quote_at_the_end() {
    let mut lines = rows(5);
    lines[4] = lines[4].replace(",user4,", ",\"user4,");
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 6);
    assert_eq!((ingested.events.len(), ingested.rejected), (4, 1));
    assert_eq!(
        unclosed(&ingested.rejections[0]),
        (6, 6, QuoteProblem::EndOfInput)
    );
}

#[test]
fn a_user_agent_spanning_lines_within_the_limit_is_one_record() {
    let mut lines = rows(4);
    lines[1] = "2026-03-02T08:01:00Z,user1,10.0.0.1,\"Mozilla/5.0\n(X11; Linux x86_64)\n\
                Gecko, \"\"quoted\"\"\",true"
        .to_owned();
    let ingested = read_text(&csv_of(&lines)).unwrap();
    assert_every_line_counted(&ingested, 7);
    assert_eq!((ingested.events.len(), ingested.rejected), (4, 0));
    let user1 = &ingested.events[1];
    assert_eq!(
        &*user1.user_agent,
        "Mozilla/5.0\n(X11; Linux x86_64)\nGecko, \"quoted\""
    );
    assert_eq!((user1.row, user1.line), (2, 3));
    assert_eq!(ingested.events[2].line, 6);

    // Eight lines is the most one record may span; a ninth rejects it.
    let spanning = |lines: usize| {
        let agent = vec!["part"; lines].join("\n");
        csv_of(&[format!(
            "2026-03-02T08:01:00Z,ann,10.0.0.1,\"{agent}\",true"
        )])
    };
    assert_eq!(read_text(&spanning(8)).unwrap().events.len(), 1);
    let too_long = read_text(&spanning(9)).unwrap();
    assert_eq!(
        unclosed(&too_long.rejections[0]),
        (2, 9, QuoteProblem::TooLong)
    );
    assert_every_line_counted(&too_long, 10);
    assert_eq!(too_long.rows_read, 9);
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

/// `rows` copies of one CSV row after the header, gzipped: a few KB that unpack to far more.
fn gzip_bomb(rows: usize) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(HEADER.as_bytes()).unwrap();
    for row in 0..rows {
        writeln!(
            encoder,
            "2026-03-02T08:15:03Z,user{row},84.208.1.2,Mozilla/5.0,true"
        )
        .unwrap();
    }
    encoder.finish().unwrap()
}

fn limited(max_expanded_bytes: u64, max_rows: u64) -> IngestOptions {
    IngestOptions {
        limits: ReadLimits {
            max_expanded_bytes,
            max_rows,
        },
        ..IngestOptions::default()
    }
}

/// Reads `input` with `options`, counting the compressed bytes taken from it.
fn read_counting(input: &[u8], options: &IngestOptions) -> (Result<Ingested, IngestError>, u64) {
    let mut taken = 0;
    let result = read(input, options, &mut |progress: ReadProgress| {
        taken = progress.bytes_read;
    });
    (result, taken)
}

#[test]
fn a_gzip_that_unpacks_past_the_byte_limit_stops_there() {
    let bomb = gzip_bomb(200_000);
    let limit = 1024 * 1024;
    let (result, taken) = read_counting(&bomb, &limited(limit, u64::MAX));
    assert_eq!(
        result.unwrap_err(),
        IngestError::TooLarge(LimitExceeded::ExpandedBytes { limit_bytes: limit })
    );
    // Reading stopped near the limit: far from all of the compressed input was taken.
    assert!(taken < bomb.len() as u64 / 2, "{taken} of {}", bomb.len());
    // Within the limit, the same input is read whole.
    let whole = read_slice(&bomb, &limited(64 * 1024 * 1024, u64::MAX)).unwrap();
    assert_eq!(whole.rows_read, 200_000);
}

#[test]
fn more_records_than_the_row_limit_stop_the_reading() {
    let bomb = gzip_bomb(200_000);
    let error = read_slice(&bomb, &limited(u64::MAX, 1000)).unwrap_err();
    assert_eq!(
        error,
        IngestError::TooLarge(LimitExceeded::Rows { limit: 1000 })
    );
    assert!(error.to_string().contains("more than 1000 records"));
    let exact = read_slice(&gzip_bomb(1000), &limited(u64::MAX, 1000)).unwrap();
    assert_eq!(exact.rows_read, 1000);
    // Plain text counts as it is.
    let plain = format!(
        "{HEADER}{}",
        "2026-03-02T08:15:03Z,bob,84.208.1.2,x,true\n".repeat(50)
    );
    assert_eq!(
        read_slice(plain.as_bytes(), &limited(100, u64::MAX)).unwrap_err(),
        IngestError::TooLarge(LimitExceeded::ExpandedBytes { limit_bytes: 100 })
    );
}

#[test]
fn the_row_limit_holds_for_json_lines_and_auth_logs() {
    let record = r#"{"eventType":"user.session.start","published":"2026-03-02T08:15:03Z","actor":{"alternateId":"a"},"client":{"ipAddress":"1.2.3.4"}}"#;
    let json_lines = format!("{record}\n").repeat(50);
    let json_array = format!("[{}{record}]", format!("{record},").repeat(49));
    let syslog =
        "Mar  2 08:15:03 host sshd[1]: Accepted password for a from 1.2.3.4 port 22 ssh2\n"
            .repeat(50);
    for (input, format) in [
        (json_lines, Format::Okta),
        (json_array, Format::Okta),
        (syslog, Format::AuthLog),
    ] {
        let options = IngestOptions {
            format: Some(format),
            syslog_year: Some(2026),
            ..limited(u64::MAX, 10)
        };
        assert_eq!(
            read_slice(input.as_bytes(), &options).unwrap_err(),
            IngestError::TooLarge(LimitExceeded::Rows { limit: 10 }),
            "{format:?}"
        );
    }
}

#[test]
fn a_line_longer_than_the_line_limit_is_rejected_and_reading_goes_on() {
    let endless = "a".repeat(MAX_LINE_BYTES + 10);
    let csv = format!(
        "{HEADER}2026-03-02T08:15:03Z,alice,84.208.1.2,x,true\n\
         2026-03-02T08:16:03Z,bob,84.208.1.2,{endless},true\n\
         2026-03-02T08:17:03Z,carol,84.208.1.2,x,true\n"
    );
    let ingested = read_text(&csv).unwrap();
    assert_eq!((ingested.rows_read, ingested.events.len()), (3, 2));
    assert_eq!(ingested.physical_lines, 4);
    assert_eq!(ingested.rejections[0].line, Some(3));
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::LineTooLong {
            limit_bytes: MAX_LINE_BYTES
        }
    );
    assert_eq!(ingested.events[1].line, 4);

    let record = |user: &str, agent: &str| {
        format!(
            r#"{{"eventType":"user.session.start","published":"2026-03-02T08:15:03Z","actor":{{"alternateId":"{user}"}},"client":{{"ipAddress":"1.2.3.4","userAgent":{{"rawUserAgent":"{agent}"}}}},"outcome":{{"result":"SUCCESS"}}}}"#
        )
    };
    let lines = format!(
        "{}\n{}\n{}\n",
        record("a", "x"),
        record("b", &endless),
        record("c", "x")
    );
    let ingested = read_text(&lines).unwrap();
    assert_eq!(ingested.rows_read, 3);
    assert_eq!(ingested.rejections[0].line, Some(2));
    assert!(matches!(
        ingested.rejections[0].reason,
        RejectReason::LineTooLong { .. }
    ));
}

#[test]
fn syslog_messages_from_the_network_become_the_lines_the_auth_log_reader_takes() {
    use super::network_line;
    // RFC 5424 as util-linux `logger --rfc5424` sends it, structured data and BOM included.
    let rfc5424 = "<38>1 2026-03-02T09:00:00.123456+00:00 web1 sshd 812 - \
                   [timeQuality tzKnown=\"1\" isSynced=\"0\"][x@1 a=\"b\\\"]c\"] \u{feff}Accepted \
                   password for ana from 198.51.100.7 port 40022 ssh2";
    assert_eq!(
        network_line(rfc5424).as_deref(),
        Some(
            "2026-03-02T09:00:00.123456+00:00 web1 sshd[812]: Accepted password for ana from \
             198.51.100.7 port 40022 ssh2"
        )
    );
    assert_eq!(
        network_line("<38>1 2026-03-02T09:00:00Z web1 sshd - - - Failed password for bo from 203.0.113.5 port 1 ssh2\n")
            .as_deref(),
        Some("2026-03-02T09:00:00Z web1 sshd: Failed password for bo from 203.0.113.5 port 1 ssh2")
    );
    // RFC 3164: a classic line after the priority.
    assert_eq!(
        network_line("<86>Mar  2 09:00:00 web1 sshd[812]: Accepted publickey for ana from 198.51.100.7 port 2 ssh2")
            .as_deref(),
        Some("Mar  2 09:00:00 web1 sshd[812]: Accepted publickey for ana from 198.51.100.7 port 2 ssh2")
    );
    // rsyslog's traditional forwarding format leaves out the colon after `sshd[812]`.
    let colonless =
        "<13>Mar  2 09:00:00 web1 sshd[812] Failed password for bo from 203.0.113.5 port 1 ssh2";
    let line = network_line(colonless).unwrap();
    let prefix = super::syslog::split_prefix(&line).unwrap();
    assert_eq!(
        (prefix.program, prefix.pid, prefix.message),
        (
            "sshd",
            Some(812),
            "Failed password for bo from 203.0.113.5 port 1 ssh2"
        )
    );
    assert!(
        super::syslog::split_prefix("Mar  2 09:00:00 web1 sshd no tag ends here").is_none(),
        "a word that is neither `prog:` nor `prog[pid]` is no tag"
    );
    for not_syslog in [
        "",
        "Mar  2 09:00:00 web1 sshd[812]: no priority",
        "<9999>1 2026-03-02T09:00:00Z h a - - - m",
        "<38>1 2026-03-02T09:00:00Z h a - - [unclosed x=\"1\"",
        "<38>1 - h a - - - no time",
        "<38>garbage",
    ] {
        assert_eq!(network_line(not_syslog), None, "{not_syslog:?}");
    }
    // What it makes is read as a sign-in.
    let line = network_line(rfc5424).unwrap();
    let ingested = read_slice(
        line.as_bytes(),
        &IngestOptions {
            format: Some(Format::AuthLog),
            ..IngestOptions::default()
        },
    )
    .unwrap();
    assert_eq!(ingested.events.len(), 1, "{:?}", ingested.rejections);
    assert_eq!(ingested.events[0].user_id, "ana");
}
