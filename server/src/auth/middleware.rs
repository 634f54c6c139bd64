//! Attaches the [`Account`] behind each request to it, or turns the request away: to the sign-in
//! page (pages), 401 (API and server functions), 403 (a state-changing request from another
//! site).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::account::Account;
use app::format::query_value;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{API_TOKEN_PREFIX, AuthMode, SESSION_COOKIE, SignIn, digest, same_secret};
use crate::web::ApiError;

/// The header an API client using the session cookie sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who is asking, and how they proved it.
struct Identity {
    account: Account,
    /// The session's CSRF token; none for API tokens, which browsers never send by themselves.
    csrf_token: Option<String>,
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
    let identity = match identify(sign_in, request.headers()).await {
        Ok(identity) => identity,
        Err(refusal) => return refusal,
    };
    match identity {
        Some(identity) => {
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
    let now_ms = jiff::Timestamp::now().as_millisecond();
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| token.starts_with(API_TOKEN_PREFIX));
        let account = match token {
            Some(token) => sign_in
                .store
                .api_token_account(&digest(token), now_ms)
                .await
                .map_err(storage_failure)?,
            None => None,
        };
        return match account {
            Some(account) => Ok(Some(Identity {
                account,
                csrf_token: None,
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
        .store
        .session(&digest(secret), now_ms)
        .await
        .map_err(storage_failure)?;
    Ok(session.map(|session| Identity {
        account: session.account,
        csrf_token: Some(session.csrf_token),
    }))
}

fn storage_failure(error: anyhow::Error) -> Response {
    tracing::error!("cannot check credentials: {error:#}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage",
        "cannot check credentials (see the server log)",
    )
    .into_response()
}

/// The session cookie's value, if the request has one.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
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

/// Whether a browser says the request comes from one of this site's own pages: `Sec-Fetch-Site`
/// where the browser sends it (all current ones do), else `Origin` against `Host`. A request with
/// neither header is not from a browser page and must show the CSRF token instead.
pub fn from_this_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// Whether a browser says the request comes from another site (a sign-in form elsewhere).
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let has = |name| headers.contains_key(name);
    (has("sec-fetch-site") || has("origin")) && !from_this_site(headers)
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
/// check, and the API's description.
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => {
            matches!(
                path,
                "/login" | "/healthz" | "/favicon.ico" | "/api/v1/openapi.json"
            ) || path.starts_with("/pkg/")
        }
        Method::POST => matches!(path, "/login" | "/api/v1/session"),
        _ => false,
    }
}

fn unauthenticated(request: &Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || !is_safe(request.method()) {
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

/// The client's address, when the server was started with connection info.
pub fn client_address(request_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let with = headers(&[("cookie", "theme=dark; skytrace_session=abc123; x=1")]);
        assert_eq!(session_secret(&with), Some("abc123"));
        assert_eq!(
            session_secret(&headers(&[("cookie", "skytrace_session=")])),
            None
        );
        assert_eq!(
            session_secret(&headers(&[("cookie", "other_session=abc")])),
            None
        );
    }

    #[test]
    fn the_site_of_a_request_comes_from_fetch_metadata_then_origin() {
        assert!(from_this_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(!from_this_site(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://a"),
            ("host", "a")
        ])));
        assert!(!from_this_site(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
        assert!(from_this_site(&headers(&[
            ("origin", "https://sky.example"),
            ("host", "sky.example")
        ])));
        assert!(!from_this_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "sky.example")
        ])));
        assert!(
            !from_this_site(&headers(&[("host", "sky.example")])),
            "curl: no browser headers"
        );
        assert!(from_another_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "sky.example")
        ])));
        assert!(!from_another_site(&headers(&[("host", "sky.example")])));
    }
}
