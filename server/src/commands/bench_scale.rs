//! `skytrace bench-ingest --file LOG --database URL --nats URL`: the scale-out benchmark. Sends a
//! generated log through a `skytrace serve --nats` server's `POST /api/v1/events` (one source,
//! each connection the partitions of its own, in the log's order), then waits until every login
//! the stream kept has its verdict in the database, and measures what it cost: ingest events/s
//! and request latency, verdicts/s and the latency from the server's receipt to the verdict
//! being kept, the PostgreSQL rows, transactions and WAL written, the checkpoints' bytes, and
//! the stream's bytes. Measured, not asserted; `./dev bench-scale` runs it with 1, 2 and 3
//! workers.
//!
//! The time a verdict was kept is not a column of `monitored_events`: on the (fresh) benchmark
//! database only, this adds `bench_kept_ms`, defaulting to PostgreSQL's clock when the row is
//! inserted (the same machine's clock as the server's `received_ms`).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use service::partitions::{PARTITIONS, STREAM, partition_of};
use sqlx::Row;
use sqlx::postgres::PgPool;

use super::bench_ingest::Client;
use crate::cli::{BenchIngestArgs, IngestEndpoint};

/// Longest to wait for the server's migrations and the workers' leases.
const SETTLE_WAIT: Duration = Duration::from_secs(60);
/// Waiting for verdicts stops when their count has not grown for this long.
const STALL_WAIT: Duration = Duration::from_secs(30);
/// After the last verdict, the workers' next checkpoint (taken every 2 s) is awaited this long.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(5);
/// How often the verdicts are counted.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// The log's records as NDJSON lines, each connection's in the log's order.
struct Log {
    by_connection: Vec<Vec<String>>,
    events: usize,
    users: usize,
}

/// A CSV record (the columns `skytrace generate` writes, or any with `user_id`) as one NDJSON
/// line with the same field names, `true`/`false` as booleans; its user id beside it.
fn ndjson_line(
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Option<(String, String)> {
    let mut object = serde_json::Map::new();
    let mut user = None;
    for (name, value) in headers.iter().zip(record.iter()) {
        if value.is_empty() {
            continue;
        }
        if name == "user_id" {
            user = Some(value.to_owned());
        }
        let value = match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        };
        object.insert(name.to_owned(), value);
    }
    Some((user?, Value::Object(object).to_string()))
}

fn read_log(path: &Path, connections: usize) -> anyhow::Result<Log> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read the log {}", path.display()))?;
    let headers = reader.headers()?.clone();
    if !headers.iter().any(|name| name == "user_id") {
        bail!("{} has no user_id column", path.display());
    }
    let mut log = Log {
        by_connection: vec![Vec::new(); connections],
        events: 0,
        users: 0,
    };
    let mut users = HashSet::new();
    for (at, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {}", path.display(), at + 2))?;
        let Some((user, line)) = ndjson_line(&headers, &record) else {
            continue;
        };
        let partition = partition_of(&user) as usize;
        log.by_connection[partition % connections].push(line);
        log.events += 1;
        users.insert(user.to_lowercase());
    }
    log.users = users.len();
    Ok(log)
}

/// The nearest-rank value at `quantile` of sorted `values`.
fn percentile(sorted: &[f64], quantile: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = (last as f64 * quantile.clamp(0.0, 1.0)).round() as usize;
    sorted.get(at).copied()
}

/// `part / whole`, or null when there is nothing to divide by.
fn ratio(part: f64, whole: f64) -> Value {
    if whole > 0.0 {
        json!(part / whole)
    } else {
        Value::Null
    }
}

fn rounded(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |value| json!((value * 10.0).round() / 10.0))
}

/// The database's write counters (`pg_stat_database`, per table `pg_stat_user_tables`) and WAL
/// position.
#[derive(Default)]
struct Counters {
    transactions: i64,
    inserted: i64,
    updated: i64,
    deleted: i64,
    wal_bytes: i64,
    tables: BTreeMap<String, [i64; 3]>,
}

async fn counters(pool: &PgPool) -> anyhow::Result<Counters> {
    let row = sqlx::query(
        "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, \
         (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS wal \
         FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await?;
    let mut counters = Counters {
        transactions: row.try_get("xact_commit")?,
        inserted: row.try_get("tup_inserted")?,
        updated: row.try_get("tup_updated")?,
        deleted: row.try_get("tup_deleted")?,
        wal_bytes: row.try_get("wal")?,
        tables: BTreeMap::new(),
    };
    for row in sqlx::query(
        "SELECT relname::text AS name, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables",
    )
    .fetch_all(pool)
    .await?
    {
        counters.tables.insert(
            row.try_get("name")?,
            [
                row.try_get("n_tup_ins")?,
                row.try_get("n_tup_upd")?,
                row.try_get("n_tup_del")?,
            ],
        );
    }
    Ok(counters)
}

async fn verdicts_kept(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS kept FROM monitored_events")
        .fetch_one(pool)
        .await?
        .try_get("kept")?)
}

/// Waits for the server's migrations, checks the database is fresh and adds `bench_kept_ms`.
async fn prepare_database(pool: &PgPool) -> anyhow::Result<()> {
    let started = Instant::now();
    let kept = loop {
        match verdicts_kept(pool).await {
            Ok(kept) => break kept,
            Err(error) if started.elapsed() > SETTLE_WAIT => {
                return Err(error.context("monitored_events is missing: has `serve` started?"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    if kept > 0 {
        bail!("the database holds {kept} verdicts already: the benchmark needs a fresh one");
    }
    sqlx::query(
        "ALTER TABLE monitored_events ADD COLUMN IF NOT EXISTS bench_kept_ms BIGINT \
         DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Waits until the 16 leases are held and balanced over the live workers (at least `expected`
/// of them); answers the live workers.
async fn balanced_workers(pool: &PgPool, expected: usize) -> anyhow::Result<usize> {
    let started = Instant::now();
    loop {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let live: i64 =
            sqlx::query("SELECT COUNT(*) AS live FROM partition_workers WHERE expires_ms >= $1")
                .bind(now_ms)
                .fetch_one(pool)
                .await?
                .try_get("live")?;
        let held: Vec<i64> = sqlx::query(
            "SELECT COUNT(*) AS held FROM partition_leases \
             WHERE owner IS NOT NULL AND expires_ms >= $1 GROUP BY owner",
        )
        .bind(now_ms)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get("held"))
        .collect::<Result<_, _>>()?;
        let live = usize::try_from(live).unwrap_or(0);
        let share = i64::try_from((PARTITIONS as usize).div_ceil(live.max(1))).unwrap_or(i64::MAX);
        if live >= expected.max(1)
            && held.iter().sum::<i64>() == i64::from(PARTITIONS)
            && held.iter().all(|held| *held <= share)
        {
            return Ok(live);
        }
        if started.elapsed() > SETTLE_WAIT {
            bail!(
                "the workers did not hold the {PARTITIONS} partitions between them within {} s \
                 ({live} live, holding {held:?})",
                SETTLE_WAIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The stream's messages and bytes.
async fn stream_size(nats: &str) -> anyhow::Result<(u64, u64)> {
    let client = async_nats::connect(nats)
        .await
        .with_context(|| format!("cannot connect to NATS at {nats}"))?;
    let mut stream = async_nats::jetstream::new(client)
        .get_stream(STREAM)
        .await
        .context("the stream is missing")?;
    let info = stream.info().await.context("no stream info")?;
    Ok((info.state.messages, info.state.bytes))
}

struct Sent {
    accepted: usize,
    busy: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

/// Sends each connection's lines in batches of `batch`, at `rate` events/s in all (0: as fast
/// as answers come).
async fn send(
    args: &BenchIngestArgs,
    log: Log,
    source: &str,
    batch: usize,
    rate: u64,
) -> anyhow::Result<Sent> {
    let connections = log.by_connection.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for lines in log.by_connection {
        let (addr, token, source) = (args.addr, args.token.clone(), source.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr, token, IngestEndpoint::Events).await?;
            let (mut accepted, mut busy, mut latencies) = (0, 0, Vec::new());
            for (index, chunk) in lines.chunks(batch).enumerate() {
                if rate > 0 {
                    let due = (index * batch * connections) as f64 / rate as f64;
                    if let Some(wait) = Duration::from_secs_f64(due).checked_sub(started.elapsed())
                    {
                        tokio::time::sleep(wait).await;
                    }
                }
                let mut body = chunk.join("\n");
                body.push('\n');
                let taken = client.post_until_taken(&source, body.as_bytes()).await?;
                latencies.push(taken.latency_ms);
                busy += taken.busy;
                accepted += taken.answer.matches("\"status\":\"accepted\"").count();
            }
            anyhow::Ok((accepted, busy, latencies))
        }));
    }
    let mut sent = Sent {
        accepted: 0,
        busy: 0,
        seconds: 0.0,
        latencies_ms: Vec::new(),
    };
    for task in tasks {
        let (accepted, busy, latencies) = task.await.context("a connection's task failed")??;
        sent.accepted += accepted;
        sent.busy += busy;
        sent.latencies_ms.extend(latencies);
    }
    sent.seconds = started.elapsed().as_secs_f64();
    sent.latencies_ms.sort_by(f64::total_cmp);
    Ok(sent)
}

/// Counts verdicts until `target` are kept, or their count stalls; answers the count.
async fn await_verdicts(pool: &PgPool, target: i64) -> anyhow::Result<i64> {
    let (mut kept, mut grew) = (verdicts_kept(pool).await?, Instant::now());
    while kept < target && grew.elapsed() < STALL_WAIT {
        tokio::time::sleep(POLL_EVERY).await;
        let now = verdicts_kept(pool).await?;
        if now > kept {
            grew = Instant::now();
        }
        kept = now;
    }
    Ok(kept)
}

/// Waits (up to 20 s) until the statistics count the verdicts' inserts: backends report theirs
/// a second or more after their transactions.
async fn settled_counters(pool: &PgPool, before: &Counters, kept: i64) -> anyhow::Result<Counters> {
    let started = Instant::now();
    loop {
        let now = counters(pool).await?;
        let inserted = |counters: &Counters| {
            counters
                .tables
                .get("monitored_events")
                .map_or(0, |table| table[0])
        };
        if inserted(&now) - inserted(before) >= kept || started.elapsed() > Duration::from_secs(20)
        {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The scale-out benchmark of `skytrace bench-ingest --file … --database … --nats …`.
pub fn run_blocking(
    args: &BenchIngestArgs,
    file: &Path,
    database: &str,
    nats: &str,
) -> anyhow::Result<ExitCode> {
    if !args.addr.ip().is_loopback() {
        anyhow::bail!(
            "bench-ingest drives a server on loopback only (got {})",
            args.addr
        );
    }
    super::runtime()?.block_on(run(args, file, database, nats))
}

async fn run(
    args: &BenchIngestArgs,
    file: &Path,
    database: &str,
    nats: &str,
) -> anyhow::Result<ExitCode> {
    let connections = args.connections.clamp(1, PARTITIONS as usize);
    let batch = args.batches.first().copied().unwrap_or(500).max(1);
    let rate = args.rates.first().copied().unwrap_or(0);
    let log = read_log(file, connections)?;
    let (events, users) = (log.events, log.users);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(database)
        .await
        .context("cannot connect to the benchmark database")?;
    prepare_database(&pool).await?;
    let workers = balanced_workers(&pool, args.expect_workers).await?;
    println!(
        "{events} logins of {users} users from {} to {} (one source, {connections} connections, \
         {batch} per request, {}), {workers} workers",
        file.display(),
        args.addr,
        if rate == 0 {
            "as fast as answered".to_owned()
        } else {
            format!("{rate}/s offered")
        }
    );
    let before = counters(&pool).await?;
    let sent = send(args, log, &args.source, batch, rate).await?;
    let (messages, stream_bytes) = stream_size(nats).await?;
    let target = i64::try_from(messages).unwrap_or(i64::MAX);
    let kept = await_verdicts(&pool, target).await?;
    tokio::time::sleep(CHECKPOINT_WAIT).await;
    let after = settled_counters(&pool, &before, kept).await?;

    let mut latencies_ms = Vec::new();
    let (mut first_received, mut last_kept) = (i64::MAX, i64::MIN);
    for row in sqlx::query("SELECT received_ms, bench_kept_ms FROM monitored_events")
        .fetch_all(&pool)
        .await?
    {
        let received: i64 = row.try_get("received_ms")?;
        let kept_ms: Option<i64> = row.try_get("bench_kept_ms")?;
        if let Some(kept_ms) = kept_ms {
            latencies_ms.push((kept_ms - received) as f64);
            first_received = first_received.min(received);
            last_kept = last_kept.max(kept_ms);
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    let verdict_seconds = if last_kept > first_received {
        (last_kept - first_received) as f64 / 1000.0
    } else {
        0.0
    };
    let state = sqlx::query(
        "SELECT COUNT(*) AS rows, COALESCE(SUM(octet_length(state)), 0)::bigint AS bytes, \
         COALESCE(SUM(pg_column_size(state)), 0)::bigint AS stored \
         FROM partition_learnt",
    )
    .fetch_one(&pool)
    .await?;
    let (state_rows, state_bytes, state_stored): (i64, i64, i64) = (
        state.try_get("rows")?,
        state.try_get("bytes")?,
        state.try_get("stored")?,
    );
    let sizes = sqlx::query(
        "SELECT pg_total_relation_size('monitored_events') AS verdicts, \
         pg_total_relation_size('partition_learnt') AS learnt, \
         pg_database_size(current_database()) AS whole",
    )
    .fetch_one(&pool)
    .await?;
    let (verdict_table, learnt_table, whole): (i64, i64, i64) = (
        sizes.try_get("verdicts")?,
        sizes.try_get("learnt")?,
        sizes.try_get("whole")?,
    );

    let per_verdict = |value: i64| ratio(value as f64, kept as f64);
    let tables: serde_json::Map<String, Value> = after
        .tables
        .iter()
        .map(|(name, [ins, upd, del])| {
            let [was_ins, was_upd, was_del] = before.tables.get(name).copied().unwrap_or_default();
            (
                name.clone(),
                json!({"inserted": ins - was_ins, "updated": upd - was_upd, "deleted": del - was_del}),
            )
        })
        .filter(|(_, change)| change.as_object().is_some_and(|c| c.values().any(|v| v != 0)))
        .collect();
    let (transactions, inserted, updated, deleted, wal) = (
        after.transactions - before.transactions,
        after.inserted - before.inserted,
        after.updated - before.updated,
        after.deleted - before.deleted,
        after.wal_bytes - before.wal_bytes,
    );
    let figures = json!({
        "log": file.display().to_string(),
        "events": events,
        "users": users,
        "workers": workers,
        "connections": connections,
        "batch": batch,
        "offered_per_sec": rate,
        "ingest": {
            "accepted": sent.accepted,
            "busy_retries": sent.busy,
            "seconds": sent.seconds,
            "events_per_sec": ratio(sent.accepted as f64, sent.seconds),
            "request_p50_ms": rounded(percentile(&sent.latencies_ms, 0.50)),
            "request_p99_ms": rounded(percentile(&sent.latencies_ms, 0.99)),
        },
        "verdicts": {
            "kept": kept,
            "missing": (target - kept).max(0),
            "seconds": verdict_seconds,
            "per_sec": ratio(kept as f64, verdict_seconds),
            "end_to_end_p50_ms": rounded(percentile(&latencies_ms, 0.50)),
            "end_to_end_p99_ms": rounded(percentile(&latencies_ms, 0.99)),
            "end_to_end_max_ms": rounded(percentile(&latencies_ms, 1.0)),
        },
        "postgres": {
            "transactions": transactions,
            "rows_inserted": inserted,
            "rows_updated": updated,
            "rows_deleted": deleted,
            "wal_bytes": wal,
            "per_verdict": {
                "transactions": per_verdict(transactions),
                "rows_written": per_verdict(inserted + updated + deleted),
                "wal_bytes": per_verdict(wal),
                "verdict_table_bytes": per_verdict(verdict_table),
            },
            "tables": tables,
            "verdict_table_bytes": verdict_table,
            "learnt_table_bytes": learnt_table,
            "database_bytes": whole,
        },
        "state": {
            "checkpoint_rows": state_rows,
            "bytes": state_bytes,
            "stored_bytes": state_stored,
            "bytes_per_user": ratio(state_bytes as f64, users as f64),
            "stored_bytes_per_user": ratio(state_stored as f64, users as f64),
        },
        "stream": {
            "messages": messages,
            "bytes": stream_bytes,
            "bytes_per_event": ratio(stream_bytes as f64, messages as f64),
        },
    });
    println!(
        "ingest: {} accepted in {:.1} s ({:.0}/s), request p50 {} ms, p99 {} ms, {} busy",
        sent.accepted,
        sent.seconds,
        sent.accepted as f64 / sent.seconds.max(f64::EPSILON),
        figures["ingest"]["request_p50_ms"],
        figures["ingest"]["request_p99_ms"],
        sent.busy
    );
    println!(
        "verdicts: {kept} of {target} kept in {verdict_seconds:.1} s ({}/s), receipt to verdict \
         p50 {} ms, p99 {} ms",
        figures["verdicts"]["per_sec"],
        figures["verdicts"]["end_to_end_p50_ms"],
        figures["verdicts"]["end_to_end_p99_ms"]
    );
    println!(
        "postgres: {transactions} transactions, {} rows written, {wal} WAL bytes; checkpoints \
         {state_bytes} bytes ({state_stored} stored) for {users} users; stream {stream_bytes} \
         bytes for {messages} messages",
        inserted + updated + deleted
    );
    if let Some(path) = &args.json {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&figures)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if kept < target {
        eprintln!(
            "{} logins kept by the stream got no verdict within {} s of the last",
            target - kept,
            STALL_WAIT.as_secs()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(51.0));
        assert_eq!(percentile(&values, 0.99), Some(99.0));
        assert_eq!(percentile(&values, 1.0), Some(100.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn csv_records_become_ndjson_with_booleans() {
        let headers = csv::StringRecord::from(vec!["timestamp", "user_id", "success", "note"]);
        let record = csv::StringRecord::from(vec!["2026-03-02T00:08:04Z", "Ana", "true", ""]);
        let (user, line) = ndjson_line(&headers, &record).unwrap();
        assert_eq!(user, "Ana");
        assert_eq!(
            line,
            r#"{"success":true,"timestamp":"2026-03-02T00:08:04Z","user_id":"Ana"}"#
        );
        let without_user = csv::StringRecord::from(vec!["2026-03-02T00:08:04Z", "", "true", ""]);
        assert!(ndjson_line(&headers, &without_user).is_none());
    }
}
