//! `skytrace analyze`: score every login of a file and explain the risky ones.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use engine::{Analysis, AnalysisConfig, Ingested, RiskLevel, enrich::GeoLookup};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use service::text::count;

use super::profile::EXIT_UNUSABLE_INPUT;
use crate::cli::AnalyzeArgs;
use reports::csv_safety::neutralise;
use reports::export::{EVENT_COLUMNS, event_record};

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    let notifications = match (
        args.notify,
        crate::config_file::notifications(args.config.as_deref())?,
    ) {
        (false, _) => None,
        (true, Some(notifications)) if notifications.has_channels() => Some(notifications),
        (true, _) => anyhow::bail!(
            "--notify needs a config file (--config) with a [notifications] section and at least one channel"
        ),
    };
    let started = Instant::now();
    let settings = crate::config_file::input(args.config.as_deref())?;
    // The geolocation data loads while the log is read.
    let (read, geo) = std::thread::scope(|scope| {
        let geo = scope.spawn(|| super::lookup::open_for(&args.geo));
        let read = crate::input::read(&args.reading, &settings, &args.input);
        (read, geo.join())
    });
    let ingested = match read? {
        Ok(ingested) => ingested,
        Err(error) => {
            eprintln!("skytrace: cannot analyse {}: {error}", args.input.display());
            return Ok(ExitCode::from(EXIT_UNUSABLE_INPUT));
        }
    };
    let geo = geo.map_err(|_| anyhow::anyhow!("loading the geolocation data panicked"))??;
    let analysis = analyze_with_progress(&ingested, &config, geo.as_ref())?;
    let elapsed = started.elapsed();

    if let Some(path) = &args.out {
        write_scores(path, &ingested, &analysis)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.summary {
        let summary = Summary::new(&args.input, &ingested, &analysis);
        std::fs::write(path, serde_json::to_string_pretty(&summary)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_summary(&args.input, &ingested, &analysis, elapsed.as_secs_f64());
    if let Some(notifications) = &notifications {
        super::notify::notify_analysis(
            notifications,
            &analysis,
            &args.data_dir,
            args.database.as_deref(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The analysis settings of the TOML config file, or the defaults, validated.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<AnalysisConfig> {
    crate::config_file::analysis(path)
}

pub fn analyze_with_progress(
    ingested: &Ingested,
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
) -> anyhow::Result<Analysis> {
    let total = ingested.events.len() as u64;
    let bar = if std::io::stderr().is_terminal() && total >= 50_000 {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{spinner} scoring {pos}/{len} logins [{bar:30}] {eta}")?
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let analysis = engine::analyze(&ingested.events, config, geo, |done| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    Ok(analysis)
}

/// Rows formatted together on one thread, and written in order.
const ROWS_PER_PIECE: usize = 8_192;
/// Pieces formatted at once: the formatted text held is bounded whatever the log's size.
const PIECES_AT_ONCE: usize = 8;

/// One row per accepted event, in input order; extra input columns are passed through. Rows
/// are formatted on every core, a bounded batch at a time, and written in order.
fn write_scores(path: &Path, ingested: &Ingested, analysis: &Analysis) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let mut out = BufWriter::new(File::create(path)?);
    let mut header = csv::Writer::from_writer(Vec::new());
    let mut columns: Vec<&str> = EVENT_COLUMNS.to_vec();
    columns.extend(ingested.extra_columns.iter().map(String::as_str));
    header.write_record(&columns)?;
    out.write_all(&header.into_inner()?)?;
    let batch = ROWS_PER_PIECE * PIECES_AT_ONCE;
    for (scored, events) in analysis
        .events
        .chunks(batch)
        .zip(ingested.events.chunks(batch))
    {
        let pieces = scored
            .par_chunks(ROWS_PER_PIECE)
            .zip(events.par_chunks(ROWS_PER_PIECE))
            .map(|(scored, events)| {
                let mut writer = csv::Writer::from_writer(Vec::new());
                for (scored, event) in scored.iter().zip(events) {
                    let mut record = event_record(scored);
                    record.extend(event.extra.iter().map(|value| neutralise(value)));
                    writer.write_record(&record)?;
                }
                Ok(writer.into_inner()?)
            })
            .collect::<anyhow::Result<Vec<Vec<u8>>>>()?;
        for piece in pieces {
            out.write_all(&piece)?;
        }
    }
    out.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct Summary<'a> {
    input: String,
    format: engine::Format,
    encoding: engine::ingest::TextEncoding,
    gzip: bool,
    rows_read: u64,
    accepted: usize,
    rejected: u64,
    skipped: &'a BTreeMap<String, u64>,
    rejected_rows: Vec<RejectedRow>,
    levels: BTreeMap<&'static str, usize>,
    top_users: &'a [engine::UserRisk],
    findings: BTreeMap<&'static str, usize>,
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
    fn new(input: &Path, ingested: &'a Ingested, analysis: &'a Analysis) -> Self {
        let mut findings = BTreeMap::new();
        for event in &analysis.events {
            for finding in &event.findings {
                *findings.entry(finding.kind.as_str()).or_insert(0) += 1;
            }
        }
        Self {
            input: input.display().to_string(),
            format: ingested.format,
            encoding: ingested.encoding,
            gzip: ingested.gzip,
            rows_read: ingested.rows_read,
            accepted: ingested.events.len(),
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
                .map(|level| (level.as_str(), analysis.count_at(*level)))
                .collect(),
            top_users: &analysis.users[..analysis.users.len().min(10)],
            findings,
            isolation_forest_fits: analysis.forest_fits,
            dbscan_fits: analysis.cluster_fits,
            dbscan_eps: analysis.cluster_eps,
            geo_data: analysis.geo_data.clone(),
            config: &analysis.config,
        }
    }
}

fn print_summary(input: &Path, ingested: &Ingested, analysis: &Analysis, secs: f64) {
    println!(
        "{}  [{}]",
        input.display(),
        crate::input::describe_format(ingested)
    );
    print!("{}", crate::input::counts(ingested));
    let levels: Vec<String> = RiskLevel::ALL
        .iter()
        .rev()
        .map(|level| format!("{level} {}", count(analysis.count_at(*level) as u64)))
        .collect();
    println!("  logins by level: {}", levels.join(", "));
    let risky: Vec<&engine::UserRisk> = analysis
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
    println!(
        "  analysed in {secs:.2} s{}",
        analysis
            .geo_data
            .as_ref()
            .map(|data| format!("; geolocation: {data}"))
            .unwrap_or_else(|| "; no geolocation data".to_owned())
    );
}
