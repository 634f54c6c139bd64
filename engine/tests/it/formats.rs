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
        ("entra-diagnostic.jsonl", Format::EntraJson),
        ("entra-diagnostic-workloads.json", Format::EntraJson),
        ("google-workspace-login.json", Format::GoogleWorkspace),
        ("google-workspace-login.jsonl", Format::GoogleWorkspace),
        ("auth0-logs.json", Format::Auth0),
        ("auth0-stream-batch.json", Format::Auth0),
        ("auth0-stream.jsonl", Format::Auth0),
        ("m365-audit-aad.json", Format::M365),
        ("okta-eventhook.json", Format::Okta),
        ("windows-winlogbeat.jsonl", Format::Windows),
        ("ecs-authentication.jsonl", Format::Ecs),
        ("ecs-authentication-dotted.json", Format::Ecs),
        ("ocsf-authentication.jsonl", Format::Ocsf),
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
    assert_eq!(&*mallory.user_agent, "AnyConnect Windows 4.10");
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
    assert_eq!(&*guess.user_agent, "python-requests/2.31.0");
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
    assert_eq!(&*guess.user_agent, "python-requests/2.31.0");
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

/// (success, interrupted, interactive, identity kind)
fn outcome(event: &LoginEvent) -> (Option<bool>, bool, Option<bool>, IdentityKind) {
    (
        event.success,
        event.interrupted,
        event.interactive,
        event.identity_kind,
    )
}

fn place(event: &LoginEvent) -> (Option<&str>, Option<&str>, Option<u32>) {
    let place = event
        .reported_location
        .as_deref()
        .expect("a reported place");
    (
        place.country_code.as_deref(),
        place.city.as_deref(),
        place.asn,
    )
}

#[test]
fn entra_diagnostic_settings_one_record_per_line() {
    let ingested = read("entra-diagnostic.jsonl");
    assert_eq!(counts(&ingested), (8, 6, 1, 1, 4, 1));
    assert_eq!(ingested.physical_lines, 8);
    assert_eq!(ingested.skipped.get("AuditLogs"), Some(&1));
    let duplicate = &ingested.rejections[0];
    assert_eq!(duplicate.line, Some(6));
    assert_eq!(
        duplicate.reason,
        RejectReason::DuplicateKey("properties.userPrincipalName".to_owned())
    );
    let first = event(&ingested, "alice@contoso.com", 0);
    assert_eq!(
        outcome(first),
        (Some(true), false, Some(true), IdentityKind::User)
    );
    assert_eq!(
        engine::time::format_utc(first.timestamp_ms),
        "2026-03-02T08:15:03.123Z"
    );
    assert_eq!(first.mfa, Some(true));
    assert_eq!(
        first.resource.as_deref(),
        Some("Office 365 Exchange Online")
    );
    assert_eq!(place(first), (Some("NO"), Some("Oslo"), Some(2119)));
    let guess = event(&ingested, "alice@contoso.com", 1);
    assert_eq!(
        guess.failure_reason.as_deref(),
        Some("50126: Error validating credentials due to invalid username or password.")
    );
    assert_eq!(&*guess.user_agent, "python-requests/2.31.0");
    let interrupt = event(&ingested, "alice@contoso.com", 2);
    assert_eq!(
        outcome(interrupt),
        (None, true, Some(true), IdentityKind::User)
    );
    assert_eq!(
        interrupt.failure_reason.as_deref(),
        Some("50074: Strong Authentication is required.")
    );
    let token_refresh = event(&ingested, "bob@contoso.com", 0);
    assert_eq!(
        outcome(token_refresh),
        (Some(true), false, Some(false), IdentityKind::User)
    );
    assert_eq!(token_refresh.resource.as_deref(), Some("Microsoft Graph"));
    let backup = event(&ingested, "backup-job", 0);
    assert_eq!(
        outcome(backup),
        (
            Some(true),
            false,
            Some(false),
            IdentityKind::ServicePrincipal
        )
    );
    assert_eq!(backup.ip, ip("20.190.151.7"));
    let vm = event(&ingested, "vm-reporting-01", 0);
    assert_eq!(vm.identity_kind, IdentityKind::ManagedIdentity);
    assert_eq!(vm.resource.as_deref(), Some("Azure Key Vault"));
}

#[test]
fn a_file_of_workload_sign_ins_is_read_not_refused() {
    let ingested = read("entra-diagnostic-workloads.json");
    assert_eq!(counts(&ingested), (5, 3, 1, 1, 2, 1));
    assert!(
        ingested
            .events
            .iter()
            .all(|event| event.identity_kind != IdentityKind::User)
    );
    let refused = event(&ingested, "backup-job", 1);
    assert_eq!(outcome(refused).0, Some(false));
    assert!(
        refused
            .failure_reason
            .as_deref()
            .unwrap()
            .starts_with("7000215: Invalid client secret provided.")
    );
    assert_eq!(place(refused), (Some("RU"), Some("Moscow"), Some(49505)));
    let no_address = &ingested.rejections[0];
    assert_eq!((no_address.row, no_address.line), (4, None));
    assert_eq!(no_address.location(), "record 4");
    assert_eq!(
        no_address.reason.to_string(),
        "missing ipAddress (Entra often records none for managed identities)"
    );
}

fn check_google_workspace(ingested: &Ingested) {
    assert_eq!(ingested.skipped.get("logout"), Some(&1));
    let first = event(ingested, "alice@example.com", 0);
    assert_eq!(
        (first.success, first.mfa, first.ip),
        (Some(true), Some(true), ip("84.208.20.17"))
    );
    assert_eq!(
        engine::time::format_utc(first.timestamp_ms),
        "2026-03-02T08:15:03.12Z"
    );
    let guess = event(ingested, "alice@example.com", 1);
    assert_eq!(
        (guess.success, guess.mfa, guess.failure_reason.as_deref()),
        (
            Some(false),
            Some(false),
            Some("login_failure_invalid_password")
        )
    );
    let failed_challenge = event(ingested, "alice@example.com", 2);
    assert_eq!(
        (failed_challenge.success, failed_challenge.mfa),
        (Some(false), Some(true))
    );
    assert_eq!(
        failed_challenge.failure_reason.as_deref(),
        Some("login_challenge: Challenge Failed")
    );
    let verification = event(ingested, "alice@example.com", 3);
    assert_eq!(
        (verification.success, verification.interrupted),
        (None, true)
    );
    assert_eq!(
        event(ingested, "bob@example.com", 0).ip,
        ip("2a02:2121:30a:1::7")
    );
}

#[test]
fn google_workspace_login_activities() {
    let ingested = read("google-workspace-login.json");
    assert_eq!(counts(&ingested), (8, 6, 1, 1, 2, 2));
    check_google_workspace(&ingested);
    let suspicious = event(&ingested, "carol@example.com", 0);
    assert_eq!((suspicious.success, suspicious.interrupted), (None, false));
    assert_eq!(
        suspicious.failure_reason.as_deref(),
        Some("suspicious_login")
    );
    assert_eq!(ingested.rejections[0].location(), "record 8");
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::IpAddress("not-an-address".to_owned())
    );
}

#[test]
fn google_workspace_one_activity_per_line() {
    let ingested = read("google-workspace-login.jsonl");
    assert_eq!(counts(&ingested), (7, 5, 1, 1, 2, 2));
    assert_eq!(ingested.rejections[0].line, Some(4));
    assert!(matches!(
        ingested.rejections[0].reason,
        RejectReason::Malformed(_)
    ));
    check_google_workspace(&ingested);
}

#[test]
fn another_google_application_is_named_not_read() {
    let error = read_slice(
        &fixture("google-workspace-drive.json"),
        &IngestOptions::default(),
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(
            "this looks like a Google Workspace admin activity export, but not its login \
             application (applicationName=drive); Sky Trace reads Entra ID JSON, Okta System \
             Log, AWS CloudTrail, Google Workspace login audit, Auth0 tenant logs"
        ),
        "{message}"
    );
    // Forced, its activities are skipped by application and event.
    let options = IngestOptions {
        format: Some(Format::GoogleWorkspace),
        ..IngestOptions::default()
    };
    let forced = read_with("google-workspace-drive.json", &options);
    assert_eq!(counts(&forced), (1, 0, 0, 1, 0, 0));
    assert_eq!(forced.skipped.get("drive: view"), Some(&1));
}

fn check_auth0(ingested: &Ingested) {
    assert_eq!(ingested.skipped.get("sapi"), Some(&1));
    let first = event(ingested, "alice@example.com", 0);
    assert_eq!(
        outcome(first),
        (Some(true), false, Some(true), IdentityKind::User)
    );
    assert_eq!(&*first.user_agent, "Chrome 122.0.0 / Windows 10.0.0");
    assert_eq!(first.resource.as_deref(), Some("Acme Portal"));
    assert_eq!(place(first), (Some("NO"), Some("Oslo"), None));
    let wrong_password = event(ingested, "alice@example.com", 1);
    assert_eq!(
        wrong_password.failure_reason.as_deref(),
        Some("fp: Wrong email or password.")
    );
    let unknown_user = event(ingested, "admin@example.com", 0);
    assert_eq!(
        (unknown_user.success, unknown_user.failure_reason.as_deref()),
        (Some(false), Some("fu: Wrong email or password."))
    );
    let mfa_required = event(ingested, "alice@example.com", 2);
    assert_eq!(
        (
            mfa_required.success,
            mfa_required.interrupted,
            mfa_required.mfa
        ),
        (None, true, Some(true))
    );
    let blocked = event(ingested, "alice@example.com", 3);
    assert_eq!(
        (blocked.success, blocked.failure_reason.as_deref()),
        (
            Some(false),
            Some("limit_wc: Too many failed attempts to log in to this account.")
        )
    );
    let silent = event(ingested, "bob@example.com", 0);
    assert_eq!(
        outcome(silent),
        (Some(true), false, Some(false), IdentityKind::User)
    );
}

#[test]
fn auth0_management_api_logs() {
    let ingested = read("auth0-logs.json");
    assert_eq!(counts(&ingested), (9, 7, 1, 1, 3, 3));
    check_auth0(&ingested);
    let machine = event(&ingested, "billing-sync", 0);
    assert_eq!(
        outcome(machine),
        (
            Some(true),
            false,
            Some(false),
            IdentityKind::ServicePrincipal
        )
    );
    assert_eq!(
        machine.resource.as_deref(),
        Some("https://api.acme.example/")
    );
    let future = &ingested.rejections[0];
    assert_eq!(future.location(), "record 9");
    assert!(
        future
            .reason
            .to_string()
            .ends_with("is outside the accepted range 1990-01-01 to 2100-01-01 UTC"),
        "{}",
        future.reason
    );
}

#[test]
fn auth0_log_stream_webhook_batches_and_lines() {
    let batch = read("auth0-stream-batch.json");
    assert_eq!(counts(&batch), (8, 6, 1, 1, 2, 3));
    check_auth0(&batch);
    assert_eq!(
        batch.rejections[0].reason,
        RejectReason::IpAddress("300.1.2.3".to_owned())
    );
    // Batches stored one per line.
    let batch_text = String::from_utf8(fixture("auth0-stream-batch.json")).unwrap();
    let two_batches = format!("{batch_text}{batch_text}");
    let batches = read_slice(two_batches.as_bytes(), &IngestOptions::default()).unwrap();
    assert_eq!(counts(&batches), (16, 12, 2, 2, 4, 6));
    assert_eq!(batches.rejections[1].line, Some(2));
    let lines = read("auth0-stream.jsonl");
    assert_eq!(counts(&lines), (8, 6, 1, 1, 2, 3));
    check_auth0(&lines);
    assert_eq!(lines.rejections[0].line, Some(8));
    assert_eq!(
        lines.rejections[0].reason.to_string(),
        "the key \"user_name\" is given twice (which one counts depends on the reader)"
    );
}

#[test]
fn microsoft_365_entra_sign_ins() {
    let ingested = read("m365-audit-aad.json");
    assert_eq!(counts(&ingested), (8, 5, 1, 2, 3, 1));
    assert_eq!(ingested.skipped.get("Update user."), Some(&1));
    assert_eq!(ingested.skipped.get("FileAccessed"), Some(&1));
    let first = event(&ingested, "alice@contoso.com", 0);
    // CreationTime has no offset and is UTC, whatever --timezone says.
    let oslo = IngestOptions {
        timezone: jiff::tz::TimeZone::get("Europe/Oslo").unwrap(),
        ..IngestOptions::default()
    };
    let in_oslo = read_with("m365-audit-aad.json", &oslo);
    assert_eq!(in_oslo.events[0].timestamp_ms, first.timestamp_ms);
    assert_eq!(
        engine::time::format_utc(first.timestamp_ms),
        "2026-03-02T08:15:03Z"
    );
    assert!(first.user_agent.starts_with("Mozilla/5.0 (Windows NT 10.0"));
    let guess = event(&ingested, "alice@contoso.com", 1);
    assert_eq!(
        (guess.success, guess.ip, guess.failure_reason.as_deref()),
        (
            Some(false),
            ip("185.220.101.4"),
            Some("50126: InvalidUserNameOrPassword")
        )
    );
    let interrupt = event(&ingested, "alice@contoso.com", 2);
    assert_eq!((interrupt.success, interrupt.interrupted), (None, true));
    assert_eq!(event(&ingested, "alice@contoso.com", 3).mfa, Some(true));
    let sync = &ingested.events[4];
    assert_eq!(sync.identity_kind, IdentityKind::ServicePrincipal);
    assert_eq!(ingested.rejections[0].reason, RejectReason::EmptyUser);
}

#[test]
fn microsoft_365_of_another_workload_is_named() {
    let exchange = br#"[{"CreationTime":"2026-03-02T08:15:03","Id":"1","Operation":"MailItemsAccessed","RecordType":50,"Workload":"Exchange","UserId":"alice@contoso.com","ClientIPAddress":"84.208.20.17"}]"#;
    let message = read_slice(exchange, &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "this looks like a Microsoft 365 audit export of the Exchange workload, not its \
             sign-ins (Workload: AzureActiveDirectory)"
        ),
        "{message}"
    );
}

#[test]
fn okta_event_hook_delivery() {
    let ingested = read("okta-eventhook.json");
    assert_eq!(ingested.format, Format::Okta);
    assert_eq!(counts(&ingested), (10, 6, 1, 3, 3, 2));
    let challenge = event(&ingested, "alice@example.com", 1);
    assert_eq!(
        (challenge.success, challenge.interrupted, challenge.mfa),
        (None, true, Some(true))
    );
    assert_eq!(
        challenge.failure_reason.as_deref(),
        Some("Verify with Okta Verify")
    );
    assert_eq!(ingested.rejections[0].location(), "record 10");
    assert!(
        ingested.rejections[0]
            .reason
            .to_string()
            .contains("last tuesday")
    );
}

fn check_windows(ingested: &Ingested) {
    let network = event(ingested, "alice", 0);
    assert_eq!(
        outcome(network),
        (Some(true), false, Some(false), IdentityKind::User)
    );
    assert_eq!(network.ip, ip("10.20.1.15"));
    let remote_desktop = event(ingested, "alice", 1);
    assert_eq!(remote_desktop.success, Some(false));
    assert_eq!(remote_desktop.ip, ip("185.220.101.4"));
}

#[test]
fn windows_logons_from_winlogbeat() {
    let ingested = read("windows-winlogbeat.jsonl");
    assert_eq!(counts(&ingested), (7, 4, 1, 2, 2, 2));
    assert_eq!(ingested.skipped.get("4634"), Some(&1));
    assert_eq!(
        ingested.skipped.get("4624 (service or system logon)"),
        Some(&1)
    );
    check_windows(&ingested);
    let remote_desktop = event(&ingested, "alice", 1);
    assert_eq!(remote_desktop.interactive, Some(true));
    assert_eq!(
        remote_desktop.failure_reason.as_deref(),
        Some("0xc000006a: wrong password")
    );
    assert_eq!(
        remote_desktop.resource.as_deref(),
        Some("DC01.contoso.local")
    );
    let kerberos = event(&ingested, "bob", 0);
    assert_eq!(
        (
            kerberos.success,
            kerberos.ip,
            kerberos.failure_reason.as_deref()
        ),
        (Some(false), ip("10.20.1.22"), Some("0x18: wrong password"))
    );
    let computer = event(&ingested, "WS-ALICE$", 0);
    assert_eq!(computer.identity_kind, IdentityKind::Machine);
    assert_eq!(ingested.rejections[0].line, Some(4));
    assert_eq!(
        ingested.rejections[0].reason.to_string(),
        "missing IpAddress (event 4776 records the workstation name only)"
    );
}

#[test]
fn windows_logons_read_as_plain_ecs() {
    let options = IngestOptions {
        format: Some(Format::Ecs),
        ..IngestOptions::default()
    };
    let ingested = read_with("windows-winlogbeat.jsonl", &options);
    // The ECS reader sees authentication events: 4776 and the service logon have no source
    // address and are rejected, the logoff is skipped.
    assert_eq!(counts(&ingested), (7, 4, 2, 1, 2, 2));
    assert_eq!(ingested.skipped.get("logged-out (logoff)"), Some(&1));
    let network = event(&ingested, "alice", 0);
    assert_eq!(
        (network.success, network.ip),
        (Some(true), ip("10.20.1.15"))
    );
    assert_eq!(event(&ingested, "alice", 1).success, Some(false));
}

fn check_ecs(ingested: &Ingested) {
    assert_eq!(ingested.skipped.get("user.session.end (logoff)"), Some(&1));
    assert_eq!(ingested.skipped.get("group.user_membership.add"), Some(&1));
    let first = event(ingested, "alice@example.com", 0);
    assert_eq!(first.success, Some(true));
    assert_eq!(place(first), (Some("NO"), Some("Oslo"), Some(2119)));
    let place_of_first = first.reported_location.as_deref().unwrap();
    assert_eq!(
        (place_of_first.latitude, place_of_first.longitude),
        (Some(59.9127), Some(10.7461))
    );
    let guess = event(ingested, "alice@example.com", 1);
    assert_eq!(
        (guess.success, guess.failure_reason.as_deref()),
        (Some(false), Some("INVALID_CREDENTIALS"))
    );
    assert_eq!(&*guess.user_agent, "python-requests/2.31.0");
    assert_eq!(event(ingested, "alice@example.com", 2).success, None);
}

#[test]
fn ecs_authentication_events_nested() {
    let ingested = read("ecs-authentication.jsonl");
    assert_eq!(counts(&ingested), (6, 3, 1, 2, 1, 1));
    check_ecs(&ingested);
    assert_eq!(ingested.rejections[0].line, Some(6));
}

#[test]
fn ecs_authentication_events_with_dotted_keys() {
    let ingested = read("ecs-authentication-dotted.json");
    assert_eq!(counts(&ingested), (6, 3, 1, 2, 1, 1));
    check_ecs(&ingested);
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::MissingField("source.ip".to_owned())
    );
}

#[test]
fn ocsf_authentication_events() {
    let ingested = read("ocsf-authentication.jsonl");
    assert_eq!(counts(&ingested), (6, 3, 1, 2, 1, 1));
    assert_eq!(ingested.skipped.get("Logoff"), Some(&1));
    assert_eq!(ingested.skipped.get("Account Change"), Some(&1));
    let first = event(&ingested, "alice@example.com", 0);
    assert_eq!(
        engine::time::format_utc(first.timestamp_ms),
        "2026-03-02T08:15:03.12Z"
    );
    assert_eq!((first.success, first.mfa), (Some(true), Some(true)));
    assert_eq!(place(first), (Some("NO"), Some("Oslo"), None));
    let coordinates = first.reported_location.as_deref().unwrap();
    assert_eq!(
        (coordinates.latitude, coordinates.longitude),
        (Some(59.9127), Some(10.7461))
    );
    assert_eq!(first.resource.as_deref(), Some("Acme Portal"));
    let guess = event(&ingested, "alice@example.com", 1);
    assert_eq!(
        (guess.success, guess.failure_reason.as_deref()),
        (Some(false), Some("INVALID_CREDENTIALS"))
    );
    assert_eq!(event(&ingested, "carol@example.com", 0).success, None);
    let message = ingested.rejections[0].reason.to_string();
    assert!(
        message.contains("\"253402300799\" (read as epoch milliseconds: 1978-01-11T21:31:40.799Z)"),
        "{message}"
    );
}

#[test]
fn a_repeated_key_rejects_the_record_in_every_shape() {
    let okta = String::from_utf8(fixture("okta-systemlog.json")).unwrap();
    let forged = okta.replacen(
        "\"alternateId\": \"alice@example.com\"",
        "\"alternateId\": \"alice@example.com\", \"alternateId\": \"mallory@example.com\"",
        1,
    );
    assert_ne!(forged, okta);
    let ingested = read_slice(forged.as_bytes(), &IngestOptions::default()).unwrap();
    counts(&ingested);
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::DuplicateKey("actor.alternateId".to_owned())
    );
    assert_eq!(ingested.rejections[0].location(), "record 1");
    assert!(
        ingested
            .events
            .iter()
            .all(|event| event.user_id != "mallory@example.com")
    );
    // Log Analytics' nested columns, written as JSON text, are checked too.
    let row = br#"[{"TimeGenerated":"2026-03-02T08:15:03Z","Category":"SignInLogs","UserPrincipalName":"bob@contoso.com","IPAddress":"84.208.20.17","ResultType":"0","Status":"{\"errorCode\":0,\"errorCode\":50126}"}]"#;
    let ingested = read_slice(row, &IngestOptions::default()).unwrap();
    assert_eq!(
        ingested.rejections[0].reason,
        RejectReason::DuplicateKey("Status.errorCode".to_owned())
    );
    // A wrapper giving its records twice stops the reading rather than choosing one.
    let twice = br#"{"records":[],"records":[{"a":1}]}"#;
    let options = IngestOptions {
        format: Some(Format::EntraJson),
        ..IngestOptions::default()
    };
    let ingested = read_slice(twice, &options).unwrap();
    assert!(
        ingested.rejections[0]
            .reason
            .to_string()
            .contains("the key \"records\" appears twice"),
        "{}",
        ingested.rejections[0].reason
    );
}

/// The README's "Input formats" table has one row per format, whose "where to get it" column
/// says what the upload page says (the page reads [`Format::where_to_get`]).
#[test]
fn the_readme_lists_every_format_and_where_to_get_it() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Input formats\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("an Input formats section");
    let rows: Vec<(String, String)> = section
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .map_while(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let name = cells.first()?.strip_prefix("| `")?.strip_suffix('`')?;
            Some((name.to_owned(), cells.get(2)?.replace('`', "")))
        })
        .collect();
    let mut names: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = Format::ALL.iter().map(|format| format.name()).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (name, where_to_get) in &rows {
        let format = Format::from_name(name).unwrap();
        assert_eq!(where_to_get, format.where_to_get(), "{name}");
    }
}
