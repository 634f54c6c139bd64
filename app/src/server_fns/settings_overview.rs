use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use service::notify::{NotificationOverview, TestOutcome};
use service::settings_help::SettingLine;

/// How the server analyses and notifies, for the settings page (no secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerOverview {
    /// Every analysis setting (`--config`, or the defaults) with its default and what it does.
    pub parameters: Vec<SettingLine>,
    pub max_upload_bytes: u64,
    pub notifications: Option<NotificationOverview>,
}

#[server(prefix = "/_sfn", endpoint = "settings")]
pub async fn settings_overview() -> Result<ServerOverview, ServerFnError> {
    use std::sync::Arc;

    use crate::settings::ServerSettings;
    use service::DetectionService;

    crate::account::require_admin("see the server's settings").await?;
    let service = expect_context::<Arc<DetectionService>>();
    Ok(ServerOverview {
        parameters: service::settings_help::setting_lines(&service.config),
        max_upload_bytes: use_context::<ServerSettings>()
            .unwrap_or_default()
            .max_upload_bytes,
        notifications: service
            .notifier
            .as_ref()
            .map(|notifier| notifier.overview()),
    })
}

/// Sends a test message on every configured channel and says what happened.
#[server(prefix = "/_sfn", endpoint = "settings/test-notification")]
pub async fn send_test_notification() -> Result<TestOutcome, ServerFnError> {
    use std::sync::Arc;

    use super::upload::fail;
    use axum::http::StatusCode;
    use service::DetectionService;

    crate::account::require_admin("send test notifications").await?;
    let service = expect_context::<Arc<DetectionService>>();
    let notifier = service.notifier.as_ref().ok_or_else(|| {
        fail(
            StatusCode::CONFLICT,
            "no notification channel is configured: add a [notifications] section to the server's --config file".to_owned(),
        )
    })?;
    Ok(notifier.send_test().await)
}
