//! `skytrace serve --syslog-listen`: sshd sign-ins sent by util-linux `logger`, a real syslog
//! client, as RFC 5424 over UDP and RFC 3164 and RFC 5424 over TCP (octet counting and line
//! framing), are scored and kept in the listener's source.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use service::ports::MonitorStore;
use service::source::SourceName;

use crate::kill_mid_ingest::{free_port, serve_with};

fn logger(port: u16, options: &[&str], message: &str) {
    let status = Command::new("logger")
        .args(["-n", "127.0.0.1", "-P", &port.to_string(), "-t", "sshd"])
        .args(options)
        .arg(message)
        .status()
        .expect("util-linux `logger` (Debian's bsdutils) runs");
    assert!(status.success(), "logger {options:?} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_sent_by_logger_over_udp_and_tcp_are_scored_in_the_listeners_source() {
    let data = tempfile::tempdir().unwrap();
    let (port, syslog_port) = (free_port(), free_port());
    let listen = format!("127.0.0.1:{syslog_port}");
    let mut server = serve_with(
        data.path(),
        port,
        &["--syslog-listen", &listen, "--syslog-source", "sshd-fleet"],
    );
    logger(
        syslog_port,
        &["-d", "--rfc5424", "--id=812"],
        "Accepted password for ana from 198.51.100.7 port 40022 ssh2",
    );
    logger(
        syslog_port,
        &["-T", "--octet-count", "--rfc3164", "--id=813"],
        "Failed password for bo from 203.0.113.5 port 40023 ssh2",
    );
    logger(
        syslog_port,
        &["-T", "--rfc5424", "--id=814"],
        "Accepted publickey for cy from 192.0.2.10 port 40024 ssh2: ED25519 SHA256:x",
    );
    logger(
        syslog_port,
        &["-d", "--rfc5424"],
        "Connection closed by 192.0.2.10 port 40024",
    );

    let store = store::Store::open(&store::Store::sqlite_url(data.path()))
        .await
        .unwrap();
    let source = SourceName::parse("sshd-fleet").unwrap();
    let started = Instant::now();
    let kept = loop {
        let kept = store.monitored(&source).await.unwrap();
        if kept.len() >= 3 || started.elapsed() > Duration::from_secs(30) {
            break kept;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    let by_user: BTreeMap<String, (String, Option<bool>)> = kept
        .iter()
        .map(|kept| {
            (
                kept.login.user_id.to_string(),
                (kept.login.ip.to_string(), kept.login.success),
            )
        })
        .collect();
    assert_eq!(
        by_user,
        BTreeMap::from([
            ("ana".to_owned(), ("198.51.100.7".to_owned(), Some(true))),
            ("bo".to_owned(), ("203.0.113.5".to_owned(), Some(false))),
            ("cy".to_owned(), ("192.0.2.10".to_owned(), Some(true))),
        ])
    );
    assert!(kept.iter().all(|kept| kept.scored.risk_score.is_finite()));
}
