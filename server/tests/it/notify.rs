use alerts::DeliveryReport;
use server::commands::notify::*;
use server::commands::runtime;
use store::Store;

/// A webhook receiver on loopback in its own thread; returns its address and the bodies.
pub(crate) fn webhook_receiver() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::sync::{Arc, Mutex};
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&bodies);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = runtime().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            sender
                .send(listener.local_addr().expect("address"))
                .expect("send");
            let app = axum::Router::new().fallback(move |body: String| {
                let recorded = Arc::clone(&recorded);
                async move {
                    recorded.lock().expect("lock").push(body);
                    "ok"
                }
            });
            axum::serve(listener, app).await
        })
    });
    (receiver.recv().expect("address"), bodies)
}

/// Notifications to the webhook at `address` only, as a config file in `dir` sets them.
fn webhook_notifications(
    dir: &std::path::Path,
    address: std::net::SocketAddr,
) -> alerts::NotificationsConfig {
    let config = dir.join("alerts.toml");
    std::fs::write(
        &config,
        format!(
            "[notifications]\nmax_alerts_per_hour = 1000\n\
             [notifications.retry]\nmax_attempts = 2\ninitial_backoff_ms = 10\ntimeout_secs = 5\n\
             [notifications.webhook]\nurl = \"http://{address}/hook\"\n"
        ),
    )
    .expect("config");
    server::config_file::notifications(Some(&config))
        .expect("valid")
        .expect("notifications")
}

#[test]
fn analysis_alerts_are_sent_once() {
    let rows = scenario::generate(&scenario::ScenarioParams::sample()).expect("scenario");
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).expect("csv");
    let ingested = engine::read_slice(&csv, &engine::IngestOptions::default()).expect("ingest");
    let analysis = engine::analyze(
        &ingested.events,
        &engine::AnalysisConfig::default(),
        &engine::enrich::NoGeolocation,
        |_| {},
    )
    .expect("analysis");

    let (address, bodies) = webhook_receiver();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let notifications = webhook_notifications(data_dir.path(), address);

    // An earlier version's sent-log file, which already has the first alert: moved into the
    // database, so that alert is not sent again.
    let alerts = alerts::alerts_from_analysis(&analysis, &notifications.rules());
    assert!(alerts.len() >= 2, "the sample scenario has attacks");
    let old_log = data_dir.path().join(SENT_LOG_FILE);
    std::fs::write(
        &old_log,
        serde_json::to_string(&[alerts::SentEntry {
            channel: "webhook".to_owned(),
            key: alerts[0].key.clone(),
            sent_at_ms: 1,
            in_digest: false,
        }])
        .expect("json"),
    )
    .expect("old sent-log");

    let first = notify_analysis(&notifications, &analysis, data_dir.path(), None);
    assert_eq!(first.deliveries.len(), alerts.len());
    let sent = |report: &DeliveryReport| {
        report
            .deliveries
            .iter()
            .filter(|d| d.outcome == alerts::Outcome::Sent)
            .count()
    };
    assert_eq!(sent(&first), alerts.len() - 1, "{first:#?}");
    assert_eq!(bodies.lock().expect("lock").len(), alerts.len() - 1);
    assert!(!old_log.exists(), "the file was moved into the database");
    let logged = runtime()
        .expect("runtime")
        .block_on(async {
            let store = Store::open(&Store::sqlite_url(data_dir.path())).await?;
            anyhow::Ok(service::ports::SentLogStore::sent_entries(&store).await?)
        })
        .expect("notification log");
    assert_eq!(logged.len(), alerts.len());

    let second = notify_analysis(&notifications, &analysis, data_dir.path(), None);
    assert!(
        second
            .deliveries
            .iter()
            .all(|d| d.outcome == alerts::Outcome::Deduplicated),
        "{second:#?}"
    );
    assert_eq!(bodies.lock().expect("lock").len(), alerts.len() - 1);
}

/// Monitored logins are alerted on as they arrive: a shipper sends a month of an organisation's
/// sign-ins with attacks in batches, and the webhook hears of its incidents without any upload;
/// the same logins sent again (a shipper's retry) alert nothing more.
#[test]
fn monitored_attacks_are_alerted_once_as_they_arrive() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use engine::ingest::RecordOutcome;
    use service::monitor::Monitor;
    use service::notify::{AlertNotifier, Notifier};
    use service::source::SourceName;

    let rows = scenario::generate(&scenario::ScenarioParams::sample()).expect("scenario");
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).expect("csv");
    let mut logins = engine::read_slice(&csv, &engine::IngestOptions::default())
        .expect("ingest")
        .events;
    logins.sort_by_key(|login| login.timestamp_ms);

    let (address, bodies) = webhook_receiver();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut notifications = webhook_notifications(data_dir.path(), address);
    notifications.app_url = Some("https://skytrace.example".to_owned());
    // What the webhook heard, once it has not changed for three alert rounds.
    let settled = || async {
        let heard = || bodies.lock().expect("lock").len();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = (heard(), Instant::now());
        while Instant::now() < deadline && last.1.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if heard() != last.0 {
                last = (heard(), Instant::now());
            }
        }
        last.0
    };
    runtime().expect("runtime").block_on(async {
        let store = Arc::new(crate::support::fresh_store().await);
        let notifier: Arc<dyn Notifier> =
            Arc::new(AlertNotifier::new(notifications, store.clone()));
        let monitor = Monitor::start(
            engine::AnalysisConfig::default(),
            Arc::new(engine::enrich::NoGeolocation),
            store,
            8,
            Default::default(),
            Some(notifier),
        )
        .expect("monitor");
        let send = |batch: &[engine::LoginEvent]| {
            let records = batch
                .iter()
                .map(|login| RecordOutcome::Event(Box::new(login.clone())))
                .collect();
            monitor.submit_read(SourceName::parse("acme").expect("name"), records)
        };
        for batch in logins.chunks(500) {
            send(batch).await.expect("kept");
        }
        let sent = settled().await;
        assert!(sent >= 2, "the sample's attacks were alerted: {sent}");
        // Each alert links to the live dashboard of the source it is about (there is no report).
        let bodies_now = bodies.lock().expect("lock").clone();
        assert!(
            bodies_now.iter().all(|body| body
                .contains("https://skytrace.example/dashboard?source=acme&run=live")
                && !body.contains("/reports?")),
            "{bodies_now:?}"
        );
        for batch in logins.chunks(500).take(3) {
            send(batch).await.expect("answered");
        }
        let again = settled().await;
        assert_eq!(again, sent, "a retry alerts nothing more");
    });
}
