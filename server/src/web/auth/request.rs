//! What a request says about where it comes from: its session cookie, its site, its address.
//! Read by the sign-in routes and the middleware alike.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};

use super::SESSION_COOKIE;

/// The session cookie's value, if the request has one.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
}

/// Whether a browser says the request comes from one of this site's own pages: `Sec-Fetch-Site`
/// where the browser sends it (all current ones do), else `Origin` against `Host`. A request with
/// neither header is not from a browser page and must show the CSRF token instead.
pub fn from_this_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// Whether a browser says the request comes from another site (a sign-in form elsewhere).
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let has = |name| headers.contains_key(name);
    (has("sec-fetch-site") || has("origin")) && !from_this_site(headers)
}

/// The client's address, when the server was started with connection info.
pub fn client_address(request_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}
