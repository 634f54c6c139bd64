use leptos::prelude::*;

use service::account::Account;

/// The account behind this request: the signed-in person, or the local user without `--auth`.
#[server(prefix = "/_sfn", endpoint = "account")]
pub async fn whoami() -> Result<Account, ServerFnError> {
    crate::account::current_account().await
}
