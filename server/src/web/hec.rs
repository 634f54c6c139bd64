//! A Splunk HTTP Event Collector–compatible endpoint, so the log shippers people already run
//! (Vector, Fluent Bit, Logstash, syslog-ng, the OpenTelemetry Collector) send sign-ins to Sky
//! Trace with no custom code. Events are scored and kept exactly as `POST /api/v1/events` does
//! ([`service::monitor`]); answers use Splunk's status codes, which shippers act on:
//!
//! | answer | HTTP | code |
//! |---|---|---|
//! | Success | 200 | 0 |
//! | Token is required / Invalid authorization | 401 | 2 / 3 |
//! | Invalid token (unknown, or a token without the ingest scope) | 403 | 4 |
//! | No data / Invalid data format / Incorrect index | 400 | 5 / 6 / 7 |
//! | Event field is required / cannot be blank | 400 | 12 / 13 |
//! | Data channel is missing / Invalid data channel (acknowledgements) | 400 | 10 / 11 |
//! | Server is busy (queue full, or the token over `--ingest-rate-per-token`; retry after `Retry-After`: never a 4xx for a transient problem) | 503 | 9 |
//! | HEC is healthy | 200 | 17 |
//!
//! `index` names the Sky Trace source an event belongs to (`default` when absent); an event
//! without a `timestamp` field takes the envelope's `time`. Records the reader cannot use are
//! not an envelope error: they are counted in the answer's `rejected`, with reasons, and logged.
//! A request naming a channel gets an `ackId` ([`super::hec_channels`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app::ServerSettings;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use engine::ingest::{IngestOptions, RecordOutcome, read_record};
use serde::Serialize;
use service::DetectionService;
use service::account::TokenScope;
use service::monitor::{Monitor, MonitorError, RecordVerdict};
use service::source::SourceName;

use crate::lines::records_of_lines;

use super::auth::AuthMode;
use super::hec_channels::{CHANNEL_HEADER, HecChannels, channel_of};
use super::ingest_rate::{IngestRates, Sender, retry_after_secs};
use super::state::AppState;
pub use super::state::HecTokens;

/// Where the collector's routes start; requests under it authenticate with HEC tokens.
pub const HEC_PREFIX: &str = "/services/collector";

/// Whether `path` is one of the collector's (which authenticate with HEC tokens).
pub fn is_collector(path: &str) -> bool {
    path == HEC_PREFIX
        || path
            .strip_prefix(HEC_PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Seconds a shipper is asked to wait when the server is busy.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HEC_PREFIX, post(events))
        .route("/services/collector/event", post(events))
        .route("/services/collector/event/1.0", post(events))
        .route("/services/collector/raw", post(raw))
        .route("/services/collector/raw/1.0", post(raw))
        .route("/services/collector/health", get(health))
        .route("/services/collector/health/1.0", get(health))
        .route("/services/collector/ack", post(ack))
        // The server's upload limit (a layer on the whole app) applies to the body as sent.
        .layer(DefaultBodyLimit::disable())
}

/// Splunk's answer: a text and a code, with what Sky Trace adds for people reading it.
#[derive(Debug, Serialize)]
struct Answer {
    text: String,
    code: u16,
    #[serde(
        rename = "invalid-event-number",
        skip_serializing_if = "Option::is_none"
    )]
    invalid_event_number: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Sign-ins scored (or already kept: retries), and records that are not sign-ins.
    accepted: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<usize>,
    /// Records kept out, in request order, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rejected: Vec<Rejected>,
    /// For a request that named a channel: its acknowledgement id there.
    #[serde(rename = "ackId", skip_serializing_if = "Option::is_none")]
    ack_id: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Rejected {
    event: usize,
    reason: String,
}

/// A refusal in Splunk's terms.
struct Refusal {
    status: StatusCode,
    code: u16,
    text: String,
    invalid_event_number: Option<usize>,
    /// Seconds to wait when busy (code 9).
    retry_after_secs: u64,
}

impl Refusal {
    fn new(status: StatusCode, code: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            code,
            text: text.into(),
            invalid_event_number: None,
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        }
    }

    fn at_event(mut self, number: usize) -> Self {
        self.invalid_event_number = Some(number);
        self
    }

    fn busy() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, 9, "Server is busy")
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let busy = self.code == 9;
        let answer = Json(Answer {
            text: self.text,
            code: self.code,
            invalid_event_number: self.invalid_event_number,
            accepted: None,
            skipped: None,
            rejected: Vec::new(),
            ack_id: None,
        });
        if busy {
            (
                self.status,
                [(header::RETRY_AFTER, self.retry_after_secs.to_string())],
                answer,
            )
                .into_response()
        } else {
            (self.status, answer).into_response()
        }
    }
}

async fn health() -> Response {
    Json(Answer {
        text: "HEC is healthy".to_owned(),
        code: 17,
        invalid_event_number: None,
        accepted: None,
        skipped: None,
        rejected: Vec::new(),
        ack_id: None,
    })
    .into_response()
}

/// `{"acks": [id, …]}` of a channel → `{"acks": {"id": kept, …}}`.
#[derive(serde::Deserialize)]
struct AckQuery {
    acks: Vec<u64>,
}

async fn ack(State(state): State<HecState>, request: Request) -> Response {
    if let Err(refusal) = authorise(&state, request.headers()).await {
        return refusal.into_response();
    }
    let channel = match request_channel(&request) {
        Ok(Some(channel)) => channel,
        Ok(None) => {
            return Refusal::new(StatusCode::BAD_REQUEST, 10, "Data channel is missing")
                .into_response();
        }
        Err(refusal) => return refusal.into_response(),
    };
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(asked) = serde_json::from_slice::<AckQuery>(&body) else {
        return Refusal::new(StatusCode::BAD_REQUEST, 6, "Invalid data format").into_response();
    };
    Json(serde_json::json!({ "acks": state.channels.status(&channel, &asked.acks) }))
        .into_response()
}

/// The channel a request names, if any.
fn request_channel(request: &Request) -> Result<Option<String>, Refusal> {
    let header = request
        .headers()
        .get(CHANNEL_HEADER)
        .map(|value| value.as_bytes());
    channel_of(header, request.uri())
        .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, 11, "Invalid data channel"))
}

/// How a body holds its events.
enum Body {
    /// JSON envelopes back to back (`{"event": …}{"event": …}`), whitespace between allowed.
    Envelopes,
    /// One record per line, all of one source.
    Raw(SourceName),
}

async fn events(
    State(state): State<HecState>,
    State(settings): State<ServerSettings>,
    request: Request,
) -> Response {
    receive(state, settings, request, Body::Envelopes).await
}

/// `?index=NAME`: the source of a raw body's events.
#[derive(Debug, serde::Deserialize)]
struct RawQuery {
    index: Option<String>,
}

async fn raw(
    State(state): State<HecState>,
    State(settings): State<ServerSettings>,
    Query(query): Query<RawQuery>,
    request: Request,
) -> Response {
    let source = match query.index.as_deref() {
        None => SourceName::default(),
        Some(index) => match SourceName::parse(index) {
            Ok(source) => source,
            Err(_) => {
                return Refusal::new(StatusCode::BAD_REQUEST, 7, "Incorrect index").into_response();
            }
        },
    };
    receive(state, settings, request, Body::Raw(source)).await
}

/// What the collector needs of the app's state.
#[derive(Clone)]
struct HecState {
    tokens: Arc<HecTokens>,
    channels: Arc<HecChannels>,
    auth: Arc<AuthMode>,
    monitor: Monitor,
    detection: Arc<DetectionService>,
    rates: Arc<IngestRates>,
}

impl axum::extract::FromRef<AppState> for HecState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            tokens: Arc::clone(&state.hec_tokens),
            channels: Arc::clone(&state.hec_channels),
            auth: Arc::clone(&state.auth),
            monitor: state.monitor.clone(),
            detection: Arc::clone(&state.detection),
            rates: Arc::clone(&state.ingest_rates),
        }
    }
}

async fn receive(
    state: HecState,
    settings: ServerSettings,
    request: Request,
    body_shape: Body,
) -> Response {
    let sender = match authorise(&state, request.headers()).await {
        Ok(sender) => sender,
        Err(refusal) => return refusal.into_response(),
    };
    let channel = match request_channel(&request) {
        Ok(channel) => channel,
        Err(refusal) => return refusal.into_response(),
    };
    let headers = request.headers().clone();
    let limit = settings.max_upload_bytes;
    let held = super::events_api::held_body_bytes(&headers, limit);
    let _room = match state.detection.queue.receive(held) {
        Ok(room) => room,
        Err(_) => return Refusal::busy().into_response(),
    };
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let limited = sender.as_ref().map(|sender| (state.rates.as_ref(), sender));
    match accept(&state.monitor, limited, &headers, &body, limit, body_shape).await {
        Ok(answer) => Json(Answer {
            ack_id: channel.map(|channel| state.channels.acknowledge(&channel)),
            ..answer
        })
        .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `Authorization: Splunk <token>` against the configured tokens (or, in hosted mode without
/// any, the accounts' API tokens of the ingest scope): who sends, for the rate limit (nobody in
/// particular on a local server without tokens).
async fn authorise(state: &HecState, headers: &HeaderMap) -> Result<Option<Sender>, Refusal> {
    let sign_in = match state.auth.as_ref() {
        AuthMode::SignIn(sign_in) => Some(sign_in),
        AuthMode::Local => None,
    };
    if state.tokens.0.is_empty() && sign_in.is_none() {
        return Ok(None);
    }
    let Some(authorization) = headers.get(header::AUTHORIZATION) else {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            2,
            "Token is required",
        ));
    };
    let token = authorization
        .to_str()
        .ok()
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("splunk"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| Refusal::new(StatusCode::UNAUTHORIZED, 3, "Invalid authorization"))?;
    if let Some(index) = state.tokens.0.iter().position(|known| known == token) {
        return Ok(Some(Sender::HecToken(index)));
    }
    if state.tokens.0.is_empty()
        && let Some(sign_in) = sign_in
    {
        match sign_in.accounts.token(token).await {
            Ok(Some(holder)) if holder.scope == TokenScope::Ingest => {
                return Ok(Some(Sender::Token(holder.id)));
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%error, "HEC token lookup failed");
                return Err(Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    8,
                    "Internal server error",
                ));
            }
        }
    }
    Err(Refusal::new(StatusCode::FORBIDDEN, 4, "Invalid token"))
}

async fn accept(
    monitor: &Monitor,
    limited: Option<(&IngestRates, &Sender)>,
    headers: &HeaderMap,
    body: &[u8],
    limit: u64,
    body_shape: Body,
) -> Result<Answer, Refusal> {
    let decoded = super::events_api::decode(headers, body, limit).map_err(|error| {
        let status = error.status();
        Refusal::new(
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                status
            } else {
                StatusCode::BAD_REQUEST
            },
            6,
            format!("Invalid data format: {}", error.message()),
        )
    })?;
    let by_source = match body_shape {
        Body::Envelopes => envelopes(&decoded)?,
        Body::Raw(source) => raw_lines(&decoded, source)?,
    };
    if let Some((rates, sender)) = limited {
        let events = by_source.values().map(Vec::len).sum();
        rates
            .take(sender, events, Instant::now())
            .map_err(|wait| Refusal {
                retry_after_secs: retry_after_secs(wait),
                ..Refusal::busy()
            })?;
    }
    let mut accepted = 0;
    let mut skipped = 0;
    let mut rejected = Vec::new();
    for (source, records) in by_source {
        let numbers: Vec<usize> = records.iter().map(|(number, _)| *number).collect();
        let records = records.into_iter().map(|(_, record)| record).collect();
        let monitored = monitor
            .submit_read(source.clone(), records)
            .await
            .map_err(|error| match error {
                MonitorError::Busy | MonitorError::Unavailable(_) => Refusal::busy(),
                MonitorError::BadBody(message) => Refusal::new(StatusCode::BAD_REQUEST, 6, message),
                MonitorError::Storage(_) | MonitorError::Stopped => {
                    tracing::error!(%error, "HEC events could not be kept");
                    Refusal::busy()
                }
            })?;
        for result in monitored.results {
            match result {
                RecordVerdict::Rejected { index, reason } => {
                    let event = numbers.get(index).copied().unwrap_or(index);
                    tracing::warn!(source = %source, event, %reason, "HEC event rejected");
                    rejected.push(Rejected { event, reason });
                }
                RecordVerdict::Skipped { .. } => skipped += 1,
                RecordVerdict::Scored { .. }
                | RecordVerdict::Duplicate { .. }
                | RecordVerdict::Accepted { .. } => accepted += 1,
            }
        }
    }
    rejected.sort_by_key(|rejected| rejected.event);
    Ok(Answer {
        text: "Success".to_owned(),
        code: 0,
        invalid_event_number: None,
        accepted: Some(accepted),
        skipped: Some(skipped),
        rejected,
        ack_id: None,
    })
}

/// Records of each source, each with its event number (0-based, in body order).
type BySource = BTreeMap<SourceName, Vec<(usize, RecordOutcome)>>;

/// The envelopes of a body: each must be a JSON object with a non-blank `event`.
fn envelopes(body: &[u8]) -> Result<BySource, Refusal> {
    let mut by_source = BySource::new();
    let mut number = 0;
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<serde_json::Value>();
    for envelope in stream {
        let invalid = || Refusal::new(StatusCode::BAD_REQUEST, 6, "Invalid data format");
        let envelope = envelope.map_err(|_| invalid().at_event(number))?;
        let serde_json::Value::Object(mut envelope) = envelope else {
            return Err(invalid().at_event(number));
        };
        let event = envelope.remove("event").ok_or_else(|| {
            Refusal::new(StatusCode::BAD_REQUEST, 12, "Event field is required").at_event(number)
        })?;
        let blank = || {
            Refusal::new(StatusCode::BAD_REQUEST, 13, "Event field cannot be blank")
                .at_event(number)
        };
        let record = match event {
            serde_json::Value::Null => return Err(blank()),
            serde_json::Value::String(text) if text.trim().is_empty() => return Err(blank()),
            serde_json::Value::String(text) => match serde_json::from_str(&text) {
                Ok(serde_json::Value::Object(fields)) => timed(fields, &envelope),
                // Not an object: the record reader says why it cannot be used.
                _ => text.into_bytes(),
            },
            serde_json::Value::Object(fields) => timed(fields, &envelope),
            other => other.to_string().into_bytes(),
        };
        let record = read_record(&record, &IngestOptions::default());
        source_of(&envelope, number, &mut by_source)?.push((number, record));
        number += 1;
    }
    if number == 0 {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, 5, "No data"));
    }
    Ok(by_source)
}

/// A record's bytes, with the envelope's `time` as its `timestamp` when it has none.
fn timed(
    mut record: serde_json::Map<String, serde_json::Value>,
    envelope: &serde_json::Map<String, serde_json::Value>,
) -> Vec<u8> {
    if !record.contains_key("timestamp")
        && let Some(time) = envelope.get("time").and_then(epoch_ms)
    {
        record.insert(
            "timestamp".to_owned(),
            serde_json::Value::from(engine::time::format_utc(time)),
        );
    }
    serde_json::Value::Object(record).to_string().into_bytes()
}

/// The records of a raw body's lines (blank ones skipped), all in `source`: JSON records, or
/// sshd lines of an `auth.log` read together ([`records_of_lines`]); each event number is its
/// line's among the non-blank ones.
fn raw_lines(body: &[u8], source: SourceName) -> Result<BySource, Refusal> {
    let lines: Vec<(u64, String)> = body
        .split(|byte| *byte == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(number, line)| (number as u64, String::from_utf8_lossy(line).into_owned()))
        .collect();
    if lines.is_empty() {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, 5, "No data"));
    }
    let records = records_of_lines(&lines)
        .into_iter()
        .map(|(number, record)| (number as usize, record.read()))
        .collect();
    Ok(BySource::from([(source, records)]))
}

/// The records of the source an envelope's `index` names.
fn source_of<'a>(
    envelope: &serde_json::Map<String, serde_json::Value>,
    number: usize,
    by_source: &'a mut BySource,
) -> Result<&'a mut Vec<(usize, RecordOutcome)>, Refusal> {
    let source = match envelope.get("index") {
        None | Some(serde_json::Value::Null) => SourceName::default(),
        Some(serde_json::Value::String(index)) => SourceName::parse(index).map_err(|_| {
            Refusal::new(StatusCode::BAD_REQUEST, 7, "Incorrect index").at_event(number)
        })?,
        Some(_) => {
            return Err(
                Refusal::new(StatusCode::BAD_REQUEST, 7, "Incorrect index").at_event(number)
            );
        }
    };
    Ok(by_source.entry(source).or_default())
}

/// Splunk's `time`: seconds since the epoch, as a number or a string, with a fraction.
fn epoch_ms(time: &serde_json::Value) -> Option<i64> {
    let seconds = match time {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds > 0.0).then(|| (seconds * 1000.0).round() as i64)
}
