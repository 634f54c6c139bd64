//! `skytrace bench`: throughput figures, measured (not asserted). End to end on generated logs
//! of 100k and 1M events, the learnt state a monitored source keeps when its logins are purged,
//! geolocation lookups, and the Isolation Forest against scikit-learn.

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;
use engine::enrich::GeoLookup;
use engine::evaluation::ranking_metrics;
use engine::{AnalysisConfig, IngestOptions};
use isolation_forest::{IsolationForestParams, Matrix, fit};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use scenario::{self, ScenarioParams};

use crate::cli::BenchArgs;

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    println!(
        "Sky Trace benchmarks (median of {} runs; 2-core machines are noisy)",
        args.runs
    );
    let mut opening = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        drop(super::lookup::open_for(&args.geo)?);
        opening.push(started.elapsed().as_secs_f64());
    }
    println!(
        "geolocation data opened in {:.0} ms (city databases mapped, ASN tables parsed)",
        median(opening) * 1e3
    );
    let geo: std::sync::Arc<dyn GeoLookup + Send> =
        std::sync::Arc::from(super::lookup::open_for(&args.geo)?);
    for (index, &events) in args.events.iter().enumerate() {
        let log = GeneratedLog::of_about(events)?;
        end_to_end(&log.csv, args.runs, geo.as_ref())?;
        let file = log.write_to(&args.scratch)?;
        for stream in [false, true] {
            whole_process(&file, &log, stream, args)?;
        }
        if index == 0 {
            learnt_state(&log, args.runs, &geo)?;
        }
    }
    if args.ten_million {
        // A month of a 160,000-person company, streamed: the whole log would not fit the budget.
        let log = GeneratedLog::of(TEN_MILLION_USERS, TEN_MILLION_DAYS)?;
        let file = log.write_to(&args.scratch)?;
        whole_process(&file, &log.on_disk_only(), true, args)?;
    }
    geolocation(geo.as_ref(), args.runs);
    isolation_forest(args.runs, &args.scratch)?;
    Ok(ExitCode::SUCCESS)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    crate::memory::peak_resident_bytes().map(|bytes| bytes as f64 / (1024.0 * 1024.0))
}

/// The 10-million-login case: about 62 logins per user over a month.
const TEN_MILLION_USERS: usize = 160_000;
const TEN_MILLION_DAYS: u32 = 30;

/// A generated log as CSV in memory: the evaluation scenario scaled by users.
struct GeneratedLog {
    users: usize,
    days: u32,
    logins: usize,
    csv: Vec<u8>,
}

impl GeneratedLog {
    /// About `events` logins (some 123 per user over the scenario's 60 days).
    fn of_about(events: usize) -> anyhow::Result<Self> {
        Self::of((events / 123).max(10), ScenarioParams::evaluation().days)
    }

    fn of(users: usize, days: u32) -> anyhow::Result<Self> {
        let mut params = ScenarioParams::evaluation();
        params.users = users;
        params.days = days;
        let rows = scenario::generate(&params)?;
        let mut csv = Vec::with_capacity(rows.len() * 175);
        scenario::write_csv(&rows, &mut csv, false)?;
        Ok(Self {
            users,
            days,
            logins: rows.len(),
            csv,
        })
    }

    /// The same log without its text in memory (once written to a file).
    fn on_disk_only(self) -> Self {
        Self {
            csv: Vec::new(),
            ..self
        }
    }

    /// The log as a file in `scratch`, for the runs as whole processes.
    fn write_to(&self, scratch: &Path) -> anyhow::Result<std::path::PathBuf> {
        std::fs::create_dir_all(scratch)?;
        let path = scratch.join(format!(
            "generated-{}-users-{}-days.csv",
            self.users, self.days
        ));
        std::fs::write(&path, &self.csv)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

/// `skytrace analyze FILE` (or `--stream`) as a whole process, `args.runs` times: the median
/// time and the largest peak resident memory.
fn whole_process(
    file: &Path,
    log: &GeneratedLog,
    stream: bool,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let mut secs = Vec::new();
    let mut peak_mib: Option<f64> = None;
    for _ in 0..args.runs {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg("analyze").arg(file);
        if stream {
            command.arg("--stream");
        } else {
            command.args(["--max-rows", "100000000", "--max-expanded-mb", "65536"]);
        }
        if let Some(dir) = &args.geo.geo_dir {
            command.arg("--geo-dir").arg(dir);
        }
        for list in &args.geo.ip_lists {
            command.arg("--ip-list").arg(list);
        }
        let started = Instant::now();
        let output = command.output().context("cannot start skytrace analyze")?;
        anyhow::ensure!(
            output.status.success(),
            "skytrace analyze {} failed: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        secs.push(started.elapsed().as_secs_f64());
        // Its own figure: a child's resource usage would count the memory of this process,
        // which it starts as a copy of.
        let peak = String::from_utf8_lossy(&output.stdout)
            .split("peak memory ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next()?.parse::<f64>().ok());
        peak_mib = match (peak, peak_mib) {
            (Some(this), Some(before)) => Some(this.max(before)),
            (this, before) => this.or(before),
        };
    }
    let total = median(secs);
    let bytes = std::fs::metadata(file)?.len();
    println!(
        "  `skytrace analyze{}`, {} logins of {} users ({:.0} MB CSV) as a whole process: {:.2} s ({:.0}k logins/s), peak memory {}",
        if stream { " --stream" } else { "" },
        log.logins,
        log.users,
        bytes as f64 / 1e6,
        total,
        log.logins as f64 / total / 1e3,
        peak_mib.map_or_else(|| "unknown".to_owned(), |mib| format!("{mib:.0} MiB"))
    );
    Ok(())
}

/// Times ingest + analysis of `csv`.
fn end_to_end(csv: &[u8], runs: usize, geo: &dyn GeoLookup) -> anyhow::Result<()> {
    let config = AnalysisConfig::default();
    let mut ingest_secs = Vec::new();
    let mut total_secs = Vec::new();
    let mut count = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let ingested = engine::read_slice(csv, &IngestOptions::default())?;
        let ingested_at = started.elapsed().as_secs_f64();
        let analysis = engine::analyze(&ingested.events, &config, geo, |_| {})?;
        total_secs.push(started.elapsed().as_secs_f64());
        ingest_secs.push(ingested_at);
        count = analysis.events.len();
    }
    let total = median(total_secs);
    println!(
        "end to end, {} events ({:.0} MB CSV): {:.2} s ({:.2} s parsing), {:.0} events/s, peak memory {} ",
        count,
        csv.len() as f64 / 1e6,
        total,
        median(ingest_secs),
        count as f64 / total,
        peak_rss_mib().map_or_else(|| "unknown".to_owned(), |mib| format!("{mib:.0} MiB"))
    );
    // The original app (pandas + scikit-learn) took about 14 s for 113k events on this kind
    // of machine.
    let python_secs = 14.0 * count as f64 / 113_000.0;
    println!(
        "  vs the original Python pipeline (~14 s per 113k events, scaled): {:.0}x faster",
        python_secs / total
    );
    Ok(())
}

/// What a monitored source keeps of its learning when its logins are purged: the size of the
/// learnt state after the logins of `log`, and the time to write it and to resume from it.
fn learnt_state(
    log: &GeneratedLog,
    runs: usize,
    geo: &std::sync::Arc<dyn GeoLookup + Send>,
) -> anyhow::Result<()> {
    let logins = engine::read_slice(&log.csv, &IngestOptions::default())?.events;
    let config = AnalysisConfig::default();
    let mut analyzer = engine::Analyzer::shared(config.clone(), std::sync::Arc::clone(geo))?;
    for login in &logins {
        analyzer.score(login)?;
    }
    let mut write_secs = Vec::new();
    let mut resume_secs = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let state = analyzer.learnt_state();
        write_secs.push(started.elapsed().as_secs_f64());
        bytes = state.len();
        let started = Instant::now();
        engine::Analyzer::resume_shared(config.clone(), std::sync::Arc::clone(geo), &state)?;
        resume_secs.push(started.elapsed().as_secs_f64());
    }
    println!(
        "learnt state after {} logins of {} users: {:.1} MB, written in {:.0} ms, resumed in {:.0} ms",
        logins.len(),
        log.users,
        bytes as f64 / 1e6,
        median(write_secs) * 1e3,
        median(resume_secs) * 1e3,
    );
    Ok(())
}

fn geolocation(geo: &dyn GeoLookup, runs: usize) {
    if geo.data_version().is_none() {
        println!("geolocation: no data (run ./dev setup); skipped");
        return;
    }
    let mut random = Xoshiro256PlusPlus::seed_from_u64(11);
    let addresses: Vec<std::net::IpAddr> = (0..200_000)
        .map(|_| std::net::IpAddr::V4(std::net::Ipv4Addr::from(random.next_u32())))
        .collect();
    let mut uncached = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let found = addresses
            .iter()
            .filter(|ip| geo.lookup(**ip).is_some())
            .count();
        uncached.push(addresses.len() as f64 / started.elapsed().as_secs_f64());
        std::hint::black_box(found);
    }
    // The analyzer looks each distinct address up once and keeps the answer: a repeat costs a
    // hash-map probe, which is what "cached" measures.
    let cache: std::collections::HashMap<std::net::IpAddr, Option<engine::enrich::GeoInfo>> =
        addresses
            .iter()
            .take(10_000)
            .map(|ip| (*ip, geo.lookup(*ip)))
            .collect();
    let mut cached = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut found = 0;
        for ip in addresses.iter().cycle().take(2_000_000) {
            if let Some(Some(info)) = cache.get(ip) {
                found += usize::from(info.asn.is_some());
            }
        }
        std::hint::black_box(found);
        cached.push(2_000_000.0 / started.elapsed().as_secs_f64());
    }
    println!(
        "geolocation lookups (one core): {:.0}k/s uncached (city + ASN + classification), {:.1}M/s cached",
        median(uncached) / 1e3,
        median(cached) / 1e6
    );
}

/// The Isolation Forest on a synthetic table (100k rows, 8 columns, 1% outliers), ours and
/// scikit-learn's on the same CSV.
fn isolation_forest(runs: usize, scratch: &Path) -> anyhow::Result<()> {
    const ROWS: usize = 100_000;
    const COLUMNS: usize = 8;
    let mut random = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut uniform = || (random.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut values = Vec::with_capacity(ROWS * COLUMNS);
    let mut labels = Vec::with_capacity(ROWS);
    for row in 0..ROWS {
        let outlier = row % 100 == 0;
        for _ in 0..COLUMNS {
            // Sum of uniforms: roughly normal inliers; outliers spread four times wider.
            let normal = (0..4).map(|_| uniform()).sum::<f64>() - 2.0;
            values.push(if outlier { normal * 4.0 + 1.5 } else { normal });
        }
        labels.push(outlier);
    }
    std::fs::create_dir_all(scratch)?;
    let table = scratch.join("iforest-bench.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&table)?);
    let header: Vec<String> = (0..COLUMNS).map(|column| format!("f{column}")).collect();
    writeln!(file, "{},label", header.join(","))?;
    for (row, label) in values.chunks(COLUMNS).zip(&labels) {
        let cells: Vec<String> = row.iter().map(|value| format!("{value:.6}")).collect();
        writeln!(file, "{},{}", cells.join(","), u8::from(*label))?;
    }
    file.flush()?;

    let matrix = Matrix::new(&values, COLUMNS)?;
    let mut timings = Vec::new();
    let mut auc = 0.0;
    for seed in 0..runs as u64 {
        let started = Instant::now();
        let forest = fit(&IsolationForestParams::default().seed(seed), matrix)?;
        let scores = forest.score_many(matrix);
        timings.push(started.elapsed().as_secs_f64());
        auc += ranking_metrics(&scores, &labels)
            .context("both classes present")?
            .roc_auc;
    }
    let ours = median(timings);
    println!(
        "isolation forest, {ROWS} x {COLUMNS} (100 trees, psi 256): fit+score {:.1} ms, ROC-AUC {:.4} (mean of {runs} seeds; rayon on)",
        ours * 1000.0,
        auc / runs as f64
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/iforest_sklearn.py");
    match Command::new("python3")
        .arg(&script)
        .arg(&table)
        .arg(runs.to_string())
        .output()
    {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            print!("{text}");
            if let Some(seconds) = text
                .split_whitespace()
                .find_map(|word| word.strip_prefix("fit+score_s="))
                .and_then(|value| value.parse::<f64>().ok())
            {
                println!("  ours is {:.1}x faster than scikit-learn", seconds / ours);
            }
        }
        Ok(output) => println!(
            "scikit-learn comparison skipped: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("python3 failed")
        ),
        Err(error) => println!("scikit-learn comparison skipped: {error}"),
    }
    Ok(())
}
