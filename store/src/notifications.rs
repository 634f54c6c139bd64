//! The notification log: which alert went out on which channel when (from web runs and from
//! `skytrace analyze --notify` alike), so an incident is alerted once across runs and restarts;
//! and its hold, so dispatches of several processes sharing a PostgreSQL database take turns.

use std::path::Path;
use std::sync::Arc;

use alerts::SentEntry;
use service::ports::{HeldSentLog, SentLogHold, SentLogStore, Stored};
use sqlx::Row;

use super::{Backend, Result, Store, logged};

/// The PostgreSQL advisory lock a dispatch holds ("skytrace" in ASCII): one number for every
/// process of an installation.
const SENT_LOG_LOCK: i64 = 0x736B_7974_7261_6365;

/// The hold in a PostgreSQL transaction: its advisory lock ends with the transaction, or with the
/// connection when the process dies.
struct TransactionHold(sqlx::Transaction<'static, sqlx::Any>);

impl HeldSentLog for TransactionHold {
    fn release(self: Box<Self>) -> Stored<'static, ()> {
        Box::pin(async move { logged(self.0.commit().await.map_err(Into::into)) })
    }
}

/// The hold within one process (SQLite has no other writer process to share with).
struct ProcessHold {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl HeldSentLog for ProcessHold {
    fn release(self: Box<Self>) -> Stored<'static, ()> {
        Box::pin(async move {
            drop(self);
            Ok(())
        })
    }
}

impl Store {
    async fn take_sent_log_hold(&self) -> Result<SentLogHold> {
        match self.backend {
            Backend::Postgres => {
                let mut transaction = self.pool.begin().await?;
                sqlx::query("SELECT 1 AS held FROM pg_advisory_xact_lock($1)")
                    .bind(SENT_LOG_LOCK)
                    .fetch_one(&mut *transaction)
                    .await?;
                Ok(Box::new(TransactionHold(transaction)))
            }
            Backend::Sqlite => Ok(Box::new(ProcessHold {
                _guard: Arc::clone(&self.sent_log_hold).lock_owned().await,
            })),
        }
    }

    /// Every delivery recorded, oldest first.
    async fn load_sent_entries(&self) -> Result<Vec<SentEntry>> {
        let rows = sqlx::query(
            "SELECT channel, alert_key, sent_at_ms, in_digest FROM notification_log \
             ORDER BY sent_at_ms, channel, alert_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SentEntry {
                    channel: row.try_get("channel")?,
                    key: row.try_get("alert_key")?,
                    sent_at_ms: row.try_get("sent_at_ms")?,
                    in_digest: row.try_get::<i64, _>("in_digest")? != 0,
                })
            })
            .collect()
    }

    async fn insert_sent(&self, run_id: Option<&str>, entries: &[SentEntry]) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        for entry in entries {
            sqlx::query(
                "INSERT INTO notification_log (channel, alert_key, sent_at_ms, in_digest, run_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&entry.channel)
            .bind(&entry.key)
            .bind(entry.sent_at_ms)
            .bind(i64::from(entry.in_digest))
            .bind(run_id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Moves the sent-log file earlier versions kept in the data directory into the database
    /// (once: the file is renamed `….imported`).
    pub async fn import_sent_log_file(
        &self,
        path: &Path,
    ) -> Result<(), service::ports::StoreError> {
        logged(self.import_sent_log(path).await)
    }

    async fn import_sent_log(&self, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Ok(());
        }
        let file = alerts::JsonSentLog::open(path)?;
        self.insert_sent(None, file.entries()).await?;
        std::fs::rename(path, path.with_extension("json.imported"))?;
        tracing::info!(
            entries = file.entries().len(),
            "sent-log file moved into the database"
        );
        Ok(())
    }
}

impl SentLogStore for Store {
    fn hold_sent_log(&self) -> Stored<'_, SentLogHold> {
        Box::pin(async move { logged(self.take_sent_log_hold().await) })
    }

    fn sent_entries(&self) -> Stored<'_, Vec<SentEntry>> {
        Box::pin(async move { logged(self.load_sent_entries().await) })
    }

    fn record_sent<'a>(
        &'a self,
        run_id: Option<&'a str>,
        entries: &'a [SentEntry],
    ) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.insert_sent(run_id, entries).await) })
    }
}
