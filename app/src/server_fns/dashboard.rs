use leptos::prelude::*;

use service::dashboard::{Dashboard, DashboardQuery};

/// The dashboard of a kept analysis (the latest when `query.run` is empty); `None` when nothing
/// has been analysed yet.
#[server(prefix = "/_sfn", endpoint = "dashboard")]
pub async fn load_dashboard(query: DashboardQuery) -> Result<Option<Dashboard>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{blocking, fail, refused};
    use axum::http::StatusCode;
    use service::DetectionService;
    use service::source::SourceName;

    let service = expect_context::<Arc<DetectionService>>();
    let source = match query.source.trim() {
        "" => None,
        name => Some(
            SourceName::parse(name).map_err(|message| fail(StatusCode::BAD_REQUEST, message))?,
        ),
    };
    let view = match query.run.trim() {
        "" => match service
            .latest_view(source.as_ref())
            .await
            .map_err(refused)?
        {
            Some(latest) => latest,
            None => return Ok(None),
        },
        id => service.view(id).await.map_err(refused)?,
    };
    let dashboard = blocking(move || {
        let locate = |ip| {
            let geo = service.geo.lookup(ip)?;
            Some((geo.latitude?, geo.longitude?))
        };
        let facts = view.facts(&locate);
        let summary = &view.kept.summary;
        service::dashboard::build(
            &summary.id,
            &summary.file_name,
            &view.kept.events,
            &view.kept.settings,
            facts,
            &query,
        )
    })
    .await?;
    Ok(Some(dashboard))
}
