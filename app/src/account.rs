//! The account behind a request, for server functions (hosted mode's sign-in is the server's).

use service::account::Account;

/// The account the server attached to the current request (server functions only). Every
/// request that reaches a server function has one; rendering the sign-in page has none, and must
/// not turn into an error page for it.
pub async fn current_account() -> Result<Account, leptos::prelude::ServerFnError> {
    use axum::Extension;

    leptos_axum::extract::<Extension<Account>>()
        .await
        .map(|Extension(account)| account)
        .map_err(|_| leptos::prelude::ServerFnError::new("not signed in"))
}

/// The current account if it is an admin; `doing` says what was refused ("see the settings").
pub async fn require_admin(doing: &str) -> Result<Account, leptos::prelude::ServerFnError> {
    let account = current_account().await?;
    if account.is_admin() {
        Ok(account)
    } else {
        Err(crate::server_fns::upload::fail(
            axum::http::StatusCode::FORBIDDEN,
            format!("only an admin may {doing}; {} is an analyst", account.name),
        ))
    }
}
