//! Notifications: `skytrace notify-test`, alerts after `skytrace analyze --notify`, and the web
//! server's [`WebNotifier`] (alerts after web runs, the settings page's test message).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use alerts::{Alert, DeliveryReport, Dispatcher, NotificationsConfig};
use anyhow::Context;
use app::detection_service::{Notifier, PendingAlerts};
use app::server_fns::{NotificationOverview, TestOutcome};
use engine::{Analysis, AnalysisConfig, ScoredEvent};

use crate::cli::NotifyTestArgs;
use crate::store::{Store, StoredSentLog};

/// Where earlier versions kept the sent-log, in the data directory; moved into the database.
const SENT_LOG_FILE: &str = "notifications-sent.json";

/// `skytrace notify-test`: a test message on every configured channel.
pub fn notify_test(args: &NotifyTestArgs) -> anyhow::Result<ExitCode> {
    let notifications = crate::config_file::notifications(Some(&args.config))?
        .filter(NotificationsConfig::has_channels)
        .with_context(|| {
            format!(
                "{} has no [notifications.smtp], [notifications.sendgrid] or [notifications.webhook] section",
                args.config.display()
            )
        })?;
    let dispatcher = Dispatcher::new(notifications);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let report = runtime()?.block_on(dispatcher.send_test(now_ms));
    for line in report.lines() {
        println!("{line}");
    }
    Ok(if report.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Sends the analysis's alerts, recorded in the notification log of the database (`database`,
/// else the data directory's SQLite file); delivery problems are printed, never returned.
pub fn notify_analysis(
    notifications: &NotificationsConfig,
    analysis: &Analysis,
    data_dir: &Path,
    database: Option<&str>,
) -> DeliveryReport {
    let alerts = alerts::alerts_from_analysis(analysis, &notifications.rules());
    let mut report = DeliveryReport::default();
    if alerts.is_empty() {
        println!(
            "notifications: nothing at or above {}",
            notifications.min_level
        );
        return report;
    }
    let sent = (|| -> anyhow::Result<DeliveryReport> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let url = database.map_or_else(|| Store::sqlite_url(data_dir), str::to_owned);
        let dispatcher = Dispatcher::new(notifications.clone());
        runtime()?.block_on(async {
            let store = Store::open(&url).await?;
            store
                .import_sent_log_file(&data_dir.join(SENT_LOG_FILE))
                .await?;
            dispatch_logged(&store, &dispatcher, &alerts, None).await
        })
    })();
    match sent {
        Ok(sent) => report = sent,
        Err(error) => {
            eprintln!("skytrace: notifications not sent: {error:#}");
            return report;
        }
    }
    println!("notifications: {} alerts", alerts.len());
    for line in report.lines() {
        println!("  {line}");
    }
    if report.failures() > 0 {
        eprintln!(
            "skytrace: {} notification deliveries failed (they are retried on the next run)",
            report.failures()
        );
    }
    report
}

/// Sends `alerts`, skipping those the notification log has, and records what went out.
async fn dispatch_logged(
    store: &Store,
    dispatcher: &Dispatcher,
    alerts: &[Alert],
    run_id: Option<&str>,
) -> anyhow::Result<DeliveryReport> {
    let mut log = StoredSentLog::new(store.sent_entries().await?);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let report = dispatcher.dispatch(alerts, now_ms, &mut log).await;
    store.record_sent(run_id, &log.recorded).await?;
    Ok(report)
}

/// Alerts after web runs: the server's `[notifications]`, with the notification log in the
/// database shared by every run (so an incident is alerted once across runs and restarts).
pub struct WebNotifier {
    config: NotificationsConfig,
    dispatcher: Arc<Dispatcher>,
    store: Arc<Store>,
    /// One dispatch at a time, so two runs finishing together cannot both send an alert.
    sending: Arc<tokio::sync::Mutex<()>>,
}

impl WebNotifier {
    /// Moves a sent-log file of an earlier version from `data_dir` into the database.
    pub async fn open(
        config: NotificationsConfig,
        store: Arc<Store>,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        store
            .import_sent_log_file(&data_dir.join(SENT_LOG_FILE))
            .await?;
        Ok(Self {
            dispatcher: Arc::new(Dispatcher::new(config.clone())),
            config,
            store,
            sending: Arc::new(tokio::sync::Mutex::new(())),
        })
    }
}

impl Notifier for WebNotifier {
    fn prepare(
        &self,
        run_id: &str,
        events: &[ScoredEvent],
        settings: &AnalysisConfig,
    ) -> Option<PendingAlerts> {
        let users = engine::user_risks(events, &settings.risk);
        let mut alerts = alerts::alerts_from(events, &users, &self.config.rules());
        if alerts.is_empty() {
            return None;
        }
        if let Some(app_url) = &self.config.app_url {
            let base = app_url.trim_end_matches('/');
            for alert in &mut alerts {
                alert.link = Some(format!(
                    "{base}/reports?run={run_id}&kind=incident#{}",
                    alert.key
                ));
            }
        }
        let (dispatcher, store) = (Arc::clone(&self.dispatcher), Arc::clone(&self.store));
        let sending = Arc::clone(&self.sending);
        let run_id = run_id.to_owned();
        let count = alerts.len();
        // Prepared on a blocking thread of the server's runtime, whose database pool it uses.
        let server = tokio::runtime::Handle::current();
        let send = move || {
            let sent = server.block_on(async {
                let _one_at_a_time = sending.lock().await;
                dispatch_logged(&store, &dispatcher, &alerts, Some(&run_id)).await
            });
            let report = match sent {
                Ok(report) => report,
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "alerts not sent");
                    return;
                }
            };
            for line in report.lines() {
                tracing::info!("notification: {line}");
            }
            if report.failures() > 0 {
                tracing::warn!(
                    failures = report.failures(),
                    "some alerts were not delivered"
                );
            }
        };
        Some(PendingAlerts {
            count,
            send: Box::new(send),
        })
    }

    fn overview(&self) -> NotificationOverview {
        NotificationOverview {
            min_level: self.config.min_level,
            user_risk_threshold: self.config.user_risk_threshold,
            max_alerts_per_hour: self.config.max_alerts_per_hour,
            app_url: self.config.app_url.clone(),
            channels: self.config.channel_descriptions(),
        }
    }

    fn send_test(&self) -> Pin<Box<dyn Future<Output = TestOutcome> + Send + '_>> {
        let dispatcher = Arc::clone(&self.dispatcher);
        Box::pin(async move {
            let sent = tokio::task::spawn_blocking(move || {
                let now_ms = jiff::Timestamp::now().as_millisecond();
                runtime().map(|runtime| runtime.block_on(dispatcher.send_test(now_ms)))
            })
            .await;
            match sent {
                Ok(Ok(report)) => TestOutcome {
                    lines: report.lines(),
                    failures: report.failures(),
                },
                _ => TestOutcome {
                    lines: vec!["the test could not be started (see the server log)".to_owned()],
                    failures: 1,
                },
            }
        })
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A webhook receiver on loopback in its own thread; returns its address and the bodies.
    fn webhook_receiver() -> (
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
        let config = data_dir.path().join("alerts.toml");
        std::fs::write(
            &config,
            format!(
                "[notifications]\nmax_alerts_per_hour = 1000\n\
                 [notifications.retry]\nmax_attempts = 2\ninitial_backoff_ms = 10\ntimeout_secs = 5\n\
                 [notifications.webhook]\nurl = \"http://{address}/hook\"\n"
            ),
        )
        .expect("config");
        let notifications = crate::config_file::notifications(Some(&config))
            .expect("valid")
            .expect("notifications");

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
                store.sent_entries().await
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
}
