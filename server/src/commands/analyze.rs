//! `skytrace analyze`: score every login of a file and explain the risky ones.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use engine::{Analysis, AnalysisConfig, Ingested, enrich::GeoLookup};
use indicatif::{ProgressBar, ProgressStyle};

use super::analysis_output::{Totals, header, print_summary, write_row, write_summary};
use super::profile::EXIT_UNUSABLE_INPUT;
use crate::cli::AnalyzeArgs;

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
    let totals = Totals::of(&analysis);
    if let Some(path) = &args.summary {
        write_summary(path, &args.input, &ingested, &totals)?;
    }
    print_summary(&args.input, &ingested, &totals, elapsed.as_secs_f64());
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
    out.write_all(&header(&ingested.extra_columns)?)?;
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
                    write_row(&mut writer, scored, event)?;
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
