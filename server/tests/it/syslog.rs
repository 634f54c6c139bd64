//! `skytrace serve --syslog-listen`: sshd sign-ins sent by util-linux `logger`, a real syslog
//! client, as RFC 5424 over UDP and RFC 3164 and RFC 5424 over TCP (octet counting and line
//! framing), and relayed by a real rsyslogd (Debian's rsyslog, installed by `./dev setup`) with
//! the README's `omfwd` actions, are scored and kept in the listener's source.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use service::ports::MonitorStore;
use service::source::SourceName;

use crate::kill_mid_ingest::{free_port, serve_with};

/// How long a sign-in may take to be scored and kept once sent.
const DELIVERY: Duration = Duration::from_secs(30);

fn logger(port: u16, options: &[&str], message: &str) {
    let status = Command::new("logger")
        .args(["-n", "127.0.0.1", "-P", &port.to_string(), "-t", "sshd"])
        .args(options)
        .arg(message)
        .status()
        .expect("util-linux `logger` (Debian's bsdutils) runs");
    assert!(status.success(), "logger {options:?} failed");
}

/// A child process killed (and reaped) when dropped, so also when the test panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sign-ins kept in `source` under `data_dir` once `expected` of them are (or [`DELIVERY`]
/// has passed), by user: IP and outcome. Each is scored.
async fn kept_by_user(
    data_dir: &Path,
    source: &str,
    expected: usize,
) -> BTreeMap<String, (String, Option<bool>)> {
    let store = store::Store::open(&store::Store::sqlite_url(data_dir))
        .await
        .unwrap();
    let source = SourceName::parse(source).unwrap();
    let started = Instant::now();
    let kept = loop {
        let kept = store.monitored(&source).await.unwrap();
        if kept.len() >= expected || started.elapsed() > DELIVERY {
            break kept;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(kept.iter().all(|kept| kept.scored.risk_score.is_finite()));
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
        by_user.len(),
        kept.len(),
        "a user kept twice (each signs in once here)"
    );
    by_user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_sent_by_logger_over_udp_and_tcp_are_scored_in_the_listeners_source() {
    let data = tempfile::tempdir().unwrap();
    let (port, syslog_port) = (free_port(), free_port());
    let listen = format!("127.0.0.1:{syslog_port}");
    let _server = KillOnDrop(serve_with(
        data.path(),
        port,
        &["--syslog-listen", &listen, "--syslog-source", "sshd-fleet"],
    ));
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

    assert_eq!(
        kept_by_user(data.path(), "sshd-fleet", 3).await,
        BTreeMap::from([
            ("ana".to_owned(), ("198.51.100.7".to_owned(), Some(true))),
            ("bo".to_owned(), ("203.0.113.5".to_owned(), Some(false))),
            ("cy".to_owned(), ("192.0.2.10".to_owned(), Some(true))),
        ])
    );
}

/// A private rsyslogd in the foreground (`-n`): its configuration, pid file, work directory
/// and logs in a scratch directory of its own, no local inputs (imuxsock, imklog), its own
/// messages kept in `rsyslogd.log` there rather than sent to the host's log.
struct Rsyslogd {
    dir: tempfile::TempDir,
    process: KillOnDrop,
}

impl Rsyslogd {
    /// Starts rsyslogd with `rules` after the global settings; fails, saying how to install
    /// it, where rsyslogd is missing.
    fn start(rules: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                "global(workDirectory=\"{work}\" processInternalMessages=\"on\")\n\
                 {rules}\n\
                 action(type=\"omfile\" file=\"{work}/rsyslogd.log\")\n",
                work = dir.path().display()
            ),
        )
        .unwrap();
        // Debian installs it in /usr/sbin, which need not be on a developer's PATH.
        let program = if Path::new("/usr/sbin/rsyslogd").exists() {
            "/usr/sbin/rsyslogd"
        } else {
            "rsyslogd"
        };
        let child = Command::new(program)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "rsyslogd (Debian's rsyslog) cannot be run ({error}): run `./dev setup` \
                     (or `./dev test`), which installs it"
                )
            });
        Rsyslogd {
            dir,
            process: KillOnDrop(child),
        }
    }

    /// Waits until rsyslogd takes TCP connections on each of `ports`.
    fn wait_for_inputs(&mut self, ports: &[u16]) {
        let started = Instant::now();
        for &port in ports {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Some(status) = self.process.0.try_wait().unwrap() {
                    panic!("rsyslogd exited ({status}):\n{}", self.logs());
                }
                assert!(
                    started.elapsed() < DELIVERY,
                    "rsyslogd does not listen on {port}:\n{}",
                    self.logs()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// What rsyslogd wrote on stderr and logged of its own.
    fn logs(&self) -> String {
        ["stderr", "rsyslogd.log"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
                format!("--- {name}\n{text}")
            })
            .collect()
    }
}

/// The rule and `omfwd` actions of the README, each on a ruleset of its own bound to a TCP
/// input, so what is sent to `octet_counted_in` reaches `listener` over TCP with RFC 6587
/// octet counting as RFC 5424, and what is sent to `traditional_in` over UDP as RFC 3164.
fn forwarding_rules(octet_counted_in: u16, traditional_in: u16, listener: u16) -> String {
    format!(
        r#"module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{octet_counted_in}" ruleset="octet-counted")
input(type="imtcp" address="127.0.0.1" port="{traditional_in}" ruleset="traditional")
ruleset(name="octet-counted") {{
  if $programname == 'sshd' then {{
    action(type="omfwd" target="127.0.0.1" port="{listener}" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" action.resumeInterval="1" action.resumeRetryCount="-1")
  }}
}}
ruleset(name="traditional") {{
  if $programname == 'sshd' then {{
    action(type="omfwd" target="127.0.0.1" port="{listener}" protocol="udp"
           template="RSYSLOG_TraditionalForwardFormat"
           queue.type="LinkedList" action.resumeInterval="1" action.resumeRetryCount="-1")
  }}
}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_forwarded_by_rsyslog_over_tcp_and_udp_are_scored_in_the_listeners_source() {
    let data = tempfile::tempdir().unwrap();
    let (port, syslog_port) = (free_port(), free_port());
    let (octet_counted_in, traditional_in) = (free_port(), free_port());
    let listen = format!("127.0.0.1:{syslog_port}");
    let _server = KillOnDrop(serve_with(
        data.path(),
        port,
        &["--syslog-listen", &listen, "--syslog-source", "sshd-fleet"],
    ));
    let mut rsyslogd = Rsyslogd::start(&forwarding_rules(
        octet_counted_in,
        traditional_in,
        syslog_port,
    ));
    rsyslogd.wait_for_inputs(&[octet_counted_in, traditional_in]);

    // Sent on to the listener over TCP, octet counted, as RFC 5424.
    let octet_counted = [
        (
            "2101",
            "Accepted password for ana from 198.51.100.7 port 40022 ssh2",
        ),
        (
            "2102",
            "Failed password for bo from 203.0.113.5 port 40023 ssh2",
        ),
        ("2103", "Invalid user cy from 192.0.2.10 port 40024"),
    ];
    for (pid, message) in octet_counted {
        logger(
            octet_counted_in,
            &["-T", "--rfc5424", &format!("--id={pid}")],
            message,
        );
    }
    // Sent to rsyslog as RFC 3164, as sshd's own messages reach it through /dev/log, and on to
    // the listener over UDP in rsyslog's traditional format.
    let traditional = [
        (
            "2201",
            "Accepted password for dee from 198.51.100.8 port 40025 ssh2",
        ),
        (
            "2202",
            "Failed password for eve from 203.0.113.6 port 40026 ssh2",
        ),
        ("2203", "Invalid user fay from 192.0.2.11 port 40027"),
    ];
    for (pid, message) in traditional {
        logger(
            traditional_in,
            &["-T", "--rfc3164", &format!("--id={pid}")],
            message,
        );
    }

    let kept = kept_by_user(data.path(), "sshd-fleet", 6).await;
    assert_eq!(
        kept,
        BTreeMap::from([
            ("ana".to_owned(), ("198.51.100.7".to_owned(), Some(true))),
            ("bo".to_owned(), ("203.0.113.5".to_owned(), Some(false))),
            ("cy".to_owned(), ("192.0.2.10".to_owned(), Some(false))),
            ("dee".to_owned(), ("198.51.100.8".to_owned(), Some(true))),
            ("eve".to_owned(), ("203.0.113.6".to_owned(), Some(false))),
            ("fay".to_owned(), ("192.0.2.11".to_owned(), Some(false))),
        ]),
        "rsyslogd's logs:\n{}",
        rsyslogd.logs()
    );
}
