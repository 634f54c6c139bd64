//! The web app through its router; the helpers (and the names they use) serve the other
//! `web_*` test modules too.

pub use std::net::SocketAddr;
pub use std::path::Path;
pub use std::sync::Arc;

pub use app::ServerSettings;
pub use axum::Router;
pub use axum::body::Body;
pub use axum::http::{Request, StatusCode, header};
pub use axum::response::Response;
use engine::ingest::Format;
pub use http_body_util::BodyExt;
pub use server::web::auth::AuthMode;
pub use server::web::{PageFiles, app};
use service::notify::Notifier;
pub use store::Store;
pub use tower::ServiceExt;

use crate::support::{detection_on, fresh_store, state};

pub const LIMIT_BYTES: u64 = 64 * 1024;

pub async fn test_app() -> Router {
    test_app_with_limit(LIMIT_BYTES).await
}

/// The app on a fresh SQLite database of its own.
pub async fn test_app_with_limit(max_upload_bytes: u64) -> Router {
    app_on(fresh_store().await, None, max_upload_bytes)
}

/// The app on `store`, without geolocation, alerting through `notifier`.
pub fn app_on(store: Store, notifier: Option<Arc<dyn Notifier>>, max_upload_bytes: u64) -> Router {
    app_with_files(store, notifier, max_upload_bytes, PageFiles::default())
}

pub fn app_with_files(
    store: Store,
    notifier: Option<Arc<dyn Notifier>>,
    max_upload_bytes: u64,
    page_files: PageFiles,
) -> Router {
    app(state(
        detection_on(Arc::new(store), notifier),
        ServerSettings {
            max_upload_bytes,
            ..ServerSettings::default()
        },
        AuthMode::Local,
        page_files,
    ))
}

pub async fn send(request: Request<Body>) -> (StatusCode, String) {
    let response = test_app().await.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

pub async fn get_page(path: &str) -> (StatusCode, String) {
    send(Request::get(path).body(Body::empty()).unwrap()).await
}

pub fn multipart_upload(content: &[u8]) -> Request<Body> {
    multipart_upload_with(&[], content)
}

/// An upload with text fields (`format`, `map`) before the file.
pub fn multipart_upload_with(fields: &[(&str, &str)], content: &[u8]) -> Request<Body> {
    let boundary = "skytrace-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logins.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/_sfn/profile")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn the_chart_script_and_the_world_map_are_served_when_installed() {
    let geo_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/node_modules/@ip-location-db");
    let installed_files =
        PageFiles::installed(Some(&geo_dir), Path::new("target/site-does-not-exist"));
    assert!(
        installed_files.countries_geojson.is_some(),
        "run ./dev setup to install the world-atlas data"
    );
    let files = PageFiles {
        countries_geojson: installed_files.countries_geojson,
        echarts_script: installed_files.echarts_script,
        ..PageFiles::default()
    };
    let installed = app_with_files(fresh_store().await, None, LIMIT_BYTES, files);
    let response = installed
        .clone()
        .oneshot(
            Request::get(app::components::ECHARTS_PATH)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript");
    let script = response.into_body().collect().await.unwrap().to_bytes();
    assert!(script.len() > 500_000, "the whole of echarts.min.js");
    let response = installed
        .oneshot(
            Request::get(app::components::WORLD_MAP_PATH)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let map: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(map["type"], "FeatureCollection");

    // Not installed: a 404 that says how to install it (the pages keep their SVG charts).
    for path in [
        app::components::ECHARTS_PATH,
        app::components::WORLD_MAP_PATH,
    ] {
        let (status, body) = send(Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("./dev setup"), "{path}: {body}");
    }
}

#[tokio::test]
async fn the_country_database_is_served_for_analyses_in_the_browser() {
    let path = app::local_analysis::COUNTRY_DATA_PATH;
    let installed = geolocation::country_database_file(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/node_modules/@ip-location-db"),
    ))
    .expect("run ./dev setup to install the geodata");
    let store = fresh_store().await;
    let files = PageFiles {
        country_database: Some(installed.clone()),
        ..PageFiles::default()
    };
    let response = app_with_files(store, None, LIMIT_BYTES, files)
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        body.len() as u64,
        std::fs::metadata(&installed).unwrap().len()
    );
    // The pages name the largest file the browser may analyse.
    let (status, page) = send(Request::get("/detect").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"name="skytrace-max-browser-bytes" content="20971520""#),
        "{page}"
    );
    // Without the data, a clear 404.
    let (status, text) = send(Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("./dev setup"), "{text}");
}

#[tokio::test]
async fn health_check() {
    assert_eq!(
        get_page("/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
}

#[tokio::test]
async fn ready_once_the_monitor_has_rebuilt_its_sources() {
    let app = test_app().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let response = app
            .clone()
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body).into_owned();
        if status == StatusCode::OK {
            assert_eq!(text, "ready");
            break;
        }
        assert_eq!(
            (status, text.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: monitored sources are still being rebuilt from the database"
            )
        );
        assert!(std::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn every_page_renders_on_the_server() {
    for (path, text) in [
        ("/", "Find account takeovers in your sign-in logs"),
        ("/upload", "Upload sign-in logs"),
        ("/detect", "No analysis yet — upload a file"),
        ("/dashboard", "No analysis yet — upload a file"),
        ("/reports", "No analysis yet — upload a file"),
        ("/settings", "No notification channel is configured"),
    ] {
        let (status, html) = get_page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(text), "{path} lacks {text:?}");
        assert!(
            html.contains(r#"href="/dashboard""#),
            "{path} lacks the navigation"
        );
        assert!(
            html.contains("/pkg/skytrace.js"),
            "{path} lacks the hydration script"
        );
        assert!(
            html.contains(r#"name="skytrace-max-upload-bytes" content="65536""#),
            "{path} lacks the upload limit"
        );
    }
}

/// Regression: Leptos suppresses resource loading process-wide while it lists the routes, so a
/// page whose account resource first ran during another app's route listing never finished (a
/// 503 after five minutes in CI, where tests build apps in parallel).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_apps_are_built() {
    let store = fresh_store().await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let builder = std::thread::spawn({
        let (store, stop) = (store.clone(), Arc::clone(&stop));
        let runtime = tokio::runtime::Handle::current();
        move || {
            let _inside = runtime.enter();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                drop(app_on(store.clone(), None, LIMIT_BYTES));
            }
        }
    });
    for _ in 0..30 {
        let request = Request::get("/upload").body(Body::empty()).unwrap();
        let rendered = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            app_on(store.clone(), None, LIMIT_BYTES).oneshot(request),
        )
        .await;
        let Ok(response) = rendered else {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            panic!("/upload did not render within 20 s while other apps were being built");
        };
        assert_eq!(response.unwrap().status(), StatusCode::OK);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    builder.join().unwrap();
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let (status, html) = get_page("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn upload_is_profiled_by_the_server_function() {
    let csv = "timestamp,user_id,ip_address,user_agent,success\n\
               2026-03-02T08:00:00Z,ann,84.208.1.2,UA,true\n\
               2026-03-02T09:00:00Z,bob,84.208.1.3,UA,false\n\
               yesterday,bob,84.208.1.3,UA,false\n";
    let (status, body) = send(multipart_upload(csv.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let profile: engine::DataProfile = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (profile.rows_read, profile.accepted, profile.rejected),
        (3, 2, 1)
    );
    assert_eq!(profile.rejected_rows[0].line, Some(4));
    assert_eq!(profile.distinct_users, 2);
}

/// (records read, accepted, rejected, skipped) and the format, as the upload page shows them.
pub async fn profile_fixture(name: &str, fields: &[(&str, &str)]) -> (u64, u64, u64, u64, Format) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/formats")
        .join(name);
    let (status, body) = send(multipart_upload_with(fields, &std::fs::read(path).unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    let profile: engine::DataProfile = serde_json::from_str(&body).unwrap();
    (
        profile.rows_read,
        profile.accepted,
        profile.rejected,
        profile.skipped_total(),
        profile.format,
    )
}

#[tokio::test]
async fn every_format_fixture_through_the_upload() {
    for (name, fields, expected) in [
        ("entra-signins.csv", &[][..], (8, 7, 1, 0, Format::EntraCsv)),
        (
            "entra-signins-excel.txt",
            &[],
            (8, 7, 1, 0, Format::EntraCsv),
        ),
        ("entra-graph.json", &[], (5, 4, 1, 0, Format::EntraJson)),
        (
            "entra-loganalytics.json",
            &[],
            (5, 5, 0, 0, Format::EntraJson),
        ),
        ("okta-systemlog.jsonl", &[], (10, 5, 2, 3, Format::Okta)),
        (
            "cloudtrail-consolelogin.json.gz",
            &[],
            (9, 5, 1, 3, Format::CloudTrail),
        ),
        ("auth.log", &[], (21, 11, 1, 9, Format::AuthLog)),
        ("rba-sample.csv", &[], (7, 6, 1, 0, Format::Rba)),
        (
            "entra-diagnostic.jsonl",
            &[],
            (8, 6, 1, 1, Format::EntraJson),
        ),
        (
            "google-workspace-login.json",
            &[],
            (8, 6, 1, 1, Format::GoogleWorkspace),
        ),
        ("auth0-logs.json", &[], (9, 7, 1, 1, Format::Auth0)),
        ("m365-audit-aad.json", &[], (8, 5, 1, 2, Format::M365)),
        ("okta-eventhook.json", &[], (10, 6, 1, 3, Format::Okta)),
        (
            "windows-winlogbeat.jsonl",
            &[],
            (7, 4, 1, 2, Format::Windows),
        ),
        ("ecs-authentication.jsonl", &[], (6, 3, 1, 2, Format::Ecs)),
        ("ocsf-authentication.jsonl", &[], (6, 3, 1, 2, Format::Ocsf)),
        (
            "vpn-export.tsv",
            &[
                ("format", "csv"),
                (
                    "map",
                    "timestamp=Event Time, user_id=Account, ip_address=Client Address",
                ),
            ],
            (5, 4, 1, 0, Format::Csv),
        ),
    ] {
        assert_eq!(profile_fixture(name, fields).await, expected, "{name}");
    }
}

#[tokio::test]
async fn a_bad_reading_choice_is_400_with_the_reason() {
    let (status, body) = send(multipart_upload_with(
        &[("map", "who=Login")],
        b"a,b\n1,2\n",
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown field \"who\""), "{body}");
}

#[tokio::test]
async fn unusable_upload_is_422_with_the_reason() {
    let (status, body) = send(multipart_upload(b"")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("the file is empty"), "{body}");
}

#[tokio::test]
async fn oversized_upload_is_413_with_a_clear_message() {
    let big = vec![b'x'; LIMIT_BYTES as usize + 1];
    let (status, body) = send(multipart_upload(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        "File too large: uploads are limited to 64.0 KB. Start the server with --max-upload-mb to change the limit.\n"
    );
}

#[tokio::test]
async fn detection_runs_on_an_upload_and_its_logins_are_paged() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let mut request = multipart_upload_with(&[("choices", "")], &sample);
    *request.uri_mut() = "/_sfn/detect".parse().unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let summary: service::detection::DetectionSummary = serde_json::from_slice(&body).unwrap();
    assert_eq!(summary.profile.accepted, summary.profile.rows_read);
    assert!(summary.at_or_above_threshold > 0);

    let query = serde_json::json!({
        "id": summary.id,
        "query": {"min_score": summary.high_from, "level": null, "user": "", "order": "RiskiestFirst", "page": 0}
    });
    let request = Request::post("/_sfn/detect/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(query.to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let page: service::detection::EventPage = serde_json::from_slice(&body).unwrap();
    assert_eq!(page.matching, summary.at_or_above_threshold);
    assert!(
        page.rows
            .iter()
            .all(|event| event.risk_level >= engine::RiskLevel::High)
    );
    assert!(!page.rows[0].reasons().is_empty());

    let missing = serde_json::json!({
        "id": "no-such-run",
        "query": {"min_score": summary.high_from, "level": null, "user": "", "order": "RiskiestFirst", "page": 0}
    });
    let request = Request::post("/_sfn/detect/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(missing.to_string()))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Runs detection on the bundled sample through the server function; returns the run's id.
pub async fn detect_sample(router: &Router) -> service::detection::DetectionSummary {
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let mut request = multipart_upload_with(&[("choices", "")], &sample);
    *request.uri_mut() = "/_sfn/detect".parse().unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

pub async fn get_bytes(router: &Router, uri: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let disposition = response
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, disposition, body.to_vec())
}

#[tokio::test]
async fn reports_of_a_kept_run_download_in_every_format() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let summary = detect_sample(&router).await;
    let base = format!("/api/v1/analyses/{}/report", summary.id);

    let (status, disposition, pdf) =
        get_bytes(&router, &format!("{base}?kind=incident&format=pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        disposition.unwrap(),
        format!(
            "attachment; filename=\"skytrace-incident-{}.pdf\"",
            summary.id
        )
    );

    let (status, _, csv) = get_bytes(
        &router,
        &format!("{base}?kind=events&format=csv&level=critical"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let critical = summary
        .levels
        .iter()
        .find(|(level, _)| *level == engine::RiskLevel::Critical)
        .unwrap()
        .1;
    let rows = csv::Reader::from_reader(&csv[..]).records().count() as u64;
    assert_eq!(rows, critical);

    // The scored logins for SIEMs: ECS alerts and OCSF Authentication events, one per line.
    for (url, schema_field) in [
        (format!("{base}?kind=events&format=ecs"), "event"),
        (
            format!("/api/v1/analyses/{}/events?format=ocsf", summary.id),
            "class_uid",
        ),
    ] {
        let (status, disposition, lines) = get_bytes(&router, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(disposition.unwrap().ends_with("ndjson\""), "{url}");
        let documents: Vec<serde_json::Value> = std::str::from_utf8(&lines)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(documents.len() as u64, summary.profile.accepted, "{url}");
        assert!(
            documents
                .iter()
                .all(|document| !document[schema_field].is_null()),
            "{url}"
        );
    }

    let (status, _, json) = get_bytes(&router, &format!("{base}?kind=executive&format=json")).await;
    assert_eq!(status, StatusCode::OK);
    let report: reports::ExecutiveReport = serde_json::from_slice(&json).unwrap();
    assert_eq!(report.logins, summary.profile.accepted);
    assert_eq!(
        report.meta.analysis_id.as_deref(),
        Some(summary.id.as_str())
    );

    for (query, status, code) in [
        ("kind=weekly", StatusCode::BAD_REQUEST, "unknown_kind"),
        (
            "kind=events&format=pdf",
            StatusCode::BAD_REQUEST,
            "unsupported_format",
        ),
        (
            "kind=technical&from=yesterday",
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
    ] {
        let (got, _, body) = get_bytes(&router, &format!("{base}?{query}")).await;
        assert_eq!(got, status, "{query}");
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["code"], code, "{query}");
    }
    let (status, _, body) = get_bytes(&router, "/api/v1/analyses/unknown/report").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("no kept analysis"));
}

#[tokio::test]
async fn the_cli_reports_on_a_run_kept_by_the_web_app() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(data_dir.path()))
        .await
        .unwrap();
    let router = app_on(store, None, 8 * 1024 * 1024);
    let summary = detect_sample(&router).await;
    let out = data_dir.path().join("incidents.json");
    let args = [
        "skytrace",
        "report",
        "--kind",
        "incident",
        &summary.id,
        "--data-dir",
        data_dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let server::cli::Command::Report(args) =
        <server::cli::Cli as clap::Parser>::try_parse_from(args)
            .unwrap()
            .command
    else {
        panic!("parsed as another command");
    };
    let code = tokio::task::spawn_blocking(move || server::commands::report::run(&args).unwrap())
        .await
        .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let from_cli: reports::IncidentReport =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let (_, _, from_api) = get_bytes(
        &router,
        &format!(
            "/api/v1/analyses/{}/report?kind=incident&format=json",
            summary.id
        ),
    )
    .await;
    let from_api: reports::IncidentReport = serde_json::from_slice(&from_api).unwrap();
    assert!(!from_cli.incidents.is_empty());
    assert_eq!(
        from_cli, from_api,
        "the CLI and the API give the same report"
    );
}

#[tokio::test]
async fn the_reports_page_renders_a_kept_run_on_the_server() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let summary = detect_sample(&router).await;
    let (_, _, json) = get_bytes(
        &router,
        &format!(
            "/api/v1/analyses/{}/report?kind=incident&format=json",
            summary.id
        ),
    )
    .await;
    let incidents: reports::IncidentReport = serde_json::from_slice(&json).unwrap();
    let first = &incidents.incidents[0].id;

    let (status, _, page) = get_bytes(
        &router,
        &format!("/reports?run={}&kind=incident", summary.id),
    )
    .await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(first.as_str()),
        "the first incident is on the page"
    );
    assert!(page.contains(&format!(
        "/api/v1/analyses/{}/report?kind=incident&amp;format=pdf",
        summary.id
    )));

    let (_, _, page) = get_bytes(&router, &format!("/reports?run={}", summary.id)).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("Overall posture"));
    assert!(page.contains("data-testid=\"recommendations\""));

    let (_, _, page) = get_bytes(&router, "/reports?run=unknown").await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("Cannot show this report"));
    assert!(page.contains("no kept analysis \"unknown\""));
}

/// A webhook receiver on loopback (served by the test's runtime); returns its address and the
/// bodies received.
pub async fn webhook_receiver() -> (SocketAddr, Arc<std::sync::Mutex<Vec<String>>>) {
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = Arc::clone(&bodies);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let receiver = Router::new().fallback(move |body: String| {
        let recorded = Arc::clone(&recorded);
        async move {
            recorded.lock().unwrap().push(body);
            "ok"
        }
    });
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    (address, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_runs_alert_their_incidents_once_with_links() {
    let (address, bodies) = webhook_receiver().await;
    let data_dir = tempfile::tempdir().unwrap();
    let notifications: alerts::NotificationsConfig = toml::from_str(&format!(
        "max_alerts_per_hour = 1000\napp_url = \"https://skytrace.example/\"\n\
         [retry]\nmax_attempts = 2\ninitial_backoff_ms = 10\ntimeout_secs = 5\n\
         [webhook]\nurl = \"http://{address}/hook\"\n"
    ))
    .unwrap();
    notifications.check().unwrap();
    let store = Store::open(&Store::sqlite_url(data_dir.path()))
        .await
        .unwrap();
    let notifier = service::notify::AlertNotifier::new(notifications, Arc::new(store.clone()));
    let router = app_on(store, Some(Arc::new(notifier)), 8 * 1024 * 1024);
    let summary = detect_sample(&router).await;
    let (_, _, json) = get_bytes(
        &router,
        &format!(
            "/api/v1/analyses/{}/report?kind=incident&format=json",
            summary.id
        ),
    )
    .await;
    let incidents: reports::IncidentReport = serde_json::from_slice(&json).unwrap();
    let expected = incidents.incidents.len();
    let received = async {
        loop {
            if bodies.lock().unwrap().len() >= expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), received)
        .await
        .expect("every incident alerted");
    let first = &incidents.incidents[0].id;
    let link = format!(
        "https://skytrace.example/reports?run={}&kind=incident#{first}",
        summary.id
    );
    assert!(
        bodies
            .lock()
            .unwrap()
            .iter()
            .any(|body| body.contains(&link)),
        "an alert links to its incident"
    );

    // The same log again: the same incidents, not alerted twice.
    detect_sample(&router).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(bodies.lock().unwrap().len(), expected);

    // The settings page's test message.
    let request = Request::post("/_sfn/settings/test-notification")
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let outcome: service::notify::TestOutcome = serde_json::from_slice(&body).unwrap();
    assert_eq!(outcome.failures, 0, "{:?}", outcome.lines);
    assert_eq!(bodies.lock().unwrap().len(), expected + 1);
    let (_, _, page) = get_bytes(&router, "/settings").await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains(&format!("Webhook http://{address}/…")),
        "no secrets, the channel is listed"
    );
}

/// `POST /api/v1/analyses` with `fields` before the file.
pub fn api_upload(fields: &[(&str, &str)], content: &[u8]) -> Request<Body> {
    let mut request = multipart_upload_with(fields, content);
    *request.uri_mut() = "/api/v1/analyses".parse().unwrap();
    request
}

pub async fn json_of(router: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_rest_api_round_trip() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let (status, created) = json_of(&router, api_upload(&[("format", "csv")], &sample)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "complete");
    assert_eq!(
        created["links"]["events"],
        format!("/api/v1/analyses/{id}/events")
    );
    let accepted = created["summary"]["profile"]["accepted"].as_u64().unwrap();

    let (status, one) = json_of(&router, get(&format!("/api/v1/analyses/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        one["summary"]["profile"]["accepted"].as_u64(),
        Some(accepted)
    );
    let (_, listed) = json_of(&router, get("/api/v1/analyses")).await;
    assert_eq!(listed[0]["id"], id.as_str());

    // Paged logins at or above High, then the same as CSV.
    let (status, page) = json_of(
        &router,
        get(&format!(
            "/api/v1/analyses/{id}/events?level=high&order=newest"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let high_or_above: u64 = one["summary"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0] == "High" || pair[0] == "Critical")
        .map(|pair| pair[1].as_u64().unwrap())
        .sum();
    assert_eq!(page["matching"].as_u64(), Some(high_or_above));
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 50.min(high_or_above as usize));
    assert!(
        rows.windows(2)
            .all(|w| w[0]["timestamp_ms"].as_i64() >= w[1]["timestamp_ms"].as_i64())
    );
    let (status, _, csv) = get_bytes(
        &router,
        &format!("/api/v1/analyses/{id}/events?level=high&format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv::Reader::from_reader(&csv[..]).records().count() as u64,
        high_or_above
    );
    let (_, dated) = json_of(
        &router,
        get(&format!(
            "/api/v1/analyses/{id}/events?from=2026-03-10&to=2026-03-10&user=AVA"
        )),
    )
    .await;
    let rows = dated["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|row| {
        row["user_id"].as_str().unwrap().contains("ava")
            && engine::time::format_utc(row["timestamp_ms"].as_i64().unwrap())
                .starts_with("2026-03-10")
    }));

    let (status, incidents) =
        json_of(&router, get(&format!("/api/v1/analyses/{id}/incidents"))).await;
    assert_eq!(status, StatusCode::OK);
    let incidents = incidents["incidents"].as_array().unwrap();
    assert!(!incidents.is_empty());
    assert!(incidents[0]["id"].as_str().unwrap().starts_with("INC-"));
    let (_, critical) = json_of(
        &router,
        get(&format!("/api/v1/analyses/{id}/incidents?level=critical")),
    )
    .await;
    let critical = critical["incidents"].as_array().unwrap();
    assert!(!critical.is_empty() && critical.len() <= incidents.len());
    assert!(
        critical
            .iter()
            .all(|incident| incident["severity"] == "Critical")
    );

    // A user across analyses, named in any case.
    let (status, user) = json_of(&router, get("/api/v1/users/AVA.EDWARDS")).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["user_id"], "ava.edwards");
    let (_, theirs) = json_of(
        &router,
        get(&format!("/api/v1/analyses/{id}/events?user=ava.edwards")),
    )
    .await;
    assert_eq!(user["logins"], theirs["matching"]);
    assert_eq!(user["analyses"].as_array().unwrap().len(), 1);
    assert_eq!(user["analyses"][0]["analysis_id"], id.as_str());
    assert!(user["riskiest"].as_array().unwrap().len() <= 10);
    assert!(
        user["incidents"]
            .as_array()
            .is_some_and(|list| !list.is_empty())
    );
    // Their learnt baseline: what the next upload is compared with.
    let baseline = &user["baseline"];
    assert_eq!(baseline["user_id"], "ava.edwards");
    let learnt = baseline["learnt_logins"].as_u64().unwrap();
    assert!(
        learnt > 0 && learnt <= user["logins"].as_u64().unwrap(),
        "{baseline}"
    );
    let hours: u64 = baseline["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_u64().unwrap())
        .sum();
    assert_eq!(hours, learnt);
    assert!(
        !baseline["devices"].as_array().unwrap().is_empty(),
        "{baseline}"
    );
    assert!(baseline["last_learnt_ms"].is_i64());
    let (status, missing) = json_of(&router, get("/api/v1/users/nobody")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "not_found");

    // Errors: stable codes, no internals.
    for (request, status, code) in [
        (
            api_upload(&[("choices", "{not json")], &sample),
            StatusCode::BAD_REQUEST,
            "bad_choices",
        ),
        (
            api_upload(&[("format", "excel")], &sample),
            StatusCode::BAD_REQUEST,
            "bad_reading_options",
        ),
        (
            api_upload(&[], b"\x89PNG\r\n\x1a\n\0\0\0binary"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_log",
        ),
        (
            get("/api/v1/analyses/nope"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            get(&format!("/api/v1/analyses/{id}/events?format=xml")),
            StatusCode::BAD_REQUEST,
            "unsupported_format",
        ),
        (
            get(&format!("/api/v1/analyses/{id}/events?order=random")),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
        (
            get(&format!("/api/v1/analyses/{id}/incidents?from=tomorrow")),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
    ] {
        let (got, error) = json_of(&router, request).await;
        assert_eq!(got, status, "{error}");
        assert_eq!(error["code"], code, "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn the_triage_filters_and_one_logins_evidence_over_the_rest_api() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let (status, created) = json_of(&router, api_upload(&[("format", "csv")], &sample)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    // Failed logins with a brute-force detection, by user: each row says so.
    let (status, page) = json_of(
        &router,
        get(&format!(
            "/api/v1/analyses/{id}/events?min_score=0&outcome=failure&detection=brute_force&order=user"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let rows = page["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{page}");
    assert!(rows.iter().all(|row| {
        row["outcome"] == "failure"
            && row["success"] == false
            && row["detections"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("brute_force"))
    }));
    let users: Vec<String> = rows
        .iter()
        .map(|row| row["user_id"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(users.windows(2).all(|pair| pair[0] <= pair[1]), "{users:?}");
    // The facets count every matching login, not only this page.
    let facets = &page["facets"];
    let failures: u64 = facets["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0] == "failure")
        .map(|pair| pair[1].as_u64().unwrap())
        .sum();
    assert_eq!(Some(failures), page["matching"].as_u64());

    // Compromised accounts' logins carry the account's verdict.
    let (_, compromised) = json_of(
        &router,
        get(&format!(
            "/api/v1/analyses/{id}/events?min_score=0&account=compromised"
        )),
    )
    .await;
    let rows = compromised["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{compromised}");
    assert!(rows.iter().all(|row| row["account"] == "compromised"));

    // The side panel's evidence for the riskiest failed login of a compromised account.
    let login_id = page["rows"][0]["login_id"].as_str().unwrap().to_owned();
    let (status, details) = json_of(
        &router,
        get(&format!("/api/v1/analyses/{id}/logins/{login_id}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{details}");
    assert_eq!(details["login_id"], login_id.as_str());
    assert_eq!(details["outcome"], "failure");
    // A failed login can be an attack attempt, never "compromised".
    let verdicts = details["verdicts"].as_array().unwrap();
    assert!(verdicts.contains(&serde_json::json!("attack_attempt")));
    assert!(!verdicts.contains(&serde_json::json!("confirmed_compromised")));
    let families: Vec<&str> = details["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|family| family["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        families,
        vec!["Isolation Forest", "DBSCAN", "Statistical", "Rules"]
    );
    assert!(
        details["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|reason| reason["detection"] == "brute_force"),
        "{details}"
    );
    assert!(details["usual"]["hours"].as_array().unwrap().len() == 24);
    assert!(details["previous"].is_object(), "{details}");

    for (uri, status, code) in [
        (
            format!("/api/v1/analyses/{id}/logins/F-000000000000"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/api/v1/analyses/nope/logins/{login_id}"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/api/v1/analyses/{id}/events?outcome=maybe"),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
        (
            format!("/api/v1/analyses/{id}/events?detection=new_country,bogus"),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
        (
            format!("/api/v1/analyses/{id}/events?source=203.0.0.0/16"),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
        (
            format!("/api/v1/analyses/{id}/events?from=2026-03-12&to=2026-03-10"),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
    ] {
        let (got, error) = json_of(&router, get(&uri)).await;
        assert_eq!(got, status, "{uri}: {error}");
        assert_eq!(error["code"], code, "{uri}: {error}");
    }
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let router = test_app().await;
    let (status, document) = json_of(&router, get("/api/v1/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 21);
    for (path, operations) in paths {
        if path == "/api/v1/activity" {
            // An endless event stream: routed if it starts one.
            let response = router.clone().oneshot(get(path)).await.unwrap();
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/event-stream"
            );
            continue;
        }
        let uri = path
            .replace("{id}", "unknown")
            .replace("{user}", "unknown")
            .replace("{login_id}", "F-000000000000")
            .replace("{code}", "unknown")
            .replace("{source}", "unknown");
        for method in operations.as_object().unwrap().keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let (status, body) = json_of(&router, request).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if status == StatusCode::NOT_FOUND {
                // Routed: the API's own answer for an unknown analysis, not the page fallback.
                // (Signing in answers `no_sign_in` in local mode.)
                assert!(
                    body["code"] == "not_found" || body["code"] == "no_sign_in",
                    "{method} {path} is not routed"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_stopped_with_a_clear_503() {
    let router = app(state(
        detection_on(Arc::new(fresh_store().await), None),
        ServerSettings {
            max_upload_bytes: 8 * 1024 * 1024,
            request_timeout: std::time::Duration::from_millis(1),
            ..ServerSettings::default()
        },
        AuthMode::Local,
        PageFiles::default(),
    ));
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let response = router.oneshot(api_upload(&[], &sample)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let message = String::from_utf8_lossy(&body);
    assert!(message.contains("took longer than 0.001 s"), "{message}");
    assert!(message.contains("--request-timeout-secs"), "{message}");
}

/// Regression: the API's multipart upload was capped by axum's 2 MB default instead of the
/// server's upload limit.
#[tokio::test]
async fn api_uploads_up_to_the_server_limit() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let mut params = scenario::ScenarioParams::sample();
    params.users = 200;
    let rows = scenario::generate(&params).unwrap();
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).unwrap();
    assert!(csv.len() > 2 * 1024 * 1024, "{} bytes", csv.len());
    let (status, created) = json_of(&router, api_upload(&[], &csv)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let small = test_app_with_limit(64 * 1024).await;
    let response = small.oneshot(api_upload(&[], &csv)).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Regression: pages with a file picker held the chosen `File` in thread-bound reactive state;
/// when a streamed page finished on another worker thread, dropping it panicked and cut the
/// response short (ERR_INCOMPLETE_CHUNKED_ENCODING in the browser).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_completely_whichever_thread_finishes_them() {
    let router = test_app().await;
    let renders: Vec<_> = (0..60)
        .map(|round| {
            let router = router.clone();
            let path = ["/detect", "/upload"][round % 2];
            tokio::spawn(async move {
                let response = router.oneshot(get(path)).await.unwrap();
                let body = response.into_body().collect().await;
                body.map(|body| String::from_utf8_lossy(&body.to_bytes()).into_owned())
            })
        })
        .collect();
    for render in renders {
        let page = render
            .await
            .expect("no panic while rendering")
            .expect("a whole body");
        assert!(
            page.contains("</html>") && page.trim_end().ends_with("</script>"),
            "cut short: …{}",
            &page[page.len().saturating_sub(200)..]
        );
    }
}
