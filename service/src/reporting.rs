//! Reports of kept runs, built from the run in memory ([`crate::views`]): each report once per
//! filter while it is asked for, whatever the format or the page.

use std::sync::Arc;

use reports::{
    ExecutiveReport, Filter, IncidentReport, RenderOptions, ReportFormat, ReportKind,
    TechnicalReport,
};

use crate::error::RunError;
use crate::runs::{DetectionService, blocking};
use crate::views::RunView;

/// Largest number of incidents a PDF may be asked to hold (`top`): beyond it, the CSV and JSON.
pub const MAX_PDF_INCIDENTS: usize = 2_000;

/// The key a report is kept under in a run's memory: its kind and filter.
fn key(kind: ReportKind, filter: &Filter) -> String {
    format!(
        "{}|{:?}|{:?}|{:?}",
        kind.name(),
        filter.min_level,
        filter.from_ms,
        filter.to_ms
    )
}

impl RunView {
    pub fn executive_report(&self, filter: &Filter) -> Arc<ExecutiveReport> {
        self.report(&key(ReportKind::Executive, filter), || {
            ExecutiveReport::build(&self.report_input(), filter)
        })
    }

    pub fn technical_report(&self, filter: &Filter) -> Arc<TechnicalReport> {
        self.report(&key(ReportKind::Technical, filter), || {
            TechnicalReport::build(&self.report_input(), filter)
        })
    }

    /// The run's report of `kind` as `format`, but the SIEM exports, which need the validated
    /// logins too.
    pub fn render(
        &self,
        kind: ReportKind,
        format: ReportFormat,
        filter: &Filter,
        options: &RenderOptions,
    ) -> Result<Vec<u8>, reports::ReportError> {
        match kind {
            ReportKind::Incident => {
                reports::render_incidents(&self.incident_report(filter), format, options)
            }
            _ => reports::render_with(kind, format, &self.report_input(), filter, options),
        }
    }

    /// Every incident of the run at the filter's level and dates, in the report's groups.
    pub fn incident_report(&self, filter: &Filter) -> Arc<IncidentReport> {
        self.report(&key(ReportKind::Incident, filter), || {
            IncidentReport::build(&self.report_input(), filter)
        })
    }
}

impl DetectionService {
    /// A kept run's report of `kind` as `format` (the downloads): from the run in memory, but
    /// the SIEM exports, which need the validated logins too, from the database.
    pub async fn report(
        &self,
        id: &str,
        kind: ReportKind,
        format: ReportFormat,
        filter: Filter,
        options: RenderOptions,
    ) -> Result<Vec<u8>, RunError> {
        let rendered = if matches!(format, ReportFormat::Ecs | ReportFormat::Ocsf) {
            let kept = self.kept_with_logins(id).await?;
            blocking(move || {
                let conclusions = kept.conclusions();
                reports::render(kind, format, &kept.report_input(&conclusions), &filter)
            })
            .await?
        } else {
            let view = self.view(id).await?;
            blocking(move || view.render(kind, format, &filter, &options)).await?
        };
        rendered.map_err(|error| {
            tracing::error!(%error, run = id, kind = kind.name(), format = format.name(), "report failed");
            RunError::Task
        })
    }
}
