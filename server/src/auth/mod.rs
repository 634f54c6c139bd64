//! Hosted mode (`skytrace serve --auth`): who may use the server, and how they prove it.
//!
//! - Passwords are kept as argon2id hashes (the `argon2` crate's defaults, which are OWASP's
//!   recommended minimum: 19 MiB, 2 passes, 1 lane) with a random salt each.
//! - Signing in starts a session: a random 256-bit secret in an HttpOnly, SameSite=Lax cookie
//!   (Secure unless `--insecure-cookie`), valid for [`SESSION_HOURS`]. API tokens are the same
//!   kind of secret, sent as `Authorization: Bearer skt_…`. Only SHA-256 digests are stored.
//! - State-changing requests made with the cookie must come from this site: the browser's
//!   `Sec-Fetch-Site`/`Origin` headers must say so, or the request must carry the session's
//!   `X-CSRF-Token`. Bearer-token requests carry no ambient authority and need neither.
//! - Failed sign-ins are throttled per account and per client address ([`limiter`]).
//!
//! Without `--auth` the server is for the one person at this machine: every request acts as the
//! local admin, and the server refuses to listen on anything but a loopback address.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::store::Store;

pub mod limiter;
pub mod middleware;

pub use limiter::{LimitSettings, LoginLimiter};

/// The cookie holding the session secret.
pub const SESSION_COOKIE: &str = "skytrace_session";
/// How long a session lasts after signing in: a working day, then sign in again.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password `skytrace user add` accepts (NIST SP 800-63B asks at least 8; we ask more
/// of a tool that holds security findings).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// API tokens start with this, so they are recognisable in logs and secret scanners.
pub const API_TOKEN_PREFIX: &str = "skt_";

/// How the server decides who is asking.
pub enum AuthMode {
    /// No sign-in: every request is the local admin.
    Local,
    SignIn(Arc<SignIn>),
}

/// What hosted mode needs at hand.
pub struct SignIn {
    pub store: Arc<Store>,
    pub limiter: LoginLimiter,
    /// Mark the session cookie Secure (sent over HTTPS only). Off only for plain-HTTP testing.
    pub secure_cookie: bool,
}

/// An argon2id hash of `password` in PHC string form, with a fresh random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| anyhow::anyhow!("{error}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("cannot hash the password: {error}"))
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
pub fn verify_against_nothing(password: &str) {
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
pub fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    Ok(hex::encode(bytes))
}

/// What is stored in place of a session or API token secret.
pub fn digest(secret: &str) -> String {
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
