//! Kept results: each detection run's dataset profile, rejected records, settings, summary and
//! scored logins, in SQLite (a file under the data directory, WAL mode) or PostgreSQL
//! (`--database postgres://…`), with the same migrations and queries.
//!
//! Also kept: analysts' verdicts and allow-list entries, the notification log, and hosted mode's
//! accounts, sessions and API tokens. The store implements the application layer's ports
//! ([`service::ports`]); what goes wrong inside is logged here, never shown to people.
//!
//! A run is written in one transaction: a crash or a kill mid-way leaves the whole run or none
//! of it. The schema is brought up to date on open by sqlx's migrator (checksummed migrations,
//! applied under PostgreSQL's advisory lock, so servers starting together do not both migrate).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use engine::{AccountStatus, LoginEvent, ScoredEvent};
use grid::insert_events;
use service::detection::{AccountStatuses, DetectionSummary, EventPage, EventQuery, RunListing};
use service::kept::{KeptRun, SavedRun, UserLogins};
use service::ports::{RunStamp, RunStore, StoreError, Stored};
use service::source::{SourceListing, SourceName};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migrate, Migration, MigrationType, Migrator};
use sqlx::{AnyConnection, Connection};
use sqlx::{AnyPool, AssertSqlSafe, Row, SqlSafeStr};

pub use activity::Announcements;

/// The schema, version by version; a version once released never changes (its checksum is
/// kept in each database, and a changed one is refused).
const MIGRATIONS: [(i64, &str, &str); 16] = [
    (1, "runs", include_str!("../migrations/0001_runs.sql")),
    (
        2,
        "user index",
        include_str!("../migrations/0002_user_index.sql"),
    ),
    (
        3,
        "feedback",
        include_str!("../migrations/0003_feedback.sql"),
    ),
    (
        4,
        "notification log",
        include_str!("../migrations/0004_notification_log.sql"),
    ),
    (
        5,
        "accounts",
        include_str!("../migrations/0005_accounts.sql"),
    ),
    (6, "sources", include_str!("../migrations/0006_sources.sql")),
    (
        7,
        "triage view",
        include_str!("../migrations/0007_triage.sql"),
    ),
    (
        8,
        "monitored events",
        include_str!("../migrations/0008_monitored_events.sql"),
    ),
    (
        9,
        "monitored events by time, with their models",
        include_str!("../migrations/0009_monitored_by_time.sql"),
    ),
    (
        10,
        "API token scopes",
        include_str!("../migrations/0010_token_scope.sql"),
    ),
    (
        11,
        "learnt state of purged monitored events",
        include_str!("../migrations/0011_monitored_learnt.sql"),
    ),
    (
        12,
        "scale-out partitions: leases, workers, learnt state",
        include_str!("../migrations/0012_partitions.sql"),
    ),
    (
        13,
        "failed sign-ins shared by the servers",
        include_str!("../migrations/0013_sign_in_failures.sql"),
    ),
    (
        14,
        "monitored logins by id",
        include_str!("../migrations/0014_monitored_by_login.sql"),
    ),
    (
        15,
        "drop an index no query uses",
        include_str!("../migrations/0015_unused_instant_index.sql"),
    ),
    (
        16,
        "redundant run indexes",
        include_str!("../migrations/0016_redundant_run_indexes.sql"),
    ),
];
/// Where earlier versions recorded the versions they applied; moved into sqlx's table once.
const LEGACY_MIGRATIONS_TABLE: &str = "schema_migrations";
/// sqlx's own bookkeeping table.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What went wrong inside the store; logged, then reported as [`StoreError`].
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("a kept value cannot be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Corrupt(String),
    #[error("cannot move the sent-log file: {0}")]
    SentLogFile(#[from] alerts::SentLogError),
    #[error("cannot rename the imported sent-log file: {0}")]
    Io(#[from] std::io::Error),
}

type Result<T, E = Failure> = std::result::Result<T, E>;

/// Why the database cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("cannot open the database: {0}")]
    Connect(sqlx::Error),
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(Failure),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's page cache while a run is written (64 MiB), with the statement journals of its
/// multi-row inserts in memory rather than in temporary files, and no checkpoint at its commit
/// ([`checkpoint_soon`] runs it after); and after it, the defaults (a 2 MiB cache, a
/// checkpoint past 1,000 pages of log), with the pages the write held given back.
const WRITING_CACHE: &str =
    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0";
const RESTING_CACHE: &str = "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; \
     PRAGMA wal_autocheckpoint = 1000; PRAGMA shrink_memory";
/// A user's kept logins in one source ([`Store::load_user_logins`]).
const USER_LOGINS_IN_SOURCE: &str = "SELECT analysis_id, event FROM scored_events \
     WHERE user_key = $1 AND source = $2 ORDER BY analysis_id, record";
/// After a run is written: SQLite's statistics of the kept logins, from a sample of each index
/// (a few milliseconds). Without them its planner guesses, and chose to find a login or a
/// user's logins by scanning a whole run or a whole source (10–50 ms and growing with what is
/// kept, instead of under 1 ms).
const REFRESH_STATISTICS: &str = "PRAGMA analysis_limit = 1000; ANALYZE scored_events";

/// Copies what a write added to SQLite's write-ahead log into the database file on the
/// connection that wrote it, beside the answer to the request rather than before it: at the
/// commit of a verdict's re-score of a 118k-login run this took 0.1 s of its 1.2 s. Readers and
/// writers go on meanwhile (a passive checkpoint waits for no one; what it leaves is copied by
/// the next). On that same connection, so that no other is opened for it before the statistics
/// just refreshed are written: a connection reads them when it is opened.
fn checkpoint_soon(mut connection: sqlx::pool::PoolConnection<sqlx::Any>) {
    tokio::spawn(async move {
        if let Err(error) = sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *connection)
            .await
        {
            tracing::warn!(%error, "checkpointing the database's log failed");
        }
    });
}

/// The database behind the web app.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Where it connects (PostgreSQL's listeners connect on their own).
    url: Arc<str>,
    /// Writes of whole runs, one at a time: SQLite has one writer, and a run of a million
    /// logins takes a minute or two to write; waiting here holds no connection of the pool.
    run_writes: Arc<tokio::sync::Mutex<()>>,
    /// The notification log's hold within this process (SQLite; PostgreSQL holds it with an
    /// advisory lock that every process sharing the database sees).
    sent_log_hold: Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// The embedded default: `skytrace.db` in the data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("skytrace.db").display()
        )
    }

    /// Connects (creating the SQLite file if needed) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(OpenError::UnsupportedUrl);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A writer waits for another as long as a request may take (300 s by
                        // default), not five seconds: writing a large run takes minutes.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 300000; PRAGMA synchronous = NORMAL;",
                        )
                        .execute(&mut *connection)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(OpenError::Connect)?;
        let store = Self {
            pool,
            backend,
            url: Arc::from(url),
            run_writes: Arc::default(),
            sent_log_hold: Arc::default(),
        };
        store.migrate().await.map_err(OpenError::Migrate)?;
        Ok(store)
    }

    /// Applies the migrations not applied yet, after moving an earlier version's record of
    /// them into sqlx's table.
    async fn migrate(&self) -> Result<()> {
        let migrator = migrator();
        let mut connection = self.pool.acquire().await?;
        connection.lock().await?;
        let moved = move_legacy_record(&mut connection, &migrator).await;
        connection.unlock().await?;
        moved?;
        migrator.run(&mut *connection).await?;
        Ok(())
    }

    async fn save_run(&self, run: &SavedRun) -> Result<()> {
        let _one_at_a_time = self.run_writes.lock().await;
        let mut connection = self.writer().await?;
        let saved = self.save_run_on(&mut connection, run).await;
        self.rest(connection, saved.is_ok()).await?;
        saved
    }

    /// A connection for writing many of a run's logins. On SQLite it has a larger page cache
    /// until [`Self::rest`]: a run's rows and their indexes do not fit the default 2 MiB, and
    /// pages spilled mid-transaction were written again and again (3.3 GB written for a 158 MB
    /// run of 113k logins). Re-scored rows too: SQLite alone updated 8,837 rows of that run in
    /// 0.39 s with the default cache, 0.14 s with this one.
    async fn writer(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        let mut connection = self.pool.acquire().await?;
        if self.backend == Backend::Sqlite {
            sqlx::raw_sql(WRITING_CACHE)
                .execute(&mut *connection)
                .await?;
        }
        Ok(connection)
    }

    /// Gives back the cache of a [`Self::writer`], and refreshes the planner's statistics when
    /// logins were `written`.
    async fn rest(
        &self,
        mut connection: sqlx::pool::PoolConnection<sqlx::Any>,
        written: bool,
    ) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::raw_sql(RESTING_CACHE)
                .execute(&mut *connection)
                .await?;
            if written {
                sqlx::raw_sql(REFRESH_STATISTICS)
                    .execute(&mut *connection)
                    .await?;
            }
            checkpoint_soon(connection);
        }
        Ok(())
    }

    async fn save_run_on(&self, connection: &mut AnyConnection, run: &SavedRun) -> Result<()> {
        let id = run.summary.id.clone();
        let mut transaction = connection.begin().await?;
        // The same file with the same choices is the same run: replace it.
        sqlx::query("DELETE FROM datasets WHERE id = $1")
            .bind(&id)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO datasets (id, source_name, profile, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&run.summary.file_name)
        .bind(serde_json::to_string(&run.summary.profile)?)
        .bind(run.created_ms)
        .execute(&mut *transaction)
        .await?;
        for rejection in &run.rejections {
            sqlx::query(
                "INSERT INTO rejected_records (dataset_id, record, line, reason) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(rejection.row as i64)
            .bind(rejection.line.map(|line| line as i64))
            .bind(rejection.reason.to_string())
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query(
            "INSERT INTO analyses (id, dataset_id, settings, summary, created_ms, source, \
             triage_columns) VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(&id)
        .bind(&id)
        .bind(serde_json::to_string(&run.settings)?)
        .bind(serde_json::to_string(&run.summary)?)
        .bind(run.created_ms)
        .bind(run.summary.source.as_str())
        .execute(&mut *transaction)
        .await?;
        insert_events(&mut transaction, self.backend, &id, run).await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn load_recent(
        &self,
        limit: usize,
        source: Option<&SourceName>,
    ) -> Result<Vec<RunListing>> {
        let rows = match source {
            Some(source) => {
                sqlx::query(
                    "SELECT summary, created_ms FROM analyses WHERE source = $1 \
                     ORDER BY created_ms DESC, id LIMIT $2",
                )
                .bind(source.as_str())
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?
            }
            None => sqlx::query(
                "SELECT summary, created_ms FROM analyses ORDER BY created_ms DESC, id LIMIT $1",
            )
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?,
        };
        rows.iter()
            .map(|row| {
                let summary: DetectionSummary =
                    serde_json::from_str(&row.try_get::<String, _>("summary")?)?;
                Ok(RunListing::of(&summary, row.try_get("created_ms")?))
            })
            .collect()
    }

    async fn load_summary(&self, id: &str) -> Result<Option<DetectionSummary>> {
        let row = sqlx::query("SELECT summary FROM analyses WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let text: String = row.try_get("summary")?;
            Ok(serde_json::from_str(&text)?)
        })
        .transpose()
    }
}

impl Store {
    /// Everything kept of a run, its logins in input order; `None` for an unknown id.
    async fn load_run(&self, id: &str) -> Result<Option<KeptRun>> {
        let Some(row) =
            sqlx::query("SELECT settings, summary, created_ms FROM analyses WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let summary: DetectionSummary =
            serde_json::from_str(&row.try_get::<String, _>("summary")?)?;
        let settings = serde_json::from_str(&row.try_get::<String, _>("settings")?)?;
        let events =
            sqlx::query("SELECT event FROM scored_events WHERE analysis_id = $1 ORDER BY record")
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(decode_event)
                .collect::<Result<Vec<ScoredEvent>>>()?;
        Ok(Some(KeptRun {
            summary,
            settings,
            events,
            logins: Arc::from([]),
        }))
    }
}

impl Store {
    async fn load_sources(&self) -> Result<Vec<SourceListing>> {
        let rows = sqlx::query(
            "SELECT a.source, COUNT(DISTINCT a.id) AS analyses, COUNT(s.record) AS logins, \
             MAX(a.created_ms) AS latest_ms FROM analyses a \
             LEFT JOIN scored_events s ON s.analysis_id = a.id \
             GROUP BY a.source ORDER BY a.source",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("source")?;
                Ok(SourceListing {
                    name: SourceName::parse(&name).map_err(Failure::Corrupt)?,
                    analyses: row.try_get::<i64, _>("analyses")? as u64,
                    logins: row.try_get::<i64, _>("logins")? as u64,
                    latest_ms: row.try_get("latest_ms")?,
                })
            })
            .collect()
    }

    async fn load_user_logins(
        &self,
        user: &str,
        source: Option<&SourceName>,
    ) -> Result<Vec<UserLogins>> {
        let key = user.trim().to_lowercase();
        let rows = match source {
            Some(source) => {
                sqlx::query(USER_LOGINS_IN_SOURCE)
                    .bind(&key)
                    .bind(source.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(
                    "SELECT analysis_id, event FROM scored_events WHERE user_key = $1 \
                     ORDER BY analysis_id, record",
                )
                .bind(&key)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut by_run: Vec<UserLogins> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("analysis_id")?;
            if by_run.last().is_none_or(|run| run.analysis_id != id) {
                let run = sqlx::query(
                    "SELECT a.settings, a.created_ms, a.source, d.source_name FROM analyses a \
                     JOIN datasets d ON d.id = a.dataset_id WHERE a.id = $1",
                )
                .bind(&id)
                .fetch_one(&self.pool)
                .await?;
                by_run.push(UserLogins {
                    analysis_id: id,
                    source: SourceName::parse(&run.try_get::<String, _>("source")?)
                        .map_err(Failure::Corrupt)?,
                    file_name: run.try_get("source_name")?,
                    created_ms: run.try_get("created_ms")?,
                    settings: serde_json::from_str(&run.try_get::<String, _>("settings")?)?,
                    events: Vec::new(),
                });
            }
            if let Some(run) = by_run.last_mut() {
                run.events.push(decode_event(row)?);
            }
        }
        by_run.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then_with(|| a.analysis_id.cmp(&b.analysis_id))
        });
        Ok(by_run)
    }
}

fn decode_event(row: &AnyRow) -> Result<ScoredEvent> {
    let text: String = row.try_get("event")?;
    Ok(serde_json::from_str(&text)?)
}

/// `%`, `_` and `\` in a user's search text match themselves.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The schema as sqlx's migrator applies it.
fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// A database made by an earlier version records its applied versions in `schema_migrations`;
/// they are recorded in sqlx's table with the checksums of the same scripts (unchanged since),
/// and the old table is dropped. Idempotent, and run under the migration lock.
async fn move_legacy_record(connection: &mut AnyConnection, migrator: &Migrator) -> Result<()> {
    let legacy = sqlx::query(AssertSqlSafe(format!(
        "SELECT version FROM {LEGACY_MIGRATIONS_TABLE}"
    )))
    .fetch_all(&mut *connection)
    .await;
    let Ok(rows) = legacy else {
        // No such table: a new database, or one already moved.
        return Ok(());
    };
    let applied: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get("version"))
        .collect::<Result<_, _>>()?;
    connection.ensure_migrations_table(MIGRATIONS_TABLE).await?;
    let mut transaction = sqlx::Connection::begin(&mut *connection).await?;
    for migration in migrator.iter().filter(|m| applied.contains(&m.version)) {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {MIGRATIONS_TABLE} (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, $3, $4, 0) ON CONFLICT (version) DO NOTHING"
        )))
        .bind(migration.version)
        .bind(migration.description.to_string())
        .bind(true)
        .bind(migration.checksum.to_vec())
        .execute(&mut *transaction)
        .await?;
    }
    sqlx::query(AssertSqlSafe(format!(
        "DROP TABLE {LEGACY_MIGRATIONS_TABLE}"
    )))
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    tracing::info!(
        versions = applied.len(),
        "the schema's record moved to sqlx's migrations table"
    );
    Ok(())
}

/// The details go to the log; the caller learns only that storage failed.
/// The `VALUES` list of a multi-row `INSERT`: `rows` tuples of `columns` placeholders, bound in
/// order.
fn value_rows(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let places: Vec<String> = match backend {
                // Anonymous placeholders: sqlx looks up the name of each numbered one, and SQLite
                // finds a name by scanning every name of the statement, which made a
                // 9,000-value INSERT quadratic (45 s for 115k logins).
                Backend::Sqlite => vec!["?".to_owned(); columns],
                Backend::Postgres => {
                    let first = row * columns;
                    (1..=columns).map(|n| format!("${}", first + n)).collect()
                }
            };
            format!("({})", places.join(", "))
        })
        .collect::<Vec<String>>()
        .join(", ")
}

fn logged<T>(result: Result<T>) -> std::result::Result<T, StoreError> {
    result.map_err(|error| {
        tracing::error!(%error, "database error");
        StoreError
    })
}

impl RunStore for Store {
    fn save<'a>(&'a self, run: &'a SavedRun) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.save_run(run).await) })
    }

    fn recent<'a>(
        &'a self,
        limit: usize,
        source: Option<&'a SourceName>,
    ) -> Stored<'a, Vec<RunListing>> {
        Box::pin(async move { logged(self.load_recent(limit, source).await) })
    }

    fn sources(&self) -> Stored<'_, Vec<SourceListing>> {
        Box::pin(async move { logged(self.load_sources().await) })
    }

    fn summary<'a>(&'a self, id: &'a str) -> Stored<'a, Option<DetectionSummary>> {
        Box::pin(async move { logged(self.load_summary(id).await) })
    }

    fn page<'a>(&'a self, id: &'a str, query: &'a EventQuery) -> Stored<'a, Option<EventPage>> {
        Box::pin(async move { logged(self.load_page(id, query).await) })
    }

    fn run<'a>(&'a self, id: &'a str) -> Stored<'a, Option<KeptRun>> {
        Box::pin(async move { logged(self.load_run(id).await) })
    }

    fn user_logins<'a>(
        &'a self,
        user: &'a str,
        source: Option<&'a SourceName>,
    ) -> Stored<'a, Vec<UserLogins>> {
        Box::pin(async move { logged(self.load_user_logins(user, source).await) })
    }

    fn logins<'a>(&'a self, id: &'a str) -> Stored<'a, Option<Vec<LoginEvent>>> {
        Box::pin(async move { logged(self.load_logins(id).await) })
    }

    fn history<'a>(
        &'a self,
        source: &'a SourceName,
        until_ms: i64,
        limit: usize,
        except: &'a str,
        skip: std::collections::HashSet<String>,
    ) -> Stored<'a, Vec<LoginEvent>> {
        Box::pin(async move {
            logged(
                self.load_history(source, until_ms, limit, except, skip)
                    .await,
            )
        })
    }

    fn kept_rows<'a>(
        &'a self,
        source: &'a SourceName,
        until_ms: i64,
        except: &'a str,
    ) -> Stored<'a, usize> {
        Box::pin(async move { logged(self.count_kept_rows(source, until_ms, except).await) })
    }

    fn run_stamps<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<RunStamp>> {
        Box::pin(async move { logged(self.load_run_stamps(source).await) })
    }

    fn rescore<'a>(
        &'a self,
        run: &'a SavedRun,
        changed: &'a [usize],
        accounts: &'a AccountStatuses,
    ) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.rescore_run(run, changed, accounts).await) })
    }

    fn login_in_run<'a>(
        &'a self,
        id: &'a str,
        login_id: &'a str,
    ) -> Stored<'a, Option<(ScoredEvent, Option<AccountStatus>)>> {
        Box::pin(async move { logged(self.load_login_in_run(id, login_id).await) })
    }
}

mod accounts;
mod activity;
mod feedback;
mod grid;
mod monitor;
mod notifications;
mod partitions;
mod sign_in;
#[cfg(test)]
mod tests;
