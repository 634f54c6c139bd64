use leptos::prelude::*;

use service::detection::Rerun;
use service::triage::TriageState;

/// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`, `attack_attempt`,
/// `dismissed`) with a note on a kept login of `source` (empty: the one source keeping it); it
/// applies from the next upload or re-score. Answers the login's verdicts now, history included.
#[server(prefix = "/_sfn", endpoint = "triage/verdict")]
pub async fn record_verdict(
    login_id: String,
    verdict: String,
    comment: String,
    source: String,
) -> Result<TriageState, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{fail, refused};
    use axum::http::StatusCode;
    use service::DetectionService;
    use service::source::SourceName;

    let account = crate::account::current_account().await?;
    let service = expect_context::<Arc<DetectionService>>();
    let source = match source.trim() {
        "" => None,
        name => Some(
            SourceName::parse(name).map_err(|message| fail(StatusCode::BAD_REQUEST, message))?,
        ),
    };
    service
        .record_verdict(&login_id, &verdict, &comment, source.as_ref(), &account)
        .await
        .map_err(refused)
}

/// Scores a kept run again with the verdicts and allow-list in force.
#[server(prefix = "/_sfn", endpoint = "triage/rescore")]
pub async fn rescore_run(id: String) -> Result<Rerun, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.rerun(&id).await.map_err(refused)
}
