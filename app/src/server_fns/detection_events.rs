use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::detection::{EventPage, EventQuery};

/// One page of a run's scored logins; 404 when the run is no longer kept (run it again).
#[server(input = Json, prefix = "/api", endpoint = "detect/events")]
pub async fn detection_events(id: String, query: EventQuery) -> Result<EventPage, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    let events = service.events(&id).ok_or_else(|| {
        fail(
            StatusCode::NOT_FOUND,
            "this run is no longer kept on the server; run the detection again".into(),
        )
    })?;
    Ok(crate::detection::query(&events, &query))
}
