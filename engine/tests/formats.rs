//! Every supported log format, read from its fixture in `fixtures/formats/`: format detection,
//! exact counts, and a few parsed fields.

use std::net::IpAddr;

use engine::ingest::{Field, Format, TextEncoding, parse_mapping};
use engine::{
    IdentityKind, IngestError, IngestOptions, Ingested, LoginEvent, RejectReason, read_slice,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/formats/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn read_with(name: &str, options: &IngestOptions) -> Ingested {
    read_slice(&fixture(name), options).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn read(name: &str) -> Ingested {
    read_with(name, &IngestOptions::default())
}

/// (read, accepted, rejected, skipped, successes, failures)
fn counts(ingested: &Ingested) -> (u64, usize, usize, u64, usize, usize) {
    let outcome = |wanted| {
        ingested
            .events
            .iter()
            .filter(|event| event.success == Some(wanted))
            .count()
    };
    assert_eq!(
        ingested.rows_read,
        ingested.events.len() as u64 + ingested.rejected + ingested.skipped_total(),
        "counts must add up"
    );
    (
        ingested.rows_read,
        ingested.events.len(),
        ingested.rejections.len(),
        ingested.skipped_total(),
        outcome(true),
        outcome(false),
    )
}

fn event<'a>(ingested: &'a Ingested, user: &str, nth: usize) -> &'a LoginEvent {
    ingested
        .events
        .iter()
        .filter(|event| event.user_id == user)
        .nth(nth)
        .unwrap_or_else(|| panic!("login {nth} of {user}"))
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_fixture_is_detected_as_its_format() {
    for (name, format) in [
        ("skytrace.csv", Format::Csv),
        ("vpn-export.tsv", Format::Csv),
        ("entra-signins.csv", Format::EntraCsv),
        ("entra-signins-excel.txt", Format::EntraCsv),
        ("entra-graph.json", Format::EntraJson),
        ("entra-loganalytics.json", Format::EntraJson),
        ("okta-systemlog.json", Format::Okta),
        ("okta-systemlog.jsonl", Format::Okta),
        ("cloudtrail-consolelogin.json", Format::CloudTrail),
        ("cloudtrail-consolelogin.json.gz", Format::CloudTrail),
        ("auth.log", Format::AuthLog),
        ("rba-sample.csv", Format::Rba),
    ] {
        let mapping = if name.ends_with(".tsv") {
            parse_mapping("timestamp=Event Time,user_id=Account,ip_address=Client Address").unwrap()
        } else {
            Vec::new()
        };
        let options = IngestOptions {
            syslog_year: Some(2026),
            column_map: mapping,
            ..IngestOptions::default()
        };
        assert_eq!(read_with(name, &options).format, format, "{name}");
    }
}

#[test]
fn skytrace_csv() {
    let ingested = read("skytrace.csv");
    assert_eq!(counts(&ingested), (6, 6, 0, 0, 3, 2));
    let carol = event(&ingested, "carol@example.com", 0);
    assert_eq!(carol.success, None);
    assert_eq!(carol.ip, ip("2a02:2121:30a:1::7"));
    assert_eq!(carol.line, 7);
}

#[test]
fn generic_tsv_with_a_column_mapping() {
    let options = IngestOptions {
        column_map: parse_mapping(
            "timestamp=Event Time,user_id=Account,ip_address=Client Address,user_agent=Client,\
             success=Result,failure_reason=Reason",
        )
        .unwrap(),
        timezone: jiff::tz::TimeZone::get("Europe/Oslo").unwrap(),
        ..IngestOptions::default()
    };
    let ingested = read_with("vpn-export.tsv", &options);
    assert_eq!(counts(&ingested), (5, 4, 1, 0, 2, 2));
    assert_eq!(ingested.rejections[0].line, Some(6));
    let mallory = event(&ingested, "MALLORY", 0);
    assert_eq!(mallory.failure_reason.as_deref(), Some("bad password"));
    assert_eq!(mallory.user_agent, "AnyConnect Windows 4.10");
    // 08:40:02 in Oslo (UTC+1 in March) is 07:40:02 UTC.
    assert_eq!(
        engine::time::format_utc(mallory.timestamp_ms),
        "2026-03-02T07:40:02Z"
    );
    let without_mapping = read_slice(&fixture("vpn-export.tsv"), &IngestOptions::default());
    assert!(matches!(
        without_mapping,
        Err(IngestError::MissingColumns { ref missing, .. }) if missing == &["ip_address"]
    ));
}

#[test]
fn a_mapping_naming_a_column_that_is_not_there_is_an_error() {
    let options = IngestOptions {
        column_map: vec![(Field::UserId, "Login Name".to_owned())],
        ..IngestOptions::default()
    };
    let error = read_slice(&fixture("skytrace.csv"), &options).unwrap_err();
    assert!(
        error.to_string().contains("\"Login Name\" for user_id"),
        "{error}"
    );
}

fn check_entra_portal(ingested: &Ingested) {
    assert_eq!(counts(ingested), (8, 7, 1, 0, 4, 2));
    assert_eq!(ingested.rejections[0].line, Some(7));
    assert!(matches!(
        ingested.rejections[0].reason,
        RejectReason::IpAddress(_)
    ));
    let guess = event(ingested, "alice@contoso.com", 1);
    assert_eq!(guess.success, Some(false));
    assert_eq!(
        guess.failure_reason.as_deref(),
        Some("50126: Error validating credentials due to invalid username or password.")
    );
    let place = guess.reported_location.as_ref().unwrap();
    assert_eq!(
        (
            place.country_code.as_deref(),
            place.city.as_deref(),
            place.asn
        ),
        (Some("DE"), Some("Berlin"), None)
    );
    assert_eq!(guess.user_agent, "python-requests/2.31.0");
    let interrupted = event(ingested, "bob@contoso.com", 0);
    assert_eq!(interrupted.success, None);
    assert_eq!(
        interrupted.failure_reason.as_deref(),
        Some("50074: Strong Authentication is required.")
    );
    assert_eq!(event(ingested, "alice@contoso.com", 0).mfa, Some(true));
    assert_eq!(event(ingested, "dave@contoso.com", 0).mfa, Some(false));
    assert_eq!(
        event(ingested, "erin@contoso.com", 0).reported_location,
        None
    );
}

#[test]
fn entra_portal_csv() {
    let ingested = read("entra-signins.csv");
    assert_eq!(ingested.encoding, TextEncoding::Utf8Bom);
    check_entra_portal(&ingested);
}

#[test]
fn entra_portal_download_saved_by_excel_as_unicode_text() {
    let ingested = read("entra-signins-excel.txt");
    assert_eq!(ingested.encoding, TextEncoding::Utf16Le);
    check_entra_portal(&ingested);
}

#[test]
fn entra_graph_json() {
    let ingested = read("entra-graph.json");
    assert_eq!(counts(&ingested), (5, 4, 1, 0, 2, 1));
    assert_eq!(ingested.rejections[0].line, None);
    assert_eq!(ingested.rejections[0].row, 5);
    assert_eq!(ingested.rejections[0].reason, RejectReason::EmptyUser);
    let mfa_required = event(&ingested, "alice@contoso.com", 2);
    assert_eq!(mfa_required.success, None);
    assert!(
        mfa_required
            .failure_reason
            .as_deref()
            .unwrap()
            .starts_with("50076: Due to a configuration change")
    );
    let oslo = event(&ingested, "alice@contoso.com", 0)
        .reported_location
        .clone()
        .unwrap();
    assert_eq!(oslo.country_code.as_deref(), Some("NO"));
    assert_eq!(
        (oslo.latitude, oslo.longitude),
        (Some(59.9127), Some(10.7461))
    );
}

#[test]
fn entra_log_analytics_json() {
    let ingested = read("entra-loganalytics.json");
    assert_eq!(counts(&ingested), (5, 5, 0, 0, 3, 1));
    // The service principal's sign-in is read as a workload identity, not skipped.
    let backup = event(&ingested, "backup-job", 0);
    assert_eq!(
        (backup.identity_kind, backup.interactive, backup.success),
        (IdentityKind::ServicePrincipal, Some(false), Some(true))
    );
    let interrupted = event(&ingested, "alice@contoso.com", 2);
    assert_eq!((interrupted.success, interrupted.interrupted), (None, true));
    assert_eq!(
        event(&ingested, "alice@contoso.com", 0).interactive,
        Some(true)
    );
    let guess = event(&ingested, "alice@contoso.com", 1);
    assert_eq!(guess.ip, ip("185.220.101.4"));
    assert!(
        guess
            .failure_reason
            .as_deref()
            .unwrap()
            .starts_with("50126: ")
    );
    let place = guess.reported_location.as_ref().unwrap();
    assert_eq!(
        (place.city.as_deref(), place.asn),
        (Some("Berlin"), Some(60729))
    );
    assert_eq!(
        engine::time::format_utc(event(&ingested, "alice@contoso.com", 0).timestamp_ms),
        "2026-03-02T08:15:03.123Z"
    );
}

fn check_okta(ingested: &Ingested, rejected: usize) {
    assert_eq!(
        counts(ingested),
        (8 + rejected as u64, 5, rejected, 3, 3, 2)
    );
    for kind in [
        "policy.evaluate_sign_on",
        "user.account.lock",
        "user.session.end",
    ] {
        assert_eq!(ingested.skipped.get(kind), Some(&1), "{kind}");
    }
    let guess = event(ingested, "bob@example.com", 0);
    assert_eq!(guess.success, Some(false));
    assert_eq!(guess.failure_reason.as_deref(), Some("INVALID_CREDENTIALS"));
    assert_eq!(guess.user_agent, "python-requests/2.31.0");
    assert_eq!(guess.reported_location.as_ref().unwrap().asn, Some(49505));
    let denied_push = event(ingested, "bob@example.com", 2);
    assert_eq!(
        (denied_push.success, denied_push.mfa),
        (Some(false), Some(true))
    );
}

#[test]
fn okta_system_log_array() {
    let ingested = read("okta-systemlog.json");
    check_okta(&ingested, 1);
    assert!(
        ingested.rejections[0]
            .reason
            .to_string()
            .contains("last tuesday")
    );
}

#[test]
fn okta_system_log_one_object_per_line() {
    let ingested = read("okta-systemlog.jsonl");
    check_okta(&ingested, 2);
    assert_eq!(ingested.rejections[0].line, Some(6));
    assert!(
        ingested.rejections[0]
            .reason
            .to_string()
            .contains("invalid JSON")
    );
    assert_eq!(ingested.rejections[1].line, Some(10));
}

fn check_cloudtrail(ingested: &Ingested) {
    assert_eq!(counts(ingested), (9, 5, 1, 3, 3, 2));
    for kind in ["CheckMfa", "AssumeRole", "GetSigninToken"] {
        assert_eq!(ingested.skipped.get(kind), Some(&1), "{kind}");
    }
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::IpAddress("AWS Internal".to_owned())
    );
    let alice = event(ingested, "alice", 0);
    assert_eq!((alice.success, alice.mfa), (Some(true), Some(true)));
    let bob = event(ingested, "bob", 0);
    assert_eq!(bob.failure_reason.as_deref(), Some("Failed authentication"));
    assert_eq!(bob.mfa, Some(false));
    event(ingested, "arn:aws:iam::123456789012:root", 0);
    event(ingested, "HIDDEN_DUE_TO_SECURITY_REASONS", 0);
}

#[test]
fn cloudtrail_console_logins() {
    check_cloudtrail(&read("cloudtrail-consolelogin.json"));
}

#[test]
fn cloudtrail_gzipped() {
    let ingested = read("cloudtrail-consolelogin.json.gz");
    assert!(ingested.gzip);
    check_cloudtrail(&ingested);
}

#[test]
fn auth_log_with_a_given_year() {
    let options = IngestOptions {
        syslog_year: Some(2026),
        ..IngestOptions::default()
    };
    let ingested = read_with("auth.log", &options);
    // 20 lines, one of them "message repeated 2 times" (one more attempt).
    assert_eq!(counts(&ingested), (21, 11, 1, 9, 3, 8));
    assert_eq!(ingested.rejections[0].line, Some(18));
    assert_eq!(ingested.rejections[0].reason, RejectReason::NotSyslog);
    // The notice of pid 2402 is followed by its guesses, so only the guesses count; the notice
    // of pid 2405 stands alone and is the attempt.
    assert_eq!(
        ingested
            .events
            .iter()
            .filter(|e| e.user_id == "admin")
            .count(),
        2
    );
    let oracle = event(&ingested, "oracle", 0);
    assert_eq!(
        (oracle.line, oracle.failure_reason.as_deref()),
        (10, Some("invalid user"))
    );
    assert_eq!(
        ingested
            .events
            .iter()
            .filter(|e| e.user_id == "root")
            .count(),
        3
    );
    assert_eq!(ingested.skipped.get("CRON"), Some(&1));
    assert_eq!(ingested.skipped.get("sshd (not a sign-in)"), Some(&5));
    let bob = event(&ingested, "bob", 0);
    assert_eq!(
        (bob.success, bob.ip),
        (Some(true), ip("2a02:2121:30a:1::7"))
    );
    assert_eq!(
        engine::time::format_utc(bob.timestamp_ms),
        "2026-03-02T10:20:44Z"
    );
    assert_eq!(
        engine::time::format_utc(event(&ingested, "dave", 0).timestamp_ms),
        "2026-03-02T11:30:00.123Z"
    );
}

#[test]
fn auth_log_year_is_inferred_from_the_reference_time_and_zone() {
    let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let options = |reference: &str| IngestOptions {
        reference_ms: Some(at(reference)),
        timezone: jiff::tz::TimeZone::get("Europe/Oslo").unwrap(),
        ..IngestOptions::default()
    };
    let same_year = read_with("auth.log", &options("2026-11-24T12:00:00Z"));
    assert_eq!(
        engine::time::format_utc(event(&same_year, "alice", 0).timestamp_ms),
        "2026-03-02T07:15:03Z"
    );
    // Read in early January, March lines are from the year before.
    let next_year = read_with("auth.log", &options("2027-01-05T00:00:00Z"));
    assert_eq!(
        engine::time::format_utc(event(&next_year, "alice", 0).timestamp_ms),
        "2026-03-02T07:15:03Z"
    );
    let before = read_with("auth.log", &options("2026-02-01T00:00:00Z"));
    assert_eq!(
        engine::time::format_utc(event(&before, "alice", 0).timestamp_ms),
        "2025-03-02T07:15:03Z"
    );
    let unknown = read("auth.log");
    assert!(
        unknown
            .rejections
            .iter()
            .any(|rejection| rejection.reason == RejectReason::NoYear)
    );
}

#[test]
fn rba_dataset_keeps_its_own_country_and_asn() {
    let ingested = read("rba-sample.csv");
    assert_eq!(counts(&ingested), (7, 6, 1, 0, 2, 4));
    let first = &ingested.events[0];
    assert_eq!(first.user_id, "-4324475583306591935");
    let place = first.reported_location.as_ref().unwrap();
    assert_eq!(
        (place.country_code.as_deref(), place.asn),
        (Some("NO"), Some(29695))
    );
    assert_eq!(place.city, None, "'-' means no value");
    let trondheim = ingested.events[5].reported_location.as_ref().unwrap();
    assert_eq!(trondheim.city.as_deref(), Some("Trondheim"));
    assert_eq!(ingested.events[5].success, Some(true));
    assert!(ingested.extra_columns.is_empty());
}

#[test]
fn forcing_the_wrong_format_is_a_clear_error_not_a_panic() {
    for format in Format::ALL {
        for name in ["okta-systemlog.json", "auth.log", "entra-signins.csv"] {
            let options = IngestOptions {
                format: Some(format),
                syslog_year: Some(2026),
                ..IngestOptions::default()
            };
            if let Ok(ingested) = read_slice(&fixture(name), &options) {
                counts(&ingested);
            }
        }
    }
}
