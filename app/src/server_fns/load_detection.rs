use leptos::prelude::*;

use crate::detection::DetectionSummary;

/// A kept run's summary, for a deep link to `/detect?run=ID`; 404 for an unknown run.
#[server(prefix = "/api", endpoint = "detect/summary")]
pub async fn load_detection(id: String) -> Result<DetectionSummary, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    service
        .runs
        .summary(&id)
        .await
        .map_err(|message| fail(StatusCode::INTERNAL_SERVER_ERROR, message))?
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("no run {id:?} is kept")))
}
