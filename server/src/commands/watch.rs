//! `skytrace watch FILE…`: follows growing sign-in logs as `tail -F` does — across rotation by
//! rename (the old file's last lines first, then the new file from its start) and truncation
//! (read again from the start) — and scores each new line: sent to a running server
//! (`--to URL`, `POST /api/v1/events`), or scored here against the state kept in `--data-dir`
//! (the same monitor as the server's, so a restart goes on where it stopped). Prints one JSON
//! line per record: the file, its line and the verdict (or why it was rejected).
//!
//! Lines are JSON records in any format the file reader knows, or sshd lines of an `auth.log`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use engine::LoginEvent;
use engine::ingest::RecordOutcome;
use service::monitor::{Monitor, MonitorError, RecordVerdict};
use service::source::SourceName;

use crate::cli::WatchArgs;
use crate::lines::{LineRecord, records_of_lines};

pub fn run(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let source = SourceName::parse(&args.source).map_err(|message| anyhow::anyhow!(message))?;
    let runtime = super::runtime()?;
    runtime.block_on(watch(args, source))
}

/// Where verdicts come from.
enum Scorer {
    Local(Monitor),
    Remote {
        client: reqwest::Client,
        url: String,
        token: Option<String>,
    },
}

async fn watch(args: &WatchArgs, source: SourceName) -> anyhow::Result<ExitCode> {
    let scorer = match &args.to {
        Some(url) => Scorer::Remote {
            client: http_client()?,
            url: format!(
                "{}/api/v1/events?source={}",
                url.trim_end_matches('/'),
                source.as_str()
            ),
            token: args.token.clone(),
        },
        None => {
            std::fs::create_dir_all(&args.data_dir).with_context(|| {
                format!(
                    "cannot create the data directory {}",
                    args.data_dir.display()
                )
            })?;
            let store = store::Store::open(&store::Store::sqlite_url(&args.data_dir)).await?;
            let geo: Arc<dyn engine::enrich::GeoLookup + Send> =
                Arc::from(super::lookup::open_for(&args.geo)?);
            let config = super::load_config(args.config.as_deref())?;
            Scorer::Local(Monitor::start(
                config,
                geo,
                Arc::new(store),
                64,
                Default::default(),
                None,
            )?)
        }
    };
    let mut followed: Vec<Followed> = args
        .files
        .iter()
        .map(|path| Followed::new(path.clone(), args.from_start))
        .collect();
    let poll = Duration::from_millis(args.poll_ms);
    loop {
        for file in &mut followed {
            let lines = match file.new_lines() {
                Ok(lines) => lines,
                Err(error) => {
                    eprintln!("{}: {error}", file.path.display());
                    continue;
                }
            };
            if !lines.is_empty() {
                score(&scorer, &source, &file.path, lines).await?;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// reqwest is built without a TLS provider of its own (see the alerts crate): one is installed
/// first, for a server behind HTTPS.
fn http_client() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .context("cannot build the HTTP client")
}

/// A followed file: the open handle, which file it is, and how far it was read.
struct Followed {
    path: PathBuf,
    file: Option<(File, (u64, u64))>,
    offset: u64,
    /// Lines read so far (the next one's number is this plus one).
    lines_read: u64,
    /// The start of a line not ended yet.
    partial: Vec<u8>,
}

impl Followed {
    fn new(path: PathBuf, from_start: bool) -> Self {
        let mut followed = Self {
            path,
            file: None,
            offset: 0,
            lines_read: 0,
            partial: Vec::new(),
        };
        if let Ok((file, identity)) = open(&followed.path) {
            if !from_start {
                followed.offset = file.metadata().map_or(0, |metadata| metadata.len());
            }
            followed.file = Some((file, identity));
        }
        followed
    }

    /// The complete lines written since the last call, each with its line number.
    fn new_lines(&mut self) -> std::io::Result<Vec<(u64, String)>> {
        let mut lines = Vec::new();
        if let Some((file, _)) = &mut self.file {
            if file.metadata()?.len() < self.offset {
                // Truncated in place: read it again from the start.
                self.offset = 0;
                self.lines_read = 0;
                self.partial.clear();
            }
            self.offset += read_from(file, self.offset, &mut self.partial)?;
        }
        let current = std::fs::metadata(&self.path)
            .ok()
            .map(|metadata| (metadata.dev(), metadata.ino()));
        let rotated = current.is_some() && current != self.file.as_ref().map(|(_, id)| *id);
        self.take_lines(&mut lines, rotated);
        if rotated {
            // The old file is done; the new one is read from its start.
            let (mut file, identity) = open(&self.path)?;
            self.offset = read_from(&mut file, 0, &mut self.partial)?;
            self.lines_read = 0;
            self.file = Some((file, identity));
            self.take_lines(&mut lines, false);
        }
        Ok(lines)
    }

    /// Moves the ended lines out of `partial` (all of it when the file is done).
    fn take_lines(&mut self, lines: &mut Vec<(u64, String)>, file_done: bool) {
        let end = if file_done {
            self.partial.len()
        } else {
            self.partial
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(0, |at| at + 1)
        };
        if end == 0 {
            return;
        }
        let ended: Vec<u8> = self.partial.drain(..end).collect();
        let ended = ended.strip_suffix(b"\n").unwrap_or(&ended);
        for line in ended.split(|byte| *byte == b'\n') {
            self.lines_read += 1;
            let text = String::from_utf8_lossy(line).trim().to_owned();
            if !text.is_empty() {
                lines.push((self.lines_read, text));
            }
        }
    }
}

fn open(path: &Path) -> std::io::Result<(File, (u64, u64))> {
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    Ok((file, (metadata.dev(), metadata.ino())))
}

/// Appends what `file` holds from `offset` on to `buffer`; how many bytes that was.
fn read_from(file: &mut File, offset: u64, buffer: &mut Vec<u8>) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(offset))?;
    Ok(file.read_to_end(buffer)? as u64)
}

/// Scores `lines` of `path` and prints a JSON line per record.
async fn score(
    scorer: &Scorer,
    source: &SourceName,
    path: &Path,
    lines: Vec<(u64, String)>,
) -> anyhow::Result<()> {
    let records = records_of_lines(&lines);
    let results = match scorer {
        Scorer::Local(monitor) => {
            let records = records.iter().map(|(_, record)| record.read()).collect();
            scored_here(monitor, source, records).await?
        }
        Scorer::Remote { client, url, token } => {
            // JSON records go as they are (the server reads every format); of `auth.log` lines,
            // read here, only the sign-ins are sent.
            let mut results = vec![serde_json::Value::Null; records.len()];
            let mut sent = Vec::new();
            let mut body = String::new();
            for (index, (_, record)) in records.iter().enumerate() {
                let line = match record {
                    LineRecord::Json(text) => text.clone(),
                    LineRecord::Read(RecordOutcome::Event(login)) => as_record(login).to_string(),
                    LineRecord::Read(unread) => {
                        results[index] = answer_of(index, unread.clone());
                        continue;
                    }
                };
                body.push_str(&line);
                body.push('\n');
                sent.push(index);
            }
            if !sent.is_empty() {
                let answered = send(client, url, token.as_deref(), body).await?;
                for (&index, mut result) in sent.iter().zip(answered) {
                    result["index"] = index.into();
                    results[index] = result;
                }
            }
            results
        }
    };
    for ((line, _), result) in records.iter().zip(&results) {
        println!(
            "{}",
            serde_json::json!({ "file": path.display().to_string(), "line": line, "result": result })
        );
    }
    Ok(())
}

/// Scores `records` with the monitor here, waiting out a full queue.
async fn scored_here(
    monitor: &Monitor,
    source: &SourceName,
    records: Vec<RecordOutcome>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    loop {
        match monitor.submit_read(source.clone(), records.clone()).await {
            Ok(monitored) => {
                return Ok(monitored
                    .results
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<Result<_, _>>()?);
            }
            Err(MonitorError::Busy) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(error) => return Err(error.into()),
        }
    }
}

/// The answer for a line that is not a sign-in, as the monitor words it.
fn answer_of(index: usize, unread: RecordOutcome) -> serde_json::Value {
    let verdict = match unread {
        RecordOutcome::Rejected(reason) => RecordVerdict::Rejected { index, reason },
        RecordOutcome::Skipped(reason) => RecordVerdict::Skipped { index, reason },
        RecordOutcome::Event(_) => return serde_json::Value::Null,
    };
    serde_json::to_value(verdict).unwrap_or_default()
}

/// A login as a record in the CSV field names, for the server to read again.
fn as_record(login: &LoginEvent) -> serde_json::Value {
    serde_json::json!({
        "timestamp": engine::time::format_utc(login.timestamp_ms),
        "user_id": login.user_id,
        "ip_address": login.ip.to_string(),
        "user_agent": login.user_agent,
        "success": login.success,
        "failure_reason": login.failure_reason,
    })
}

/// Posts NDJSON `body` to the server, waiting out `busy` answers; the per-record results.
async fn send(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: String,
) -> anyhow::Result<Vec<serde_json::Value>> {
    loop {
        let mut request = client
            .post(url)
            .header("content-type", "application/x-ndjson")
            .body(body.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        if status.as_u16() == 503 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let answer: serde_json::Value = serde_json::from_slice(&response.bytes().await?)
            .with_context(|| format!("{url} answered {status} with no JSON"))?;
        if !status.is_success() {
            bail!("{url} answered {status}: {answer}");
        }
        return Ok(answer["results"].as_array().cloned().unwrap_or_default());
    }
}
