//! The Splunk HTTP Event Collector–compatible endpoint: envelopes back to back, raw lines,
//! Splunk's tokens and status codes, and back-pressure a shipper retries on.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::monitor::{csv_login, gzipped, json_of_owned, monitoring, respond, settle};
use crate::support::MemoryMonitorStore;
use crate::web::{Body, Request, Router, StatusCode, header, json_of};

fn to_collector(uri: &str, authorization: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    request.body(body.into()).unwrap()
}

fn back_to_back(envelopes: &[Value]) -> String {
    envelopes.iter().map(Value::to_string).collect()
}

/// The app with its monitor in memory and the collector taking only `token`.
async fn with_token(token: &str) -> Router {
    let store = Arc::new(MemoryMonitorStore::default());
    crate::monitor::monitoring_with_hec_tokens(store, 8, vec![token.to_owned()], 0).await
}

#[tokio::test]
async fn envelopes_back_to_back_are_scored_in_their_index_and_kept_once() {
    let store = Arc::new(MemoryMonitorStore::default());
    let router = monitoring(store.clone(), 8).await;
    let mut without_time = csv_login("2026-03-02T09:00:00Z", "ana@example.com", "198.51.100.7");
    without_time.as_object_mut().unwrap().remove("timestamp");
    let as_text = csv_login("2026-03-02T09:05:00Z", "ana@example.com", "198.51.100.7").to_string();
    let body = back_to_back(&[
        // 2026-03-02T09:00:00.500Z, from the envelope.
        json!({"time": 1_772_442_000.5, "host": "idp-1", "sourcetype": "_json", "event": without_time}),
        json!({"time": "1772442300", "event": as_text}),
        json!({"event": {"user_id": "nobody"}}),
        json!({"index": "branch", "event": csv_login("2026-03-02T09:06:00Z", "bo@example.com", "203.0.113.9")}),
    ]);
    let (status, answer) = json_of(
        &router,
        to_collector(
            "/services/collector/event",
            Some("Splunk any"),
            body.clone(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["code"], 0);
    assert_eq!(answer["text"], "Success");
    assert_eq!(answer["accepted"], 3);
    assert_eq!(answer["rejected"][0]["event"], 2, "{answer}");
    assert!(answer["rejected"][0]["reason"].as_str().unwrap().len() > 10);
    assert_eq!(store.kept_logins(), 3);

    // A shipper's retry keeps nothing twice; the same logins sent to the REST endpoint are
    // duplicates of what the collector kept, in the source its `index` named.
    let (status, retried) = json_of(
        &router,
        to_collector("/services/collector", Some("Splunk any"), body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(store.kept_logins(), 3);
    let ndjson = format!(
        "{}\n",
        csv_login("2026-03-02T09:06:00Z", "bo@example.com", "203.0.113.9")
    );
    let (_, answer) = json_of(
        &router,
        Request::post("/api/v1/events?source=branch")
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .body(Body::from(ndjson))
            .unwrap(),
    )
    .await;
    assert_eq!(answer["results"][0]["status"], "duplicate", "{answer}");
}

#[tokio::test]
async fn raw_lines_and_gzip_bodies_are_read_as_the_events_endpoint_reads_them() {
    let store = Arc::new(MemoryMonitorStore::default());
    let router = monitoring(store.clone(), 8).await;
    // JSON records and sshd lines of an auth.log, as `skytrace watch` reads them.
    let lines = format!(
        "{}\n\n{}\n{{\"user_id\": \"nobody\"}}\n\
         Mar  2 09:02:00 web1 sshd[41]: Accepted password for ana from 198.51.100.7 port 2 ssh2\n\
         Mar  2 09:02:01 web1 CRON[42]: pam_unix(cron:session): session closed\n\
         neither JSON nor syslog\n",
        csv_login("2026-03-02T09:00:00Z", "ana@example.com", "198.51.100.7"),
        csv_login("2026-03-02T09:01:00Z", "ana@example.com", "198.51.100.7"),
    );
    let mut request = to_collector(
        "/services/collector/raw?index=vpn",
        Some("Splunk any"),
        gzipped(lines.as_bytes()),
    );
    request
        .headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let (status, answer) = json_of(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 3, "{answer}");
    assert_eq!(answer["skipped"], 1, "{answer}");
    assert_eq!(answer["rejected"][0]["event"], 2, "{answer}");
    assert_eq!(answer["rejected"][1]["event"], 5, "{answer}");
    assert!(
        answer["rejected"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("not a syslog line"),
        "{answer}"
    );
    assert_eq!(store.kept_logins(), 3);
}

#[tokio::test]
async fn bad_envelopes_are_refused_with_splunks_codes_and_nothing_is_kept() {
    let store = Arc::new(MemoryMonitorStore::default());
    let router = monitoring(store.clone(), 8).await;
    let login = csv_login("2026-03-02T09:00:00Z", "ana@example.com", "198.51.100.7");
    let cases = [
        (String::new(), 5, None),
        (" \n ".to_owned(), 5, None),
        (
            format!("{}{{\"event\":", json!({ "event": login })),
            6,
            Some(1),
        ),
        ("[1, 2]".to_owned(), 6, Some(0)),
        (json!({"time": 1}).to_string(), 12, Some(0)),
        (json!({"event": "  "}).to_string(), 13, Some(0)),
        (json!({"event": null}).to_string(), 13, Some(0)),
        (
            back_to_back(&[
                json!({"event": login}),
                json!({"index": "no such/index", "event": login}),
            ]),
            7,
            Some(1),
        ),
    ];
    for (body, code, event_number) in cases {
        let (status, answer) = json_of(
            &router,
            to_collector("/services/collector/event", None, body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {answer}");
        assert_eq!(answer["code"], code, "{body:?}: {answer}");
        match event_number {
            Some(number) => assert_eq!(answer["invalid-event-number"], number, "{answer}"),
            None => assert!(answer.get("invalid-event-number").is_none(), "{answer}"),
        }
    }
    assert_eq!(store.kept_logins(), 0);
}

#[tokio::test]
async fn health_is_open_and_acknowledgements_say_what_a_channel_had_kept() {
    let router = with_token("s3cret").await;
    let (status, answer) = json_of(
        &router,
        Request::get("/services/collector/health")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (StatusCode::OK, Some(17))
    );
    // Acknowledgements need a channel.
    let (status, answer) = json_of(
        &router,
        to_collector(
            "/services/collector/ack",
            Some("Splunk s3cret"),
            "{\"acks\":[0]}",
        ),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(10))
    );

    // A shipper with a channel (Vector's default): each answer has the channel's next id, and
    // every id given is kept (events are kept before the answer); an id never given is not.
    let channel = "5B0A6D2E-7C1F-4E3A-9D8B-0123456789AB";
    let in_channel = |uri: &str, body: String| {
        let mut request = to_collector(uri, Some("Splunk s3cret"), body);
        request
            .headers_mut()
            .insert("x-splunk-request-channel", channel.parse().unwrap());
        request
    };
    for (time, expected_id) in [("2026-03-02T09:01:00Z", 0), ("2026-03-02T09:02:00Z", 1)] {
        let envelope = json!({"event": csv_login(time, "ann", "10.0.0.1")});
        let (status, answer) = json_of(
            &router,
            in_channel("/services/collector/event", envelope.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["ackId"], expected_id, "{answer}");
    }
    let (status, answer) = json_of(
        &router,
        in_channel("/services/collector/ack", "{\"acks\":[0,1,7]}".to_owned()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"acks": {"0": true, "1": true, "7": false}}));
    // The channel may also come in the query; another channel's ids are its own.
    let (_, answer) = json_of(
        &router,
        to_collector(
            "/services/collector/ack?channel=another",
            Some("Splunk s3cret"),
            "{\"acks\":[0]}",
        ),
    )
    .await;
    assert_eq!(answer, json!({"acks": {"0": false}}));
    // Without a channel, no id; a malformed one or body is refused in Splunk's terms.
    let envelope = json!({"event": csv_login("2026-03-02T09:03:00Z", "ann", "10.0.0.1")});
    let (_, answer) = json_of(
        &router,
        to_collector(
            "/services/collector",
            Some("Splunk s3cret"),
            envelope.to_string(),
        ),
    )
    .await;
    assert_eq!(answer["code"], 0);
    assert!(answer.get("ackId").is_none(), "{answer}");
    let (status, answer) = json_of(
        &router,
        to_collector(
            "/services/collector/ack?channel=two%20words",
            Some("Splunk s3cret"),
            "{\"acks\":[0]}",
        ),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(11))
    );
    let (status, answer) = json_of(
        &router,
        in_channel("/services/collector/ack", "[0]".to_owned()),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(6))
    );
}

#[tokio::test]
async fn a_configured_token_is_required_in_splunks_header() {
    let router = with_token("s3cret").await;
    answers_each_authorization(
        &router,
        &[
            (None, StatusCode::UNAUTHORIZED, 2),
            (Some("Bearer s3cret"), StatusCode::UNAUTHORIZED, 3),
            (Some("Splunk"), StatusCode::UNAUTHORIZED, 3),
            (Some("Splunk wrong"), StatusCode::FORBIDDEN, 4),
            (Some("splunk s3cret"), StatusCode::OK, 0),
        ],
    )
    .await;
}

/// One event sent with each `Authorization` (or none) is answered with that status and code.
async fn answers_each_authorization(router: &Router, cases: &[(Option<&str>, StatusCode, i64)]) {
    let body =
        json!({"event": csv_login("2026-03-02T09:00:00Z", "ana@example.com", "198.51.100.7")})
            .to_string();
    for &(authorization, status, code) in cases {
        let (answered, answer) = json_of(
            router,
            to_collector("/services/collector/event", authorization, body.clone()),
        )
        .await;
        assert_eq!(answered, status, "{authorization:?}: {answer}");
        assert_eq!(answer["code"], code, "{authorization:?}: {answer}");
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_code_9_with_retry_after_and_loses_nothing_it_took() {
    let store = Arc::new(MemoryMonitorStore::gated());
    let router = monitoring(store.clone(), 1).await;
    let request = |minute: u32| {
        let time = format!("2026-03-02T09:{minute:02}:00Z");
        to_collector(
            "/services/collector/event",
            None,
            json!({"event": csv_login(&time, "ana@example.com", "198.51.100.7")}).to_string(),
        )
    };
    let first = tokio::spawn(json_of_owned(router.clone(), request(1)));
    settle().await;
    let second = tokio::spawn(json_of_owned(router.clone(), request(2)));
    settle().await;
    let (status, answer, _, retry_after) = respond(&router, request(3)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["code"], 9);
    assert_eq!(answer["text"], "Server is busy");
    assert_eq!(retry_after.as_deref(), Some("1"));

    store.let_through(2);
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    assert_eq!(second.await.unwrap().0, StatusCode::OK);
    assert_eq!(store.kept_logins(), 2);
}

#[tokio::test]
async fn a_hosted_server_takes_ingest_tokens_in_splunks_header_and_answers_in_splunks_terms() {
    let (router, accounts, api_token) = crate::web_auth::hosted_app().await;
    let ingest_token = crate::web_auth::ingest_token(&accounts).await;
    let person = format!("Splunk {api_token}");
    let shipper = format!("Splunk {ingest_token}");
    answers_each_authorization(
        &router,
        &[
            (None, StatusCode::UNAUTHORIZED, 2),
            (Some("Splunk skt_not-a-token"), StatusCode::FORBIDDEN, 4),
            (Some(person.as_str()), StatusCode::FORBIDDEN, 4),
            (Some(shipper.as_str()), StatusCode::OK, 0),
        ],
    )
    .await;
    // Nothing else opens to a HEC-shaped path: a page asks to sign in.
    let (status, _) = json_of(
        &router,
        Request::get("/services/collectorx")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// A token over `--ingest-rate-per-token` is told it is busy for as long as it must wait (503,
/// code 9: shippers retry that), keeps nothing of that request, and another token is not held
/// back.
#[tokio::test]
async fn each_token_is_held_to_its_rate_and_told_when_to_retry() {
    let store = Arc::new(MemoryMonitorStore::default());
    let router = crate::monitor::monitoring_with_hec_tokens(
        store.clone(),
        8,
        vec!["noisy".to_owned(), "quiet".to_owned()],
        10,
    )
    .await;
    let batch = |first_minute: u32, count: u32| {
        back_to_back(
            &(first_minute..first_minute + count)
                .map(|minute| {
                    let time = format!("2026-03-02T{:02}:{:02}:00Z", 9 + minute / 60, minute % 60);
                    json!({"event": csv_login(&time, "ana@example.com", "198.51.100.7")})
                })
                .collect::<Vec<_>>(),
        )
    };
    let send = |token: &str, body: String| {
        let router = router.clone();
        let request = to_collector(
            "/services/collector/event",
            Some(&format!("Splunk {token}")),
            body,
        );
        async move {
            let (status, answer, _, retry_after) = respond(&router, request).await;
            (status, answer["code"].clone(), retry_after)
        }
    };
    // A batch of 30 passes at 10 a second (a batch may spend ahead), then the debt of 20 events
    // holds the token back about 2 s.
    let (status, code, _) = send("noisy", batch(0, 30)).await;
    assert_eq!((status, code), (StatusCode::OK, json!(0)));
    let (status, code, retry_after) = send("noisy", batch(30, 1)).await;
    assert_eq!((status, code), (StatusCode::SERVICE_UNAVAILABLE, json!(9)));
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!((2..=3).contains(&wait), "Retry-After {wait}");
    let (status, code, _) = send("quiet", batch(100, 5)).await;
    assert_eq!((status, code), (StatusCode::OK, json!(0)));
    assert_eq!(store.kept_logins(), 35, "nothing of the refused request");
}

/// Logins sent by a Splunk HEC client from PyPI (`splunk_handler`, a Python logging handler that
/// batches envelopes back to back) are kept in the source its index names.
#[test]
fn a_splunk_hec_client_from_pypi_delivers_logins_the_server_keeps() {
    use crate::kill_mid_ingest::{free_port, http, serve_with};

    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve_with(data.path(), port, &["--hec-token", "hec-test-token"]);
    let logins: Vec<String> = (0..5)
        .map(|minute| {
            csv_login(
                &format!("2026-03-02T09:0{minute}:00Z"),
                "ana@example.com",
                "198.51.100.7",
            )
            .to_string()
        })
        .collect();
    let python = std::env::var("SKYTRACE_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = format!(
        r#"
import logging, sys
from splunk_handler import SplunkHandler, force_flush
handler = SplunkHandler(host="127.0.0.1", port={port}, token="hec-test-token", index="pypi",
                        protocol="http", flush_interval=60, retry_count=0, debug=True)
log = logging.getLogger("skytrace-hec-test")
log.propagate = False
log.setLevel(logging.INFO)
log.addHandler(handler)
for line in sys.stdin:
    log.info(line.strip())
force_flush()
"#
    );
    let mut client = std::process::Command::new(&python)
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{python}: {error} (set SKYTRACE_PYTHON)"));
    {
        use std::io::Write;
        let mut stdin = client.stdin.take().unwrap();
        for login in &logins {
            writeln!(stdin, "{login}").unwrap();
        }
    }
    let output = client.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("Payload sent successfully"), "{said}");
    assert!(!said.contains("Exception"), "{said}");

    // The same logins posted again to the REST endpoint, in that source: all already kept.
    let body = logins.join("\n");
    let answer = http(
        port,
        format!(
            "POST /api/v1/events?source=pypi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let answer: Value = serde_json::from_str(json.trim()).unwrap_or_else(|_| panic!("{answer}"));
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["duplicate"; 5], "{answer}");
}
