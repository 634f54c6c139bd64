//! `skytrace watch`: a growing log followed across rotation by rename and truncation, each new
//! line scored once, here or by a running server.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::kill_mid_ingest::{free_port, serve_with};

fn login(minute: u32, user: &str) -> String {
    format!(
        "{{\"timestamp\":\"2026-03-02T09:{minute:02}:00Z\",\"user_id\":\"{user}\",\
         \"ip_address\":\"198.51.100.7\",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\
         \"success\":true}}\n"
    )
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// `skytrace watch` with `args`, and its printed lines as they come.
fn watch(args: &[&str]) -> (Child, mpsc::Receiver<Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .arg("watch")
        .args(args)
        .args(["--poll-ms", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(serde_json::from_str(&line).unwrap()).is_err() {
                return;
            }
        }
    });
    (child, printed)
}

/// `skytrace watch` of `log` from its start, scoring here with its state in `state`.
fn watch_here(log: &Path, state: &Path) -> (Child, mpsc::Receiver<Value>) {
    watch(&[
        log.to_str().unwrap(),
        "--from-start",
        "--data-dir",
        state.to_str().unwrap(),
    ])
}

/// The next `count` printed records as (file name, line, status, user or reason).
fn next(printed: &mpsc::Receiver<Value>, count: usize) -> Vec<(String, u64, String)> {
    (0..count)
        .map(|_| {
            let record = printed
                .recv_timeout(Duration::from_secs(30))
                .expect("watch printed nothing within 30 s");
            let file = Path::new(record["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                record["line"].as_u64().unwrap(),
                record["result"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(expected: &[(&str, u64, &str)]) -> Vec<(String, u64, String)> {
    expected
        .iter()
        .map(|(file, line, status)| ((*file).to_owned(), *line, (*status).to_owned()))
        .collect()
}

#[test]
fn a_log_is_followed_across_rotation_and_truncation_and_each_line_scored_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("signins.log");
    append(&log, &(login(0, "ana") + &login(1, "ana")));
    let state = dir.path().join("state");
    let (mut child, printed) = watch_here(&log, &state);
    assert_eq!(
        next(&printed, 2),
        owned(&[("signins.log", 1, "scored"), ("signins.log", 2, "scored")])
    );
    // sshd lines of an auth.log mix in; a line that is not a sign-in is skipped.
    append(
        &log,
        "Mar  2 09:02:00 web1 sshd[41]: Accepted password for ana from 198.51.100.7 port 2 ssh2\n\
         Mar  2 09:02:01 web1 sshd[41]: pam_unix(sshd:session): session opened for user ana\n",
    );
    assert_eq!(
        next(&printed, 2),
        owned(&[("signins.log", 3, "scored"), ("signins.log", 4, "skipped")])
    );
    // Rotation by rename: the old file's last line, then the new file from its start.
    append(&log, &login(3, "bo"));
    std::fs::rename(&log, dir.path().join("signins.log.1")).unwrap();
    append(&log, &login(4, "bo"));
    assert_eq!(
        next(&printed, 2),
        owned(&[("signins.log", 5, "scored"), ("signins.log", 1, "scored")])
    );
    // Truncation in place: read again from the start.
    std::fs::write(&log, "").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    append(&log, &login(5, "cy"));
    assert_eq!(next(&printed, 1), owned(&[("signins.log", 1, "scored")]));
    // sshd's `Invalid user` notice and the guess after it are one attempt, as in a file; a poll
    // with no sign-in at all is skipped, not rejected.
    append(
        &log,
        "Mar  2 09:06:00 web1 sshd[51]: Invalid user zed from 203.0.113.5 port 5\n\
         Mar  2 09:06:01 web1 sshd[51]: Failed password for invalid user zed from 203.0.113.5 port 5 ssh2\n",
    );
    assert_eq!(
        next(&printed, 2),
        owned(&[("signins.log", 2, "skipped"), ("signins.log", 3, "scored")])
    );
    append(
        &log,
        "Mar  2 09:07:00 web1 CRON[9]: pam_unix(cron:session): session closed\n",
    );
    assert_eq!(next(&printed, 1), owned(&[("signins.log", 4, "skipped")]));
    child.kill().unwrap();
    child.wait().unwrap();

    // A restart scores only what is new: what was scored is kept with the state.
    let (mut child, printed) = watch_here(&log, &state);
    assert_eq!(
        next(&printed, 4),
        owned(&[
            ("signins.log", 1, "duplicate"),
            ("signins.log", 2, "skipped"),
            ("signins.log", 3, "duplicate"),
            ("signins.log", 4, "skipped"),
        ])
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn lines_are_sent_to_a_running_server_and_answered_in_order() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve_with(data.path(), port, &[]);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(
        &log,
        &(login(0, "ana")
            + "Mar  2 09:01:00 web1 sshd[7]: Failed password for bo from 203.0.113.5 port 9 ssh2\n"
            + "Mar  2 09:01:01 web1 CRON[8]: pam_unix(cron:session): session closed\n"
            + "{\"user_id\": \"nobody\"}\n"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let (mut child, printed) = watch(&[
        log.to_str().unwrap(),
        "--from-start",
        "--to",
        &url,
        "--source",
        "fleet",
    ]);
    let answered = next(&printed, 4);
    child.kill().unwrap();
    child.wait().unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        answered,
        owned(&[
            ("auth.log", 1, "scored"),
            ("auth.log", 2, "scored"),
            ("auth.log", 3, "skipped"),
            ("auth.log", 4, "rejected"),
        ])
    );
}
