//! PDFs typeset with typst from the report model: the template (`templates/report.typ`) reads
//! the report as JSON and the charts as SVG from memory; fonts are typst's embedded ones, so
//! nothing is read from the system or the network and the same report gives the same bytes.

use std::sync::OnceLock;

use engine::incidents::condensed;
use serde_json::{Map, Value};
use typst::foundations::{Bytes, Smart};
use typst::text::Font;
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::{Document, ReportError, charts};

const TEMPLATE: &str = include_str!("../templates/report.typ");

/// Timeline rows per incident on paper; the JSON and CSV keep the full timeline.
const PDF_TIMELINE: usize = 24;

/// typst's embedded fonts, parsed once.
fn fonts() -> &'static [Font] {
    static FONTS: OnceLock<Vec<Font>> = OnceLock::new();
    FONTS.get_or_init(|| {
        typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect()
    })
}

pub fn typeset(document: Document<'_>) -> Result<Vec<u8>, ReportError> {
    let (kind, report, charts) = match document {
        Document::Executive(report) => (
            "executive",
            serde_json::to_value(report)?,
            vec![
                ("levels.svg", charts::levels(&report.levels)),
                (
                    "trend.svg",
                    charts::trend(&report.trend, &report.trend_unit),
                ),
                ("countries.svg", charts::countries(&report.top_countries)),
            ],
        ),
        Document::Technical(report) => (
            "technical",
            serde_json::to_value(report)?,
            vec![
                ("levels.svg", charts::levels(&report.levels)),
                (
                    "histogram.svg",
                    charts::histogram(&report.histogram, report.threshold),
                ),
            ],
        ),
        Document::Incident { shown, whole } => {
            let mut report = shown.clone();
            for incident in &mut report.incidents {
                incident.timeline = condensed(&incident.timeline, PDF_TIMELINE);
            }
            let mut report = serde_json::to_value(&report)?;
            // The whole report's figures, so the PDF says what it leaves out and where it is.
            report["whole"] = serde_json::json!({
                "total": whole.incidents.len(),
                "counts": whole.counts,
                "groups": whole.groups,
            });
            ("incident", report, Vec::new())
        }
    };
    let mut data = Map::new();
    data.insert("kind".to_owned(), Value::from(kind));
    data.insert("report".to_owned(), with_times(report));
    data.insert(
        "generator".to_owned(),
        Value::from(format!("Sky Trace {}", env!("CARGO_PKG_VERSION"))),
    );
    let data = serde_json::to_vec(&Value::Object(data))?;
    let mut files: Vec<(&str, Vec<u8>)> = vec![("data.json", data)];
    files.extend(
        charts
            .into_iter()
            .map(|(name, svg)| (name, svg.into_bytes())),
    );
    let engine = TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts(fonts().iter().cloned())
        .with_static_file_resolver(files)
        .build();
    let compiled: PagedDocument = engine
        .compile()
        .output
        .map_err(|error| ReportError::Pdf(error.to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(format!("skytrace-{kind}")),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&compiled, &options).map_err(|errors| {
        ReportError::Pdf(
            errors
                .iter()
                .map(|error| error.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// Adds a readable UTC time beside every `…_ms` number (`first_ms` → `first`), so the template
/// prints times without date arithmetic.
fn with_times(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                if let (Some(name), Some(ms)) = (key.strip_suffix("_ms"), value.as_i64()) {
                    out.insert(name.to_owned(), Value::from(readable(ms)));
                }
                out.insert(key, with_times(value));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(with_times).collect()),
        other => other,
    }
}

/// "2026-03-02 08:15 UTC".
fn readable(ms: i64) -> String {
    let text = engine::time::format_utc(ms);
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => text,
    }
}
