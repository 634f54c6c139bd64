//! One delivery attempt on one channel: SMTP (lettre), SendGrid's v3 mail/send API, or a
//! webhook (JSON POST, optionally HMAC-signed). Errors say whether a retry can help and never
//! carry secrets or webhook URLs.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use sha2::Sha256;

use crate::config::{SendGridConfig, SmtpConfig, SmtpSecurity, WebhookConfig};
use crate::content::Notice;

/// The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`.
pub const SIGNATURE_HEADER: &str = "X-SkyTrace-Signature";

/// Where notifications go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Smtp,
    SendGrid,
    Webhook,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::SendGrid => "sendgrid",
            Self::Webhook => "webhook",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret read from the environment; prints as `<redacted>`.
pub(crate) struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Looks up environment variables (the process environment unless the caller provides another).
pub type SecretSource = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SendError {
    #[error("environment variable {0} is not set")]
    MissingSecret(String),
    #[error("cannot build the message: {0}")]
    Message(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The TLS handshake failed (untrusted or mismatched certificate): retrying cannot help.
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("HTTP status {status}: {body}")]
    Status { status: u16, body: String },
    #[error("SMTP server refused: {message}")]
    Smtp { message: String, permanent: bool },
}

impl SendError {
    /// Connection errors, timeouts, 429, 5xx and transient SMTP replies are worth retrying.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Timeout(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Smtp { permanent, .. } => !permanent,
            Self::MissingSecret(_) | Self::Message(_) | Self::Tls(_) => false,
        }
    }
}

fn secret(secrets: &SecretSource, name: &str) -> Result<Secret, SendError> {
    secrets(name)
        .filter(|value| !value.is_empty())
        .map(Secret)
        .ok_or_else(|| SendError::MissingSecret(name.to_owned()))
}

pub(crate) async fn send_smtp(
    config: &SmtpConfig,
    notice: &Notice<'_>,
    secrets: &SecretSource,
    timeout_secs: u64,
) -> Result<(), SendError> {
    let email = notice.email();
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|error| SendError::Message(format!("address {address:?}: {error}")))
    };
    let mut builder = Message::builder()
        .from(mailbox(&config.from)?)
        .subject(email.subject);
    for to in &config.to {
        builder = builder.to(mailbox(to)?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(email.text, email.html))
        .map_err(|error| SendError::Message(error.to_string()))?;

    let timeout = Duration::from_secs(timeout_secs);
    let relay_error = |error: lettre::transport::smtp::Error| SendError::Connect(error.to_string());
    let builder = match (&config.ca_cert_file, config.security) {
        (_, SmtpSecurity::None) => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
        }
        (None, SmtpSecurity::Starttls) => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(relay_error)?
        }
        (None, SmtpSecurity::Tls) => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(relay_error)?
        }
        (Some(path), security) => {
            let parameters = tls_with_ca(&config.host, path)?;
            let tls = if security == SmtpSecurity::Tls {
                Tls::Wrapper(parameters)
            } else {
                Tls::Required(parameters)
            };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host).tls(tls)
        }
    };
    let mut builder = builder.port(config.port()).timeout(Some(timeout));
    if let (Some(username), Some(password_env)) = (&config.username, &config.password_env) {
        let password = secret(secrets, password_env)?;
        builder = builder.credentials(Credentials::new(username.clone(), password.0));
    }
    let transport = builder.build();
    match tokio::time::timeout(timeout, transport.send(message)).await {
        Err(_) => Err(SendError::Timeout(timeout_secs)),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) if error.is_timeout() => Err(SendError::Timeout(timeout_secs)),
        Ok(Err(error)) if error.is_tls() || caused_by_tls(&error) => {
            Err(SendError::Tls(error.to_string()))
        }
        Ok(Err(error)) if error.is_permanent() || error.is_transient() => Err(SendError::Smtp {
            message: error.to_string(),
            permanent: error.is_permanent(),
        }),
        Ok(Err(error)) => Err(SendError::Connect(error.to_string())),
    }
}

/// True when a rustls error (a refused certificate, a failed handshake) is in the chain.
fn caused_by_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        let inner_io = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.is::<rustls::Error>());
        if error.is::<rustls::Error>() || inner_io {
            return true;
        }
        current = error.source();
    }
    false
}

/// TLS that also trusts the certificates in the PEM file at `path`.
fn tls_with_ca(host: &str, path: &Path) -> Result<TlsParameters, SendError> {
    let bad = |error: String| SendError::Message(format!("CA file {}: {error}", path.display()));
    let pem = std::fs::read(path).map_err(|error| bad(error.to_string()))?;
    let certificate = Certificate::from_pem(&pem).map_err(|error| bad(error.to_string()))?;
    TlsParameters::builder(host.to_owned())
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|error| bad(error.to_string()))
}

pub(crate) async fn send_sendgrid(
    client: &reqwest::Client,
    config: &SendGridConfig,
    notice: &Notice<'_>,
    secrets: &SecretSource,
    timeout_secs: u64,
) -> Result<(), SendError> {
    let key = secret(secrets, &config.api_key_env)?;
    let email = notice.email();
    let to: Vec<_> = config
        .to
        .iter()
        .map(|address| json!({ "email": address }))
        .collect();
    let body = json!({
        "personalizations": [{ "to": to }],
        "from": { "email": config.from },
        "subject": email.subject,
        "content": [
            { "type": "text/plain", "value": email.text },
            { "type": "text/html", "value": email.html },
        ],
    });
    let url = format!("{}/v3/mail/send", config.base_url.trim_end_matches('/'));
    let request = client
        .post(url)
        .bearer_auth(&key.0)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    execute(request, timeout_secs).await
}

pub(crate) async fn send_webhook(
    client: &reqwest::Client,
    config: &WebhookConfig,
    notice: &Notice<'_>,
    secrets: &SecretSource,
    timeout_secs: u64,
) -> Result<(), SendError> {
    let body = notice.webhook_payload(config.style).to_string();
    let mut request = client
        .post(&config.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(name) = &config.secret_env {
        let key = secret(secrets, name)?;
        request = request.header(
            SIGNATURE_HEADER,
            signature(key.0.as_bytes(), body.as_bytes())?,
        );
    }
    execute(request.body(body), timeout_secs).await
}

/// `sha256=<hex>` of HMAC-SHA256(key, body), the value of [`SIGNATURE_HEADER`].
pub fn signature(key: &[u8], body: &[u8]) -> Result<String, SendError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| SendError::Message("the webhook secret cannot be an HMAC key".to_owned()))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

async fn execute(request: reqwest::RequestBuilder, timeout_secs: u64) -> Result<(), SendError> {
    let response = request
        .send()
        .await
        .map_err(|error| http_error(error, timeout_secs))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    Err(SendError::Status {
        status: status.as_u16(),
        body,
    })
}

fn http_error(error: reqwest::Error, timeout_secs: u64) -> SendError {
    if error.is_timeout() {
        SendError::Timeout(timeout_secs)
    } else {
        // The URL may hold a webhook token, so it is left out; the causes name none.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        SendError::Connect(message)
    }
}
