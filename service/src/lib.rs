//! Sky Trace's application layer: the use-cases the web app, the REST API and the command line
//! share, over the engine, the reports, the alerts and storage (behind the traits in [`ports`]).
//!
//! Without the `runtime` feature only the exchanged values compile (detection choices and
//! summaries, pages of scored logins, verdicts and allow-list entries, accounts, activity, the
//! dashboard's figures): pure and wasm-safe, so the browser build uses the very same types. With
//! `runtime` come the use-cases themselves — keeping runs and scoring them again with feedback
//! ([`DetectionService`]), the allow-list and verdicts, hosted mode's accounts ([`Accounts`]),
//! the activity feed, notifications, uploads and continuous monitoring ([`monitor`]) — on tokio, with typed errors ([`error`]) that
//! the web edges map to responses. Nothing here knows Leptos or axum.

pub mod account;
pub mod activity;
pub mod choices;
pub mod dashboard;
pub mod detection;
pub mod notify;
pub mod reading;
pub mod review;
pub mod settings_help;
pub mod source;
pub mod text;
pub mod triage;

#[cfg(feature = "runtime")]
pub mod accounts;
#[cfg(feature = "runtime")]
pub mod clock;
#[cfg(feature = "runtime")]
pub mod error;
#[cfg(feature = "runtime")]
mod feedback;
#[cfg(feature = "runtime")]
pub mod history;
#[cfg(feature = "runtime")]
pub mod jobs;
#[cfg(feature = "runtime")]
pub mod kept;
#[cfg(all(feature = "runtime", any(test, feature = "test-support")))]
pub mod memory_monitor;
#[cfg(feature = "runtime")]
pub mod monitor;
#[cfg(feature = "runtime")]
pub mod monitored_run;
#[cfg(feature = "runtime")]
pub mod partitions;
#[cfg(feature = "runtime")]
pub mod ports;
#[cfg(feature = "runtime")]
pub mod reporting;
#[cfg(feature = "runtime")]
pub mod runs;
#[cfg(feature = "runtime")]
mod taught;
#[cfg(feature = "runtime")]
pub mod upload;
#[cfg(feature = "runtime")]
pub mod views;

#[cfg(feature = "runtime")]
pub use accounts::Accounts;
#[cfg(feature = "runtime")]
pub use error::{ErrorKind, FeedbackError, RunError};
#[cfg(feature = "runtime")]
pub use runs::DetectionService;
