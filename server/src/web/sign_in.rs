//! Signing in and out: the sign-in page's form (`POST /login`, `POST /logout`) and the API's
//! `/api/v1/session`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use serde::{Deserialize, Serialize};
use service::account::Account;
use service::accounts::{AccountError, SESSION_HOURS, StartedSession};
use service::text::query_value;

use super::auth::request::{client_address, from_another_site, session_secret};
use super::auth::{AuthMode, SESSION_COOKIE, SignIn};
use super::error::ApiError;

pub fn routes<S: Clone + Send + Sync + 'static>(mode: &AuthMode) -> Router<S> {
    match mode {
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

enum Refused {
    CrossSite,
    Limited(Duration),
    BadCredentials,
    Internal(AccountError),
}

async fn check_credentials(
    sign_in: &SignIn,
    headers: &HeaderMap,
    address: Option<IpAddr>,
    name: &str,
    password: &str,
) -> Result<StartedSession, Refused> {
    // A sign-in form on another site must not sign a visitor in to someone's account.
    if from_another_site(headers) {
        return Err(Refused::CrossSite);
    }
    let now_ms = service::clock::now_ms();
    let limited = sign_in
        .limiter
        .retry_after(name, address, now_ms)
        .await
        .map_err(|error| Refused::Internal(error.into()))?;
    if let Some(wait) = limited {
        tracing::warn!(
            account = name,
            ?address,
            "sign-in refused: too many failures"
        );
        return Err(Refused::Limited(wait));
    }
    match sign_in.accounts.sign_in(name, password).await {
        Ok(started) => {
            if sign_in.limiter.succeeded(name).await.is_err() {
                tracing::warn!(account = name, "the account's failed sign-ins stay counted");
            }
            tracing::info!(account = name, ?address, "signed in");
            Ok(started)
        }
        Err(AccountError::BadCredentials) => {
            sign_in
                .limiter
                .failed(name, address, now_ms)
                .await
                .map_err(|error| Refused::Internal(error.into()))?;
            tracing::warn!(account = name, ?address, "failed sign-in");
            Err(Refused::BadCredentials)
        }
        Err(error) => Err(Refused::Internal(error)),
    }
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
pub fn safe_next(next: &str) -> &str {
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

fn internal(error: AccountError) -> Response {
    tracing::error!("sign-in failed: {error}");
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
        && let Err(error) = sign_in.accounts.end_session(secret).await
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
