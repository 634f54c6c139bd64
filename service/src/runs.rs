//! Keeping runs: an upload scored with the server's settings and what it has learnt, kept in the
//! database with its own address; kept runs read back, paged and scored again with feedback.

use std::collections::HashSet;
use std::sync::Arc;

use engine::enrich::{GeoLookup, NoGeolocation};
use engine::figures::Conclusions;
use engine::{
    AnalysisConfig, BaselineSnapshot, Feedback, IngestOptions, LoginEvent, ReadLimits, ScoredEvent,
};

use crate::activity::{Activity, ActivityFeed};
use crate::clock::now_ms;
use crate::detection::{
    AccountStatuses, DetectionChoices, DetectionSummary, EventPage, EventQuery, FeedbackApplied,
    Rerun, RunListing, summarise_scored,
};
use crate::error::RunError;
use crate::history::{Earlier, KeptHistory, Start};
use crate::jobs::AnalysisQueue;
use crate::kept::{KeptRun, SavedRun, UserLogins};
use crate::notify::Notifier;
use crate::ports::{FeedbackStore, RunStore, ScoredIn};
use crate::review::{AccountBrief, LoginDetails, login_details};
use crate::source::{SourceListing, SourceName};
use crate::views::{RunView, RunViews, ScoredWith, history_fingerprint};

/// Points along its way at which a run keeps what it had learnt, so that re-scoring it after a
/// verdict starts from the last one before the verdict's login. Each costs a copy of the
/// analyzer's tables that changed since the one before: about 10 MB for a 114,718-login run,
/// held for the run scored last only ([`RunView::waypoints`]).
const WAYPOINTS: usize = 16;
/// Runs of these sizes keep points: a smaller one is scored again in a moment anyway (and each of
/// its points would copy what was learnt before it: 15 MB after a million kept logins); a larger
/// one learns from the start.
const WAYPOINTS_FOR: std::ops::RangeInclusive<usize> = 2_000..=150_000;

fn waypoints_for(logins: usize) -> usize {
    if WAYPOINTS_FOR.contains(&logins) {
        WAYPOINTS
    } else {
        0
    }
}

/// What a new analysis is scored with.
#[derive(Clone, Copy)]
struct Scoring<'a> {
    source: &'a SourceName,
    choices: &'a DetectionChoices,
    config: &'a AnalysisConfig,
    feedback: &'a Feedback,
}

/// A log to analyse: its file (spooled to disk), how to read it, and its name.
pub struct Upload {
    pub content: crate::upload::SpooledFile,
    pub options: IngestOptions,
    pub file_name: String,
}

/// How long the server waits, with neither an analysis nor a re-score, before it lets go of what
/// it holds only to be quicker ([`DetectionService::settle_when_idle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settling {
    /// Then older runs, held logins and what was learnt from them go (read again when an
    /// analysis needs them).
    pub older_after: std::time::Duration,
    /// Then the latest run's waypoints and built reports go too, so an idle server holds what it
    /// holds after a start. Long enough for an analyst working through verdicts, whose re-scores
    /// the waypoints keep quick.
    pub everything_after: std::time::Duration,
}

impl Default for Settling {
    fn default() -> Self {
        Self {
            older_after: std::time::Duration::from_secs(60),
            everything_after: std::time::Duration::from_secs(10 * 60),
        }
    }
}

/// Memory learning one earlier login takes while an analysis runs, when it cannot start from
/// what was learnt before: a million kept logins took about 260 MiB (measured, release build).
pub const LEARN_BYTES_PER_LOGIN: u64 = 300;

/// Taken while a kept run is scored again.
static RESCORING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Kept logins a new analysis learns from at most (the latest before its own; past it the
/// oldest are let go a tenth at a time, [`crate::history::rows_learnt`]): about 0.4 GB and a few
/// seconds of learning when nothing learnt before can be started from.
pub const HISTORY_LIMIT: usize = 1_000_000;

/// The use-cases of analyses, verdicts and the allow-list on one server.
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
    /// Kept runs held in memory for the dashboard and the report previews.
    pub views: RunViews,
    /// Kept logins held in memory for what new analyses learn from first.
    pub history: KeptHistory,
    /// What an upload may expand to (`--max-expanded-mb`, `--max-rows`).
    pub read_limits: ReadLimits,
    /// The queue new analyses wait in (`--analysis-parallelism`, `--analysis-queue-depth`).
    pub queue: AnalysisQueue,
    /// When an idle server lets go of what it holds to be quicker.
    pub settling: Settling,
    /// Where uploaded files are written as they arrive, and analysed from (unnamed files, gone
    /// when their request ends).
    pub spool_dir: std::path::PathBuf,
}

/// A run's name from what it analysed: the same file with the same choices (however written) in
/// the same source gets the same id. `content_digest` is the content's FNV-1a
/// ([`engine::digest::fnv1a64`]).
pub fn run_id(content_digest: u64, choices: &DetectionChoices, source: &SourceName) -> String {
    let named = format!("{}\u{1f}{source}", choices.canonical());
    let mut hash = engine::digest::Fnv1a64::continuing(content_digest);
    hash.write_bytes(named.as_bytes());
    format!("{:016x}", hash.finish())
}

impl DetectionService {
    /// Scores a log in `source` with the server's settings and `choices`, after what the source
    /// has learnt and been taught, keeps the run, sends its alerts in the background, and returns
    /// its summary. The same content with the same choices in the same source is the same run
    /// (and replaces it). It waits its turn in [`Self::queue`], or is refused when the queue is
    /// full; reading stops at [`Self::read_limits`].
    pub async fn run_and_keep(
        self: &Arc<Self>,
        upload: Upload,
        choices: DetectionChoices,
        source: SourceName,
    ) -> Result<DetectionSummary, RunError> {
        let Upload {
            content,
            mut options,
            file_name,
        } = upload;
        let config = choices.apply(&self.config).map_err(RunError::BadChoices)?;
        let id = run_id(content.digest(), &choices, &source);
        let needs_bytes = crate::jobs::analysis_needs_bytes(
            content.text_bytes(),
            self.read_limits.max_expanded_bytes,
        );
        let mut turn = self
            .queue
            .turn(needs_bytes, || self.let_go_of_what_can_be_rebuilt())
            .await?;
        options.limits = self.read_limits;
        let started = std::time::Instant::now();
        let ingested =
            blocking(move || engine::read(content.reader(), &options, &mut ())).await??;
        let (earlier, feedback) = self
            .history_and_feedback(&ingested.events, &id, &source)
            .await?;
        // What it starts from decides what it learns again, and so the memory it needs.
        let first_ms = ingested.events.iter().map(|event| event.timestamp_ms).min();
        let start = first_ms.and_then(|first_ms| {
            let geolocation = choices.geolocation;
            self.history
                .start(&source, &config, geolocation, &feedback, &earlier, first_ms)
        });
        let learns = earlier.len() - start.as_ref().map_or(0, |start| start.covers);
        turn.need_more(learns as u64 * LEARN_BYTES_PER_LOGIN, || {
            self.let_go_of_what_can_be_rebuilt()
        })
        .await?;
        let service = Arc::clone(self);
        let name = file_name.clone();
        let (run, alerts, scored_with, conclusions) = blocking(move || {
            let profile = engine::DataProfile::of(&ingested);
            let engine::Ingested {
                events, rejections, ..
            } = ingested;
            let total = events.len() as u64;
            let scoring = Scoring {
                source: &source,
                choices: &choices,
                config: &config,
                feedback: &feedback,
            };
            let (analysis, waypoints) =
                service.score(&events, &earlier, start, &scoring, |done| {
                    service.activity.send(Activity::Scoring {
                        file_name: file_name.clone(),
                        done: done as u64,
                        total,
                    });
                })?;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let conclusions = Conclusions::of(&analysis);
            let mut summary = summarise_scored(
                id,
                file_name,
                profile,
                choices,
                &analysis.events,
                &conclusions,
                &analysis.config,
                analysis.geo_data.clone(),
                elapsed_ms,
            );
            summary.source = source;
            summary.feedback = FeedbackApplied::of(&analysis.events, earlier.len(), &feedback);
            let alerts = service.notifier.as_ref().and_then(|notifier| {
                notifier.prepare(
                    crate::notify::Alerted::Run(&summary.id),
                    &analysis.events,
                    &config,
                )
            });
            let scored_with = ScoredWith {
                history: history_fingerprint(&earlier.logins()),
                feedback,
                waypoints,
            };
            let run = SavedRun {
                summary,
                settings: config,
                rejections,
                events: analysis.events,
                logins: events.into(),
                created_ms: now_ms(),
            };
            Ok::<_, RunError>((run, alerts, scored_with, conclusions))
        })
        .await??;
        let summary = run.summary.clone();
        let writing = std::time::Instant::now();
        self.runs.save(&run).await?;
        tracing::debug!(
            run = %summary.id,
            logins = run.events.len(),
            elapsed_ms = writing.elapsed().as_millis() as u64,
            "run written"
        );
        self.history.keep(
            &run.summary.source,
            run.created_ms,
            &run.summary.id,
            Arc::clone(&run.logins),
        );
        self.views
            .insert_scored(run.into_kept(), Some(scored_with), Some(conclusions));
        drop(turn);
        self.keep_within_budget();
        self.settle_when_idle();
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

    /// Lets go of what is held only to be quicker and can be made again (runs shown before the
    /// latest, built reports, waypoints, what was learnt from kept logins), to stay within the
    /// memory budget.
    pub fn let_go_of_what_can_be_rebuilt(&self) {
        self.views.let_go_but_latest();
        self.history.let_go_of_learnt();
        tracing::info!("let go of held runs and learnt states to stay within the memory budget");
    }

    /// Once neither an analysis nor a re-score has been asked for during
    /// [`Settling::older_after`], lets go of everything held but the latest run (older runs, held
    /// logins and what was learnt from them, all rebuilt from the store when asked for); after
    /// [`Settling::everything_after`], of the latest run's waypoints and built reports too. Each
    /// time the freed memory goes back to the system: an idle server returns to its memory after
    /// a start with the latest run.
    pub fn settle_when_idle(self: &Arc<Self>) {
        let asked = self.queue.turns_asked();
        let scored = self.views.scored_so_far();
        let Settling {
            older_after,
            everything_after,
        } = self.settling;
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let still_idle = || {
                service.queue.turns_asked() == asked
                    && service.views.scored_so_far() == scored
                    && service.queue.is_idle()
            };
            let give_back = || {
                if let Some(budget) = service.queue.budget() {
                    (budget.give_back)();
                }
            };
            tokio::time::sleep(older_after).await;
            if !still_idle() {
                return;
            }
            service.views.let_go_of_older();
            service.history.let_go_of_everything();
            give_back();
            tracing::debug!("idle: let go of held runs and logins");
            tokio::time::sleep(everything_after.saturating_sub(older_after)).await;
            if !still_idle() {
                return;
            }
            service.views.let_go_but_latest();
            give_back();
            tracing::debug!("idle: let go of the latest run's waypoints and reports");
        });
    }

    /// Lets go of what can be rebuilt when the process holds more than its memory budget.
    fn keep_within_budget(&self) {
        if let Some(budget) = self.queue.budget().filter(|budget| budget.exceeded()) {
            self.let_go_of_what_can_be_rebuilt();
            (budget.give_back)();
        }
    }

    /// The latest kept runs (of one source, or of all), newest first.
    pub async fn recent(
        &self,
        limit: usize,
        source: Option<&SourceName>,
    ) -> Result<Vec<RunListing>, RunError> {
        Ok(self.runs.recent(limit, source).await?)
    }

    /// Every source with something kept.
    pub async fn sources(&self) -> Result<Vec<SourceListing>, RunError> {
        Ok(self.runs.sources().await?)
    }

    /// A kept run's summary.
    pub async fn summary(&self, id: &str) -> Result<DetectionSummary, RunError> {
        self.runs.summary(id).await?.ok_or_else(|| not_kept(id))
    }

    /// One page of a kept run's scored logins; a filter that cannot match anything (a time
    /// range that ends before it starts) is refused with the reason.
    pub async fn page(&self, id: &str, query: &EventQuery) -> Result<EventPage, RunError> {
        query.check().map_err(RunError::BadFilter)?;
        self.runs.page(id, query).await?.ok_or_else(|| not_kept(id))
    }

    /// Everything the triage panel shows about one login of a kept run: the login beside the
    /// user's usual (their earlier kept logins in the run's source), the previous login, each
    /// detector's part, the account's verdict in the run, and the login's verdicts.
    pub async fn login_details(&self, id: &str, login_id: &str) -> Result<LoginDetails, RunError> {
        let summary = self.summary(id).await?;
        let (event, _) = self.runs.login_in_run(id, login_id).await?.ok_or_else(|| {
            RunError::NotFound(format!("analysis {id:?} keeps no login {login_id:?}"))
        })?;
        let history = self
            .runs
            .user_logins(&event.user_id, Some(&summary.source))
            .await?;
        let triage = self.feedback.triage(&summary.source, login_id).await?;
        let run_id = id.to_owned();
        blocking(move || {
            let account = history
                .iter()
                .find(|run| run.analysis_id == run_id)
                .and_then(|run| {
                    engine::account_verdicts(
                        &run.events,
                        &run.settings.accounts,
                        &run.settings.risk,
                    )
                    .into_iter()
                    .find(|verdict| verdict.user_id == *event.user_id)
                })
                .map(|verdict| AccountBrief {
                    status: verdict.status,
                    score: verdict.score,
                    level: verdict.level,
                    summary: verdict.summary,
                });
            let logins: Vec<&ScoredEvent> = history.iter().flat_map(|run| &run.events).collect();
            let mut details = login_details(&event, &logins, &summary.choices, account);
            details.triage = Some(triage);
            details
        })
        .await
    }

    /// Everything kept of a run, for reports and the dashboard.
    pub async fn kept(&self, id: &str) -> Result<KeptRun, RunError> {
        self.runs.run(id).await?.ok_or_else(|| not_kept(id))
    }

    /// A kept run in memory, with what pages compute from it once ([`crate::views`]): read from
    /// the database only when it is not held already (or was re-scored since).
    pub async fn view(&self, id: &str) -> Result<Arc<RunView>, RunError> {
        let summary = self.summary(id).await?;
        if let Some(view) = self.views.get(id, &summary) {
            return Ok(view);
        }
        let started = std::time::Instant::now();
        let kept = self.kept(id).await?;
        tracing::debug!(
            run = id,
            logins = kept.events.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "kept run read into memory"
        );
        Ok(self.views.insert(kept))
    }

    /// The latest kept run (of one source, or of all) in memory, if any.
    pub async fn latest_view(
        &self,
        source: Option<&SourceName>,
    ) -> Result<Option<Arc<RunView>>, RunError> {
        match self.runs.recent(1, source).await?.pop() {
            Some(latest) => Ok(Some(self.view(&latest.id).await?)),
            None => Ok(None),
        }
    }

    /// Reads the latest kept run into memory, so the first page after a start is quick.
    pub async fn warm(&self) {
        let started = std::time::Instant::now();
        match self.latest_view(None).await {
            Ok(Some(view)) => tracing::info!(
                run = view.id(),
                logins = view.kept.events.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "latest kept analysis loaded"
            ),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot load the latest kept analysis"),
        }
    }

    /// A kept run with the validated logins behind its scores (empty for a run kept before
    /// logins were kept with them).
    pub async fn kept_with_logins(&self, id: &str) -> Result<KeptRun, RunError> {
        let mut kept = self.kept(id).await?;
        kept.logins = self.runs.logins(id).await?.unwrap_or_default().into();
        Ok(kept)
    }

    /// The latest kept run (of one source, or of all), if any.
    pub async fn latest(&self, source: Option<&SourceName>) -> Result<Option<KeptRun>, RunError> {
        match self.runs.recent(1, source).await?.pop() {
            Some(latest) => Ok(Some(self.kept(&latest.id).await?)),
            None => Ok(None),
        }
    }

    /// A user's logins in every kept run (of one source, or of all), newest run first.
    pub async fn user_logins(
        &self,
        user: &str,
        source: Option<&SourceName>,
    ) -> Result<Vec<UserLogins>, RunError> {
        Ok(self.runs.user_logins(user, source).await?)
    }

    /// Scores a kept run's logins again with what analysts have taught since (allow-list,
    /// verdicts) and what other kept runs learnt, and replaces its scores. When this server
    /// scored the run and only verdicts changed since, the logins before the earliest one with a
    /// changed verdict keep their scores and are only learnt from again; only the scores that
    /// changed are written.
    pub async fn rerun(self: &Arc<Self>, id: &str) -> Result<Rerun, RunError> {
        // One re-score at a time: each sees the verdicts recorded before it started and replaces
        // the scores of the one before, so verdicts given in quick succession all count.
        let _turn = RESCORING.lock().await;
        let view = self.view(id).await?;
        let previous = &view.kept;
        let logins: Arc<[LoginEvent]> = if previous.logins.len() == previous.events.len() {
            Arc::clone(&previous.logins)
        } else {
            self.runs.logins(id).await?.unwrap_or_default().into()
        };
        if logins.len() != previous.events.len() {
            return Err(RunError::NotFound(format!(
                "analysis {id:?} was kept without its logins; upload the file again to re-score it"
            )));
        }
        let source = previous.summary.source.clone();
        let (earlier, feedback) = self.history_and_feedback(&logins, id, &source).await?;
        let scored_with = view.scored_with.clone();
        let waypoints = view.waypoints();
        let replaced = Arc::clone(&view);
        let service = Arc::clone(self);
        let (run, rescored, scored_with, conclusions) = blocking(move || {
            let started = std::time::Instant::now();
            let previous = &view.kept;
            let earlier_logins = earlier.logins();
            let history_print = history_fingerprint(&earlier_logins);
            let before_ms = scored_with.as_ref().and_then(|scored_with| {
                unchanged_before(
                    scored_with,
                    &feedback,
                    history_print,
                    &logins,
                    &earlier_logins,
                )
            });
            let reuse = before_ms.map(|before_ms| engine::Reuse {
                previous: &previous.events,
                before_ms,
                waypoints: waypoints.as_deref(),
            });
            let (analysis, waypoints) =
                service.score_again(&logins, &earlier_logins, &feedback, previous, reuse)?;
            let scored_ms = started.elapsed().as_millis() as u64;
            // Which rows changed, on another thread while the run is summarised.
            let (rescored, conclusions, mut summary) = std::thread::scope(|scope| {
                let rescored = scope.spawn(|| {
                    Rescored::of(
                        &previous.events,
                        &view.account_statuses(),
                        &analysis,
                        before_ms,
                    )
                });
                let conclusions = Conclusions::of(&analysis);
                let kept_summary = previous.summary.clone();
                let mut summary = summarise_scored(
                    kept_summary.id,
                    kept_summary.file_name,
                    kept_summary.profile,
                    kept_summary.choices,
                    &analysis.events,
                    &conclusions,
                    &analysis.config,
                    analysis.geo_data.clone(),
                    scored_ms,
                );
                summary.source = kept_summary.source;
                summary.feedback = FeedbackApplied::of(&analysis.events, earlier.len(), &feedback);
                (rescored.join(), conclusions, summary)
            });
            let rescored = rescored.map_err(|_| {
                tracing::error!("comparing the re-scored logins failed");
                RunError::Task
            })?;
            summary.elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::info!(
                run = %previous.summary.id,
                reused_before_ms = ?before_ms,
                changed = rescored.rows.len(),
                elapsed_ms = summary.elapsed_ms,
                "re-scored"
            );
            let run = SavedRun {
                summary,
                settings: previous.settings.clone(),
                rejections: Vec::new(),
                events: analysis.events,
                logins,
                created_ms: now_ms(),
            };
            let scored_with = ScoredWith {
                feedback,
                history: history_print,
                waypoints,
            };
            Ok::<_, RunError>((run, rescored, scored_with, conclusions))
        })
        .await??;
        let summary = run.summary.clone();
        if !self
            .runs
            .rescore(&run, &rescored.rows, &rescored.accounts)
            .await?
        {
            self.views.forget(id);
            return Err(not_kept(id));
        }
        let changed_levels = rescored.changed_levels;
        let suppressed = summary.feedback.suppressed_logins as usize;
        self.views
            .insert_scored(run.into_kept(), Some(scored_with), Some(conclusions));
        // Freeing the replaced scores and what was learnt along the way takes a tenth of a
        // second for 100k logins: not on the request's path.
        tokio::task::spawn_blocking(move || drop(replaced));
        self.keep_within_budget();
        self.settle_when_idle();
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

    /// Earlier logins of `source` from other kept runs (without the ones in `logins`), and the
    /// feedback in force in it now.
    async fn history_and_feedback(
        &self,
        logins: &[LoginEvent],
        id: &str,
        source: &SourceName,
    ) -> Result<(Earlier, Feedback), RunError> {
        let until_ms = logins.iter().map(|login| login.timestamp_ms).max();
        let earlier = match until_ms {
            Some(until_ms) => {
                self.history
                    .earlier(
                        self.runs.as_ref(),
                        source,
                        until_ms,
                        HISTORY_LIMIT,
                        id,
                        logins,
                    )
                    .await?
            }
            None => Earlier::none(),
        };
        Ok((earlier, self.feedback_in_force(source).await?))
    }

    /// The allow-list entries of `source` that have not expired, and its current verdicts.
    pub(crate) async fn feedback_in_force(
        &self,
        source: &SourceName,
    ) -> Result<Feedback, RunError> {
        Ok(crate::taught::feedback_in_force(self.feedback.as_ref(), source, now_ms()).await?)
    }

    /// What the engine has learnt about `user` from the kept logins of `source` (the latest
    /// [`HISTORY_LIMIT`]) with the feedback in force: what their next upload is compared with.
    /// `None` if no kept login is theirs.
    pub async fn learnt_baseline(
        self: &Arc<Self>,
        user: &str,
        source: &SourceName,
    ) -> Result<Option<BaselineSnapshot>, RunError> {
        let logins = self
            .history
            .earlier(self.runs.as_ref(), source, i64::MAX, HISTORY_LIMIT, "", &[])
            .await?;
        let feedback = self.feedback_in_force(source).await?;
        let service = Arc::clone(self);
        let user = user.to_owned();
        blocking(move || {
            engine::learnt_baseline(
                logins.logins(),
                Some(&feedback),
                &service.config,
                service.geo.as_ref(),
                &user,
            )
            .map_err(|error| RunError::BadChoices(error.to_string()))
        })
        .await?
    }

    /// The CPU-bound part of a run: learning its earlier logins (from what was learnt of them
    /// before, when that still holds), then scoring; what it learnt is kept when worth it.
    fn score(
        &self,
        events: &[LoginEvent],
        earlier: &Earlier,
        start: Option<Start>,
        scoring: &Scoring<'_>,
        progress: impl FnMut(usize),
    ) -> Result<(engine::Analysis, Option<Arc<engine::Waypoints>>), RunError> {
        let Scoring {
            source,
            choices,
            config,
            feedback,
        } = *scoring;
        let first_ms = events.iter().map(|event| event.timestamp_ms).min();
        let keep_before_ms = first_ms
            .and_then(|first_ms| self.history.keep_before(earlier, start.as_ref(), first_ms));
        let fresh;
        let (learnt, covers) = match &start {
            Some(start) => (start.learnt.as_ref(), start.covers),
            None => {
                let geo: Arc<dyn GeoLookup + Send> = if choices.geolocation {
                    Arc::clone(&self.geo)
                } else {
                    Arc::new(NoGeolocation)
                };
                fresh = engine::Learnt::fresh(config, geo, feedback)
                    .map_err(|error| RunError::BadChoices(error.to_string()))?;
                (&fresh, 0)
            }
        };
        let logins = earlier.logins();
        let keep = engine::Keep {
            learnt_before_ms: keep_before_ms,
            waypoints: waypoints_for(events.len()),
        };
        let (analysis, kept) = engine::analyze_after(
            learnt,
            events,
            &logins[covers..],
            keep,
            progress,
        )
        .map_err(|error| {
            // `start` holds only for logins after what it learnt.
            tracing::error!(%error, "an analysis started from what was learnt out of order");
            RunError::Task
        })?;
        tracing::debug!(
            learnt_before = covers,
            learnt_after = logins.len() - covers,
            kept = kept.learnt.is_some(),
            "scored"
        );
        if let Some(learnt_now) = kept.learnt {
            self.history
                .remember(source, choices.geolocation, earlier, learnt_now);
        }
        Ok((analysis, kept.waypoints.map(Arc::new)))
    }

    /// A kept run's logins scored again with its own choices and settings and `feedback`,
    /// reusing the scores that still hold, and what it learnt along the way.
    fn score_again(
        &self,
        logins: &[LoginEvent],
        earlier: &[&LoginEvent],
        feedback: &Feedback,
        kept: &KeptRun,
        reuse: Option<engine::Reuse<'_>>,
    ) -> Result<(engine::Analysis, Option<Arc<engine::Waypoints>>), RunError> {
        let geo: Arc<dyn GeoLookup + Send> = if kept.summary.choices.geolocation {
            Arc::clone(&self.geo)
        } else {
            Arc::new(NoGeolocation)
        };
        let start = engine::Learnt::fresh(&kept.settings, geo, feedback)
            .map_err(|error| RunError::BadChoices(error.to_string()))?;
        let keep = engine::Keep {
            waypoints: waypoints_for(logins.len()),
            ..engine::Keep::default()
        };
        let (analysis, kept) =
            engine::reanalyze_after(&start, logins, earlier, reuse, keep, |_| {}).map_err(
                |error| {
                    // A fresh start has learnt nothing, so nothing is out of order.
                    tracing::error!(%error, "a re-analysis found its logins out of order");
                    RunError::Task
                },
            )?;
        Ok((analysis, kept.waypoints.map(Arc::new)))
    }

    /// Where a kept login was scored, newest run first.
    pub async fn scored_login(
        &self,
        login_id: &str,
    ) -> Result<Vec<ScoredIn>, crate::error::FeedbackError> {
        let scored = self.feedback.find_login(login_id).await?;
        if scored.is_empty() {
            return Err(crate::error::FeedbackError::NotFound(format!(
                "no kept login {login_id:?} (login ids look like F-0123456789ab)"
            )));
        }
        Ok(scored)
    }
}

/// The instant before which scores computed with `scored_with` still hold under `feedback`
/// and the earlier logins fingerprinted `history`: that of the earliest login (of the run or
/// of its history) whose verdict changed; `None` when more than verdicts changed.
fn unchanged_before(
    scored_with: &ScoredWith,
    feedback: &Feedback,
    history: u64,
    logins: &[LoginEvent],
    earlier: &[&LoginEvent],
) -> Option<i64> {
    if scored_with.history != history || scored_with.feedback.allow != feedback.allow {
        return None;
    }
    let verdicts = |feedback: &Feedback| -> std::collections::HashMap<String, engine::Verdict> {
        feedback
            .verdicts
            .iter()
            .map(|verdict| (verdict.login_id.clone(), verdict.clone()))
            .collect()
    };
    let (before, now) = (verdicts(&scored_with.feedback), verdicts(feedback));
    let changed: HashSet<u64> = before
        .iter()
        .filter(|(login, verdict)| now.get(*login) != Some(*verdict))
        .chain(
            now.iter()
                .filter(|(login, verdict)| before.get(*login) != Some(*verdict)),
        )
        .filter_map(|(login, _)| engine::login_key_of(login))
        .collect();
    if changed.is_empty() {
        return Some(i64::MAX);
    }
    Some(
        logins
            .iter()
            .chain(earlier.iter().copied())
            .filter(|login| changed.contains(&login.login_key()))
            .map(|login| login.timestamp_ms)
            .min()
            .unwrap_or(i64::MAX),
    )
}

/// What a re-score changed in a run.
struct Rescored {
    /// Indices of the logins whose row is written again: their score, findings or account's
    /// verdict changed.
    rows: Vec<usize>,
    /// How many of them changed level.
    changed_levels: usize,
    /// Every account's verdict now.
    accounts: AccountStatuses,
}

impl Rescored {
    fn of(
        before: &[ScoredEvent],
        accounts_before: &AccountStatuses,
        after: &engine::Analysis,
        kept_before_ms: Option<i64>,
    ) -> Self {
        let accounts: AccountStatuses = after
            .accounts
            .iter()
            .map(|verdict| (verdict.user_id.clone(), verdict.status))
            .collect();
        // Logins before `kept_before_ms` kept their scores ([`engine::Reuse`]): only their
        // account's verdict can have changed.
        let rescored =
            |event: &ScoredEvent| kept_before_ms.is_none_or(|kept| event.timestamp_ms >= kept);
        let rows: Vec<usize> = before
            .iter()
            .zip(&after.events)
            .enumerate()
            .filter(|(_, (old, new))| {
                (rescored(new) && old != new)
                    || accounts_before.get(old.user_id.as_ref())
                        != accounts.get(new.user_id.as_ref())
            })
            .map(|(index, _)| index)
            .collect();
        let changed_levels = rows
            .iter()
            .filter(|&&index| before[index].risk_level != after.events[index].risk_level)
            .count();
        Self {
            rows,
            changed_levels,
            accounts,
        }
    }
}

fn not_kept(id: &str) -> RunError {
    RunError::NotFound(format!("no kept analysis {id:?}"))
}

/// Runs CPU-bound work off the async workers.
pub async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RunError> {
    tokio::task::spawn_blocking(job).await.map_err(|error| {
        tracing::error!(%error, "analysis task failed");
        RunError::Task
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_follow_the_content_the_canonical_choices_and_the_source() {
        let choices = DetectionChoices::default();
        let source = SourceName::default();
        let id = |content: &[u8], choices: &DetectionChoices| {
            run_id(engine::digest::fnv1a64(content), choices, &source)
        };
        assert_eq!(id(b"a", &choices), id(b"a", &choices));
        assert_ne!(id(b"a", &choices), id(b"b", &choices));
        let stricter = DetectionChoices {
            threshold: Some(0.7),
            ..DetectionChoices::default()
        };
        assert_ne!(id(b"a", &choices), id(b"a", &stricter));
        let spaced = DetectionChoices::from_json("{ \"threshold\" : 0.70 }").unwrap();
        assert_eq!(id(b"a", &stricter), id(b"a", &spaced));
        let elsewhere = SourceName::parse("acme").unwrap();
        assert_ne!(
            id(b"a", &choices),
            run_id(engine::digest::fnv1a64(b"a"), &choices, &elsewhere)
        );
        assert_eq!(id(b"", &choices).len(), 16);
        // As before uploads were spooled (ids are kept): FNV-1a of the content, then the rest.
        let named = format!("{}\u{1f}{source}", choices.canonical());
        let one_pass = engine::digest::fnv1a64(b"a,b\n".iter().chain(named.as_bytes()));
        assert_eq!(id(b"a,b\n", &choices), format!("{one_pass:016x}"));
    }
}
