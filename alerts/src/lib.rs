//! Notifications for Sky Trace: builds alerts from an analysis and delivers them by SMTP email,
//! SendGrid's mail-send API or a webhook, with a persistent sent-log for deduplication, hourly
//! limits per channel (excess summarised in a digest), retries with backoff, and a report of
//! every outcome. Secrets come only from environment variables and are never printed.

pub mod alert;
pub mod channel;
pub mod config;
pub mod content;
pub mod dispatch;
pub mod sent_log;

pub use alert::{Alert, AlertKind, AlertRules, alerts_from, alerts_from_analysis};
pub use channel::{ChannelKind, SIGNATURE_HEADER, SecretSource, SendError, signature};
pub use config::{
    ConfigError, NotificationsConfig, RetryConfig, SendGridConfig, SmtpConfig, SmtpSecurity,
    WebhookConfig, WebhookStyle,
};
pub use content::Notice;
pub use dispatch::{Delivery, DeliveryReport, Dispatcher, Outcome};
pub use sent_log::{JsonSentLog, SentEntry, SentLog, SentLogError};
