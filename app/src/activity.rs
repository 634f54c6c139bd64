//! What the server is doing, as it happens: analyses being scored and analyses kept. Pages that
//! show kept results (the dashboard) follow it to update by themselves.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activity {
    /// An upload is being scored: `done` of `total` logins.
    Scoring {
        file_name: String,
        done: u64,
        total: u64,
    },
    /// An analysis was kept: a new upload, or a kept one scored again.
    Kept { id: String, file_name: String },
}

#[cfg(feature = "ssr")]
pub use feed::ActivityFeed;

/// Calls `on_activity` for each message of the server's activity stream while the page is open
/// (in the browser; the browser reconnects by itself if the connection drops).
pub fn follow_activity(on_activity: impl Fn(Activity) + Clone + 'static) {
    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    leptos::prelude::Effect::new(move |_| {
        let Ok(source) = web_sys::EventSource::new("/api/v1/activity") else {
            return;
        };
        let on_activity = on_activity.clone();
        let listener =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(activity) = event
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<Activity>(&text).ok())
                {
                    on_activity(activity);
                }
            });
        for kind in ["scoring", "kept"] {
            let _ =
                source.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
        }
        let held = SendWrapper::new((source, listener));
        leptos::prelude::on_cleanup(move || held.0.close());
    });
}

#[cfg(feature = "ssr")]
mod feed {
    use tokio::sync::{broadcast, watch};

    use super::Activity;

    /// Messages held for a listener that falls behind; it then skips to the newest.
    const BACKLOG: usize = 64;

    /// Fans the server's activity out to every open page that follows it.
    #[derive(Clone)]
    pub struct ActivityFeed {
        sender: broadcast::Sender<Activity>,
        /// Set when the server shuts down, so followers' streams end and do not hold it open.
        closing: watch::Sender<bool>,
    }

    impl Default for ActivityFeed {
        fn default() -> Self {
            Self {
                sender: broadcast::channel(BACKLOG).0,
                closing: watch::channel(false).0,
            }
        }
    }

    impl ActivityFeed {
        /// Tells whoever listens now; nobody listening is fine.
        pub fn send(&self, activity: Activity) {
            let _ = self.sender.send(activity);
        }

        pub fn subscribe(&self) -> broadcast::Receiver<Activity> {
            self.sender.subscribe()
        }

        /// Ends every follower's stream (the server is stopping).
        pub fn close(&self) {
            self.closing.send_replace(true);
        }

        /// Becomes `true` when the server stops.
        pub fn closing(&self) -> watch::Receiver<bool> {
            self.closing.subscribe()
        }
    }
}
