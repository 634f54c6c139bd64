//! The server's side of detection: the settings and geolocation it analyses with, and where runs
//! are kept (the server's database) so their pages and deep links work after a restart.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use engine::enrich::GeoLookup;
use engine::{AnalysisConfig, Rejection, ScoredEvent};

use crate::detection::{DetectionSummary, EventPage, EventQuery, RunListing};
use crate::server_fns::{NotificationOverview, TestOutcome};

/// Everything kept of one run.
pub struct SavedRun {
    pub summary: DetectionSummary,
    /// The settings the run used (the server's, with the page's choices applied).
    pub settings: AnalysisConfig,
    /// The rejected records the engine kept (all of them up to its limit).
    pub rejections: Vec<Rejection>,
    pub events: Vec<ScoredEvent>,
    pub created_ms: i64,
}

/// A kept run read back for reports.
pub struct KeptRun {
    pub summary: DetectionSummary,
    pub settings: AnalysisConfig,
    /// In input order.
    pub events: Vec<ScoredEvent>,
}

impl KeptRun {
    /// The report's view of this run.
    pub fn report_input(&self) -> reports::ReportInput<'_> {
        reports::ReportInput {
            source_name: &self.summary.file_name,
            analysis_id: Some(&self.summary.id),
            profile: &self.summary.profile,
            settings: &self.settings,
            geo_data: self.summary.geo_data.as_deref(),
            events: &self.events,
            threshold: self.summary.choices.threshold,
        }
    }
}

type Stored<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Where runs are kept. Errors are messages for the page; implementations log the details.
pub trait RunStore: Send + Sync {
    fn save(&self, run: SavedRun) -> Stored<'_, ()>;
    /// The latest runs, newest first.
    fn recent(&self, limit: usize) -> Stored<'_, Vec<RunListing>>;
    fn summary<'a>(&'a self, id: &'a str) -> Stored<'a, Option<DetectionSummary>>;
    fn page<'a>(&'a self, id: &'a str, query: &'a EventQuery) -> Stored<'a, Option<EventPage>>;
    /// Everything kept of a run (for reports), its logins in input order.
    fn run<'a>(&'a self, id: &'a str) -> Stored<'a, Option<KeptRun>>;
}

pub struct DetectionService {
    /// The server's analysis settings (`--config`), before the page's choices.
    pub config: AnalysisConfig,
    pub geo: Arc<dyn GeoLookup + Send>,
    pub runs: Arc<dyn RunStore>,
    /// Alerts after server runs, when the config file has a `[notifications]` section.
    pub notifier: Option<Arc<dyn Notifier>>,
}

/// Alerts a kept run's incidents on the configured channels.
pub trait Notifier: Send + Sync {
    /// The run's alerts, ready to send (blocking: run it off the async workers); `None` when
    /// nothing reaches the rules.
    fn prepare(
        &self,
        run_id: &str,
        events: &[ScoredEvent],
        settings: &AnalysisConfig,
    ) -> Option<PendingAlerts>;
    fn overview(&self) -> NotificationOverview;
    /// A test message on every channel.
    fn send_test(&self) -> Pin<Box<dyn Future<Output = TestOutcome> + Send + '_>>;
}

/// Alerts waiting to be sent: a blocking job (deliveries retry with backoff).
pub struct PendingAlerts {
    pub count: usize,
    pub send: Box<dyn FnOnce() + Send>,
}

/// A run's name from what it analysed: the same file with the same choices gets the same id.
pub fn run_id(content: &[u8], choices: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = content
        .iter()
        .chain(choices.as_bytes())
        .fold(OFFSET, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_follow_the_content_and_choices() {
        assert_eq!(run_id(b"a", "x"), run_id(b"a", "x"));
        assert_ne!(run_id(b"a", "x"), run_id(b"a", "y"));
        assert_ne!(run_id(b"a", "x"), run_id(b"b", "x"));
        assert_eq!(run_id(b"", "").len(), 16);
    }
}
