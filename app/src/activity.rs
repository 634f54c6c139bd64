//! Following the server's activity stream (`/api/v1/activity`) in the browser.

use service::activity::Activity;

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
