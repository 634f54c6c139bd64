//! Throttling of failed sign-ins, so guessing passwords is slow: after too many failures for an
//! account, or from one client address, within a window, further attempts are refused without
//! checking the password until the oldest failure leaves the window. It is a throttle, not a
//! lockout: the owner can sign in again once the window has passed, and a success clears the
//! account's failures. The failures are kept in the database, so every server sharing it counts
//! them together and a restart does not forget them.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use service::ports::{SignInFailureStore, StoreError};

/// Limits on failed sign-ins.
#[derive(Clone, Copy, Debug)]
pub struct LimitSettings {
    /// Failures allowed per account name within the window (OWASP's Authentication Cheat Sheet
    /// suggests throttling after a handful; 5 is a common choice).
    pub per_account: usize,
    /// Failures allowed per client address within the window: more than per account, since
    /// several people may share an office's address.
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Recent failures per counter (`account:NAME`, `address:IP`), as the database keeps them.
pub struct LoginLimiter {
    settings: LimitSettings,
    failures: Arc<dyn SignInFailureStore>,
}

impl LoginLimiter {
    pub fn new(settings: LimitSettings, failures: Arc<dyn SignInFailureStore>) -> Self {
        Self { settings, failures }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.settings.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// The counters an attempt is checked against, with their limits.
    fn counters(&self, account: &str, address: Option<IpAddr>) -> Vec<(String, usize)> {
        let mut counters = vec![(account_key(account), self.settings.per_account)];
        if let Some(address) = address {
            counters.push((format!("address:{address}"), self.settings.per_address));
        }
        counters
    }

    /// How long until another attempt is allowed, if it is not allowed now.
    pub async fn retry_after(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now_ms: i64,
    ) -> Result<Option<Duration>, StoreError> {
        let window_ms = self.window_ms();
        let counters = self.counters(account, address);
        let keys: Vec<String> = counters.iter().map(|(key, _)| key.clone()).collect();
        // A failure leaves the window once a whole window has passed since it.
        let failures = self
            .failures
            .sign_in_failures(&keys, now_ms.saturating_sub(window_ms) + 1)
            .await?;
        Ok(failures
            .iter()
            .filter_map(|(key, instants)| {
                let (_, limit) = counters.iter().find(|(counter, _)| counter == key)?;
                // Allowed again when enough failures have left the window to be under the limit.
                let blocking = instants.len().checked_sub(*limit)?;
                let wait_ms = instants[blocking]
                    .saturating_add(window_ms)
                    .saturating_sub(now_ms);
                Some(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)))
            })
            .max())
    }

    pub async fn failed(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = self
            .counters(account, address)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        self.failures
            .record_sign_in_failure(&keys, now_ms, now_ms.saturating_sub(self.window_ms()))
            .await
    }

    /// A successful sign-in clears its account's failures (not its address's).
    pub async fn succeeded(&self, account: &str) -> Result<(), StoreError> {
        self.failures
            .clear_sign_in_failures(&account_key(account))
            .await
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.to_lowercase())
}
