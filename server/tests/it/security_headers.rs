//! The headers browsers enforce, on every answer, in local and hosted mode alike: pages get a
//! Content-Security-Policy naming the nonce their inline scripts carry; everything else a policy
//! that allows nothing. (Playwright checks the app still runs under it in Chromium.)

use crate::web::*;

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn fetch(router: &Router, path: &str) -> Page {
    let response = router.clone().oneshot(get(path)).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

/// Asserts the headers every answer has, and returns the policy.
fn assert_common(page: &Page) -> String {
    assert_eq!(header(page, "x-content-type-options"), "nosniff");
    assert_eq!(header(page, "x-frame-options"), "DENY");
    assert_eq!(header(page, "referrer-policy"), "same-origin");
    let policy = header(page, "content-security-policy").to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    policy
}

/// Asserts a page's policy and that every inline script carries its nonce; returns the nonce.
fn assert_page_policy(page: &Page) -> String {
    let policy = assert_common(page);
    let script_src = policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src "))
        .unwrap();
    let nonce = script_src
        .split_once("'nonce-")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(nonce, _)| nonce.to_owned())
        .unwrap_or_else(|| panic!("no nonce in {policy}"));
    assert_eq!(
        script_src,
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")
    );
    assert!(!policy.contains("'unsafe-eval'"), "{policy}");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let inline_scripts: Vec<&str> = page
        .body
        .split("<script")
        .skip(1)
        .map(|rest| rest.split_once('>').map_or(rest, |(tag, _)| tag))
        .filter(|tag| !tag.contains("src="))
        .collect();
    assert!(!inline_scripts.is_empty());
    for tag in inline_scripts {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "an inline script without the nonce: <script{tag}>"
        );
    }
    nonce
}

fn assert_not_a_page_policy(page: &Page) {
    assert_eq!(
        assert_common(page),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn local_mode_pages_carry_a_fresh_nonce_and_everything_else_allows_nothing() {
    let router = test_app().await;
    for path in ["/", "/detect", "/dashboard", "/no-such-page"] {
        let page = fetch(&router, path).await;
        assert!(page.body.contains("<!DOCTYPE html>"), "{path}");
        let nonce = assert_page_policy(&page);
        let again = assert_page_policy(&fetch(&router, path).await);
        assert_ne!(nonce, again, "{path}: a nonce is used once");
    }
    for path in [
        "/api/v1/analyses",
        "/api/v1/nothing",
        "/healthz",
        "/api/v1/openapi.json",
    ] {
        assert_not_a_page_policy(&fetch(&router, path).await);
    }
}

#[tokio::test]
async fn hosted_mode_has_the_same_headers_signed_in_or_not() {
    let (router, _accounts, _token) = crate::web_auth::hosted_app().await;
    let login = fetch(&router, "/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_page_policy(&login);
    let redirected = fetch(&router, "/detect").await;
    assert_eq!(redirected.status, StatusCode::SEE_OTHER);
    assert_not_a_page_policy(&redirected);
    let refused = fetch(&router, "/api/v1/analyses").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    assert_not_a_page_policy(&refused);
}
