//! How long clients may take, and how many may be connected: the limits that keep slow or
//! numerous clients from holding the server. Headers must arrive within `header_timeout` (also
//! how long an idle kept-alive connection stays open; see [`super::connections`]); a request body
//! must keep arriving at `min_body_rate` after a grace of `body_timeout`, or the request is
//! answered 408 and its connection closed ([`pace_bodies`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::time::Instant;

use super::error::ApiError;

/// Limits on connections and on how fast requests must arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest a client may take to send a request's headers, and longest a kept-alive
    /// connection may wait for its next request.
    pub header_timeout: Duration,
    /// How long a request body may take before [`Limits::min_body_rate`] applies.
    pub body_timeout: Duration,
    /// Bytes per second a request body must average once [`Limits::body_timeout`] has passed.
    pub min_body_rate: u64,
    /// Connections served at once; more wait in the operating system's queue.
    pub max_connections: usize,
}

impl Default for Limits {
    /// Apache's mod_reqtimeout defaults (headers within 20–40 s, bodies at least 500 bytes/s
    /// after 20 s) and hyper's header timeout of 30 s, rounded to what explains well; 512
    /// connections stay well under the usual limit of 1024 open files.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            min_body_rate: 1024,
            max_connections: 512,
        }
    }
}

impl Limits {
    /// When a body that started at `start` and has delivered `received` bytes must have
    /// delivered more.
    fn body_deadline(&self, start: Instant, received: u64) -> Instant {
        let earned = Duration::from_secs_f64(received as f64 / self.min_body_rate.max(1) as f64);
        start + self.body_timeout + earned
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct BodyTooSlow;

/// Request bodies that fall behind the minimum rate end with an error, and the request is
/// answered 408 `body_timeout` with `Connection: close`, whatever its handler made of the error.
pub async fn pace_bodies(limits: Limits, request: Request, next: Next) -> Response {
    if !has_body(&request) {
        return next.run(request).await;
    }
    let too_slow = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| paced(body, limits, Arc::clone(&too_slow)));
    let response = next.run(request).await;
    if !too_slow.load(Ordering::Relaxed) {
        return response;
    }
    let mut refused = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!(
            "the request body arrived slower than {} bytes/s after {} s; start the server with \
             --body-timeout-secs or --min-body-rate-kb to allow slower uploads",
            limits.min_body_rate,
            limits.body_timeout.as_secs()
        ),
    )
    .into_response();
    refused
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    refused
}

fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

struct Pacing {
    chunks: axum::body::BodyDataStream,
    received: u64,
    ended: bool,
}

fn paced(body: Body, limits: Limits, too_slow: Arc<AtomicBool>) -> Body {
    let start = Instant::now();
    let pacing = Pacing {
        chunks: body.into_data_stream(),
        received: 0,
        ended: false,
    };
    Body::from_stream(futures_util::stream::unfold(pacing, move |mut pacing| {
        let too_slow = Arc::clone(&too_slow);
        async move {
            if pacing.ended {
                return None;
            }
            let deadline = limits.body_deadline(start, pacing.received);
            match tokio::time::timeout_at(deadline, pacing.chunks.next()).await {
                Ok(Some(Ok(chunk))) => {
                    pacing.received += chunk.len() as u64;
                    Some((Ok(chunk), pacing))
                }
                Ok(Some(Err(error))) => Some((Err(axum::BoxError::from(error)), pacing)),
                Ok(None) => None,
                Err(_) => {
                    too_slow.store(true, Ordering::Relaxed);
                    pacing.ended = true;
                    Some((Err(axum::BoxError::from(BodyTooSlow)), pacing))
                }
            }
        }
    }))
}
