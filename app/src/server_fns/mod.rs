//! Server functions: called from the browser like async functions, run on the server.

mod account;
mod allow_list;
mod dashboard;
mod detection_events;
mod load_detection;
mod profile_upload;
mod recent_runs;
mod report_preview;
mod run_detection;
mod settings_overview;
mod triage;
#[cfg(feature = "ssr")]
pub(crate) mod upload;

pub use account::{Whoami, whoami};
pub use allow_list::{
    AddAllowEntry, AllowListEntries, RemoveAllowEntry, add_allow_entry, allow_list_entries,
    remove_allow_entry,
};
pub use dashboard::{LoadDashboard, load_dashboard};
pub use detection_events::{DetectionEvents, detection_events};
pub use load_detection::{LoadDetection, load_detection};
pub use profile_upload::{ProfileUpload, profile_upload};
pub use recent_runs::{RecentRuns, recent_runs};
pub use report_preview::{PREVIEW_TIMELINE, ReportPreview, ReportView, report_preview};
pub use run_detection::{RunDetection, run_detection};
pub use settings_overview::{
    NotificationOverview, SendTestNotification, ServerOverview, SettingsOverview, TestOutcome,
    send_test_notification, settings_overview,
};
pub use triage::{RecordVerdict, RescoreRun, record_verdict, rescore_run};

/// The message a person should read, without the transport's wrapping.
pub fn server_message(error: leptos::prelude::ServerFnError) -> String {
    match error {
        leptos::prelude::ServerFnError::ServerError(message) => message,
        other => other.to_string(),
    }
}
