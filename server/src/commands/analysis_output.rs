//! What `skytrace analyze` writes, whole or streamed: the scores file's rows and the summary
//! (printed, and as JSON with `--summary`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use engine::{Analysis, AnalysisConfig, Ingested, RiskLevel, StreamEnd};
use reports::csv_safety::neutralise;
use reports::export::{EVENT_COLUMNS, event_record};
use serde::Serialize;
use service::text::count;

/// The scores' header row: the engine's columns, then the input's passed-through ones.
pub fn header(extra_columns: &[String]) -> anyhow::Result<Vec<u8>> {
    let mut header = csv::Writer::from_writer(Vec::new());
    let mut columns: Vec<&str> = EVENT_COLUMNS.to_vec();
    columns.extend(extra_columns.iter().map(String::as_str));
    header.write_record(&columns)?;
    Ok(header.into_inner()?)
}

/// One scored login as a row of the scores file.
pub fn write_row(
    writer: &mut csv::Writer<Vec<u8>>,
    scored: &engine::ScoredEvent,
    event: &engine::LoginEvent,
) -> anyhow::Result<()> {
    let mut record = event_record(scored);
    record.extend(event.extra.iter().map(|value| neutralise(value)));
    writer.write_record(&record)?;
    Ok(())
}

/// What the summary says of the scored logins: gathered from a whole analysis, or login by
/// login as a streamed one goes.
pub struct Totals {
    /// Logins per level, in the order of [`RiskLevel::ALL`].
    by_level: [usize; 4],
    findings: BTreeMap<&'static str, usize>,
    /// The users, the model fits and the geolocation data, known at the analysis's end.
    pub end: StreamEnd,
    pub config: AnalysisConfig,
}

impl Totals {
    pub fn new(config: AnalysisConfig) -> Self {
        Self {
            by_level: [0; 4],
            findings: BTreeMap::new(),
            end: StreamEnd::default(),
            config,
        }
    }

    pub fn of(analysis: &Analysis) -> Self {
        let mut totals = Self::new(analysis.config.clone());
        for scored in &analysis.events {
            totals.add(scored);
        }
        totals.end = StreamEnd {
            users: analysis.users.clone(),
            forest_fits: analysis.forest_fits,
            cluster_fits: analysis.cluster_fits,
            cluster_eps: analysis.cluster_eps,
            geo_data: analysis.geo_data.clone(),
        };
        totals
    }

    pub fn add(&mut self, scored: &engine::ScoredEvent) {
        if let Some(index) = RiskLevel::ALL
            .iter()
            .position(|level| *level == scored.risk_level)
        {
            self.by_level[index] += 1;
        }
        for finding in &scored.findings {
            *self.findings.entry(finding.kind.as_str()).or_insert(0) += 1;
        }
    }

    fn count_at(&self, level: RiskLevel) -> usize {
        RiskLevel::ALL
            .iter()
            .position(|candidate| *candidate == level)
            .map_or(0, |index| self.by_level[index])
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    input: String,
    format: engine::Format,
    encoding: engine::ingest::TextEncoding,
    gzip: bool,
    rows_read: u64,
    accepted: u64,
    rejected: u64,
    skipped: &'a BTreeMap<String, u64>,
    rejected_rows: Vec<RejectedRow>,
    levels: BTreeMap<&'static str, usize>,
    top_users: &'a [engine::UserRisk],
    findings: &'a BTreeMap<&'static str, usize>,
    isolation_forest_fits: u32,
    dbscan_fits: u32,
    dbscan_eps: Option<f64>,
    geo_data: Option<String>,
    config: &'a AnalysisConfig,
}

#[derive(Serialize)]
struct RejectedRow {
    record: u64,
    line: Option<u64>,
    reason: String,
}

impl<'a> Summary<'a> {
    fn new(input: &Path, ingested: &'a Ingested, totals: &'a Totals) -> Self {
        Self {
            input: input.display().to_string(),
            format: ingested.format,
            encoding: ingested.encoding,
            gzip: ingested.gzip,
            rows_read: ingested.rows_read,
            accepted: ingested.accepted,
            rejected: ingested.rejected,
            skipped: &ingested.skipped,
            rejected_rows: ingested
                .rejections
                .iter()
                .map(|rejection| RejectedRow {
                    record: rejection.row,
                    line: rejection.line,
                    reason: rejection.reason.to_string(),
                })
                .collect(),
            levels: RiskLevel::ALL
                .iter()
                .map(|level| (level.as_str(), totals.count_at(*level)))
                .collect(),
            top_users: &totals.end.users[..totals.end.users.len().min(10)],
            findings: &totals.findings,
            isolation_forest_fits: totals.end.forest_fits,
            dbscan_fits: totals.end.cluster_fits,
            dbscan_eps: totals.end.cluster_eps,
            geo_data: totals.end.geo_data.clone(),
            config: &totals.config,
        }
    }
}

/// The JSON summary (`--summary`).
pub fn write_summary(
    path: &Path,
    input: &Path,
    ingested: &Ingested,
    totals: &Totals,
) -> anyhow::Result<()> {
    let summary = Summary::new(input, ingested, totals);
    std::fs::write(path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn print_summary(input: &Path, ingested: &Ingested, totals: &Totals, secs: f64) {
    println!(
        "{}  [{}]",
        input.display(),
        crate::input::describe_format(ingested)
    );
    print!("{}", crate::input::counts(ingested));
    let levels: Vec<String> = RiskLevel::ALL
        .iter()
        .rev()
        .map(|level| format!("{level} {}", count(totals.count_at(*level) as u64)))
        .collect();
    println!("  logins by level: {}", levels.join(", "));
    let risky: Vec<&engine::UserRisk> = totals
        .end
        .users
        .iter()
        .filter(|user| user.risk_level >= RiskLevel::High)
        .take(5)
        .collect();
    if !risky.is_empty() {
        println!("  riskiest users:");
        for user in risky {
            println!(
                "    {:<32} {:.2} {:<8} ({} of {} logins High or above)",
                user.user_id, user.risk_score, user.risk_level, user.high_or_above, user.logins
            );
        }
    }
    let peak = crate::memory::peak_resident_bytes()
        .map(|bytes| format!(", peak memory {} MiB", bytes / (1024 * 1024)))
        .unwrap_or_default();
    println!(
        "  analysed in {secs:.2} s{peak}{}",
        totals
            .end
            .geo_data
            .as_ref()
            .map(|data| format!("; geolocation: {data}"))
            .unwrap_or_else(|| "; no geolocation data".to_owned())
    );
}
