use super::*;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const LIMIT_BYTES: u64 = 64 * 1024;

fn test_app() -> Router {
    app(
        Path::new("target/site-does-not-exist"),
        "127.0.0.1:0".parse().unwrap(),
        ServerSettings {
            max_upload_bytes: LIMIT_BYTES,
        },
    )
}

async fn send(request: Request<Body>) -> (StatusCode, String) {
    let response = test_app().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn get_page(path: &str) -> (StatusCode, String) {
    send(Request::get(path).body(Body::empty()).unwrap()).await
}

fn multipart_upload(content: &[u8]) -> Request<Body> {
    let boundary = "skytrace-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logins.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/api/profile")
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
async fn health_check() {
    assert_eq!(
        get_page("/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
}

#[tokio::test]
async fn every_page_renders_on_the_server() {
    for (path, text) in [
        ("/", "Find account takeovers in your sign-in logs"),
        ("/upload", "Upload sign-in logs"),
        ("/detect", "No analysis yet — upload a file"),
        ("/dashboard", "No analysis yet — upload a file"),
        ("/reports", "No analysis yet — upload a file"),
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
