//! Continuous monitoring through `POST /api/v1/events`: bodies and encodings, every record
//! answered in request order, duplicates, time order, restarts and back-pressure.

use std::io::Write;

use engine::enrich::NoGeolocation;
use engine::{AnalysisConfig, IngestOptions};
use serde_json::{Value, json};
use service::monitor::Monitor;
use service::ports::MonitorStore;

use crate::support::{MemoryMonitorStore, detection_on, fresh_store, state};
use crate::web::{
    Arc, AuthMode, Body, BodyExt, PageFiles, Path, Request, Router, ServerSettings, ServiceExt,
    StatusCode, app, get, header, json_of,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/formats")
            .join(name),
    )
    .unwrap()
}

/// The app with its monitor on `store`, queueing at most `queue_depth` requests.
pub(crate) async fn monitoring(store: Arc<dyn MonitorStore>, queue_depth: usize) -> Router {
    monitoring_with_hec_tokens(store, queue_depth, Vec::new(), 0).await
}

/// [`monitoring`] with the HEC endpoint taking only `hec_tokens`, each sending at most
/// `ingest_rate_per_token` events a second (0: no limit).
pub(crate) async fn monitoring_with_hec_tokens(
    store: Arc<dyn MonitorStore>,
    queue_depth: usize,
    hec_tokens: Vec<String>,
    ingest_rate_per_token: u32,
) -> Router {
    monitoring_for(
        detection_on(Arc::new(fresh_store().await), None),
        store,
        queue_depth,
        hec_tokens,
        ingest_rate_per_token,
    )
}

/// [`monitoring_with_hec_tokens`] with the app's use-cases on `detection`.
fn monitoring_for(
    detection: service::DetectionService,
    store: Arc<dyn MonitorStore>,
    queue_depth: usize,
    hec_tokens: Vec<String>,
    ingest_rate_per_token: u32,
) -> Router {
    let mut state = state(
        detection,
        ServerSettings {
            max_upload_bytes: 256 * 1024,
            ..ServerSettings::default()
        },
        AuthMode::Local,
        PageFiles::default(),
    );
    state.monitor = Monitor::start(
        AnalysisConfig::default(),
        Arc::new(NoGeolocation),
        store,
        queue_depth,
        state.detection.activity.clone(),
        None,
    )
    .unwrap();
    state.hec_tokens = Arc::new(server::web::hec::HecTokens(hec_tokens));
    state.ingest_rates = Arc::new(server::web::ingest_rate::IngestRates::new(
        ingest_rate_per_token,
    ));
    app(state)
}

async fn in_memory() -> Router {
    monitoring(Arc::new(MemoryMonitorStore::default()), 8).await
}

fn post(uri: &str, content_type: &str, gzip: bool, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, content_type);
    if gzip {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    request.body(Body::from(body)).unwrap()
}

fn ndjson(records: &[Value]) -> Vec<u8> {
    records
        .iter()
        .map(|record| format!("{record}\n"))
        .collect::<String>()
        .into_bytes()
}

pub(crate) fn gzipped(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(index, result)| {
            assert_eq!(result["index"], index, "{result}");
            result["status"].as_str().unwrap()
        })
        .collect()
}

pub(crate) fn csv_login(time: &str, user: &str, ip: &str) -> Value {
    json!({"timestamp": time, "user_id": user, "ip_address": ip,
           "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "success": "true"})
}

#[tokio::test]
async fn records_of_several_formats_are_each_answered_in_request_order() {
    let router = in_memory().await;
    let okta: Value = serde_json::from_slice(
        fixture("okta-systemlog.jsonl")
            .split(|b| *b == b'\n')
            .next()
            .unwrap(),
    )
    .unwrap();
    let mut password_change = okta.clone();
    password_change["eventType"] = json!("user.account.update_password");
    password_change["uuid"] = json!("f1a6e0b2-0000-0000-0000-000000000099");
    let records = [
        okta.clone(),
        csv_login("2026-03-02T09:00:00Z", "bob@example.com", "198.51.100.7"),
        json!({"user_id": "nobody"}),
        password_change,
        csv_login("2026-03-02T09:05:00Z", "bob@example.com", "not-an-address"),
        okta,
    ];
    let mut body = ndjson(&records);
    body.extend_from_slice(b"{not json}\n");
    let (status, answer) = json_of(
        &router,
        post(
            "/api/v1/events?source=acme",
            "application/x-ndjson",
            false,
            body,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["source"], "acme");
    assert_eq!(
        statuses(&answer),
        [
            "scored",
            "scored",
            "rejected",
            "skipped",
            "rejected",
            "duplicate",
            "rejected"
        ]
    );
    let results = &answer["results"];
    assert_eq!(results[0]["account"]["user_id"], "alice@example.com");
    assert!(results[0]["risk_score"].is_number());
    assert!(results[0]["reasons"].is_array());
    assert_eq!(results[5]["login_id"], results[0]["login_id"]);
    assert!(
        results[4]["reason"]
            .as_str()
            .unwrap()
            .contains("not-an-address"),
        "{}",
        results[4]
    );
}

#[tokio::test]
async fn a_gzipped_json_array_is_scored_as_the_file_reader_reads_it_and_a_retry_is_duplicate() {
    let router = in_memory().await;
    let file = fixture("ocsf-authentication.jsonl");
    let records: Vec<Value> = file
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect();
    let read = engine::read_slice(&file, &IngestOptions::default()).unwrap();
    let body = gzipped(&serde_json::to_vec(&records).unwrap());
    let (status, first) = json_of(
        &router,
        post("/api/v1/events", "application/json", true, body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["source"], "default");
    let scored = statuses(&first)
        .iter()
        .filter(|status| **status == "scored")
        .count();
    assert_eq!(scored, read.events.len());
    assert_eq!(statuses(&first).len(), records.len());

    // Shippers retry: the same batch again is all duplicates, with the verdicts given before.
    let (_, again) = json_of(
        &router,
        post("/api/v1/events", "application/json", true, body),
    )
    .await;
    for (before, after) in first["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["results"].as_array().unwrap())
    {
        if before["status"] == "scored" {
            assert_eq!(after["status"], "duplicate");
            assert_eq!(after["risk_score"], before["risk_score"]);
            assert_eq!(after["login_id"], before["login_id"]);
        }
    }
}

#[tokio::test]
async fn bodies_the_endpoint_cannot_read_are_problems() {
    let router = in_memory().await;
    let csv = b"timestamp,user_id,ip_address\n".to_vec();
    let (status, problem) = json_of(&router, post("/api/v1/events", "text/csv", false, csv)).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem["code"], "unsupported_media_type");

    let (status, problem) = json_of(
        &router,
        post("/api/v1/events", "application/json", false, b"[{".to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "bad_records");

    let (status, problem) = json_of(
        &router,
        post(
            "/api/v1/events",
            "application/json",
            true,
            b"not gzip".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "bad_records");

    // Small when sent, over the upload limit when unpacked.
    let bomb = gzipped(&vec![b' '; 1024 * 1024]);
    assert!(bomb.len() < 16 * 1024);
    let response = respond(
        &router,
        post("/api/v1/events", "application/x-ndjson", true, bomb),
    )
    .await;
    assert_eq!(response.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.1["code"], "too_large");
    assert_eq!(response.2, "application/problem+json");

    let (status, problem) = json_of(
        &router,
        post(
            "/api/v1/events?source=No%20Spaces",
            "application/x-ndjson",
            false,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "bad_source");
}

#[tokio::test]
async fn a_login_older_than_the_latest_scored_is_rejected_saying_how_late() {
    let router = in_memory().await;
    let body = ndjson(&[
        csv_login("2026-03-02T09:10:00Z", "ana@example.com", "198.51.100.7"),
        // Within one request, logins are scored in time order whatever order they came in.
        csv_login("2026-03-02T09:00:00Z", "bob@example.com", "198.51.100.8"),
    ]);
    let (_, answer) = json_of(
        &router,
        post("/api/v1/events", "application/x-ndjson", false, body),
    )
    .await;
    assert_eq!(statuses(&answer), ["scored", "scored"]);
    let late = ndjson(&[csv_login(
        "2026-03-02T09:09:30Z",
        "cy@example.com",
        "198.51.100.9",
    )]);
    let (_, answer) = json_of(
        &router,
        post("/api/v1/events", "application/x-ndjson", false, late),
    )
    .await;
    assert_eq!(statuses(&answer), ["rejected"]);
    let reason = answer["results"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("arrived 30 s late"), "{reason}");
}

/// Logins of a few users over a day, and one more after them.
fn day_and_next() -> (Vec<u8>, Vec<u8>) {
    let day: Vec<Value> = (0..60)
        .map(|step| {
            let user = ["ana", "bob", "cy"][step % 3];
            let ip = format!("198.51.100.{}", 10 + step % 3);
            let time = format!("2026-03-02T{:02}:{:02}:00Z", 8 + step / 6, step % 6 * 10);
            csv_login(&time, user, &ip)
        })
        .collect();
    let next = csv_login("2026-03-02T19:00:00Z", "ana", "203.0.113.77");
    (ndjson(&day), ndjson(&[next]))
}

#[tokio::test]
async fn a_restarted_server_scores_the_next_login_as_one_that_never_stopped() {
    let (day, next) = day_and_next();
    let send = |router: Router, body: Vec<u8>| async move {
        json_of(
            &router,
            post(
                "/api/v1/events?source=acme",
                "application/x-ndjson",
                false,
                body,
            ),
        )
        .await
        .1
    };
    let store = Arc::new(fresh_store().await);
    let before = send(monitoring(store.clone(), 8).await, day.clone()).await;
    assert!(statuses(&before).iter().all(|status| *status == "scored"));
    // A new app (a restarted server) on the same database.
    let restarted = send(monitoring(store.clone(), 8).await, next.clone()).await;

    let running = monitoring(Arc::new(fresh_store().await), 8).await;
    send(running.clone(), day.clone()).await;
    let never_stopped = send(running, next).await;
    assert_eq!(restarted, never_stopped);
    assert_eq!(statuses(&restarted), ["scored"]);

    // What the first server acknowledged is remembered across the restart.
    let retried = send(monitoring(store, 8).await, day).await;
    assert!(
        statuses(&retried)
            .iter()
            .all(|status| *status == "duplicate")
    );
    assert_eq!(
        retried["results"][5]["risk_score"],
        before["results"][5]["risk_score"]
    );
}

#[tokio::test]
async fn a_full_queue_answers_503_busy_with_retry_after_and_loses_nothing_it_took() {
    let store = Arc::new(MemoryMonitorStore::gated());
    let router = monitoring(store.clone(), 1).await;
    let request = |minute: u32| {
        let time = format!("2026-03-02T09:{minute:02}:00Z");
        post(
            "/api/v1/events",
            "application/x-ndjson",
            false,
            ndjson(&[csv_login(&time, "ana", "198.51.100.7")]),
        )
    };
    // The first is being kept (the store waits), the second waits in the queue.
    let first = tokio::spawn(json_of_owned(router.clone(), request(1)));
    settle().await;
    let second = tokio::spawn(json_of_owned(router.clone(), request(2)));
    settle().await;
    let (status, problem, content_type, retry_after) = respond(&router, request(3)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "busy");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(retry_after.as_deref(), Some("1"));

    store.let_through(2);
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    assert_eq!(second.await.unwrap().0, StatusCode::OK);
    assert_eq!(store.kept_logins(), 2);
}

/// Lets every other task on the (single-threaded) test runtime run until it waits.
pub(crate) async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

pub(crate) async fn json_of_owned(router: Router, request: Request<Body>) -> (StatusCode, Value) {
    json_of(&router, request).await
}

/// A request's status, JSON body, Content-Type and Retry-After.
pub(crate) async fn respond(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, Value, String, Option<String>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let header_of = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_of(header::CONTENT_TYPE).unwrap_or_default();
    let retry_after = header_of(header::RETRY_AFTER);
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        content_type,
        retry_after,
    )
}

/// A source's monitored logins over a time range are read as an analysis is, through the REST
/// API: summary, logins (JSON pages and CSV), incidents and reports, each answer as the API
/// document describes it; by default the span is the last 24 hours.
#[tokio::test]
async fn monitored_logins_over_a_time_range_are_summarised_listed_and_reported() {
    use crate::api_contract::{answer, assert_documented, document};

    let router = in_memory().await;
    let document = document();
    let mut records: Vec<Value> = (1..=20)
        .map(|day| {
            csv_login(
                &format!("2026-02-{day:02}T08:30:00Z"),
                "ana@example.com",
                "198.51.100.7",
            )
        })
        .collect();
    // A brute force on ana: 40 wrong guesses from one address, then the right one.
    for second in 0..40 {
        let mut guess = csv_login(
            &format!("2026-03-02T09:00:{second:02}Z"),
            "ana@example.com",
            "203.0.113.9",
        );
        guess["success"] = json!("false");
        records.push(guess);
    }
    records.push(csv_login(
        "2026-03-02T09:01:00Z",
        "ana@example.com",
        "203.0.113.9",
    ));
    let (status, body, _, _) = respond(
        &router,
        post(
            "/api/v1/events?source=acme",
            "application/x-ndjson",
            false,
            ndjson(&records),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let span = "from=2026-02-01&to=2026-03-02";
    let summary = answer(&router, get(&format!("/api/v1/monitored/ACME?{span}"))).await;
    assert_documented(&document, &summary);
    let summary = summary.json();
    assert_eq!(summary["source"], "acme");
    assert_eq!(summary["summary"]["profile"]["accepted"], 61);
    assert_eq!(summary["summary"]["profile"]["failures"], 40);
    assert!(
        summary["summary"]["at_or_above_threshold"]
            .as_u64()
            .unwrap()
            >= 1,
        "{summary}"
    );
    assert_eq!(
        summary["links"]["report"],
        format!("/api/v1/monitored/acme/report?kind=executive&format=pdf&{span}")
    );
    let today = answer(&router, get("/api/v1/monitored/acme")).await;
    assert_documented(&document, &today);
    assert_eq!(
        today.json()["summary"]["profile"]["accepted"],
        0,
        "the last 24 hours hold none of March's logins"
    );

    let risky = answer(
        &router,
        get(&format!("/api/v1/monitored/acme/events?level=high&{span}")),
    )
    .await;
    assert_documented(&document, &risky);
    let risky = risky.json();
    assert!(risky["matching"].as_u64().unwrap() >= 1, "{risky}");
    assert!(
        risky["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["user_id"] == "ana@example.com" && row["ip"] == "203.0.113.9"),
        "{risky}"
    );
    let csv = answer(
        &router,
        get(&format!("/api/v1/monitored/acme/events?format=csv&{span}")),
    )
    .await;
    assert_documented(&document, &csv);
    assert_eq!(
        String::from_utf8_lossy(&csv.body).lines().count(),
        62,
        "a header and every login"
    );
    let incidents = answer(
        &router,
        get(&format!(
            "/api/v1/monitored/acme/incidents?level=low&{span}"
        )),
    )
    .await;
    assert_documented(&document, &incidents);
    let incidents = incidents.json();
    assert!(
        incidents["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|incident| incident.to_string().contains("ana@example.com")),
        "{incidents}"
    );
    for (kind, format) in [
        ("executive", "pdf"),
        ("incident", "csv"),
        ("technical", "json"),
    ] {
        let report = answer(
            &router,
            get(&format!(
                "/api/v1/monitored/acme/report?kind={kind}&format={format}&{span}"
            )),
        )
        .await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.asked);
        assert_documented(&document, &report);
        if format == "pdf" {
            assert!(report.body.starts_with(b"%PDF"));
        }
    }
    for (refused, code) in [
        (
            "/api/v1/monitored/acme/report?format=ecs",
            "unsupported_format",
        ),
        (
            "/api/v1/monitored/acme/events?format=ocsf",
            "unsupported_format",
        ),
        ("/api/v1/monitored/a%20b", "bad_source"),
        (
            "/api/v1/monitored/acme?from=2026-03-05&to=2026-03-01",
            "bad_filter",
        ),
    ] {
        let answer = answer(&router, get(refused)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(answer.json()["code"], code, "{refused}");
        assert_documented(&document, &answer);
    }
}

#[tokio::test]
async fn metrics_count_records_by_source_and_outcome_in_the_prometheus_text_format() {
    let router = in_memory().await;
    let body = ndjson(&[
        csv_login("2026-03-02T09:00:00Z", "ana@example.com", "198.51.100.7"),
        csv_login("2026-03-02T09:01:00Z", "ana@example.com", "198.51.100.7"),
        json!({"user_id": "nobody"}),
    ]);
    for _ in 0..2 {
        let (status, answer) = json_of(
            &router,
            post(
                "/api/v1/events?source=acme",
                "application/x-ndjson",
                false,
                body.clone(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let response = router
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for expected in [
        "skytrace_ingest_records_total{source=\"acme\",outcome=\"scored\"} 2",
        "skytrace_ingest_records_total{source=\"acme\",outcome=\"duplicate\"} 2",
        "skytrace_ingest_records_total{source=\"acme\",outcome=\"rejected\"} 2",
        "skytrace_ingest_busy_total 0",
        "skytrace_ingest_queue_depth 0",
        "skytrace_ingest_latency_seconds_bucket{le=\"+Inf\"} 2",
        "skytrace_ingest_latency_seconds_count 2",
    ] {
        assert!(
            text.lines().any(|line| line == expected),
            "{expected}:\n{text}"
        );
    }
    // Every sample is `name{labels} value` after its family's HELP and TYPE.
    let mut declared = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            declared.insert(rest.split(' ').next().unwrap().to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|family| declared.contains(*family))
            .unwrap_or(name);
        assert!(declared.contains(family), "{line}: no TYPE for {family}");
    }
}

/// Streaming a log through the monitor in batches, as shippers send it, ranks its attacks as
/// well as analysing the whole file (ROC-AUC within 0.005), and the same arrival order gives
/// the same scores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_a_log_in_batches_ranks_as_analysing_it_whole() {
    use engine::ingest::RecordOutcome;

    let rows = scenario::generate(&scenario::ScenarioParams::sample()).expect("scenario");
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).expect("csv");
    let logins = engine::read_slice(&csv, &IngestOptions::default())
        .expect("ingest")
        .events;
    assert_eq!(logins.len(), rows.len());
    let attack: Vec<bool> = rows.iter().map(|row| row.label.is_attack()).collect();
    let whole = engine::analyze(&logins, &AnalysisConfig::default(), &NoGeolocation, |_| {})
        .expect("analysis");

    let streamed = || async {
        let store = Arc::new(MemoryMonitorStore::default());
        let monitor = Monitor::start(
            AnalysisConfig::default(),
            Arc::new(NoGeolocation),
            store.clone(),
            8,
            Default::default(),
            None,
        )
        .expect("monitor");
        let source = service::source::SourceName::default();
        for batch in logins.chunks(500) {
            let records = batch
                .iter()
                .map(|login| RecordOutcome::Event(Box::new(login.clone())))
                .collect();
            monitor
                .submit_read(source.clone(), records)
                .await
                .expect("kept");
        }
        let by_id: std::collections::HashMap<String, f64> = store
            .kept_in(&source)
            .into_iter()
            .map(|kept| (kept.login_id, kept.scored.risk_score))
            .collect();
        whole
            .events
            .iter()
            .map(|event| by_id[&event.login_id()])
            .collect::<Vec<f64>>()
    };
    let first = streamed().await;
    let second = streamed().await;
    assert_eq!(first, second, "the same arrival order, the same scores");

    let whole_scores: Vec<f64> = whole.events.iter().map(|event| event.risk_score).collect();
    let (whole_auc, streamed_auc) = (roc_auc(&whole_scores, &attack), roc_auc(&first, &attack));
    assert!(
        (whole_auc - streamed_auc).abs() <= 0.005,
        "whole {whole_auc:.4}, streamed {streamed_auc:.4}"
    );
    let differing = whole_scores
        .iter()
        .zip(&first)
        .filter(|(whole, streamed)| whole != streamed)
        .count();
    println!(
        "ROC-AUC whole {whole_auc:.4}, streamed in batches of 500 {streamed_auc:.4}; \
         {differing} of {} scores differ",
        first.len()
    );
}

/// The probability that an attack login outscores a normal one (ties count half).
fn roc_auc(scores: &[f64], attack: &[bool]) -> f64 {
    let mut ranked: Vec<(f64, bool)> = scores.iter().copied().zip(attack.iter().copied()).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut below, mut wins, mut start) = (0.0, 0.0, 0);
    while start < ranked.len() {
        let end = start
            + ranked[start..]
                .iter()
                .take_while(|(s, _)| *s == ranked[start].0)
                .count();
        let tied_attacks = ranked[start..end].iter().filter(|(_, a)| *a).count() as f64;
        let tied_normal = (end - start) as f64 - tied_attacks;
        wins += tied_attacks * (below + tied_normal / 2.0);
        below += tied_normal;
        start = end;
    }
    let attacks = attack.iter().filter(|a| **a).count() as f64;
    wins / (attacks * below)
}

/// A verdict on a login only the monitor holds: recorded through the findings API by its id
/// (the login is found among the monitored ones, as "live"), and the next login from its
/// address, of another account, is flagged as coming from a compromised login's address.
#[tokio::test]
async fn a_monitored_login_takes_a_verdict_that_flags_its_address() {
    let store = Arc::new(fresh_store().await);
    let router = monitoring_for(
        detection_on(Arc::clone(&store), None),
        store,
        8,
        Vec::new(),
        0,
    );
    let send = |login: Value| {
        let router = router.clone();
        async move {
            let (status, answer) = json_of(
                &router,
                post(
                    "/api/v1/events?source=acme",
                    "application/x-ndjson",
                    false,
                    ndjson(&[login]),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            answer["results"][0].clone()
        }
    };
    let taken = send(csv_login("2026-03-02T08:00:00Z", "ana", "203.0.113.7")).await;
    let login_id = taken["login_id"].as_str().unwrap().to_owned();

    let triage = Request::post(format!("/api/v1/findings/{login_id}/triage"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"verdict": "confirmed_compromised", "comment": "ana did not sign in"})
                .to_string(),
        ))
        .unwrap();
    let (status, finding) = json_of(&router, triage).await;
    assert_eq!(status, StatusCode::OK, "{finding}");
    assert_eq!(finding["analyses"][0]["analysis_id"], "live", "{finding}");
    assert_eq!(finding["analyses"][0]["source"], "acme", "{finding}");
    assert_eq!(
        finding["triage"]["current"]["verdict"], "confirmed_compromised",
        "{finding}"
    );

    let next = send(csv_login("2026-03-02T09:00:00Z", "bo", "203.0.113.7")).await;
    let reasons: Vec<&str> = next["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("confirmed compromised")),
        "{next}"
    );
    assert!(
        matches!(next["risk_level"].as_str(), Some("High" | "Critical")),
        "{next}"
    );
}
