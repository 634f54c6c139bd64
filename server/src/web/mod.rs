//! `skytrace serve`: the Leptos app on axum.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, LazyLock};

use anyhow::Context;
use app::detection_service::{DetectionService, Notifier};
use app::{App, ServerSettings, format::bytes, shell};
use axum::{
    Router,
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use engine::enrich::GeoLookup;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};

use crate::auth::middleware::authenticate;
use crate::auth::{AuthMode, LimitSettings, LoginLimiter, SignIn};
use crate::cli::ServeArgs;
use crate::store::Store;

/// Name under which cargo-leptos writes the browser bundle (`pkg/skytrace.{js,wasm,css}`).
const OUTPUT_NAME: &str = "skytrace";

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    let site_root = args.site_root.clone().unwrap_or_else(default_site_root);
    if !site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %site_root.display(),
            "no built site here (pkg/ missing): pages render but will not hydrate; build with `cargo leptos build --release`"
        );
    }
    let settings = ServerSettings {
        max_upload_bytes: args.max_upload_mb.saturating_mul(1024 * 1024),
        max_browser_bytes: args.max_browser_mb.saturating_mul(1024 * 1024),
        request_timeout: std::time::Duration::from_secs(args.request_timeout_secs),
    };
    let config = crate::analyze::load_config(args.config.as_deref())?;
    let geo: Arc<dyn GeoLookup + Send> = Arc::from(crate::geo::open_for(&args.geo)?);
    let notifications = crate::config_file::notifications(args.config.as_deref())?
        .filter(alerts::NotificationsConfig::has_channels);
    if !args.auth && !args.addr.ip().is_loopback() {
        anyhow::bail!(
            "listening on {} would let anyone on the network in without signing in: add --auth \
             (accounts are made with `skytrace user add`), or listen on 127.0.0.1",
            args.addr
        );
    }
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| Store::sqlite_url(&args.data_dir));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let store = Arc::new(Store::open(&database).await?);
            let auth = if args.auth {
                let accounts = store.accounts().await?;
                if accounts.is_empty() {
                    anyhow::bail!(
                        "--auth needs an account to sign in with: make one with \
                         `skytrace user add NAME --role admin` (same --data-dir or --database)"
                    );
                }
                tracing::info!(accounts = accounts.len(), "sign-in required (hosted mode)");
                AuthMode::SignIn(Arc::new(SignIn {
                    store: store.clone(),
                    limiter: LoginLimiter::new(LimitSettings::default()),
                    secure_cookie: !args.insecure_cookie,
                }))
            } else {
                AuthMode::Local
            };
            let notifier: Option<Arc<dyn Notifier>> = match notifications {
                Some(notifications) => Some(Arc::new(
                    crate::notify::WebNotifier::open(notifications, store.clone(), &args.data_dir)
                        .await?,
                )),
                None => None,
            };
            let detection = Arc::new(DetectionService {
                config,
                geo,
                runs: store.clone(),
                feedback: store,
                notifier,
                activity: Default::default(),
            });
            let activity = detection.activity.clone();
            let router = app(
                &site_root,
                args.addr,
                settings,
                detection,
                Arc::new(auth),
                PageFiles::for_pages(&args.geo),
            );
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("cannot listen on {}", args.addr))?;
            tracing::info!(
                "Sky Trace listening on http://{} (data in {}, uploads up to {})",
                args.addr,
                args.data_dir.display(),
                bytes(settings.max_upload_bytes)
            );
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    shutdown_signal().await;
                    // Pages following the activity hold their connections open; end them.
                    activity.close();
                })
                .await?;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        })
}

/// Files the pages load from the server, installed by `./dev` from npm beside the geolocation
/// data; each one missing is a 404 that says how to install it, and the page does without.
#[derive(Clone, Default)]
pub struct PageFiles {
    /// The server-rendered map's land; without it the map shows its points on a blank sea.
    pub land_svg: Option<Arc<str>>,
    /// The interactive map's countries (GeoJSON); without them the server-rendered map stays.
    pub countries_geojson: Option<Arc<str>>,
    /// The country database analyses in the browser use for geolocation.
    pub country_database: Option<PathBuf>,
    /// Apache ECharts, which draws the interactive charts; without it the SVG charts stay.
    pub echarts_script: Option<PathBuf>,
}

impl PageFiles {
    fn for_pages(geo: &crate::cli::GeoArgs) -> Self {
        let geo_dir = geo.geo_dir.as_deref();
        Self {
            land_svg: converted(land::locate(geo_dir), land::land_svg),
            countries_geojson: converted(land::locate_countries(geo_dir), land::countries_geojson),
            country_database: geolocation::country_database_file(geo_dir),
            echarts_script: geolocation::echarts_file(geo_dir),
        }
    }
}

/// The world-atlas `file`, converted once at start.
fn converted(
    file: Option<PathBuf>,
    convert: fn(&str) -> anyhow::Result<String>,
) -> Option<Arc<str>> {
    let file = file?;
    let result = std::fs::read_to_string(&file)
        .map_err(anyhow::Error::from)
        .and_then(|topology| convert(&topology));
    match result {
        Ok(text) => Some(Arc::from(text)),
        Err(error) => {
            tracing::warn!(file = %file.display(), "cannot convert the map data: {error:#}");
            None
        }
    }
}

fn not_installed(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("no {what} here (run ./dev setup)\n"),
    )
        .into_response()
}

async fn converted_file(text: Option<Arc<str>>, content_type: &'static str) -> Response {
    match text {
        Some(text) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            text.to_string(),
        )
            .into_response(),
        None => not_installed("world-atlas data"),
    }
}

async fn installed_file(
    file: Option<PathBuf>,
    content_type: &'static str,
    what: &'static str,
) -> Response {
    let Some(file) = file else {
        return not_installed(what);
    };
    match tokio::fs::read(&file).await {
        Ok(content) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            content,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(file = %file.display(), "cannot read a page's file: {error}");
            (StatusCode::NOT_FOUND, "the file cannot be read\n").into_response()
        }
    }
}

/// `target/site` next to the `target/<profile>/skytrace` binary, else `./target/site`.
fn default_site_root() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
        .filter(|site| site.is_dir())
        .unwrap_or_else(|| PathBuf::from("target/site"))
}

/// The app's routes, listed once per process: while Leptos lists them it suspends resource
/// loading process-wide, and a page rendering at that moment would never finish.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The whole web application: pages, server functions, static files, health check, the API,
/// and sign-in when `auth` asks for it.
pub fn app(
    site_root: &Path,
    addr: SocketAddr,
    settings: ServerSettings,
    detection: Arc<DetectionService>,
    auth: Arc<AuthMode>,
    page_files: PageFiles,
) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let routes = ROUTES.clone();
    let upload_limit = usize::try_from(settings.max_upload_bytes).unwrap_or(usize::MAX);
    let api =
        api::routes(Arc::clone(&detection)).merge(activity_api::routes(Arc::clone(&detection)));
    let context = move || {
        provide_context(settings);
        provide_context(Arc::clone(&detection));
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/map/land.svg", {
            let land = page_files.land_svg;
            get(move || converted_file(land.clone(), "image/svg+xml"))
        })
        .route(app::components::WORLD_MAP_PATH, {
            let countries = page_files.countries_geojson;
            get(move || converted_file(countries.clone(), "application/geo+json"))
        })
        .route(app::local_analysis::COUNTRY_DATA_PATH, {
            let file = page_files.country_database;
            get(move || {
                installed_file(file.clone(), "application/octet-stream", "country database")
            })
        })
        .route(app::components::ECHARTS_PATH, {
            let file = page_files.echarts_script;
            get(move || installed_file(file.clone(), "text/javascript", "ECharts"))
        })
        .merge(api)
        .merge(sign_in::routes(Arc::clone(&auth)))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone(), settings)
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            move |options| shell(options, settings),
        ))
        .layer(axum::middleware::from_fn_with_state(auth, authenticate))
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
        .layer(TraceLayer::new_for_http())
        .with_state(options)
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

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

mod activity_api;
mod api;
mod feedback_api;
pub mod land;
mod sign_in;

pub(crate) use api::ApiError;
#[cfg(test)]
mod tests;
