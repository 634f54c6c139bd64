//! Scale-out partitions (`partition_leases`, `partition_workers`, `partition_learnt`): which
//! worker owns which partition of the event log until when, the live workers, and each
//! partition's checkpoint; the workers' verdicts go to `monitored_events`, once per login.

use std::collections::HashMap;

use service::ports::{MonitoredLogin, PartitionCheckpoint, PartitionStore, Stored};
use service::source::SourceName;
use sqlx::Row;

use super::{Failure, Result, Store, logged};

/// How long a worker that stopped renewing is still counted live: its rows are then deleted.
const FORGET_WORKERS_AFTER_MS: i64 = 60_000;

fn partition_number(row: &sqlx::any::AnyRow) -> Result<u32> {
    let partition: i64 = row.try_get("partition_id")?;
    u32::try_from(partition).map_err(|_| Failure::Corrupt(format!("partition {partition}")))
}

impl Store {
    async fn insert_partitions(&self, partitions: u32) -> Result<u32> {
        for partition in 0..partitions {
            sqlx::query(
                "INSERT INTO partition_leases (partition_id, owner, expires_ms) \
                 VALUES ($1, NULL, 0) ON CONFLICT (partition_id) DO NOTHING",
            )
            .bind(i64::from(partition))
            .execute(&self.pool)
            .await?;
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS leases FROM partition_leases")
            .fetch_one(&self.pool)
            .await?
            .try_get("leases")?;
        u32::try_from(count).map_err(|_| Failure::Corrupt(format!("{count} partitions")))
    }

    async fn note_worker(&self, worker: &str, now_ms: i64, expires_ms: i64) -> Result<usize> {
        sqlx::query(
            "INSERT INTO partition_workers (worker, expires_ms) VALUES ($1, $2) \
             ON CONFLICT (worker) DO UPDATE SET expires_ms = excluded.expires_ms",
        )
        .bind(worker)
        .bind(expires_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM partition_workers WHERE expires_ms < $1")
            .bind(now_ms - FORGET_WORKERS_AFTER_MS)
            .execute(&self.pool)
            .await?;
        let live: i64 =
            sqlx::query("SELECT COUNT(*) AS live FROM partition_workers WHERE expires_ms >= $1")
                .bind(now_ms)
                .fetch_one(&self.pool)
                .await?
                .try_get("live")?;
        Ok(usize::try_from(live).unwrap_or(0))
    }

    async fn extend_leases(&self, worker: &str, expires_ms: i64) -> Result<Vec<u32>> {
        sqlx::query("UPDATE partition_leases SET expires_ms = $1 WHERE owner = $2")
            .bind(expires_ms)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "SELECT partition_id FROM partition_leases WHERE owner = $1 ORDER BY partition_id",
        )
        .bind(worker)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(partition_number)
        .collect()
    }

    async fn take(
        &self,
        partition: u32,
        worker: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool> {
        // One statement: of two workers taking the same free lease, one updates it.
        let taken = sqlx::query(
            "UPDATE partition_leases SET owner = $1, expires_ms = $2 \
             WHERE partition_id = $3 AND (owner IS NULL OR expires_ms < $4)",
        )
        .bind(worker)
        .bind(expires_ms)
        .bind(i64::from(partition))
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    async fn release(&self, partition: u32, worker: &str) -> Result<()> {
        sqlx::query(
            "UPDATE partition_leases SET owner = NULL, expires_ms = 0 \
             WHERE partition_id = $1 AND owner = $2",
        )
        .bind(i64::from(partition))
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn free(&self, now_ms: i64) -> Result<Vec<u32>> {
        sqlx::query(
            "SELECT partition_id FROM partition_leases \
             WHERE owner IS NULL OR expires_ms < $1 ORDER BY partition_id",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(partition_number)
        .collect()
    }

    async fn load_checkpoint(&self, partition: u32) -> Result<Option<PartitionCheckpoint>> {
        let rows = sqlx::query(
            "SELECT source, through_sequence, taken_ms, state FROM partition_learnt \
             WHERE partition_id = $1 ORDER BY source",
        )
        .bind(i64::from(partition))
        .fetch_all(&self.pool)
        .await?;
        let mut checkpoint: Option<PartitionCheckpoint> = None;
        for row in &rows {
            let source: String = row.try_get("source")?;
            let through: i64 = row.try_get("through_sequence")?;
            let kept = checkpoint.get_or_insert_with(|| PartitionCheckpoint {
                through_sequence: u64::try_from(through).unwrap_or(0),
                taken_ms: 0,
                sources: Vec::new(),
            });
            kept.taken_ms = row.try_get("taken_ms")?;
            kept.sources.push((
                SourceName::parse(&source).map_err(Failure::Corrupt)?,
                row.try_get("state")?,
            ));
        }
        Ok(checkpoint)
    }

    async fn replace_checkpoint(
        &self,
        partition: u32,
        checkpoint: &PartitionCheckpoint,
    ) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM partition_learnt WHERE partition_id = $1")
            .bind(i64::from(partition))
            .execute(&mut *transaction)
            .await?;
        let through = i64::try_from(checkpoint.through_sequence).unwrap_or(i64::MAX);
        for (source, state) in &checkpoint.sources {
            sqlx::query(
                "INSERT INTO partition_learnt \
                 (partition_id, source, through_sequence, taken_ms, state) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(i64::from(partition))
            .bind(source.as_str())
            .bind(through)
            .bind(checkpoint.taken_ms)
            .bind(state.as_slice())
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn load_kept_sequences(
        &self,
        source: &SourceName,
        login_ids: &[String],
    ) -> Result<HashMap<String, i64>> {
        let mut kept = HashMap::new();
        for row in self
            .monitored_rows_named("login_id, sequence", source, login_ids)
            .await?
        {
            kept.insert(row.try_get("login_id")?, row.try_get("sequence")?);
        }
        Ok(kept)
    }
}

impl PartitionStore for Store {
    fn prepare_partitions(&self, partitions: u32) -> Stored<'_, u32> {
        Box::pin(async move { logged(self.insert_partitions(partitions).await) })
    }

    fn heartbeat<'a>(&'a self, worker: &'a str, now_ms: i64, expires_ms: i64) -> Stored<'a, usize> {
        Box::pin(async move { logged(self.note_worker(worker, now_ms, expires_ms).await) })
    }

    fn renew_leases<'a>(&'a self, worker: &'a str, expires_ms: i64) -> Stored<'a, Vec<u32>> {
        Box::pin(async move { logged(self.extend_leases(worker, expires_ms).await) })
    }

    fn take_lease<'a>(
        &'a self,
        partition: u32,
        worker: &'a str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.take(partition, worker, now_ms, expires_ms).await) })
    }

    fn release_lease<'a>(&'a self, partition: u32, worker: &'a str) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.release(partition, worker).await) })
    }

    fn free_partitions(&self, now_ms: i64) -> Stored<'_, Vec<u32>> {
        Box::pin(async move { logged(self.free(now_ms).await) })
    }

    fn checkpoint(&self, partition: u32) -> Stored<'_, Option<PartitionCheckpoint>> {
        Box::pin(async move { logged(self.load_checkpoint(partition).await) })
    }

    fn keep_checkpoint<'a>(
        &'a self,
        partition: u32,
        checkpoint: &'a PartitionCheckpoint,
    ) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.replace_checkpoint(partition, checkpoint).await) })
    }

    fn kept_sequences<'a>(
        &'a self,
        source: &'a SourceName,
        login_ids: &'a [String],
    ) -> Stored<'a, HashMap<String, i64>> {
        Box::pin(async move { logged(self.load_kept_sequences(source, login_ids).await) })
    }

    fn keep_new_verdicts<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, u64> {
        Box::pin(async move {
            logged(
                self.insert_monitored_rows(source, logins, "ON CONFLICT DO NOTHING")
                    .await,
            )
        })
    }

    fn purge_verdicts_received_before(&self, before_ms: i64) -> Stored<'_, u64> {
        Box::pin(async move {
            let deleted = sqlx::query("DELETE FROM monitored_events WHERE received_ms < $1")
                .bind(before_ms)
                .execute(&self.pool)
                .await
                .map(|done| done.rows_affected());
            logged(deleted.map_err(Into::into))
        })
    }
}
