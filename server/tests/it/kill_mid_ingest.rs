//! A run is kept in one transaction: killing the server (SIGKILL) while it writes a large run
//! leaves no trace of it, and the restarted server works on the same database.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 request on a fresh connection; the whole response as text.
pub(crate) fn http(port: u16, request: &[u8]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

fn get(port: u16, path: &str) -> String {
    http(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap_or_default()
}

fn upload(port: u16, content: &[u8]) -> std::io::Result<String> {
    let boundary = "skytrace-kill-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = format!(
        "POST /api/v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    http(port, &request)
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data_dir: &Path, port: u16) -> Child {
    serve_with(data_dir, port, &[])
}

/// `skytrace serve` on `port` with `extra` arguments, once it answers its health check.
pub(crate) fn serve_with(data_dir: &Path, port: u16, extra: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--max-upload-mb",
            "100",
        ])
        .args(extra)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !get(port, "/healthz").ends_with("ok") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

#[test]
fn killing_the_server_mid_write_keeps_nothing_of_the_run() {
    // About 10,000 logins, each carrying a 2 KB column that is kept with it: a run that takes a
    // while to write (tens of megabytes) but little to score.
    let mut params = scenario::ScenarioParams::evaluation();
    params.users = 80;
    let rows = scenario::generate(&params).unwrap();
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).unwrap();
    let padding = "x".repeat(2048);
    let mut log = String::new();
    for (index, line) in String::from_utf8(csv).unwrap().lines().enumerate() {
        log.push_str(line);
        log.push(',');
        log.push_str(if index == 0 { "note" } else { &padding });
        log.push('\n');
    }
    let log = log.into_bytes();

    let data = tempfile::tempdir().unwrap();
    let wal = data.path().join("skytrace.db-wal");
    let port = free_port();
    let mut server = serve(data.path(), port);
    let before = std::fs::metadata(&wal).map_or(0, |m| m.len());
    let sender = std::thread::spawn(move || upload(port, &log));

    // The scored logins are written in one transaction; kill once it has written megabytes.
    let started = Instant::now();
    loop {
        let written = std::fs::metadata(&wal).map_or(0, |m| m.len());
        if written > before + 4 * 1024 * 1024 {
            break;
        }
        assert!(
            !sender.is_finished(),
            "the run was kept before it could be interrupted"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let reply = sender.join().unwrap().unwrap_or_default();
    assert!(
        !reply.contains("201 Created"),
        "killed before answering: {reply}"
    );

    let port = free_port();
    let mut server = serve(data.path(), port);
    let listed = get(port, "/api/v1/analyses");
    assert!(listed.ends_with("[]"), "no partial run: {listed}");
    let small = b"timestamp,user_id,ip_address,user_agent,success\n\
                  2026-03-02T08:00:00Z,alice,192.0.2.1,Mozilla/5.0,true\n";
    let created = upload(port, small).unwrap();
    assert!(created.contains("201 Created"), "{created}");
    let listed = get(port, "/api/v1/analyses");
    assert_eq!(listed.matches("\"id\"").count(), 1, "{listed}");
    server.kill().unwrap();
    server.wait().unwrap();
}
