use leptos::prelude::*;

use service::detection::DetectionSummary;

/// A kept run's summary, for a deep link to `/detect?run=ID`; 404 for an unknown run.
#[server(prefix = "/_sfn", endpoint = "detect/summary")]
pub async fn load_detection(id: String) -> Result<DetectionSummary, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.summary(&id).await.map_err(refused)
}
