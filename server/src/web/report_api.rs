//! `GET /api/v1/analyses/{id}/report?kind=…&format=…&level=…&from=…&to=…`: a kept analysis's
//! report or export as a download. Errors are JSON with a stable code and a message.

use std::sync::Arc;

use app::detection_service::DetectionService;
use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reports::{Filter, ReportFormat, ReportKind, render};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    kind: Option<String>,
    format: Option<String>,
    level: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// An API error: what went wrong, with a code a client can test.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

pub async fn report(
    detection: Arc<DetectionService>,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let bad = |code, message: String| ApiError::new(StatusCode::BAD_REQUEST, code, message);
    let kind_name = query.kind.as_deref().unwrap_or("executive");
    let kind = ReportKind::from_name(kind_name).ok_or_else(|| {
        bad(
            "unknown_kind",
            format!("unknown report kind {kind_name:?}; expected executive, technical, incident or events"),
        )
    })?;
    let format_name = query.format.as_deref().unwrap_or("pdf");
    let format = ReportFormat::from_name(format_name)
        .filter(|format| kind.formats().contains(format))
        .ok_or_else(|| {
            let formats: Vec<&str> = kind.formats().iter().map(|f| f.name()).collect();
            bad(
                "unsupported_format",
                format!(
                    "{} reports come as {}, not {format_name:?}",
                    kind.name(),
                    formats.join(", ")
                ),
            )
        })?;
    let filter = Filter::parse(
        query.level.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .map_err(|error| bad("bad_filter", error.to_string()))?;
    let kept = detection
        .runs
        .run(&id)
        .await
        .map_err(|message| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", message))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no kept analysis {id:?}"),
            )
        })?;
    let bytes =
        tokio::task::spawn_blocking(move || render(kind, format, &kept.report_input(), &filter))
            .await
            .map_err(|_| internal())?
            .map_err(|error| {
                tracing::error!(%error, "report failed");
                internal()
            })?;
    let file_name = format!("skytrace-{}-{}.{}", kind.name(), safe(&id), format.name());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the report could not be produced (see the server log)",
    )
}

/// The id as it may appear in a file name.
fn safe(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}
