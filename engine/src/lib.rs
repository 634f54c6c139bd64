//! Sky Trace's detection engine.
//!
//! A pure library (no I/O frameworks, no clock, no global state) that compiles for native targets
//! and for `wasm32-unknown-unknown`, so the server and the browser run the same code on the same
//! input and get the same answer.
//!
//! Stages, each a typed value:
//! raw log record (CSV, JSON or syslog) → [`LoginEvent`] (validated, [`ingest`]) → enriched (user agent, network, and
//! geolocation through [`enrich::GeoLookup`]) → causal per-user features ([`analysis`]) →
//! detectors ([`detectors`]: Isolation Forest, DBSCAN, statistical, rules) → findings and a
//! calibrated 0–1 risk ([`risk`]). [`profile`] summarises a file without scoring it.

pub mod accounts;
pub mod analysis;
pub mod baseline;
pub mod calibration;
mod check;
pub mod config;
pub mod detectors;
pub mod digest;
pub mod enrich;
pub mod evaluation;
pub mod event;
pub mod explain;
pub mod features;
pub mod feedback;
pub mod figures;
pub mod incidents;
pub mod ingest;
mod interned;
pub mod profile;
pub mod risk;
pub mod scored;
pub mod time;
pub mod windows;

pub use accounts::{
    AccountEvidence, AccountParams, AccountStatus, AccountVerdict, Campaign, CampaignKind,
    account_verdicts, campaigns,
};
pub use analysis::{
    Analysis, AnalysisConfig, Analyzer, BaselineSnapshot, Counted, History, Keep, Kept, Learnt,
    OutOfOrder, ResumeError, Reuse, SCORE_DECIMALS, Scored, ScoredEvent, StreamEnd,
    StreamingAnalysis, UserRisk, Waypoints, analyze, analyze_after, analyze_with, learnt_baseline,
    reanalyze_after, user_risks,
};
pub use explain::{Explanation, FeatureShare};
pub use feedback::{
    AllowEntry, AllowScope, Feedback, Verdict, VerdictKind, login_id, login_key, login_key_of,
};
pub use incidents::{Incident, IncidentKind, IncidentParams, incidents};
pub use risk::{DOWNGRADE_REASON, Finding, FindingKind, RiskLevel};

pub use event::{IdentityKind, LoginEvent, ReportedLocation};
pub use ingest::{
    Format, IngestError, IngestOptions, Ingested, LimitExceeded, ReadLimits, ReadProgress,
    RejectReason, Rejection, read, read_slice,
};
pub use profile::{DataProfile, RejectedRow, profile_log};
