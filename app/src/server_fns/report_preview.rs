use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use reports::{ExecutiveReport, IncidentPage, TechnicalReport};

/// A report as the page previews it: the incident report one page at a time (timelines cut to
/// [`PREVIEW_TIMELINE`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReportView {
    Executive(Box<ExecutiveReport>),
    Technical(Box<TechnicalReport>),
    Incident(Box<IncidentPreview>),
}

/// One page of the incident report, and whether the incident asked for was found in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentPreview {
    pub page: IncidentPage,
    /// The incident the address named (`incident=INC-…`) when the report does not hold it.
    pub not_found: Option<String>,
}

/// Timeline rows per incident in the preview; the downloads keep more.
pub const PREVIEW_TIMELINE: usize = 24;

/// Which page of the incident report: `page` (1-based, as in the address), or the page holding
/// `incident` (an incident ID), or the first page of `group` (`campaigns`,
/// `compromised-accounts`, `other`); the first page otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: String,
    pub incident: String,
    pub group: String,
}

/// A kept run's report of `kind` (executive, technical or incident) for the filter's level
/// and dates — or, for the run `live`, of `source`'s monitored logins of those dates (the last
/// 24 hours without them); 404 for an unknown run, 400 for a bad kind, filter or source. Reports are built from the
/// run in memory, once per filter, and the incident report is sent a page at a time.
#[server(input = Json, prefix = "/_sfn", endpoint = "reports/preview")]
pub async fn report_preview(
    id: String,
    kind: String,
    level: String,
    from: String,
    to: String,
    #[server(default)] paging: PageRequest,
    #[server(default)] source: String,
) -> Result<ReportView, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{blocking, fail, refused};
    use axum::http::StatusCode;
    use reports::model::{INCIDENTS_PER_PAGE, IncidentGroup};
    use reports::{Filter, ReportKind};
    use service::DetectionService;

    let kind = ReportKind::from_name(&kind)
        .filter(|kind| *kind != ReportKind::Events)
        .ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("unknown report {kind:?}; expected executive, technical or incident"),
            )
        })?;
    let filter = Filter::parse(Some(&level), Some(&from), Some(&to))
        .map_err(|error| fail(StatusCode::BAD_REQUEST, error.to_string()))?;
    let page_number = match paging.page.trim() {
        "" => None,
        text => Some(
            text.parse::<usize>()
                .ok()
                .filter(|page| *page >= 1)
                .ok_or_else(|| {
                    fail(
                        StatusCode::BAD_REQUEST,
                        format!("page must be a page number from 1, not {text:?}"),
                    )
                })?,
        ),
    };
    let service = expect_context::<Arc<DetectionService>>();
    let view = if id.trim() == service::dashboard::LIVE {
        let source = service::source::SourceName::parse(&source)
            .map_err(|message| fail(StatusCode::BAD_REQUEST, message))?;
        let span = service::dashboard::live_span_between(
            filter.from_ms,
            filter.to_ms,
            service::clock::now_ms(),
        );
        let monitor = expect_context::<service::monitor::Monitor>();
        Arc::new(
            service::monitored_run::monitored_view(&service, &monitor, source, span)
                .await
                .map_err(refused)?,
        )
    } else {
        service.view(&id).await.map_err(refused)?
    };
    blocking(move || match kind {
        ReportKind::Technical => {
            ReportView::Technical(Box::new((*view.technical_report(&filter)).clone()))
        }
        ReportKind::Incident => {
            let report = view.incident_report(&filter);
            let wanted = paging.incident.trim();
            let by_incident = (!wanted.is_empty())
                .then(|| report.page_of(wanted, INCIDENTS_PER_PAGE))
                .flatten();
            let by_group = IncidentGroup::from_slug(&paging.group).and_then(|group| {
                report
                    .page(0, INCIDENTS_PER_PAGE)
                    .groups
                    .into_iter()
                    .find(|counted| counted.group == group)
                    .and_then(|counted| counted.first_page)
            });
            let page = by_incident
                .or(by_group)
                .or(page_number.map(|page| page - 1))
                .unwrap_or(0);
            let mut shown = report.page(page, INCIDENTS_PER_PAGE);
            for (_, incident) in &mut shown.incidents {
                incident.timeline =
                    engine::incidents::condensed(&incident.timeline, PREVIEW_TIMELINE);
            }
            ReportView::Incident(Box::new(IncidentPreview {
                page: shown,
                not_found: (!wanted.is_empty() && by_incident.is_none()).then(|| wanted.to_owned()),
            }))
        }
        _ => ReportView::Executive(Box::new((*view.executive_report(&filter)).clone())),
    })
    .await
}
