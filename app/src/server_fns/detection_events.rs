use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::detection::{EventPage, EventQuery};

/// One page of a kept run's scored logins; 404 for an unknown run.
#[server(input = Json, prefix = "/api", endpoint = "detect/events")]
pub async fn detection_events(id: String, query: EventQuery) -> Result<EventPage, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    service
        .runs
        .page(&id, &query)
        .await
        .map_err(|message| fail(StatusCode::INTERNAL_SERVER_ERROR, message))?
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("no run {id:?} is kept")))
}
