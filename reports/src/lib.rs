//! Reports from an analysis: executive, technical and incident, as PDF, CSV and JSON, plus
//! exports of the scored logins. The same model ([`model`]) feeds every format and the web
//! preview, so a report says the same thing however it is asked for.

pub mod charts;
pub mod csv_safety;
pub mod export;
pub mod filter;
pub mod model;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod siem;

use serde::{Deserialize, Serialize};

pub use filter::Filter;
pub use model::{
    ExecutiveReport, IncidentGroup, IncidentPage, IncidentReport, PDF_INCIDENTS, ReportInput,
    TechnicalReport,
};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Filter(String),
    #[error("{kind} reports come as {supported}, not {format}")]
    Unsupported {
        kind: &'static str,
        format: &'static str,
        supported: String,
    },
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot typeset the PDF: {0}")]
    Pdf(String),
}

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Executive,
    Technical,
    Incident,
    /// The scored logins themselves (CSV or JSON only).
    Events,
}

impl ReportKind {
    pub const ALL: [ReportKind; 4] = [
        Self::Executive,
        Self::Technical,
        Self::Incident,
        Self::Events,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Executive => "executive",
            Self::Technical => "technical",
            Self::Incident => "incident",
            Self::Events => "events",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Executive => "Executive summary",
            Self::Technical => "Technical report",
            Self::Incident => "Incident report",
            Self::Events => "Scored logins",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn formats(self) -> &'static [ReportFormat] {
        match self {
            Self::Events => &[
                ReportFormat::Csv,
                ReportFormat::Json,
                ReportFormat::Ecs,
                ReportFormat::Ocsf,
            ],
            _ => &[ReportFormat::Pdf, ReportFormat::Csv, ReportFormat::Json],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Pdf,
    Csv,
    Json,
    /// Elastic Common Schema alert documents, one per line (scored logins only), for SIEMs.
    Ecs,
    /// OCSF Authentication events (class 3002), one per line (scored logins only).
    Ocsf,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [Self::Pdf, Self::Csv, Self::Json, Self::Ecs, Self::Ocsf];

    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Ecs => "ecs",
            Self::Ocsf => "ocsf",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The format a file name asks for: by its extension, and `NAME.ecs.ndjson` or
    /// `NAME.ocsf.ndjson` (`.json` too) for the SIEM schemas.
    pub fn from_file_name(file_name: &str) -> Option<Self> {
        let lower = file_name.to_ascii_lowercase();
        for (schema, format) in [(".ecs.", Self::Ecs), (".ocsf.", Self::Ocsf)] {
            if [".ndjson", ".jsonl", ".json"].iter().any(|extension| {
                lower.ends_with(&format!("{}{}", &schema[..schema.len() - 1], extension))
            }) {
                return Some(format);
            }
        }
        Self::from_name(lower.rsplit_once('.')?.1)
    }

    /// What a file of this format is named with.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ecs => "ecs.ndjson",
            Self::Ocsf => "ocsf.ndjson",
            other => other.name(),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Ecs | Self::Ocsf => "application/x-ndjson",
        }
    }
}

/// How a report is written, beyond what it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// Incidents an incident report's PDF holds at most, the most severe
    /// ([`IncidentReport::most_severe`]); the PDF says how many more there are and where. The
    /// CSV and JSON always hold every incident.
    pub pdf_incidents: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            pdf_incidents: PDF_INCIDENTS,
        }
    }
}

/// Writes the report of `kind` as `format`, with the default [`RenderOptions`].
pub fn render(
    kind: ReportKind,
    format: ReportFormat,
    input: &ReportInput<'_>,
    filter: &Filter,
) -> Result<Vec<u8>, ReportError> {
    render_with(kind, format, input, filter, &RenderOptions::default())
}

/// Writes an incident report already built as `format`.
pub fn render_incidents(
    report: &IncidentReport,
    format: ReportFormat,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    match format {
        ReportFormat::Csv => export::incidents_csv(report, &mut out)?,
        ReportFormat::Json => export::json(report, &mut out)?,
        ReportFormat::Pdf => {
            let shown = report.most_severe(options.pdf_incidents);
            out = typeset(Document::Incident {
                shown: &shown,
                whole: report,
            })?;
        }
        ReportFormat::Ecs | ReportFormat::Ocsf => {
            return Err(ReportError::Unsupported {
                kind: ReportKind::Incident.name(),
                format: format.name(),
                supported: "pdf, csv, json".to_owned(),
            });
        }
    }
    Ok(out)
}

/// Writes the report of `kind` as `format`.
pub fn render_with(
    kind: ReportKind,
    format: ReportFormat,
    input: &ReportInput<'_>,
    filter: &Filter,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    let unsupported = || ReportError::Unsupported {
        kind: kind.name(),
        format: format.name(),
        supported: kind
            .formats()
            .iter()
            .map(|format| format.name())
            .collect::<Vec<_>>()
            .join(", "),
    };
    if !kind.formats().contains(&format) {
        return Err(unsupported());
    }
    let mut out = Vec::new();
    match (kind, format) {
        (ReportKind::Events, format) => {
            let selected = export::selected_events(input.events, filter);
            match format {
                ReportFormat::Csv => export::events_csv(&selected, &mut out)?,
                ReportFormat::Ecs => siem::ecs_ndjson(&selected, input.logins, &mut out)?,
                ReportFormat::Ocsf => siem::ocsf_ndjson(&selected, input.logins, &mut out)?,
                _ => export::json(&selected, &mut out)?,
            }
        }
        (ReportKind::Executive, format) => {
            let report = ExecutiveReport::build(input, filter);
            match format {
                ReportFormat::Csv => export::executive_csv(&report, &mut out)?,
                ReportFormat::Json => export::json(&report, &mut out)?,
                ReportFormat::Pdf => out = typeset(Document::Executive(&report))?,
                ReportFormat::Ecs | ReportFormat::Ocsf => return Err(unsupported()),
            }
        }
        (ReportKind::Technical, format) => {
            let report = TechnicalReport::build(input, filter);
            match format {
                ReportFormat::Csv => export::technical_csv(&report, &mut out)?,
                ReportFormat::Json => export::json(&report, &mut out)?,
                ReportFormat::Pdf => out = typeset(Document::Technical(&report))?,
                ReportFormat::Ecs | ReportFormat::Ocsf => return Err(unsupported()),
            }
        }
        (ReportKind::Incident, format) => {
            out = render_incidents(&IncidentReport::build(input, filter), format, options)?;
        }
    }
    Ok(out)
}

/// A report to typeset.
pub enum Document<'a> {
    Executive(&'a ExecutiveReport),
    Technical(&'a TechnicalReport),
    /// The incidents `shown` (the most severe, at most [`RenderOptions::pdf_incidents`]) of the
    /// `whole` report.
    Incident {
        shown: &'a IncidentReport,
        whole: &'a IncidentReport,
    },
}

fn typeset(document: Document<'_>) -> Result<Vec<u8>, ReportError> {
    #[cfg(feature = "pdf")]
    {
        pdf::typeset(document)
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = document;
        Err(ReportError::Pdf(
            "this build has no PDF support (the reports crate's `pdf` feature is off)".to_owned(),
        ))
    }
}
