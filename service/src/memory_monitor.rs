//! Monitored logins in memory: the monitor's store for tests of what is built on it (the
//! database's own is tested against SQLite and PostgreSQL).

use std::collections::BTreeMap;
use std::sync::Mutex;

use engine::ScoredEvent;

use crate::ports::{LearntState, MonitorStore, MonitoredLogin, Stored};
use crate::source::SourceName;

/// Monitored logins in memory, for apps whose tests do not restart them; when gated, each write
/// waits for a permit ([`Self::let_through`]).
#[derive(Default)]
pub struct MemoryMonitorStore {
    kept: Mutex<BTreeMap<SourceName, Vec<MonitoredLogin>>>,
    learnt: Mutex<BTreeMap<SourceName, LearntState>>,
    gate: Option<tokio::sync::Semaphore>,
}

impl MemoryMonitorStore {
    /// Keeps nothing until let through.
    pub fn gated() -> Self {
        Self {
            gate: Some(tokio::sync::Semaphore::new(0)),
            ..Self::default()
        }
    }

    /// Lets `writes` more writes through the gate.
    pub fn let_through(&self, writes: usize) {
        if let Some(gate) = &self.gate {
            gate.add_permits(writes);
        }
    }

    /// Logins kept, across sources.
    pub fn kept_logins(&self) -> usize {
        self.kept.lock().unwrap().values().map(Vec::len).sum()
    }

    /// The logins kept in `source`, in arrival order.
    pub fn kept_in(&self, source: &SourceName) -> Vec<MonitoredLogin> {
        self.kept
            .lock()
            .unwrap()
            .get(source)
            .cloned()
            .unwrap_or_default()
    }
}

impl MonitorStore for MemoryMonitorStore {
    fn keep_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, ()> {
        Box::pin(async move {
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            self.kept
                .lock()
                .unwrap()
                .entry(source.clone())
                .or_default()
                .extend_from_slice(logins);
            Ok(())
        })
    }

    fn reachable(&self) -> Stored<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn monitored_sources(&self) -> Stored<'_, Vec<SourceName>> {
        let mut sources: Vec<SourceName> = self.kept.lock().unwrap().keys().cloned().collect();
        sources.extend(self.learnt.lock().unwrap().keys().cloned());
        sources.sort();
        sources.dedup();
        Box::pin(async { Ok(sources) })
    }

    fn monitored<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<MonitoredLogin>> {
        let logins = self
            .kept
            .lock()
            .unwrap()
            .get(source)
            .cloned()
            .unwrap_or_default();
        Box::pin(async { Ok(logins) })
    }

    fn learnt_state<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Option<LearntState>> {
        let learnt = self.learnt.lock().unwrap().get(source).cloned();
        Box::pin(async { Ok(learnt) })
    }

    fn purge_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        learnt: &'a LearntState,
        purged_through: i64,
    ) -> Stored<'a, u64> {
        Box::pin(async move {
            self.learnt
                .lock()
                .unwrap()
                .insert(source.clone(), learnt.clone());
            let mut kept = self.kept.lock().unwrap();
            let Some(logins) = kept.get_mut(source) else {
                return Ok(0);
            };
            let before = logins.len();
            logins.retain(|login| login.sequence > purged_through);
            Ok((before - logins.len()) as u64)
        })
    }

    fn monitored_between<'a>(
        &'a self,
        source: &'a SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Stored<'a, Vec<ScoredEvent>> {
        let mut scored: Vec<ScoredEvent> = self
            .kept
            .lock()
            .unwrap()
            .get(source)
            .into_iter()
            .flatten()
            .map(|login| login.scored.clone())
            .filter(|scored| (from_ms..to_ms).contains(&scored.timestamp_ms))
            .collect();
        scored.sort_by_key(|scored| scored.timestamp_ms);
        let scored = scored.split_off(scored.len().saturating_sub(limit));
        Box::pin(async { Ok(scored) })
    }
}
