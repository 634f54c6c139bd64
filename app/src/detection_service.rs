//! The server's side of detection: the settings and geolocation it analyses with, and where runs
//! are kept (the server's database) so their pages and deep links work after a restart.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use engine::enrich::{GeoLookup, NoGeolocation};
use engine::{AnalysisConfig, IngestOptions, Rejection, ScoredEvent};

use crate::detection::{
    DetectionChoices, DetectionSummary, EventPage, EventQuery, RunListing, summarise,
};
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
    /// A user's logins in every kept run (user names compared case-insensitively), newest run
    /// first.
    fn user_logins<'a>(&'a self, user: &'a str) -> Stored<'a, Vec<UserLogins>>;
}

/// One kept run's logins of one user.
pub struct UserLogins {
    pub analysis_id: String,
    pub file_name: String,
    pub created_ms: i64,
    pub settings: AnalysisConfig,
    /// In input order.
    pub events: Vec<ScoredEvent>,
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

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("bad choices: {0}")]
    BadChoices(String),
    /// The file cannot be read as a sign-in log.
    #[error("{0}")]
    Unreadable(String),
    #[error("{0}")]
    Internal(String),
}

impl DetectionService {
    /// Scores a log with the server's settings and `choices` (JSON of
    /// [`DetectionChoices`], empty for the defaults), keeps the run, sends its alerts in the
    /// background, and returns its summary. The same content with the same choices is the same
    /// run (and replaces it).
    pub async fn run_and_keep(
        self: &Arc<Self>,
        content: Vec<u8>,
        options: IngestOptions,
        choices_json: &str,
        file_name: String,
    ) -> Result<DetectionSummary, RunError> {
        let choices: DetectionChoices = if choices_json.trim().is_empty() {
            DetectionChoices::default()
        } else {
            serde_json::from_str(choices_json)
                .map_err(|error| RunError::BadChoices(error.to_string()))?
        };
        let config = choices.apply(&self.config).map_err(RunError::BadChoices)?;
        let id = run_id(&content, choices_json);
        let created_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        let service = Arc::clone(self);
        let (run, alerts) = tokio::task::spawn_blocking(move || {
            service.analyse(
                &content, &options, choices, config, id, file_name, created_ms,
            )
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "analysis task failed");
            RunError::Internal("internal error while analysing".to_owned())
        })?
        .map_err(RunError::Unreadable)?;
        let summary = run.summary.clone();
        self.runs.save(run).await.map_err(RunError::Internal)?;
        // Alerts go out once the run is kept (their links point at it), without holding the reply.
        if let Some(alerts) = alerts {
            tracing::info!(run = %summary.id, alerts = alerts.count, "sending alerts");
            tokio::task::spawn_blocking(alerts.send);
        }
        Ok(summary)
    }

    /// The CPU-bound part of a run: read, score, summarise, prepare alerts.
    #[allow(clippy::too_many_arguments)]
    fn analyse(
        &self,
        content: &[u8],
        options: &IngestOptions,
        choices: DetectionChoices,
        config: AnalysisConfig,
        id: String,
        file_name: String,
        created_ms: i64,
    ) -> Result<(SavedRun, Option<PendingAlerts>), String> {
        let started = std::time::Instant::now();
        let ingested = engine::read_slice(content, options).map_err(|e| e.to_string())?;
        let geo: &dyn GeoLookup = if choices.geolocation {
            self.geo.as_ref()
        } else {
            &NoGeolocation
        };
        let analysis = engine::analyze(&ingested.events, &config, geo, |_| {})
            .map_err(|error| error.to_string())?;
        let profile = engine::DataProfile::of(&ingested);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let summary = summarise(id, file_name, profile, choices, &analysis, elapsed_ms);
        let alerts = self
            .notifier
            .as_ref()
            .and_then(|notifier| notifier.prepare(&summary.id, &analysis.events, &config));
        let run = SavedRun {
            summary,
            settings: config,
            rejections: ingested.rejections,
            events: analysis.events,
            created_ms,
        };
        Ok((run, alerts))
    }
}

/// A run's name from what it analysed: the same file with the same choices gets the same id.
pub fn run_id(content: &[u8], choices: &str) -> String {
    let hash = engine::digest::fnv1a64(content.iter().chain(choices.as_bytes()));
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
