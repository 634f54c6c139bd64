//! `POST /api/v1/events`: continuous monitoring. Log shippers send sign-in records as NDJSON or a
//! JSON array (optionally gzipped); each is scored as it arrives in its source and kept before
//! the answer, which accounts for every record in request order ([`service::monitor`]).

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use app::ServerSettings;
use app::server_fns::upload::body_bytes;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use service::DetectionService;
use service::error::Categorised;
use service::monitor::{BodyShape, Monitor, MonitorError, split_records};
use service::source::SourceName;

use super::error::ApiError;
use super::ingest_rate::{IngestRates, Sender, retry_after_secs};
use super::state::AppState;

/// Seconds a client is asked to wait when the queue is full.
const BUSY_RETRY_AFTER_SECS: &str = "1";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(receive))
        // The server's upload limit (a layer on the whole app) applies to the body as sent.
        .layer(DefaultBodyLimit::disable())
}

/// `?source=NAME` (default `default`).
#[derive(Debug, Deserialize)]
struct EventsQuery {
    source: Option<String>,
}

async fn receive(
    State(monitor): State<Monitor>,
    State(detection): State<Arc<DetectionService>>,
    State(settings): State<ServerSettings>,
    State(rates): State<Arc<IngestRates>>,
    sender: Option<Extension<Sender>>,
    Query(query): Query<EventsQuery>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let _room = match detection
        .queue
        .receive(held_body_bytes(&headers, settings.max_upload_bytes))
    {
        Ok(room) => room,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let limited = sender
        .as_ref()
        .map(|Extension(sender)| (rates.as_ref(), sender));
    match accept(&monitor, &settings, limited, query, &headers, &body).await {
        Ok(answer) => answer,
        Err(error) => error.into_response(),
    }
}

async fn accept(
    monitor: &Monitor,
    settings: &ServerSettings,
    limited: Option<(&IngestRates, &Sender)>,
    query: EventsQuery,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let source = SourceName::parse(query.source.as_deref().unwrap_or_default())
        .map_err(|message| ApiError::bad("bad_source", message))?;
    let shape = shape(headers)?;
    let limit = settings.max_upload_bytes;
    let decoded = decode(headers, body, limit)?;
    let records = split_records(&decoded, shape)?;
    if let Some((rates, sender)) = limited
        && let Err(wait) = rates.take(sender, records.len(), Instant::now())
    {
        let rate = rates.events_per_sec().map_or(0, |rate| rate.get());
        return Ok((
            [(header::RETRY_AFTER, retry_after_secs(wait).to_string())],
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "this token may send {rate} events per second on average \
                     (--ingest-rate-per-token) and is over it; send again after Retry-After"
                ),
            ),
        )
            .into_response());
    }
    match monitor.submit(source, records).await {
        Ok(monitored) => Ok(Json(monitored).into_response()),
        Err(error @ (MonitorError::Busy | MonitorError::Unavailable(_))) => Ok((
            [(header::RETRY_AFTER, BUSY_RETRY_AFTER_SECS)],
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                error.code(),
                error.to_string(),
            ),
        )
            .into_response()),
        Err(error) => Err(error.into()),
    }
}

/// What a body takes in memory while it is read and unpacked: as sent and, when encoded, what
/// it may unpack to (at most `limit_bytes`). Room for it is taken in the memory budget first.
pub(super) fn held_body_bytes(headers: &HeaderMap, limit_bytes: u64) -> u64 {
    let sent = body_bytes(headers, limit_bytes);
    let unpacked = if headers.contains_key(header::CONTENT_ENCODING) {
        limit_bytes
    } else {
        sent
    };
    sent.saturating_add(unpacked)
}

/// The records' shape from the Content-Type.
fn shape(headers: &HeaderMap) -> Result<BodyShape, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
            Ok(BodyShape::Ndjson)
        }
        "application/json" => Ok(BodyShape::JsonArray),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {content_type:?}: send records as application/x-ndjson (one per \
                 line) or application/json (an array)"
            ),
        )),
    }
}

/// The body unpacked per its Content-Encoding, at most `limit_bytes` of it.
pub(super) fn decode(
    headers: &HeaderMap,
    body: &[u8],
    limit_bytes: u64,
) -> Result<Vec<u8>, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "identity" | "" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => {
            let mut unpacked = Vec::new();
            flate2::read::MultiGzDecoder::new(body)
                .take(limit_bytes.saturating_add(1))
                .read_to_end(&mut unpacked)
                .map_err(|error| {
                    ApiError::bad("bad_records", format!("the gzip body is damaged: {error}"))
                })?;
            if unpacked.len() as u64 > limit_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!(
                        "the body unpacks to more than the upload limit of {} MiB \
                         (--max-upload-mb)",
                        limit_bytes / (1024 * 1024)
                    ),
                ));
            }
            Ok(unpacked)
        }
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Encoding {other:?}: send the body as it is, or gzipped"),
        )),
    }
}
