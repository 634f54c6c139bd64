//! What a new analysis learns from first: the logins other kept runs of its source hold. They are
//! held in memory run by run (a run this server scored shares its logins with its view), so an
//! upload does not read up to a million kept logins back from the database and decode them
//! while fifty others wait. Each use lists the source's kept runs (one small query): runs kept,
//! replaced or deleted since — also by another server on the same database — are read in or let
//! go, so what is learnt is what the database holds. A source with more than
//! [`HELD_HISTORY_LOGINS`] kept logins is read from the database each time, as before.
//!
//! Learning a million logins again for each upload takes seconds too, so what an analysis has
//! learnt from a large history is kept as well ([`engine::Learnt`], one per source, up to a day
//! before the analysis' first login): the next analysis whose history starts with the same
//! logins, in the same order, with the same settings and feedback, starts from it and learns
//! only the rest. Its scores are those of learning everything again (tested).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use engine::{AnalysisConfig, Feedback, Learnt, LoginEvent};

use crate::error::RunError;
use crate::ports::{RunStamp, RunStore};
use crate::source::SourceName;

/// Kept logins held in memory for history across sources at most (about 0.35 KB each; runs
/// whose view is held share them).
pub const HELD_HISTORY_LOGINS: usize = 1_500_000;

/// Earlier logins learnt at least, before what was learnt is kept for the next analysis; and
/// logins learnt since, at least, before it is replaced.
pub const LEARNT_AHEAD_FROM: usize = 20_000;
/// What is kept of an analysis' learning ends this long before its first login, so that uploads
/// overlapping in time by up to a day (small exports, shippers) still start from it.
pub const KEPT_LAG_MS: i64 = 24 * 3_600_000;
/// Sources whose learning is kept at once (the most recent).
const MAX_CHECKPOINTS: usize = 4;

/// One kept run's logins, ready to be learnt from.
struct HeldRun {
    source: SourceName,
    created_ms: i64,
    /// In input order (by record), as kept.
    logins: Arc<[LoginEvent]>,
    /// Indices into `logins` in time order (ties in input order).
    by_time: Box<[u32]>,
    /// Each login's [`LoginEvent::login_key`], by index.
    keys: Box<[u64]>,
    last_used: AtomicU64,
}

impl HeldRun {
    fn new(source: SourceName, created_ms: i64, logins: Arc<[LoginEvent]>) -> Self {
        let mut by_time: Vec<u32> = (0..logins.len() as u32).collect();
        by_time.sort_by_key(|&index| (logins[index as usize].timestamp_ms, index));
        let keys = logins.iter().map(LoginEvent::login_key).collect();
        Self {
            source,
            created_ms,
            logins,
            by_time: by_time.into(),
            keys,
            last_used: AtomicU64::new(0),
        }
    }
}

/// The earlier logins one analysis learns from, in the order it learns them.
pub struct Earlier {
    runs: Vec<Arc<HeldRun>>,
    /// (run, login index), in learning order.
    picks: Vec<(u32, u32)>,
}

impl Earlier {
    pub fn none() -> Self {
        Self {
            runs: Vec::new(),
            picks: Vec::new(),
        }
    }

    /// Logins read from the database for this one analysis.
    fn read(logins: Vec<LoginEvent>, source: &SourceName) -> Self {
        let picks = (0..logins.len() as u32).map(|index| (0, index)).collect();
        Self {
            runs: vec![Arc::new(HeldRun::new(source.clone(), 0, logins.into()))],
            picks,
        }
    }

    pub fn len(&self) -> usize {
        self.picks.len()
    }

    /// How many of the logins come before `before_ms` (they are in time order).
    fn count_before(&self, before_ms: i64) -> usize {
        self.picks.partition_point(|&(run, index)| {
            self.runs[run as usize].logins[index as usize].timestamp_ms < before_ms
        })
    }

    /// Tells apart the sequences of the first `count` logins (by their ids, in order; FNV-1a
    /// over whole keys).
    fn sequence_print(&self, count: usize) -> u64 {
        self.picks[..count]
            .iter()
            .fold(0xcbf2_9ce4_8422_2325, |print: u64, &(run, index)| {
                (print ^ self.runs[run as usize].keys[index as usize])
                    .wrapping_mul(0x0000_0100_0000_01b3)
            })
    }

    pub fn is_empty(&self) -> bool {
        self.picks.is_empty()
    }

    /// The logins, in learning order.
    pub fn logins(&self) -> Vec<&LoginEvent> {
        self.picks
            .iter()
            .map(|&(run, index)| &self.runs[run as usize].logins[index as usize])
            .collect()
    }
}

/// What was learnt from the first `logins` of a source's history.
struct Checkpoint {
    source: SourceName,
    geolocation: bool,
    /// [`Earlier::sequence_print`] of what was learnt.
    sequence: u64,
    learnt: Arc<Learnt>,
}

/// Where an analysis starts: what was learnt before (and how many of its earlier logins that
/// covers), or nothing.
pub struct Start {
    pub learnt: Arc<Learnt>,
    pub covers: usize,
}

/// Login keys ([`LoginEvent::login_key`]: already hashes, spread by one multiplication rather
/// than hashed again — a history of a million logins is deduplicated on every upload).
type KeySet = HashSet<u64, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Kept runs' logins held for history, by run id, and what was learnt from them.
pub struct KeptHistory {
    held: Mutex<HashMap<String, Arc<HeldRun>>>,
    checkpoints: Mutex<Vec<Checkpoint>>,
    learnt_ahead_from: usize,
    /// At most this many logins held ([`HELD_HISTORY_LOGINS`]).
    max_held: usize,
    /// Known sizes of runs (logins) by id and stamp, held or not: a source past the limit is not
    /// read in again and again to find out.
    sizes: Mutex<HashMap<String, (i64, usize)>>,
    uses: AtomicU64,
}

impl Default for KeptHistory {
    fn default() -> Self {
        Self::holding(HELD_HISTORY_LOGINS, LEARNT_AHEAD_FROM)
    }
}

impl KeptHistory {
    /// Holding up to `max_held` logins, and keeping what is learnt once histories reach
    /// `learnt_ahead_from` (tests use small ones).
    pub fn holding(max_held: usize, learnt_ahead_from: usize) -> Self {
        Self {
            held: Mutex::default(),
            checkpoints: Mutex::default(),
            learnt_ahead_from: learnt_ahead_from.max(1),
            max_held,
            sizes: Mutex::default(),
            uses: AtomicU64::default(),
        }
    }

    /// Lets go of every held login and what was learnt from them; analyses read them from the
    /// store again when they need them.
    pub fn let_go_of_everything(&self) {
        self.let_go_of_learnt();
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Lets go of what was learnt from kept logins; analyses learn it again when they need it.
    pub fn let_go_of_learnt(&self) {
        self.checkpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// What an analysis in `source` with these settings, geolocation choice and feedback may
    /// start from, given its `earlier` logins and the instant of its first login.
    pub fn start(
        &self,
        source: &SourceName,
        config: &AnalysisConfig,
        geolocation: bool,
        feedback: &Feedback,
        earlier: &Earlier,
        first_ms: i64,
    ) -> Option<Start> {
        let checkpoints = self
            .checkpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let checkpoint = checkpoints.iter().find(|checkpoint| {
            checkpoint.source == *source
                && checkpoint.geolocation == geolocation
                && checkpoint.learnt.logins() <= earlier.len()
                && checkpoint.learnt.through_ms() <= first_ms
                && checkpoint.learnt.config() == config
                && checkpoint.learnt.feedback() == feedback
        })?;
        let covers = checkpoint.learnt.logins();
        (earlier.sequence_print(covers) == checkpoint.sequence).then(|| Start {
            learnt: Arc::clone(&checkpoint.learnt),
            covers,
        })
    }

    /// The instant before which what an analysis starting from `start` learns of `earlier` is
    /// worth keeping, when it is: [`KEPT_LAG_MS`] before its first login (at `first_ms`), if
    /// enough logins beyond `start` come before that.
    pub fn keep_before(
        &self,
        earlier: &Earlier,
        start: Option<&Start>,
        first_ms: i64,
    ) -> Option<i64> {
        let before_ms = first_ms.saturating_sub(KEPT_LAG_MS);
        let learnt_before = start.map_or(0, |start| start.covers);
        let learnable = earlier.count_before(before_ms);
        (learnable.saturating_sub(learnt_before) >= self.learnt_ahead_from).then_some(before_ms)
    }

    /// Keeps what was learnt from the first logins of `earlier` for the next analyses of
    /// `source` (in place of what was kept for it before).
    pub fn remember(
        &self,
        source: &SourceName,
        geolocation: bool,
        earlier: &Earlier,
        learnt: Learnt,
    ) {
        let checkpoint = Checkpoint {
            source: source.clone(),
            geolocation,
            sequence: earlier.sequence_print(learnt.logins().min(earlier.len())),
            learnt: Arc::new(learnt),
        };
        let mut checkpoints = self
            .checkpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        checkpoints.retain(|kept| kept.source != *source);
        checkpoints.push(checkpoint);
        while checkpoints.len() > MAX_CHECKPOINTS {
            checkpoints.remove(0);
        }
    }

    /// Holds the logins of a run just kept (or re-scored) as `stamp`.
    pub fn keep(&self, source: &SourceName, stamp: i64, id: &str, logins: Arc<[LoginEvent]>) {
        if logins.len() > self.max_held {
            return;
        }
        let run = Arc::new(HeldRun::new(source.clone(), stamp, logins));
        self.hold(id, run, &HashSet::new());
    }

    /// The logins kept in `source` by runs other than `except`, each once and none whose key is
    /// in `skip` (the new analysis' own), up to `until_ms` (later ones cannot change a score),
    /// from the latest [`rows_learnt`] of them, in time order (ties by run id, then input
    /// order): what [`RunStore::history`] answers, from memory.
    pub async fn earlier(
        &self,
        store: &dyn RunStore,
        source: &SourceName,
        until_ms: i64,
        limit: usize,
        except: &str,
        own: &[LoginEvent],
    ) -> Result<Earlier, RunError> {
        let mut stamps = store.run_stamps(source).await?;
        // Runs of this source that are no longer kept go (the one analysed again stays).
        let kept: HashSet<&str> = stamps.iter().map(|stamp| stamp.id.as_str()).collect();
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id, run| run.source != *source || kept.contains(id.as_str()));
        stamps.retain(|stamp| stamp.id != except);
        stamps.sort_by(|a, b| a.id.cmp(&b.id));
        let runs = match self.gather(store, source, &stamps).await? {
            Some(runs) => runs,
            None => {
                let skip = own.iter().map(LoginEvent::login_id).collect();
                let total = store.kept_rows(source, until_ms, except).await?;
                let learnt = rows_learnt(total, limit);
                let logins = store
                    .history(source, until_ms, learnt, except, skip)
                    .await?;
                return Ok(Earlier::read(logins, source));
            }
        };
        if runs.is_empty() {
            // Nothing else kept: no need to tell this upload's own logins apart.
            return Ok(Earlier::none());
        }
        let skip: KeySet = own.iter().map(LoginEvent::login_key).collect();
        let picks = select(&runs, until_ms, limit, skip);
        Ok(Earlier { runs, picks })
    }

    /// The held runs of `stamps` (in their order), reading in those not held; `None` when they
    /// hold more logins than may be held.
    async fn gather(
        &self,
        store: &dyn RunStore,
        source: &SourceName,
        stamps: &[RunStamp],
    ) -> Result<Option<Vec<Arc<HeldRun>>>, RunError> {
        let wanted: HashSet<&str> = stamps.iter().map(|stamp| stamp.id.as_str()).collect();
        let known: usize = {
            let sizes = self.sizes.lock().unwrap_or_else(PoisonError::into_inner);
            stamps
                .iter()
                .filter_map(|stamp| {
                    let &(created_ms, size) = sizes.get(&stamp.id)?;
                    (created_ms == stamp.created_ms).then_some(size)
                })
                .sum()
        };
        if known > self.max_held {
            return Ok(None);
        }
        let use_number = self.uses.fetch_add(1, Ordering::Relaxed) + 1;
        let mut runs = Vec::with_capacity(stamps.len());
        let mut total = 0;
        for stamp in stamps {
            let held = self
                .held
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&stamp.id)
                .filter(|run| run.created_ms == stamp.created_ms)
                .cloned();
            let run = match held {
                Some(run) => run,
                None => {
                    let logins = store.logins(&stamp.id).await?.unwrap_or_default();
                    let run = Arc::new(HeldRun::new(
                        source.clone(),
                        stamp.created_ms,
                        logins.into(),
                    ));
                    self.sizes
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(stamp.id.clone(), (stamp.created_ms, run.logins.len()));
                    run
                }
            };
            total += run.logins.len();
            if total > self.max_held {
                return Ok(None);
            }
            run.last_used.store(use_number, Ordering::Relaxed);
            runs.push(run);
        }
        for (stamp, run) in stamps.iter().zip(&runs) {
            self.hold(&stamp.id, Arc::clone(run), &wanted);
        }
        Ok(Some(runs))
    }

    /// Holds `run` as `id`, letting the least recently used runs (none of `keep`) go past the
    /// limit.
    fn hold(&self, id: &str, run: Arc<HeldRun>, keep: &HashSet<&str>) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        self.sizes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), (run.created_ms, run.logins.len()));
        if run.last_used.load(Ordering::Relaxed) == 0 {
            let latest = self.uses.load(Ordering::Relaxed);
            run.last_used.store(latest, Ordering::Relaxed);
        }
        held.insert(id.to_owned(), run);
        let mut total: usize = held.values().map(|run| run.logins.len()).sum();
        while total > self.max_held {
            let oldest = held
                .iter()
                .filter(|(other, _)| other.as_str() != id && !keep.contains(other.as_str()))
                .min_by_key(|(_, run)| run.last_used.load(Ordering::Relaxed))
                .map(|(other, _)| other.clone());
            let Some(oldest) = oldest else { break };
            if let Some(run) = held.remove(&oldest) {
                total -= run.logins.len();
            }
        }
    }
}

/// How many of the latest `total` kept rows a new analysis learns from: all of them up to
/// `limit`; past it the oldest are let go a tenth of `limit` at a time, so that the history of
/// many uploads in a row starts at the same login (and what was learnt from it holds for them).
pub fn rows_learnt(total: usize, limit: usize) -> usize {
    if total <= limit {
        return total;
    }
    let step = (limit / 10).max(1);
    let let_go = (total - limit).div_ceil(step).saturating_mul(step);
    total.saturating_sub(let_go)
}

/// Which logins of `runs` (sorted by id) are learnt from, and in what order: up to `until_ms`,
/// the latest [`rows_learnt`], then each once (the first in time order) and none in `skip`.
fn select(runs: &[Arc<HeldRun>], until_ms: i64, limit: usize, mut skip: KeySet) -> Vec<(u32, u32)> {
    let mut candidates: Vec<(i64, u32, u32)> = Vec::new();
    for (position, run) in runs.iter().enumerate() {
        let up_to = run
            .by_time
            .partition_point(|&index| run.logins[index as usize].timestamp_ms <= until_ms);
        candidates.extend(run.by_time[..up_to].iter().map(|&index| {
            (
                run.logins[index as usize].timestamp_ms,
                position as u32,
                index,
            )
        }));
    }
    // Each run is in time order already: the sort merges them.
    candidates.sort_unstable();
    let latest = &candidates[candidates.len() - rows_learnt(candidates.len(), limit)..];
    skip.reserve(latest.len());
    latest
        .iter()
        .filter(|&&(_, run, index)| skip.insert(runs[run as usize].keys[index as usize]))
        .map(|&(_, run, index)| (run, index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(user: &str, timestamp_ms: i64, last_octet: u8) -> LoginEvent {
        LoginEvent {
            row: 0,
            line: 0,
            timestamp_ms,
            user_id: user.to_owned(),
            ip: std::net::IpAddr::from([192, 0, 2, last_octet]),
            user_agent: "".into(),
            success: Some(true),
            interrupted: false,
            interactive: None,
            identity_kind: engine::IdentityKind::default(),
            resource: None,
            failure_reason: None,
            mfa: None,
            reported_location: None,
            extra: Vec::new(),
        }
    }

    fn run(logins: Vec<LoginEvent>) -> Arc<HeldRun> {
        Arc::new(HeldRun::new(SourceName::default(), 1, logins.into()))
    }

    fn chosen(runs: &[Arc<HeldRun>], picks: &[(u32, u32)]) -> Vec<(String, i64)> {
        picks
            .iter()
            .map(|&(run, index)| {
                let login = &runs[run as usize].logins[index as usize];
                (login.user_id.clone(), login.timestamp_ms)
            })
            .collect()
    }

    #[test]
    fn the_oldest_are_let_go_a_tenth_of_the_limit_at_a_time() {
        assert_eq!(rows_learnt(900, 1_000), 900);
        assert_eq!(rows_learnt(1_000, 1_000), 1_000);
        assert_eq!(rows_learnt(1_001, 1_000), 901);
        assert_eq!(rows_learnt(1_100, 1_000), 1_000);
        assert_eq!(rows_learnt(1_101, 1_000), 901);
        assert_eq!(rows_learnt(5, 1), 1);
        assert_eq!(rows_learnt(7, usize::MAX), 7);
    }

    #[test]
    fn history_is_in_time_order_up_to_the_instant_ties_by_run_then_input_order() {
        let runs = [
            run(vec![
                login("a", 30, 1),
                login("b", 10, 2),
                login("c", 20, 3),
            ]),
            run(vec![
                login("d", 20, 4),
                login("e", 40, 5),
                login("f", 10, 6),
            ]),
        ];
        let picks = select(&runs, 30, usize::MAX, KeySet::default());
        assert_eq!(
            chosen(&runs, &picks),
            [("b", 10), ("f", 10), ("c", 20), ("d", 20), ("a", 30)]
                .map(|(user, at)| (user.to_owned(), at))
        );
    }

    #[test]
    fn the_limit_takes_the_latest_before_each_login_is_kept_once_and_the_own_skipped() {
        let same = login("a", 10, 1);
        let runs = [
            run(vec![same.clone(), login("b", 20, 2), login("c", 30, 3)]),
            run(vec![same.clone(), login("d", 25, 4)]),
        ];
        let everything = select(&runs, i64::MAX, usize::MAX, KeySet::default());
        assert_eq!(
            chosen(&runs, &everything),
            [("a", 10), ("b", 20), ("d", 25), ("c", 30)].map(|(user, at)| (user.to_owned(), at)),
            "the login kept by both runs is learnt once"
        );
        assert_eq!(everything[0], (0, 0), "from the first run by id");
        let latest_two = select(&runs, i64::MAX, 2, KeySet::default());
        assert_eq!(
            chosen(&runs, &latest_two),
            [("d", 25), ("c", 30)].map(|(user, at)| (user.to_owned(), at))
        );
        let many: Vec<LoginEvent> = (0..25).map(|at| login("e", 100 + at, 9)).collect();
        let runs_of_many = [run(many)];
        let nineteen = select(&runs_of_many, i64::MAX, 20, KeySet::default());
        assert_eq!(nineteen.len(), 19, "past 20, the oldest go two at a time");
        assert_eq!(chosen(&runs_of_many, &nineteen)[0], ("e".to_owned(), 106));
        let own = KeySet::from_iter([login("b", 20, 2).login_key()]);
        let without_own = select(&runs, i64::MAX, usize::MAX, own);
        assert!(!chosen(&runs, &without_own).contains(&("b".to_owned(), 20)));
        assert_eq!(without_own.len(), 3);
    }
}
