//! Failed sign-ins (`sign_in_failures`), counted by every server sharing the database.

use service::ports::{SignInFailureStore, Stored};
use sqlx::Row;

use super::{Result, Store, logged};

impl Store {
    async fn load_sign_in_failures(
        &self,
        counters: &[String],
        since_ms: i64,
    ) -> Result<Vec<(String, Vec<i64>)>> {
        let mut failures = Vec::new();
        for counter in counters {
            let rows = sqlx::query(
                "SELECT failed_ms FROM sign_in_failures WHERE counter = $1 AND failed_ms >= $2 \
                 ORDER BY failed_ms",
            )
            .bind(counter)
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?;
            let instants = rows
                .iter()
                .map(|row| row.try_get("failed_ms"))
                .collect::<Result<Vec<i64>, _>>()?;
            if !instants.is_empty() {
                failures.push((counter.clone(), instants));
            }
        }
        Ok(failures)
    }

    async fn insert_sign_in_failure(
        &self,
        counters: &[String],
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE failed_ms < $1")
            .bind(forget_before_ms)
            .execute(&mut *transaction)
            .await?;
        for counter in counters {
            sqlx::query("INSERT INTO sign_in_failures (counter, failed_ms) VALUES ($1, $2)")
                .bind(counter)
                .bind(at_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn delete_sign_in_failures(&self, counter: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE counter = $1")
            .bind(counter)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl SignInFailureStore for Store {
    fn sign_in_failures<'a>(
        &'a self,
        counters: &'a [String],
        since_ms: i64,
    ) -> Stored<'a, Vec<(String, Vec<i64>)>> {
        Box::pin(async move { logged(self.load_sign_in_failures(counters, since_ms).await) })
    }

    fn record_sign_in_failure<'a>(
        &'a self,
        counters: &'a [String],
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Stored<'a, ()> {
        Box::pin(async move {
            logged(
                self.insert_sign_in_failure(counters, at_ms, forget_before_ms)
                    .await,
            )
        })
    }

    fn clear_sign_in_failures<'a>(&'a self, counter: &'a str) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.delete_sign_in_failures(counter).await) })
    }
}
