//! `skytrace worker`: scores the logins `skytrace serve --nats` publishes, partition by
//! partition. Each second the worker notes itself live in the database, renews its partition
//! leases and takes or lets go of partitions until it holds its share (the partition count
//! divided by the live workers, rounded up); a lease not renewed for [`LEASE_MS`] is free to
//! take. For each partition it holds, it resumes the partition's checkpoint, reads the stream
//! on from the sequence the checkpoint reflects, keeps each verdict once (by login id), acks
//! the messages only then, and keeps a new checkpoint every [`CHECKPOINT_EVERY`]. Before each
//! batch it reads the feedback in force in the batch's sources again once
//! [`service::monitor::FEEDBACK_REFRESH`] has passed.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use engine::AnalysisConfig;
use engine::enrich::GeoLookup;
use futures_util::StreamExt;
use service::activity::Announcement;
use service::clock::now_ms;
use service::monitor::{ALERT_LOGINS, ALERT_WINDOW_MS, monitored_activity};
use service::notify::{AlertNotifier, Alerted, Notifier};
use service::partitions::{LogMessage, PARTITIONS, PartitionScorer, partition_subjects};
use service::ports::{MonitorStore, MonitoredLogin, PartitionStore, PublishedLogin};
use service::source::SourceName;
use store::Store;

use crate::cli::WorkerArgs;
use crate::event_log;

/// How long a lease lasts without renewal: a dead worker's partitions are taken after it.
pub const LEASE_MS: i64 = 5_000;
/// How often leases are renewed and the partitions balanced.
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// How often a partition's checkpoint is kept while it has scored logins since the last.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// Messages fetched at most at a time, and how long a fetch waits for them.
const FETCH_BATCH: usize = 500;
const FETCH_WAIT: Duration = Duration::from_millis(500);
/// How long a message may go unacknowledged before it is delivered again (the worker reads on
/// from its own position after a failure, so this only bounds a stalled consumer).
const ACK_WAIT: Duration = Duration::from_secs(60);
/// How often the holder of partition 0 deletes verdicts past the retention period.
const PURGE_EVERY: Duration = Duration::from_secs(3_600);
/// How often sources with new verdicts are alerted on, at most.
const ALERT_EVERY: Duration = Duration::from_secs(1);

pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    if !super::serve::is_postgres(&args.database) {
        anyhow::bail!(
            "skytrace worker needs the PostgreSQL database shared with the servers and the other \
             workers (--database postgres://…); SQLite cannot be shared between processes"
        );
    }
    let config = super::load_config(args.config.as_deref())?;
    config.check()?;
    let geo: Arc<dyn GeoLookup + Send> = Arc::from(super::lookup::open_for(&args.geo)?);
    let notifications = crate::config_file::notifications(args.config.as_deref())?
        .filter(alerts::NotificationsConfig::has_channels);
    let worker_id = args
        .worker_id
        .clone()
        .unwrap_or_else(crate::activity_relay::process_name);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let store = Arc::new(Store::open(&args.database).await?);
            let partitions = store.prepare_partitions(PARTITIONS).await?;
            if partitions != PARTITIONS {
                anyhow::bail!(
                    "the database holds leases of {partitions} partitions, this build has \
                     {PARTITIONS}: every worker of an installation must be the same build"
                );
            }
            let client = event_log::connect(&args.nats)
                .await
                .with_context(|| format!("cannot connect to NATS at {}", args.nats))?;
            let progress = Arc::new(Progress::default());
            let alerting = notifications.map(|notifications| {
                let notifier: Arc<dyn Notifier> =
                    Arc::new(AlertNotifier::new(notifications, store.clone()));
                let (due, waiting) = tokio::sync::mpsc::unbounded_channel();
                tokio::spawn(alert(notifier, Arc::clone(&store), config.clone(), waiting));
                due
            });
            let scoring = Arc::new(Scoring {
                worker_id: worker_id.clone(),
                alerting,
                config,
                geo,
                store: Arc::clone(&store),
                jetstream: event_log::context(client.clone()),
                progress: Arc::clone(&progress),
                reorder_window: Duration::from_millis(args.reorder_window_ms),
            });
            if let Some(addr) = args.listen {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                tokio::spawn(serve_probes(listener, store, client, progress));
                tracing::info!(%addr, "worker health, readiness and metrics on /healthz, /readyz, /metrics");
            }
            tracing::info!(worker = %worker_id, partitions = PARTITIONS, "scoring worker started");
            let mut leases = Leases {
                worker_id,
                scoring,
                owned: BTreeMap::new(),
                renewed: Instant::now(),
                retention_ms: i64::from(args.retention_days) * 86_400_000,
                purged: None,
            };
            let mut tick = tokio::time::interval(RENEW_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let shutdown = super::serve::shutdown_signal();
            tokio::pin!(shutdown);
            loop {
                tokio::select! {
                    _ = tick.tick() => leases.balance().await,
                    () = &mut shutdown => break,
                }
            }
            leases.release_all().await;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        })
}

/// What every partition's scoring shares.
struct Scoring {
    /// This worker's name, as its announcements say.
    worker_id: String,
    /// With notifications: where sources that kept new verdicts are told, with their latest
    /// login's time.
    alerting: Option<tokio::sync::mpsc::UnboundedSender<(SourceName, i64)>>,
    config: AnalysisConfig,
    geo: Arc<dyn GeoLookup + Send>,
    store: Arc<Store>,
    jetstream: jetstream::Context,
    progress: Arc<Progress>,
    /// How long logins are gathered before they are scored together in time order (zero: each
    /// fetch is scored in log order at once).
    reorder_window: Duration,
}

impl Scoring {
    /// Tells the servers' open pages of new verdicts (`inserted` of `logins` were new).
    async fn announce_verdicts(
        &self,
        source: &SourceName,
        logins: &[MonitoredLogin],
        inserted: u64,
    ) {
        let announcement = Announcement {
            origin: self.worker_id.clone(),
            activity: monitored_activity(source, logins, inserted),
        };
        // Pages refetch on the next announcement; a missed one is not worth a retry.
        let _ = self.store.announce(&announcement).await;
    }
}

/// A partition being scored: told to stop through `stop`, then it keeps a checkpoint.
struct Owned {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The partitions this worker holds, and their leases.
struct Leases {
    worker_id: String,
    scoring: Arc<Scoring>,
    owned: BTreeMap<u32, Owned>,
    /// When the leases were last renewed.
    renewed: Instant,
    /// How long verdicts are kept (0: for ever), and when they were last purged.
    retention_ms: i64,
    purged: Option<Instant>,
}

impl Leases {
    /// Renews the leases and takes or lets go of partitions until this worker holds its share;
    /// stops scoring partitions whose lease it lost.
    async fn balance(&mut self) {
        if let Err(error) = self.try_balance().await {
            tracing::warn!(%error, "cannot renew the partition leases");
            if self.renewed.elapsed() > Duration::from_millis(LEASE_MS.unsigned_abs()) {
                // Other workers may take these partitions now.
                for (partition, owned) in std::mem::take(&mut self.owned) {
                    owned.task.abort();
                    self.scoring.progress.forget(partition);
                }
            }
        }
        self.purge_when_due();
    }

    /// One worker, the holder of partition 0, deletes the verdicts past the retention period.
    fn purge_when_due(&mut self) {
        let due = self
            .purged
            .is_none_or(|purged| purged.elapsed() >= PURGE_EVERY);
        if self.retention_ms == 0 || !self.owned.contains_key(&0) || !due {
            return;
        }
        self.purged = Some(Instant::now());
        let store = Arc::clone(&self.scoring.store);
        let before_ms = now_ms().saturating_sub(self.retention_ms);
        tokio::spawn(async move {
            match store.purge_verdicts_received_before(before_ms).await {
                Ok(deleted) => {
                    tracing::info!(deleted, "verdicts past the retention period deleted");
                }
                Err(error) => {
                    tracing::warn!(%error, "purging verdicts past the retention period failed; retrying in an hour");
                }
            }
        });
    }

    async fn try_balance(&mut self) -> Result<(), service::ports::StoreError> {
        let store = Arc::clone(&self.scoring.store);
        let now = now_ms();
        let live = store
            .heartbeat(&self.worker_id, now, now + LEASE_MS)
            .await?;
        let held = store.renew_leases(&self.worker_id, now + LEASE_MS).await?;
        self.renewed = Instant::now();
        let lost: Vec<u32> = self
            .owned
            .keys()
            .filter(|partition| !held.contains(partition))
            .copied()
            .collect();
        for partition in lost {
            tracing::warn!(
                partition,
                "lease lost: another worker scores the partition now"
            );
            if let Some(owned) = self.owned.remove(&partition) {
                owned.task.abort();
            }
            self.scoring.progress.forget(partition);
        }
        for partition in held {
            if !self.owned.contains_key(&partition) {
                self.start(partition);
            }
        }
        let share = PARTITIONS.div_ceil(u32::try_from(live.max(1)).unwrap_or(PARTITIONS)) as usize;
        while self.owned.len() > share {
            let Some((partition, owned)) = self.owned.pop_last() else {
                break;
            };
            stop(partition, owned).await;
            store.release_lease(partition, &self.worker_id).await?;
            self.scoring.progress.forget(partition);
            tracing::info!(partition, live, "partition let go to balance the workers");
        }
        if self.owned.len() < share {
            for partition in store.free_partitions(now).await? {
                if self.owned.len() >= share {
                    break;
                }
                if store
                    .take_lease(partition, &self.worker_id, now, now + LEASE_MS)
                    .await?
                {
                    tracing::info!(partition, live, "partition taken");
                    self.start(partition);
                }
            }
        }
        Ok(())
    }

    fn start(&mut self, partition: u32) {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(score_partition(
            partition,
            Arc::clone(&self.scoring),
            stopping,
        ));
        self.owned.insert(partition, Owned { stop, task });
    }

    /// Stops every partition (each keeps its checkpoint) and lets its lease go.
    async fn release_all(&mut self) {
        for (partition, owned) in std::mem::take(&mut self.owned) {
            stop(partition, owned).await;
            if let Err(error) = self
                .scoring
                .store
                .release_lease(partition, &self.worker_id)
                .await
            {
                tracing::warn!(partition, %error, "cannot let the lease go; it expires");
            }
        }
    }
}

/// Asks a partition's scoring to stop and waits for its checkpoint (at most a lease's time).
async fn stop(partition: u32, owned: Owned) {
    let _ = owned.stop.send(true);
    let mut task = owned.task;
    let lease = Duration::from_millis(LEASE_MS.unsigned_abs());
    if tokio::time::timeout(lease, &mut task).await.is_err() {
        tracing::warn!(
            partition,
            "the partition did not stop in time; stopped without a checkpoint"
        );
        task.abort();
    }
}

/// Scores one partition until told to stop; after a failure (NATS or the database) it goes on
/// from the partition's checkpoint.
async fn score_partition(
    partition: u32,
    scoring: Arc<Scoring>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match follow(partition, &scoring, &mut stopping).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(
                    partition,
                    error = format!("{error:#}"),
                    "partition scoring failed; resuming from its checkpoint"
                );
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stopping.changed() => return,
                }
            }
        }
    }
}

/// Resumes the partition's checkpoint and scores the stream on from it until told to stop
/// (keeping a checkpoint then).
async fn follow(
    partition: u32,
    scoring: &Scoring,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let store = &scoring.store;
    let checkpoint = store.checkpoint(partition).await?;
    let mut scorer =
        PartitionScorer::resume(scoring.config.clone(), Arc::clone(&scoring.geo), checkpoint)?;
    let from = scorer.through_sequence();
    tracing::info!(partition, from, "scoring partition");
    let stream = event_log::ensure_stream(&scoring.jetstream).await?;
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: partition_subjects(partition),
            deliver_policy: if from == 0 {
                DeliverPolicy::All
            } else {
                DeliverPolicy::ByStartSequence {
                    start_sequence: from + 1,
                }
            },
            ack_policy: AckPolicy::Explicit,
            ack_wait: ACK_WAIT + scoring.reorder_window,
            inactive_threshold: ACK_WAIT + scoring.reorder_window,
            ..Default::default()
        })
        .await?;
    let mut checkpointed = Instant::now();
    let mut unkept = false;
    let mut gathered = Gathered::default();
    loop {
        let stop = *stopping.borrow();
        if stop && gathered.messages.is_empty() {
            if unkept {
                store
                    .keep_checkpoint(partition, &scorer.checkpoint(now_ms()))
                    .await?;
            }
            return Ok(());
        }
        if !stop {
            let wait = gathered
                .until_due(scoring.reorder_window)
                .map_or(FETCH_WAIT, |due| {
                    due.clamp(Duration::from_millis(10), FETCH_WAIT)
                });
            let mut fetched = consumer
                .fetch()
                .max_messages(FETCH_BATCH)
                .expires(wait)
                .messages()
                .await?;
            while let Some(message) = fetched.next().await {
                let message = message.map_err(|error| anyhow::anyhow!(error))?;
                let info = message.info().map_err(|error| anyhow::anyhow!(error))?;
                gathered.lag = info.pending;
                let sequence = info.stream_sequence;
                match serde_json::from_slice::<PublishedLogin>(&message.payload) {
                    Ok(login) => gathered.messages.push(LogMessage { sequence, login }),
                    Err(error) => {
                        tracing::warn!(partition, sequence, %error, "a message of the log is not a login; passed over");
                    }
                }
                gathered.delivered.push(message);
                gathered.since.get_or_insert_with(Instant::now);
            }
            // Within the reorder window, gather on (a stopping worker scores what it has).
            if gathered.until_due(scoring.reorder_window).is_some() {
                continue;
            }
        }
        let Gathered {
            messages,
            delivered,
            lag,
            ..
        } = std::mem::take(&mut gathered);
        if !messages.is_empty() {
            let kept = kept_sequences(store, &messages).await?;
            scorer.refresh_feedback(&messages, store.as_ref()).await?;
            let batch = if scoring.reorder_window.is_zero() {
                scorer.score(messages, &kept)
            } else {
                scorer.score_reordered(messages, &kept)
            };
            let mut new = 0;
            for (source, logins) in &batch.new {
                let inserted = store.keep_new_verdicts(source, logins).await?;
                if inserted > 0 {
                    scoring.announce_verdicts(source, logins, inserted).await;
                }
                // Redelivered logins kept before were alerted on then.
                if inserted > 0
                    && let Some(alerting) = &scoring.alerting
                    && let Some(latest_ms) =
                        logins.iter().map(|login| login.login.timestamp_ms).max()
                {
                    let _ = alerting.send((source.clone(), latest_ms));
                }
                new += inserted;
            }
            for (source, reason) in &batch.late {
                tracing::warn!(partition, %source, %reason, "login rejected");
            }
            scoring.progress.scored(
                partition,
                scorer.through_sequence(),
                lag,
                new,
                batch.duplicates + batch.late.len(),
            );
            unkept = true;
        } else {
            scoring
                .progress
                .scored(partition, scorer.through_sequence(), lag, 0, 0);
        }
        // Only once the verdicts are kept: a message not acked is delivered again.
        for message in delivered {
            if let Err(error) = message.ack().await {
                tracing::debug!(partition, %error, "ack not sent; the message is passed over when delivered again");
            }
        }
        if unkept && checkpointed.elapsed() >= CHECKPOINT_EVERY {
            store
                .keep_checkpoint(partition, &scorer.checkpoint(now_ms()))
                .await?;
            checkpointed = Instant::now();
            unkept = false;
        }
    }
}

/// Messages fetched and not scored yet: with a reorder window, those of the window so far.
#[derive(Default)]
struct Gathered {
    messages: Vec<LogMessage>,
    delivered: Vec<jetstream::Message>,
    /// The partition's messages in the stream after the last one fetched.
    lag: u64,
    /// When the first of them arrived.
    since: Option<Instant>,
}

impl Gathered {
    /// How long until the gathered messages are to be scored; `None` when they are due now (or
    /// there are none and no window).
    fn until_due(&self, window: Duration) -> Option<Duration> {
        let since = self.since?;
        window
            .checked_sub(since.elapsed())
            .filter(|left| !left.is_zero())
    }
}

/// Alerts on each source told of, at most once per [`ALERT_EVERY`]: its kept logins of the
/// [`ALERT_WINDOW_MS`] up to its latest (every partition's, as the database holds them) are
/// concluded on as the single-process monitor does, and the notification log in the shared
/// database keeps an incident from going out twice.
async fn alert(
    notifier: Arc<dyn Notifier>,
    store: Arc<Store>,
    config: AnalysisConfig,
    mut due: tokio::sync::mpsc::UnboundedReceiver<(SourceName, i64)>,
) {
    let mut latest: BTreeMap<SourceName, i64> = BTreeMap::new();
    let mut tick = tokio::time::interval(ALERT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            told = due.recv() => {
                let Some((source, latest_ms)) = told else {
                    return;
                };
                let at = latest.entry(source).or_insert(latest_ms);
                *at = (*at).max(latest_ms);
            }
            _ = tick.tick() => {
                for (source, latest_ms) in std::mem::take(&mut latest) {
                    let from = latest_ms.saturating_sub(ALERT_WINDOW_MS) + 1;
                    let events = match store
                        .monitored_between(&source, from, i64::MAX, ALERT_LOGINS)
                        .await
                    {
                        Ok(events) => events,
                        Err(error) => {
                            tracing::warn!(%source, %error, "cannot read the logins to alert on");
                            continue;
                        }
                    };
                    let notifier = Arc::clone(&notifier);
                    let config = config.clone();
                    let sent = tokio::task::spawn_blocking(move || {
                        if let Some(alerts) =
                            notifier.prepare(Alerted::Monitored(&source), &events, &config)
                        {
                            tracing::info!(%source, alerts = alerts.count, "sending monitored alerts");
                            (alerts.send)();
                        }
                    })
                    .await;
                    if let Err(error) = sent {
                        tracing::error!(%error, "alerting failed");
                    }
                }
            }
        }
    }
}

/// The sequences the messages' logins were kept under before, by source and login id.
async fn kept_sequences(
    store: &Store,
    messages: &[LogMessage],
) -> Result<HashMap<(SourceName, String), i64>, service::ports::StoreError> {
    let mut by_source: BTreeMap<&SourceName, Vec<String>> = BTreeMap::new();
    for message in messages {
        by_source
            .entry(&message.login.source)
            .or_default()
            .push(message.login.login_id.clone());
    }
    let mut kept = HashMap::new();
    for (source, login_ids) in by_source {
        for (login_id, sequence) in store.kept_sequences(source, &login_ids).await? {
            kept.insert((source.clone(), login_id), sequence);
        }
    }
    Ok(kept)
}

/// One figure of a partition's progress.
type Figure = fn(&PartitionProgress) -> u64;

/// Each held partition's position, for /metrics.
#[derive(Default)]
struct Progress {
    partitions: Mutex<BTreeMap<u32, PartitionProgress>>,
}

#[derive(Clone, Copy, Default)]
struct PartitionProgress {
    /// The last message learnt.
    through_sequence: u64,
    /// Messages of the partition in the stream after the last one fetched.
    lag: u64,
    /// Verdicts this worker kept (new ones only).
    verdicts: u64,
    /// Messages passed over: published again, or older than one already scored.
    passed_over: u64,
}

impl Progress {
    fn scored(&self, partition: u32, through: u64, lag: u64, verdicts: u64, passed_over: usize) {
        let mut partitions = self
            .partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let progress = partitions.entry(partition).or_default();
        progress.through_sequence = through;
        progress.lag = lag;
        progress.verdicts += verdicts;
        progress.passed_over += passed_over as u64;
    }

    fn forget(&self, partition: u32) {
        self.partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&partition);
    }

    /// The Prometheus text format of every held partition's figures.
    fn exposition(&self) -> String {
        use std::fmt::Write;
        let partitions = self
            .partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut text = format!(
            "# HELP skytrace_worker_partitions Partitions this worker holds.\n\
             # TYPE skytrace_worker_partitions gauge\nskytrace_worker_partitions {}\n",
            partitions.len()
        );
        let families: [(&str, &str, &str, Figure); 4] = [
            (
                "skytrace_worker_partition_lag",
                "gauge",
                "Messages of the partition in the stream not fetched yet.",
                |progress| progress.lag,
            ),
            (
                "skytrace_worker_partition_sequence",
                "gauge",
                "The stream sequence of the partition's last message learnt.",
                |progress| progress.through_sequence,
            ),
            (
                "skytrace_worker_verdicts_total",
                "counter",
                "Verdicts kept by this worker since it took the partition.",
                |progress| progress.verdicts,
            ),
            (
                "skytrace_worker_passed_over_total",
                "counter",
                "Messages passed over: published again, or older than one already scored.",
                |progress| progress.passed_over,
            ),
        ];
        for (name, kind, help, value) in families {
            let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (partition, progress) in &partitions {
                let _ = writeln!(
                    text,
                    "{name}{{partition=\"{partition}\"}} {}",
                    value(progress)
                );
            }
        }
        text
    }
}

/// `/healthz` (the process answers), `/readyz` (NATS connected and the database answering)
/// and `/metrics`.
async fn serve_probes(
    listener: tokio::net::TcpListener,
    store: Arc<Store>,
    client: async_nats::Client,
    progress: Arc<Progress>,
) {
    use axum::http::StatusCode;
    use axum::routing::get;

    let router = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                if client.connection_state() != async_nats::connection::State::Connected {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not ready: NATS is not connected",
                    );
                }
                match tokio::time::timeout(Duration::from_secs(2), store.reachable()).await {
                    Ok(Ok(())) => (StatusCode::OK, "ready"),
                    _ => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not ready: the database does not answer",
                    ),
                }
            }),
        )
        .route(
            "/metrics",
            get(move || async move { progress.exposition() }),
        );
    if let Err(error) = axum::serve(listener, router).await {
        tracing::error!(%error, "the worker's probe listener stopped");
    }
}
