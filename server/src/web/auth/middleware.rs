//! Attaches the [`Account`] behind each request to it, or turns the request away: to the sign-in
//! page (pages), 401 (API and server functions), 403 (a state-changing request from another
//! site).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use service::account::{Account, TokenScope};
use service::accounts::same_secret;
use service::text::query_value;

use super::request::{from_this_site, session_secret};
use super::{AuthMode, SignIn};
use crate::web::error::ApiError;
use crate::web::ingest_rate::Sender;
use crate::web::server_fn_guard::SERVER_FN_PREFIX;

/// The header an API client using the session cookie sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The path log shippers send events to with a Bearer token (the HEC collector checks its own).
pub const EVENTS_PATH: &str = "/api/v1/events";

/// Who is asking, and how they proved it.
struct Identity {
    account: Account,
    /// The session's CSRF token; none for API tokens, which browsers never send by themselves.
    csrf_token: Option<String>,
    /// The API token's id and scope; none for a session.
    token: Option<(String, TokenScope)>,
}

pub async fn authenticate(
    State(mode): State<Arc<AuthMode>>,
    mut request: Request,
    next: Next,
) -> Response {
    let sign_in = match mode.as_ref() {
        AuthMode::Local => {
            request.extensions_mut().insert(Account::local());
            return next.run(request).await;
        }
        AuthMode::SignIn(sign_in) => sign_in,
    };
    // Log shippers present HEC tokens, and Okta the hook's secret: each is checked where it
    // arrives.
    let path = request.uri().path();
    if crate::web::hec::is_collector(path) || path == crate::web::okta_hook::OKTA_HOOK_PATH {
        return next.run(request).await;
    }
    let identity = match identify(sign_in, request.headers()).await {
        Ok(identity) => identity,
        Err(refusal) => return refusal,
    };
    let sends_events = request.method() == Method::POST && path == EVENTS_PATH;
    match identity {
        Some(identity) => {
            if !is_public(request.method(), request.uri().path())
                && let Some(refusal) = scope_refusal(&identity, sends_events)
            {
                return refusal;
            }
            if let Some((id, TokenScope::Ingest)) = &identity.token {
                request.extensions_mut().insert(Sender::Token(id.clone()));
            }
            if !is_safe(request.method())
                && let Some(csrf_token) = &identity.csrf_token
                && !csrf_header_matches(request.headers(), csrf_token)
                && !from_this_site(request.headers())
            {
                return cross_site_refusal();
            }
            request.extensions_mut().insert(identity.account);
            next.run(request).await
        }
        None if is_public(request.method(), request.uri().path()) => next.run(request).await,
        None => unauthenticated(&request),
    }
}

/// Who the credentials name: `Ok(None)` without credentials (or with an expired session),
/// `Err` with a response for a bad API token or a storage failure.
async fn identify(sign_in: &SignIn, headers: &HeaderMap) -> Result<Option<Identity>, Response> {
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let token = authorization.to_str().ok().and_then(bearer_token);
        let holder = match token {
            Some(token) => sign_in
                .accounts
                .token(token)
                .await
                .map_err(storage_failure)?,
            None => None,
        };
        return match holder {
            Some(holder) => Ok(Some(Identity {
                account: holder.account,
                csrf_token: None,
                token: Some((holder.id, holder.scope)),
            })),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "the Authorization header does not hold a valid API token \
                 (expected `Bearer skt_…`; tokens are made with `skytrace token create`)",
            )
            .into_response()),
        };
    }
    let Some(secret) = session_secret(headers) else {
        return Ok(None);
    };
    let session = sign_in
        .accounts
        .session(secret)
        .await
        .map_err(storage_failure)?;
    Ok(session.map(|session| Identity {
        account: session.account,
        csrf_token: Some(session.csrf_token),
        token: None,
    }))
}

/// Events are sent with ingest tokens, and ingest tokens do nothing else: a shipper's token that
/// leaks reads nothing, and people's credentials do not feed the monitor.
fn scope_refusal(identity: &Identity, sends_events: bool) -> Option<Response> {
    let ingest = matches!(identity.token, Some((_, TokenScope::Ingest)));
    if ingest == sends_events {
        return None;
    }
    let message = if ingest {
        "this API token has the ingest scope: it only sends events (POST /api/v1/events, or the \
         HEC collector as `Authorization: Splunk …`)"
    } else {
        "events are sent with an API token of the ingest scope (`skytrace token create --scope \
         ingest`, or Settings → API tokens); people's sessions and tokens do not send events"
    };
    Some(ApiError::new(StatusCode::FORBIDDEN, "token_scope", message).into_response())
}

/// The token of `Bearer TOKEN`; the scheme's name is case-insensitive (RFC 9110, section 11.1).
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn storage_failure(error: service::accounts::AccountError) -> Response {
    tracing::error!("cannot check credentials: {error}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage",
        "cannot check credentials (see the server log)",
    )
    .into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_header_matches(headers: &HeaderMap, csrf_token: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| same_secret(value, csrf_token))
}

fn cross_site_refusal() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        "a state-changing request from another site (or without the X-CSRF-Token header) was \
         refused",
    )
    .into_response()
}

/// Reachable without signing in: the sign-in page and what it needs to render, the health
/// and readiness checks, and the API's description (with its problem types).
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => {
            matches!(
                path,
                "/login" | "/healthz" | "/readyz" | "/favicon.ico" | "/api/v1/openapi.json"
            ) || path.starts_with("/pkg/")
                || path.starts_with("/api/v1/problems/")
        }
        Method::POST => matches!(path, "/login" | "/api/v1/session"),
        _ => false,
    }
}

fn unauthenticated(request: &Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path.starts_with(SERVER_FN_PREFIX) || !is_safe(request.method())
    {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: POST /api/v1/session, or send an API token as `Authorization: Bearer …`",
        )
        .into_response();
    }
    let wanted = request
        .uri()
        .path_and_query()
        .map_or(path, |whole| whole.as_str());
    Redirect::to(&format!("/login?next={}", query_value(wanted))).into_response()
}
