use leptos::prelude::*;

use service::detection::RunListing;

use service::source::SourceListing;

/// The latest kept runs of `source` (of every source when empty), newest first.
#[server(prefix = "/_sfn", endpoint = "detect/recent")]
pub async fn recent_runs(source: String) -> Result<Vec<RunListing>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{fail, refused};
    use axum::http::StatusCode;
    use service::DetectionService;
    use service::source::SourceName;

    /// Runs listed on the detection page.
    const LISTED_RUNS: usize = 10;

    let service = expect_context::<Arc<DetectionService>>();
    let source = match source.trim() {
        "" => None,
        name => Some(
            SourceName::parse(name).map_err(|message| fail(StatusCode::BAD_REQUEST, message))?,
        ),
    };
    service
        .recent(LISTED_RUNS, source.as_ref())
        .await
        .map_err(refused)
}

/// Every source with something kept.
#[server(prefix = "/_sfn", endpoint = "sources")]
pub async fn list_sources() -> Result<Vec<SourceListing>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.sources().await.map_err(refused)
}
