//! The bad-input corpus: every kind of broken file gets a clear error or clear rejections, the
//! counts add up, and nothing panics.

use std::io::Write;

use engine::{IngestError, IngestOptions, Ingested, RejectReason, read_slice};

fn read(bytes: &[u8]) -> Result<Ingested, IngestError> {
    read_slice(bytes, &IngestOptions::default())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/formats/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn assert_counts_add_up(ingested: &Ingested) {
    assert_eq!(
        ingested.rows_read,
        ingested.events.len() as u64 + ingested.rejected + ingested.skipped_total()
    );
}

const CSV: &str = "timestamp,user_id,ip_address,user_agent,success\n\
                   2026-03-02T08:15:03Z,ann,84.208.20.17,Mozilla/5.0,true\n\
                   2026-03-02T08:16:03Z,bob,84.208.20.18,Mozilla/5.0,false\n";

#[test]
fn empty_and_blank_files() {
    assert_eq!(read(b"").unwrap_err(), IngestError::Empty);
    assert_eq!(read(b"\n \r\n\t").unwrap_err(), IngestError::Empty);
}

#[test]
fn header_only() {
    assert_eq!(
        read(b"timestamp,user_id,ip_address,user_agent\n").unwrap_err(),
        IngestError::NoDataRows
    );
    assert_eq!(read(b"[]").unwrap_err(), IngestError::UnknownJson);
}

#[test]
fn binary_files() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
    assert!(matches!(read(png), Err(IngestError::NotText { offset: 8 })));
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 64));
    assert!(matches!(read(&elf), Err(IngestError::NotText { .. })));
    let message = read(png).unwrap_err().to_string();
    assert_eq!(
        message,
        "this is not a text log file (binary data at byte 8)"
    );
}

#[test]
fn missing_columns_name_what_is_missing_and_what_was_found() {
    let error = read(b"when,who\n2026-03-02T08:15:03Z,ann\n").unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("missing required columns: timestamp, user_id, ip_address"),
        "{message}"
    );
    assert!(message.contains("found: when, who"), "{message}");
}

#[test]
fn wrong_delimiter() {
    // Semicolons and tabs are found by themselves.
    let semicolons = CSV.replace(',', ";");
    assert_eq!(read(semicolons.as_bytes()).unwrap().events.len(), 2);
    // Spaces are not a CSV delimiter: one column, and the message says so.
    let spaces = CSV.replace(',', " ");
    let error = read(spaces.as_bytes()).unwrap_err();
    assert!(matches!(error, IngestError::OneColumn { .. }), "{error:?}");
    assert!(
        error.to_string().contains("the delimiter is not one of"),
        "{error}"
    );
}

#[test]
fn a_quote_that_never_closes() {
    let input = format!(
        "{CSV}2026-03-02T08:17:03Z,\"carol,84.208.20.19,Mozilla/5.0,true\n{}",
        &CSV[47..]
    );
    let ingested = read(input.as_bytes()).unwrap();
    assert_counts_add_up(&ingested);
    // Only carol's line is lost: the rows after it are read as they are.
    assert_eq!(ingested.events.len(), 4);
    assert_eq!(ingested.rejections.len(), 1);
    assert_eq!(ingested.rejections[0].line, Some(4));
    // The header, two rows, carol, a blank line and two rows.
    assert_eq!(ingested.physical_lines, 7);
    assert!(matches!(
        ingested.rejections[0].reason,
        RejectReason::UnclosedQuote {
            first_line: 4,
            last_line: 7,
            ..
        }
    ));
}

#[test]
fn invalid_utf8_rows_are_rejected_one_by_one() {
    let mut input = CSV.as_bytes().to_vec();
    input.extend_from_slice(b"2026-03-02T08:17:03Z,b\xe6r,84.208.20.19,Mozilla/5.0,true\n");
    input.extend_from_slice(b"2026-03-02T08:18:03Z,dan,84.208.20.20,Mozilla/5.0,true\n");
    let ingested = read(&input).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!(ingested.events.len(), 3);
    assert_eq!(ingested.rejections[0].reason, RejectReason::NotUtf8);
    assert_eq!(ingested.rejections[0].line, Some(4));
    let header = read(b"time\xff,user\n1,2\n").unwrap_err();
    assert_eq!(header, IngestError::HeaderNotUtf8);
}

#[test]
fn a_ten_megabyte_line() {
    let long = "x".repeat(10 * 1024 * 1024);
    // As a data row: one rejection, the rows around it survive.
    let input = format!("{CSV}{long}\n{}", &CSV[47..]);
    let ingested = read(input.as_bytes()).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!((ingested.events.len(), ingested.rejections.len()), (4, 1));
    assert_eq!(ingested.rejections[0].line, Some(4));
    // As the whole file: an error whose message stays short.
    let error = read(long.as_bytes()).unwrap_err();
    assert!(
        error.to_string().len() < 1000,
        "{} bytes",
        error.to_string().len()
    );
    // As one JSON line.
    let json = format!(
        "{{\"eventType\":\"user.session.start\",\"actor\":{{}},\"published\":\"{long}\"}}\n"
    );
    let ingested = read(json.as_bytes()).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!(ingested.rejections.len(), 1);
}

#[test]
fn truncated_files_keep_what_was_read() {
    // A JSON array cut in the middle of a record.
    let okta = fixture("okta-systemlog.json");
    let cut = &okta[..okta.len() * 2 / 3];
    let ingested = read(cut).unwrap();
    assert_counts_add_up(&ingested);
    assert!(!ingested.events.is_empty());
    let last = ingested.rejections.last().unwrap();
    assert!(
        last.reason.to_string().contains("truncated"),
        "{}",
        last.reason
    );
    assert!(last.line.is_some());
    // A gzip stream cut short.
    let gzip = fixture("cloudtrail-consolelogin.json.gz");
    let ingested = read(&gzip[..gzip.len() - 40]).unwrap();
    assert_counts_add_up(&ingested);
    let last = ingested.rejections.last().unwrap();
    assert!(
        matches!(last.reason, RejectReason::Unreadable(_)),
        "{:?}",
        last.reason
    );
    // A CSV cut in the middle of a row: that row is rejected.
    let ingested = read(&CSV.as_bytes()[..CSV.len() - 20]).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!((ingested.events.len(), ingested.rejections.len()), (1, 1));
}

#[test]
fn a_damaged_gzip_header_is_an_error() {
    let error = read(&[0x1f, 0x8b, 0x08, 0x00, 0xff]).unwrap_err();
    assert!(matches!(error, IngestError::Gzip(_)), "{error:?}");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(b"").unwrap();
    assert_eq!(
        read(&encoder.finish().unwrap()).unwrap_err(),
        IngestError::Empty
    );
}

#[test]
fn unknown_json_is_named() {
    let error = read(br#"{"hello": "world"}"#).unwrap_err();
    assert!(error.to_string().contains("--format"), "{error}");
}

#[test]
fn timestamps_outside_1990_to_2100_are_rejected_in_every_shape() {
    let csv = "timestamp,user_id,ip_address\n\
               253402300799,ann,84.208.20.17\n\
               99999999999,bob,84.208.20.18\n\
               2126-01-01 00:00:00,cid,84.208.20.19\n\
               1772439303,dan,84.208.20.20\n\
               1772439303000000,eve,84.208.20.21\n";
    let ingested = read(csv.as_bytes()).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!((ingested.events.len(), ingested.rejected), (2, 3));
    let reasons: Vec<String> = ingested
        .rejections
        .iter()
        .map(|rejection| rejection.reason.to_string())
        .collect();
    for reason in &reasons {
        assert!(
            reason.ends_with("is outside the accepted range 1990-01-01 to 2100-01-01 UTC"),
            "{reason}"
        );
    }
    assert!(
        reasons[0].contains("epoch milliseconds: 1978-"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("epoch seconds: 5138-"),
        "{}",
        reasons[1]
    );
    assert_eq!(
        ingested.events[0].timestamp_ms,
        ingested.events[1].timestamp_ms
    );

    let json = br#"[{"class_uid": 3002, "activity_id": 1, "time": 99999999999, "status_id": 1, "user": {"name": "ann"}, "src_endpoint": {"ip": "84.208.20.17"}},
                   {"class_uid": 3002, "activity_id": 1, "time": 1772439303000, "status_id": 1, "user": {"name": "bob"}, "src_endpoint": {"ip": "84.208.20.18"}}]"#;
    let ingested = read(json).unwrap();
    assert_counts_add_up(&ingested);
    assert_eq!((ingested.events.len(), ingested.rejected), (1, 1));
    assert_eq!(ingested.rejections[0].location(), "record 1");
}
