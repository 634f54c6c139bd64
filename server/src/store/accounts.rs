//! Hosted mode's accounts, sign-in sessions and API tokens. Sessions and tokens are looked up by
//! the SHA-256 digest of their secret; the secrets themselves are never stored.

use anyhow::Context;
use app::account::{Account, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;

/// An account with what is needed to check its password.
pub struct StoredAccount {
    pub account: Account,
    pub password_hash: String,
    pub created_ms: i64,
}

/// A live sign-in session.
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
}

/// An API token as listed (never its secret).
#[derive(Debug, serde::Serialize)]
pub struct ApiTokenListing {
    pub id: String,
    pub account: String,
    pub label: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
}

fn account_of(row: &AnyRow, name_column: &str, signed_in: bool) -> anyhow::Result<Account> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        name: row.try_get(name_column)?,
        role: role.parse().map_err(anyhow::Error::msg)?,
        signed_in,
    })
}

impl Store {
    /// Adds an account; false if the name is taken.
    pub async fn add_account(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        if self.account(name).await?.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO accounts (name, password_hash, role, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot add the account")?;
        Ok(true)
    }

    pub async fn account(&self, name: &str) -> anyhow::Result<Option<StoredAccount>> {
        let row = sqlx::query(
            "SELECT name, password_hash, role, created_ms FROM accounts WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredAccount {
                account: account_of(&row, "name", true)?,
                password_hash: row.try_get("password_hash")?,
                created_ms: row.try_get("created_ms")?,
            })
        })
        .transpose()
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> anyhow::Result<Vec<StoredAccount>> {
        let rows =
            sqlx::query("SELECT name, password_hash, role, created_ms FROM accounts ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredAccount {
                    account: account_of(row, "name", true)?,
                    password_hash: row.try_get("password_hash")?,
                    created_ms: row.try_get("created_ms")?,
                })
            })
            .collect()
    }

    /// Sets a new password (and role) and ends the account's sessions; false if there is no
    /// such account.
    pub async fn reset_account(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> anyhow::Result<bool> {
        let mut transaction = self.pool.begin().await?;
        let changed =
            sqlx::query("UPDATE accounts SET password_hash = $1, role = $2 WHERE name = $3")
                .bind(password_hash)
                .bind(role.as_str())
                .bind(name)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE account = $1")
            .bind(name)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(changed > 0)
    }

    /// Removes an account with its sessions and API tokens; false if there was none.
    pub async fn remove_account(&self, name: &str) -> anyhow::Result<bool> {
        let mut transaction = self.pool.begin().await?;
        for table in ["sessions", "api_tokens"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE account = $1"
            )))
            .bind(name)
            .execute(&mut *transaction)
            .await?;
        }
        let removed = sqlx::query("DELETE FROM accounts WHERE name = $1")
            .bind(name)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        transaction.commit().await?;
        Ok(removed > 0)
    }

    /// Keeps a new session, and forgets expired ones.
    pub async fn start_session(
        &self,
        token_digest: &str,
        account: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_digest, account, csrf_token, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_digest)
        .bind(account)
        .bind(csrf_token)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this digest, if it has not expired.
    pub async fn session(
        &self,
        token_digest: &str,
        now_ms: i64,
    ) -> anyhow::Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT sessions.account, sessions.csrf_token, accounts.role \
             FROM sessions JOIN accounts ON accounts.name = sessions.account \
             WHERE sessions.token_digest = $1 AND sessions.expires_ms > $2",
        )
        .bind(token_digest)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                account: account_of(&row, "account", true)?,
                csrf_token: row.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    pub async fn end_session(&self, token_digest: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_digest = $1")
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn add_api_token(
        &self,
        id: &str,
        token_digest: &str,
        account: &str,
        label: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_digest, account, label, created_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(token_digest)
        .bind(account)
        .bind(label)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The account an API token acts for; notes when it was last used.
    pub async fn api_token_account(
        &self,
        token_digest: &str,
        now_ms: i64,
    ) -> anyhow::Result<Option<Account>> {
        let row = sqlx::query(
            "SELECT api_tokens.account, accounts.role \
             FROM api_tokens JOIN accounts ON accounts.name = api_tokens.account \
             WHERE api_tokens.token_digest = $1",
        )
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE token_digest = $2")
            .bind(now_ms)
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        account_of(&row, "account", true).map(Some)
    }

    pub async fn api_tokens(&self) -> anyhow::Result<Vec<ApiTokenListing>> {
        let rows = sqlx::query(
            "SELECT id, account, label, created_ms, last_used_ms FROM api_tokens \
             ORDER BY created_ms, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiTokenListing {
                    id: row.try_get("id")?,
                    account: row.try_get("account")?,
                    label: row.try_get("label")?,
                    created_ms: row.try_get("created_ms")?,
                    last_used_ms: row.try_get("last_used_ms")?,
                })
            })
            .collect()
    }

    /// False if there was no such token.
    pub async fn revoke_api_token(&self, id: &str) -> anyhow::Result<bool> {
        Ok(sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }
}
