//! The web app on axum: the Leptos pages (rendered on the server, hydrated in the browser) with
//! their server functions, the REST API, sign-in, the activity stream and the files the pages
//! load, all from one [`AppState`].

use std::sync::{Arc, LazyLock};

use app::{App, shell};
use axum::{
    Router,
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use service::text::bytes;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};

mod activity_api;
mod api;
pub mod auth;
pub mod error;
mod feedback_api;
mod files;
pub mod land;
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
    let upload_limit = usize::try_from(settings.max_upload_bytes).unwrap_or(usize::MAX);
    let context = {
        let detection = Arc::clone(&state.detection);
        move || {
            provide_context(settings);
            provide_context(Arc::clone(&detection));
        }
    };
    let site_root = std::path::Path::new(state.leptos.site_root.as_ref());
    // The build names the bundle `skytrace.<content hash>` (see `skytrace serve`).
    let hashed = state.leptos.output_name.contains('.');
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(files::bundle_routes(
            site_root,
            &state.leptos.site_pkg_dir,
            hashed,
        ))
        .merge(state.files.routes())
        .merge(api::routes())
        .merge(feedback_api::routes())
        .merge(activity_api::routes())
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
        .layer(RequestBodyLimitLayer::new(upload_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(axum::middleware::map_response(
            move |response: Response| async move {
                let response = explain_payload_too_large(response, settings.max_upload_bytes);
                explain_timeout(response, settings.request_timeout)
            },
        ))
        // Pages and API answers are compressed as they stream (precompressed files pass as they
        // are; server-sent events are never buffered). Level 4: most of the gain, little CPU.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A 413 (from the body-limit layer or from a server function reading past the limit) always
/// says what the limit is and how to change it, instead of a terse "length limit exceeded".
fn explain_payload_too_large(response: Response, limit: u64) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(format!(
            "File too large: uploads are limited to {}. Start the server with --max-upload-mb to change the limit.\n",
            bytes(limit)
        )),
    )
        .into_response()
}

/// The timeout layer's bare 503 says what happened and how to allow longer requests.
fn explain_timeout(response: Response, timeout: std::time::Duration) -> Response {
    if response.status() != StatusCode::SERVICE_UNAVAILABLE {
        return response;
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(format!(
            "The request took longer than {} s and was stopped. Start the server with --request-timeout-secs to allow longer requests.\n",
            timeout.as_secs_f64()
        )),
    )
        .into_response()
}
