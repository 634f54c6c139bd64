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
    if query.run.trim() == service::dashboard::LIVE {
        return live_dashboard(service, source, query).await.map(Some);
    }
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

/// The dashboard of the monitored logins of one source (`default` unless named): those of the
/// last 24 hours, or of the days `query.from`–`query.to` (31 at most), the latest
/// [`LIVE_LOGINS`] of them.
#[cfg(feature = "ssr")]
async fn live_dashboard(
    service: std::sync::Arc<service::DetectionService>,
    source: Option<service::source::SourceName>,
    query: DashboardQuery,
) -> Result<Dashboard, ServerFnError> {
    use super::upload::{blocking, fail};
    use axum::http::StatusCode;
    use engine::figures::Conclusions;
    use service::dashboard::{LIVE_LOGINS, RunFacts, live_span};
    use service::monitor::Monitor;

    let monitor = expect_context::<Monitor>();
    let source = source.unwrap_or_default();
    let now_ms = service::clock::now_ms();
    let span = live_span(&query, now_ms);
    let sources: Vec<service::dashboard::SourceActivity> = monitor
        .metrics()
        .sources
        .into_iter()
        .map(|(name, counts)| service::dashboard::SourceActivity {
            source: name.to_string(),
            per_second: counts.per_second(now_ms),
            scored: counts.scored,
            duplicate: counts.duplicate,
            rejected: counts.rejected,
            skipped: counts.skipped,
            last_seen_ms: counts.last_seen_ms,
        })
        .collect();
    let events = monitor
        .between(&source, span.from_ms, span.to_ms, LIVE_LOGINS)
        .await
        .map_err(|error| fail(StatusCode::SERVICE_UNAVAILABLE, error.to_string()))?;
    blocking(move || {
        let locate = |ip| {
            let geo = service.geo.lookup(ip)?;
            Some((geo.latitude?, geo.longitude?))
        };
        let conclusions = Conclusions::recompute(&events, &service.config);
        let facts = RunFacts::of(&events, conclusions, &locate);
        let name = service::monitored_run::monitored_name(&source, &span);
        let dashboard = service::dashboard::build(
            service::dashboard::LIVE,
            &name,
            &events,
            &service.config,
            &facts,
            &query,
        );
        Dashboard {
            sources,
            ..dashboard
        }
    })
    .await
}
