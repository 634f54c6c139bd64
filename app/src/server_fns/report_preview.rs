use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use reports::{ExecutiveReport, IncidentReport, TechnicalReport};

/// A report as the page previews it (incident timelines cut to [`PREVIEW_TIMELINE`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReportView {
    Executive(Box<ExecutiveReport>),
    Technical(Box<TechnicalReport>),
    Incident(Box<IncidentReport>),
}

/// Timeline rows per incident in the preview; the downloads keep more.
pub const PREVIEW_TIMELINE: usize = 24;

/// A kept run's report of `kind` (executive, technical or incident) for the filter's level
/// and dates; 404 for an unknown run, 400 for a bad kind or filter.
#[server(input = Json, prefix = "/_sfn", endpoint = "reports/preview")]
pub async fn report_preview(
    id: String,
    kind: String,
    level: String,
    from: String,
    to: String,
) -> Result<ReportView, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{blocking, fail, refused};
    use axum::http::StatusCode;
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
    let service = expect_context::<Arc<DetectionService>>();
    let kept = service.kept(&id).await.map_err(refused)?;
    blocking(move || {
        let conclusions = kept.conclusions();
        let input = kept.report_input(&conclusions);
        match kind {
            ReportKind::Technical => {
                ReportView::Technical(Box::new(TechnicalReport::build(&input, &filter)))
            }
            ReportKind::Incident => {
                let mut report = IncidentReport::build(&input, &filter);
                for incident in &mut report.incidents {
                    incident.timeline =
                        engine::incidents::condensed(&incident.timeline, PREVIEW_TIMELINE);
                }
                ReportView::Incident(Box::new(report))
            }
            _ => ReportView::Executive(Box::new(ExecutiveReport::build(&input, &filter))),
        }
    })
    .await
}
