//! Putting a log that is only roughly in time order (shippers' batches, exports merged from
//! several servers, newest-first pages appended) back in order within a bounded window, so that
//! it can be scored as it is read.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::RejectReason;
use crate::event::LoginEvent;

/// A login held for reordering: earliest first, ties in input order.
struct Held(LoginEvent);

impl Held {
    fn key(&self) -> (i64, u64) {
        (self.0.timestamp_ms, self.0.row)
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// Puts logins back in time order within a window of `window` logins: each login stays until
/// `window` later-read logins have arrived, then the earliest held leaves. A log whose logins
/// are never more than `window` places out of order comes out sorted (ties in input order);
/// a login that arrives after a later one has left is refused ([`RejectReason::TooLate`]).
pub struct Reorder {
    window: usize,
    held: BinaryHeap<Reverse<Held>>,
    released_ms: i64,
}

impl Reorder {
    pub fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            held: BinaryHeap::new(),
            released_ms: i64::MIN,
        }
    }

    /// Takes `login`, moving the logins it lets go of to `out`.
    pub fn push(
        &mut self,
        login: LoginEvent,
        out: &mut Vec<LoginEvent>,
    ) -> Result<(), RejectReason> {
        if login.timestamp_ms < self.released_ms {
            return Err(RejectReason::TooLate {
                window: self.window,
                late_by_ms: self.released_ms - login.timestamp_ms,
            });
        }
        self.held.push(Reverse(Held(login)));
        if self.held.len() > self.window
            && let Some(Reverse(Held(earliest))) = self.held.pop()
        {
            self.released_ms = earliest.timestamp_ms;
            out.push(earliest);
        }
        Ok(())
    }

    /// The earliest login still held (at the end of the input: every one, in time order).
    pub fn pop(&mut self) -> Option<LoginEvent> {
        let Reverse(Held(login)) = self.held.pop()?;
        self.released_ms = login.timestamp_ms;
        Some(login)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(timestamp_ms: i64, row: u64) -> LoginEvent {
        LoginEvent {
            timestamp_ms,
            row,
            ..LoginEvent::default()
        }
    }

    #[test]
    fn sorts_within_the_window_and_refuses_what_comes_later() {
        let mut reorder = Reorder::new(2);
        let mut out = Vec::new();
        for (timestamp_ms, row) in [(10, 1), (30, 2), (20, 3), (20, 4), (50, 5)] {
            reorder.push(at(timestamp_ms, row), &mut out).unwrap();
        }
        let order = |out: &[LoginEvent]| out.iter().map(|login| login.row).collect::<Vec<_>>();
        assert_eq!(order(&out), [1, 3, 4]);
        // 20 has left: 15 can no longer be put before it.
        assert_eq!(
            reorder.push(at(15, 6), &mut out),
            Err(RejectReason::TooLate {
                window: 2,
                late_by_ms: 5
            })
        );
        // Ties with what has left are still in order.
        reorder.push(at(20, 7), &mut out).unwrap();
        while let Some(login) = reorder.pop() {
            out.push(login);
        }
        assert_eq!(order(&out), [1, 3, 4, 7, 2, 5]);
    }
}
