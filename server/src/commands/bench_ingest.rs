//! `skytrace bench-ingest`: drives a running server's `POST /api/v1/events` (or its Splunk HEC
//! collector, `--endpoint hec`) on loopback at
//! several batch sizes and offered rates, and prints the events per second it kept up with and
//! the receipt-to-verdict latency of its requests (p50/p95/p99). Measured, not asserted.
//!
//! Each connection posts to a source of its own, so its batches arrive in time order; a `busy`
//! answer waits for its Retry-After and sends the batch again (counted).
//!
//! With `--file`, the scale-out benchmark runs instead (`bench_scale`).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::cli::{BenchIngestArgs, IngestEndpoint};

pub fn run(args: &BenchIngestArgs) -> anyhow::Result<ExitCode> {
    if !args.addr.ip().is_loopback() {
        bail!(
            "bench-ingest drives a server on loopback only (got {})",
            args.addr
        );
    }
    let runtime = super::runtime()?;
    if let Some(listen) = args.alerts_listen {
        return runtime.block_on(alert_latency(args, listen));
    }
    let endpoint = match args.endpoint {
        IngestEndpoint::Events => "POST /api/v1/events",
        IngestEndpoint::Hec => "POST /services/collector/event",
    };
    println!(
        "{endpoint} on {} ({} connections, {} events per run)",
        args.addr, args.connections, args.events
    );
    println!(
        "{:>6} {:>12} {:>10} {:>9} {:>6} {:>9} {:>9} {:>9}",
        "batch", "offered/s", "events/s", "scored", "busy", "p50 ms", "p95 ms", "p99 ms"
    );
    // A run's sources differ from every earlier run's, so nothing is a duplicate.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    for &batch in &args.batches {
        for &rate in &args.rates {
            let tag = format!("bench-{stamp}-{batch}-{rate}");
            let figures = runtime.block_on(drive(args, batch.max(1), rate, &tag))?;
            let offered = if rate == 0 {
                "max".to_owned()
            } else {
                rate.to_string()
            };
            println!(
                "{batch:>6} {offered:>12} {:>10.0} {:>9} {:>6} {:>9.1} {:>9.1} {:>9.1}",
                figures.events_per_sec,
                figures.scored,
                figures.busy,
                figures.percentile_ms(0.50),
                figures.percentile_ms(0.95),
                figures.percentile_ms(0.99),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct Figures {
    events_per_sec: f64,
    scored: usize,
    busy: usize,
    latencies_ms: Vec<f64>,
}

impl Figures {
    fn percentile_ms(&self, quantile: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let at = ((self.latencies_ms.len() - 1) as f64 * quantile).round() as usize;
        self.latencies_ms[at]
    }
}

/// One run: `args.events` events in batches of `batch`, offered at `rate` events per second
/// across the connections (0: as fast as the server answers).
async fn drive(
    args: &BenchIngestArgs,
    batch: usize,
    rate: u64,
    tag: &str,
) -> anyhow::Result<Figures> {
    let connections = args.connections.max(1);
    let batches = args.events.div_ceil(batch);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for connection in 0..connections {
        let mine: Vec<usize> = (connection..batches).step_by(connections).collect();
        let source = format!("{tag}-c{connection}");
        let (addr, token, events, endpoint) =
            (args.addr, args.token.clone(), args.events, args.endpoint);
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr, token, endpoint).await?;
            let mut out = (0usize, 0usize, Vec::with_capacity(mine.len()));
            for index in mine {
                if rate > 0 {
                    let due = Duration::from_secs_f64((index * batch) as f64 / rate as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                let first = index * batch;
                let body = records(first, (first + batch).min(events));
                let body = match endpoint {
                    IngestEndpoint::Events => body,
                    IngestEndpoint::Hec => envelopes(&body, &source),
                };
                let taken = client.post_until_taken(&source, &body).await?;
                out.2.push(taken.latency_ms);
                out.1 += taken.busy;
                out.0 += match endpoint {
                    IngestEndpoint::Events => taken.answer.matches("\"status\":\"scored\"").count(),
                    IngestEndpoint::Hec => accepted(&taken.answer),
                };
            }
            anyhow::Ok(out)
        }));
    }
    let mut figures = Figures {
        events_per_sec: 0.0,
        scored: 0,
        busy: 0,
        latencies_ms: Vec::new(),
    };
    for task in tasks {
        let (scored, busy, latencies) = task.await.context("a connection's task failed")??;
        figures.scored += scored;
        figures.busy += busy;
        figures.latencies_ms.extend(latencies);
    }
    figures.events_per_sec = args.events as f64 / started.elapsed().as_secs_f64();
    figures.latencies_ms.sort_by(f64::total_cmp);
    Ok(figures)
}

/// Alert latency: each round sends a user's three weeks of logins from home, then, a second
/// later, 40 wrong passwords and the right one from a Tor exit, and times the takeover's batch
/// from being sent to the first webhook alert that names the user.
async fn alert_latency(args: &BenchIngestArgs, listen: SocketAddr) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen for the webhook on {listen}"))?;
    let (arrived, mut alerts) = tokio::sync::mpsc::unbounded_channel::<(Instant, String)>();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let arrived = arrived.clone();
            tokio::spawn(async move {
                if let Ok(body) = receive_webhook(stream).await {
                    let _ = arrived.send((Instant::now(), body));
                }
            });
        }
    });
    println!(
        "alert latency: takeovers sent to {} (POST /api/v1/events), alerts awaited on {listen}",
        args.addr
    );
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    let mut client = Client::connect(args.addr, args.token.clone(), IngestEndpoint::Events).await?;
    let mut latencies_ms = Vec::new();
    for round in 0..args.alert_rounds {
        let source = format!("alerts-{stamp}-{round}");
        let user = format!("victim{round}@bench.example");
        let login = |at_ms: i64, ip: &str, success: bool| {
            let at =
                jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            format!(
                "{{\"timestamp\":\"{at}\",\"user_id\":\"{user}\",\"ip_address\":\"{ip}\",\
                 \"user_agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\",\"success\":{success}}}\n"
            )
        };
        let home: String = (1..=21)
            .rev()
            .map(|days| login(stamp - days * 86_400_000, "198.51.100.7", true))
            .collect();
        let (status, answer) = client.post(&source, home.as_bytes()).await?;
        if status != 200 {
            bail!("the server answered {status}: {answer}");
        }
        // A source's alerts are drawn up at most once a second: the takeover comes after a
        // quiet second, as an attack does (a busy source's alerts wait up to a second more).
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let mut takeover: String = (0..40)
            .map(|second| login(stamp - 60_000 + second * 1_000, "185.220.101.7", false))
            .collect();
        takeover.push_str(&login(stamp - 10_000, "185.220.101.7", true));
        while alerts.try_recv().is_ok() {}
        let sent = Instant::now();
        let (status, answer) = client.post(&source, takeover.as_bytes()).await?;
        if status != 200 {
            bail!("the server answered {status}: {answer}");
        }
        let latency = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some((at, body)) = alerts.recv().await {
                if body.contains(&user) {
                    return Some(at.duration_since(sent));
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .with_context(|| {
            format!(
                "no alert naming {user} within 30 s: does the server's webhook point at {listen}?"
            )
        })?;
        latencies_ms.push(latency.as_secs_f64() * 1000.0);
    }
    latencies_ms.sort_by(f64::total_cmp);
    let figures = Figures {
        events_per_sec: 0.0,
        scored: latencies_ms.len(),
        busy: 0,
        latencies_ms,
    };
    println!(
        "{} takeovers: alert after p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        figures.scored,
        figures.percentile_ms(0.50),
        figures.percentile_ms(0.95),
        figures.percentile_ms(1.0),
    );
    Ok(ExitCode::SUCCESS)
}

/// One webhook request's body, answered 200.
async fn receive_webhook(stream: TcpStream) -> anyhow::Result<String> {
    let mut stream = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            bail!("the connection closed");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value
                .trim()
                .parse::<usize>()
                .unwrap_or(0)
                .min(16 * 1024 * 1024);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    stream
        .get_mut()
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Events `first..end` as NDJSON in the CSV field names: a minute apart, 500 users, each from
/// an address of its own network.
fn records(first: usize, end: usize) -> Vec<u8> {
    const START_MS: i64 = 1_772_409_600_000;
    let mut body = String::new();
    for n in first..end {
        let user = n % 500;
        let at = jiff::Timestamp::from_millisecond(START_MS + n as i64 * 60_000)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        body.push_str(&format!(
            "{{\"timestamp\":\"{at}\",\"user_id\":\"user{user}@example.com\",\
             \"ip_address\":\"10.{}.{}.{}\",\"user_agent\":\"Mozilla/5.0 (Windows NT 10.0; \
             Win64; x64)\",\"success\":{}}}\n",
            user / 256,
            user % 256,
            1 + n % 3,
            n % 17 != 0
        ));
    }
    body.into_bytes()
}

/// NDJSON records as HEC envelopes back to back, in the source `index`.
fn envelopes(ndjson: &[u8], index: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(ndjson.len() + ndjson.len() / 4);
    for line in ndjson
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
    {
        body.extend_from_slice(format!("{{\"index\":\"{index}\",\"event\":").as_bytes());
        body.extend_from_slice(line);
        body.extend_from_slice(b"}\n");
    }
    body
}

/// The collector's count of accepted events in its answer.
fn accepted(answer: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(answer)
        .ok()
        .and_then(|answer| answer["accepted"].as_u64())
        .map_or(0, |accepted| accepted as usize)
}

/// A batch the server took.
pub(super) struct Taken {
    pub answer: String,
    /// How long the request it took answered in.
    pub latency_ms: f64,
    /// Busy answers (503) before it.
    pub busy: usize,
}

/// A kept-alive HTTP/1.1 connection.
pub(super) struct Client {
    stream: BufReader<TcpStream>,
    addr: SocketAddr,
    token: Option<String>,
    endpoint: IngestEndpoint,
}

impl Client {
    pub(super) async fn connect(
        addr: SocketAddr,
        token: Option<String>,
        endpoint: IngestEndpoint,
    ) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}: is `skytrace serve` running?"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            addr,
            token,
            endpoint,
        })
    }

    /// Posts `body` until the server takes it: a busy answer (503) waits a second and sends it
    /// again; any other answer but 200 is an error.
    pub(super) async fn post_until_taken(
        &mut self,
        source: &str,
        body: &[u8],
    ) -> anyhow::Result<Taken> {
        let mut busy = 0;
        loop {
            let sent = Instant::now();
            let (status, answer) = self.post(source, body).await?;
            match status {
                200 => {
                    return Ok(Taken {
                        answer,
                        latency_ms: sent.elapsed().as_secs_f64() * 1000.0,
                        busy,
                    });
                }
                503 => {
                    busy += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                other => bail!("the server answered {other}: {answer}"),
            }
        }
    }

    pub(super) async fn post(
        &mut self,
        source: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, String)> {
        let (target, content_type, scheme) = match self.endpoint {
            IngestEndpoint::Events => (
                format!("/api/v1/events?source={source}"),
                "application/x-ndjson",
                "Bearer",
            ),
            IngestEndpoint::Hec => (
                "/services/collector/event".to_owned(),
                "application/json",
                "Splunk",
            ),
        };
        let authorization = self
            .token
            .as_ref()
            .map(|token| format!("Authorization: {scheme} {token}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n{authorization}\r\n",
            self.addr,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).await?;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("not an HTTP answer: {status_line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let mut body = vec![0; length.unwrap_or(0)];
            self.stream.read_exact(&mut body).await?;
            body
        };
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    async fn read_chunked(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let mut size_line = String::new();
            self.stream.read_line(&mut size_line).await?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
                .with_context(|| format!("bad chunk size {size_line:?}"))?;
            let mut chunk = vec![0; size + 2];
            self.stream.read_exact(&mut chunk).await?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
}
