//! Signing in and out: the sign-in page's form (`POST /login`, `POST /logout`) and the API's
//! `/api/v1/session`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::account::Account;
use app::format::query_value;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::auth::middleware::{client_address, from_another_site, session_secret};
use crate::auth::{
    AuthMode, SESSION_COOKIE, SESSION_HOURS, SignIn, digest, new_secret, verify_against_nothing,
    verify_password,
};

pub fn routes<S: Clone + Send + Sync + 'static>(mode: Arc<AuthMode>) -> Router<S> {
    match mode.as_ref() {
        AuthMode::Local => Router::new().route(
            "/api/v1/session",
            get(current_session).post(no_sign_in).delete(no_sign_in),
        ),
        AuthMode::SignIn(sign_in) => Router::new()
            .route("/login", post(sign_in_form))
            .route("/logout", post(sign_out_form))
            .route(
                "/api/v1/session",
                get(current_session).post(sign_in_api).delete(sign_out_api),
            )
            .with_state(Arc::clone(sign_in)),
    }
}

#[derive(Deserialize)]
struct Credentials {
    name: String,
    password: String,
    /// Where the form returns to after signing in.
    #[serde(default)]
    next: String,
}

/// A session just started.
struct Started {
    account: Account,
    secret: String,
    csrf_token: String,
    expires_ms: i64,
}

enum Refused {
    CrossSite,
    Limited(Duration),
    BadCredentials,
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Refused {
    fn from(error: anyhow::Error) -> Self {
        Self::Internal(error)
    }
}

async fn check_credentials(
    sign_in: &SignIn,
    headers: &HeaderMap,
    address: Option<IpAddr>,
    name: &str,
    password: &str,
) -> Result<Started, Refused> {
    // A sign-in form on another site must not sign a visitor in to someone's account.
    if from_another_site(headers) {
        return Err(Refused::CrossSite);
    }
    let now = Instant::now();
    if let Some(wait) = sign_in.limiter.retry_after(name, address, now) {
        tracing::warn!(
            account = name,
            ?address,
            "sign-in refused: too many failures"
        );
        return Err(Refused::Limited(wait));
    }
    let stored = sign_in.store.account(name).await?;
    let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
    let password = password.to_owned();
    // Checking a password takes tens of milliseconds of CPU on purpose: keep it off the
    // threads that serve other requests.
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_nothing(&password);
            false
        }
    })
    .await
    .map_err(anyhow::Error::from)?;
    let Some(stored) = stored.filter(|_| matches) else {
        sign_in.limiter.failed(name, address, now);
        tracing::warn!(account = name, ?address, "failed sign-in");
        return Err(Refused::BadCredentials);
    };
    sign_in.limiter.succeeded(name);
    let secret = new_secret()?;
    let csrf_token = new_secret()?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let expires_ms = now_ms + SESSION_HOURS * 3_600_000;
    sign_in
        .store
        .start_session(&digest(&secret), name, &csrf_token, now_ms, expires_ms)
        .await?;
    tracing::info!(account = name, ?address, "signed in");
    Ok(Started {
        account: stored.account,
        secret,
        csrf_token,
        expires_ms,
    })
}

fn session_cookie(sign_in: &SignIn, secret: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if sign_in.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::try_from(format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("a hex secret makes a valid header")
}

/// Only a path on this site: never `//elsewhere` or an absolute address (no open redirect).
fn safe_next(next: &str) -> &str {
    let on_this_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/login");
    if on_this_site { next } else { "/" }
}

fn back_to_form(status: &str, next: &str) -> Response {
    let next = safe_next(next);
    let next = if next == "/" {
        String::new()
    } else {
        format!("&next={}", query_value(next))
    };
    Redirect::to(&format!("/login?status={status}{next}")).into_response()
}

async fn sign_in_form(
    State(sign_in): State<Arc<SignIn>>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(credentials): Form<Credentials>,
) -> Response {
    let address = client_address(&extensions);
    match check_credentials(
        &sign_in,
        &headers,
        address,
        &credentials.name,
        &credentials.password,
    )
    .await
    {
        Ok(started) => {
            let mut response = Redirect::to(safe_next(&credentials.next)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&sign_in, &started.secret, SESSION_HOURS * 3600),
            );
            response
        }
        Err(Refused::CrossSite) => back_to_form("cross_site", ""),
        Err(Refused::Limited(_)) => back_to_form("limited", &credentials.next),
        Err(Refused::BadCredentials) => back_to_form("failed", &credentials.next),
        Err(Refused::Internal(error)) => internal(error),
    }
}

fn internal(error: anyhow::Error) -> Response {
    tracing::error!("sign-in failed: {error:#}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "signing in failed (see the server log)",
    )
    .into_response()
}

/// Ends the session the request came with, and clears the cookie.
async fn end_session(sign_in: &SignIn, headers: &HeaderMap, mut response: Response) -> Response {
    if let Some(secret) = session_secret(headers)
        && let Err(error) = sign_in.store.end_session(&digest(secret)).await
    {
        return internal(error);
    }
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(sign_in, "", 0));
    response
}

async fn sign_out_form(State(sign_in): State<Arc<SignIn>>, headers: HeaderMap) -> Response {
    end_session(&sign_in, &headers, back_to_form("signed_out", "")).await
}

/// `GET /api/v1/session`: who the request acts as.
async fn current_session(Extension(account): Extension<Account>) -> Json<Account> {
    Json(account)
}

#[derive(Serialize)]
struct SessionResource {
    account: Account,
    /// Send it back as `X-CSRF-Token` on state-changing requests made with the cookie from
    /// outside a browser.
    csrf_token: String,
    expires_ms: i64,
}

async fn sign_in_api(
    State(sign_in): State<Arc<SignIn>>,
    extensions: Extensions,
    headers: HeaderMap,
    credentials: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(credentials)) = credentials else {
        return ApiError::bad(
            "bad_request",
            "expected JSON {\"name\": …, \"password\": …}",
        )
        .into_response();
    };
    let address = client_address(&extensions);
    match check_credentials(
        &sign_in,
        &headers,
        address,
        &credentials.name,
        &credentials.password,
    )
    .await
    {
        Ok(started) => {
            let cookie = session_cookie(&sign_in, &started.secret, SESSION_HOURS * 3600);
            let mut response = Json(SessionResource {
                account: started.account,
                csrf_token: started.csrf_token,
                expires_ms: started.expires_ms,
            })
            .into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(Refused::CrossSite) => ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "a sign-in from another site was refused",
        )
        .into_response(),
        Err(Refused::Limited(wait)) => {
            let seconds = wait.as_secs().max(1);
            (
                [(header::RETRY_AFTER, seconds.to_string())],
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed sign-ins; try again in {seconds} s"),
                ),
            )
                .into_response()
        }
        Err(Refused::BadCredentials) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong account name or password",
        )
        .into_response(),
        Err(Refused::Internal(error)) => internal(error),
    }
}

async fn sign_out_api(State(sign_in): State<Arc<SignIn>>, headers: HeaderMap) -> Response {
    end_session(&sign_in, &headers, StatusCode::NO_CONTENT.into_response()).await
}

async fn no_sign_in() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_sign_in",
        "this server runs without sign-in (local mode); start it with --auth for accounts",
    )
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_signing_in() {
        assert_eq!(safe_next("/detect?run=abc"), "/detect?run=abc");
        for elsewhere in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "",
            "/login?x",
        ] {
            assert_eq!(safe_next(elsewhere), "/", "{elsewhere}");
        }
    }
}
