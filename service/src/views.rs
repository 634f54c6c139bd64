//! Kept runs held in memory for the pages that read a run whole — the dashboard and the report
//! previews — with what they compute once per run: the users' risks, the incidents, where each
//! address is, and the reports asked for. Reading a 100,000-login run back from the database
//! and decoding it takes seconds; a page of it should take a fraction of one.
//!
//! A run enters when it is kept or re-scored (from the values just computed), or when a page
//! first asks for it; the server also loads the latest one at start. Each use checks the kept
//! summary first (one row), so a run re-scored elsewhere — another server on the same
//! PostgreSQL database — is read again rather than shown stale. The least recently used runs
//! leave once the runs held pass [`DEFAULT_HELD_LOGINS`] logins together (the latest one
//! always stays).

use std::any::Any;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::dashboard::RunFacts;
use crate::detection::{AccountStatuses, DetectionSummary, account_statuses};
use crate::kept::KeptRun;
use engine::Feedback;
use engine::figures::Conclusions;

/// Logins held in memory across runs at most (about 1 KB each), unless a single run is larger.
pub const DEFAULT_HELD_LOGINS: usize = 600_000;
/// Reports (and report pages' models) kept per run, for the filters asked for most recently.
const REPORTS_PER_RUN: usize = 12;

/// What a run's scores were computed with by this server, so that scoring it again after a
/// verdict can tell which of them still hold.
#[derive(Clone)]
pub struct ScoredWith {
    pub feedback: Feedback,
    /// [`history_fingerprint`] of the earlier logins it learnt from.
    pub history: u64,
    /// What it had learnt along its way, when kept ([`RunView::waypoints`]).
    pub waypoints: Option<Arc<engine::Waypoints>>,
}

/// Tells apart the sets of earlier logins a run learnt from (by instant, account and address,
/// in order).
pub fn history_fingerprint(earlier: &[&engine::LoginEvent]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for login in earlier {
        login.timestamp_ms.hash(&mut hasher);
        login.user_id.hash(&mut hasher);
        login.ip.hash(&mut hasher);
    }
    hasher.finish()
}

/// A kept run in memory, with what is computed from it once.
pub struct RunView {
    pub kept: KeptRun,
    /// Known when this server scored the run (not when it was read back from the database);
    /// its waypoints are in `waypoints`.
    pub scored_with: Option<ScoredWith>,
    /// Only the run scored last keeps them: a few dozen MB per 100,000 logins.
    waypoints: Mutex<Option<Arc<engine::Waypoints>>>,
    conclusions: OnceLock<Conclusions>,
    facts: OnceLock<RunFacts>,
    /// Built reports by key, most recently used last.
    reports: Mutex<VecDeque<(String, Arc<dyn Any + Send + Sync>)>>,
}

impl RunView {
    pub fn new(kept: KeptRun, mut scored_with: Option<ScoredWith>) -> Self {
        let waypoints = scored_with
            .as_mut()
            .and_then(|scored_with| scored_with.waypoints.take());
        Self {
            kept,
            scored_with,
            waypoints: Mutex::new(waypoints),
            conclusions: OnceLock::new(),
            facts: OnceLock::new(),
            reports: Mutex::new(VecDeque::new()),
        }
    }

    /// A run with what was concluded from it already.
    pub fn concluded(kept: KeptRun, conclusions: Conclusions) -> Self {
        let view = Self::new(kept, None);
        view.conclusions.get_or_init(|| conclusions);
        view
    }

    /// What the run had learnt along its way when this server scored it, while it is the run
    /// scored last.
    pub fn waypoints(&self) -> Option<Arc<engine::Waypoints>> {
        self.waypoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn id(&self) -> &str {
        &self.kept.summary.id
    }

    /// What the run concluded from all its logins (verdicts, campaigns, incidents, users' risk),
    /// drawn once: every page and report selects among these.
    pub fn conclusions(&self) -> &Conclusions {
        self.conclusions.get_or_init(|| self.kept.conclusions())
    }

    /// Each account's verdict in the run: from its conclusions when they were drawn already.
    pub fn account_statuses(&self) -> AccountStatuses {
        match self.conclusions.get() {
            Some(conclusions) => conclusions
                .accounts
                .iter()
                .map(|verdict| (verdict.user_id.clone(), verdict.status))
                .collect(),
            None => account_statuses(&self.kept.events, &self.kept.settings),
        }
    }

    /// The report's view of this run.
    pub fn report_input(&self) -> reports::ReportInput<'_> {
        self.kept.report_input(self.conclusions())
    }

    /// What the dashboard computes once per run: every user's risk and the incidents over the
    /// whole run, and where each address is (`locate` gives an address's latitude and
    /// longitude, when known).
    pub fn facts(&self, locate: &dyn Fn(IpAddr) -> Option<(f64, f64)>) -> &RunFacts {
        self.facts
            .get_or_init(|| RunFacts::of(&self.kept.events, self.conclusions().clone(), locate))
    }

    /// The report built by `build` under `key` (a kind and its filter), built once while it is
    /// among the run's most recently asked for.
    pub fn report<T: Any + Send + Sync>(&self, key: &str, build: impl FnOnce() -> T) -> Arc<T> {
        {
            let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(position) = reports.iter().position(|(held, _)| held == key)
                && let Some(entry) = reports.remove(position)
                && let Ok(report) = Arc::clone(&entry.1).downcast::<T>()
            {
                reports.push_back(entry);
                return report;
            }
        }
        // Built without the lock: other reports of the run stay available meanwhile.
        let report = Arc::new(build());
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        reports.retain(|(held, _)| held != key);
        reports.push_back((
            key.to_owned(),
            Arc::clone(&report) as Arc<dyn Any + Send + Sync>,
        ));
        while reports.len() > REPORTS_PER_RUN {
            reports.pop_front();
        }
        report
    }
}

/// The runs held in memory, most recently used last.
pub struct RunViews {
    held: Mutex<VecDeque<Arc<RunView>>>,
    max_logins: usize,
    /// Runs scored (analysed or re-scored) so far.
    scored: AtomicU64,
}

impl Default for RunViews {
    fn default() -> Self {
        Self::holding(DEFAULT_HELD_LOGINS)
    }
}

impl RunViews {
    /// Holding up to `max_logins` logins across runs (the latest run always).
    pub fn holding(max_logins: usize) -> Self {
        Self {
            held: Mutex::new(VecDeque::new()),
            max_logins,
            scored: AtomicU64::new(0),
        }
    }

    /// The run `id` if it is held and was kept with this very summary (else it is dropped).
    pub fn get(&self, id: &str, summary: &DetectionSummary) -> Option<Arc<RunView>> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let position = held.iter().position(|view| view.id() == id)?;
        let view = held.remove(position)?;
        if &view.kept.summary != summary {
            return None;
        }
        held.push_back(Arc::clone(&view));
        Some(view)
    }

    /// Holds `kept` (replacing an earlier copy of the same run) and returns it.
    pub fn insert(&self, kept: KeptRun) -> Arc<RunView> {
        self.insert_scored(kept, None, None)
    }

    /// [`Self::insert`] for a run this server has just scored, with what it was scored with and,
    /// when drawn already, what was concluded from it.
    pub fn insert_scored(
        &self,
        kept: KeptRun,
        scored_with: Option<ScoredWith>,
        conclusions: Option<Conclusions>,
    ) -> Arc<RunView> {
        self.scored.fetch_add(1, Ordering::Relaxed);
        let view = RunView::new(kept, scored_with);
        if let Some(conclusions) = conclusions {
            view.conclusions.get_or_init(|| conclusions);
        }
        let view = Arc::new(view);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|other| other.id() != view.id());
        if view.waypoints().is_some() {
            for other in held.iter() {
                *other
                    .waypoints
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
        held.push_back(Arc::clone(&view));
        let mut logins: usize = held.iter().map(|view| view.kept.events.len()).sum();
        while held.len() > 1 && logins > self.max_logins {
            if let Some(oldest) = held.pop_front() {
                logins -= oldest.kept.events.len();
            }
        }
        view
    }

    /// How many runs were analysed or re-scored so far: unchanged over a while, none was.
    pub fn scored_so_far(&self) -> u64 {
        self.scored.load(Ordering::Relaxed)
    }

    /// Holds only the run used last, whole (its waypoints keep a verdict's re-score quick).
    pub fn let_go_of_older(&self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let keep_from = held.len().saturating_sub(1);
        held.drain(..keep_from);
    }

    /// Holds only the run used last, without its built reports and waypoints.
    pub fn let_go_but_latest(&self) {
        self.let_go_of_older();
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        for view in held.iter() {
            view.reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            *view
                .waypoints
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    /// Forgets the run `id` (it was deleted or replaced).
    pub fn forget(&self, id: &str) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|view| view.id() != id);
    }

    /// The ids held, least recently used first.
    pub fn held(&self) -> Vec<String> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|view| view.id().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::{DetectionChoices, summarise};

    /// A run of the bundled sample's first logins, scored keeping 4 waypoints.
    fn scored(id: &str) -> (KeptRun, ScoredWith) {
        let sample = include_str!("../../public/sample/sample-logins.csv");
        let head: Vec<&str> = sample.lines().take(200).collect();
        let content = head.join("\n");
        let ingested =
            engine::read_slice(content.as_bytes(), &engine::IngestOptions::default()).unwrap();
        let (config, feedback) = (engine::AnalysisConfig::default(), Feedback::default());
        let geo = Arc::new(engine::enrich::NoGeolocation);
        let start = engine::Learnt::fresh(&config, geo, &feedback).unwrap();
        let keep = engine::Keep {
            waypoints: 4,
            ..engine::Keep::default()
        };
        let (analysis, kept) =
            engine::analyze_after(&start, &ingested.events, &[], keep, |_| {}).unwrap();
        let profile = engine::DataProfile::of(&ingested);
        let choices = DetectionChoices::default();
        let summary = summarise(
            id.to_owned(),
            "part.csv".to_owned(),
            profile,
            choices,
            &analysis,
            0,
        );
        let run = KeptRun {
            summary,
            settings: config,
            events: analysis.events,
            logins: ingested.events.into(),
        };
        let scored_with = ScoredWith {
            feedback,
            history: history_fingerprint(&[]),
            waypoints: kept.waypoints.map(Arc::new),
        };
        (run, scored_with)
    }

    #[test]
    fn only_the_run_scored_last_keeps_its_waypoints() {
        let views = RunViews::default();
        let (first, scored_with) = scored("first");
        let first = views.insert_scored(first, Some(scored_with), None);
        assert!(first.waypoints().is_some());
        let (second, scored_with) = scored("second");
        let second = views.insert_scored(second, Some(scored_with), None);
        assert!(
            first.waypoints().is_none(),
            "let go when another run is scored"
        );
        assert!(second.waypoints().is_some());
        // A run read back from the database has none, and takes none away.
        let (third, _) = scored("third");
        views.insert(third);
        assert!(second.waypoints().is_some());
    }
}
