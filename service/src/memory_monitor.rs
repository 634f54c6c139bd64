//! Monitored logins, verdicts and allow-list entries in memory: the monitor's store for tests of
//! what is built on it (the database's own is tested against SQLite and PostgreSQL).

use std::collections::BTreeMap;
use std::sync::Mutex;

use engine::{LoginEvent, ScoredEvent};

use crate::ports::{FeedbackStore, LearntState, MonitorStore, MonitoredLogin, ScoredIn, Stored};
use crate::source::SourceName;
use crate::triage::{AllowListEntry, TriageRecord, TriageState};

/// Monitored logins in memory, for apps whose tests do not restart them; when gated, each write
/// waits for a permit ([`Self::let_through`]).
#[derive(Default)]
pub struct MemoryMonitorStore {
    kept: Mutex<BTreeMap<SourceName, Vec<MonitoredLogin>>>,
    learnt: Mutex<BTreeMap<SourceName, LearntState>>,
    gate: Option<tokio::sync::Semaphore>,
    allow: Mutex<Vec<AllowListEntry>>,
    /// Every verdict recorded, oldest first.
    triage: Mutex<Vec<TriageRecord>>,
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

    fn monitored_named<'a>(
        &'a self,
        source: &'a SourceName,
        login_ids: &'a [String],
    ) -> Stored<'a, Vec<LoginEvent>> {
        let named = self
            .kept
            .lock()
            .unwrap()
            .get(source)
            .into_iter()
            .flatten()
            .filter(|kept| login_ids.contains(&kept.login_id))
            .map(|kept| kept.login.clone())
            .collect();
        Box::pin(async { Ok(named) })
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

/// Kept runs are not held here: no login is found in one.
impl FeedbackStore for MemoryMonitorStore {
    fn allow_list<'a>(&'a self, source: Option<&'a SourceName>) -> Stored<'a, Vec<AllowListEntry>> {
        let entries = self
            .allow
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| source.is_none_or(|source| entry.source == *source))
            .cloned()
            .collect();
        Box::pin(async { Ok(entries) })
    }

    fn save_allow(&self, entry: AllowListEntry) -> Stored<'_, ()> {
        let mut entries = self.allow.lock().unwrap();
        entries.retain(|kept| kept.id != entry.id);
        entries.push(entry);
        Box::pin(async { Ok(()) })
    }

    fn delete_allow<'a>(&'a self, id: &'a str) -> Stored<'a, bool> {
        let mut entries = self.allow.lock().unwrap();
        let before = entries.len();
        entries.retain(|kept| kept.id != id);
        let deleted = entries.len() < before;
        Box::pin(async move { Ok(deleted) })
    }

    fn record_triage(&self, record: TriageRecord) -> Stored<'_, ()> {
        self.triage.lock().unwrap().push(record);
        Box::pin(async { Ok(()) })
    }

    fn triage<'a>(&'a self, source: &'a SourceName, login_id: &'a str) -> Stored<'a, TriageState> {
        let history: Vec<TriageRecord> = self
            .triage
            .lock()
            .unwrap()
            .iter()
            .filter(|record| record.source == *source && record.login_id == login_id)
            .cloned()
            .collect();
        let state = TriageState {
            current: history.last().cloned(),
            history,
        };
        Box::pin(async { Ok(state) })
    }

    fn verdicts<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<TriageRecord>> {
        let mut current: BTreeMap<String, TriageRecord> = BTreeMap::new();
        for record in self.triage.lock().unwrap().iter() {
            if record.source == *source {
                current.insert(record.login_id.clone(), record.clone());
            }
        }
        Box::pin(async { Ok(current.into_values().collect()) })
    }

    fn find_login<'a>(&'a self, _login_id: &'a str) -> Stored<'a, Vec<ScoredIn>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
