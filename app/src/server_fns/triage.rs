use leptos::prelude::*;

use service::detection::Rerun;

/// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`, `dismissed`) on a
/// kept login; it applies from the next upload or re-score.
#[server(prefix = "/_sfn", endpoint = "triage/verdict")]
pub async fn record_verdict(
    login_id: String,
    verdict: String,
    comment: String,
) -> Result<(), ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let account = crate::account::current_account().await?;
    let service = expect_context::<Arc<DetectionService>>();
    service
        .record_verdict(&login_id, &verdict, &comment, &account)
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
