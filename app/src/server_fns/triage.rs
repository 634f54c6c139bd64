use leptos::prelude::*;

use crate::detection::Rerun;

/// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`, `dismissed`) on a
/// kept login; it applies from the next upload or re-score.
#[server(prefix = "/api", endpoint = "triage/verdict")]
pub async fn record_verdict(
    login_id: String,
    verdict: String,
    comment: String,
) -> Result<(), ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use crate::triage::TriageRecord;
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    let verdict = verdict
        .parse()
        .map_err(|message: String| fail(StatusCode::BAD_REQUEST, message))?;
    let storage = |message: String| fail(StatusCode::INTERNAL_SERVER_ERROR, message);
    if service
        .feedback
        .find_login(&login_id)
        .await
        .map_err(storage)?
        .is_empty()
    {
        return Err(fail(
            StatusCode::NOT_FOUND,
            format!("no kept login {login_id:?}"),
        ));
    }
    let at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    service
        .feedback
        .record_triage(TriageRecord {
            login_id,
            verdict,
            comment: comment.trim().chars().take(2000).collect(),
            actor: "local".to_owned(),
            at_ms,
        })
        .await
        .map_err(storage)
}

/// Scores a kept run again with the verdicts and allow-list in force.
#[server(prefix = "/api", endpoint = "triage/rescore")]
pub async fn rescore_run(id: String) -> Result<Rerun, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::{DetectionService, RunError};
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    service.rerun(&id).await.map_err(|error| {
        let status = match error {
            RunError::NotFound(_) => StatusCode::NOT_FOUND,
            RunError::BadChoices(_) => StatusCode::BAD_REQUEST,
            RunError::Unreadable(_) | RunError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        fail(status, error.to_string())
    })
}
