//! `skytrace loadtest` against the app on a real socket: every request is counted, with its
//! latency, and the uploads are kept.

use std::process::Command;

use tokio::net::TcpListener;

use crate::web::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadtest_drives_a_server_and_reports_every_endpoint() {
    let store = Arc::new(crate::support::fresh_store().await);
    let router = app(crate::support::state(
        crate::support::detection_on(Arc::clone(&store), None),
        ServerSettings::default(),
        AuthMode::Local,
        PageFiles::default(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(server::web::connections::serve(
        listener,
        router,
        server::web::limits::Limits::default(),
        std::future::pending(),
    ));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_skytrace"))
            .args([
                "loadtest",
                "--clients",
                "3",
                "--readers",
                "2",
                "--reads",
                "6",
            ])
            .arg("--url")
            .arg(format!("http://{address}"))
            .arg("--pid")
            .arg(std::process::id().to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let upload_line = stdout
        .lines()
        .find(|line| line.starts_with("POST /api/v1/analyses"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(upload_line.ends_with("201×3"), "{stdout}");
    assert!(stdout.contains("p95 ms"), "{stdout}");
    assert!(stdout.contains("server memory (pid"), "{stdout}");
    let service = crate::support::detection_on(store, None);
    assert_eq!(service.recent(10, None).await.unwrap().len(), 3);
}
