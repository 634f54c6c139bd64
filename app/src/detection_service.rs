//! The server's side of detection: the settings and geolocation it analyses with, and the last
//! runs' scored logins, kept in memory so their pages can be served.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use engine::enrich::GeoLookup;
use engine::{AnalysisConfig, ScoredEvent};

/// Runs whose logins are kept for paging; older ones must be run again.
const KEPT_RUNS: usize = 8;

pub struct DetectionService {
    /// The server's analysis settings (`--config`), before the page's choices.
    pub config: AnalysisConfig,
    pub geo: Arc<dyn GeoLookup + Send>,
    runs: Mutex<VecDeque<(String, Arc<Vec<ScoredEvent>>)>>,
}

impl DetectionService {
    pub fn new(config: AnalysisConfig, geo: Arc<dyn GeoLookup + Send>) -> Self {
        Self {
            config,
            geo,
            runs: Mutex::new(VecDeque::new()),
        }
    }

    pub fn keep(&self, id: &str, events: Vec<ScoredEvent>) {
        let mut runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.retain(|(kept, _)| kept != id);
        if runs.len() == KEPT_RUNS {
            runs.pop_front();
        }
        runs.push_back((id.to_owned(), Arc::new(events)));
    }

    pub fn events(&self, id: &str) -> Option<Arc<Vec<ScoredEvent>>> {
        let runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.iter()
            .find(|(kept, _)| kept == id)
            .map(|(_, events)| Arc::clone(events))
    }
}

/// A run's name from what it analysed: the same file with the same choices gets the same id.
pub fn run_id(content: &[u8], choices: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = content
        .iter()
        .chain(choices.as_bytes())
        .fold(OFFSET, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::enrich::NoGeolocation;

    #[test]
    fn keeps_the_latest_runs() {
        let service = DetectionService::new(AnalysisConfig::default(), Arc::new(NoGeolocation));
        for run in 0..=KEPT_RUNS {
            service.keep(&run.to_string(), Vec::new());
        }
        assert!(service.events("0").is_none());
        assert!(service.events(&KEPT_RUNS.to_string()).is_some());
        assert_eq!(run_id(b"a", "x"), run_id(b"a", "x"));
        assert_ne!(run_id(b"a", "x"), run_id(b"a", "y"));
    }
}
