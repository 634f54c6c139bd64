//! The bounded queue analyses run through: at most `parallelism` at once, at most `depth` more
//! waiting their turn; past that a new one is refused at once ([`RunError::Busy`]) with a time
//! to try again, so a crowd of uploads neither hangs nor fills memory.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::{Semaphore, SemaphorePermit};

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

pub struct AnalysisQueue {
    settings: QueueSettings,
    slots: Semaphore,
    waiting: AtomicUsize,
    /// How long recent analyses took, smoothed, for `Retry-After`.
    recent_ms: AtomicU64,
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
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let took_ms = self.started.elapsed().as_millis() as u64;
        let _ = self
            .queue
            .recent_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |recent| {
                Some((recent * 3 + took_ms) / 4)
            });
    }
}

/// A waiting place, given back however the wait ends (its request may be abandoned).
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
        }
    }

    pub fn settings(&self) -> QueueSettings {
        self.settings
    }

    /// Waits for a slot, or refuses at once when every waiting place is taken.
    pub async fn turn(&self) -> Result<Turn<'_>, RunError> {
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
        Ok(Turn {
            queue: self,
            _slot: slot,
            started: Instant::now(),
        })
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
        let first = queue.turn().await.unwrap();
        let mut second = Box::pin(queue.turn());
        // The second waits: polled once, it holds the one waiting place.
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        let refused = queue.turn().await.err().unwrap();
        assert_eq!(refused.code(), "busy");
        assert!(refused.retry_after_secs().is_some_and(|secs| secs >= 1));
        drop(first);
        let second = second.await.unwrap();
        // The waiting place is free again: one more may wait.
        let mut third = Box::pin(queue.turn());
        assert!(futures_poll_once(third.as_mut()).await.is_none());
        drop(second);
        assert!(third.await.is_ok());
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
