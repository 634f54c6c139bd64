//! `GET /api/v1/monitored/{source}…`: a source's monitored logins over a time range — the last
//! 24 hours, or the days `from`–`to` (31 at most, the latest 200,000 logins) — read as an
//! analysis is: its summary, scored logins (JSON pages or CSV), incidents and reports, concluded
//! by the same rules as an upload and as the live dashboard.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use engine::Incident;
use reports::{Filter, ReportFormat};
use serde::Serialize;
use service::DetectionService;
use service::dashboard::{LiveSpan, live_span_between};
use service::detection::{DetectionSummary, EventPage, query_with};
use service::monitor::Monitor;
use service::monitored_run::monitored_view;
use service::source::SourceName;
use service::text::query_value;
use service::views::RunView;

use super::api::{
    EventRows, EventsQuery, IncidentsQuery, Links, ReportQuery, download, events_request,
    export_events, filter_of, report_request,
};
use super::error::ApiError;
use super::state::AppState;

/// Reports of monitored logins: not the SIEM exports, which need the records as received.
const REPORT_FORMATS: [ReportFormat; 3] =
    [ReportFormat::Pdf, ReportFormat::Csv, ReportFormat::Json];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/monitored/{source}", get(summary))
        .route("/api/v1/monitored/{source}/events", get(events))
        .route("/api/v1/monitored/{source}/incidents", get(incidents))
        .route("/api/v1/monitored/{source}/report", get(report))
}

/// The span a request reads: its `from` and `to` (else the last 24 hours), and the filter they
/// make with its `level`.
fn span_of(
    level: &Option<String>,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<(LiveSpan, Filter), ApiError> {
    let filter = filter_of(level, from, to)?;
    let span = live_span_between(filter.from_ms, filter.to_ms, service::clock::now_ms());
    Ok((span, filter))
}

fn source_of(name: &str) -> Result<SourceName, ApiError> {
    SourceName::parse(name).map_err(|message| ApiError::bad("bad_source", message))
}

async fn view_of(
    service: &DetectionService,
    monitor: &Monitor,
    source: &str,
    span: &LiveSpan,
) -> Result<Arc<RunView>, ApiError> {
    let source = source_of(source)?;
    Ok(Arc::new(
        monitored_view(service, monitor, source, span.clone()).await?,
    ))
}

/// A span of monitored logins as the API returns it.
#[derive(Debug, Serialize)]
struct MonitoredResource {
    source: SourceName,
    from_ms: i64,
    to_ms: i64,
    /// The span in words ("the last 24 hours, …").
    span: String,
    summary: DetectionSummary,
    links: Links,
}

#[derive(Debug, serde::Deserialize)]
struct SpanQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn summary(
    State(service): State<Arc<DetectionService>>,
    State(monitor): State<Monitor>,
    Path(source): Path<String>,
    Query(query): Query<SpanQuery>,
) -> Result<Json<MonitoredResource>, ApiError> {
    let (span, _) = span_of(&None, &query.from, &query.to)?;
    let view = view_of(&service, &monitor, &source, &span).await?;
    let source = view.kept.summary.source.clone();
    let dates: String = [("from", &query.from), ("to", &query.to)]
        .into_iter()
        .filter_map(|(name, value)| Some(format!("&{name}={}", query_value(value.as_deref()?))))
        .collect();
    let base = format!("/api/v1/monitored/{source}");
    Ok(Json(MonitoredResource {
        links: Links {
            events: format!("{base}/events?order=riskiest{dates}"),
            incidents: format!("{base}/incidents?level=low{dates}"),
            report: format!("{base}/report?kind=executive&format=pdf{dates}"),
            page: format!("/dashboard?run=live&source={source}{dates}"),
        },
        source,
        from_ms: span.from_ms,
        to_ms: span.to_ms,
        span: span.described,
        summary: view.kept.summary.clone(),
    }))
}

async fn events(
    State(service): State<Arc<DetectionService>>,
    State(monitor): State<Monitor>,
    Path(source): Path<String>,
    Query(params): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let (span, _) = span_of(&None, &params.from, &params.to)?;
    let (query, format) = events_request(params, &[ReportFormat::Csv])?;
    let view = view_of(&service, &monitor, &source, &span).await?;
    let bytes = tokio::task::spawn_blocking(move || match format {
        None => {
            let page: EventPage = query_with(&view.kept.events, &view.account_statuses(), &query);
            Ok(Json(EventRows::of(page)).into_response())
        }
        Some(format) => export_events(&view.kept, &query, format).map(|bytes| {
            download(
                format,
                &format!("skytrace-monitored-{}.csv", view.kept.summary.source),
                bytes,
            )
        }),
    })
    .await
    .map_err(|_| ApiError::internal())??;
    Ok(bytes)
}

#[derive(Debug, Serialize)]
struct IncidentList {
    source: SourceName,
    from_ms: i64,
    to_ms: i64,
    incidents: Vec<Incident>,
}

async fn incidents(
    State(service): State<Arc<DetectionService>>,
    State(monitor): State<Monitor>,
    Path(source): Path<String>,
    Query(params): Query<IncidentsQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    let (span, filter) = span_of(&params.level, &params.from, &params.to)?;
    let view = view_of(&service, &monitor, &source, &span).await?;
    let source = view.kept.summary.source.clone();
    let incidents = tokio::task::spawn_blocking(move || {
        reports::model::incidents_of(&view.report_input(), &filter)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(Json(IncidentList {
        source,
        from_ms: span.from_ms,
        to_ms: span.to_ms,
        incidents,
    }))
}

async fn report(
    State(service): State<Arc<DetectionService>>,
    State(monitor): State<Monitor>,
    Path(source): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let (kind, format, filter, options) = report_request(&query, &REPORT_FORMATS)?;
    let span = live_span_between(filter.from_ms, filter.to_ms, service::clock::now_ms());
    let view = view_of(&service, &monitor, &source, &span).await?;
    let file_name = format!(
        "skytrace-{}-monitored-{}.{}",
        kind.name(),
        view.kept.summary.source,
        format.extension()
    );
    let bytes = tokio::task::spawn_blocking(move || view.render(kind, format, &filter, &options))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|error| {
            tracing::error!(%error, "report of monitored logins failed");
            ApiError::internal()
        })?;
    Ok(download(format, &file_name, bytes))
}
