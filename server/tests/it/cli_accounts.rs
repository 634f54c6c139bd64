//! `skytrace user` and `skytrace token` on a real database, and `serve --auth` with them: the
//! server refuses to start exposed without sign-in, or with sign-in but no account, and a token
//! made on the command line opens the API of the running server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn skytrace(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn get(port: u16, path: &str, token: &str) -> String {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn accounts_and_tokens_from_the_command_line_open_a_hosted_server() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();

    let refused = skytrace(dir, &["serve", "--addr", "0.0.0.0:0"], "");
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("add --auth"),
        "{}",
        text(&refused.stderr)
    );
    let refused = skytrace(dir, &["serve", "--auth", "--addr", "127.0.0.1:0"], "");
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("skytrace user add"),
        "{}",
        text(&refused.stderr)
    );

    let short = skytrace(dir, &["user", "add", "alice"], "short\n");
    assert!(!short.status.success());
    assert!(
        text(&short.stderr).contains("at least 12"),
        "{}",
        text(&short.stderr)
    );
    let bad_name = skytrace(
        dir,
        &["user", "add", "alice smith"],
        "long-enough-password\n",
    );
    assert!(!bad_name.status.success());

    let added = skytrace(
        dir,
        &["user", "add", "alice", "--role", "admin"],
        "alice-password-1\n",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let again = skytrace(dir, &["user", "add", "alice"], "alice-password-2\n");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already an account"));
    let added = skytrace(dir, &["user", "add", "bob"], "bob-password-12\n");
    assert!(added.status.success(), "{}", text(&added.stderr));
    let listed = text(&skytrace(dir, &["user", "list"], "").stdout);
    assert!(
        listed.contains("alice\tadmin") && listed.contains("bob\tanalyst"),
        "{listed}"
    );

    let created = skytrace(
        dir,
        &[
            "token",
            "create",
            "--account",
            "bob",
            "--label",
            "SIEM export",
        ],
        "",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let token = text(&created.stdout).trim().to_owned();
    assert!(token.starts_with("skt_") && token.len() == 68, "{token}");
    let shipper = skytrace(
        dir,
        &[
            "token",
            "create",
            "--account",
            "bob",
            "--label",
            "Vector",
            "--scope",
            "ingest",
        ],
        "",
    );
    assert!(shipper.status.success(), "{}", text(&shipper.stderr));
    assert!(
        text(&shipper.stderr).contains("it only sends events"),
        "{}",
        text(&shipper.stderr)
    );
    let shipper = text(&shipper.stdout).trim().to_owned();
    let listed = text(&skytrace(dir, &["token", "list"], "").stdout);
    assert!(
        listed.contains("api\tbob\tSIEM export")
            && listed.contains("ingest\tbob\tVector")
            && listed.contains("never used"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "the secret is shown only once");
    let bad_scope = skytrace(
        dir,
        &[
            "token",
            "create",
            "--account",
            "bob",
            "--label",
            "x",
            "--scope",
            "write",
        ],
        "",
    );
    assert!(
        !bad_scope.status.success() && text(&bad_scope.stderr).contains("api or ingest"),
        "{}",
        text(&bad_scope.stderr)
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["serve", "--auth", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    while !answer.contains("\r\n\r\n") && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
        answer = get(port, "/api/v1/session", &token);
    }
    let refused = get(port, "/api/v1/analyses", "skt_made-up");
    let shipper_reads = get(port, "/api/v1/analyses", &shipper);
    let listed = text(&skytrace(dir, &["token", "list"], "").stdout);
    let removed = skytrace(dir, &["user", "remove", "bob"], "");
    let after_removal = get(port, "/api/v1/session", &token);
    server.kill().unwrap();
    server.wait().unwrap();

    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""name":"bob","role":"analyst","signed_in":true"#),
        "{answer}"
    );
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        shipper_reads.starts_with("HTTP/1.1 403") && shipper_reads.contains("token_scope"),
        "an ingest token reads nothing: {shipper_reads}"
    );
    assert!(listed.contains("last used"), "{listed}");
    assert!(removed.status.success());
    assert!(
        after_removal.starts_with("HTTP/1.1 401"),
        "a removed account's tokens die with it: {after_removal}"
    );
}
