//! Verdicts, allow-list entries, and the kept logins that later runs learn from.

use std::collections::BTreeMap;

use engine::{LoginEvent, ScoredEvent, VerdictKind};
use service::ports::{FeedbackStore, Stored};
use service::triage::{AllowListEntry, TriageRecord, TriageState};
use sqlx::Row;
use sqlx::any::AnyRow;

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

    pub(super) async fn load_history(
        &self,
        until_ms: i64,
        limit: usize,
        except: &str,
        skip: std::collections::HashSet<String>,
    ) -> Result<Vec<LoginEvent>> {
        let rows = sqlx::query(
            "SELECT login_id, login FROM scored_events \
             WHERE timestamp_ms <= $1 AND analysis_id <> $2 AND login IS NOT NULL \
             ORDER BY timestamp_ms DESC, analysis_id DESC, record DESC LIMIT $3",
        )
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

    async fn load_allow_list(&self) -> Result<Vec<AllowListEntry>> {
        let rows = sqlx::query(
            "SELECT id, kind, value, user_key, reason, expires_ms, created_ms, actor \
             FROM allow_list ORDER BY created_ms, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AllowListEntry {
                    id: row.try_get("id")?,
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
             actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&entry.id)
        .bind(&entry.kind)
        .bind(&entry.value)
        .bind(&entry.user)
        .bind(&entry.reason)
        .bind(entry.expires_ms)
        .bind(entry.created_ms)
        .bind(&entry.actor)
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
        sqlx::query("DELETE FROM triage WHERE login_id = $1")
            .bind(&record.login_id)
            .execute(&mut *transaction)
            .await?;
        for table in ["triage", "triage_history"] {
            // The table name is one of two constants.
            let sql = format!(
                "INSERT INTO {table} (login_id, verdict, comment, actor, at_ms) \
                 VALUES ($1, $2, $3, $4, $5)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
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

    async fn load_triage(&self, login_id: &str) -> Result<TriageState> {
        let current = sqlx::query(
            "SELECT login_id, verdict, comment, actor, at_ms FROM triage WHERE login_id = $1",
        )
        .bind(login_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(triage_record)
        .transpose()?;
        let history = sqlx::query(
            "SELECT login_id, verdict, comment, actor, at_ms FROM triage_history \
             WHERE login_id = $1 ORDER BY at_ms",
        )
        .bind(login_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(triage_record)
        .collect::<Result<_>>()?;
        Ok(TriageState { current, history })
    }

    pub(super) async fn load_verdicts(&self) -> Result<Vec<TriageRecord>> {
        sqlx::query("SELECT login_id, verdict, comment, actor, at_ms FROM triage ORDER BY login_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(triage_record)
            .collect()
    }

    /// The current verdicts on `rows`, by login id.
    pub(super) async fn verdicts_of(
        &self,
        rows: &[ScoredEvent],
    ) -> Result<BTreeMap<String, VerdictKind>> {
        if rows.is_empty() {
            return Ok(BTreeMap::new());
        }
        let ids: Vec<String> = rows.iter().map(|event| event.login_id()).collect();
        let places: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        // Built from constant fragments and numbered placeholders only.
        let sql = format!(
            "SELECT login_id, verdict FROM triage WHERE login_id IN ({})",
            places.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
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

    async fn locate_login(&self, login_id: &str) -> Result<Vec<(String, ScoredEvent)>> {
        let rows = sqlx::query(
            "SELECT s.analysis_id, s.event FROM scored_events s \
             JOIN analyses a ON a.id = s.analysis_id \
             WHERE s.login_id = $1 ORDER BY a.created_ms DESC, s.analysis_id",
        )
        .bind(login_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("analysis_id")?, decode_event(row)?)))
            .collect()
    }
}

fn triage_record(row: &AnyRow) -> Result<TriageRecord> {
    let verdict: String = row.try_get("verdict")?;
    Ok(TriageRecord {
        login_id: row.try_get("login_id")?,
        verdict: verdict.parse::<VerdictKind>().map_err(Failure::Corrupt)?,
        comment: row.try_get("comment")?,
        actor: row.try_get("actor")?,
        at_ms: row.try_get("at_ms")?,
    })
}

impl FeedbackStore for Store {
    fn allow_list(&self) -> Stored<'_, Vec<AllowListEntry>> {
        Box::pin(async move { logged(self.load_allow_list().await) })
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

    fn triage<'a>(&'a self, login_id: &'a str) -> Stored<'a, TriageState> {
        Box::pin(async move { logged(self.load_triage(login_id).await) })
    }

    fn verdicts(&self) -> Stored<'_, Vec<TriageRecord>> {
        Box::pin(async move { logged(self.load_verdicts().await) })
    }

    fn find_login<'a>(&'a self, login_id: &'a str) -> Stored<'a, Vec<(String, ScoredEvent)>> {
        Box::pin(async move { logged(self.locate_login(login_id).await) })
    }
}
