//! The web app on axum: the Leptos pages (rendered on the server, hydrated in the browser) with
//! their server functions, the REST API, sign-in, the activity stream and the files the pages
//! load, all from one [`AppState`].

use std::sync::{Arc, LazyLock};

use app::{App, shell};
use axum::{
    Router,
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};

mod activity_api;
mod api;
pub mod auth;
pub mod connections;
pub mod error;
mod events_api;
mod feedback_api;
mod files;
pub mod hec;
pub mod hec_channels;
pub mod ingest_rate;
pub mod land;
pub mod limits;
pub mod metrics;
mod monitored_api;
pub mod okta_hook;
pub mod problem;
pub mod security;
pub mod server_fn_guard;
pub mod sign_in;
mod state;

pub use files::PageFiles;
pub use state::AppState;

/// The app's routes, listed once per process: while Leptos lists them it suspends resource
/// loading process-wide, and a page rendering at that moment would never finish.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The whole web application: pages, server functions, static files, health check, the API,
/// and sign-in when the state's auth mode asks for it.
pub fn app(state: AppState) -> Router {
    let settings = state.settings;
    let limits = state.limits;
    let upload_limit = usize::try_from(settings.max_upload_bytes).unwrap_or(usize::MAX);
    let explained = problem::ExplainedLimits {
        max_upload_bytes: settings.max_upload_bytes,
        request_timeout: settings.request_timeout,
    };
    let context = {
        let detection = Arc::clone(&state.detection);
        let monitor = state.monitor.clone();
        let accounts = match state.auth.as_ref() {
            auth::AuthMode::SignIn(sign_in) => Some(sign_in.accounts.clone()),
            auth::AuthMode::Local => None,
        };
        move || {
            provide_context(settings);
            provide_context(Arc::clone(&detection));
            provide_context(monitor.clone());
            provide_context(accounts.clone());
            security::provide_page_nonce();
        }
    };
    let site_root = std::path::Path::new(state.leptos.site_root.as_ref());
    // The build names the bundle `skytrace.<content hash>` (see `skytrace serve`).
    let hashed = state.leptos.output_name.contains('.');
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readiness))
        .merge(files::bundle_routes(
            site_root,
            &state.leptos.site_pkg_dir,
            hashed,
        ))
        .merge(state.files.routes())
        .merge(api::routes())
        .merge(events_api::routes())
        .merge(monitored_api::routes())
        .merge(hec::routes())
        .merge(okta_hook::routes())
        .merge(metrics::routes())
        .merge(feedback_api::routes())
        .merge(activity_api::routes())
        .merge(problem::routes())
        .merge(sign_in::routes(&state.auth))
        .leptos_routes_with_context(&state, ROUTES.clone(), context.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone(), settings)
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, move |options| shell(options, settings)))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::middleware::authenticate,
        ))
        .layer(axum::middleware::from_fn(server_fn_guard::guard_server_fns))
        .layer(axum::middleware::from_fn(move |request, next| {
            limits::pace_bodies(limits, request, next)
        }))
        .layer(RequestBodyLimitLayer::new(upload_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(axum::middleware::from_fn(move |request, next| {
            problem::api_problems(explained, request, next)
        }))
        .layer(axum::middleware::from_fn(security::security_headers))
        // Pages and API answers are compressed as they stream (precompressed files pass as they
        // are; server-sent events are never buffered). Level 4: most of the gain, little CPU.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A panic in a handler is a bug: it is logged, and the client gets a 500 instead of a dropped
/// connection.
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    error::ApiError::internal().into_response()
}

/// `/readyz`: 200 once events sent now are scored at once (sources rebuilt, the worker
/// running, the database answering), else 503 saying what is not ready; `/healthz` only says
/// the process serves requests.
async fn readiness(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, String) {
    match state.monitor.readiness().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready".to_owned()),
        Err(not_ready) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {not_ready}"),
        ),
    }
}
