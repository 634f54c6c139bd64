//! What the tests build apps from: a fresh database, and the app state around it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app::ServerSettings;
use leptos::prelude::LeptosOptions;
use server::web::auth::AuthMode;
use server::web::limits::Limits;
use server::web::{AppState, PageFiles};
use service::DetectionService;
use service::monitor::Monitor;
use service::notify::Notifier;
use service::ports::{MonitorStore, MonitoredLogin, Stored};
use service::source::SourceName;
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
        )
        .unwrap(),
        detection: Arc::new(detection),
        auth: Arc::new(auth),
        settings,
        files: Arc::new(files),
        limits: Limits::default(),
        hec_tokens: Default::default(),
        hec_channels: Default::default(),
        okta_hook_secret: Default::default(),
    }
}

/// Monitored logins in memory, for apps whose tests do not restart them; when gated, each write
/// waits for a permit ([`Self::let_through`]).
#[derive(Default)]
pub struct MemoryMonitorStore {
    kept: Mutex<BTreeMap<SourceName, Vec<MonitoredLogin>>>,
    gate: Option<tokio::sync::Semaphore>,
}

impl MemoryMonitorStore {
    /// Keeps nothing until let through.
    pub fn gated() -> Self {
        Self {
            gate: Some(tokio::sync::Semaphore::new(0)),
            ..Self::default()
        }
    }

    /// Lets `writes` more writes through the gate.
    pub fn let_through(&self, writes: usize) {
        if let Some(gate) = &self.gate {
            gate.add_permits(writes);
        }
    }

    /// Logins kept, across sources.
    pub fn kept_logins(&self) -> usize {
        self.kept.lock().unwrap().values().map(Vec::len).sum()
    }
}

impl MonitorStore for MemoryMonitorStore {
    fn keep_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, ()> {
        Box::pin(async move {
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            self.kept
                .lock()
                .unwrap()
                .entry(source.clone())
                .or_default()
                .extend_from_slice(logins);
            Ok(())
        })
    }

    fn monitored_sources(&self) -> Stored<'_, Vec<SourceName>> {
        let sources = self.kept.lock().unwrap().keys().cloned().collect();
        Box::pin(async { Ok(sources) })
    }

    fn monitored<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<MonitoredLogin>> {
        let logins = self
            .kept
            .lock()
            .unwrap()
            .get(source)
            .cloned()
            .unwrap_or_default();
        Box::pin(async { Ok(logins) })
    }

    fn monitored_between<'a>(
        &'a self,
        source: &'a SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Stored<'a, Vec<engine::ScoredEvent>> {
        let mut scored: Vec<engine::ScoredEvent> = self
            .kept
            .lock()
            .unwrap()
            .get(source)
            .into_iter()
            .flatten()
            .map(|login| login.scored.clone())
            .filter(|scored| (from_ms..to_ms).contains(&scored.timestamp_ms))
            .collect();
        scored.sort_by_key(|scored| scored.timestamp_ms);
        let scored = scored.split_off(scored.len().saturating_sub(limit));
        Box::pin(async { Ok(scored) })
    }
}
