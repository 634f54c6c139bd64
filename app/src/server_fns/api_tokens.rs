use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use service::account::{ApiTokenListing, TokenScope};

/// Hosted mode's API tokens, for the settings page (never their secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenOverview {
    /// False without `--auth`: a local server has no accounts, and so no tokens.
    pub hosted: bool,
    pub tokens: Vec<ApiTokenListing>,
}

/// A token just made: its secret is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: String,
    pub scope: TokenScope,
    pub secret: String,
}

#[cfg(feature = "ssr")]
fn hosted_accounts() -> Option<service::Accounts> {
    use_context::<Option<service::Accounts>>().flatten()
}

/// The hosted accounts, or 409 on a local server, which has no tokens.
#[cfg(feature = "ssr")]
fn hosted_accounts_or_conflict() -> Result<service::Accounts, ServerFnError> {
    hosted_accounts().ok_or_else(|| {
        super::upload::fail(
            axum::http::StatusCode::CONFLICT,
            "API tokens belong to hosted mode (skytrace serve --auth); this server takes requests \
             from this machine without one"
                .to_owned(),
        )
    })
}

/// Every API token (admins only).
#[server(prefix = "/_sfn", endpoint = "settings/tokens")]
pub async fn api_tokens() -> Result<TokenOverview, ServerFnError> {
    use super::upload::refused;

    crate::account::require_admin("see the API tokens").await?;
    let Some(accounts) = hosted_accounts() else {
        return Ok(TokenOverview {
            hosted: false,
            tokens: Vec::new(),
        });
    };
    let tokens = accounts.tokens().await.map_err(refused)?;
    Ok(TokenOverview {
        hosted: true,
        tokens,
    })
}

/// A new token acting as the admin who makes it, with `scope` (`api` or `ingest`).
#[server(prefix = "/_sfn", endpoint = "settings/tokens/create")]
pub async fn create_api_token(label: String, scope: String) -> Result<CreatedToken, ServerFnError> {
    use super::upload::{fail, refused};
    use axum::http::StatusCode;

    let admin = crate::account::require_admin("make API tokens").await?;
    let scope: TokenScope = scope
        .parse()
        .map_err(|message: String| fail(StatusCode::BAD_REQUEST, message))?;
    let accounts = hosted_accounts_or_conflict()?;
    let made = accounts
        .create_token(&admin.name, &label, scope)
        .await
        .map_err(refused)?;
    Ok(CreatedToken {
        id: made.id,
        scope,
        secret: made.secret,
    })
}

#[server(prefix = "/_sfn", endpoint = "settings/tokens/revoke")]
pub async fn revoke_api_token(id: String) -> Result<(), ServerFnError> {
    use super::upload::refused;

    crate::account::require_admin("revoke API tokens").await?;
    let accounts = hosted_accounts_or_conflict()?;
    accounts.revoke_token(&id).await.map_err(refused)
}
