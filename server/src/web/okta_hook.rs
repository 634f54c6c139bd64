//! An Okta Event Hook: Okta posts System Log events (`user.session.start`,
//! `user.authentication.*`, …) as they happen, and each is scored and kept as
//! `POST /api/v1/events` does ([`service::monitor`]); redeliveries are duplicates, kept once.
//!
//! - `GET /hooks/okta`: Okta's one-time verification; the `X-Okta-Verification-Challenge`
//!   header's value is sent back as `{"verification": …}`.
//! - `POST /hooks/okta?source=NAME`: a delivery, `{"data": {"events": [...]}}`.
//!
//! Both must carry the `Authorization` header value set in the hook's configuration in Okta
//! (`--okta-hook-secret`); without one configured the hook is off. Deliveries do not use the
//! server's sign-in: Okta authenticates with that shared secret.

use std::sync::Arc;

use app::ServerSettings;
use app::server_fns::upload::body_bytes;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use service::DetectionService;
use service::error::Categorised;
use service::monitor::{Monitor, MonitorError};
use service::source::SourceName;

use super::error::ApiError;
use super::state::AppState;
pub use super::state::OktaHookSecret;

pub const OKTA_HOOK_PATH: &str = "/hooks/okta";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(OKTA_HOOK_PATH, get(verify).post(deliver))
        // The server's upload limit (a layer on the whole app) applies to the body as sent.
        .layer(DefaultBodyLimit::disable())
}

/// Whether the request carries the configured secret.
fn authorised(secret: &OktaHookSecret, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = secret.0.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the Okta event hook is off: start the server with --okta-hook-secret",
        ));
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "the Authorization header is not the one set for this hook in Okta",
        ))
    }
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

async fn verify(State(secret): State<Arc<OktaHookSecret>>, headers: HeaderMap) -> Response {
    if let Err(error) = authorised(&secret, &headers) {
        return error.into_response();
    }
    match headers
        .get("x-okta-verification-challenge")
        .and_then(|value| value.to_str().ok())
    {
        Some(challenge) => Json(serde_json::json!({ "verification": challenge })).into_response(),
        None => ApiError::bad(
            "bad_request",
            "no X-Okta-Verification-Challenge header: Okta sends it when the hook is verified",
        )
        .into_response(),
    }
}

/// `?source=NAME` (default `default`).
#[derive(Debug, Deserialize)]
struct HookQuery {
    source: Option<String>,
}

/// An Okta event hook delivery: only its events matter here.
#[derive(Debug, Deserialize)]
struct Delivery {
    data: DeliveryData,
}

#[derive(Debug, Deserialize)]
struct DeliveryData {
    events: Vec<serde_json::Value>,
}

async fn deliver(
    State(secret): State<Arc<OktaHookSecret>>,
    State(monitor): State<Monitor>,
    State(detection): State<Arc<DetectionService>>,
    State(settings): State<ServerSettings>,
    Query(query): Query<HookQuery>,
    request: Request,
) -> Response {
    if let Err(error) = authorised(&secret, request.headers()) {
        return error.into_response();
    }
    let source = match SourceName::parse(query.source.as_deref().unwrap_or_default()) {
        Ok(source) => source,
        Err(message) => return ApiError::bad("bad_source", message).into_response(),
    };
    let sent = body_bytes(request.headers(), settings.max_upload_bytes);
    let _room = match detection.queue.receive(sent) {
        Ok(room) => room,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let delivery: Delivery = match serde_json::from_slice(&body) {
        Ok(delivery) => delivery,
        Err(error) => {
            return ApiError::bad(
                "bad_records",
                format!(
                    "not an Okta event hook delivery ({{\"data\": {{\"events\": [...]}}}}): {error}"
                ),
            )
            .into_response();
        }
    };
    let records = delivery
        .data
        .events
        .iter()
        .map(|event| event.to_string().into_bytes())
        .collect();
    match monitor.submit(source, records).await {
        Ok(monitored) => Json(monitored).into_response(),
        Err(error @ (MonitorError::Busy | MonitorError::Unavailable(_))) => (
            [(header::RETRY_AFTER, "1")],
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                error.code(),
                error.to_string(),
            ),
        )
            .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
