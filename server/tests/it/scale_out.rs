//! Scale-out under faults, with a real nats-server and PostgreSQL (started by `./dev test`):
//! two `skytrace serve --nats` and three `skytrace worker` processes; a generated log streamed
//! through both servers; a worker killed with SIGKILL mid-stream and another started; then
//! nats-server stopped (ingest answers 503 with Retry-After meanwhile) and started again on its
//! file storage. Afterwards every accepted login has exactly one verdict, and the verdicts equal
//! scoring each partition's logins, in the order they were sent, in one analyzer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use engine::ingest::{RecordOutcome, read_record};
use engine::{AnalysisConfig, Analyzer, IngestOptions, ScoredEvent};
use service::partitions::{PARTITIONS, STREAM, partition_of};
use sqlx::Row;

use crate::kill_mid_ingest::{free_port, serve_with};

/// Records per request.
const BATCH: usize = 50;

/// The test's nats-server, as `./dev test` started it: its address, file storage and PID file,
/// to stop it and start it again.
struct Nats {
    url: String,
    port: u16,
    store: PathBuf,
    pid_file: PathBuf,
}

impl Nats {
    fn from_env() -> Option<Self> {
        let Ok(url) = std::env::var("SKYTRACE_TEST_NATS") else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("CI must test scale-out too: SKYTRACE_TEST_NATS names no nats-server");
            }
            eprintln!("no nats-server (SKYTRACE_TEST_NATS): the scale-out fault test is skipped");
            return None;
        };
        let port = url.rsplit_once(':')?.1.parse().ok()?;
        Some(Self {
            url,
            port,
            store: std::env::var_os("SKYTRACE_TEST_NATS_STORE")?.into(),
            pid_file: std::env::var_os("SKYTRACE_TEST_NATS_PID_FILE")?.into(),
        })
    }

    fn answers(&self) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
    }

    fn stop(&self) {
        let pid = std::fs::read_to_string(&self.pid_file).unwrap();
        let status = Command::new("kill").arg(pid.trim()).status().unwrap();
        assert!(status.success());
        let started = Instant::now();
        while self.answers() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts it again as `./dev` did, in the background: it outlives the test, and `./dev`
    /// stops it by the PID file.
    fn start(&self) {
        let status = Command::new("sh")
            .args(["-c", "nats-server \"$@\" >/dev/null 2>&1 &", "sh"])
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .arg("-P")
            .arg(&self.pid_file)
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while !self.answers() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A process killed when the test ends, passed or failed.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `skytrace worker` with `extra` arguments (geolocation, settings).
fn worker(nats: &str, database: &str, extra: &[String], name: &str) -> Process {
    Process(
        Command::new(env!("CARGO_BIN_EXE_skytrace"))
            .args([
                "worker",
                "--nats",
                nats,
                "--database",
                database,
                "--worker-id",
                name,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// One request on a fresh connection, the whole response as text; an error after 30 s without
/// an answer (ingest must answer, 503 at worst).
fn http_within(port: u16, request: &[u8]) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// Follows a server's `/api/v1/activity` until it tells of monitored logins (true), or a
/// minute passes (false).
fn hears_of_monitored_logins(port: u16) -> std::thread::JoinHandle<bool> {
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream
            .write_all(b"GET /api/v1/activity HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut lines = BufReader::new(stream);
        let mut line = String::new();
        while Instant::now() < deadline {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) => return false,
                Ok(_) if line.trim_end() == "event: monitored" => return true,
                _ => {}
            }
        }
        false
    })
}

/// POST /api/v1/events; the status and the `Retry-After` header, with the body.
fn post_events(port: u16, records: &[String]) -> (u16, Option<String>, String) {
    let body = records.join("\n");
    let request = format!(
        "POST /api/v1/events?source=acme HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let response = http_within(port, request.as_bytes()).unwrap_or_default();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let retry_after = response
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("retry-after: ")
                .map(str::to_owned)
        });
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, retry_after, body)
}

/// What the senders saw.
#[derive(Default)]
struct Sent {
    accepted: std::sync::Mutex<HashSet<String>>,
    records: AtomicUsize,
    unavailable_with_retry_after: AtomicUsize,
    other_errors: std::sync::Mutex<Vec<String>>,
}

/// Sends `records` in order through `port`, each batch again after Retry-After until accepted.
fn send_all(port: u16, records: Vec<String>, sent: &Sent, give_up: &AtomicBool) {
    for batch in records.chunks(BATCH) {
        loop {
            assert!(!give_up.load(Ordering::Relaxed), "the test gave up");
            let (status, retry_after, body) = post_events(port, batch);
            if status == 200 {
                let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
                let mut accepted = sent.accepted.lock().unwrap();
                for result in answer["results"].as_array().unwrap() {
                    assert_eq!(result["status"], "accepted", "{result}");
                    accepted.insert(result["login_id"].as_str().unwrap().to_owned());
                }
                sent.records.fetch_add(batch.len(), Ordering::Relaxed);
                break;
            }
            if status == 503 && retry_after.is_some() && body.contains("\"unavailable\"") {
                sent.unavailable_with_retry_after
                    .fetch_add(1, Ordering::Relaxed);
            } else {
                sent.other_errors
                    .lock()
                    .unwrap()
                    .push(format!("{status}: {body}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The repository's geolocation data, when installed: the workers and the reference use it.
fn geo_dir() -> Option<PathBuf> {
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/node_modules/@ip-location-db"))
        .filter(|dir| dir.is_dir())
}

#[test]
fn scale_out_keeps_one_verdict_per_event_through_a_killed_worker_and_a_nats_restart() {
    let started = Instant::now();
    let Some(postgres) = store_postgres_url() else {
        return;
    };
    let Some(nats) = Nats::from_env() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A database of its own, and a stream without an earlier run's logins.
    let database_name = format!(
        "skytrace_scale_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let (base, _) = postgres.rsplit_once('/').unwrap();
    let database = format!("{base}/{database_name}");
    runtime.block_on(async {
        let admin = sqlx::postgres::PgPool::connect(&postgres).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {database_name}"
        )))
        .execute(&admin)
        .await
        .unwrap();
        let client = async_nats::connect(&nats.url).await.unwrap();
        let _ = async_nats::jetstream::new(client)
            .delete_stream(STREAM)
            .await;
    });

    // The generated log, in time order, each record with its login as the servers read it.
    let mut params = scenario::ScenarioParams::evaluation();
    params.users = 40;
    params.days = 20;
    let rows = scenario::generate(&params).unwrap();
    let options = IngestOptions::default();
    let mut by_partition: BTreeMap<u32, Vec<(String, engine::LoginEvent)>> = BTreeMap::new();
    for row in &rows {
        let record = serde_json::json!({
            "timestamp": row.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "user_id": row.user_id,
            "ip_address": row.ip.to_string(),
            "user_agent": row.user_agent,
            "success": row.success,
        })
        .to_string();
        let RecordOutcome::Event(login) = read_record(record.as_bytes(), &options) else {
            panic!("the generated record is not a login: {record}");
        };
        by_partition
            .entry(partition_of(&login.user_id))
            .or_default()
            .push((record, *login));
    }
    let total: usize = by_partition.values().map(Vec::len).sum();
    eprintln!("{total} logins in {} partitions", by_partition.len());

    let geo: Vec<String> = geo_dir()
        .map(|dir| vec!["--geo-dir".to_owned(), dir.display().to_string()])
        .unwrap_or_default();
    let mut serve_args = vec!["--nats", nats.url.as_str(), "--database", database.as_str()];
    serve_args.extend(geo.iter().map(String::as_str));
    let data = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port()];
    let _servers: Vec<Process> = ports
        .iter()
        .enumerate()
        .map(|(at, port)| {
            let dir = data.path().join(format!("serve-{at}"));
            std::fs::create_dir_all(&dir).unwrap();
            Process(serve_with(&dir, *port, &serve_args))
        })
        .collect();
    // The workers alert on a webhook.
    let (webhook, alerts) = crate::notify::webhook_receiver();
    let settings = data.path().join("skytrace.toml");
    std::fs::write(
        &settings,
        format!(
            "[notifications]\nmax_alerts_per_hour = 1000\n\
             [notifications.webhook]\nurl = \"http://{webhook}/hook\"\n"
        ),
    )
    .unwrap();
    let mut worker_args = geo.clone();
    worker_args.extend(["--config".to_owned(), settings.display().to_string()]);
    // Each partition is sent in time order, so gathering a window and scoring it in time order
    // changes nothing: the verdicts still equal the reference.
    worker_args.extend(["--reorder-window-ms".to_owned(), "200".to_owned()]);
    let mut workers = vec![
        worker(&nats.url, &database, &worker_args, "first"),
        worker(&nats.url, &database, &worker_args, "second"),
        worker(&nats.url, &database, &worker_args, "third"),
    ];

    // The three workers share the partitions before anything is sent.
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPool::connect(&database).await.unwrap();
        loop {
            let owners: Vec<(String, i64)> = sqlx::query(
                "SELECT owner, COUNT(*) AS held FROM partition_leases \
                 WHERE owner IS NOT NULL GROUP BY owner",
            )
            .fetch_all(&pool)
            .await
            .map(|rows| {
                rows.iter()
                    .map(|row| (row.get("owner"), row.get("held")))
                    .collect()
            })
            .unwrap_or_default();
            let held: i64 = owners.iter().map(|(_, held)| held).sum();
            if owners.len() == 3 && held == i64::from(PARTITIONS) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the workers did not share the partitions: {owners:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    // The workers' verdicts reach the servers' open pages.
    let followed = hears_of_monitored_logins(ports[1]);
    // Each partition through one server, in time order: half the partitions through each.
    let sent = Arc::new(Sent::default());
    let give_up = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(at, port)| {
            let mut records_in_time: Vec<(i64, String)> = by_partition
                .iter()
                .filter(|(partition, _)| (**partition as usize) % 2 == at)
                .flat_map(|(_, logins)| {
                    logins
                        .iter()
                        .map(|(record, login)| (login.timestamp_ms, record.clone()))
                })
                .collect();
            // Partitions interleaved as in time; each partition's logins stay in order.
            records_in_time.sort_by_key(|(time, _)| *time);
            let records = records_in_time
                .into_iter()
                .map(|(_, record)| record)
                .collect();
            let (port, sent, give_up) = (*port, Arc::clone(&sent), Arc::clone(&give_up));
            std::thread::spawn(move || send_all(port, records, &sent, &give_up))
        })
        .collect();

    let wait_for_sent = |share: usize| {
        while sent.records.load(Ordering::Relaxed) < total * share / 3 {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "sending stalled"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // A worker dies mid-stream, another starts.
    wait_for_sent(1);
    let mut killed = workers.remove(0);
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    workers.push(worker(&nats.url, &database, &worker_args, "fourth"));
    // nats-server stops: ingest refuses with 503 and Retry-After until it is back.
    wait_for_sent(2);
    nats.stop();
    let stopped = Instant::now();
    while sent.unavailable_with_retry_after.load(Ordering::Relaxed) == 0 {
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "ingest never answered 503"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(1));
    nats.start();
    for sender in senders {
        if sender.join().is_err() {
            give_up.store(true, Ordering::Relaxed);
            panic!("a sender failed");
        }
    }
    assert_eq!(
        sent.other_errors.lock().unwrap().as_slice(),
        &[] as &[String]
    );
    let accepted = sent.accepted.lock().unwrap().clone();

    // Every accepted login gets its verdict, once.
    let verdicts: HashMap<String, (i64, ScoredEvent)> = runtime.block_on(async {
        let pool = sqlx::postgres::PgPool::connect(&database).await.unwrap();
        loop {
            let kept: i64 = sqlx::query("SELECT COUNT(*) AS kept FROM monitored_events")
                .fetch_one(&pool)
                .await
                .unwrap()
                .get("kept");
            if kept as usize >= accepted.len() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{kept} verdicts of {} accepted logins",
                accepted.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sqlx::query("SELECT login_id, sequence, scored FROM monitored_events WHERE source = 'acme'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|row| {
                let scored: String = row.get("scored");
                (
                    row.get("login_id"),
                    (row.get("sequence"), serde_json::from_str(&scored).unwrap()),
                )
            })
            .collect()
    });
    assert_eq!(
        verdicts.keys().cloned().collect::<HashSet<_>>(),
        accepted,
        "one verdict for each accepted login, none other"
    );

    // The reference: each partition's logins scored in one analyzer in the order sent; each
    // login is kept under its stream sequence, which names its row.
    let geo: Arc<dyn engine::enrich::GeoLookup + Send> =
        Arc::from(geolocation::open_or_none(geo_dir().as_deref(), Vec::new()).unwrap());
    let mut compared = 0;
    for (partition, logins) in &by_partition {
        let mut analyzer = Analyzer::shared(AnalysisConfig::default(), Arc::clone(&geo)).unwrap();
        let mut seen = HashSet::new();
        let mut last_sequence = 0;
        for (_, login) in logins {
            let login_id = login.login_id();
            if !seen.insert(login_id.clone()) {
                continue;
            }
            let (sequence, kept) = &verdicts[&login_id];
            assert!(
                *sequence > last_sequence,
                "partition {partition} kept in the order sent"
            );
            last_sequence = *sequence;
            let mut login = login.clone();
            login.row = u64::try_from(*sequence).unwrap();
            let expected = analyzer.score(&login).unwrap();
            assert_eq!(kept, &expected, "partition {partition}, login {login_id}");
            compared += 1;
        }
    }
    assert_eq!(compared, accepted.len());
    assert!(
        followed.join().unwrap(),
        "a server's activity feed told of the workers' verdicts"
    );
    // The log's attacks were alerted on by the workers.
    let heard = Instant::now();
    while alerts.lock().unwrap().is_empty() {
        assert!(
            heard.elapsed() < Duration::from_secs(20),
            "no alert was sent"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let alerts = alerts.lock().unwrap().clone();
    eprintln!(
        "{compared} verdicts equal the reference; {} answers 503 while NATS was down; {} \
         alerts so far ({} different); {:.1} s",
        sent.unavailable_with_retry_after.load(Ordering::Relaxed),
        alerts.len(),
        alerts.iter().collect::<HashSet<_>>().len(),
        started.elapsed().as_secs_f64()
    );
    drop(workers);
}

/// The PostgreSQL server `./dev test` starts, or `None` (skipped, saying why) without one.
fn store_postgres_url() -> Option<String> {
    match std::env::var("SKYTRACE_TEST_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) => {
            eprintln!(
                "no PostgreSQL (SKYTRACE_TEST_POSTGRES): the scale-out fault test is skipped"
            );
            None
        }
    }
}
