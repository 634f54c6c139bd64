//! The bounded queue analyses run through: at most `parallelism` at once, at most `depth` more
//! waiting their turn; past that a new one is refused at once ([`RunError::Busy`]) with a time
//! to try again, so a crowd of uploads neither hangs nor fills memory.
//!
//! With a [`MemoryBudget`], an analysis also starts only when what the process holds, what the
//! analyses running may still take and what this one needs fit in the budget: else it lets go of
//! what can be rebuilt, then waits for a running analysis to end, and is refused
//! ([`RunError::OverMemoryBudget`]) when nothing running would free enough.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, SemaphorePermit};

use crate::error::RunError;

/// How many analyses run at once and how many may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    pub parallelism: usize,
    pub depth: usize,
}

/// Waiting places per running analysis by default.
const DEPTH_PER_SLOT: usize = 16;

impl QueueSettings {
    /// `parallelism` analyses at once, 16 waiting per slot.
    pub fn with_parallelism(parallelism: usize) -> Self {
        Self {
            parallelism,
            depth: parallelism.saturating_mul(DEPTH_PER_SLOT),
        }
    }
}

impl Default for QueueSettings {
    /// One analysis per core: scoring is CPU-bound.
    fn default() -> Self {
        Self::with_parallelism(std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// What the server's memory may reach (`--memory-budget-mb`), and how to read what it holds.
#[derive(Clone)]
pub struct MemoryBudget {
    pub limit_bytes: u64,
    /// The process's resident memory now, where the platform tells it.
    pub resident_bytes: Arc<dyn Fn() -> Option<u64> + Send + Sync>,
    /// Hands memory freed by the process back to the system.
    pub give_back: Arc<dyn Fn() + Send + Sync>,
}

impl MemoryBudget {
    /// Whether the process holds more than the budget now.
    pub fn exceeded(&self) -> bool {
        (self.resident_bytes)().is_some_and(|resident| resident > self.limit_bytes)
    }
}

/// Memory an analysis takes per byte of text it reads, at its peak, beside the upload itself:
/// the logins read from it, what is learnt, the scored logins and their rows for the database.
/// Measured on a generated CSV log of 994k logins (179 MB): the server grew by 974 MiB with the
/// upload, about 4.4 times the text beside it; rounded up.
pub const ANALYSIS_BYTES_PER_TEXT_BYTE: u64 = 5;

/// What analysing a log whose text is `text_bytes` long (a gzip file's stated unpacked size) may
/// need at its peak, counting at most `max_expanded_bytes` of the text.
pub fn analysis_needs_bytes(text_bytes: u64, max_expanded_bytes: u64) -> u64 {
    text_bytes
        .min(max_expanded_bytes)
        .saturating_mul(ANALYSIS_BYTES_PER_TEXT_BYTE)
}

pub struct AnalysisQueue {
    settings: QueueSettings,
    slots: Semaphore,
    waiting: AtomicUsize,
    /// How long recent analyses took, smoothed, for `Retry-After`.
    recent_ms: AtomicU64,
    budget: Option<MemoryBudget>,
    /// Request bodies being received or waiting, in KiB, and the share of the budget they have.
    receiving: Option<(Arc<Semaphore>, u64)>,
    /// What the analyses running were expected to need, until each ends.
    reserved_bytes: AtomicU64,
    /// Turns waiting for memory: they hold a slot but free nothing by running.
    fitting: AtomicUsize,
    turn_ended: Notify,
    /// Turns asked for since the start, to tell whether a queue stayed idle.
    turns_asked: AtomicU64,
}

impl Default for AnalysisQueue {
    fn default() -> Self {
        Self::new(QueueSettings::default())
    }
}

/// An analysis's turn to run; the slot is freed when it is dropped.
pub struct Turn<'a> {
    queue: &'a AnalysisQueue,
    _slot: SemaphorePermit<'a>,
    started: Instant,
    reserved_bytes: u64,
}

impl Turn<'_> {
    /// Waits until `more_bytes` more fit in the budget as well (found once the upload is read:
    /// what it will learn), calling `let_go` once first if they do not; refused like
    /// [`AnalysisQueue::turn`] when nothing running would free enough.
    pub async fn need_more(
        &mut self,
        more_bytes: u64,
        let_go: impl FnOnce(),
    ) -> Result<(), RunError> {
        let queue = self.queue;
        // This turn's own reservation counts as running until it is given back here.
        queue
            .reserved_bytes
            .fetch_sub(self.reserved_bytes, Ordering::Relaxed);
        let needs = self.reserved_bytes.saturating_add(more_bytes);
        self.reserved_bytes = 0;
        self.reserved_bytes = queue.fit(needs, let_go).await?;
        Ok(())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.queue
            .reserved_bytes
            .fetch_sub(self.reserved_bytes, Ordering::Relaxed);
        self.queue.turn_ended.notify_waiters();
        let took_ms = self.started.elapsed().as_millis() as u64;
        let _ = self
            .queue
            .recent_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |recent| {
                Some((recent * 3 + took_ms) / 4)
            });
    }
}

/// Room held for a request body in memory, given back when dropped.
pub struct Receiving {
    _room: Option<OwnedSemaphorePermit>,
}

/// A place counted while it is held (a waiting place, a wait for memory), given back however the
/// wait ends (its request may be abandoned).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AnalysisQueue {
    pub fn new(settings: QueueSettings) -> Self {
        Self {
            settings: QueueSettings {
                parallelism: settings.parallelism.max(1),
                ..settings
            },
            slots: Semaphore::new(settings.parallelism.max(1)),
            waiting: AtomicUsize::new(0),
            recent_ms: AtomicU64::new(1000),
            budget: None,
            receiving: None,
            reserved_bytes: AtomicU64::new(0),
            fitting: AtomicUsize::new(0),
            turn_ended: Notify::new(),
            turns_asked: AtomicU64::new(0),
        }
    }

    /// The same queue, keeping analyses within `budget`, and request bodies held in memory
    /// (monitored events; uploaded files go to disk) within a quarter of it.
    pub fn within(self, budget: MemoryBudget) -> Self {
        let share_kib = (budget.limit_bytes / RECEIVING_SHARE / 1024)
            .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize) as u64);
        Self {
            receiving: Some((Arc::new(Semaphore::new(share_kib as usize)), share_kib)),
            budget: Some(budget),
            ..self
        }
    }

    /// Room for a request body of `body_bytes` held in memory (its `Content-Length`, else the
    /// upload limit), until the returned guard is dropped; refused at once ([`RunError::Busy`]) when the
    /// bodies being received and waiting already hold their share of the budget. A body larger
    /// than the whole share needs all of it free.
    pub fn receive(&self, body_bytes: u64) -> Result<Receiving, RunError> {
        let Some((receiving, share_kib)) = &self.receiving else {
            return Ok(Receiving { _room: None });
        };
        let kib = body_bytes.div_ceil(1024).clamp(1, *share_kib) as u32;
        Arc::clone(receiving)
            .try_acquire_many_owned(kib)
            .map(|permit| Receiving {
                _room: Some(permit),
            })
            .map_err(|_| self.busy())
    }

    /// How many turns were asked for so far: unchanged over a while, and with no slot taken,
    /// the queue was idle meanwhile.
    pub fn turns_asked(&self) -> u64 {
        self.turns_asked.load(Ordering::Relaxed)
    }

    /// No analysis running or waiting.
    pub fn is_idle(&self) -> bool {
        self.slots.available_permits() == self.settings.parallelism
            && self.waiting.load(Ordering::Relaxed) == 0
    }

    pub fn budget(&self) -> Option<&MemoryBudget> {
        self.budget.as_ref()
    }

    pub fn settings(&self) -> QueueSettings {
        self.settings
    }

    /// Waits for a slot, or refuses at once when every waiting place is taken; then, within a
    /// budget, waits until `needs_bytes` fit (calling `let_go` once first if they do not).
    pub async fn turn(
        &self,
        needs_bytes: u64,
        let_go: impl FnOnce(),
    ) -> Result<Turn<'_>, RunError> {
        self.turns_asked.fetch_add(1, Ordering::Relaxed);
        let slot = match self.slots.try_acquire() {
            Ok(slot) => slot,
            Err(_) => {
                let depth = self.settings.depth;
                let placed =
                    self.waiting
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |waiting| {
                            (waiting < depth).then_some(waiting + 1)
                        });
                if placed.is_err() {
                    return Err(self.busy());
                }
                let _waiting = Waiting(&self.waiting);
                self.slots.acquire().await.map_err(|_| RunError::Task)?
            }
        };
        let reserved_bytes = self.fit(needs_bytes, let_go).await?;
        Ok(Turn {
            queue: self,
            _slot: slot,
            started: Instant::now(),
            reserved_bytes,
        })
    }

    /// Reserves `needs_bytes` once they fit in the budget; what is reserved.
    async fn fit(&self, needs_bytes: u64, let_go: impl FnOnce()) -> Result<u64, RunError> {
        let Some(budget) = &self.budget else {
            return Ok(0);
        };
        self.fitting.fetch_add(1, Ordering::Relaxed);
        let _fitting = Waiting(&self.fitting);
        let mut let_go = Some(let_go);
        loop {
            let ended = self.turn_ended.notified();
            let reserved = self.reserved_bytes.load(Ordering::Relaxed);
            let resident = (budget.resident_bytes)().unwrap_or(0);
            let free = budget.limit_bytes.saturating_sub(resident);
            if reserved.saturating_add(needs_bytes) <= free {
                self.reserved_bytes
                    .fetch_add(needs_bytes, Ordering::Relaxed);
                return Ok(needs_bytes);
            }
            if let Some(let_go) = let_go.take() {
                let_go();
                (budget.give_back)();
                continue;
            }
            let holding_slots = self.settings.parallelism - self.slots.available_permits();
            // Analyses waiting here (this one included) free nothing: with none running, no
            // memory will come free.
            let running = holding_slots.saturating_sub(self.fitting.load(Ordering::Relaxed));
            if running == 0 {
                return Err(RunError::OverMemoryBudget {
                    needs_mib: needs_bytes.div_ceil(MIB),
                    free_mib: free / MIB,
                    budget_mib: budget.limit_bytes / MIB,
                });
            }
            // A running analysis frees its part when it ends; memory may also shrink meanwhile.
            let _ = tokio::time::timeout(Duration::from_secs(1), ended).await;
        }
    }

    fn busy(&self) -> RunError {
        let waiting = self.waiting.load(Ordering::Relaxed);
        let parallelism = self.settings.parallelism;
        // Long enough for the queue ahead to drain at the recent pace.
        let rounds = (waiting / parallelism + 1) as u64;
        let retry_after_ms = rounds * self.recent_ms.load(Ordering::Relaxed);
        RunError::Busy {
            running: parallelism - self.slots.available_permits().min(parallelism),
            waiting,
            retry_after_secs: retry_after_ms.div_ceil(1000).clamp(1, 120),
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// Request bodies in memory may hold this fraction (1/4) of the memory budget.
const RECEIVING_SHARE: u64 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Categorised;

    #[tokio::test]
    async fn past_its_depth_the_queue_refuses_and_frees_places_as_turns_end() {
        let queue = AnalysisQueue::new(QueueSettings {
            parallelism: 1,
            depth: 1,
        });
        let first = queue.turn(0, || {}).await.unwrap();
        let mut second = Box::pin(queue.turn(0, || {}));
        // The second waits: polled once, it holds the one waiting place.
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        let refused = queue.turn(0, || {}).await.err().unwrap();
        assert_eq!(refused.code(), "busy");
        assert!(refused.retry_after_secs().is_some_and(|secs| secs >= 1));
        drop(first);
        let second = second.await.unwrap();
        // The waiting place is free again: one more may wait.
        let mut third = Box::pin(queue.turn(0, || {}));
        assert!(futures_poll_once(third.as_mut()).await.is_none());
        drop(second);
        assert!(third.await.is_ok());
    }

    /// Two analyses at once within a budget of 100 bytes, over a process holding `resident_bytes`
    /// (changed through the first handle); the second counts the times memory was given back.
    fn budgeted(resident_bytes: u64) -> (AnalysisQueue, Arc<AtomicU64>, Arc<AtomicUsize>) {
        let resident = Arc::new(AtomicU64::new(resident_bytes));
        let given_back = Arc::new(AtomicUsize::new(0));
        let budget = MemoryBudget {
            limit_bytes: 100,
            resident_bytes: Arc::new({
                let resident = Arc::clone(&resident);
                move || Some(resident.load(Ordering::Relaxed))
            }),
            give_back: Arc::new({
                let given_back = Arc::clone(&given_back);
                move || {
                    given_back.fetch_add(1, Ordering::Relaxed);
                }
            }),
        };
        let queue = AnalysisQueue::new(QueueSettings::with_parallelism(2)).within(budget);
        (queue, resident, given_back)
    }

    #[tokio::test]
    async fn within_a_budget_an_analysis_waits_for_memory_and_is_refused_when_none_will_free() {
        let (queue, resident, given_back) = budgeted(40);
        // 40 held + 50 needed fit in 100 at once, without letting anything go.
        let first = queue
            .turn(50, || panic!("nothing to let go"))
            .await
            .unwrap();
        assert_eq!(given_back.load(Ordering::Relaxed), 0);
        // 40 held + 50 reserved + 20 do not: it lets go once, then waits for the first to end.
        let let_go = AtomicUsize::new(0);
        let mut second = Box::pin(queue.turn(20, || {
            let_go.fetch_add(1, Ordering::Relaxed);
        }));
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        assert_eq!(let_go.load(Ordering::Relaxed), 1);
        assert_eq!(given_back.load(Ordering::Relaxed), 1);
        drop(first);
        let second = second.await.unwrap();
        drop(second);
        assert_eq!(let_go.load(Ordering::Relaxed), 1);
        // Alone and still too big after letting go: refused, naming what it needs.
        resident.store(90, Ordering::Relaxed);
        let refused = queue
            .turn(20, || resident.store(85, Ordering::Relaxed))
            .await
            .err()
            .unwrap();
        assert_eq!(refused.code(), "over_memory_budget");
        assert_eq!(refused.kind(), crate::error::ErrorKind::TooLarge);
        // Letting go may be what makes it fit.
        assert!(
            queue
                .turn(20, || resident.store(30, Ordering::Relaxed))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_analysis_reserves_more_once_it_knows_what_it_will_learn() {
        let (queue, _, _) = budgeted(40);
        let mut turn = queue.turn(10, || {}).await.unwrap();
        // 40 held; its own 10 and 40 more fit in 100.
        turn.need_more(40, || panic!("it fits")).await.unwrap();
        assert_eq!(queue.reserved_bytes.load(Ordering::Relaxed), 50);
        // 50 + 20 more do not, and nothing else runs: refused, holding nothing.
        let refused = turn.need_more(20, || {}).await.err().unwrap();
        assert_eq!(refused.code(), "over_memory_budget");
        drop(turn);
        assert_eq!(queue.reserved_bytes.load(Ordering::Relaxed), 0);
    }

    /// A regression: two analyses each waiting for more memory waited for each other until their
    /// requests timed out; with nothing running that would free memory, both are refused.
    #[tokio::test]
    async fn analyses_waiting_for_memory_do_not_wait_for_each_other() {
        let (queue, _, _) = budgeted(40);
        let first = queue.turn(10, || {}).await.unwrap();
        let second = queue.turn(10, || {}).await.unwrap();
        // A refused analysis ends its turn, as its request does.
        async fn more(mut turn: Turn<'_>) -> Result<(), RunError> {
            turn.need_more(70, || {}).await
        }
        let both = async { tokio::join!(more(first), more(second)) };
        let (first_more, second_more) = tokio::time::timeout(Duration::from_secs(10), both)
            .await
            .expect("analyses waiting for each other");
        assert!(first_more.is_err() || second_more.is_err());
    }

    #[tokio::test]
    async fn request_bodies_held_in_memory_stay_within_a_quarter_of_the_budget() {
        let queue = AnalysisQueue::new(QueueSettings::with_parallelism(1)).within(MemoryBudget {
            limit_bytes: 400 * 1024,
            resident_bytes: Arc::new(|| Some(0)),
            give_back: Arc::new(|| {}),
        });
        // A quarter of 400 KiB: 100 KiB of bodies at once.
        let first = queue.receive(60 * 1024).unwrap();
        let refused = queue.receive(50 * 1024).err().unwrap();
        assert_eq!(refused.code(), "busy");
        let second = queue.receive(40 * 1024).unwrap();
        drop(first);
        // Larger than the whole share: it needs all of it.
        assert!(queue.receive(10 * 1024 * 1024).is_err());
        drop(second);
        assert!(queue.receive(10 * 1024 * 1024).is_ok());
    }

    #[tokio::test]
    async fn a_queue_is_idle_when_no_turn_was_asked_for_and_none_runs() {
        let queue = AnalysisQueue::default();
        assert!(queue.is_idle());
        let asked = queue.turns_asked();
        let turn = queue.turn(0, || {}).await.unwrap();
        assert!(!queue.is_idle());
        assert_eq!(queue.turns_asked(), asked + 1);
        drop(turn);
        assert!(queue.is_idle());
        assert_ne!(queue.turns_asked(), asked);
    }

    #[test]
    fn what_an_analysis_needs_follows_the_text_it_unpacks_to() {
        assert_eq!(
            analysis_needs_bytes(1000, u64::MAX),
            1000 * ANALYSIS_BYTES_PER_TEXT_BYTE
        );
        assert_eq!(
            analysis_needs_bytes(5_000_000, 1000),
            1000 * ANALYSIS_BYTES_PER_TEXT_BYTE
        );
    }

    /// Polls `future` once: its output if it is ready at once.
    async fn futures_poll_once<F: std::future::Future + Unpin>(future: F) -> Option<F::Output> {
        let mut future = future;
        std::future::poll_fn(|context| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut future).poll(context) {
                std::task::Poll::Ready(output) => Some(output),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
