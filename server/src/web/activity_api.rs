//! `GET /api/v1/activity`: what the server is doing, as server-sent events, each a JSON
//! [`Activity`] (`scoring` progress, `kept` analyses, `monitored` logins). The dashboard follows
//! it to update itself.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use service::DetectionService;
use service::activity::{Activity, ActivityFeed};
use tokio::sync::broadcast::error::RecvError;

use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/activity",
        get(
            |State(service): State<Arc<DetectionService>>| async move { follow(&service.activity) },
        ),
    )
}

fn follow(feed: &ActivityFeed) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let state = (feed.subscribe(), feed.closing());
    let events = futures_util::stream::unfold(state, |(mut activity, mut closing)| async move {
        loop {
            if *closing.borrow() {
                return None;
            }
            let received = tokio::select! {
                received = activity.recv() => received,
                _ = closing.changed() => return None,
            };
            match received {
                Ok(told) => {
                    let activity_now = told.activity;
                    let event = Event::default()
                        .event(kind(&activity_now))
                        .data(serde_json::to_string(&activity_now).unwrap_or_default());
                    return Some((Ok(event), (activity, closing)));
                }
                // A follower that fell behind skips to the newest; the page refetches anyway.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

fn kind(activity: &Activity) -> &'static str {
    match activity {
        Activity::Scoring { .. } => "scoring",
        Activity::Kept { .. } => "kept",
        Activity::Monitored { .. } => "monitored",
    }
}
