use leptos::prelude::*;

use crate::dashboard::{Dashboard, DashboardQuery};

/// The dashboard of a kept analysis (the latest when `query.run` is empty); `None` when nothing
/// has been analysed yet.
#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn load_dashboard(query: DashboardQuery) -> Result<Option<Dashboard>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use crate::detection_service::DetectionService;
    use axum::http::StatusCode;

    let service = expect_context::<Arc<DetectionService>>();
    let storage = |message: String| fail(StatusCode::INTERNAL_SERVER_ERROR, message);
    let id = match query.run.trim() {
        "" => match service.runs.recent(1).await.map_err(storage)?.pop() {
            Some(latest) => latest.id,
            None => return Ok(None),
        },
        id => id.to_owned(),
    };
    let kept = service
        .runs
        .run(&id)
        .await
        .map_err(storage)?
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("no kept analysis {id:?}")))?;
    tokio::task::spawn_blocking(move || {
        let locate = |ip| {
            let geo = service.geo.lookup(ip)?;
            Some((geo.latitude?, geo.longitude?))
        };
        crate::dashboard::build(
            &kept.summary.id,
            &kept.summary.file_name,
            &kept.events,
            &kept.settings.risk,
            &query,
            &locate,
        )
    })
    .await
    .map_err(|_| {
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the dashboard could not be built".to_owned(),
        )
    })?
    .map(Some)
    .map_err(|message| fail(StatusCode::BAD_REQUEST, message))
}
