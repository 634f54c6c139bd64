use leptos::prelude::*;

use service::triage::{AllowListEntry, AllowListInput};

/// Every allow-list entry of every source, oldest first (expired ones included).
#[server(prefix = "/_sfn", endpoint = "allowlist/list")]
pub async fn allow_list_entries() -> Result<Vec<AllowListEntry>, ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    service.allow_list(None).await.map_err(refused)
}

/// Adds an entry; `expires` is a date (YYYY-MM-DD, the entry applies to its end, UTC) or empty.
#[server(prefix = "/_sfn", endpoint = "allowlist/add")]
pub async fn add_allow_entry(
    input: AllowListInput,
    expires: String,
) -> Result<AllowListEntry, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{fail, refused};
    use axum::http::StatusCode;
    use service::DetectionService;

    let account = crate::account::current_account().await?;
    let service = expect_context::<Arc<DetectionService>>();
    let expires_ms = match expires.trim() {
        "" => None,
        date => {
            let day: jiff::civil::Date = date.parse().map_err(|_| {
                fail(
                    StatusCode::BAD_REQUEST,
                    format!("not a date: {date:?} (expected YYYY-MM-DD)"),
                )
            })?;
            let end = day
                .tomorrow()
                .and_then(|next| jiff::tz::TimeZone::UTC.to_timestamp(next.at(0, 0, 0, 0)))
                .map_err(|error| fail(StatusCode::BAD_REQUEST, error.to_string()))?;
            Some(end.as_millisecond())
        }
    };
    let input = AllowListInput {
        expires_ms,
        ..input
    };
    service
        .save_allow_entry(&input, None, &account)
        .await
        .map_err(refused)
}

#[server(prefix = "/_sfn", endpoint = "allowlist/remove")]
pub async fn remove_allow_entry(id: String) -> Result<(), ServerFnError> {
    use std::sync::Arc;

    use super::upload::refused;
    use service::DetectionService;

    let account = crate::account::current_account().await?;
    let service = expect_context::<Arc<DetectionService>>();
    service
        .remove_allow_entry(&id, &account)
        .await
        .map_err(refused)
}
