//! What the tests build apps from: a fresh database, and the app state around it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::ServerSettings;
use leptos::prelude::LeptosOptions;
use server::web::auth::AuthMode;
use server::web::limits::Limits;
use server::web::{AppState, PageFiles};
use service::DetectionService;
use service::monitor::Monitor;
use service::notify::Notifier;
use store::Store;

/// A store on a new SQLite file of its own under the system's scratch directory.
pub async fn fresh_store() -> Store {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "skytrace-server-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("skytrace.db"));
    Store::open(&Store::sqlite_url(&dir)).await.unwrap()
}

/// The detection use-cases on `store`, without geolocation, alerting through `notifier`.
pub fn detection_on(store: Arc<Store>, notifier: Option<Arc<dyn Notifier>>) -> DetectionService {
    DetectionService {
        config: engine::AnalysisConfig::default(),
        geo: Arc::new(engine::enrich::NoGeolocation),
        runs: store.clone(),
        feedback: store,
        notifier,
        activity: Default::default(),
        views: Default::default(),
        history: Default::default(),
        read_limits: service::reading::read_limits(
            service::reading::DEFAULT_MAX_EXPANDED_MB,
            service::reading::DEFAULT_MAX_ROWS,
        ),
        queue: Default::default(),
        spool_dir: std::env::temp_dir(),
        settling: Default::default(),
    }
}

/// The app's state for a test: no built site, the given settings, auth mode and files.
pub fn state(
    detection: DetectionService,
    settings: ServerSettings,
    auth: AuthMode,
    files: PageFiles,
) -> AppState {
    AppState {
        leptos: LeptosOptions::builder()
            .output_name("skytrace")
            .site_root("target/site-does-not-exist")
            .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
            .build(),
        monitor: Monitor::start(
            detection.config.clone(),
            Arc::clone(&detection.geo),
            Arc::new(MemoryMonitorStore::default()),
            service::monitor::DEFAULT_QUEUE_DEPTH,
            detection.activity.clone(),
            None,
        )
        .unwrap(),
        detection: Arc::new(detection),
        auth: Arc::new(auth),
        settings,
        files: Arc::new(files),
        limits: Limits::default(),
        hec_tokens: Default::default(),
        ingest_rates: Default::default(),
        hec_channels: Default::default(),
        okta_hook_secret: Default::default(),
    }
}

pub use service::memory_monitor::MemoryMonitorStore;
