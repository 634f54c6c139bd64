//! `skytrace loadtest`: drives a running server on loopback the way a busy team would — clients
//! uploading small logs while others read the dashboard and the run list — with bounded request
//! counts, and prints latency percentiles, answers by status and the server's peak memory.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Mutex;

use crate::cli::LoadTestArgs;

/// Rows in each uploaded log.
const ROWS_PER_UPLOAD: usize = 100;
const BOUNDARY: &str = "skytrace-loadtest-boundary";

/// What one endpoint answered.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    statuses: BTreeMap<u16, u64>,
    /// Requests that got no HTTP answer (connection refused or dropped, client timeout).
    failed: u64,
}

type Tallies = Arc<Mutex<BTreeMap<&'static str, Tally>>>;

pub fn run(args: &LoadTestArgs) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(drive(args))
}

async fn drive(args: &LoadTestArgs) -> anyhow::Result<ExitCode> {
    let base = args.url.trim_end_matches('/').to_owned();
    // reqwest is built without a TLS provider of its own (see the alerts crate); loopback is
    // plain HTTP, but the client wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs))
        .pool_max_idle_per_host((args.clients + args.readers) as usize)
        .build()
        .context("cannot build the HTTP client")?;
    client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .with_context(|| format!("no server answers at {base}"))?;
    let tallies: Tallies = Arc::default();
    let uploading = Arc::new(AtomicBool::new(true));
    let peak_rss_kib = Arc::new(AtomicU64::new(0));
    let rss_before_kib = args.pid.and_then(|pid| memory_kib(pid, "VmRSS:"));
    let sampler = args.pid.map(|pid| {
        let peak = Arc::clone(&peak_rss_kib);
        let uploading = Arc::clone(&uploading);
        tokio::spawn(async move {
            while uploading.load(Ordering::Relaxed) {
                if let Some(rss) = memory_kib(pid, "VmRSS:") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    });
    let started = Instant::now();
    let stamp = jiff::Timestamp::now().as_millisecond();
    let uploaders: Vec<_> = (0..args.clients)
        .map(|client_no| {
            let (client, base, tallies) = (client.clone(), base.clone(), Arc::clone(&tallies));
            let uploads = args.uploads;
            tokio::spawn(async move {
                for upload_no in 0..uploads {
                    let body = multipart(&log(stamp, client_no, upload_no));
                    let request = client
                        .post(format!("{base}/api/v1/analyses"))
                        .header(
                            reqwest::header::CONTENT_TYPE,
                            format!("multipart/form-data; boundary={BOUNDARY}"),
                        )
                        .body(body);
                    timed(&tallies, "POST /api/v1/analyses", request).await;
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..args.readers)
        .map(|reader_no| {
            let (client, base, tallies) = (client.clone(), base.clone(), Arc::clone(&tallies));
            let (reads, uploading) = (args.reads, Arc::clone(&uploading));
            tokio::spawn(async move {
                for read_no in 0..reads {
                    if !uploading.load(Ordering::Relaxed) {
                        break;
                    }
                    let (name, path) = if (reader_no + read_no) % 2 == 0 {
                        ("GET /", "/")
                    } else {
                        ("GET /api/v1/analyses", "/api/v1/analyses")
                    };
                    timed(&tallies, name, client.get(format!("{base}{path}"))).await;
                }
            })
        })
        .collect();
    for uploader in uploaders {
        uploader.await.context("an uploading client failed")?;
    }
    let uploads_done = started.elapsed();
    uploading.store(false, Ordering::Relaxed);
    for reader in readers {
        reader.await.context("a reading client failed")?;
    }
    if let Some(sampler) = sampler {
        sampler.await.context("the memory sampler failed")?;
    }
    let tallies = tallies.lock().await;
    println!(
        "{} uploading clients × {} uploads of {ROWS_PER_UPLOAD} rows, {} reading clients; all uploads answered in {:.1} s",
        args.clients,
        args.uploads,
        args.readers,
        uploads_done.as_secs_f64()
    );
    println!(
        "{:<24} {:>8} {:>9} {:>9} {:>9} {:>9}  answers",
        "endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut failures = 0;
    for (name, tally) in tallies.iter() {
        let mut latencies = tally.latencies_ms.clone();
        latencies.sort_by(f64::total_cmp);
        let answers: Vec<String> = tally
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}×{count}"))
            .chain((tally.failed > 0).then(|| format!("no answer×{}", tally.failed)))
            .collect();
        failures += tally.failed
            + tally
                .statuses
                .iter()
                .filter(|(status, _)| **status >= 500 && **status != 503)
                .map(|(_, count)| count)
                .sum::<u64>();
        println!(
            "{name:<24} {:>8} {:>9.0} {:>9.0} {:>9.0} {:>9.0}  {}",
            latencies.len() as u64 + tally.failed,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0),
            answers.join(" ")
        );
    }
    if let Some(pid) = args.pid {
        let mib = |kib: Option<u64>| {
            kib.map_or_else(
                || "?".to_owned(),
                |kib| format!("{:.0} MiB", kib as f64 / 1024.0),
            )
        };
        println!(
            "server memory (pid {pid}): {} before, peak {} during the test, VmHWM {} (peak since start)",
            mib(rss_before_kib),
            mib(Some(peak_rss_kib.load(Ordering::Relaxed))),
            mib(memory_kib(pid, "VmHWM:")),
        );
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        println!("{failures} requests failed (no answer, or a 5xx other than 503 busy)");
        ExitCode::FAILURE
    })
}

/// Sends `request` and records its latency and status under `name`.
async fn timed(tallies: &Tallies, name: &'static str, request: reqwest::RequestBuilder) {
    let started = Instant::now();
    let result = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            // The whole answer counts: a page is not served until its last byte.
            response.bytes().await.map(|_| status)
        }
        Err(error) => Err(error),
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut tallies = tallies.lock().await;
    let tally = tallies.entry(name).or_default();
    match result {
        Ok(status) => {
            tally.latencies_ms.push(elapsed_ms);
            *tally.statuses.entry(status).or_default() += 1;
        }
        Err(_) => tally.failed += 1,
    }
}

/// A log of [`ROWS_PER_UPLOAD`] sign-ins of its own (so every upload is a new run): ten users of
/// the client, a few addresses, a minute apart, ending before `stamp_ms`.
fn log(stamp_ms: i64, client_no: u64, upload_no: u64) -> String {
    let mut csv = String::from("timestamp,user_id,ip_address,user_agent,success\n");
    let start_ms = stamp_ms - (ROWS_PER_UPLOAD as i64) * 60_000;
    for row in 0..ROWS_PER_UPLOAD {
        let when = jiff::Timestamp::from_millisecond(start_ms + row as i64 * 60_000)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        csv.push_str(&format!(
            "{when},lt{client_no}-user{},198.51.{}.{},Mozilla/5.0 (loadtest {upload_no}),{}\n",
            row % 10,
            client_no % 250,
            row % 200 + 1,
            row % 7 != 0,
        ));
    }
    csv
}

fn multipart(csv: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"loadtest.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

/// The nearest-rank percentile of sorted values (0 when there are none).
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A figure of `/proc/PID/status` in KiB (`VmRSS:`, `VmHWM:`), where there is one.
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
