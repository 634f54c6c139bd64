//! The server's side of detection: the settings and geolocation it analyses with, and where runs
//! are kept (the server's database) so their pages and deep links work after a restart.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use engine::enrich::{GeoLookup, NoGeolocation};
use engine::{
    AnalysisConfig, BaselineSnapshot, Feedback, History, IngestOptions, LoginEvent, Rejection,
    ScoredEvent,
};

use crate::account::Account;
use crate::activity::{Activity, ActivityFeed};
use crate::detection::{
    DetectionChoices, DetectionSummary, EventPage, EventQuery, FeedbackApplied, Rerun, RunListing,
    summarise,
};
use crate::server_fns::{NotificationOverview, TestOutcome};
use crate::triage::{AllowListEntry, AllowListInput, TriageRecord, TriageState, feedback_of};
use axum::http::StatusCode;

/// Everything kept of one run.
pub struct SavedRun {
    pub summary: DetectionSummary,
    /// The settings the run used (the server's, with the page's choices applied).
    pub settings: AnalysisConfig,
    /// The rejected records the engine kept (all of them up to its limit).
    pub rejections: Vec<Rejection>,
    pub events: Vec<ScoredEvent>,
    /// The validated logins behind `events`, in the same order (for re-scoring and history).
    pub logins: Vec<LoginEvent>,
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
    /// The validated logins of a run, in input order; `None` for an unknown id or a run kept
    /// before logins were kept with their scores.
    fn logins<'a>(&'a self, id: &'a str) -> Stored<'a, Option<Vec<LoginEvent>>>;
    /// Logins kept by runs other than `except`, each once and none named in `skip` (the new
    /// analysis' own), up to `until_ms` (later ones cannot change a score), from the latest
    /// `limit` kept rows, in time order: what a new analysis learns from first.
    fn history<'a>(
        &'a self,
        until_ms: i64,
        limit: usize,
        except: &'a str,
        skip: HashSet<String>,
    ) -> Stored<'a, Vec<LoginEvent>>;
    /// Replaces a kept run's summary, settings and scores (after re-scoring its logins).
    fn rescore(&self, run: SavedRun) -> Stored<'_, ()>;
}

/// Where verdicts and allow-list entries are kept.
pub trait FeedbackStore: Send + Sync {
    fn allow_list(&self) -> Stored<'_, Vec<AllowListEntry>>;
    /// Inserts or replaces the entry with the same id.
    fn save_allow(&self, entry: AllowListEntry) -> Stored<'_, ()>;
    /// `false` when there was no such entry.
    fn delete_allow<'a>(&'a self, id: &'a str) -> Stored<'a, bool>;
    /// Records a verdict as the login's current one and in its history.
    fn record_triage(&self, record: TriageRecord) -> Stored<'_, ()>;
    fn triage<'a>(&'a self, login_id: &'a str) -> Stored<'a, TriageState>;
    /// The current verdict of every triaged login.
    fn verdicts(&self) -> Stored<'_, Vec<TriageRecord>>;
    /// Where a login was scored: `(analysis id, scored login)`, newest run first.
    fn find_login<'a>(&'a self, login_id: &'a str) -> Stored<'a, Vec<(String, ScoredEvent)>>;
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
    pub feedback: Arc<dyn FeedbackStore>,
    /// Alerts after server runs, when the config file has a `[notifications]` section.
    pub notifier: Option<Arc<dyn Notifier>>,
    /// Scoring progress and kept analyses, for pages that update by themselves.
    pub activity: ActivityFeed,
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
    /// A re-run of a run that is not kept, or kept without its logins.
    #[error("{0}")]
    NotFound(String),
}

impl RunError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadChoices(_) => StatusCode::BAD_REQUEST,
            Self::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
        }
    }
}

/// Longest comment kept with a verdict, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Why a verdict or an allow-list entry was not kept.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("{0}")]
    BadVerdict(String),
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("{0}")]
    BadEntry(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Internal(String),
}

impl FeedbackError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadVerdict(_) | Self::CommentTooLong | Self::BadEntry(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
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
        let started = std::time::Instant::now();
        let ingested = blocking(move || engine::read_slice(&content, &options))
            .await?
            .map_err(|error| RunError::Unreadable(error.to_string()))?;
        let (earlier, feedback) = self.history_and_feedback(&ingested.events, &id).await?;
        let service = Arc::clone(self);
        let name = file_name.clone();
        let (run, alerts) = blocking(move || {
            let profile = engine::DataProfile::of(&ingested);
            let engine::Ingested {
                events, rejections, ..
            } = ingested;
            let history = History {
                earlier: &earlier,
                feedback: Some(&feedback),
            };
            let total = events.len() as u64;
            let analysis = service.score(&events, &history, &choices, &config, |done| {
                service.activity.send(Activity::Scoring {
                    file_name: file_name.clone(),
                    done: done as u64,
                    total,
                });
            })?;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let mut summary = summarise(id, file_name, profile, choices, &analysis, elapsed_ms);
            summary.feedback = FeedbackApplied::of(&analysis.events, earlier.len(), &feedback);
            let alerts = service
                .notifier
                .as_ref()
                .and_then(|notifier| notifier.prepare(&summary.id, &analysis.events, &config));
            let run = SavedRun {
                summary,
                settings: config,
                rejections,
                events: analysis.events,
                logins: events,
                created_ms: now_ms(),
            };
            Ok::<_, RunError>((run, alerts))
        })
        .await??;
        let summary = run.summary.clone();
        self.runs.save(run).await.map_err(RunError::Internal)?;
        self.activity.send(Activity::Kept {
            id: summary.id.clone(),
            file_name: name,
        });
        // Alerts go out once the run is kept (their links point at it), without holding the reply.
        if let Some(alerts) = alerts {
            tracing::info!(run = %summary.id, alerts = alerts.count, "sending alerts");
            tokio::task::spawn_blocking(alerts.send);
        }
        Ok(summary)
    }

    /// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`, `dismissed`) on
    /// a kept login, as its current one and in its history, under `by`'s name.
    pub async fn record_verdict(
        &self,
        login_id: &str,
        verdict: &str,
        comment: &str,
        by: &Account,
    ) -> Result<(), FeedbackError> {
        let verdict = verdict.parse().map_err(FeedbackError::BadVerdict)?;
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(FeedbackError::CommentTooLong);
        }
        // The login must be kept before a verdict is kept for it.
        self.scored_login(login_id).await?;
        self.feedback
            .record_triage(TriageRecord {
                login_id: login_id.to_owned(),
                verdict,
                comment: comment.to_owned(),
                actor: by.name.clone(),
                at_ms: now_ms(),
            })
            .await
            .map_err(FeedbackError::Internal)
    }

    /// Where a kept login was scored: `(analysis id, scored login)`, newest run first.
    pub async fn scored_login(
        &self,
        login_id: &str,
    ) -> Result<Vec<(String, ScoredEvent)>, FeedbackError> {
        let scored = self
            .feedback
            .find_login(login_id)
            .await
            .map_err(FeedbackError::Internal)?;
        if scored.is_empty() {
            return Err(FeedbackError::NotFound(format!(
                "no kept login {login_id:?} (login ids look like F-0123456789ab)"
            )));
        }
        Ok(scored)
    }

    /// One allow-list entry.
    pub async fn allow_entry(&self, id: &str) -> Result<AllowListEntry, FeedbackError> {
        self.feedback
            .allow_list()
            .await
            .map_err(FeedbackError::Internal)?
            .into_iter()
            .find(|entry| entry.id == id)
            .ok_or_else(|| FeedbackError::NotFound(format!("no allow-list entry {id:?}")))
    }

    pub async fn remove_allow_entry(&self, id: &str, by: &Account) -> Result<(), FeedbackError> {
        may_change_allow_list(by)?;
        let removed = self
            .feedback
            .delete_allow(id)
            .await
            .map_err(FeedbackError::Internal)?;
        if removed {
            Ok(())
        } else {
            Err(FeedbackError::NotFound(format!(
                "no allow-list entry {id:?}"
            )))
        }
    }

    /// Keeps `input` as a new allow-list entry, or in place of `replacing` (keeping its id and
    /// when it was made), under `by`'s name.
    pub async fn save_allow_entry(
        &self,
        input: &AllowListInput,
        replacing: Option<AllowListEntry>,
        by: &Account,
    ) -> Result<AllowListEntry, FeedbackError> {
        may_change_allow_list(by)?;
        let now_ms = now_ms();
        let id = replacing
            .as_ref()
            .map_or_else(|| input.new_id(now_ms), |entry| entry.id.clone());
        let mut entry = input
            .validate(id, &by.name, now_ms)
            .map_err(FeedbackError::BadEntry)?;
        if let Some(existing) = replacing {
            entry.created_ms = existing.created_ms;
        }
        self.feedback
            .save_allow(entry.clone())
            .await
            .map_err(FeedbackError::Internal)?;
        Ok(entry)
    }

    /// Scores a kept run's logins again with what analysts have taught since (allow-list,
    /// verdicts) and what other kept runs learnt, and replaces its scores.
    pub async fn rerun(self: &Arc<Self>, id: &str) -> Result<Rerun, RunError> {
        let kept = self
            .runs
            .run(id)
            .await
            .map_err(RunError::Internal)?
            .ok_or_else(|| RunError::NotFound(format!("no kept analysis {id:?}")))?;
        let logins = self
            .runs
            .logins(id)
            .await
            .map_err(RunError::Internal)?
            .filter(|logins| logins.len() == kept.events.len())
            .ok_or_else(|| {
                RunError::NotFound(format!(
                    "analysis {id:?} was kept without its logins; upload the file again to re-score it"
                ))
            })?;
        let (earlier, feedback) = self.history_and_feedback(&logins, id).await?;
        let service = Arc::clone(self);
        let run = blocking(move || {
            let started = std::time::Instant::now();
            let previous = kept.summary;
            let history = History {
                earlier: &earlier,
                feedback: Some(&feedback),
            };
            let analysis =
                service.score(&logins, &history, &previous.choices, &kept.settings, |_| {})?;
            let changed_levels = kept
                .events
                .iter()
                .zip(&analysis.events)
                .filter(|(before, after)| before.risk_level != after.risk_level)
                .count();
            let applied = FeedbackApplied::of(&analysis.events, earlier.len(), &feedback);
            let suppressed = applied.suppressed_logins as usize;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let mut summary = summarise(
                previous.id,
                previous.file_name,
                previous.profile,
                previous.choices,
                &analysis,
                elapsed_ms,
            );
            summary.feedback = applied;
            let run = SavedRun {
                summary,
                settings: kept.settings,
                rejections: Vec::new(),
                events: analysis.events,
                logins,
                created_ms: now_ms(),
            };
            Ok::<_, RunError>((run, changed_levels, suppressed))
        })
        .await?;
        let (run, changed_levels, suppressed) = run?;
        let summary = run.summary.clone();
        self.runs.rescore(run).await.map_err(RunError::Internal)?;
        self.activity.send(Activity::Kept {
            id: summary.id.clone(),
            file_name: summary.file_name.clone(),
        });
        Ok(Rerun {
            summary,
            changed_levels,
            suppressed,
        })
    }

    /// Earlier logins from other kept runs (without the ones in `logins`), and the feedback in
    /// force now.
    async fn history_and_feedback(
        &self,
        logins: &[LoginEvent],
        id: &str,
    ) -> Result<(Vec<LoginEvent>, Feedback), RunError> {
        let until_ms = logins.iter().map(|login| login.timestamp_ms).max();
        let earlier = match until_ms {
            Some(until_ms) => {
                let own = logins.iter().map(LoginEvent::login_id).collect();
                self.runs
                    .history(until_ms, HISTORY_LIMIT, id, own)
                    .await
                    .map_err(RunError::Internal)?
            }
            None => Vec::new(),
        };
        Ok((earlier, self.feedback_in_force().await?))
    }

    /// Allow-list entries that have not expired, and every current verdict.
    async fn feedback_in_force(&self) -> Result<Feedback, RunError> {
        let entries = self
            .feedback
            .allow_list()
            .await
            .map_err(RunError::Internal)?;
        let verdicts = self.feedback.verdicts().await.map_err(RunError::Internal)?;
        Ok(feedback_of(&entries, &verdicts, now_ms()))
    }

    /// What the engine has learnt about `user` from the kept logins (the latest
    /// [`HISTORY_LIMIT`]) with the feedback in force: what their next upload is compared with.
    /// `None` if no kept login is theirs.
    pub async fn learnt_baseline(
        self: &Arc<Self>,
        user: &str,
    ) -> Result<Option<BaselineSnapshot>, RunError> {
        let logins = self
            .runs
            .history(i64::MAX, HISTORY_LIMIT, "", HashSet::new())
            .await
            .map_err(RunError::Internal)?;
        let feedback = self.feedback_in_force().await?;
        let service = Arc::clone(self);
        let user = user.to_owned();
        blocking(move || {
            engine::learnt_baseline(
                &logins,
                Some(&feedback),
                &service.config,
                service.geo.as_ref(),
                &user,
            )
            .map_err(|error| RunError::Internal(error.to_string()))
        })
        .await?
    }

    /// The CPU-bound part of a run.
    fn score(
        &self,
        events: &[LoginEvent],
        history: &History<'_>,
        choices: &DetectionChoices,
        config: &AnalysisConfig,
        progress: impl FnMut(usize),
    ) -> Result<engine::Analysis, RunError> {
        let geo: &dyn GeoLookup = if choices.geolocation {
            self.geo.as_ref()
        } else {
            &NoGeolocation
        };
        engine::analyze_with(events, history, config, geo, progress)
            .map_err(|error| RunError::BadChoices(error.to_string()))
    }
}

/// Kept logins a new analysis learns from at most (the latest before its own): about 0.4 GB
/// and a few seconds of replay.
pub const HISTORY_LIMIT: usize = 1_000_000;

/// Runs CPU-bound work off the async workers.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RunError> {
    tokio::task::spawn_blocking(job).await.map_err(|error| {
        tracing::error!(%error, "analysis task failed");
        RunError::Internal("internal error while analysing".to_owned())
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// A run's name from what it analysed: the same file with the same choices gets the same id.
/// Only admins change the allow-list: it silences findings for everyone.
fn may_change_allow_list(by: &Account) -> Result<(), FeedbackError> {
    if by.is_admin() {
        Ok(())
    } else {
        Err(FeedbackError::Forbidden(format!(
            "only an admin may change the allow-list; {} is an analyst",
            by.name
        )))
    }
}

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
