//! The edge of the pages' server functions, which live under [`SERVER_FN_PREFIX`], apart from the
//! REST API under `/api`. Their answers keep Leptos' error encoding (the pages decode it), but a
//! bad request never gets a 5xx: a multipart function called without a multipart body is refused
//! before Leptos' reader would panic on it, and arguments that do not decode are a 400, not the
//! 500 Leptos answers them with.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use leptos::prelude::ServerFnError;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::FromServerFnError;
use service::upload::UploadError;

/// Where every `#[server]` function of the app is mounted (their `prefix`).
pub const SERVER_FN_PREFIX: &str = "/_sfn/";

/// Leptos' own error answers: kinds of [`ServerFnError`] that mean the request was bad.
const REQUEST_FAULTS: [&[u8]; 3] = [b"Args|", b"MissingArg|", b"Deserialization|"];

/// A server function error answer is a line of text; more is not one of them.
const MAX_ERROR_BYTES: usize = 64 * 1024;

fn takes_multipart(path: &str) -> bool {
    [
        app::server_fns::ProfileUpload::PATH,
        app::server_fns::RunDetection::PATH,
    ]
    .contains(&path)
}

pub async fn guard_server_fns(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    if takes_multipart(path) && !has_multipart_boundary(request.headers()) {
        return refused(UploadError::NotMultipart.to_string());
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = http_body_util::Limited::new(body, MAX_ERROR_BYTES)
        .collect()
        .await
    else {
        return (parts, Body::empty()).into_response();
    };
    let text = collected.to_bytes();
    if REQUEST_FAULTS.iter().any(|kind| text.starts_with(kind)) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    (parts, Body::from(text)).into_response()
}

fn has_multipart_boundary(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| service::upload::boundary(content_type).is_ok())
}

/// A 400 the pages read as a server function's error.
fn refused(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        ServerFnError::new(message).ser(),
    )
        .into_response()
}
