//! Hosted mode (`skytrace serve --auth`): accounts, their roles, sign-in sessions and API tokens.
//!
//! - Passwords are kept as argon2id hashes (the `argon2` crate's defaults, which are OWASP's
//!   recommended minimum: 19 MiB, 2 passes, 1 lane) with a random salt each.
//! - Signing in starts a session: a random 256-bit secret, valid for [`SESSION_HOURS`], with its
//!   own CSRF token. API tokens are the same kind of secret, prefixed [`API_TOKEN_PREFIX`]. Only
//!   SHA-256 digests of secrets are stored, so a copy of the database lets nobody in.
//! - An unknown account name takes as long to refuse as a wrong password.
//!
//! Throttling and cookies are the web edge's; this is what any edge (the web app, the CLI) does.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::account::{Account, Role, TokenHolder, TokenScope, check_account_name};
use crate::clock::now_ms;
use crate::error::{Categorised, ErrorKind};
use crate::ports::{AccountStore, ApiTokenListing, Session, StoreError, StoredAccount};

/// How long a session lasts after signing in: a working day, then sign in again.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password accepted (NIST SP 800-63B asks at least 8; we ask more of a tool that holds
/// security findings).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// API tokens start with this, so they are recognisable in logs and secret scanners.
pub const API_TOKEN_PREFIX: &str = "skt_";

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A bad name or a weak password.
    #[error("{0}")]
    Invalid(String),
    #[error("there is already an account {0:?} (`skytrace user reset` sets a new password)")]
    Taken(String),
    #[error("no account {0:?}")]
    NoSuchAccount(String),
    #[error("no API token {0:?} (`skytrace token list` shows them)")]
    NoSuchToken(String),
    /// Unknown name or wrong password (which one is not said).
    #[error("wrong account name or password")]
    BadCredentials,
    #[error("the system has no randomness to make a secret")]
    NoRandomness,
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("the password could not be checked")]
    Task,
}

impl Categorised for AccountError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) | Self::Taken(_) => ErrorKind::Invalid,
            Self::NoSuchAccount(_) | Self::NoSuchToken(_) => ErrorKind::NotFound,
            Self::BadCredentials => ErrorKind::Forbidden,
            Self::NoRandomness | Self::Storage(_) | Self::Task => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "bad_request",
            Self::Taken(_) => "taken",
            Self::NoSuchAccount(_) | Self::NoSuchToken(_) => "not_found",
            Self::BadCredentials => "bad_credentials",
            Self::NoRandomness | Self::Task => "internal",
            Self::Storage(_) => "storage",
        }
    }
}

/// A session just started: the secret goes to the client once.
#[derive(Debug)]
pub struct StartedSession {
    pub account: Account,
    pub secret: String,
    pub csrf_token: String,
    pub expires_ms: i64,
}

/// A token just made: the secret goes to its owner once.
#[derive(Debug)]
pub struct NewToken {
    pub id: String,
    pub secret: String,
}

/// The accounts use-cases over a store.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
}

impl Accounts {
    pub fn new(store: Arc<dyn AccountStore>) -> Self {
        Self { store }
    }

    /// Whether a new account could be made with this name (checked before asking a password).
    pub async fn check_new_name(&self, name: &str) -> Result<(), AccountError> {
        check_account_name(name).map_err(AccountError::Invalid)?;
        if self.store.account(name).await?.is_some() {
            return Err(AccountError::Taken(name.to_owned()));
        }
        Ok(())
    }

    pub async fn add(&self, name: &str, role: Role, password: &str) -> Result<(), AccountError> {
        self.check_new_name(name).await?;
        let hash = hash_in_background(password).await?;
        if !self.store.add_account(name, role, &hash, now_ms()).await? {
            return Err(AccountError::Taken(name.to_owned()));
        }
        Ok(())
    }

    /// A new password (and role, when given; else the current one); ends the account's sessions.
    /// Returns the role it now has.
    pub async fn reset(
        &self,
        name: &str,
        role: Option<Role>,
        password: &str,
    ) -> Result<Role, AccountError> {
        let existing = self.find(name).await?;
        let hash = hash_in_background(password).await?;
        let role = role.unwrap_or(existing.account.role);
        if !self.store.reset_account(name, role, &hash).await? {
            return Err(AccountError::NoSuchAccount(name.to_owned()));
        }
        Ok(role)
    }

    /// Removes the account with its sessions and tokens.
    pub async fn remove(&self, name: &str) -> Result<(), AccountError> {
        if self.store.remove_account(name).await? {
            Ok(())
        } else {
            Err(AccountError::NoSuchAccount(name.to_owned()))
        }
    }

    pub async fn list(&self) -> Result<Vec<StoredAccount>, AccountError> {
        Ok(self.store.accounts().await?)
    }

    async fn find(&self, name: &str) -> Result<StoredAccount, AccountError> {
        self.store
            .account(name)
            .await?
            .ok_or_else(|| AccountError::NoSuchAccount(name.to_owned()))
    }

    /// Checks the password (as long for an unknown name as for a wrong password) and starts a
    /// session.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
    ) -> Result<StartedSession, AccountError> {
        let stored = self.store.account(name).await?;
        let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
        let password = password.to_owned();
        // Checking a password takes tens of milliseconds of CPU on purpose: keep it off the
        // threads that serve other requests.
        let matches = tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => {
                verify_against_nothing(&password);
                false
            }
        })
        .await
        .map_err(|_| AccountError::Task)?;
        let Some(stored) = stored.filter(|_| matches) else {
            return Err(AccountError::BadCredentials);
        };
        let secret = new_secret()?;
        let csrf_token = new_secret()?;
        let now_ms = now_ms();
        let expires_ms = now_ms + SESSION_HOURS * 3_600_000;
        self.store
            .start_session(&digest(&secret), name, &csrf_token, now_ms, expires_ms)
            .await?;
        Ok(StartedSession {
            account: stored.account,
            secret,
            csrf_token,
            expires_ms,
        })
    }

    /// The live session a secret opens, if any.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>, AccountError> {
        Ok(self.store.session(&digest(secret), now_ms()).await?)
    }

    pub async fn end_session(&self, secret: &str) -> Result<(), AccountError> {
        Ok(self.store.end_session(&digest(secret)).await?)
    }

    /// A new API token acting as `account` within `scope`.
    pub async fn create_token(
        &self,
        account: &str,
        label: &str,
        scope: TokenScope,
    ) -> Result<NewToken, AccountError> {
        self.find(account).await?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(AccountError::Invalid(
                "a token's label says what it is for in 1–100 characters".to_owned(),
            ));
        }
        let secret = format!("{API_TOKEN_PREFIX}{}", new_secret()?);
        let id = format!("tok-{}", &new_secret()?[..12]);
        self.store
            .add_api_token(&id, &digest(&secret), account, label, scope, now_ms())
            .await?;
        Ok(NewToken { id, secret })
    }

    /// The live token a presented secret is; `None` for anything that is not one.
    pub async fn token(&self, token: &str) -> Result<Option<TokenHolder>, AccountError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self.store.api_token(&digest(token), now_ms()).await?)
    }

    pub async fn tokens(&self) -> Result<Vec<ApiTokenListing>, AccountError> {
        Ok(self.store.api_tokens().await?)
    }

    pub async fn revoke_token(&self, id: &str) -> Result<(), AccountError> {
        if self.store.revoke_api_token(id).await? {
            Ok(())
        } else {
            Err(AccountError::NoSuchToken(id.to_owned()))
        }
    }
}

/// Hashes on a blocking thread (argon2 is slow on purpose), after checking the strength.
async fn hash_in_background(password: &str) -> Result<String, AccountError> {
    check_password_strength(password).map_err(AccountError::Invalid)?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AccountError::Task)?
}

/// An argon2id hash of `password` in PHC string form, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AccountError::NoRandomness)?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| AccountError::Task)
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends as long as checking a real password, so an unknown account name answers no faster
/// than a wrong password and does not reveal which names exist.
fn verify_against_nothing(password: &str) {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(decoy) = DECOY.get_or_init(|| hash_password("no account has this password").ok()) {
        verify_password(password, decoy);
    }
}

pub fn check_password_strength(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password has {chars} characters; use at least {MIN_PASSWORD_CHARS}"
        ));
    }
    if password.trim() != password {
        return Err("the password starts or ends with a space".to_owned());
    }
    Ok(())
}

/// 256 random bits, hex-encoded.
fn new_secret() -> Result<String, AccountError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| AccountError::NoRandomness)?;
    Ok(hex::encode(bytes))
}

/// What is stored in place of a session or API token secret.
fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(left: &str, right: &str) -> bool {
    left.len() == right.len()
        && left
            .bytes()
            .zip(right.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_a_fresh_salt_and_verify() {
        let first = hash_password("correct horse battery").unwrap();
        let second = hash_password("correct horse battery").unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify_password("correct horse battery", &first));
        assert!(!verify_password("correct horse battery!", &first));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    /// Regression: hashes kept by earlier versions (argon2 0.5) still sign people in.
    #[test]
    fn hashes_made_by_earlier_versions_verify() {
        let earlier = "$argon2id$v=19$m=19456,t=2,p=1$Zml4ZWQtc2FsdC0xNmJ5IQ$i7NGCKP4LbwWNe5G15EG/4oac79ycmVGfkNL6kitrEY";
        assert!(verify_password("correct horse battery", earlier));
        assert!(!verify_password("correct horse battery!", earlier));
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(
            check_password_strength("short")
                .unwrap_err()
                .contains("at least 12")
        );
        assert!(check_password_strength(" twelve chars ok").is_err());
        assert!(check_password_strength("twelve chars ok").is_ok());
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, new_secret().unwrap());
        assert_eq!(digest(&secret).len(), 64);
        assert_ne!(digest(&secret), secret);
        assert!(same_secret(&secret, &secret.clone()));
        assert!(!same_secret(&secret, &new_secret().unwrap()));
        assert!(!same_secret("abc", "abcd"));
    }
}
