//! The server side of the server functions: the one mapping from a use-case's error to the status
//! the browser sees, and reading uploads (with the service's reader, as the REST API does).

use axum::http::StatusCode;
use leptos::prelude::*;
use leptos::server_fn::codec::MultipartData;
use leptos_axum::ResponseOptions;
use service::error::{Categorised, ErrorKind};
use service::upload::{Upload, UploadError};

use crate::settings::ServerSettings;

/// The HTTP status for a kind of failure: the web edges' one mapping (pages and REST API).
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unreadable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Sets the response status and makes the error the browser shows.
pub fn fail(status: StatusCode, message: String) -> ServerFnError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// A use-case's error, answered with the status its kind calls for (and when to try again).
pub fn refused(error: impl Categorised) -> ServerFnError {
    if let (Some(secs), Some(response)) =
        (error.retry_after_secs(), use_context::<ResponseOptions>())
    {
        response.insert_header(axum::http::header::RETRY_AFTER, secs.into());
    }
    fail(status_for(error.kind()), error.to_string())
}

/// What a request body will hold: its `Content-Length`, else as much as `limit_bytes` allows.
pub fn body_bytes(headers: &axum::http::HeaderMap, limit_bytes: u64) -> u64 {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        .map_or(limit_bytes, |length| length.min(limit_bytes))
}

/// The upload, within the server's limit; its file is written to disk as it arrives, so it
/// takes no room in the server's memory budget.
pub async fn read_upload(data: MultipartData) -> Result<Upload, ServerFnError> {
    let limit = use_context::<ServerSettings>()
        .unwrap_or_default()
        .max_upload_bytes;
    let spool_dir = expect_context::<std::sync::Arc<service::DetectionService>>()
        .spool_dir
        .clone();
    let multipart = data
        .into_inner()
        .ok_or_else(|| refused(UploadError::NotMultipart))?;
    service::upload::read_upload(multipart, limit, &spool_dir)
        .await
        .map_err(refused)
}

/// Runs blocking work (parsing, scoring) off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServerFnError> {
    service::runs::blocking(work).await.map_err(refused)
}
