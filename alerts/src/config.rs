//! The `[notifications]` section of the config file: rules, limits, retries and channels.
//! Secrets are never in the file, only the names of the environment variables holding them.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

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
    /// The web app's address as recipients reach it (e.g. https://skytrace.example.com): alerts
    /// from web runs link to their incident there.
    pub app_url: Option<String>,
    pub smtp: Option<SmtpConfig>,
    pub sendgrid: Option<SendGridConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl NotificationsConfig {
    /// Each channel in one line, without secrets: "SMTP smtp.example.com:587 (STARTTLS) to
    /// soc@example.com".
    pub fn channel_descriptions(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(smtp) = &self.smtp {
            let security = match smtp.security {
                SmtpSecurity::Starttls => "STARTTLS",
                SmtpSecurity::Tls => "TLS",
                SmtpSecurity::None => "no encryption",
            };
            lines.push(format!(
                "SMTP {}:{} ({security}) from {} to {}",
                smtp.host,
                smtp.port(),
                smtp.from,
                smtp.to.join(", ")
            ));
        }
        if let Some(sendgrid) = &self.sendgrid {
            lines.push(format!(
                "SendGrid {} (key in ${}) from {} to {}",
                redact_url(&sendgrid.base_url),
                sendgrid.api_key_env,
                sendgrid.from,
                sendgrid.to.join(", ")
            ));
        }
        if let Some(webhook) = &self.webhook {
            let signed = match &webhook.secret_env {
                Some(name) => format!("signed with the key in ${name}"),
                None => "unsigned".to_owned(),
            };
            lines.push(format!(
                "Webhook {} ({:?} style, {signed})",
                redact_url(&webhook.url),
                webhook.style
            ));
        }
        lines
    }
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            min_level: RiskLevel::High,
            user_risk_threshold: None,
            max_alerts_per_hour: 20,
            retry: RetryConfig::default(),
            app_url: None,
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
    /// PEM file with the CA (or self-signed certificate) of a relay with a private certificate;
    /// trusted in addition to the system's roots.
    pub ca_cert_file: Option<PathBuf>,
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
        if let Some(url) = &self.app_url {
            check_url("app_url", url)?;
        }
        if let Some(smtp) = &self.smtp {
            check_smtp(smtp)?;
        }
        if let Some(sendgrid) = &self.sendgrid {
            check_url("sendgrid.base_url", &sendgrid.base_url)?;
            check_env_name("sendgrid.api_key_env", &sendgrid.api_key_env)?;
            check_addresses("sendgrid", &sendgrid.from, &sendgrid.to, looks_like_address)?;
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
    if smtp.security == SmtpSecurity::None && smtp.ca_cert_file.is_some() {
        return Err(invalid(
            "smtp.ca_cert_file needs security = \"starttls\" or \"tls\"",
        ));
    }
    if smtp.password_env.is_some() != smtp.username.is_some() {
        return Err(invalid(
            "smtp.username and smtp.password_env must be given together",
        ));
    }
    if let Some(name) = &smtp.password_env {
        check_env_name("smtp.password_env", name)?;
    }
    check_addresses("smtp", &smtp.from, &smtp.to, looks_like_mailbox)
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

fn check_addresses(
    channel: &str,
    from: &str,
    to: &[String],
    valid: fn(&str) -> bool,
) -> Result<(), ConfigError> {
    if !valid(from) {
        return Err(invalid(format!(
            "{channel}.from is not an email address: {from:?}"
        )));
    }
    if to.is_empty() {
        return Err(invalid(format!("{channel}.to needs at least one address")));
    }
    match to.iter().find(|address| !valid(address)) {
        Some(bad) => Err(invalid(format!("{channel}.to has a bad address: {bad:?}"))),
        None => Ok(()),
    }
}

/// "alice@example.com" or "Alice <alice@example.com>".
fn looks_like_mailbox(address: &str) -> bool {
    address.parse::<lettre::message::Mailbox>().is_ok()
}

fn looks_like_address(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NotificationsConfig, String> {
        let config: NotificationsConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check().map_err(|e| e.to_string())?;
        Ok(config)
    }

    #[test]
    fn defaults_are_high_and_valid() {
        let config = parse("").expect("empty section is valid");
        assert_eq!(config.min_level, RiskLevel::High);
        assert!(!config.has_channels());
    }

    #[test]
    fn full_example_parses() {
        let config = parse(
            r#"
            min_level = "Critical"
            user_risk_threshold = 0.8
            max_alerts_per_hour = 5
            [retry]
            max_attempts = 3
            [smtp]
            host = "smtp.example.com"
            username = "skytrace"
            password_env = "SMTP_PASSWORD"
            from = "Sky Trace <skytrace@example.com>"
            to = ["soc@example.com"]
            [sendgrid]
            from = "skytrace@example.com"
            to = ["soc@example.com"]
            [webhook]
            url = "https://hooks.slack.com/services/T0/B0/XYZ"
            style = "slack"
            "#,
        )
        .expect("valid");
        let smtp = config.smtp.as_ref().expect("smtp");
        assert_eq!((smtp.security, smtp.port()), (SmtpSecurity::Starttls, 587));
        let sendgrid = config.sendgrid.as_ref().expect("sendgrid");
        assert_eq!(sendgrid.api_key_env, "SENDGRID_API_KEY");
        assert_eq!(sendgrid.base_url, "https://api.sendgrid.com");
        assert_eq!(config.retry.timeout_secs, 15);
    }

    #[test]
    fn plain_smtp_only_on_loopback() {
        let smtp = |host: &str| {
            format!(
                "[smtp]\nhost = \"{host}\"\nsecurity = \"none\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n"
            )
        };
        for host in ["127.0.0.1", "localhost", "::1", "[::1]"] {
            parse(&smtp(host)).unwrap_or_else(|error| panic!("{host}: {error}"));
        }
        let error = parse(&smtp("smtp.example.com")).expect_err("remote plain SMTP");
        assert!(error.contains("only allowed for loopback"), "{error}");
    }

    #[test]
    fn bad_values_are_rejected() {
        for (text, expected) in [
            ("colour = \"red\"", "unknown field"),
            (
                "[smtp]\nhost = \"h\"\nfrom = \"a@example.com\"\nto = []\npassword = \"x\"",
                "unknown field",
            ),
            ("user_risk_threshold = 1.5", "between 0 and 1"),
            ("max_alerts_per_hour = 0", "at least 1"),
            ("[retry]\nmax_attempts = 0", "max_attempts"),
            ("[webhook]\nurl = \"ftp://example.com\"", "http(s) URL"),
            (
                "[webhook]\nurl = \"https://example.com\"\nsecret_env = \"s3cr3t value!\"",
                "environment variable",
            ),
            (
                "[sendgrid]\nfrom = \"nobody\"\nto = [\"a@example.com\"]",
                "not an email address",
            ),
            (
                "[sendgrid]\nfrom = \"a@example.com\"\nto = []",
                "at least one address",
            ),
            (
                "[smtp]\nhost = \"h\"\nusername = \"u\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]",
                "together",
            ),
        ] {
            let error = parse(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn debug_hides_the_webhook_token() {
        let config =
            parse("[webhook]\nurl = \"https://hooks.example.com:8443/services/T0/B0/TOKEN?x=1\"")
                .expect("valid");
        let debug = format!("{config:?}");
        assert!(!debug.contains("TOKEN"), "{debug}");
        assert!(
            debug.contains("https://hooks.example.com:8443/…"),
            "{debug}"
        );
    }
}
