//! RFC 9457 problem details: the one shape of every error the REST API answers. A problem is
//! `application/problem+json` with `type`, `title`, `status`, `detail` and a stable `code` (and
//! `message`, the same text as `detail`, for clients written before problem documents).
//!
//! Handlers answer problems through the API's error type (`ApiError`); what the framework answers by
//! itself under `/api` (an unknown path, a method the path does not have, a query or path that
//! does not parse, a body over the limit, a request over the time limit) is turned into a problem
//! at the edge by [`api_problems`]. Every problem type is described at
//! `GET /api/v1/problems/{code}`, the address its `type` names.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use http_body_util::BodyExt;
use serde::Serialize;
use service::text::bytes;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the API lives: everything under it answers problems, never pages.
pub const API_PREFIX: &str = "/api";

/// Where a problem type is described; a problem's `type` is this with its code.
const PROBLEM_TYPES: &str = "/api/v1/problems/";

/// The longest framework error text kept as a problem's detail.
const MAX_DETAIL_BYTES: usize = 4096;

/// A problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'static str,
    /// The same as `detail`: what the API answered before problem documents.
    message: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: String) -> Self {
        Self {
            type_uri: type_uri(code),
            title: problem_type(code).map_or_else(
                || status.canonical_reason().unwrap_or("Error"),
                |known| known.title,
            ),
            status: status.as_u16(),
            message: detail.clone(),
            detail,
            code,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

fn type_uri(code: &str) -> String {
    format!("{PROBLEM_TYPES}{code}")
}

/// A kind of problem: its code, what it is called, and the status it comes with.
#[derive(Debug, Serialize)]
pub struct ProblemType {
    code: &'static str,
    title: &'static str,
    status: u16,
    description: &'static str,
}

impl ProblemType {
    pub fn code(&self) -> &'static str {
        self.code
    }
}

const fn kind(
    code: &'static str,
    title: &'static str,
    status: u16,
    description: &'static str,
) -> ProblemType {
    ProblemType {
        code,
        title,
        status,
        description,
    }
}

/// Every code the API answers with.
pub const PROBLEM_TYPES_KNOWN: &[ProblemType] = &[
    kind(
        "bad_request",
        "Bad request",
        400,
        "The query, path or JSON body does not parse, or a value in it is out of range.",
    ),
    kind(
        "bad_records",
        "Unreadable records",
        400,
        "The body of POST /api/v1/events is not NDJSON or a JSON array as its Content-Type says, \
         or its gzip is damaged.",
    ),
    kind(
        "bad_upload",
        "Unreadable upload",
        400,
        "The upload is not multipart/form-data with a `file` field, or a field is unknown.",
    ),
    kind(
        "bad_reading_options",
        "Bad reading options",
        400,
        "The `format` or `map` field of an upload names an unknown format or field.",
    ),
    kind(
        "bad_choices",
        "Bad detection choices",
        400,
        "The `choices` field of an upload is not valid JSON or holds an implausible value.",
    ),
    kind(
        "bad_filter",
        "Bad filter",
        400,
        "A level, date, score or order to filter by is not one the API knows.",
    ),
    kind(
        "unknown_kind",
        "Unknown report kind",
        400,
        "Reports are executive, technical, incident or events.",
    ),
    kind(
        "unsupported_format",
        "Unsupported format",
        400,
        "The report or export does not come in the format asked for.",
    ),
    kind(
        "bad_verdict",
        "Bad verdict",
        400,
        "Verdicts are confirmed_safe, confirmed_compromised or dismissed.",
    ),
    kind(
        "bad_entry",
        "Bad allow-list entry",
        400,
        "The allow-list entry's kind, value or expiry is not valid.",
    ),
    kind(
        "unauthenticated",
        "Sign-in required",
        401,
        "Hosted mode: sign in (POST /api/v1/session) or send an API token.",
    ),
    kind(
        "bad_token",
        "Invalid API token",
        401,
        "The Authorization header does not hold a valid `Bearer` API token.",
    ),
    kind(
        "bad_credentials",
        "Wrong account name or password",
        401,
        "The account name or password given to sign in is wrong.",
    ),
    kind(
        "cross_site",
        "Cross-site request refused",
        403,
        "A state-changing request made with the session cookie came from another site, or \
         without the X-CSRF-Token header.",
    ),
    kind(
        "token_scope",
        "Wrong token scope",
        403,
        "Hosted mode: an API token of the ingest scope only sends events (POST /api/v1/events, \
         the HEC collector), and events are only sent with one.",
    ),
    kind(
        "forbidden",
        "Forbidden",
        403,
        "The account's role may not do this (changing the allow-list needs an admin).",
    ),
    kind(
        "not_found",
        "Not found",
        404,
        "No such analysis, login, user, entry or API path.",
    ),
    kind(
        "no_sign_in",
        "No sign-in on this server",
        404,
        "The server runs without accounts (local mode): there is nothing to sign in to.",
    ),
    kind(
        "method_not_allowed",
        "Method not allowed",
        405,
        "The path does not have this method; the Allow header lists those it has.",
    ),
    kind(
        "body_timeout",
        "Request body too slow",
        408,
        "The request body did not arrive at the minimum rate (--body-timeout-secs, \
         --min-body-rate-kb).",
    ),
    kind(
        "too_large",
        "Request too large",
        413,
        "The request body is over the upload limit (--max-upload-mb).",
    ),
    kind(
        "expanded_too_large",
        "Upload unpacks too large",
        413,
        "The uploaded log unpacks (gzip) to more text than the limit (--max-expanded-mb); \
         reading stopped there.",
    ),
    kind(
        "too_many_rows",
        "Upload has too many records",
        413,
        "The uploaded log holds more records than the limit (--max-rows); reading stopped there.",
    ),
    kind(
        "over_memory_budget",
        "Upload needs more memory than the budget",
        413,
        "Analysing the upload would take more memory than the server's budget leaves \
         (--memory-budget-mb), with no running analysis to free some.",
    ),
    kind(
        "unsupported_media_type",
        "Unsupported media type",
        415,
        "The body's Content-Type is not the one the operation reads.",
    ),
    kind(
        "unreadable_log",
        "Not a readable sign-in log",
        422,
        "The uploaded file cannot be read as a sign-in log in any known format.",
    ),
    kind(
        "too_many_attempts",
        "Too many sign-in attempts",
        429,
        "Too many failed sign-ins for the account or from the address; see Retry-After.",
    ),
    kind(
        "rate_limited",
        "Too many events",
        429,
        "This ingest token sent more events than --ingest-rate-per-token allows. Nothing of the \
         request was kept: send it again after Retry-After seconds.",
    ),
    kind(
        "internal",
        "Internal error",
        500,
        "The server could not complete the request; the server log says why.",
    ),
    kind(
        "storage",
        "Storage failure",
        500,
        "The database could not be read or written; the server log says why.",
    ),
    kind(
        "stopped",
        "Monitor stopped",
        500,
        "The worker scoring events has stopped (the server is shutting down); the server log \
         says why.",
    ),
    kind(
        "timeout",
        "Request timed out",
        503,
        "The request took longer than --request-timeout-secs and was stopped.",
    ),
    kind(
        "busy",
        "Server busy",
        503,
        "The server is at capacity: every analysis slot and waiting place is taken \
         (--analysis-parallelism, --analysis-queue-depth), or the queue of monitored events \
         waiting to be scored is full (--ingest-queue). Nothing of the request was kept: send \
         it again after Retry-After seconds.",
    ),
    kind(
        "unavailable",
        "Event log unavailable",
        503,
        "Scale-out mode (serve --nats): the NATS JetStream server did not keep the request's \
         events. Nothing of the request was accepted: send it again after Retry-After seconds.",
    ),
];

fn problem_type(code: &str) -> Option<&'static ProblemType> {
    PROBLEM_TYPES_KNOWN.iter().find(|known| known.code == code)
}

/// A problem type as its `type` address describes it.
#[derive(Debug, Serialize)]
pub struct ProblemTypeResource {
    #[serde(rename = "type")]
    type_uri: String,
    #[serde(flatten)]
    kind: &'static ProblemType,
}

/// `GET /api/v1/problems/{code}`.
async fn describe_problem_type(
    Path(code): Path<String>,
) -> Result<Json<ProblemTypeResource>, Problem> {
    let kind = problem_type(&code).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no problem type {code:?}"),
        )
    })?;
    Ok(Json(ProblemTypeResource {
        type_uri: type_uri(kind.code),
        kind,
    }))
}

/// Any path under `/api` that no route has.
async fn unknown_api_path(request: Request) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no API operation at {}; GET /api/v1/openapi.json lists them",
            request.uri().path()
        ),
    )
}

fn is_api(path: &str) -> bool {
    path == API_PREFIX || path.starts_with("/api/")
}

/// What the edge needs to explain the limits it enforces.
#[derive(Clone, Copy, Debug)]
pub struct ExplainedLimits {
    pub max_upload_bytes: u64,
    pub request_timeout: Duration,
}

impl ExplainedLimits {
    fn payload_too_large(&self) -> String {
        format!(
            "File too large: uploads are limited to {}. Start the server with --max-upload-mb to change the limit.",
            bytes(self.max_upload_bytes)
        )
    }

    fn timed_out(&self) -> String {
        format!(
            "The request took longer than {} s and was stopped. Start the server with --request-timeout-secs to allow longer requests.",
            self.request_timeout.as_secs_f64()
        )
    }
}

/// The edge of the app: under `/api`, every failure the framework answered by itself becomes a
/// problem; elsewhere a 413 or a timeout's 503 says, in plain text, what the limit is and how to
/// change it (the pages show the text).
pub async fn api_problems(explained: ExplainedLimits, request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    if api {
        as_problem(response, &explained).await
    } else {
        explain_limits(response, &explained).await
    }
}

/// What the body-limit layer answers by itself (tower-http's text).
const FRAMEWORK_TOO_LARGE: &[u8] = b"length limit exceeded";

/// A 413 or 503 the framework answered by itself (its text, or nothing) is explained; one a
/// handler answered (an upload unpacking past its limit, a busy queue) keeps its own words.
async fn explain_limits(response: Response, explained: &ExplainedLimits) -> Response {
    let text = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => explained.payload_too_large(),
        StatusCode::SERVICE_UNAVAILABLE => explained.timed_out(),
        _ => return response,
    };
    let (parts, body) = response.into_parts();
    let collected = http_body_util::Limited::new(body, MAX_DETAIL_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    match collected {
        Ok(own) if !own.is_empty() && own.as_ref() != FRAMEWORK_TOO_LARGE => {
            Response::from_parts(parts, axum::body::Body::from(own))
        }
        _ => (
            parts.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{text}\n"),
        )
            .into_response(),
    }
}

async fn as_problem(response: Response, explained: &ExplainedLimits) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let framework_text = async {
        let limited = http_body_util::Limited::new(body, MAX_DETAIL_BYTES);
        let collected = limited.collect().await.ok()?.to_bytes();
        let text = String::from_utf8_lossy(&collected).trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let (code, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", explained.payload_too_large()),
        StatusCode::SERVICE_UNAVAILABLE => ("timeout", explained.timed_out()),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            (
                "method_not_allowed",
                format!("this path answers only {allowed}"),
            )
        }
        StatusCode::NOT_FOUND => (
            "not_found",
            "no such API operation; GET /api/v1/openapi.json lists them".to_owned(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            framework_text.await.unwrap_or_default(),
        ),
        status if status.is_server_error() => (
            "internal",
            "the request could not be completed (see the server log)".to_owned(),
        ),
        _ => (
            "bad_request",
            framework_text.await.unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("bad request")
                    .to_owned()
            }),
        ),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let mut problem = Problem::new(status, code, detail).into_response();
    // Allow, Retry-After, Connection and the like stay.
    for (name, value) in parts.headers.iter() {
        problem.headers_mut().entry(name).or_insert(value.clone());
    }
    problem
}

/// The problem types' descriptions, and a problem for every path under `/api` no route has.
pub fn routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new()
        .route("/api/v1/problems/{code}", get(describe_problem_type))
        .route(API_PREFIX, any(unknown_api_path))
        .route("/api/{*path}", any(unknown_api_path))
}
