//! Sends alerts on every configured channel: skips what the sent-log says was delivered,
//! keeps each channel under its hourly limit (the excess goes out as one digest), retries with
//! exponential backoff, and reports every outcome instead of failing.

use std::time::Duration;

use serde::Serialize;

use crate::alert::Alert;
use crate::channel::{self, ChannelKind, SecretSource, SendError};
use crate::config::NotificationsConfig;
use crate::content::Notice;
use crate::sent_log::{SentEntry, SentLog};

const HOUR_MS: i64 = 3_600_000;

/// What happened to one alert (or digest, or test) on one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// Already delivered on this channel by an earlier dispatch.
    Deduplicated,
    /// Over the hourly limit; summarised in this channel's digest.
    RateLimited {
        digest_sent: bool,
    },
    Failed {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    /// The alert key, `digest` or `test`.
    pub key: String,
    pub channel: ChannelKind,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub attempts: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeliveryReport {
    pub deliveries: Vec<Delivery>,
    /// Problems saving the sent-log (deliveries happened but may be repeated later).
    pub sent_log_errors: Vec<String>,
}

impl DeliveryReport {
    pub fn count(&self, predicate: impl Fn(&Outcome) -> bool) -> usize {
        self.deliveries
            .iter()
            .filter(|delivery| predicate(&delivery.outcome))
            .count()
    }

    pub fn failures(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Failed { .. }))
    }

    /// One line per delivery, for people.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .deliveries
            .iter()
            .map(|delivery| {
                let what = match &delivery.outcome {
                    Outcome::Sent => "sent".to_owned(),
                    Outcome::Deduplicated => "already sent earlier".to_owned(),
                    Outcome::RateLimited { digest_sent: true } => {
                        "over the hourly limit, sent in a digest".to_owned()
                    }
                    Outcome::RateLimited { digest_sent: false } => {
                        "over the hourly limit, digest failed".to_owned()
                    }
                    Outcome::Failed { reason } => format!("FAILED: {reason}"),
                };
                format!(
                    "{:<8} {:<30} {what} ({} attempt{})",
                    delivery.channel,
                    delivery.key,
                    delivery.attempts,
                    if delivery.attempts == 1 { "" } else { "s" }
                )
            })
            .collect();
        lines.extend(
            self.sent_log_errors
                .iter()
                .map(|error| format!("sent-log: {error}")),
        );
        lines
    }
}

/// Sends notifications as configured. Holds no clock: callers pass the time.
pub struct Dispatcher {
    config: NotificationsConfig,
    client: Result<reqwest::Client, String>,
    secrets: SecretSource,
}

impl Dispatcher {
    /// Secrets come from the process environment. The config should have passed `check()`.
    pub fn new(config: NotificationsConfig) -> Self {
        Self::with_secrets(config, Box::new(|name| std::env::var(name).ok()))
    }

    /// Secrets come from `secrets` (variable name → value).
    pub fn with_secrets(config: NotificationsConfig, secrets: SecretSource) -> Self {
        // Several libraries may race to install a provider; any installed one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.retry.timeout_secs))
            .build()
            .map_err(|error| format!("cannot set up HTTP: {error}"));
        Self {
            config,
            client,
            secrets,
        }
    }

    pub fn config(&self) -> &NotificationsConfig {
        &self.config
    }

    pub fn channels(&self) -> Vec<ChannelKind> {
        let mut channels = Vec::new();
        if self.config.smtp.is_some() {
            channels.push(ChannelKind::Smtp);
        }
        if self.config.sendgrid.is_some() {
            channels.push(ChannelKind::SendGrid);
        }
        if self.config.webhook.is_some() {
            channels.push(ChannelKind::Webhook);
        }
        channels
    }

    /// Delivers `alerts` on every channel at `now_ms`, recording deliveries in `log`.
    pub async fn dispatch(
        &self,
        alerts: &[Alert],
        now_ms: i64,
        log: &mut dyn SentLog,
    ) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        for channel in self.channels() {
            self.dispatch_channel(channel, alerts, now_ms, log, &mut report)
                .await;
        }
        report
    }

    /// A clearly labelled test message on every channel; no deduplication or limits.
    pub async fn send_test(&self, now_ms: i64) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        for channel in self.channels() {
            let (result, attempts) = self
                .deliver(channel, &Notice::Test { sent_at_ms: now_ms })
                .await;
            report.deliveries.push(Delivery {
                key: "test".to_owned(),
                channel,
                outcome: outcome(result),
                attempts,
            });
        }
        report
    }

    async fn dispatch_channel(
        &self,
        channel: ChannelKind,
        alerts: &[Alert],
        now_ms: i64,
        log: &mut dyn SentLog,
        report: &mut DeliveryReport,
    ) {
        let name = channel.as_str();
        let mut pending = Vec::new();
        for alert in alerts {
            let repeated = log.was_sent(name, &alert.key)
                || pending.iter().any(|other: &&Alert| other.key == alert.key);
            if repeated {
                report.deliveries.push(Delivery {
                    key: alert.key.clone(),
                    channel,
                    outcome: Outcome::Deduplicated,
                    attempts: 0,
                });
            } else {
                pending.push(alert);
            }
        }
        let recent = log.sent_since(name, now_ms.saturating_sub(HOUR_MS - 1));
        let allowance = (self.config.max_alerts_per_hour as usize).saturating_sub(recent);
        let excess = pending.split_off(allowance.min(pending.len()));

        for alert in pending {
            let (result, attempts) = self.deliver(channel, &Notice::Alert(alert)).await;
            if result.is_ok() {
                record(log, report, &[entry(name, &alert.key, now_ms, false)]);
            }
            report.deliveries.push(Delivery {
                key: alert.key.clone(),
                channel,
                outcome: outcome(result),
                attempts,
            });
        }

        if excess.is_empty() {
            return;
        }
        let digest: Vec<Alert> = excess.iter().map(|alert| (*alert).clone()).collect();
        let (result, attempts) = self.deliver(channel, &Notice::Digest(&digest)).await;
        let digest_sent = result.is_ok();
        if digest_sent {
            let entries: Vec<SentEntry> = excess
                .iter()
                .map(|alert| entry(name, &alert.key, now_ms, true))
                .collect();
            record(log, report, &entries);
        }
        report.deliveries.push(Delivery {
            key: "digest".to_owned(),
            channel,
            outcome: outcome(result),
            attempts,
        });
        for alert in excess {
            report.deliveries.push(Delivery {
                key: alert.key.clone(),
                channel,
                outcome: Outcome::RateLimited { digest_sent },
                attempts: 0,
            });
        }
    }

    /// Sends with retries; returns the last result and the attempts made.
    async fn deliver(
        &self,
        channel: ChannelKind,
        notice: &Notice<'_>,
    ) -> (Result<(), SendError>, u32) {
        let retry = &self.config.retry;
        let mut backoff_ms = retry.initial_backoff_ms;
        let mut attempt = 1;
        loop {
            let result = self.send_once(channel, notice).await;
            match result {
                Err(error) if error.is_retryable() && attempt < retry.max_attempts => {
                    tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
                    backoff_ms = backoff_ms.saturating_mul(2);
                    attempt += 1;
                }
                result => return (result, attempt),
            }
        }
    }

    async fn send_once(&self, channel: ChannelKind, notice: &Notice<'_>) -> Result<(), SendError> {
        let timeout_secs = self.config.retry.timeout_secs;
        let client = || {
            self.client
                .as_ref()
                .map_err(|error| SendError::Connect(error.clone()))
        };
        match channel {
            ChannelKind::Smtp => match &self.config.smtp {
                Some(smtp) => channel::send_smtp(smtp, notice, &self.secrets, timeout_secs).await,
                None => Ok(()),
            },
            ChannelKind::SendGrid => match &self.config.sendgrid {
                Some(sendgrid) => {
                    channel::send_sendgrid(client()?, sendgrid, notice, &self.secrets, timeout_secs)
                        .await
                }
                None => Ok(()),
            },
            ChannelKind::Webhook => match &self.config.webhook {
                Some(webhook) => {
                    channel::send_webhook(client()?, webhook, notice, &self.secrets, timeout_secs)
                        .await
                }
                None => Ok(()),
            },
        }
    }
}

fn entry(channel: &str, key: &str, now_ms: i64, in_digest: bool) -> SentEntry {
    SentEntry {
        channel: channel.to_owned(),
        key: key.to_owned(),
        sent_at_ms: now_ms,
        in_digest,
    }
}

fn record(log: &mut dyn SentLog, report: &mut DeliveryReport, entries: &[SentEntry]) {
    if let Err(error) = log.record(entries) {
        report.sent_log_errors.push(error.to_string());
    }
}

fn outcome(result: Result<(), SendError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Sent,
        Err(error) => Outcome::Failed {
            reason: error.to_string(),
        },
    }
}
