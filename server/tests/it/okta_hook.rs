//! The Okta event hook: Okta's one-time verification, deliveries checked against the hook's
//! secret, System Log events scored as they arrive and redeliveries kept once.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::{MemoryMonitorStore, detection_on, fresh_store, state};
use crate::web::{
    AuthMode, Body, PageFiles, Request, Router, ServerSettings, StatusCode, app, header, json_of,
};

const SECRET: &str = "okta-hook-secret-1";

async fn with_hook(secret: Option<&str>) -> (Router, Arc<MemoryMonitorStore>) {
    let store = Arc::new(MemoryMonitorStore::default());
    let mut state = state(
        detection_on(Arc::new(fresh_store().await), None),
        ServerSettings::default(),
        AuthMode::Local,
        PageFiles::default(),
    );
    state.monitor = service::monitor::Monitor::start(
        engine::AnalysisConfig::default(),
        Arc::new(engine::enrich::NoGeolocation),
        store.clone(),
        8,
        state.detection.activity.clone(),
        None,
    )
    .unwrap();
    state.okta_hook_secret = Arc::new(server::web::okta_hook::OktaHookSecret(
        secret.map(str::to_owned),
    ));
    (app(state), store)
}

fn okta_events() -> Vec<Value> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/formats/okta-systemlog.jsonl"),
    )
    .unwrap()
    .lines()
    // The fixture ends with a damaged line, for the file reader's tests.
    .filter_map(|line| serde_json::from_str(line).ok())
    .collect()
}

fn delivery(events: &[Value], authorization: Option<&str>) -> Request<Body> {
    let body = json!({
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": "https://example.okta.com/api/v1/eventHooks/who8tj3hvUSIsX0ww0g4",
        "eventId": "b5a188b9-5ece-4636-b041-482ffda96311",
        "data": {"events": events},
        "eventTime": "2026-03-02T08:20:00.000Z",
        "contentType": "application/json",
    });
    let mut request =
        Request::post("/hooks/okta?source=okta").header(header::CONTENT_TYPE, "application/json");
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn okta_verifies_the_hook_with_its_secret() {
    let (router, _) = with_hook(Some(SECRET)).await;
    let challenge = |authorization: Option<&str>| {
        let mut request =
            Request::get("/hooks/okta").header("X-Okta-Verification-Challenge", "abc-123");
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        request.body(Body::empty()).unwrap()
    };
    let (status, answer) = json_of(&router, challenge(Some(SECRET))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"verification": "abc-123"}));
    for wrong in [
        None,
        Some("okta-hook-secret-2"),
        Some("Bearer okta-hook-secret-1"),
    ] {
        let (status, answer) = json_of(&router, challenge(wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}: {answer}");
    }
    // Off unless a secret is configured.
    let (router, _) = with_hook(None).await;
    let (status, _) = json_of(&router, challenge(Some(SECRET))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deliveries_are_scored_as_they_arrive_and_a_redelivery_is_kept_once() {
    let (router, store) = with_hook(Some(SECRET)).await;
    let events = okta_events();
    let (status, answer) = json_of(&router, delivery(&events, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(store.kept_logins(), 0);

    let (status, answer) = json_of(&router, delivery(&events, Some(SECRET))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["source"], "okta");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), events.len());
    let scored = results
        .iter()
        .filter(|result| result["status"] == "scored")
        .count();
    assert!(scored >= 3, "{answer}");
    assert!(
        results.iter().any(|result| result["status"] == "skipped"),
        "policy evaluations are not sign-ins: {answer}"
    );
    let kept = store.kept_logins();
    assert_eq!(kept, scored);

    // Okta retries a delivery it saw no answer to: nothing is kept twice.
    let (status, again) = json_of(&router, delivery(&events, Some(SECRET))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(store.kept_logins(), kept);
    assert!(
        again["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|result| result["status"] != "scored"),
        "{again}"
    );

    let (status, answer) = json_of(
        &router,
        Request::post("/hooks/okta")
            .header(header::AUTHORIZATION, SECRET)
            .body(Body::from("{\"data\": {}}"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "bad_records");
}
