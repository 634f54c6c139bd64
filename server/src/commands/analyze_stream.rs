//! `skytrace analyze --stream`: a log of any length scored as it is read. Three threads: one
//! reads and parses, putting the logins back in time order within a window; one scores them
//! (with the population models' scores on the other core); one writes the scores. Blocks pass
//! between them through channels of two blocks, so what is held is the analysis's per-user
//! state, the reorder window and a few blocks, not the log.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use anyhow::Context;
use engine::ingest::{ReadObserver, Reorder};
use engine::{AnalysisConfig, LoginEvent, RejectReason, Scored, StreamingAnalysis};

use super::analysis_output::{Totals, header, print_summary, write_row, write_summary};
use super::profile::EXIT_UNUSABLE_INPUT;
use crate::cli::AnalyzeArgs;

/// Logins per block handed from the reader to the analysis.
const BLOCK: usize = 32_768;
/// Blocks waiting in each channel: enough to keep every thread busy, few enough to stay small.
const QUEUED_BLOCKS: usize = 2;

/// From the reader to the analysis, and from the analysis to the writer.
enum Piece<T> {
    /// The input's passed-through columns, before the first logins.
    Columns(Vec<String>),
    Logins(T),
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let config = super::analyze::load_config(args.config.as_deref())?;
    let started = Instant::now();
    let settings = &crate::config_file::input(args.config.as_deref())?;
    let window = usize::try_from(args.reorder_window).unwrap_or(usize::MAX);
    let (to_analysis, from_reader) = sync_channel(QUEUED_BLOCKS);
    let (to_writer, from_analysis) = sync_channel(QUEUED_BLOCKS);
    let (read, scored, written) = std::thread::scope(|scope| {
        let geo = scope.spawn(|| super::lookup::open_for(&args.geo));
        let reader = scope.spawn(move || {
            let mut feed = Feed {
                reorder: Reorder::new(window),
                block: Vec::with_capacity(BLOCK),
                to_analysis,
            };
            let read =
                crate::input::read_into(&args.reading, settings, &args.input, Some(&mut feed));
            feed.finish();
            read
        });
        let writer = scope.spawn(|| write_scores(args.out.as_deref(), from_analysis));
        let scored = geo
            .join()
            .map_err(|_| anyhow::anyhow!("loading the geolocation data panicked"))
            .and_then(|geo| {
                let geo = geo?;
                score(config, geo.as_ref(), from_reader, to_writer)
            });
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("reading the log panicked"));
        let written = writer
            .join()
            .map_err(|_| anyhow::anyhow!("writing the scores panicked"));
        (read, scored, written)
    });
    let ingested = match read?? {
        Ok(ingested) => ingested,
        Err(error) => {
            if let Some(out) = &args.out {
                let _ = std::fs::remove_file(out);
            }
            eprintln!("skytrace: cannot analyse {}: {error}", args.input.display());
            return Ok(ExitCode::from(EXIT_UNUSABLE_INPUT));
        }
    };
    let totals = scored?;
    if let Some(out) = &args.out {
        written?.with_context(|| format!("cannot write {}", out.display()))?;
    }
    if let Some(path) = &args.summary {
        write_summary(path, &args.input, &ingested, &totals)?;
    }
    print_summary(
        &args.input,
        &ingested,
        &totals,
        started.elapsed().as_secs_f64(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Scores the blocks as they arrive and passes them on to be written.
fn score(
    config: AnalysisConfig,
    geo: &dyn engine::enrich::GeoLookup,
    from_reader: Receiver<Piece<Vec<LoginEvent>>>,
    to_writer: SyncSender<Piece<Vec<Scored>>>,
) -> anyhow::Result<Totals> {
    let mut totals = Totals::new(config.clone());
    let mut analysis = StreamingAnalysis::new(config, geo, None)?;
    let pass_on = |scored: Vec<Scored>, totals: &mut Totals| {
        for (_, login) in &scored {
            totals.add(login);
        }
        // A writer that stopped has its error to tell; the scoring goes on for the summary.
        let _ = to_writer.send(Piece::Logins(scored));
    };
    for piece in from_reader {
        match piece {
            Piece::Columns(names) => {
                let _ = to_writer.send(Piece::Columns(names));
            }
            Piece::Logins(block) => {
                let scored = analysis
                    .push(block)
                    .context("the reordered logins went back in time")?;
                pass_on(scored, &mut totals);
            }
        }
    }
    let (scored, end) = analysis.finish();
    pass_on(scored, &mut totals);
    totals.end = end;
    Ok(totals)
}

/// Writes the scores as they come (or drops them without `--out`).
fn write_scores(
    out: Option<&Path>,
    from_analysis: Receiver<Piece<Vec<Scored>>>,
) -> anyhow::Result<()> {
    let Some(path) = out else {
        from_analysis.iter().for_each(drop);
        return Ok(());
    };
    let mut out = BufWriter::new(File::create(path)?);
    let mut extra_columns = Vec::new();
    let mut header_written = false;
    for piece in from_analysis {
        match piece {
            Piece::Columns(names) => extra_columns = names,
            Piece::Logins(scored) => {
                if !header_written {
                    out.write_all(&header(&extra_columns)?)?;
                    header_written = true;
                }
                let mut writer = csv::Writer::from_writer(Vec::new());
                for (login, scored) in &scored {
                    write_row(&mut writer, scored, login)?;
                }
                out.write_all(&writer.into_inner()?)?;
            }
        }
    }
    if !header_written {
        out.write_all(&header(&extra_columns)?)?;
    }
    out.flush()?;
    Ok(())
}

/// Takes the logins from the reader, reorders them, and sends them on a block at a time.
struct Feed {
    reorder: Reorder,
    block: Vec<LoginEvent>,
    to_analysis: SyncSender<Piece<Vec<LoginEvent>>>,
}

impl Feed {
    fn send_block(&mut self) {
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
        // An analysis that stopped has its error to tell; the reading goes on to count.
        let _ = self.to_analysis.send(Piece::Logins(block));
    }

    fn finish(mut self) {
        while let Some(login) = self.reorder.pop() {
            self.block.push(login);
            if self.block.len() >= BLOCK {
                self.send_block();
            }
        }
        self.send_block();
    }
}

impl ReadObserver for Feed {
    fn extra_columns(&mut self, names: &[String]) {
        let _ = self.to_analysis.send(Piece::Columns(names.to_vec()));
    }

    fn accepted(&mut self, login: LoginEvent) -> Result<Option<LoginEvent>, RejectReason> {
        self.reorder.push(login, &mut self.block)?;
        if self.block.len() >= BLOCK {
            self.send_block();
        }
        Ok(None)
    }
}
