//! Throttling of failed sign-ins, so guessing passwords is slow: after too many failures for an
//! account, or from one client address, within a window, further attempts are refused without
//! checking the password until the oldest failure leaves the window. It is a throttle, not a
//! lockout: the owner can sign in again once the window has passed, and a success clears the
//! account's failures. Kept in memory, so a restart forgets it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Recent failures per key (`account:NAME`, `address:IP`).
pub struct LoginLimiter {
    settings: LimitSettings,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept before stale ones are swept (bounds memory under a spray of made-up names).
const SWEEP_ABOVE_KEYS: usize = 10_000;

impl LoginLimiter {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            settings,
            failures: Mutex::new(HashMap::new()),
        }
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
    pub fn retry_after(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let window = self.settings.window;
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        self.counters(account, address)
            .into_iter()
            .filter_map(|(key, limit)| {
                let times = failures.get_mut(&key)?;
                while times
                    .front()
                    .is_some_and(|&at| now.duration_since(at) >= window)
                {
                    times.pop_front();
                }
                // Allowed again when enough failures have left the window to be under the limit.
                let blocking = times.len().checked_sub(limit)?;
                Some(window.saturating_sub(now.duration_since(times[blocking])))
            })
            .max()
    }

    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: Instant) {
        let window = self.settings.window;
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if failures.len() > SWEEP_ABOVE_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|&at| now.duration_since(at) < window)
            });
        }
        for (key, _) in self.counters(account, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in clears its account's failures (not its address's).
    pub fn succeeded(&self, account: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        failures.remove(&account_key(account));
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.to_lowercase())
}
