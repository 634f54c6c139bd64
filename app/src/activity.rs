//! Following the server's activity stream (`/api/v1/activity`) in the browser.

use service::activity::Activity;

/// Calls `on_activity` for each message of the server's activity stream while the page is open
/// (in the browser; the browser reconnects by itself if the connection drops). Leaving the page
/// drops the stream, which closes it.
pub fn follow_activity(on_activity: impl Fn(Activity) + Clone + 'static) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use send_wrapper::SendWrapper;

    leptos::prelude::Effect::new(move |_| {
        let Ok(mut source) = EventSource::new("/api/v1/activity") else {
            return;
        };
        let subscriptions: Vec<_> = ["scoring", "kept", "monitored"]
            .into_iter()
            .filter_map(|kind| source.subscribe(kind).ok())
            .collect();
        let on_activity = on_activity.clone();
        leptos::task::spawn_local(async move {
            let mut messages = futures::stream::select_all(subscriptions);
            // Closing the source (leaving the page) ends every subscription with an error.
            while let Some(Ok((_, message))) = messages.next().await {
                if let Some(activity) = message
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<Activity>(&text).ok())
                {
                    on_activity(activity);
                }
            }
        });
        let held = SendWrapper::new(source);
        leptos::prelude::on_cleanup(move || drop(held));
    });
}
