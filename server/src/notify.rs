//! Notifications: `skytrace notify-test`, alerts after `skytrace analyze --notify`, and the web
//! server's [`WebNotifier`] (alerts after web runs, the settings page's test message).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use alerts::{DeliveryReport, Dispatcher, JsonSentLog, NotificationsConfig};
use anyhow::Context;
use app::detection_service::{Notifier, PendingAlerts};
use app::server_fns::{NotificationOverview, TestOutcome};
use engine::{Analysis, AnalysisConfig, ScoredEvent};

use crate::cli::NotifyTestArgs;

/// The sent-log's file name inside the data directory.
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

/// Sends the analysis's alerts; delivery problems are printed, never returned.
pub fn notify_analysis(
    notifications: &NotificationsConfig,
    analysis: &Analysis,
    data_dir: &Path,
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
    let path = data_dir.join(SENT_LOG_FILE);
    let sent = (|| -> anyhow::Result<DeliveryReport> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let mut log = JsonSentLog::open(&path)?;
        let dispatcher = Dispatcher::new(notifications.clone());
        let now_ms = jiff::Timestamp::now().as_millisecond();
        Ok(runtime()?.block_on(dispatcher.dispatch(&alerts, now_ms, &mut log)))
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

/// Alerts after web runs: the server's `[notifications]`, with a sent-log in the data
/// directory shared by every run (so an incident is alerted once across runs and restarts).
pub struct WebNotifier {
    config: NotificationsConfig,
    dispatcher: Arc<Dispatcher>,
    sent_log: Arc<Mutex<JsonSentLog>>,
}

impl WebNotifier {
    pub fn open(config: NotificationsConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let sent_log = JsonSentLog::open(&data_dir.join(SENT_LOG_FILE))?;
        Ok(Self {
            dispatcher: Arc::new(Dispatcher::new(config.clone())),
            config,
            sent_log: Arc::new(Mutex::new(sent_log)),
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
        let (dispatcher, sent_log) = (Arc::clone(&self.dispatcher), Arc::clone(&self.sent_log));
        let count = alerts.len();
        let send = move || {
            let report = match runtime() {
                Ok(runtime) => {
                    let mut log = sent_log.lock().unwrap_or_else(PoisonError::into_inner);
                    let now_ms = jiff::Timestamp::now().as_millisecond();
                    runtime.block_on(dispatcher.dispatch(&alerts, now_ms, &mut *log))
                }
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
        let rows = engine::scenario::generate(&engine::scenario::ScenarioParams::sample())
            .expect("scenario");
        let mut csv = Vec::new();
        engine::scenario::write_csv(&rows, &mut csv, false).expect("csv");
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

        let first = notify_analysis(&notifications, &analysis, data_dir.path());
        let alerts = alerts::alerts_from_analysis(&analysis, &notifications.rules());
        assert!(!alerts.is_empty(), "the sample scenario has attacks");
        assert_eq!(first.deliveries.len(), alerts.len());
        assert!(
            first
                .deliveries
                .iter()
                .all(|d| d.outcome == alerts::Outcome::Sent),
            "{first:#?}"
        );
        assert_eq!(bodies.lock().expect("lock").len(), alerts.len());
        assert!(data_dir.path().join(SENT_LOG_FILE).is_file());

        let second = notify_analysis(&notifications, &analysis, data_dir.path());
        assert!(
            second
                .deliveries
                .iter()
                .all(|d| d.outcome == alerts::Outcome::Deduplicated),
            "{second:#?}"
        );
        assert_eq!(bodies.lock().expect("lock").len(), alerts.len());
    }
}
