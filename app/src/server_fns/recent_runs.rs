use leptos::prelude::*;

use service::detection::RunListing;

/// The latest kept runs, newest first.
#[server(prefix = "/_sfn", endpoint = "detect/recent")]
pub async fn recent_runs() -> Result<Vec<RunListing>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    /// Runs listed on the detection page.
    const LISTED_RUNS: usize = 10;

    let service = expect_context::<Arc<DetectionService>>();
    service.recent(LISTED_RUNS).await.map_err(refused)
}
