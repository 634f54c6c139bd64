//! SMTP deliveries to a real SMTP server on loopback: aiosmtpd (PyPI) started as a child
//! process, writing what it receives to a Maildir that Python's `email` package then parses.
//! Needs `python3` with aiosmtpd (`pip3 install aiosmtpd==1.4.6`); `SKYTRACE_PYTHON` overrides
//! the interpreter.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alerts::{Alert, Dispatcher, JsonSentLog, NotificationsConfig, Outcome};
use engine::RiskLevel;
use serde_json::Value;

const T0: i64 = 1_772_439_303_000; // 2026-03-02T08:15:03Z

fn python() -> String {
    std::env::var("SKYTRACE_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// An aiosmtpd process; killed when dropped.
struct SmtpServer {
    child: Child,
    address: SocketAddr,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts aiosmtpd with the Mailbox handler; `tls_args` adds STARTTLS or SMTPS options.
    fn start(tls_args: &[String]) -> SmtpServer {
        let check = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .output();
        match check {
            Ok(output) if output.status.success() => {}
            _ => panic!(
                "the SMTP tests need aiosmtpd in {}: install it with `pip3 install aiosmtpd==1.4.6` \
                 (or set SKYTRACE_PYTHON to a Python that has it)",
                python()
            ),
        }
        let address = free_port();
        let maildir = tempfile::tempdir().expect("temp dir");
        let mail_path = maildir.path().join("mail");
        let mut child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &address.to_string()])
            .args(tls_args)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&mail_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                panic!("aiosmtpd exited ({status}): {stderr}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not listen on {address} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            child,
            address,
            maildir,
        }
    }

    /// Every received message, parsed by Python's `email` package.
    fn messages(&self) -> Vec<Value> {
        let script = r#"
import email.header, json, mailbox, sys
out = []
for msg in mailbox.Maildir(sys.argv[1], create=False):
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        charset = part.get_content_charset() or "utf-8"
        parts.append({"type": part.get_content_type(),
                      "text": part.get_payload(decode=True).decode(charset)})
    out.append({"subject": str(email.header.make_header(email.header.decode_header(msg["Subject"]))),
                "from": msg["From"], "to": msg["To"], "type": msg.get_content_type(),
                "parts": parts})
print(json.dumps(out))
"#;
        let output = Command::new(python())
            .args(["-c", script])
            .arg(self.maildir.path().join("mail"))
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let messages: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        messages.as_array().expect("list").clone()
    }
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

fn alert() -> Alert {
    Alert {
        key: "inc-smtp".to_owned(),
        kind: alerts::AlertKind::Incident,
        severity: RiskLevel::Critical,
        title: "Impossible travel: alice@example.com signed in".to_owned(),
        users: vec!["alice@example.com".to_owned()],
        source_ips: vec!["203.0.113.9".to_owned()],
        locations: vec!["Lagos, NG · hosting (AS64500)".to_owned()],
        previous_login: Some("2026-03-02T07:55:00Z from 198.51.100.7 (Oslo, NO)".to_owned()),
        reasons: vec![
            "4,900 km from Oslo in 20 min (14,700 km/h)".to_owned(),
            "first login from <hosting> network".to_owned(),
        ],
        first_ms: T0,
        last_ms: T0 + 60_000,
        link: Some("https://sky.example/incidents/inc-smtp".to_owned()),
    }
}

fn config(
    host: &str,
    port: u16,
    security: &str,
    ca_cert_file: Option<&Path>,
) -> NotificationsConfig {
    let ca = ca_cert_file.map_or(String::new(), |path| {
        format!("ca_cert_file = {:?}\n", path.display().to_string())
    });
    let text = format!(
        "[retry]\nmax_attempts = 2\ninitial_backoff_ms = 10\ntimeout_secs = 5\n\
         [smtp]\nhost = \"{host}\"\nport = {port}\nsecurity = \"{security}\"\n{ca}\
         from = \"Sky Trace <skytrace@example.com>\"\nto = [\"soc@example.com\", \"oncall@example.com\"]\n"
    );
    let config: NotificationsConfig = toml::from_str(&text).expect("config parses");
    config.check().expect("config is valid");
    config
}

fn assert_alert_email(message: &Value) {
    assert_eq!(
        message["subject"],
        "[Sky Trace] Critical — Impossible travel: alice@example.com signed in"
    );
    assert_eq!(message["from"], "\"Sky Trace\" <skytrace@example.com>");
    assert_eq!(message["to"], "soc@example.com, oncall@example.com");
    assert_eq!(message["type"], "multipart/alternative");
    let parts = message["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    let text = parts[0]["text"].as_str().expect("text");
    for needle in [
        "Severity: Critical",
        "Who: alice@example.com",
        "Source IPs: 203.0.113.9",
        "Where: Lagos, NG · hosting (AS64500)",
        "Previous login: 2026-03-02T07:55:00Z from 198.51.100.7 (Oslo, NO)",
        "When: 2026-03-02T08:15:03Z – 2026-03-02T08:16:03Z",
        "- 4,900 km from Oslo in 20 min (14,700 km/h)",
        "- first login from <hosting> network",
        "Incident: https://sky.example/incidents/inc-smtp",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let html = parts[1]["text"].as_str().expect("html");
    assert!(
        html.contains("first login from &lt;hosting&gt; network"),
        "{html}"
    );
    assert!(html.contains("Lagos, NG · hosting (AS64500)"));
    assert!(html.contains("href=\"https://sky.example/incidents/inc-smtp\""));
}

#[tokio::test]
async fn plain_smtp_on_loopback_delivers_both_parts() {
    let server = SmtpServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = JsonSentLog::open(&dir.path().join("sent.json")).expect("log");
    let config = config("127.0.0.1", server.address.port(), "none", None);
    let report = Dispatcher::new(config)
        .dispatch(&[alert()], T0, &mut log)
        .await;
    assert_eq!(report.deliveries.len(), 1, "{report:#?}");
    assert_eq!(report.deliveries[0].outcome, Outcome::Sent);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_alert_email(&messages[0]);
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

#[tokio::test]
async fn starttls_with_a_private_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed(dir.path());
    // aiosmtpd requires STARTTLS before MAIL when given a certificate.
    let server = SmtpServer::start(&[
        "--tlscert".to_owned(),
        cert.display().to_string(),
        "--tlskey".to_owned(),
        key.display().to_string(),
    ]);
    let mut log = JsonSentLog::open(&dir.path().join("sent.json")).expect("log");
    let port = server.address.port();

    let untrusted = Dispatcher::new(config("localhost", port, "starttls", None))
        .dispatch(&[alert()], T0, &mut log)
        .await;
    assert!(
        matches!(&untrusted.deliveries[0].outcome,
            Outcome::Failed { reason } if reason.starts_with("TLS failed") && reason.contains("certificate")),
        "a self-signed certificate must not be trusted by default: {untrusted:#?}"
    );
    assert_eq!(
        untrusted.deliveries[0].attempts, 1,
        "certificate errors are not retried"
    );
    assert!(server.messages().is_empty());

    let trusted = Dispatcher::new(config("localhost", port, "starttls", Some(&cert)))
        .dispatch(&[alert()], T0, &mut log)
        .await;
    assert_eq!(trusted.deliveries[0].outcome, Outcome::Sent, "{trusted:#?}");
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_alert_email(&messages[0]);
}

#[tokio::test]
async fn implicit_tls_with_a_private_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed(dir.path());
    let server = SmtpServer::start(&[
        "--smtpscert".to_owned(),
        cert.display().to_string(),
        "--smtpskey".to_owned(),
        key.display().to_string(),
    ]);
    let log = JsonSentLog::open(&dir.path().join("sent.json")).expect("log");
    let report = Dispatcher::new(config(
        "localhost",
        server.address.port(),
        "tls",
        Some(&cert),
    ))
    .send_test(T0)
    .await;
    assert_eq!(report.deliveries[0].outcome, Outcome::Sent, "{report:#?}");
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "[Sky Trace] Test notification");
    let text = messages[0]["parts"][0]["text"].as_str().expect("text");
    assert!(
        text.contains("This is a test notification from Sky Trace, sent at 2026-03-02T08:15:03Z")
    );
    assert!(log.entries().is_empty(), "tests are not recorded");
}

#[tokio::test]
async fn smtp_server_down_is_retried_and_reported() {
    let address = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = JsonSentLog::open(&dir.path().join("sent.json")).expect("log");
    let report = Dispatcher::new(config("127.0.0.1", address.port(), "none", None))
        .dispatch(&[alert()], T0, &mut log)
        .await;
    let delivery = &report.deliveries[0];
    assert_eq!(delivery.attempts, 2);
    assert!(
        matches!(&delivery.outcome, Outcome::Failed { reason } if reason.starts_with("cannot connect")),
        "{report:#?}"
    );
}
