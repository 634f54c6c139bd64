//! Per-token ingest rate limits (`--ingest-rate-per-token`): each token that sends events (an
//! ingest-scoped API token, or a `--hec-token`) may average so many events per second, so one
//! noisy shipper cannot take the monitor from the others.
//!
//! A token bucket holding a second's worth of events. A request is let through while the bucket
//! is not in debt and takes all its events at once, so batches larger than a second's worth still
//! pass; the debt it leaves holds that token's next requests back until it is paid.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who sends events, as far as the limit goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// An API token with the ingest scope, by its id.
    Token(String),
    /// A `--hec-token`, by its position among them.
    HecToken(usize),
}

/// The rate limits of every sender; no limit without `--ingest-rate-per-token`.
#[derive(Debug, Default)]
pub struct IngestRates {
    events_per_sec: Option<NonZeroU32>,
    buckets: Mutex<HashMap<Sender, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Events that may be sent now; negative while in debt.
    events: f64,
    at: Instant,
}

impl IngestRates {
    /// `events_per_sec` 0 is no limit.
    pub fn new(events_per_sec: u32) -> Self {
        Self {
            events_per_sec: NonZeroU32::new(events_per_sec),
            buckets: Mutex::default(),
        }
    }

    pub fn events_per_sec(&self) -> Option<NonZeroU32> {
        self.events_per_sec
    }

    /// Takes `events` from the sender's bucket at `now`, or says how long to wait before the
    /// sender may send again.
    pub fn take(&self, sender: &Sender, events: usize, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.events_per_sec else {
            return Ok(());
        };
        let rate = f64::from(rate.get());
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(sender.clone()).or_insert(Bucket {
            events: rate,
            at: now,
        });
        let earned = now.saturating_duration_since(bucket.at).as_secs_f64() * rate;
        bucket.events = (bucket.events + earned).min(rate);
        bucket.at = now;
        if bucket.events < 0.0 {
            return Err(Duration::from_secs_f64(-bucket.events / rate));
        }
        bucket.events -= events as f64;
        Ok(())
    }
}

/// Whole seconds for `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_averages_its_rate_and_big_batches_still_pass() {
        let rates = IngestRates::new(100);
        let shipper = Sender::Token("tok-a".to_owned());
        let start = Instant::now();
        assert_eq!(rates.take(&shipper, 60, start), Ok(()));
        assert_eq!(rates.take(&shipper, 1_000, start), Ok(()), "a batch");
        let wait = rates.take(&shipper, 1, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs_f64(9.6), "the debt of 960 events");
        assert_eq!(retry_after_secs(wait), 10);
        assert!(
            rates
                .take(&shipper, 1, start + Duration::from_secs(9))
                .is_err()
        );
        assert_eq!(
            rates.take(&shipper, 1, start + Duration::from_secs(10)),
            Ok(())
        );
        let other = Sender::HecToken(0);
        assert_eq!(rates.take(&other, 100, start), Ok(()), "each its own");
    }

    #[test]
    fn no_limit_without_a_rate() {
        let rates = IngestRates::new(0);
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(rates.take(&Sender::HecToken(1), 1_000_000, now), Ok(()));
        }
    }
}
