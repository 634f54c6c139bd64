use axum::http::{HeaderMap, HeaderValue};
use server::web::auth::request::*;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(*name, HeaderValue::from_static(value));
    }
    headers
}

#[test]
fn the_session_cookie_is_found_among_others() {
    let with = headers(&[("cookie", "theme=dark; skytrace_session=abc123; x=1")]);
    assert_eq!(session_secret(&with), Some("abc123"));
    assert_eq!(
        session_secret(&headers(&[("cookie", "skytrace_session=")])),
        None
    );
    assert_eq!(
        session_secret(&headers(&[("cookie", "other_session=abc")])),
        None
    );
}

#[test]
fn the_site_of_a_request_comes_from_fetch_metadata_then_origin() {
    assert!(from_this_site(&headers(&[(
        "sec-fetch-site",
        "same-origin"
    )])));
    assert!(!from_this_site(&headers(&[
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://a"),
        ("host", "a")
    ])));
    assert!(!from_this_site(&headers(&[(
        "sec-fetch-site",
        "same-site"
    )])));
    assert!(from_this_site(&headers(&[
        ("origin", "https://sky.example"),
        ("host", "sky.example")
    ])));
    assert!(!from_this_site(&headers(&[
        ("origin", "https://evil.example"),
        ("host", "sky.example")
    ])));
    assert!(
        !from_this_site(&headers(&[("host", "sky.example")])),
        "curl: no browser headers"
    );
    assert!(from_another_site(&headers(&[
        ("origin", "https://evil.example"),
        ("host", "sky.example")
    ])));
    assert!(!from_another_site(&headers(&[("host", "sky.example")])));
}
