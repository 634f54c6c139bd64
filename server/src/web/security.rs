//! Headers a browser enforces on every response, locally and in hosted mode alike: a Content
//! Security Policy, `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and a
//! `Referrer-Policy`.
//!
//! Pages get a policy that runs only the site's own scripts and the inline scripts carrying this
//! response's nonce (the theme script, and Leptos' hydration and streaming scripts, which take
//! the nonce from the render's context: see [`provide_page_nonce`]). Everything else (API
//! answers, files) gets OWASP's policy for APIs, which allows nothing.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// Whether `cargo leptos watch` runs the server: its pages reload through a websocket.
static WATCHED: LazyLock<bool> = LazyLock::new(|| std::env::var_os("LEPTOS_WATCH").is_some());

/// The policy of everything that is not a page: load nothing, be framed nowhere.
const NOT_A_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of a page whose inline scripts carry `nonce`.
///
/// - `default-src 'none'`: whatever is not listed below is refused.
/// - `script-src 'self' 'nonce-…' 'wasm-unsafe-eval'`: the bundle's module and the chart script
///   come from this server; inline scripts run only with the nonce (no `'unsafe-inline'`, no
///   `'unsafe-eval'`: neither the app nor ECharts evaluates strings); WebAssembly may be compiled.
/// - `worker-src 'self' blob:`: the in-browser analysis runs in a worker made from a Blob URL
///   (it inherits this policy, so it too may only import this server's module).
/// - `connect-src 'self'`: server functions, the REST API, the activity stream, the country
///   database and the map data; in `cargo leptos watch` also its reload socket.
/// - `style-src 'self'` with `style-src-attr 'unsafe-inline'`: the stylesheet is a file; `style`
///   attributes (a meter's width, ECharts' tooltips) cannot run script, `<style>` elements stay
///   refused.
/// - `img-src 'self' data:`: the icon, and images ECharts draws as data URLs.
/// - `font-src 'self'`, `manifest-src 'self'`: only this server's.
/// - `form-action 'self'`, `base-uri 'none'`, `object-src 'none'`: forms post here only, no
///   `<base>` may redirect relative addresses, no plugins.
/// - `frame-ancestors 'none'`: no other page may frame this one (clickjacking).
fn page_policy(nonce: &str) -> String {
    let reload_socket = if *WATCHED { " ws: wss:" } else { "" };
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         worker-src 'self' blob:; connect-src 'self'{reload_socket}; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         manifest-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; \
         frame-ancestors 'none'"
    )
}

/// Gives the request a nonce for its page's inline scripts, and sets the headers on its answer.
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let policy = if is_html(response.headers()) {
        page_policy(&nonce)
    } else {
        NOT_A_PAGE_POLICY.to_owned()
    };
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::try_from(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // For browsers older than frame-ancestors.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not `no-referrer`: that makes browsers send `Origin: null` on the sign-in form's POST, and
    // the cross-site check of browsers without Sec-Fetch-Site reads Origin.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
}

/// In the render's context: the nonce [`security_headers`] gave the request, so the scripts
/// Leptos writes carry the one the policy names.
pub fn provide_page_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}
