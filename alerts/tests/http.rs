//! SendGrid and webhook deliveries against a real HTTP server on loopback that records what it
//! receives and answers with scripted statuses and delays.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alerts::{
    Alert, DeliveryReport, Dispatcher, JsonSentLog, NotificationsConfig, Outcome, SentLog,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use engine::RiskLevel;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

const T0: i64 = 1_772_439_303_000; // 2026-03-02T08:15:03Z
const SENDGRID_KEY: &str = "SG.test-key-do-not-print";
const WEBHOOK_SECRET: &str = "whsec-do-not-print";

#[derive(Clone, Debug)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// (status, delay in ms) for the next requests; 200 at once when empty.
    script: Arc<Mutex<VecDeque<(u16, u64)>>>,
}

impl Receiver {
    async fn start(script: &[(u16, u64)]) -> (Self, SocketAddr) {
        let receiver = Receiver::default();
        receiver
            .script
            .lock()
            .expect("lock")
            .extend(script.iter().copied());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, address)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn record(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    receiver.requests.lock().expect("lock").push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body: body.to_vec(),
    });
    let next = receiver.script.lock().expect("lock").pop_front();
    let (status, delay_ms) = next.unwrap_or((200, 0));
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    (
        StatusCode::from_u16(status).expect("status"),
        "receiver says hi",
    )
}

fn alert(key: &str, user: &str) -> Alert {
    Alert {
        key: key.to_owned(),
        kind: alerts::AlertKind::Incident,
        severity: RiskLevel::High,
        title: format!("Impossible travel: {user} signed in"),
        users: vec![user.to_owned()],
        source_ips: vec!["203.0.113.9".to_owned()],
        locations: vec!["Lagos, NG · hosting (AS64500)".to_owned()],
        previous_login: Some("2026-03-02T07:55:00Z from 198.51.100.7 (Oslo, NO)".to_owned()),
        reasons: vec!["4,900 km from Oslo in 20 min (14,700 km/h)".to_owned()],
        first_ms: T0,
        last_ms: T0 + 60_000,
        link: Some(format!("https://sky.example/incidents/{key}")),
    }
}

fn config(toml_text: &str) -> NotificationsConfig {
    let config: NotificationsConfig = toml::from_str(toml_text).expect("config parses");
    config.check().expect("config is valid");
    config
}

fn retry(max_attempts: u32) -> String {
    format!("[retry]\nmax_attempts = {max_attempts}\ninitial_backoff_ms = 10\ntimeout_secs = 1\n")
}

fn dispatcher(config: NotificationsConfig) -> Dispatcher {
    Dispatcher::with_secrets(
        config,
        Box::new(|name| match name {
            "SENDGRID_API_KEY" => Some(SENDGRID_KEY.to_owned()),
            "HOOK_SECRET" => Some(WEBHOOK_SECRET.to_owned()),
            _ => None,
        }),
    )
}

fn sendgrid_config(address: SocketAddr, max_attempts: u32) -> NotificationsConfig {
    config(&format!(
        "{}[sendgrid]\nbase_url = \"http://{address}\"\nfrom = \"skytrace@example.com\"\n\
         to = [\"soc@example.com\", \"oncall@example.com\"]\n",
        retry(max_attempts)
    ))
}

fn webhook_config(address: SocketAddr, style: &str, max_attempts: u32) -> NotificationsConfig {
    config(&format!(
        "max_alerts_per_hour = 2\n{}[webhook]\nurl = \"http://{address}/hooks/T000/SECRETPATH\"\n\
         secret_env = \"HOOK_SECRET\"\nstyle = \"{style}\"\n",
        retry(max_attempts)
    ))
}

fn only(report: &DeliveryReport) -> (&Outcome, u32) {
    assert_eq!(report.deliveries.len(), 1, "{report:#?}");
    let delivery = &report.deliveries[0];
    (&delivery.outcome, delivery.attempts)
}

fn sent_log() -> (tempfile::TempDir, JsonSentLog) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = JsonSentLog::open(&dir.path().join("sent.json")).expect("empty log");
    (dir, log)
}

#[tokio::test]
async fn sendgrid_receives_v3_mail_send() {
    let (receiver, address) = Receiver::start(&[(202, 0)]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(sendgrid_config(address, 3))
        .dispatch(&[alert("inc-1", "alice@example.com")], T0, &mut log)
        .await;
    assert_eq!(only(&report), (&Outcome::Sent, 1));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v3/mail/send");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {SENDGRID_KEY}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(
        body["personalizations"][0]["to"],
        serde_json::json!([{ "email": "soc@example.com" }, { "email": "oncall@example.com" }])
    );
    assert_eq!(body["from"]["email"], "skytrace@example.com");
    assert_eq!(
        body["subject"],
        "[Sky Trace] High — Impossible travel: alice@example.com signed in"
    );
    assert_eq!(body["content"][0]["type"], "text/plain");
    assert_eq!(body["content"][1]["type"], "text/html");
    let text = body["content"][0]["value"].as_str().expect("text");
    let html = body["content"][1]["value"].as_str().expect("html");
    for needle in [
        "Who: alice@example.com",
        "Where: Lagos, NG · hosting (AS64500)",
        "Previous login: 2026-03-02T07:55:00Z from 198.51.100.7 (Oslo, NO)",
        "4,900 km from Oslo",
        "Incident: https://sky.example/incidents/inc-1",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(html.contains("href=\"https://sky.example/incidents/inc-1\""));
    assert_eq!(log.entries().len(), 1);
}

#[tokio::test]
async fn webhook_is_signed_over_the_raw_body() {
    let (receiver, address) = Receiver::start(&[]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(webhook_config(address, "generic", 3))
        .dispatch(&[alert("inc-2", "bob@example.com")], T0, &mut log)
        .await;
    assert_eq!(only(&report), (&Outcome::Sent, 1));
    let request = &receiver.requests()[0];
    assert_eq!(request.path, "/hooks/T000/SECRETPATH");

    let signature = request.header("x-skytrace-signature").expect("signed");
    let hex_digest = signature.strip_prefix("sha256=").expect("sha256= prefix");
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(&request.body);
    mac.verify_slice(&hex::decode(hex_digest).expect("hex"))
        .expect("signature verifies");

    let body = request.json();
    assert_eq!(body["type"], "alert");
    assert_eq!(body["alert"]["key"], "inc-2");
    assert_eq!(body["alert"]["severity"], "High");
    assert_eq!(body["alert"]["users"][0], "bob@example.com");
}

#[tokio::test]
async fn slack_style_sends_a_text_field() {
    let (receiver, address) = Receiver::start(&[]).await;
    let (_dir, mut log) = sent_log();
    dispatcher(webhook_config(address, "slack", 3))
        .dispatch(&[alert("inc-3", "carol@example.com")], T0, &mut log)
        .await;
    let body = receiver.requests()[0].json();
    let object = body.as_object().expect("object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["text"]);
    let text = object["text"].as_str().expect("text");
    assert!(
        text.starts_with("*[Sky Trace] High — Impossible travel: carol@example.com signed in*\n")
    );
    assert!(text.contains("Previous login: 2026-03-02T07:55:00Z"));
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let (receiver, address) = Receiver::start(&[(500, 0), (202, 0)]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(sendgrid_config(address, 3))
        .dispatch(&[alert("inc-4", "dave@example.com")], T0, &mut log)
        .await;
    assert_eq!(only(&report), (&Outcome::Sent, 2));
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn too_many_requests_is_retried_until_attempts_run_out() {
    let (receiver, address) = Receiver::start(&[(429, 0), (429, 0), (429, 0)]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(sendgrid_config(address, 3))
        .dispatch(&[alert("inc-5", "erin@example.com")], T0, &mut log)
        .await;
    let (outcome, attempts) = only(&report);
    assert_eq!(attempts, 3);
    assert!(
        matches!(outcome, Outcome::Failed { reason } if reason.contains("429")),
        "{outcome:?}"
    );
    assert_eq!(receiver.requests().len(), 3);
    assert!(
        log.entries().is_empty(),
        "failed deliveries are not recorded"
    );
}

#[tokio::test]
async fn client_error_is_not_retried() {
    let (receiver, address) = Receiver::start(&[(400, 0)]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(sendgrid_config(address, 3))
        .dispatch(&[alert("inc-6", "frank@example.com")], T0, &mut log)
        .await;
    let (outcome, attempts) = only(&report);
    assert_eq!(attempts, 1);
    assert_eq!(
        outcome,
        &Outcome::Failed {
            reason: "HTTP status 400: receiver says hi".to_owned()
        }
    );
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn receiver_down_is_reported_without_the_url() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let (_dir, mut log) = sent_log();
    let report = dispatcher(webhook_config(address, "generic", 2))
        .dispatch(&[alert("inc-7", "grace@example.com")], T0, &mut log)
        .await;
    let (outcome, attempts) = only(&report);
    assert_eq!(attempts, 2);
    let Outcome::Failed { reason } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(reason.starts_with("cannot connect"), "{reason}");
    assert!(!reason.contains("SECRETPATH"), "{reason}");
}

#[tokio::test]
async fn slow_receiver_times_out() {
    let (receiver, address) = Receiver::start(&[(200, 3_000), (200, 3_000)]).await;
    let (_dir, mut log) = sent_log();
    let report = dispatcher(sendgrid_config(address, 2))
        .dispatch(&[alert("inc-8", "heidi@example.com")], T0, &mut log)
        .await;
    assert_eq!(
        only(&report),
        (
            &Outcome::Failed {
                reason: "no answer within 1 s".to_owned()
            },
            2
        )
    );
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn missing_api_key_fails_at_once() {
    let (receiver, address) = Receiver::start(&[]).await;
    let (_dir, mut log) = sent_log();
    let report = Dispatcher::with_secrets(sendgrid_config(address, 3), Box::new(|_| None))
        .dispatch(&[alert("inc-9", "ivan@example.com")], T0, &mut log)
        .await;
    assert_eq!(
        only(&report),
        (
            &Outcome::Failed {
                reason: "environment variable SENDGRID_API_KEY is not set".to_owned()
            },
            1
        )
    );
    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn same_alert_is_sent_once_across_dispatches() {
    let (receiver, address) = Receiver::start(&[]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data/sent.json");
    let alerts = [alert("inc-10", "judy@example.com")];
    let sender = dispatcher(webhook_config(address, "generic", 3));

    let mut log = JsonSentLog::open(&path).expect("log");
    let first = sender.dispatch(&alerts, T0, &mut log).await;
    assert_eq!(only(&first), (&Outcome::Sent, 1));

    let mut reopened = JsonSentLog::open(&path).expect("log from file");
    assert!(reopened.was_sent("webhook", "inc-10"));
    let second = sender
        .dispatch(&alerts, T0 + 10 * 3_600_000, &mut reopened)
        .await;
    assert_eq!(only(&second), (&Outcome::Deduplicated, 0));
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn alerts_over_the_hourly_limit_go_out_in_one_digest() {
    let (receiver, address) = Receiver::start(&[]).await;
    let (_dir, mut log) = sent_log();
    let sender = dispatcher(webhook_config(address, "generic", 3));
    let alerts: Vec<Alert> = (1..=5)
        .map(|n| alert(&format!("inc-r{n}"), &format!("user{n}@example.com")))
        .collect();
    let report = sender.dispatch(&alerts, T0, &mut log).await;

    let outcomes: Vec<(&str, &Outcome)> = report
        .deliveries
        .iter()
        .map(|delivery| (delivery.key.as_str(), &delivery.outcome))
        .collect();
    let limited = Outcome::RateLimited { digest_sent: true };
    assert_eq!(
        outcomes,
        [
            ("inc-r1", &Outcome::Sent),
            ("inc-r2", &Outcome::Sent),
            ("digest", &Outcome::Sent),
            ("inc-r3", &limited),
            ("inc-r4", &limited),
            ("inc-r5", &limited),
        ]
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    let digest = requests[2].json();
    assert_eq!(digest["type"], "digest");
    let keys: Vec<&str> = digest["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|alert| alert["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["inc-r3", "inc-r4", "inc-r5"]);

    // Still within the hour: the limit is used up, so a new alert goes to a digest too.
    let later = sender
        .dispatch(
            &[alert("inc-r6", "u6@example.com")],
            T0 + 3_599_999,
            &mut log,
        )
        .await;
    assert!(
        later
            .deliveries
            .iter()
            .any(|d| d.key == "inc-r6" && d.outcome == limited)
    );
    // An hour later the limit has room again; digested alerts are not repeated.
    let next_hour = sender
        .dispatch(
            &[alerts[2].clone(), alert("inc-r7", "u7@example.com")],
            T0 + 3_600_000,
            &mut log,
        )
        .await;
    let outcomes: Vec<(&str, &Outcome)> = next_hour
        .deliveries
        .iter()
        .map(|delivery| (delivery.key.as_str(), &delivery.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("inc-r3", &Outcome::Deduplicated),
            ("inc-r7", &Outcome::Sent)
        ]
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_reports_or_errors() {
    let (_receiver, address) = Receiver::start(&[(401, 0)]).await;
    let mut config = sendgrid_config(address, 1);
    config.webhook = webhook_config(address, "generic", 1).webhook;
    let (_dir, mut log) = sent_log();
    let sender = dispatcher(config.clone());
    let report = sender
        .dispatch(&[alert("inc-11", "mallory@example.com")], T0, &mut log)
        .await;
    let test_report = sender.send_test(T0).await;
    let everything = format!(
        "{config:?}\n{report:?}\n{}\n{test_report:?}\n{}",
        report.lines().join("\n"),
        serde_json::to_string(&report).expect("json")
    );
    for secret in [SENDGRID_KEY, WEBHOOK_SECRET, "SECRETPATH"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked in {everything}"
        );
    }
    assert!(report.failures() >= 1, "the 401 is reported: {everything}");
}
