//! The monitor's kept logins (`monitored_events`): each accepted login with its verdict, written
//! in the batch's transaction before it is acknowledged, and read back in arrival order to
//! rebuild a source's analyzer when the server starts; read by time for the live dashboard.
//! Past the retention period a source's oldest are deleted, in the transaction that keeps what
//! its analyzer had learnt (`monitored_learnt`).

use engine::{LoginEvent, ScoredEvent};
use service::ports::{LearntState, MonitorStore, MonitoredLogin, Stored};
use service::source::SourceName;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Failure, Result, Store, logged, value_rows};

/// Login ids looked up per statement.
const LOOKUP_CHUNK: usize = 500;

/// Monitored logins written per statement (each row binds [`MONITORED_COLUMNS`] values; SQLite
/// takes 32,766 at most, PostgreSQL 65,535).
const MONITORED_ROWS_PER_INSERT: usize = 200;
const MONITORED_COLUMNS: usize = 9;

impl Store {
    async fn insert_monitored(&self, source: &SourceName, logins: &[MonitoredLogin]) -> Result<()> {
        self.insert_monitored_rows(source, logins, "").await?;
        Ok(())
    }

    /// Inserts `logins` in one transaction, each statement ending with `on_conflict`; how many
    /// rows were inserted.
    pub(crate) async fn insert_monitored_rows(
        &self,
        source: &SourceName,
        logins: &[MonitoredLogin],
        on_conflict: &'static str,
    ) -> Result<u64> {
        let mut inserted = 0;
        let mut transaction = self.pool.begin().await?;
        for chunk in logins.chunks(MONITORED_ROWS_PER_INSERT) {
            let statement = format!(
                "INSERT INTO monitored_events \
                 (source, sequence, login_id, received_ms, timestamp_ms, login, scored, \
                 forest_fit, dbscan_fit) VALUES {} {on_conflict}",
                value_rows(self.backend, chunk.len(), MONITORED_COLUMNS)
            );
            // Built from constant fragments and placeholders only.
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(statement));
            for login in chunk {
                insert = insert
                    .bind(source.as_str())
                    .bind(login.sequence)
                    .bind(login.login_id.clone())
                    .bind(login.received_ms)
                    .bind(login.login.timestamp_ms)
                    .bind(serde_json::to_string(&login.login)?)
                    .bind(serde_json::to_string(&login.scored)?)
                    .bind(i64::from(login.models.isolation_forest))
                    .bind(i64::from(login.models.dbscan));
            }
            inserted += insert.execute(&mut *transaction).await?.rows_affected();
        }
        transaction.commit().await?;
        Ok(inserted)
    }

    async fn load_monitored_sources(&self) -> Result<Vec<SourceName>> {
        let rows = sqlx::query(
            "SELECT source FROM monitored_events UNION SELECT source FROM monitored_learnt \
             ORDER BY source",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("source")?;
                SourceName::parse(&name).map_err(Failure::Corrupt)
            })
            .collect()
    }

    async fn load_monitored(&self, source: &SourceName) -> Result<Vec<MonitoredLogin>> {
        let rows = sqlx::query(
            "SELECT sequence, login_id, received_ms, login, scored, forest_fit, dbscan_fit \
             FROM monitored_events WHERE source = $1 ORDER BY sequence",
        )
        .bind(source.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let login: String = row.try_get("login")?;
                let scored: String = row.try_get("scored")?;
                let fit = |column: &str| -> Result<u32> {
                    let fit: Option<i64> = row.try_get(column)?;
                    Ok(fit.and_then(|fit| u32::try_from(fit).ok()).unwrap_or(0))
                };
                Ok(MonitoredLogin {
                    sequence: row.try_get("sequence")?,
                    login_id: row.try_get("login_id")?,
                    received_ms: row.try_get("received_ms")?,
                    login: serde_json::from_str(&login)?,
                    scored: serde_json::from_str(&scored)?,
                    models: service::monitor::ModelFits {
                        isolation_forest: fit("forest_fit")?,
                        dbscan: fit("dbscan_fit")?,
                    },
                })
            })
            .collect()
    }

    /// The `columns` of `source`'s monitored logins named in `login_ids`, in no order, looked up
    /// [`LOOKUP_CHUNK`] ids at a time.
    pub(crate) async fn monitored_rows_named(
        &self,
        columns: &'static str,
        source: &SourceName,
        login_ids: &[String],
    ) -> Result<Vec<AnyRow>> {
        let mut rows = Vec::new();
        for chunk in login_ids.chunks(LOOKUP_CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|at| format!("${}", at + 2)).collect();
            // Built from constant fragments and numbered placeholders only.
            let statement = format!(
                "SELECT {columns} FROM monitored_events WHERE source = $1 AND login_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(statement)).bind(source.as_str());
            for login_id in chunk {
                query = query.bind(login_id);
            }
            rows.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(rows)
    }

    async fn load_monitored_named(
        &self,
        source: &SourceName,
        login_ids: &[String],
    ) -> Result<Vec<LoginEvent>> {
        let mut found: Vec<(i64, LoginEvent)> = Vec::new();
        for row in self
            .monitored_rows_named("sequence, login", source, login_ids)
            .await?
        {
            let login: String = row.try_get("login")?;
            found.push((row.try_get("sequence")?, serde_json::from_str(&login)?));
        }
        found.sort_by_key(|(sequence, _)| *sequence);
        Ok(found.into_iter().map(|(_, login)| login).collect())
    }

    async fn load_learnt_state(&self, source: &SourceName) -> Result<Option<LearntState>> {
        let row = sqlx::query(
            "SELECT through_sequence, taken_ms, state FROM monitored_learnt WHERE source = $1",
        )
        .bind(source.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LearntState {
                through_sequence: row.try_get("through_sequence")?,
                taken_ms: row.try_get("taken_ms")?,
                state: row.try_get("state")?,
            })
        })
        .transpose()
    }

    async fn purge(
        &self,
        source: &SourceName,
        learnt: &LearntState,
        purged_through: i64,
    ) -> Result<u64> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO monitored_learnt (source, through_sequence, taken_ms, state) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (source) DO UPDATE SET \
             through_sequence = excluded.through_sequence, taken_ms = excluded.taken_ms, \
             state = excluded.state",
        )
        .bind(source.as_str())
        .bind(learnt.through_sequence)
        .bind(learnt.taken_ms)
        .bind(learnt.state.as_slice())
        .execute(&mut *transaction)
        .await?;
        let deleted =
            sqlx::query("DELETE FROM monitored_events WHERE source = $1 AND sequence <= $2")
                .bind(source.as_str())
                .bind(purged_through)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
        transaction.commit().await?;
        Ok(deleted)
    }

    async fn load_monitored_between(
        &self,
        source: &SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<ScoredEvent>> {
        // The latest `limit` of the span, then in time (and arrival) order.
        let rows = sqlx::query(
            "SELECT scored FROM monitored_events \
             WHERE source = $1 AND timestamp_ms >= $2 AND timestamp_ms < $3 \
             ORDER BY timestamp_ms DESC, sequence DESC LIMIT $4",
        )
        .bind(source.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut scored = rows
            .iter()
            .map(|row| Ok(serde_json::from_str(&row.try_get::<String, _>("scored")?)?))
            .collect::<Result<Vec<ScoredEvent>>>()?;
        scored.reverse();
        Ok(scored)
    }
}

impl MonitorStore for Store {
    fn keep_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.insert_monitored(source, logins).await) })
    }

    fn reachable(&self) -> Stored<'_, ()> {
        Box::pin(async move {
            logged(
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(drop)
                    .map_err(Into::into),
            )
        })
    }

    fn monitored_sources(&self) -> Stored<'_, Vec<SourceName>> {
        Box::pin(async move { logged(self.load_monitored_sources().await) })
    }

    fn monitored<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<MonitoredLogin>> {
        Box::pin(async move { logged(self.load_monitored(source).await) })
    }

    fn monitored_named<'a>(
        &'a self,
        source: &'a SourceName,
        login_ids: &'a [String],
    ) -> Stored<'a, Vec<LoginEvent>> {
        Box::pin(async move { logged(self.load_monitored_named(source, login_ids).await) })
    }

    fn learnt_state<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Option<LearntState>> {
        Box::pin(async move { logged(self.load_learnt_state(source).await) })
    }

    fn purge_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        learnt: &'a LearntState,
        purged_through: i64,
    ) -> Stored<'a, u64> {
        Box::pin(async move { logged(self.purge(source, learnt, purged_through).await) })
    }

    fn monitored_between<'a>(
        &'a self,
        source: &'a SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Stored<'a, Vec<ScoredEvent>> {
        Box::pin(async move {
            logged(
                self.load_monitored_between(source, from_ms, to_ms, limit)
                    .await,
            )
        })
    }
}
