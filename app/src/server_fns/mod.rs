//! Server functions: called from the browser like async functions, run on the server.

mod account;
mod allow_list;
mod api_tokens;
mod dashboard;
mod detection_events;
mod load_detection;
mod load_login;
mod profile_upload;
mod recent_runs;
mod report_preview;
mod run_detection;
mod settings_overview;
mod triage;
#[cfg(feature = "ssr")]
pub mod upload;

pub use account::{Whoami, whoami};
pub use allow_list::{
    AddAllowEntry, AllowListEntries, RemoveAllowEntry, add_allow_entry, allow_list_entries,
    remove_allow_entry,
};
pub use api_tokens::{
    ApiTokens, CreateApiToken, CreatedToken, RevokeApiToken, TokenOverview, api_tokens,
    create_api_token, revoke_api_token,
};
pub use dashboard::{LoadDashboard, load_dashboard};
pub use detection_events::{DetectionEvents, detection_events};
pub use load_detection::{LoadDetection, load_detection};
pub use load_login::{LoadLogin, load_login};
pub use profile_upload::{ProfileUpload, profile_upload};
pub use recent_runs::{ListSources, RecentRuns, list_sources, recent_runs};
pub use report_preview::{
    IncidentPreview, PREVIEW_TIMELINE, PageRequest, ReportPreview, ReportView, report_preview,
};
pub use run_detection::{RunDetection, run_detection};
pub use settings_overview::{
    SendTestNotification, ServerOverview, SettingsOverview, send_test_notification,
    settings_overview,
};
pub use triage::{RecordVerdict, RescoreRun, record_verdict, rescore_run};

/// The message a person should read, without the transport's wrapping.
pub fn server_message(error: leptos::prelude::ServerFnError) -> String {
    match error {
        leptos::prelude::ServerFnError::ServerError(message) => message,
        other => other.to_string(),
    }
}

/// Calls the multipart server function `F` with `form` and follows the upload:
/// `on_progress(sent, total)`. The generated client uses `fetch`, which cannot report it.
pub async fn upload_with_progress<F>(
    form: &web_sys::FormData,
    on_progress: impl Fn(u64, u64) + 'static,
) -> Result<F::Output, String>
where
    F: leptos::server_fn::ServerFn,
    F::Output: serde::de::DeserializeOwned,
{
    use leptos::server_fn::error::FromServerFnError;

    let (status, body) = crate::browser::post_with_progress(F::PATH, form, on_progress).await?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&body)
            .map_err(|error| format!("unreadable answer from the server: {error}"));
    }
    match leptos::prelude::ServerFnError::de(leptos::server_fn::Bytes::from(body.clone())) {
        leptos::prelude::ServerFnError::Deserialization(_) => {
            Err(format!("the server answered {status}: {}", body.trim()))
        }
        error => Err(server_message(error)),
    }
}
