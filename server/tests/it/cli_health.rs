//! `skytrace health`, the container's health check: success from a running server, status 1
//! with the reason when nothing answers.

use std::process::{Command, Output};

use tokio::net::TcpListener;

use crate::web::*;

fn health(addr: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["health", "--addr", addr])
        .env_remove("SKYTRACE_ADDR")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_succeeds_against_a_running_server_listening_on_every_interface() {
    let store = Arc::new(crate::support::fresh_store().await);
    let router = app(crate::support::state(
        crate::support::detection_on(store, None),
        ServerSettings::default(),
        AuthMode::Local,
        PageFiles::default(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(server::web::connections::serve(
        listener,
        router,
        server::web::limits::Limits::default(),
        std::future::pending(),
    ));
    // As the container configures it: SKYTRACE_ADDR=0.0.0.0:PORT, asked on loopback.
    let output = tokio::task::spawn_blocking(move || health(&format!("0.0.0.0:{port}")))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!("http://127.0.0.1:{port}/healthz: 200 OK")
    );
}

#[test]
fn health_fails_with_status_1_when_nothing_listens() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = health(&format!("127.0.0.1:{port}"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("no answer from http://127.0.0.1:{port}/healthz")),
        "{stderr}"
    );
}
