//! Notifications: alerts for a kept run's incidents on the configured channels (email, SendGrid,
//! webhook), each incident alerted once per channel across runs and restarts (the notification
//! log in the database), and a test message for the settings page.

use engine::RiskLevel;
use serde::{Deserialize, Serialize};

/// The `[notifications]` section as the server runs it (never its secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationOverview {
    pub min_level: RiskLevel,
    pub user_risk_threshold: Option<f64>,
    pub max_alerts_per_hour: u32,
    pub app_url: Option<String>,
    /// One line per channel, without secrets.
    pub channels: Vec<String>,
}

/// What a test notification did, one line per channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub lines: Vec<String>,
    pub failures: usize,
}

#[cfg(feature = "runtime")]
pub use sending::{AlertNotifier, Alerted, Notifier, PendingAlerts, dispatch_logged};

#[cfg(feature = "runtime")]
mod sending {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use alerts::{Alert, DeliveryReport, Dispatcher, NotificationsConfig, SentEntry, SentLog};
    use engine::{AnalysisConfig, ScoredEvent};

    use super::{NotificationOverview, TestOutcome};
    use crate::clock::now_ms;
    use crate::dashboard::DashboardQuery;
    use crate::ports::{SentLogStore, StoreError};

    /// What alerts are about, which decides where their links lead.
    #[derive(Clone, Copy, Debug)]
    pub enum Alerted<'a> {
        /// A kept run (its id): incidents link to its incident report.
        Run(&'a str),
        /// A source's monitored logins: they have no report, so links open the source's live
        /// dashboard.
        Monitored(&'a crate::source::SourceName),
    }

    /// Alerts a kept run's incidents on the configured channels.
    pub trait Notifier: Send + Sync {
        /// The alerts of `events`, ready to send (blocking: run it off the async workers);
        /// `None` when nothing reaches the rules.
        fn prepare(
            &self,
            about: Alerted<'_>,
            events: &[ScoredEvent],
            settings: &AnalysisConfig,
        ) -> Option<PendingAlerts>;
        fn overview(&self) -> NotificationOverview;
        /// A test message on every channel.
        fn send_test(&self) -> Pin<Box<dyn Future<Output = TestOutcome> + Send + '_>>;
    }

    /// Alerts waiting to be sent: a blocking job (deliveries retry with backoff).
    pub struct PendingAlerts {
        pub count: usize,
        pub send: Box<dyn FnOnce() + Send>,
    }

    /// The server's `[notifications]`, with the notification log in the database shared by
    /// every run (so an incident is alerted once across runs and restarts).
    pub struct AlertNotifier {
        config: NotificationsConfig,
        dispatcher: Arc<Dispatcher>,
        log: Arc<dyn SentLogStore>,
    }

    impl AlertNotifier {
        pub fn new(config: NotificationsConfig, log: Arc<dyn SentLogStore>) -> Self {
            Self {
                dispatcher: Arc::new(Dispatcher::new(config.clone())),
                config,
                log,
            }
        }
    }

    impl Notifier for AlertNotifier {
        fn prepare(
            &self,
            about: Alerted<'_>,
            events: &[ScoredEvent],
            settings: &AnalysisConfig,
        ) -> Option<PendingAlerts> {
            let conclusions = engine::figures::Conclusions::recompute(events, settings);
            let mut alerts = alerts::alerts_from(&conclusions, &self.config.rules());
            if alerts.is_empty() {
                return None;
            }
            let run_id = match about {
                Alerted::Run(id) => id,
                Alerted::Monitored(_) => crate::dashboard::LIVE,
            };
            if let Some(app_url) = &self.config.app_url {
                let base = app_url.trim_end_matches('/');
                let dashboard = match about {
                    Alerted::Run(id) => DashboardQuery {
                        run: id.to_owned(),
                        ..DashboardQuery::default()
                    },
                    Alerted::Monitored(source) => DashboardQuery {
                        source: source.to_string(),
                        run: crate::dashboard::LIVE.to_owned(),
                        ..DashboardQuery::default()
                    },
                };
                for alert in &mut alerts {
                    alert.link = Some(match (alert.kind, about) {
                        (alerts::AlertKind::Incident, Alerted::Run(id)) => {
                            format!("{base}/reports?run={id}&kind=incident#{}", alert.key)
                        }
                        (alerts::AlertKind::Incident, Alerted::Monitored(_)) => {
                            format!("{base}{}", dashboard.href())
                        }
                        (alerts::AlertKind::Account, _) => format!(
                            "{base}{}",
                            dashboard.focused_on(&alert.users.join(",")).href()
                        ),
                    });
                }
            }
            let (dispatcher, log) = (Arc::clone(&self.dispatcher), Arc::clone(&self.log));
            let run_id = run_id.to_owned();
            let count = alerts.len();
            // Prepared on a blocking thread of the server's runtime, whose database pool it uses.
            let server = tokio::runtime::Handle::current();
            let send = move || {
                let sent = server.block_on(dispatch_logged(
                    log.as_ref(),
                    &dispatcher,
                    &alerts,
                    Some(&run_id),
                ));
                let Ok(report) = sent else {
                    tracing::error!("alerts not sent: the notification log cannot be used");
                    return;
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
                let report = dispatcher.send_test(now_ms()).await;
                TestOutcome {
                    lines: report.lines(),
                    failures: report.failures(),
                }
            })
        }
    }

    /// Sends `alerts`, skipping those the notification log has, and records what went out,
    /// holding the log meanwhile so no other dispatch (of any process) interleaves.
    pub async fn dispatch_logged(
        log: &dyn SentLogStore,
        dispatcher: &Dispatcher,
        alerts: &[Alert],
        run_id: Option<&str>,
    ) -> Result<DeliveryReport, StoreError> {
        let hold = log.hold_sent_log().await?;
        let earlier = match log.sent_entries().await {
            Ok(earlier) => earlier,
            Err(error) => {
                hold.release().await?;
                return Err(error);
            }
        };
        let mut sent = LoggedDeliveries {
            earlier,
            recorded: Vec::new(),
        };
        let report = dispatcher.dispatch(alerts, now_ms(), &mut sent).await;
        let recorded = log.record_sent(run_id, &sent.recorded).await;
        hold.release().await?;
        recorded.map(|()| report)
    }

    /// The log as read before a dispatch, plus what the dispatch sends; the new entries are
    /// written to the database after it (a crash in between may send an alert twice, never
    /// lose one).
    struct LoggedDeliveries {
        earlier: Vec<SentEntry>,
        recorded: Vec<SentEntry>,
    }

    impl LoggedDeliveries {
        fn all(&self) -> impl Iterator<Item = &SentEntry> {
            self.earlier.iter().chain(&self.recorded)
        }
    }

    impl SentLog for LoggedDeliveries {
        fn was_sent(&self, channel: &str, key: &str) -> bool {
            self.all()
                .any(|entry| entry.channel == channel && entry.key == key)
        }

        fn sent_since(&self, channel: &str, since_ms: i64) -> usize {
            self.all()
                .filter(|entry| {
                    entry.channel == channel && !entry.in_digest && entry.sent_at_ms >= since_ms
                })
                .count()
        }

        fn record(&mut self, entries: &[SentEntry]) -> Result<(), alerts::SentLogError> {
            self.recorded.extend_from_slice(entries);
            Ok(())
        }
    }
}
