use leptos::prelude::*;

use crate::detection::RunListing;

/// The latest kept runs, newest first.
#[server(prefix = "/api", endpoint = "detect/recent")]
pub async fn recent_runs() -> Result<Vec<RunListing>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use axum::http::StatusCode;

    /// Runs listed on the detection page.
    const LISTED_RUNS: usize = 10;

    let service = expect_context::<Arc<DetectionService>>();
    service
        .runs
        .recent(LISTED_RUNS)
        .await
        .map_err(|message| fail(StatusCode::INTERNAL_SERVER_ERROR, message))
}
