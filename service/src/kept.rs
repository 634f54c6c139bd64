//! A run as the database keeps it, and as reports and the user pages read it back.

use std::sync::Arc;

use engine::figures::Conclusions;
use engine::{AnalysisConfig, LoginEvent, Rejection, ScoredEvent};

use crate::detection::DetectionSummary;

/// Everything kept of one run.
pub struct SavedRun {
    pub summary: DetectionSummary,
    /// The settings the run used (the server's, with the page's choices applied).
    pub settings: AnalysisConfig,
    /// The rejected records the engine kept (all of them up to its limit).
    pub rejections: Vec<Rejection>,
    pub events: Vec<ScoredEvent>,
    /// The validated logins behind `events`, in the same order (for re-scoring and history;
    /// shared with the run's view and the history held in memory).
    pub logins: Arc<[LoginEvent]>,
    pub created_ms: i64,
}

impl SavedRun {
    /// What pages read of it once it is kept (its rejections stay in the database).
    pub fn into_kept(self) -> KeptRun {
        KeptRun {
            summary: self.summary,
            settings: self.settings,
            events: self.events,
            logins: self.logins,
        }
    }
}

/// A kept run read back for reports.
pub struct KeptRun {
    pub summary: DetectionSummary,
    pub settings: AnalysisConfig,
    /// In input order.
    pub events: Vec<ScoredEvent>,
    /// The validated logins behind `events`, when asked for (the SIEM exports) or when this
    /// server scored the run; else empty.
    pub logins: Arc<[LoginEvent]>,
}

impl KeptRun {
    /// What this run concluded from all its logins with its settings (verdicts, campaigns,
    /// incidents, users' risk): every view selects among these.
    pub fn conclusions(&self) -> Conclusions {
        Conclusions::recompute(&self.events, &self.settings)
    }

    /// The report's view of this run, with its [`Self::conclusions`].
    pub fn report_input<'a>(&'a self, conclusions: &'a Conclusions) -> reports::ReportInput<'a> {
        reports::ReportInput {
            source_name: &self.summary.file_name,
            analysis_id: Some(&self.summary.id),
            profile: &self.summary.profile,
            settings: &self.settings,
            geo_data: self.summary.geo_data.as_deref(),
            events: &self.events,
            logins: &self.logins,
            conclusions,
        }
    }
}

/// One kept run's logins of one user.
pub struct UserLogins {
    pub analysis_id: String,
    pub source: crate::source::SourceName,
    pub file_name: String,
    pub created_ms: i64,
    pub settings: AnalysisConfig,
    /// In input order.
    pub events: Vec<ScoredEvent>,
}
