//! The `[notifications]` section of the config file: rules, limits, retries and channels.
//! Secrets are never in the file, only the names of the environment variables holding them.

use std::fmt;
use std::net::IpAddr;

use engine::RiskLevel;
use serde::Deserialize;

use crate::alert::AlertRules;

/// Everything about notifications; `check()` before use.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Events at or above this level are alerted.
    pub min_level: RiskLevel,
    /// Users whose aggregated risk (0–1) reaches this are alerted; off when absent.
    pub user_risk_threshold: Option<f64>,
    /// Alerts per channel per hour; the excess is sent as one digest message.
    pub max_alerts_per_hour: u32,
    pub retry: RetryConfig,
    pub smtp: Option<SmtpConfig>,
    pub sendgrid: Option<SendGridConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            min_level: RiskLevel::High,
            user_risk_threshold: None,
            max_alerts_per_hour: 20,
            retry: RetryConfig::default(),
            smtp: None,
            sendgrid: None,
            webhook: None,
        }
    }
}

/// Attempts and backoff for failed deliveries (connection errors, timeouts, 429, 5xx).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Total attempts per delivery, including the first.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each later one.
    pub initial_backoff_ms: u64,
    /// Limit for one attempt (connect, send and response).
    pub timeout_secs: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff_ms: 1_000,
            timeout_secs: 15,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); the upgrade is required.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption; only for servers on loopback.
    None,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Name of the environment variable with the password.
    pub password_env: Option<String>,
    pub from: String,
    pub to: Vec<String>,
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendGridConfig {
    /// Name of the environment variable with the API key.
    #[serde(default = "default_sendgrid_env")]
    pub api_key_env: String,
    #[serde(default = "default_sendgrid_url")]
    pub base_url: String,
    pub from: String,
    pub to: Vec<String>,
}

fn default_sendgrid_env() -> String {
    "SENDGRID_API_KEY".to_owned()
}

fn default_sendgrid_url() -> String {
    "https://api.sendgrid.com".to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStyle {
    /// The alert as JSON.
    Generic,
    /// `{"text": …}` for Slack incoming webhooks.
    Slack,
    /// `{"text": …}` for Teams incoming webhooks.
    Teams,
}

/// A JSON POST; incoming-webhook URLs carry their token in the path, so Debug and errors show
/// only the origin.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Name of the environment variable with the HMAC-SHA256 key; unsigned when absent.
    pub secret_env: Option<String>,
    #[serde(default = "default_style")]
    pub style: WebhookStyle,
}

fn default_style() -> WebhookStyle {
    WebhookStyle::Generic
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &redact_url(&self.url))
            .field("secret_env", &self.secret_env)
            .field("style", &self.style)
            .finish()
    }
}

/// The scheme and authority of a URL, without path, query or credentials.
pub(crate) fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("");
            match parsed.port() {
                Some(port) => format!("{}://{host}:{port}/…", parsed.scheme()),
                None => format!("{}://{host}/…", parsed.scheme()),
            }
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("notifications.{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

impl NotificationsConfig {
    pub fn rules(&self) -> AlertRules {
        AlertRules {
            min_level: self.min_level,
            user_risk_threshold: self.user_risk_threshold,
        }
    }

    /// True when at least one channel is configured.
    pub fn has_channels(&self) -> bool {
        self.smtp.is_some() || self.sendgrid.is_some() || self.webhook.is_some()
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(threshold) = self.user_risk_threshold
            && !(0.0..=1.0).contains(&threshold)
        {
            return Err(invalid(format!(
                "user_risk_threshold must be between 0 and 1, not {threshold}"
            )));
        }
        if self.max_alerts_per_hour == 0 {
            return Err(invalid("max_alerts_per_hour must be at least 1"));
        }
        let retry = &self.retry;
        if !(1..=10).contains(&retry.max_attempts) {
            return Err(invalid("retry.max_attempts must be 1 to 10"));
        }
        if retry.initial_backoff_ms > 60_000 {
            return Err(invalid("retry.initial_backoff_ms must be at most 60000"));
        }
        if !(1..=300).contains(&retry.timeout_secs) {
            return Err(invalid("retry.timeout_secs must be 1 to 300"));
        }
        if let Some(smtp) = &self.smtp {
            check_smtp(smtp)?;
        }
        if let Some(sendgrid) = &self.sendgrid {
            check_url("sendgrid.base_url", &sendgrid.base_url)?;
            check_env_name("sendgrid.api_key_env", &sendgrid.api_key_env)?;
            check_addresses("sendgrid", &sendgrid.from, &sendgrid.to)?;
        }
        if let Some(webhook) = &self.webhook {
            check_url("webhook.url", &webhook.url)?;
            if let Some(name) = &webhook.secret_env {
                check_env_name("webhook.secret_env", name)?;
            }
        }
        Ok(())
    }
}

fn check_smtp(smtp: &SmtpConfig) -> Result<(), ConfigError> {
    if smtp.host.trim().is_empty() {
        return Err(invalid("smtp.host is empty"));
    }
    if smtp.port == Some(0) {
        return Err(invalid("smtp.port must not be 0"));
    }
    if smtp.security == SmtpSecurity::None && !is_loopback(&smtp.host) {
        return Err(invalid(format!(
            "smtp.security = \"none\" is only allowed for loopback hosts, not {:?}; use \"starttls\" or \"tls\"",
            smtp.host
        )));
    }
    if smtp.password_env.is_some() != smtp.username.is_some() {
        return Err(invalid(
            "smtp.username and smtp.password_env must be given together",
        ));
    }
    if let Some(name) = &smtp.password_env {
        check_env_name("smtp.password_env", name)?;
    }
    check_addresses("smtp", &smtp.from, &smtp.to)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_url(field: &str, url: &str) -> Result<(), ConfigError> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        _ => Err(invalid(format!("{field} must be an http(s) URL"))),
    }
}

fn check_env_name(field: &str, name: &str) -> Result<(), ConfigError> {
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field} must name an environment variable (letters, digits, _), not hold a secret"
        )))
    }
}

fn check_addresses(channel: &str, from: &str, to: &[String]) -> Result<(), ConfigError> {
    if !looks_like_address(from) {
        return Err(invalid(format!(
            "{channel}.from is not an email address: {from:?}"
        )));
    }
    if to.is_empty() {
        return Err(invalid(format!("{channel}.to needs at least one address")));
    }
    match to.iter().find(|address| !looks_like_address(address)) {
        Some(bad) => Err(invalid(format!("{channel}.to has a bad address: {bad:?}"))),
        None => Ok(()),
    }
}

fn looks_like_address(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}
