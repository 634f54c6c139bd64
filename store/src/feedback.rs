//! Verdicts, allow-list entries, and the kept logins that later runs learn from.

use std::collections::BTreeMap;

use engine::{LoginEvent, ScoredEvent, VerdictKind};
use service::ports::{FeedbackStore, RunStamp, ScoredIn, Stored};
use service::source::SourceName;
use service::triage::{AllowListEntry, TriageRecord, TriageState};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Failure, Result, Store, decode_event, logged};

impl Store {
    pub(super) async fn load_logins(&self, id: &str) -> Result<Option<Vec<LoginEvent>>> {
        let rows =
            sqlx::query("SELECT login FROM scored_events WHERE analysis_id = $1 ORDER BY record")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut logins = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(text) = row.try_get::<Option<String>, _>("login")? else {
                return Ok(None);
            };
            logins.push(serde_json::from_str(&text)?);
        }
        Ok(Some(logins))
    }

    pub(super) async fn count_kept_rows(
        &self,
        source: &SourceName,
        until_ms: i64,
        except: &str,
    ) -> Result<usize> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS kept FROM scored_events \
             WHERE source = $1 AND timestamp_ms <= $2 AND analysis_id <> $3 AND login IS NOT NULL",
        )
        .bind(source.as_str())
        .bind(until_ms)
        .bind(except)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("kept")?.max(0) as usize)
    }

    pub(super) async fn load_run_stamps(&self, source: &SourceName) -> Result<Vec<RunStamp>> {
        let rows = sqlx::query("SELECT id, created_ms FROM analyses WHERE source = $1")
            .bind(source.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RunStamp {
                    id: row.try_get("id")?,
                    created_ms: row.try_get("created_ms")?,
                })
            })
            .collect()
    }

    pub(super) async fn load_history(
        &self,
        source: &SourceName,
        until_ms: i64,
        limit: usize,
        except: &str,
        skip: std::collections::HashSet<String>,
    ) -> Result<Vec<LoginEvent>> {
        let rows = sqlx::query(
            "SELECT login_id, login FROM scored_events \
             WHERE source = $1 AND timestamp_ms <= $2 AND analysis_id <> $3 AND login IS NOT NULL \
             ORDER BY timestamp_ms DESC, analysis_id DESC, record DESC LIMIT $4",
        )
        .bind(source.as_str())
        .bind(until_ms)
        .bind(except)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        // Each login once, and none of those to skip: they are marked seen from the start.
        let mut seen = skip;
        let mut history = Vec::new();
        for row in rows.iter().rev() {
            let login_id: String = row.try_get("login_id")?;
            if seen.insert(login_id) {
                history.push(serde_json::from_str(&row.try_get::<String, _>("login")?)?);
            }
        }
        Ok(history)
    }

    async fn load_allow_list(&self, source: Option<&SourceName>) -> Result<Vec<AllowListEntry>> {
        const COLUMNS: &str =
            "id, source, kind, value, user_key, reason, expires_ms, created_ms, actor";
        let rows = match source {
            Some(source) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM allow_list WHERE source = $1 ORDER BY created_ms, id"
                )))
                .bind(source.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM allow_list ORDER BY created_ms, id"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(AllowListEntry {
                    id: row.try_get("id")?,
                    source: source_of(row)?,
                    kind: row.try_get("kind")?,
                    value: row.try_get("value")?,
                    user: row.try_get("user_key")?,
                    reason: row.try_get("reason")?,
                    expires_ms: row.try_get("expires_ms")?,
                    created_ms: row.try_get("created_ms")?,
                    actor: row.try_get("actor")?,
                })
            })
            .collect()
    }

    async fn store_allow(&self, entry: AllowListEntry) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM allow_list WHERE id = $1")
            .bind(&entry.id)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO allow_list (id, kind, value, user_key, reason, expires_ms, created_ms, \
             actor, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&entry.id)
        .bind(&entry.kind)
        .bind(&entry.value)
        .bind(&entry.user)
        .bind(&entry.reason)
        .bind(entry.expires_ms)
        .bind(entry.created_ms)
        .bind(&entry.actor)
        .bind(entry.source.as_str())
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn remove_allow(&self, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM allow_list WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn store_triage(&self, record: TriageRecord) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM triage WHERE source = $1 AND login_id = $2")
            .bind(record.source.as_str())
            .bind(&record.login_id)
            .execute(&mut *transaction)
            .await?;
        for table in ["triage", "triage_history"] {
            // The table name is one of two constants.
            let sql = format!(
                "INSERT INTO {table} (source, login_id, verdict, comment, actor, at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(record.source.as_str())
                .bind(&record.login_id)
                .bind(record.verdict.as_str())
                .bind(&record.comment)
                .bind(&record.actor)
                .bind(record.at_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn load_triage(&self, source: &SourceName, login_id: &str) -> Result<TriageState> {
        let current = sqlx::query(
            "SELECT source, login_id, verdict, comment, actor, at_ms FROM triage \
             WHERE source = $1 AND login_id = $2",
        )
        .bind(source.as_str())
        .bind(login_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(triage_record)
        .transpose()?;
        let history = sqlx::query(
            "SELECT source, login_id, verdict, comment, actor, at_ms FROM triage_history \
             WHERE source = $1 AND login_id = $2 ORDER BY at_ms",
        )
        .bind(source.as_str())
        .bind(login_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(triage_record)
        .collect::<Result<_>>()?;
        Ok(TriageState { current, history })
    }

    pub(super) async fn load_verdicts(&self, source: &SourceName) -> Result<Vec<TriageRecord>> {
        sqlx::query(
            "SELECT source, login_id, verdict, comment, actor, at_ms FROM triage \
             WHERE source = $1 ORDER BY login_id",
        )
        .bind(source.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(triage_record)
        .collect()
    }

    /// The current verdicts in `source` on `rows`, by login id.
    pub(super) async fn verdicts_of(
        &self,
        source: &str,
        rows: &[ScoredEvent],
    ) -> Result<BTreeMap<String, VerdictKind>> {
        if rows.is_empty() {
            return Ok(BTreeMap::new());
        }
        let ids: Vec<String> = rows.iter().map(|event| event.login_id()).collect();
        let places: Vec<String> = (2..=ids.len() + 1).map(|n| format!("${n}")).collect();
        // Built from constant fragments and numbered placeholders only.
        let sql = format!(
            "SELECT login_id, verdict FROM triage WHERE source = $1 AND login_id IN ({})",
            places.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source.to_owned());
        for id in ids {
            query = query.bind(id);
        }
        let mut verdicts = BTreeMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let verdict: String = row.try_get("verdict")?;
            verdicts.insert(
                row.try_get("login_id")?,
                verdict.parse().map_err(Failure::Corrupt)?,
            );
        }
        Ok(verdicts)
    }

    /// Where a login was scored: monitored first (as [`service::dashboard::LIVE`]), then the
    /// kept analyses, newest first.
    async fn locate_login(&self, login_id: &str) -> Result<Vec<ScoredIn>> {
        let monitored = sqlx::query(
            "SELECT source, scored FROM monitored_events WHERE login_id = $1 ORDER BY source",
        )
        .bind(login_id)
        .fetch_all(&self.pool)
        .await?;
        let mut found = monitored
            .iter()
            .map(|row| {
                let scored: String = row.try_get("scored")?;
                Ok(ScoredIn {
                    analysis_id: service::dashboard::LIVE.to_owned(),
                    source: source_of(row)?,
                    event: serde_json::from_str(&scored)?,
                })
            })
            .collect::<Result<Vec<ScoredIn>>>()?;
        let rows = sqlx::query(
            "SELECT s.analysis_id, s.source, s.event FROM scored_events s \
             JOIN analyses a ON a.id = s.analysis_id \
             WHERE s.login_id = $1 ORDER BY a.created_ms DESC, s.analysis_id",
        )
        .bind(login_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ScoredIn {
                    analysis_id: row.try_get("analysis_id")?,
                    source: source_of(row)?,
                    event: decode_event(row)?,
                })
            })
            .collect::<Result<Vec<ScoredIn>>>()
            .map(|kept| {
                found.extend(kept);
                found
            })
    }
}

fn source_of(row: &AnyRow) -> Result<SourceName> {
    SourceName::parse(&row.try_get::<String, _>("source")?).map_err(Failure::Corrupt)
}

fn triage_record(row: &AnyRow) -> Result<TriageRecord> {
    let verdict: String = row.try_get("verdict")?;
    Ok(TriageRecord {
        source: source_of(row)?,
        login_id: row.try_get("login_id")?,
        verdict: verdict.parse::<VerdictKind>().map_err(Failure::Corrupt)?,
        comment: row.try_get("comment")?,
        actor: row.try_get("actor")?,
        at_ms: row.try_get("at_ms")?,
    })
}

impl FeedbackStore for Store {
    fn allow_list<'a>(&'a self, source: Option<&'a SourceName>) -> Stored<'a, Vec<AllowListEntry>> {
        Box::pin(async move { logged(self.load_allow_list(source).await) })
    }

    fn save_allow(&self, entry: AllowListEntry) -> Stored<'_, ()> {
        Box::pin(async move { logged(self.store_allow(entry).await) })
    }

    fn delete_allow<'a>(&'a self, id: &'a str) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.remove_allow(id).await) })
    }

    fn record_triage(&self, record: TriageRecord) -> Stored<'_, ()> {
        Box::pin(async move { logged(self.store_triage(record).await) })
    }

    fn triage<'a>(&'a self, source: &'a SourceName, login_id: &'a str) -> Stored<'a, TriageState> {
        Box::pin(async move { logged(self.load_triage(source, login_id).await) })
    }

    fn verdicts<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<TriageRecord>> {
        Box::pin(async move { logged(self.load_verdicts(source).await) })
    }

    fn find_login<'a>(&'a self, login_id: &'a str) -> Stored<'a, Vec<ScoredIn>> {
        Box::pin(async move { logged(self.locate_login(login_id).await) })
    }
}
