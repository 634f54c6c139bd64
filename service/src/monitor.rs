//! Continuous monitoring: logins scored one at a time as they arrive, per source, against
//! everything the source has accepted before.
//!
//! Requests hand their records to one bounded queue ([`Monitor::submit`]); a full queue is
//! [`MonitorError::Busy`] at once, never a dropped record. One worker owns an
//! [`engine::Analyzer`] per source: it scores each batch's logins in time order, keeps them with
//! their verdicts in one transaction ([`MonitorStore`]) and only then answers. On start, and
//! after a failed write, a source's analyzer is rebuilt by learning its kept logins again in
//! their arrival order, so a restarted server scores the next login as one that never stopped.
//!
//! With a reorder window ([`MonitorOptions::reorder_window`]), a source's batches are gathered
//! for that long from the first of them, then scored together in time order: logins of several
//! shippers that arrive out of order within one gathering are placed in order. A login older
//! than one already scored is rejected, saying how late it is.
//!
//! Every hour, a source that accepted [`CHECKPOINT_LOGINS`] logins since its analyzer's learnt
//! state ([`LearntState`]) was last kept has it kept again, so a restarted server goes on from
//! there and learns again only the logins kept after it. With a retention period
//! ([`MonitorOptions::retention`]), a source's logins received longer ago than that are deleted
//! in the same transaction: the baselines and models stay, the raw logins go.
//!
//! With notifications configured, a source that kept logins is alerted on once the batch is kept
//! (then at most once a second): its logins of the last [`ALERT_WINDOW_MS`] (up to its latest)
//! are concluded on as a run's are, and what reaches the rules goes out once (the notification
//! log keys each incident and account).
//!
//! Each source's analyzer applies the feedback in force in it (its allow-list entries not
//! expired, and analysts' verdicts): read when the analyzer is built, before it learns the kept
//! logins again, and read again with a batch once [`FEEDBACK_REFRESH`] has passed or a change
//! was made in this process. A verdict confirming a monitored login compromised (or an attack
//! attempt) marks its address for the logins after it.
//!
//! In scale-out mode ([`Monitor::publishing`]) nothing is scored here: each request's logins are
//! published to the event log and answered `accepted` once it has kept them; the workers score
//! them with the same function, applying the feedback the same way ([`crate::partitions`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use engine::config::ConfigError;
use engine::enrich::GeoLookup;
use engine::ingest::{RecordOutcome, read_record};
use engine::{
    AccountVerdict, AnalysisConfig, Analyzer, IngestOptions, LoginEvent, RiskLevel, ScoredEvent,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::activity::{Activity, ActivityFeed};
use crate::clock::now_ms;
use crate::error::{Categorised, ErrorKind};
use crate::notify::Notifier;
pub use crate::ports::ModelFits;
use crate::ports::{
    EventLog, LearntState, LogUnavailable, MonitorStore, MonitoredLogin, PublishedLogin, StoreError,
};
use crate::source::SourceName;
pub use crate::taught::FEEDBACK_REFRESH;
use crate::taught::Taught;

/// Batches waiting to be scored at most, unless the server says otherwise.
pub const DEFAULT_QUEUE_DEPTH: usize = 64;
/// The span of a source's latest logins its alerts are drawn from.
pub const ALERT_WINDOW_MS: i64 = 24 * 3_600_000;
/// Most logins of a source its alerts are drawn from (the latest).
pub const ALERT_LOGINS: usize = 200_000;
/// How often learnt state is kept, and logins past the retention period deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Logins accepted since a source's learnt state was last kept that make it worth keeping again.
pub const CHECKPOINT_LOGINS: i64 = 10_000;
/// How often sources that kept logins are alerted on, at most.
const ALERT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a batch was not scored. Nothing of a batch that fails is kept.
#[derive(Clone, Debug, thiserror::Error)]
pub enum MonitorError {
    /// The queue is full: retry later.
    #[error("the server is busy scoring earlier events; retry shortly")]
    Busy,
    /// The body is not records in the shape its content type says.
    #[error("{0}")]
    BadBody(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// The worker is gone (the server is stopping).
    #[error("the monitor has stopped (see the server log)")]
    Stopped,
    /// Scale-out mode: the event log did not take the records; retry later.
    #[error(transparent)]
    Unavailable(#[from] LogUnavailable),
}

impl Categorised for MonitorError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadBody(_) => ErrorKind::Invalid,
            Self::Busy | Self::Storage(_) | Self::Stopped | Self::Unavailable(_) => {
                ErrorKind::Internal
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::BadBody(_) => "bad_records",
            Self::Storage(_) => "storage",
            Self::Stopped => "stopped",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// How a request's records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyShape {
    /// One JSON record per line (blank lines ignored).
    Ndjson,
    /// A JSON array of records (or a single object).
    JsonArray,
}

/// The records of a body, in order, each as the bytes of one JSON value.
pub fn split_records(body: &[u8], shape: BodyShape) -> Result<Vec<Vec<u8>>, MonitorError> {
    match shape {
        BodyShape::Ndjson => Ok(body
            .split(|byte| *byte == b'\n')
            .map(<[u8]>::trim_ascii)
            .filter(|line| !line.is_empty())
            .map(<[u8]>::to_vec)
            .collect()),
        BodyShape::JsonArray => match serde_json::from_slice(body) {
            Ok(serde_json::Value::Array(values)) => Ok(values
                .iter()
                .map(|value| value.to_string().into_bytes())
                .collect()),
            Ok(value @ serde_json::Value::Object(_)) => Ok(vec![value.to_string().into_bytes()]),
            Ok(_) => Err(MonitorError::BadBody(
                "the body must be a JSON array of records (or one record)".to_owned(),
            )),
            Err(error) => Err(MonitorError::BadBody(format!(
                "the body is not JSON: {error}; send a JSON array, or one record per line as \
                 application/x-ndjson"
            ))),
        },
    }
}

/// What became of one record of a request.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordVerdict {
    Scored {
        index: usize,
        #[serde(flatten)]
        verdict: Verdict,
    },
    /// Already received (shippers retry): the earlier verdict, nothing kept again.
    Duplicate {
        index: usize,
        #[serde(flatten)]
        verdict: Verdict,
    },
    Rejected {
        index: usize,
        reason: String,
    },
    /// Not a sign-in (another event type of a known format).
    Skipped {
        index: usize,
        reason: String,
    },
    /// Scale-out mode: kept in the event log, for a worker to score.
    Accepted {
        index: usize,
        login_id: String,
    },
}

/// A login's verdict and its account's.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub login_id: String,
    pub risk_score: f64,
    pub risk_level: RiskLevel,
    /// Strongest first.
    pub reasons: Vec<String>,
    pub account: Option<AccountVerdict>,
    pub models: ModelFits,
}

/// What monitoring did for `source`: `kept` of `logins` were new (a redelivery keeps fewer),
/// with how many of those were High or Critical.
pub fn monitored_activity(source: &SourceName, logins: &[MonitoredLogin], kept: u64) -> Activity {
    let high_or_above = logins
        .iter()
        .filter(|login| login.scored.risk_level >= RiskLevel::High)
        .count() as u64;
    Activity::Monitored {
        source: source.to_string(),
        scored: kept,
        high_or_above: high_or_above.min(kept),
    }
}

/// The fits of `analyzer`'s population models, those its next login is scored with.
fn fits_of(analyzer: &Analyzer<'_>) -> ModelFits {
    let (isolation_forest, dbscan) = analyzer.model_fits();
    ModelFits {
        isolation_forest,
        dbscan,
    }
}

/// The answer to one request: one entry per record, in request order.
#[derive(Clone, Debug, Serialize)]
pub struct Monitored {
    pub source: SourceName,
    pub results: Vec<RecordVerdict>,
}

/// What the worker is asked to do.
enum Task {
    Score(Job),
    Purge {
        received_before_ms: i64,
        reply: oneshot::Sender<Result<u64, MonitorError>>,
    },
}

struct Job {
    source: SourceName,
    records: Vec<RecordOutcome>,
    received_ms: i64,
    reply: oneshot::Sender<Result<Vec<RecordVerdict>, MonitorError>>,
}

/// A source's batches held in the reorder window, until `due`.
struct Held {
    due: tokio::time::Instant,
    jobs: Vec<Job>,
}

/// Waits until `due`, or forever without one.
async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

impl RecordVerdict {
    fn index_mut(&mut self) -> &mut usize {
        match self {
            Self::Scored { index, .. }
            | Self::Duplicate { index, .. }
            | Self::Rejected { index, .. }
            | Self::Skipped { index, .. }
            | Self::Accepted { index, .. } => index,
        }
    }
}

/// The server's monitor: a handle on the queue in front of the scoring worker, or in scale-out
/// mode on the event log the workers score from.
#[derive(Clone)]
pub struct Monitor {
    scoring: Scoring,
    counters: Arc<Counters>,
    store: Arc<dyn MonitorStore>,
}

#[derive(Clone)]
enum Scoring {
    InProcess {
        queue: mpsc::Sender<Task>,
        /// Set once the worker has rebuilt every monitored source.
        rebuilt: Arc<std::sync::atomic::AtomicBool>,
    },
    Published(Arc<dyn EventLog>),
}

/// Why the monitor is not ready to take events ([`Monitor::readiness`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    #[error("monitored sources are still being rebuilt from the database")]
    Rebuilding,
    #[error("the scoring worker has stopped")]
    Stopped,
    #[error("the database does not answer")]
    Storage,
    #[error("the event log does not answer")]
    EventLog,
}

/// How long the database has to answer a readiness check.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Upper bounds of the receipt-to-verdict histogram's buckets, in seconds.
pub const LATENCY_BUCKETS_SECS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// What the monitor has done since the server started (for `/metrics`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonitorMetrics {
    /// Records answered, by source.
    pub sources: Vec<(SourceName, SourceCounts)>,
    /// Requests refused because the queue was full.
    pub busy: u64,
    /// What each source kept of its learning, and the logins it purged, since the server
    /// started.
    pub learnt: Vec<(SourceName, LearntCounts)>,
    /// Batches waiting to be scored, and how many may.
    pub queue_depth: usize,
    pub queue_capacity: usize,
    /// Batches answered within each of [`LATENCY_BUCKETS_SECS`] (cumulative), with the sum and
    /// count of their receipt-to-verdict times.
    pub latency_buckets: [u64; LATENCY_BUCKETS_SECS.len()],
    pub latency_sum_secs: f64,
    pub latency_count: u64,
}

/// A source's learnt state as last kept, and the logins it purged since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LearntCounts {
    pub state_bytes: u64,
    pub taken_ms: i64,
    pub purged: u64,
}

/// Seconds a source's rate of records is averaged over.
pub const RATE_WINDOW_SECS: usize = 60;

/// Records of one source by how they were answered, and when the last arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceCounts {
    pub scored: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub skipped: u64,
    /// Scale-out mode: published to the event log, for a worker to score.
    pub accepted: u64,
    pub last_seen_ms: i64,
    /// Records received in each of the last [`RATE_WINDOW_SECS`] seconds, by second modulo the
    /// window, up to `recent_second` (seconds since the epoch).
    recent: [u32; RATE_WINDOW_SECS],
    recent_second: i64,
}

impl Default for SourceCounts {
    fn default() -> Self {
        Self {
            scored: 0,
            duplicate: 0,
            rejected: 0,
            skipped: 0,
            accepted: 0,
            last_seen_ms: 0,
            recent: [0; RATE_WINDOW_SECS],
            recent_second: i64::MIN,
        }
    }
}

impl SourceCounts {
    /// Counts `records` received at `received_ms` in the rate.
    fn received(&mut self, records: usize, received_ms: i64) {
        let second = received_ms.div_euclid(1000);
        let window = RATE_WINDOW_SECS as i64;
        if second > self.recent_second {
            let cleared = second.saturating_sub(self.recent_second).min(window);
            for past in 0..cleared {
                self.recent[(second - past).rem_euclid(window) as usize] = 0;
            }
            self.recent_second = second;
        }
        if self.recent_second.saturating_sub(second) < window {
            let slot = &mut self.recent[second.rem_euclid(window) as usize];
            *slot = slot.saturating_add(u32::try_from(records).unwrap_or(u32::MAX));
        }
    }

    /// Records per second received over the last [`RATE_WINDOW_SECS`] before `now_ms`.
    pub fn per_second(&self, now_ms: i64) -> f64 {
        let now = now_ms.div_euclid(1000);
        let window = RATE_WINDOW_SECS as i64;
        let earliest = now - window + 1;
        let kept_from = self.recent_second.saturating_sub(window - 1);
        let received: u64 = (earliest.max(kept_from)..=self.recent_second)
            .filter(|second| *second <= now)
            .map(|second| u64::from(self.recent[second.rem_euclid(window) as usize]))
            .sum();
        received as f64 / window as f64
    }
}

#[derive(Default)]
struct Counters {
    sources: std::sync::Mutex<std::collections::BTreeMap<SourceName, SourceCounts>>,
    learnt: std::sync::Mutex<std::collections::BTreeMap<SourceName, LearntCounts>>,
    busy: std::sync::atomic::AtomicU64,
    latency: std::sync::Mutex<([u64; LATENCY_BUCKETS_SECS.len()], f64, u64)>,
}

impl Counters {
    fn answered(
        &self,
        source: &SourceName,
        results: &[RecordVerdict],
        received_ms: i64,
        secs: f64,
    ) {
        {
            let mut sources = self
                .sources
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let counts = sources.entry(source.clone()).or_default();
            for result in results {
                match result {
                    RecordVerdict::Scored { .. } => counts.scored += 1,
                    RecordVerdict::Duplicate { .. } => counts.duplicate += 1,
                    RecordVerdict::Rejected { .. } => counts.rejected += 1,
                    RecordVerdict::Skipped { .. } => counts.skipped += 1,
                    RecordVerdict::Accepted { .. } => counts.accepted += 1,
                }
            }
            counts.last_seen_ms = counts.last_seen_ms.max(received_ms);
            counts.received(results.len(), received_ms);
        }
        let mut latency = self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (bucket, bound) in latency.0.iter_mut().zip(LATENCY_BUCKETS_SECS) {
            *bucket += u64::from(secs <= bound);
        }
        latency.1 += secs;
        latency.2 += 1;
    }
}

/// How the monitor queues and orders what it receives.
#[derive(Clone, Copy, Debug)]
pub struct MonitorOptions {
    /// Batches waiting to be scored at most (at least one); as many may be held in the reorder
    /// window besides, per source.
    pub queue_depth: usize,
    /// How long a source's batches are gathered, from the first of them, before they are scored
    /// together in time order; zero scores each batch as it comes.
    pub reorder_window: Duration,
    /// How long received logins are kept (zero: for ever); what was learnt from them stays.
    pub retention: Duration,
}

/// The longest reorder window: each held batch waits that long for its answer.
pub const MAX_REORDER_WINDOW: Duration = Duration::from_secs(60);

impl Monitor {
    /// Starts the worker (on the current tokio runtime), which first rebuilds every monitored
    /// source from `store`. At most `queue_depth` batches wait (at least one). Each kept batch
    /// is told on `activity` (the live dashboard follows it) and, with a `notifier`, alerted on.
    pub fn start(
        config: AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
        store: Arc<dyn MonitorStore>,
        queue_depth: usize,
        activity: ActivityFeed,
        notifier: Option<Arc<dyn Notifier>>,
    ) -> Result<Self, ConfigError> {
        let options = MonitorOptions {
            queue_depth,
            reorder_window: Duration::ZERO,
            retention: Duration::ZERO,
        };
        Self::start_with(config, geo, store, options, activity, notifier)
    }

    /// [`Self::start`] with a reorder window.
    pub fn start_with(
        config: AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
        store: Arc<dyn MonitorStore>,
        options: MonitorOptions,
        activity: ActivityFeed,
        notifier: Option<Arc<dyn Notifier>>,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        let queue_depth = options.queue_depth.max(1);
        let reorder_window = options.reorder_window.min(MAX_REORDER_WINDOW);
        let retention_ms = i64::try_from(options.retention.as_millis()).unwrap_or(i64::MAX);
        let (queue, mut tasks) = mpsc::channel::<Task>(queue_depth);
        let counters = Arc::<Counters>::default();
        let rebuilt = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker_rebuilt = Arc::clone(&rebuilt);
        let mut worker = Worker {
            counters: Arc::clone(&counters),
            config,
            geo,
            store: Arc::clone(&store),
            sources: HashMap::new(),
            activity,
            alerting: notifier.map(|notifier| Alerting {
                notifier,
                due: std::collections::BTreeSet::new(),
                sending: HashMap::new(),
                drawn: HashMap::new(),
            }),
        };
        tokio::spawn(async move {
            worker.rebuild_all().await;
            worker_rebuilt.store(true, std::sync::atomic::Ordering::Release);
            let mut alert_tick = tokio::time::interval(ALERT_EVERY);
            alert_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut purge_tick = tokio::time::interval(PURGE_EVERY);
            purge_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut held: BTreeMap<SourceName, Held> = BTreeMap::new();
            loop {
                let due = held.values().map(|held| held.due).min();
                tokio::select! {
                    task = tasks.recv() => {
                        let job = match task {
                            None => break,
                            Some(Task::Score(job)) => job,
                            Some(Task::Purge { received_before_ms, reply }) => {
                                let _ = reply.send(worker.purge(received_before_ms).await);
                                continue;
                            }
                        };
                        if reorder_window.is_zero() {
                            worker.answer(job.source.clone(), vec![job]).await;
                            worker.alert_due(false);
                            continue;
                        }
                        let source = job.source.clone();
                        let waiting = held.entry(source.clone()).or_insert_with(|| Held {
                            due: tokio::time::Instant::now() + reorder_window,
                            jobs: Vec::new(),
                        });
                        waiting.jobs.push(job);
                        if waiting.jobs.len() >= queue_depth
                            && let Some(full) = held.remove(&source)
                        {
                            worker.answer(source, full.jobs).await;
                            worker.alert_due(false);
                        }
                    }
                    () = sleep_until(due) => {
                        let now = tokio::time::Instant::now();
                        let ripe: Vec<SourceName> = held
                            .iter()
                            .filter(|(_, held)| held.due <= now)
                            .map(|(source, _)| source.clone())
                            .collect();
                        for source in ripe {
                            if let Some(ripe) = held.remove(&source) {
                                worker.answer(source, ripe.jobs).await;
                            }
                        }
                        worker.alert_due(false);
                    }
                    _ = alert_tick.tick() => worker.alert_due(true),
                    _ = purge_tick.tick() => {
                        let before_ms = if retention_ms > 0 {
                            now_ms().saturating_sub(retention_ms)
                        } else {
                            i64::MIN
                        };
                        if let Err(error) = worker.purge(before_ms).await {
                            tracing::warn!(%error, "purging logins past the retention period failed; retrying in an hour");
                        }
                    }
                }
            }
            for (source, waiting) in held {
                worker.answer(source, waiting.jobs).await;
            }
        });
        Ok(Self {
            scoring: Scoring::InProcess { queue, rebuilt },
            counters,
            store,
        })
    }

    /// Scale-out mode: records are read here and their logins published to `log`, for the
    /// workers to score and keep in `store` (read back for the dashboard).
    pub fn publishing(log: Arc<dyn EventLog>, store: Arc<dyn MonitorStore>) -> Self {
        Self {
            scoring: Scoring::Published(log),
            counters: Arc::default(),
            store,
        }
    }

    /// The verdicts of `source`'s monitored logins from `from_ms` until before `to_ms` (their
    /// own time), the latest `limit` of them, in time order.
    pub async fn between(
        &self,
        source: &SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<ScoredEvent>, StoreError> {
        self.store
            .monitored_between(source, from_ms, to_ms, limit)
            .await
    }

    /// Whether events sent now are scored at once: every source rebuilt, the worker running
    /// and the database answering (within two seconds).
    pub async fn readiness(&self) -> Result<(), NotReady> {
        match &self.scoring {
            Scoring::InProcess { queue, rebuilt } => {
                if queue.is_closed() {
                    return Err(NotReady::Stopped);
                }
                if !rebuilt.load(std::sync::atomic::Ordering::Acquire) {
                    return Err(NotReady::Rebuilding);
                }
            }
            Scoring::Published(log) => {
                if !matches!(
                    tokio::time::timeout(READINESS_TIMEOUT, log.reachable()).await,
                    Ok(Ok(()))
                ) {
                    return Err(NotReady::EventLog);
                }
            }
        }
        match tokio::time::timeout(READINESS_TIMEOUT, self.store.reachable()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(NotReady::Storage),
        }
    }

    /// Deletes, in every source, the logins received before `received_before_ms` (as the
    /// retention period does hourly), keeping first what the source's analyzer has learnt; how
    /// many were deleted. In scale-out mode nothing is kept here to delete.
    pub async fn purge(&self, received_before_ms: i64) -> Result<u64, MonitorError> {
        let Scoring::InProcess { queue, .. } = &self.scoring else {
            return Ok(0);
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(Task::Purge {
                received_before_ms,
                reply,
            })
            .await
            .map_err(|_| MonitorError::Stopped)?;
        answer.await.map_err(|_| MonitorError::Stopped)?
    }

    /// What the monitor has done since it started.
    pub fn metrics(&self) -> MonitorMetrics {
        let sources = self
            .counters
            .sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(source, counts)| (source.clone(), *counts))
            .collect();
        let (latency_buckets, latency_sum_secs, latency_count) = *self
            .counters
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let learnt = self
            .counters
            .learnt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(source, counts)| (source.clone(), *counts))
            .collect();
        let (queue_depth, queue_capacity) = match &self.scoring {
            Scoring::InProcess { queue, .. } => (
                queue.max_capacity() - queue.capacity(),
                queue.max_capacity(),
            ),
            Scoring::Published(_) => (0, 0),
        };
        MonitorMetrics {
            sources,
            learnt,
            busy: self
                .counters
                .busy
                .load(std::sync::atomic::Ordering::Relaxed),
            queue_depth,
            queue_capacity,
            latency_buckets,
            latency_sum_secs,
            latency_count,
        }
    }

    /// Reads `records` (each one JSON value), scores them in `source` and keeps the accepted
    /// ones before answering; [`MonitorError::Busy`] at once when the queue is full.
    pub async fn submit(
        &self,
        source: SourceName,
        records: Vec<Vec<u8>>,
    ) -> Result<Monitored, MonitorError> {
        let options = IngestOptions::default();
        let records = records
            .iter()
            .map(|record| read_record(record, &options))
            .collect();
        self.submit_read(source, records).await
    }

    /// [`Self::submit`] for records already read (a syslog listener reads its own lines).
    pub async fn submit_read(
        &self,
        source: SourceName,
        records: Vec<RecordOutcome>,
    ) -> Result<Monitored, MonitorError> {
        let received_ms = now_ms();
        let received = std::time::Instant::now();
        let queue = match &self.scoring {
            Scoring::InProcess { queue, .. } => queue,
            Scoring::Published(log) => {
                let results = publish(log.as_ref(), &source, records, received_ms).await?;
                self.counters.answered(
                    &source,
                    &results,
                    received_ms,
                    received.elapsed().as_secs_f64(),
                );
                return Ok(Monitored { source, results });
            }
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            source: source.clone(),
            records,
            received_ms,
            reply,
        };
        queue
            .try_send(Task::Score(job))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => {
                    self.counters
                        .busy
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    MonitorError::Busy
                }
                mpsc::error::TrySendError::Closed(_) => MonitorError::Stopped,
            })?;
        let results = answer.await.map_err(|_| MonitorError::Stopped)??;
        self.counters.answered(
            &source,
            &results,
            received_ms,
            received.elapsed().as_secs_f64(),
        );
        Ok(Monitored { source, results })
    }
}

/// Publishes the logins of `records` to `log` in time order, answering each record once the log
/// has kept them all: nothing is accepted when it does not answer.
async fn publish(
    log: &dyn EventLog,
    source: &SourceName,
    records: Vec<RecordOutcome>,
    received_ms: i64,
) -> Result<Vec<RecordVerdict>, MonitorError> {
    let mut results = Vec::with_capacity(records.len());
    let mut logins = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        results.push(match record {
            RecordOutcome::Event(login) => {
                let login_id = login.login_id();
                logins.push(PublishedLogin {
                    source: source.clone(),
                    login_id: login_id.clone(),
                    received_ms,
                    login: *login,
                });
                RecordVerdict::Accepted { index, login_id }
            }
            RecordOutcome::Rejected(reason) => RecordVerdict::Rejected { index, reason },
            RecordOutcome::Skipped(kind) => RecordVerdict::Skipped {
                index,
                reason: format!("not a sign-in ({kind})"),
            },
        });
    }
    logins.sort_by_key(|published| published.login.timestamp_ms);
    if !logins.is_empty() {
        log.publish(&logins).await?;
    }
    Ok(results)
}

/// What the monitor holds of one source.
struct Watched {
    analyzer: Analyzer<'static>,
    /// The feedback `analyzer` applies.
    taught: Taught,
    next_sequence: i64,
    /// Every accepted login by user, in arrival order (for the account's verdict).
    by_user: HashMap<Arc<str>, Vec<ScoredEvent>>,
    /// Where each accepted login is in `by_user`, and the models it was scored with, by login
    /// id.
    by_id: HashMap<String, (Arc<str>, usize, ModelFits)>,
    /// Each accepted login's sequence, when it was received, and its id, in arrival order.
    arrivals: VecDeque<(i64, i64, String)>,
    /// The last login the kept learnt state had learnt (0: none kept).
    learnt_through: i64,
}

impl Watched {
    fn new(analyzer: Analyzer<'static>) -> Self {
        Self {
            analyzer,
            taught: Taught::default(),
            next_sequence: 1,
            by_user: HashMap::new(),
            by_id: HashMap::new(),
            arrivals: VecDeque::new(),
            learnt_through: 0,
        }
    }

    fn remember(&mut self, kept: &MonitoredLogin) {
        let scored = &kept.scored;
        let logins = self.by_user.entry(Arc::clone(&scored.user_id)).or_default();
        self.by_id.insert(
            kept.login_id.clone(),
            (Arc::clone(&scored.user_id), logins.len(), kept.models),
        );
        logins.push(scored.clone());
        self.arrivals
            .push_back((kept.sequence, kept.received_ms, kept.login_id.clone()));
    }

    /// The sequence of the last of the oldest logins received before `before_ms` (in arrival
    /// order, up to the first received later), if any.
    fn purgeable_through(&self, before_ms: i64) -> Option<i64> {
        self.arrivals
            .iter()
            .take_while(|(_, received_ms, _)| *received_ms < before_ms)
            .last()
            .map(|(sequence, _, _)| *sequence)
    }

    /// Forgets the logins up to sequence `through` (each user's oldest).
    fn forget_through(&mut self, through: i64) {
        let mut forgotten: HashMap<Arc<str>, usize> = HashMap::new();
        while let Some((_, _, login_id)) = self
            .arrivals
            .pop_front_if(|(sequence, _, _)| *sequence <= through)
        {
            if let Some((user, _, _)) = self.by_id.remove(&login_id) {
                *forgotten.entry(user).or_default() += 1;
            }
        }
        for (user, count) in &forgotten {
            if let Some(logins) = self.by_user.get_mut(user) {
                logins.drain(..(*count).min(logins.len()));
                if logins.is_empty() {
                    self.by_user.remove(user);
                }
            }
        }
        for (user, at, _) in self.by_id.values_mut() {
            if let Some(count) = forgotten.get(user) {
                *at -= count;
            }
        }
    }

    /// The latest `limit` of the logins of the last `span_ms` up to the latest, in time order.
    fn latest(&self, span_ms: i64, limit: usize) -> Vec<ScoredEvent> {
        // Each user's logins were accepted in time order: the last is their latest.
        let Some(latest_ms) = self
            .by_user
            .values()
            .filter_map(|logins| logins.last().map(|login| login.timestamp_ms))
            .max()
        else {
            return Vec::new();
        };
        let mut events: Vec<ScoredEvent> = self
            .by_user
            .values()
            .flatten()
            .filter(|login| login.timestamp_ms > latest_ms - span_ms)
            .cloned()
            .collect();
        events.sort_by_key(|login| (login.timestamp_ms, login.row));
        events.split_off(events.len().saturating_sub(limit))
    }

    fn verdict(&self, login_id: &str, config: &AnalysisConfig) -> Option<Verdict> {
        let (user, at, models) = self.by_id.get(login_id)?;
        let logins = self.by_user.get(user)?;
        let scored = logins.get(*at)?;
        let account = engine::account_verdicts(logins, &config.accounts, &config.risk)
            .into_iter()
            .next();
        Some(Verdict {
            login_id: login_id.to_owned(),
            risk_score: scored.risk_score,
            risk_level: scored.risk_level,
            reasons: scored
                .findings
                .iter()
                .map(engine::Finding::explained)
                .collect(),
            account,
            models: *models,
        })
    }
}

struct Worker {
    counters: Arc<Counters>,
    config: AnalysisConfig,
    geo: Arc<dyn GeoLookup + Send>,
    store: Arc<dyn MonitorStore>,
    sources: HashMap<SourceName, Watched>,
    activity: ActivityFeed,
    alerting: Option<Alerting>,
}

/// Sources to alert on, and the alerts being drawn up or sent (one at a time per source).
struct Alerting {
    notifier: Arc<dyn Notifier>,
    due: std::collections::BTreeSet<SourceName>,
    sending: HashMap<SourceName, tokio::task::JoinHandle<()>>,
    /// When each source's alerts were last drawn up: at most once per [`ALERT_EVERY`].
    drawn: HashMap<SourceName, std::time::Instant>,
}

impl Worker {
    /// Draws up and sends the alerts of each source that kept logins since its last alerts: at
    /// once after a batch, unless the source's were drawn up less than a second ago (then on the
    /// next `tick`, which comes every second); a source whose alerts are still going out waits.
    fn alert_due(&mut self, tick: bool) {
        let Some(alerting) = self.alerting.as_mut() else {
            return;
        };
        alerting.sending.retain(|_, sending| !sending.is_finished());
        let now = std::time::Instant::now();
        let due: Vec<SourceName> = alerting
            .due
            .iter()
            .filter(|source| !alerting.sending.contains_key(*source))
            .filter(|source| {
                alerting
                    .drawn
                    .get(*source)
                    .is_none_or(|drawn| tick || now.duration_since(*drawn) >= ALERT_EVERY)
            })
            .cloned()
            .collect();
        for source in due {
            alerting.due.remove(&source);
            alerting.drawn.insert(source.clone(), now);
            let Some(watched) = self.sources.get(&source) else {
                continue;
            };
            let events = watched.latest(ALERT_WINDOW_MS, ALERT_LOGINS);
            let notifier = Arc::clone(&alerting.notifier);
            let config = self.config.clone();
            let named = source.clone();
            let sending = tokio::task::spawn_blocking(move || {
                let about = crate::notify::Alerted::Monitored(&named);
                if let Some(alerts) = notifier.prepare(about, &events, &config) {
                    tracing::info!(source = %named, alerts = alerts.count, "sending monitored alerts");
                    (alerts.send)();
                }
            });
            alerting.sending.insert(source, sending);
        }
    }

    async fn rebuild_all(&mut self) {
        let sources = match self.store.monitored_sources().await {
            Ok(sources) => sources,
            // Each source is rebuilt when it is next used instead.
            Err(_) => return,
        };
        for source in sources {
            if let Ok(watched) = self.rebuild(&source).await {
                self.sources.insert(source, watched);
            }
        }
    }

    /// A source's analyzer after learning its kept logins again, in their arrival order, from
    /// its learnt state if its oldest were purged, with the feedback in force now.
    async fn rebuild(&self, source: &SourceName) -> Result<Watched, StoreError> {
        let learnt = self.store.learnt_state(source).await?;
        let kept = self.store.monitored(source).await?;
        let resumed = learnt.as_ref().and_then(|learnt| {
            Analyzer::resume_shared(self.config.clone(), Arc::clone(&self.geo), &learnt.state)
                .inspect_err(|error| {
                    tracing::warn!(%source, %error, "the learnt state of purged logins cannot be read; learning again from the logins kept");
                })
                .ok()
                .map(|analyzer| (analyzer, learnt.through_sequence))
        });
        let (analyzer, learnt_through) = resumed.unwrap_or_else(|| {
            let fresh = Analyzer::shared(self.config.clone(), Arc::clone(&self.geo))
                .expect("the settings were checked when the monitor started");
            (fresh, 0)
        });
        let mut watched = Watched::new(analyzer);
        watched
            .taught
            .refresh(&mut watched.analyzer, self.store.as_ref(), source)
            .await?;
        // Sequences go on after every login ever kept, purged ones included.
        watched.next_sequence = learnt.map_or(0, |learnt| learnt.through_sequence) + 1;
        watched.learnt_through = learnt_through;
        for login in kept {
            if login.sequence > learnt_through {
                // Kept logins were accepted in this order, so none is out of order; the models
                // are fitted again as they were.
                let _ = watched.analyzer.score(&login.login);
            }
            watched.next_sequence = watched.next_sequence.max(login.sequence + 1);
            watched.remember(&login);
        }
        tracing::info!(%source, logins = watched.by_id.len(), learnt_through, "monitored source rebuilt");
        Ok(watched)
    }

    /// Deletes every source's logins received before `before_ms` (each source's oldest, in
    /// arrival order), keeping first what its analyzer has learnt; keeps it too where
    /// [`CHECKPOINT_LOGINS`] were accepted since it was last kept. How many were deleted.
    async fn purge(&mut self, before_ms: i64) -> Result<u64, MonitorError> {
        let mut purged = 0;
        for (source, watched) in &mut self.sources {
            let learnt_through = watched.next_sequence - 1;
            let through = watched.purgeable_through(before_ms);
            if through.is_none() && learnt_through - watched.learnt_through < CHECKPOINT_LOGINS {
                continue;
            }
            let learnt = LearntState {
                through_sequence: learnt_through,
                taken_ms: now_ms(),
                state: watched.analyzer.learnt_state(),
            };
            let through = through.unwrap_or(0);
            let deleted = self.store.purge_monitored(source, &learnt, through).await?;
            watched.forget_through(through);
            watched.learnt_through = learnt_through;
            {
                let mut learnt_counts = self
                    .counters
                    .learnt
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let counts = learnt_counts.entry(source.clone()).or_default();
                counts.state_bytes = learnt.state.len() as u64;
                counts.taken_ms = learnt.taken_ms;
                counts.purged += deleted;
            }
            tracing::info!(%source, deleted, learnt_through, state_bytes = learnt.state.len(), "kept what the source learnt");
            purged += deleted;
        }
        Ok(purged)
    }

    /// Scores the records of `jobs` (batches of one source) together, in time order, and
    /// answers each batch for its own records.
    async fn answer(&mut self, source: SourceName, jobs: Vec<Job>) {
        let mut records = Vec::new();
        let mut replies = Vec::new();
        for job in jobs {
            replies.push((job.reply, job.records.len()));
            records.extend(
                job.records
                    .into_iter()
                    .map(|record| (record, job.received_ms)),
            );
        }
        match self.score(source, records).await {
            Ok(verdicts) => {
                let mut verdicts = verdicts.into_iter();
                for (reply, count) in replies {
                    let answer: Vec<RecordVerdict> = verdicts
                        .by_ref()
                        .take(count)
                        .enumerate()
                        .map(|(index, mut verdict)| {
                            *verdict.index_mut() = index;
                            verdict
                        })
                        .collect();
                    // The client may have gone; what was kept stays kept.
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(error) => {
                for (reply, _) in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// Scores one source's records (each with when it was received) in time order; one answer
    /// per record, in their order.
    async fn score(
        &mut self,
        source: SourceName,
        records: Vec<(RecordOutcome, i64)>,
    ) -> Result<Vec<RecordVerdict>, MonitorError> {
        if !self.sources.contains_key(&source) {
            let watched = self.rebuild(&source).await?;
            self.sources.insert(source.clone(), watched);
        }
        let Some(watched) = self.sources.get_mut(&source) else {
            return Err(MonitorError::Stopped);
        };
        watched
            .taught
            .refresh(&mut watched.analyzer, self.store.as_ref(), &source)
            .await?;
        let mut answers: Vec<Option<RecordVerdict>> = vec![None; records.len()];
        let mut logins: Vec<(usize, LoginEvent, i64)> = Vec::new();
        for (index, (record, received_ms)) in records.into_iter().enumerate() {
            match record {
                RecordOutcome::Event(login) => logins.push((index, *login, received_ms)),
                RecordOutcome::Rejected(reason) => {
                    answers[index] = Some(RecordVerdict::Rejected { index, reason });
                }
                RecordOutcome::Skipped(kind) => {
                    answers[index] = Some(RecordVerdict::Skipped {
                        index,
                        reason: format!("not a sign-in ({kind})"),
                    });
                }
            }
        }
        logins.sort_by_key(|(_, login, _)| login.timestamp_ms);
        let mut kept = Vec::new();
        let mut scored_at = Vec::new();
        for (index, login, received_ms) in logins {
            let login_id = login.login_id();
            if let Some(verdict) = watched.verdict(&login_id, &self.config) {
                answers[index] = Some(RecordVerdict::Duplicate { index, verdict });
                continue;
            }
            match score_in_order(
                &mut watched.analyzer,
                login,
                watched.next_sequence,
                login_id.clone(),
                received_ms,
            ) {
                Ok(login) => {
                    watched.next_sequence += 1;
                    watched.remember(&login);
                    kept.push(login);
                    scored_at.push((index, login_id));
                }
                Err(late) => {
                    answers[index] = Some(RecordVerdict::Rejected {
                        index,
                        reason: late_reason(&late, &source),
                    });
                }
            }
        }
        if !kept.is_empty()
            && let Err(error) = self.store.keep_monitored(&source, &kept).await
        {
            // The analyzer learnt logins that were not kept: learn again from what was.
            self.sources.remove(&source);
            return Err(error.into());
        }
        if !kept.is_empty()
            && let Some(alerting) = self.alerting.as_mut()
        {
            alerting.due.insert(source.clone());
        }
        if !kept.is_empty() {
            self.activity
                .send(monitored_activity(&source, &kept, kept.len() as u64));
        }
        let Some(watched) = self.sources.get(&source) else {
            return Err(MonitorError::Stopped);
        };
        for (index, login_id) in scored_at {
            if let Some(verdict) = watched.verdict(&login_id, &self.config) {
                answers[index] = Some(RecordVerdict::Scored { index, verdict });
            }
        }
        Ok(answers
            .into_iter()
            .enumerate()
            .map(|(index, answer)| {
                answer.unwrap_or_else(|| RecordVerdict::Rejected {
                    index,
                    reason: "internal error: the record was not answered".to_owned(),
                })
            })
            .collect())
    }
}

/// Scores `login` as the `sequence`th of its source (its row), against everything `analyzer`
/// learnt before, and learns from it: what the monitor and the scale-out workers keep of it.
pub(crate) fn score_in_order(
    analyzer: &mut Analyzer<'static>,
    mut login: LoginEvent,
    sequence: i64,
    login_id: String,
    received_ms: i64,
) -> Result<MonitoredLogin, engine::OutOfOrder> {
    login.row = u64::try_from(sequence).unwrap_or(u64::MAX);
    let models = fits_of(analyzer);
    let scored = analyzer.score(&login)?;
    Ok(MonitoredLogin {
        sequence,
        login_id,
        received_ms,
        login,
        scored,
        models,
    })
}

/// Why a login older than one already scored in `source` is rejected.
pub(crate) fn late_reason(late: &engine::OutOfOrder, source: &SourceName) -> String {
    format!(
        "arrived {} late: {} is before {}, the latest login already scored in source {source}; \
         logins must arrive in time order",
        late_by(late.latest_ms - late.timestamp_ms),
        engine::time::format_utc(late.timestamp_ms),
        engine::time::format_utc(late.latest_ms),
    )
}

/// "3 s", "2 min 5 s", "1 h 4 min".
fn late_by(late_ms: i64) -> String {
    let secs = late_ms.max(0).saturating_add(999) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_monitor::MemoryMonitorStore;
    use crate::ports::FeedbackStore;
    use crate::triage::{AllowListEntry, TriageRecord};

    fn start(store: Arc<MemoryMonitorStore>, queue_depth: usize) -> Monitor {
        Monitor::start(
            AnalysisConfig::default(),
            Arc::new(engine::enrich::NoGeolocation),
            store,
            queue_depth,
            ActivityFeed::default(),
            None,
        )
        .unwrap()
    }

    fn login(minute: u32, user: &str, ip: &str) -> Vec<u8> {
        format!(
            r#"{{"timestamp":"2026-03-01T{:02}:{:02}:00Z","user_id":"{user}","ip_address":"{ip}","user_agent":"Mozilla/5.0 (Windows NT 10.0)","success":true}}"#,
            minute / 60,
            minute % 60
        )
        .into_bytes()
    }

    /// A working week of one user's logins from two offices.
    fn history() -> Vec<Vec<u8>> {
        (0..40)
            .map(|minute| {
                let ip = if minute % 3 == 0 {
                    "198.51.100.7"
                } else {
                    "198.51.100.9"
                };
                login(minute * 20, "ana", ip)
            })
            .collect()
    }

    async fn submit(monitor: &Monitor, records: Vec<Vec<u8>>) -> Vec<serde_json::Value> {
        let answer = monitor
            .submit(SourceName::default(), records)
            .await
            .unwrap();
        answer
            .results
            .iter()
            .map(|result| serde_json::to_value(result).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn every_record_is_answered_in_request_order() {
        let monitor = start(Arc::default(), 4);
        let answers = submit(
            &monitor,
            vec![
                login(10, "ana", "198.51.100.7"),
                b"{\"nothing\": 1}".to_vec(),
                login(5, "bob", "198.51.100.8"),
                login(10, "ana", "198.51.100.7"),
            ],
        )
        .await;
        let statuses: Vec<_> = answers
            .iter()
            .map(|answer| answer["status"].clone())
            .collect();
        assert_eq!(statuses, ["scored", "rejected", "scored", "duplicate"]);
        for (index, answer) in answers.iter().enumerate() {
            assert_eq!(answer["index"], index);
        }
        assert_eq!(answers[3]["login_id"], answers[0]["login_id"]);
        assert_eq!(answers[3]["risk_score"], answers[0]["risk_score"]);
        assert_eq!(answers[0]["account"]["user_id"], "ana");
    }

    #[tokio::test]
    async fn a_login_older_than_one_scored_is_rejected_saying_how_late() {
        let monitor = start(Arc::default(), 4);
        submit(&monitor, vec![login(65, "ana", "198.51.100.7")]).await;
        let late = submit(&monitor, vec![login(60, "bob", "198.51.100.7")]).await;
        assert_eq!(late[0]["status"], "rejected");
        let reason = late[0]["reason"].as_str().unwrap();
        assert!(reason.contains("arrived 5 min 0 s late"), "{reason}");
        // Retried after the rejection, it is still not a duplicate: it was never kept.
        let again = submit(&monitor, vec![login(60, "bob", "198.51.100.7")]).await;
        assert_eq!(again[0]["status"], "rejected");
    }

    #[test]
    fn a_sources_rate_is_its_records_of_the_last_minute() {
        let mut counts = SourceCounts::default();
        let at = |second: i64| 1_772_409_600_000 + second * 1000;
        counts.received(30, at(0));
        counts.received(60, at(30));
        counts.received(30, at(30));
        assert_eq!(counts.per_second(at(30)), 2.0);
        assert_eq!(counts.per_second(at(59)), 2.0);
        assert_eq!(
            counts.per_second(at(60)),
            1.5,
            "the first 30 have left the minute"
        );
        counts.received(6, at(100));
        assert_eq!(
            counts.per_second(at(100)),
            0.1,
            "the earlier ones are cleared"
        );
        assert_eq!(counts.per_second(at(200)), 0.0);
        counts.received(60, at(99));
        assert_eq!(
            counts.per_second(at(100)),
            1.1,
            "a batch received a second late counts"
        );
    }

    /// Two shippers' batches that arrive out of order within the reorder window are scored
    /// together in time order, each answered for its own records; past the window, an older
    /// login is late again.
    #[tokio::test]
    async fn batches_held_in_the_reorder_window_are_scored_in_time_order() {
        let store = Arc::new(MemoryMonitorStore::default());
        let options = MonitorOptions {
            queue_depth: 4,
            reorder_window: Duration::from_millis(300),
            retention: Duration::ZERO,
        };
        let monitor = Monitor::start_with(
            AnalysisConfig::default(),
            Arc::new(engine::enrich::NoGeolocation),
            Arc::clone(&store) as Arc<dyn MonitorStore>,
            options,
            ActivityFeed::default(),
            None,
        )
        .unwrap();
        let (newer, older) = tokio::join!(
            submit(
                &monitor,
                vec![
                    login(70, "ana", "198.51.100.7"),
                    login(72, "bo", "198.51.100.8")
                ]
            ),
            submit(&monitor, vec![login(65, "cy", "198.51.100.9")]),
        );
        let statuses = |answers: &[serde_json::Value]| -> Vec<(u64, String)> {
            answers
                .iter()
                .map(|answer| {
                    (
                        answer["index"].as_u64().unwrap(),
                        answer["status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        assert_eq!(
            statuses(&newer),
            [(0, "scored".to_owned()), (1, "scored".to_owned())]
        );
        assert_eq!(statuses(&older), [(0, "scored".to_owned())]);
        let source = SourceName::default();
        let users: Vec<String> = store
            .kept_in(&source)
            .iter()
            .map(|kept| kept.login.user_id.to_string())
            .collect();
        assert_eq!(users, ["cy", "ana", "bo"], "kept in time order");

        let late = submit(&monitor, vec![login(60, "dee", "198.51.100.7")]).await;
        assert_eq!(late[0]["status"], "rejected");
        assert!(
            late[0]["reason"]
                .as_str()
                .unwrap()
                .contains("arrived 12 min 0 s late"),
            "{late:?}"
        );
    }

    #[tokio::test]
    async fn a_restarted_monitor_scores_the_next_login_as_one_that_never_stopped() {
        let next = || vec![login(790, "ana", "203.0.113.50")];
        let kept = Arc::new(MemoryMonitorStore::default());
        submit(&start(Arc::clone(&kept), 4), history()).await;
        let restarted = submit(&start(kept, 4), next()).await;

        let running = start(Arc::default(), 4);
        submit(&running, history()).await;
        let never_stopped = submit(&running, next()).await;
        assert_eq!(restarted, never_stopped);
        assert_eq!(restarted[0]["status"], "scored");
    }

    #[tokio::test]
    async fn each_verdict_names_the_model_fits_it_was_scored_with() {
        let kept = Arc::new(MemoryMonitorStore::default());
        let monitor = start(Arc::clone(&kept), 4);
        // 700 logins of 70 people: past the population models' warm-up (512 logins).
        let logins = crowd(0..700);
        let answers = submit(&monitor, logins.clone()).await;
        let fits = |answer: &serde_json::Value| {
            (
                answer["models"]["isolation_forest"].as_u64().unwrap(),
                answer["models"]["dbscan"].as_u64().unwrap(),
            )
        };
        assert_eq!(fits(&answers[0]), (0, 0));
        let last = fits(&answers[699]);
        assert!(last.0 >= 1 && last.1 >= 1, "{last:?}");
        // Fits only ever move forward.
        assert!(answers.windows(2).all(|pair| {
            let (before, after) = (fits(&pair[0]), fits(&pair[1]));
            before.0 <= after.0 && before.1 <= after.1
        }));
        // Kept with each login; a retry answers the same, and so does a restarted monitor.
        let stored = kept.kept_in(&SourceName::default())[699].models;
        assert_eq!(
            (u64::from(stored.isolation_forest), u64::from(stored.dbscan)),
            last
        );
        let retried = submit(&monitor, vec![logins[699].clone()]).await;
        assert_eq!(
            (retried[0]["status"].clone(), fits(&retried[0])),
            ("duplicate".into(), last)
        );
        let restarted = submit(&start(kept, 4), vec![logins[699].clone()]).await;
        assert_eq!(fits(&restarted[0]), last);
    }

    /// Logins of 70 people at one minute each, from their own addresses.
    fn crowd(minutes: std::ops::Range<u32>) -> Vec<Vec<u8>> {
        minutes
            .map(|minute| {
                let user = format!("user{}", minute % 70);
                login(minute, &user, &format!("198.51.100.{}", minute % 70))
            })
            .collect()
    }

    #[tokio::test]
    async fn purged_logins_leave_what_was_learnt_from_them() {
        // Past the population models' warm-up, then a few people from a network new to them.
        let next = || {
            (0..5)
                .map(|user| login(900 + user, &format!("user{user}"), "203.0.113.50"))
                .collect::<Vec<_>>()
        };
        let kept = Arc::new(MemoryMonitorStore::default());
        let monitor = start(Arc::clone(&kept), 4);
        submit(&monitor, crowd(0..600)).await;
        assert_eq!(monitor.purge(now_ms() + 1).await.unwrap(), 600);
        assert_eq!(kept.kept_logins(), 0);
        let learnt = monitor.metrics().learnt;
        assert_eq!(learnt.len(), 1);
        assert_eq!(learnt[0].1.purged, 600);
        assert!(learnt[0].1.state_bytes > 10_000, "{learnt:?}");
        submit(&monitor, crowd(600..700)).await;
        // A restarted monitor goes on from the learnt state and the 100 logins kept after it.
        let restarted = submit(&start(Arc::clone(&kept), 4), next()).await;
        assert_eq!(kept.kept_logins(), 105);

        let running = start(Arc::default(), 4);
        submit(&running, crowd(0..700)).await;
        let never_purged = submit(&running, next()).await;
        let risk = |answers: &[serde_json::Value]| -> Vec<serde_json::Value> {
            answers
                .iter()
                .map(|answer| {
                    serde_json::json!([
                        answer["status"],
                        answer["risk_score"],
                        answer["reasons"],
                        answer["models"]
                    ])
                })
                .collect()
        };
        assert_eq!(risk(&restarted), risk(&never_purged));
        assert!(
            restarted[0]["risk_score"].as_f64().unwrap() > 0.0,
            "{restarted:?}"
        );
        assert!(restarted[0]["models"]["isolation_forest"].as_u64().unwrap() >= 1);
        // Nothing is purged twice; a purged login sent again is late, not new.
        assert_eq!(monitor.purge(now_ms() - 60_000).await.unwrap(), 0);
        let again = submit(&monitor, crowd(0..1)).await;
        assert_eq!(again[0]["status"], "rejected");
    }

    /// A login from `country` (as the log reports it), `minute` minutes into March 2026.
    fn login_in(minute: u32, user: &str, ip: &str, country: &str) -> Vec<u8> {
        format!(
            r#"{{"timestamp":"2026-03-{:02}T{:02}:{:02}:00Z","user_id":"{user}","ip_address":"{ip}","user_agent":"Mozilla/5.0 (Windows NT 10.0)","success":true,"country":"{country}"}}"#,
            minute / 1440 + 1,
            minute / 60 % 24,
            minute % 60
        )
        .into_bytes()
    }

    fn reasons(answer: &serde_json::Value) -> Vec<String> {
        answer["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|reason| reason.as_str().unwrap().to_owned())
            .collect()
    }

    fn allow_entry(id: &str, kind: &str, value: &str, reason: &str) -> AllowListEntry {
        AllowListEntry {
            id: id.to_owned(),
            source: SourceName::default(),
            kind: kind.to_owned(),
            value: value.to_owned(),
            user: None,
            reason: reason.to_owned(),
            expires_ms: None,
            created_ms: 0,
            actor: "admin".to_owned(),
        }
    }

    fn verdict(login: &[u8], kind: engine::VerdictKind) -> TriageRecord {
        let engine::ingest::RecordOutcome::Event(login) =
            read_record(login, &IngestOptions::default())
        else {
            panic!("not a login");
        };
        TriageRecord {
            source: SourceName::default(),
            login_id: login.login_id(),
            verdict: kind,
            comment: String::new(),
            actor: "analyst".to_owned(),
            at_ms: 0,
        }
    }

    /// Allow-list entries and verdicts kept while a source is monitored apply to its next
    /// logins: here read again at once, as after a change made through this process' service.
    #[tokio::test]
    async fn allow_list_entries_and_verdicts_apply_to_the_next_monitored_logins() {
        let kept = Arc::new(MemoryMonitorStore::default());
        let monitor = start(Arc::clone(&kept), 4);
        // A week of four people's logins from their own addresses in Norway.
        let routine = (0..160)
            .map(|at| {
                let user = ["ana", "bo", "cy", "dee"][at as usize % 4];
                login_in(at * 60, user, &format!("198.51.100.{}", at % 4 + 7), "NO")
            })
            .collect();
        submit(&monitor, routine).await;
        let suppressed = |answer: &serde_json::Value, by: &str| {
            let by = format!("(suppressed by allow-list: {by})");
            reasons(answer).iter().any(|reason| reason.ends_with(&by))
        };

        // A country new to ana, from a network then allow-listed: bo's first login from it is
        // vouched for (a Low login shows only its suppressed findings).
        let office = "office VPN 203.0.113.0/24";
        let before = submit(
            &monitor,
            vec![login_in(10_000, "ana", "203.0.113.50", "DE")],
        )
        .await;
        assert!(!suppressed(&before[0], office), "{before:?}");
        kept.save_allow(allow_entry("AL-1", "cidr", "203.0.113.0/24", "office VPN"))
            .await
            .unwrap();
        crate::taught::feedback_changed();
        let after = submit(&monitor, vec![login_in(10_001, "bo", "203.0.113.51", "DE")]).await;
        assert!(suppressed(&after[0], office), "{after:?}");

        // A country, likewise: cy's trip to Brazil before the entry, dee's after it.
        let trip = "travel country BR";
        let before = submit(&monitor, vec![login_in(10_002, "cy", "177.10.20.30", "BR")]).await;
        assert!(!suppressed(&before[0], trip), "{before:?}");
        kept.save_allow(allow_entry("AL-2", "country", "BR", "travel"))
            .await
            .unwrap();
        crate::taught::feedback_changed();
        let after = submit(
            &monitor,
            vec![login_in(10_003, "dee", "177.10.20.31", "BR")],
        )
        .await;
        assert!(suppressed(&after[0], trip), "{after:?}");

        // A login confirmed compromised after it was scored marks its address for later logins
        // of any account; once the verdict no longer stands, the address is not marked.
        let stolen = login_in(10010, "ana", "192.0.2.66", "NO");
        let marked = |answer: &serde_json::Value| {
            reasons(answer).iter().any(|reason| {
                reason.contains("the address of a login confirmed compromised on ana's account")
            })
        };
        let first = submit(
            &monitor,
            vec![stolen.clone(), login_in(10011, "cy", "192.0.2.66", "NO")],
        )
        .await;
        assert!(!marked(&first[1]), "{first:?}");
        kept.record_triage(verdict(&stolen, engine::VerdictKind::ConfirmedCompromised))
            .await
            .unwrap();
        crate::taught::feedback_changed();
        let next = submit(&monitor, vec![login_in(10012, "dee", "192.0.2.66", "NO")]).await;
        assert!(marked(&next[0]), "{next:?}");
        assert!(
            matches!(next[0]["risk_level"].as_str(), Some("High" | "Critical")),
            "{next:?}"
        );

        // A restarted monitor learns the kept logins again with the feedback in force.
        let restarted = start(Arc::clone(&kept), 4);
        let again = submit(&restarted, vec![login_in(10013, "bo", "192.0.2.66", "NO")]).await;
        assert!(marked(&again[0]), "{again:?}");

        kept.record_triage(verdict(&stolen, engine::VerdictKind::Dismissed))
            .await
            .unwrap();
        crate::taught::feedback_changed();
        let dismissed = submit(&monitor, vec![login_in(10014, "bo", "192.0.2.66", "NO")]).await;
        assert!(!marked(&dismissed[0]), "{dismissed:?}");
    }

    #[tokio::test]
    async fn unreadable_learnt_state_is_learnt_again_from_the_logins_kept_in_new_sequences() {
        let kept = Arc::new(MemoryMonitorStore::default());
        submit(&start(Arc::clone(&kept), 4), crowd(0..50)).await;
        let source = SourceName::default();
        let damaged = |through_sequence| LearntState {
            through_sequence,
            taken_ms: 0,
            state: vec![0x7f, 1, 2],
        };
        assert_eq!(
            kept.purge_monitored(&source, &damaged(50), 40)
                .await
                .unwrap(),
            40
        );
        let answers = submit(&start(Arc::clone(&kept), 4), crowd(50..51)).await;
        assert_eq!(answers[0]["status"], "scored", "{answers:?}");
        // Everything purged: the next login still follows the purged ones.
        assert_eq!(
            kept.purge_monitored(&source, &damaged(51), 51)
                .await
                .unwrap(),
            11
        );
        submit(&start(Arc::clone(&kept), 4), crowd(51..52)).await;
        let sequences: Vec<i64> = kept
            .kept_in(&source)
            .iter()
            .map(|login| login.sequence)
            .collect();
        assert_eq!(sequences, [52]);
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_and_drops_nothing_it_took() {
        let store = Arc::new(MemoryMonitorStore::gated());
        let monitor = start(Arc::clone(&store), 1);
        let first = tokio::spawn({
            let monitor = monitor.clone();
            async move {
                monitor
                    .submit(SourceName::default(), vec![login(1, "ana", "198.51.100.7")])
                    .await
            }
        });
        // The worker holds the first batch (waiting on the store), the second waits in the queue.
        settle().await;
        let second = tokio::spawn({
            let monitor = monitor.clone();
            async move {
                monitor
                    .submit(SourceName::default(), vec![login(2, "bob", "198.51.100.7")])
                    .await
            }
        });
        settle().await;
        let third = monitor
            .submit(SourceName::default(), vec![login(3, "cy", "198.51.100.7")])
            .await;
        assert!(matches!(third, Err(MonitorError::Busy)), "{third:?}");

        store.let_through(2);
        assert!(first.await.unwrap().is_ok());
        assert!(second.await.unwrap().is_ok());
        let kept = store.kept_in(&SourceName::default()).len();
        assert_eq!(kept, 2);
    }

    /// Lets every other task on the (single-threaded) test runtime run until it waits.
    async fn settle() {
        for _ in 0..32 {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn bodies_split_into_records() {
        let ndjson = split_records(b"{\"a\":1}\n\n  {\"b\":2}\r\n", BodyShape::Ndjson).unwrap();
        assert_eq!(ndjson, [b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        let array = split_records(b"[{\"a\":1},{\"b\":2}]", BodyShape::JsonArray).unwrap();
        assert_eq!(array.len(), 2);
        assert!(matches!(
            split_records(b"[{\"a\":1}", BodyShape::JsonArray),
            Err(MonitorError::BadBody(_))
        ));
    }
}
