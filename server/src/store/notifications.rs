//! The notification log: which alert went out on which channel when (from web runs and from
//! `skytrace analyze --notify` alike), so an incident is alerted once across runs and restarts.

use std::path::Path;

use alerts::{SentEntry, SentLog, SentLogError};
use sqlx::Row;

use super::Store;

impl Store {
    /// Every delivery recorded, oldest first.
    pub async fn sent_entries(&self) -> anyhow::Result<Vec<SentEntry>> {
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

    pub async fn record_sent(
        &self,
        run_id: Option<&str>,
        entries: &[SentEntry],
    ) -> anyhow::Result<()> {
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
    pub async fn import_sent_log_file(&self, path: &Path) -> anyhow::Result<()> {
        if !path.is_file() {
            return Ok(());
        }
        let file = alerts::JsonSentLog::open(path)?;
        self.record_sent(None, file.entries()).await?;
        std::fs::rename(path, path.with_extension("json.imported"))?;
        tracing::info!(
            entries = file.entries().len(),
            "sent-log file moved into the database"
        );
        Ok(())
    }
}

/// The log as read before a dispatch, plus what the dispatch sends; the new entries are written
/// to the database after it (a crash in between may send an alert twice, never lose one).
pub struct StoredSentLog {
    earlier: Vec<SentEntry>,
    pub recorded: Vec<SentEntry>,
}

impl StoredSentLog {
    pub fn new(earlier: Vec<SentEntry>) -> Self {
        Self {
            earlier,
            recorded: Vec::new(),
        }
    }

    fn all(&self) -> impl Iterator<Item = &SentEntry> {
        self.earlier.iter().chain(&self.recorded)
    }
}

impl SentLog for StoredSentLog {
    fn was_sent(&self, channel: &str, key: &str) -> bool {
        self.all()
            .any(|entry| entry.channel == channel && entry.key == key)
    }

    fn sent_since(&self, channel: &str, since_ms: i64) -> usize {
        self.all()
            .filter(|entry| {
                entry.channel == channel && !entry.in_digest && entry.sent_at_ms >= since_ms
            })
            .count()
    }

    fn record(&mut self, entries: &[SentEntry]) -> Result<(), SentLogError> {
        self.recorded.extend_from_slice(entries);
        Ok(())
    }
}
