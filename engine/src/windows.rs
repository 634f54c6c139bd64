//! Sliding-window counts of attempts: per account, per source address, per source network, and
//! (for attempts from sources new to their account) per client fingerprint, per network owner
//! and across the whole tenant. Each window holds only the attempts inside it, so memory follows
//! the attack rate, not the file.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use std::hash::Hash;

/// One attempt as the windows remember it.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Attempt {
    timestamp_ms: i64,
    account: u32,
    /// The source address (its id), for counting distinct sources.
    source: u32,
    failed: bool,
    /// The account had never logged in successfully before this attempt.
    unknown_account: bool,
    /// A failure the account's own success from the same address explained afterwards (a typo).
    forgiven: bool,
}

/// What a window says about the attempts before the current one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub attempts: u32,
    pub failures: u32,
    pub accounts: u32,
    pub failed_accounts: u32,
    pub unknown_accounts: u32,
    /// Distinct source addresses.
    pub sources: u32,
}

/// Attempts from one source (an address or a network) within a time window.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct SourceWindow {
    attempts: VecDeque<Attempt>,
    per_account: HashMap<u32, AccountTally>,
    /// Attempts per source address in the window (only where distinct sources are counted).
    per_source: HashMap<u32, u32>,
    failures: u32,
    /// Accounts in the window with at least one failure / marked unknown, kept up to date on
    /// every push and expiry so counting is O(1) however many accounts a source touches.
    failed_accounts: u32,
    unknown_accounts: u32,
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct AccountTally {
    attempts: u32,
    failures: u32,
    unknown: bool,
}

impl SourceWindow {
    /// Whether some of its attempts are older than the window ending at `now_ms`.
    fn has_expired(&self, now_ms: i64, window_ms: i64) -> bool {
        self.attempts
            .front()
            .is_some_and(|oldest| now_ms - oldest.timestamp_ms >= window_ms)
    }

    fn expire(&mut self, now_ms: i64, window_ms: i64) {
        while let Some(oldest) = self.attempts.front().copied() {
            if now_ms - oldest.timestamp_ms < window_ms {
                break;
            }
            self.attempts.pop_front();
            let counted_failure = oldest.failed && !oldest.forgiven;
            self.failures -= u32::from(counted_failure);
            if let Some(count) = self.per_source.get_mut(&oldest.source) {
                *count -= 1;
                if *count == 0 {
                    self.per_source.remove(&oldest.source);
                }
            }
            if let Some(tally) = self.per_account.get_mut(&oldest.account) {
                tally.attempts -= 1;
                if counted_failure {
                    tally.failures -= 1;
                    self.failed_accounts -= u32::from(tally.failures == 0);
                }
                if tally.attempts == 0 {
                    self.unknown_accounts -= u32::from(tally.unknown);
                    self.per_account.remove(&oldest.account);
                }
            }
        }
    }

    fn counts(&self) -> WindowCounts {
        WindowCounts {
            attempts: self.attempts.len() as u32,
            failures: self.failures,
            accounts: self.per_account.len() as u32,
            failed_accounts: self.failed_accounts,
            unknown_accounts: self.unknown_accounts,
            sources: self.per_source.len() as u32,
        }
    }

    /// Stops counting the failures of `account` from `address` (and the account as unknown):
    /// a success from the same address shows they were the owner's typos.
    fn forgive(&mut self, account: u32, address: u32) {
        let Some(tally) = self.per_account.get_mut(&account) else {
            return;
        };
        if tally.unknown {
            tally.unknown = false;
            self.unknown_accounts -= 1;
        }
        if tally.failures == 0 {
            return;
        }
        for attempt in self.attempts.iter_mut().filter(|attempt| {
            attempt.account == account
                && attempt.source == address
                && attempt.failed
                && !attempt.forgiven
        }) {
            attempt.forgiven = true;
            self.failures -= 1;
            tally.failures -= 1;
            if tally.failures == 0 {
                self.failed_accounts -= 1;
            }
        }
    }

    fn count_source(&mut self, source: u32) {
        *self.per_source.entry(source).or_default() += 1;
    }

    fn push(&mut self, attempt: Attempt) {
        self.failures += u32::from(attempt.failed);
        let tally = self.per_account.entry(attempt.account).or_default();
        tally.attempts += 1;
        if attempt.failed {
            self.failed_accounts += u32::from(tally.failures == 0);
            tally.failures += 1;
        }
        if attempt.unknown_account && !tally.unknown {
            tally.unknown = true;
            self.unknown_accounts += 1;
        }
        self.attempts.push_back(attempt);
    }
}

/// Windows keyed by a source (IP address, network prefix, …).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SourceWindows<K: Eq + Hash> {
    window_ms: i64,
    /// Shared until changed, as an analyzer's users: a copy of the windows (an analysis keeps
    /// some along its way) costs a pointer per source until an attempt of theirs arrives or
    /// leaves the window.
    windows: HashMap<K, Arc<SourceWindow>>,
    pushes_since_sweep: usize,
    /// Whether distinct source addresses are counted ([`WindowCounts::sources`]); windows
    /// keyed by one address do not need it.
    count_sources: bool,
}

impl<K: Eq + Hash + Copy> SourceWindows<K> {
    pub fn new(window_secs: i64) -> Self {
        Self {
            window_ms: window_secs.saturating_mul(1000),
            windows: HashMap::default(),
            pushes_since_sweep: 0,
            count_sources: false,
        }
    }

    /// Windows that also count distinct source addresses.
    pub fn counting_sources(window_secs: i64) -> Self {
        Self {
            count_sources: true,
            ..Self::new(window_secs)
        }
    }

    /// These windows' settings holding `kept`'s attempts (read back from kept state).
    pub fn holding(self, kept: Self) -> Self {
        Self {
            windows: kept.windows,
            pushes_since_sweep: kept.pushes_since_sweep,
            ..self
        }
    }

    /// A success of `account` from `address`: its earlier failures from there under `source`
    /// were the owner's own (typos), not an attack.
    pub fn forgive(&mut self, source: K, account: u32, address: u32) {
        if let Some(window) = self.windows.get_mut(&source) {
            Arc::make_mut(window).forgive(account, address);
        }
    }

    /// Counts of the attempts from `source` in the window ending now (before this attempt).
    pub fn counts(&mut self, source: K, now_ms: i64) -> WindowCounts {
        match self.windows.get_mut(&source) {
            Some(window) => {
                if window.has_expired(now_ms, self.window_ms) {
                    Arc::make_mut(window).expire(now_ms, self.window_ms);
                }
                window.counts()
            }
            None => WindowCounts::default(),
        }
    }

    /// Records an attempt on `account` from the address `address` under the key `source`.
    pub fn record(
        &mut self,
        source: K,
        now_ms: i64,
        account: u32,
        address: u32,
        failed: bool,
        unknown_account: bool,
    ) {
        let window = Arc::make_mut(self.windows.entry(source).or_default());
        window.push(Attempt {
            timestamp_ms: now_ms,
            account,
            source: address,
            failed,
            unknown_account,
            forgiven: false,
        });
        if self.count_sources {
            window.count_source(address);
        }
        self.pushes_since_sweep += 1;
        // Sources that went quiet would otherwise keep their last attempts forever.
        if self.pushes_since_sweep >= 65_536 {
            self.pushes_since_sweep = 0;
            let window_ms = self.window_ms;
            self.windows.retain(|_, window| {
                if window.has_expired(now_ms, window_ms) {
                    Arc::make_mut(window).expire(now_ms, window_ms);
                }
                !window.attempts.is_empty()
            });
        }
    }
}

/// An account's recent failures.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccountFailures {
    recent: VecDeque<i64>,
    /// Attempts whose outcome the log does not say (no success column).
    unresolved: VecDeque<i64>,
    /// Failures since the last success, however old.
    pub consecutive: u32,
    /// Of those, how many came from each source address (the first [`RUN_SOURCES`] sources):
    /// a success ends a brute-force run only if it comes from where the run came from.
    run: Vec<(u32, u32)>,
}

/// Source addresses of a failure run remembered per account.
const RUN_SOURCES: usize = 16;

impl AccountFailures {
    /// Failures, and attempts of unknown outcome, within the window before `now_ms`.
    pub fn in_window(&mut self, now_ms: i64, window_ms: i64) -> (u32, u32) {
        for times in [&mut self.recent, &mut self.unresolved] {
            while times
                .front()
                .is_some_and(|&oldest| now_ms - oldest >= window_ms)
            {
                times.pop_front();
            }
        }
        (self.recent.len() as u32, self.unresolved.len() as u32)
    }

    /// Consecutive failures before now that came from `source`.
    pub fn consecutive_from(&self, source: u32) -> u32 {
        self.run
            .iter()
            .find(|(address, _)| *address == source)
            .map_or(0, |(_, count)| *count)
    }

    pub fn record(&mut self, now_ms: i64, source: u32, success: Option<bool>) {
        match success {
            Some(false) => {
                self.recent.push_back(now_ms);
                self.consecutive += 1;
                if let Some((_, count)) =
                    self.run.iter_mut().find(|(address, _)| *address == source)
                {
                    *count += 1;
                } else if self.run.len() < RUN_SOURCES {
                    self.run.push((source, 1));
                }
            }
            Some(true) => {
                self.consecutive = 0;
                self.run.clear();
            }
            None => self.unresolved.push_back(now_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_attempts_inside_the_window() {
        let mut windows = SourceWindows::counting_sources(60);
        for (second, account, failed) in
            [(0, 1, true), (10, 2, true), (20, 2, false), (65, 3, true)]
        {
            windows.record(
                "203.0.113.9",
                second * 1000,
                account,
                account,
                failed,
                account == 3,
            );
        }
        let counts = windows.counts("203.0.113.9", 70_000);
        // The attempt at 0 s and at 10 s have left the 60 s window.
        assert_eq!(
            counts,
            WindowCounts {
                attempts: 2,
                failures: 1,
                accounts: 2,
                failed_accounts: 1,
                unknown_accounts: 1,
                sources: 2,
            }
        );
        assert_eq!(
            windows.counts("198.51.100.1", 70_000),
            WindowCounts::default()
        );
    }

    #[test]
    fn a_success_from_the_same_address_forgives_the_typos_before_it() {
        let mut windows = SourceWindows::counting_sources(3600);
        windows.record("chrome", 0, 1, 10, true, true);
        windows.record("chrome", 1_000, 2, 20, true, true);
        windows.forgive("chrome", 1, 10);
        // Another address's failure on the same account stays counted, though the success
        // shows the account exists.
        windows.forgive("chrome", 2, 99);
        let counts = windows.counts("chrome", 2_000);
        assert_eq!(
            (
                counts.failures,
                counts.failed_accounts,
                counts.unknown_accounts
            ),
            (1, 1, 0)
        );
        // Expiry after forgiving does not count the forgiven failure twice.
        let later = windows.counts("chrome", 3_600_500);
        assert_eq!((later.failures, later.failed_accounts), (1, 1));
        assert_eq!(windows.counts("chrome", 3_602_000), WindowCounts::default());
    }

    #[test]
    fn account_failures_reset_on_success() {
        let mut failures = AccountFailures::default();
        for second in 0..5 {
            failures.record(second * 1000, 7, Some(false));
        }
        failures.record(4_500, 7, None);
        failures.record(4_800, 9, Some(false));
        assert_eq!(failures.consecutive, 6);
        assert_eq!(
            (failures.consecutive_from(7), failures.consecutive_from(9)),
            (5, 1)
        );
        assert_eq!(failures.in_window(5_000, 3_000), (3, 1));
        failures.record(6_000, 9, Some(true));
        assert_eq!(failures.consecutive, 0);
        assert_eq!(failures.consecutive_from(7), 0);
    }
}
