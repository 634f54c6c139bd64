use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use service::detection::{EventPage, EventQuery};

/// One page of a kept run's scored logins; 404 for an unknown run.
#[server(input = Json, prefix = "/_sfn", endpoint = "detect/events")]
pub async fn detection_events(id: String, query: EventQuery) -> Result<EventPage, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.page(&id, &query).await.map_err(refused)
}
