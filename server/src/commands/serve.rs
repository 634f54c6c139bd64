//! `skytrace serve`: the web app (pages, REST API, sign-in) on the server's database, settings
//! and geolocation, until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::ServerSettings;
use engine::enrich::GeoLookup;
use leptos::prelude::LeptosOptions;
use service::jobs::{AnalysisQueue, QueueSettings};
use service::monitor::Monitor;
use service::notify::{AlertNotifier, Notifier};
use service::source::SourceName;
use service::{Accounts, DetectionService};
use store::Store;

use crate::cli::ServeArgs;
use crate::web::auth::{AuthMode, LimitSettings, LoginLimiter, SignIn};
use crate::web::limits::Limits;
use crate::web::{AppState, PageFiles};

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::memory::limit_allocator_arenas();
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    let leptos = site_options(&args)?;
    let addr = leptos.site_addr;
    if !Path::new(leptos.site_root.as_ref())
        .join(leptos.site_pkg_dir.as_ref())
        .is_dir()
    {
        tracing::warn!(
            site_root = %leptos.site_root,
            "no built site here (pkg/ missing): pages render but will not hydrate; build with `./dev start`"
        );
    }
    let spool_dir = args.data_dir.join("uploads");
    std::fs::create_dir_all(&spool_dir)
        .with_context(|| format!("cannot create upload directory {}", spool_dir.display()))?;
    let settings = ServerSettings {
        max_upload_bytes: args.max_upload_mb.saturating_mul(1024 * 1024),
        max_browser_bytes: args.max_browser_mb.saturating_mul(1024 * 1024),
        request_timeout: Duration::from_secs(args.request_timeout_secs),
    };
    let limits = Limits {
        header_timeout: Duration::from_secs(args.header_timeout_secs),
        body_timeout: Duration::from_secs(args.body_timeout_secs),
        min_body_rate: args.min_body_rate_kb.saturating_mul(1024),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
    };
    let mut queue = args
        .analysis_parallelism
        .map_or_else(QueueSettings::default, |slots| {
            QueueSettings::with_parallelism(slots as usize)
        });
    if let Some(depth) = args.analysis_queue_depth {
        queue.depth = depth as usize;
    }
    let read_limits = service::reading::read_limits(args.max_expanded_mb, args.max_rows);
    let config = super::load_config(args.config.as_deref())?;
    let geo: Arc<dyn GeoLookup + Send> = Arc::from(super::lookup::open_for(&args.geo)?);
    let notifications = crate::config_file::notifications(args.config.as_deref())?
        .filter(alerts::NotificationsConfig::has_channels);
    if !args.auth && !addr.ip().is_loopback() {
        anyhow::bail!(
            "listening on {addr} would let anyone on the network in without signing in: add --auth \
             (accounts are made with `skytrace user add`), or listen on 127.0.0.1"
        );
    }
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| Store::sqlite_url(&args.data_dir));
    if args.nats.is_some() && !is_postgres(&database) {
        anyhow::bail!(
            "--nats needs the PostgreSQL database the workers keep their verdicts in \
             (--database postgres://…); SQLite is for one process"
        );
    }
    let files = Arc::new(PageFiles::installed(
        args.geo.geo_dir.as_deref(),
        Path::new(leptos.site_root.as_ref()),
    ));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let store = Arc::new(Store::open(&database).await?);
            let auth = if args.auth {
                let accounts = Accounts::new(store.clone());
                let listed = accounts.list().await?;
                if listed.is_empty() {
                    anyhow::bail!(
                        "--auth needs an account to sign in with: make one with \
                         `skytrace user add NAME --role admin` (same --data-dir or --database)"
                    );
                }
                tracing::info!(accounts = listed.len(), "sign-in required (hosted mode)");
                AuthMode::SignIn(Arc::new(SignIn {
                    accounts,
                    limiter: LoginLimiter::new(LimitSettings::default(), store.clone()),
                    secure_cookie: !args.insecure_cookie,
                }))
            } else {
                AuthMode::Local
            };
            let notifier: Option<Arc<dyn Notifier>> = match notifications {
                Some(notifications) => {
                    store
                        .import_sent_log_file(&args.data_dir.join(super::notify::SENT_LOG_FILE))
                        .await?;
                    Some(Arc::new(AlertNotifier::new(notifications, store.clone())))
                }
                None => None,
            };
            let activity = service::activity::ActivityFeed::default();
            if is_postgres(&database) {
                crate::activity_relay::spawn(
                    Arc::clone(&store),
                    activity.clone(),
                    crate::activity_relay::process_name(),
                );
            }
            let monitor = if let Some(nats) = &args.nats {
                let client = crate::event_log::connect(nats)
                    .await
                    .with_context(|| format!("cannot connect to NATS at {nats}"))?;
                tracing::info!(%nats, "scale-out mode: events are published for the workers to score");
                Monitor::publishing(
                    Arc::new(crate::event_log::JetStreamLog::new(client)),
                    store.clone(),
                )
            } else {
                Monitor::start_with(
                config.clone(),
                Arc::clone(&geo),
                store.clone(),
                service::monitor::MonitorOptions {
                    queue_depth: args.ingest_queue,
                    reorder_window: std::time::Duration::from_millis(args.reorder_window_ms),
                    retention: std::time::Duration::from_secs(
                        u64::from(args.retention_days) * 86_400,
                    ),
                },
                activity.clone(),
                notifier.clone(),
            )?
            };
            if let Some(syslog_addr) = args.syslog_listen {
                let source = SourceName::parse(&args.syslog_source)
                    .map_err(|message| anyhow::anyhow!("--syslog-source: {message}"))?;
                let bound = crate::syslog::listen(syslog_addr, source.clone(), monitor.clone())
                    .await
                    .with_context(|| format!("cannot listen for syslog on {syslog_addr}"))?;
                tracing::info!(%bound, %source, "listening for syslog (UDP and TCP)");
            }
            let detection = Arc::new(DetectionService {
                config,
                geo,
                runs: store.clone(),
                feedback: store,
                notifier,
                activity,
                views: Default::default(),
                history: Default::default(),
                read_limits,
                queue: AnalysisQueue::new(queue)
                    .within(crate::memory::budget(args.memory_budget_mb)),
                spool_dir,
                settling: Default::default(),
            });
            // The latest analysis in memory before anyone asks: the dashboard shows it first.
            tokio::spawn({
                let detection = Arc::clone(&detection);
                async move { detection.warm().await }
            });
            let activity = detection.activity.clone();
            let router = crate::web::app(AppState {
                leptos,
                detection,
                auth: Arc::new(auth),
                settings,
                files,
                limits,
                monitor,
                hec_tokens: Arc::new(crate::web::hec::HecTokens(args.hec_token.clone())),
                hec_channels: Default::default(),
                ingest_rates: Arc::new(crate::web::ingest_rate::IngestRates::new(
                    args.ingest_rate_per_token,
                )),
                okta_hook_secret: Arc::new(crate::web::okta_hook::OktaHookSecret(
                    args.okta_hook_secret.clone(),
                )),
            });
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(
                "Sky Trace listening on http://{addr} (data in {}, uploads up to {} unpacking to {} \
                 and {} records; {} analyses at once, {} waiting; memory budget {})",
                args.data_dir.display(),
                service::text::bytes(settings.max_upload_bytes),
                service::text::bytes(read_limits.max_expanded_bytes),
                service::text::count(read_limits.max_rows),
                queue.parallelism,
                queue.depth,
                service::text::bytes(args.memory_budget_mb.saturating_mul(1024 * 1024)),
            );
            crate::web::connections::serve(listener, router, limits, async move {
                shutdown_signal().await;
                // Pages following the activity hold their connections open; end them.
                activity.close();
            })
            .await;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        })
}

/// The site's configuration the way Leptos apps read it (`LEPTOS_*` variables, the output name
/// built in), with the command line on top: `--addr`, `--site-root`. When the build named the
/// bundle after its content (`hash.txt` in the site), the pages load it by that name.
fn site_options(args: &ServeArgs) -> anyhow::Result<LeptosOptions> {
    let mut options = leptos::prelude::get_configuration(None)
        .context("the site's configuration (LEPTOS_* variables)")?
        .leptos_options;
    if let Some(addr) = args.addr {
        options.site_addr = addr;
    }
    // `--site-root` is also LEPTOS_SITE_ROOT; without either, the site beside the binary.
    let site_root = args.site_root.clone().unwrap_or_else(default_site_root);
    options.site_root = site_root.to_string_lossy().as_ref().into();
    if let Some(hash) = bundle_hash(&site_root.join(options.hash_file.as_ref())) {
        options.output_name = format!("{}.{hash}", options.output_name).into();
    }
    Ok(options)
}

/// The one content hash of the bundle's JavaScript, WebAssembly and CSS, as the build wrote it
/// (`js: HASH`, `wasm: HASH`, `css: HASH`).
fn bundle_hash(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut hashes = text
        .lines()
        .filter_map(|line| Some(line.split_once(':')?.1.trim().to_owned()));
    let first = hashes.next()?;
    let valid = !first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric());
    (valid && hashes.all(|hash| hash == first)).then_some(first)
}

/// `target/site` next to the `target/<profile>/skytrace` binary, else `./target/site`.
fn default_site_root() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
        .filter(|site| site.is_dir())
        .unwrap_or_else(|| PathBuf::from("target/site"))
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
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

/// Whether `url` names a PostgreSQL database (scale-out needs one shared by every process).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}
