//! Hosted mode's accounts, sign-in sessions and API tokens. Sessions and tokens are looked up by
//! the SHA-256 digest of their secret; the secrets themselves are never stored.

use service::account::{Account, Role, TokenHolder, TokenScope};
use service::ports::{AccountStore, ApiTokenListing, Session, Stored, StoredAccount};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Failure, Result, Store, logged};

fn account_of(row: &AnyRow, name_column: &str, signed_in: bool) -> Result<Account> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        name: row.try_get(name_column)?,
        role: role.parse().map_err(Failure::Corrupt)?,
        signed_in,
    })
}

/// How stale a token's last use may get before it is written again.
const LAST_USED_EVERY_MS: i64 = 60_000;

fn scope_of(row: &AnyRow) -> Result<TokenScope> {
    let scope: String = row.try_get("scope")?;
    scope.parse().map_err(Failure::Corrupt)
}

impl Store {
    /// Adds an account; false if the name is taken.
    async fn insert_account(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<bool> {
        if self.load_account(name).await?.is_some() {
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
        .await?;
        Ok(true)
    }

    async fn load_account(&self, name: &str) -> Result<Option<StoredAccount>> {
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
    async fn load_accounts(&self) -> Result<Vec<StoredAccount>> {
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
    async fn update_account(&self, name: &str, role: Role, password_hash: &str) -> Result<bool> {
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
    async fn delete_account(&self, name: &str) -> Result<bool> {
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
    async fn insert_session(
        &self,
        token_digest: &str,
        account: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<()> {
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
    async fn load_session(&self, token_digest: &str, now_ms: i64) -> Result<Option<Session>> {
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

    async fn delete_session(&self, token_digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_digest = $1")
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_api_token(
        &self,
        id: &str,
        token_digest: &str,
        account: &str,
        label: &str,
        scope: TokenScope,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_digest, account, label, scope, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(token_digest)
        .bind(account)
        .bind(label)
        .bind(scope.as_str())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An API token with the account it acts for; notes when it was last used.
    async fn load_api_token(&self, token_digest: &str, now_ms: i64) -> Result<Option<TokenHolder>> {
        let row = sqlx::query(
            "SELECT api_tokens.id, api_tokens.account, api_tokens.scope, api_tokens.last_used_ms, \
             accounts.role \
             FROM api_tokens JOIN accounts ON accounts.name = api_tokens.account \
             WHERE api_tokens.token_digest = $1",
        )
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        // A shipper presents its token with every batch: its last use is written at most once
        // a minute, not on every request.
        let last_used_ms: Option<i64> = row.try_get("last_used_ms")?;
        if last_used_ms.is_none_or(|last| now_ms - last >= LAST_USED_EVERY_MS || now_ms < last) {
            sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE token_digest = $2")
                .bind(now_ms)
                .bind(token_digest)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(TokenHolder {
            id: row.try_get("id")?,
            account: account_of(&row, "account", true)?,
            scope: scope_of(&row)?,
        }))
    }

    async fn load_api_tokens(&self) -> Result<Vec<ApiTokenListing>> {
        let rows = sqlx::query(
            "SELECT id, account, label, scope, created_ms, last_used_ms FROM api_tokens \
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
                    scope: scope_of(row)?,
                    created_ms: row.try_get("created_ms")?,
                    last_used_ms: row.try_get("last_used_ms")?,
                })
            })
            .collect()
    }

    /// False if there was no such token.
    async fn delete_api_token(&self, id: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }
}

impl AccountStore for Store {
    fn add_account<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> Stored<'a, bool> {
        Box::pin(
            async move { logged(self.insert_account(name, role, password_hash, now_ms).await) },
        )
    }

    fn account<'a>(&'a self, name: &'a str) -> Stored<'a, Option<StoredAccount>> {
        Box::pin(async move { logged(self.load_account(name).await) })
    }

    fn accounts(&self) -> Stored<'_, Vec<StoredAccount>> {
        Box::pin(async move { logged(self.load_accounts().await) })
    }

    fn reset_account<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
    ) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.update_account(name, role, password_hash).await) })
    }

    fn remove_account<'a>(&'a self, name: &'a str) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.delete_account(name).await) })
    }

    fn start_session<'a>(
        &'a self,
        token_digest: &'a str,
        account: &'a str,
        csrf_token: &'a str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Stored<'a, ()> {
        Box::pin(async move {
            logged(
                self.insert_session(token_digest, account, csrf_token, now_ms, expires_ms)
                    .await,
            )
        })
    }

    fn session<'a>(&'a self, token_digest: &'a str, now_ms: i64) -> Stored<'a, Option<Session>> {
        Box::pin(async move { logged(self.load_session(token_digest, now_ms).await) })
    }

    fn end_session<'a>(&'a self, token_digest: &'a str) -> Stored<'a, ()> {
        Box::pin(async move { logged(self.delete_session(token_digest).await) })
    }

    fn add_api_token<'a>(
        &'a self,
        id: &'a str,
        token_digest: &'a str,
        account: &'a str,
        label: &'a str,
        scope: TokenScope,
        now_ms: i64,
    ) -> Stored<'a, ()> {
        Box::pin(async move {
            logged(
                self.insert_api_token(id, token_digest, account, label, scope, now_ms)
                    .await,
            )
        })
    }

    fn api_token<'a>(
        &'a self,
        token_digest: &'a str,
        now_ms: i64,
    ) -> Stored<'a, Option<TokenHolder>> {
        Box::pin(async move { logged(self.load_api_token(token_digest, now_ms).await) })
    }

    fn api_tokens(&self) -> Stored<'_, Vec<ApiTokenListing>> {
        Box::pin(async move { logged(self.load_api_tokens().await) })
    }

    fn revoke_api_token<'a>(&'a self, id: &'a str) -> Stored<'a, bool> {
        Box::pin(async move { logged(self.delete_api_token(id).await) })
    }
}
