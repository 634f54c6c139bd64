//! The one error a settings check gives: which setting, and why. Every detector's params and
//! the analysis config validate themselves with it before anything is fitted (linfa's `check()`).

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    /// The setting as written in the config file (`rules.max_speed_kmh`).
    pub name: &'static str,
    pub reason: String,
}

/// `Ok` when `ok`, else the error naming the setting.
pub(crate) fn require(ok: bool, name: &'static str, reason: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            name,
            reason: reason.to_owned(),
        })
    }
}
