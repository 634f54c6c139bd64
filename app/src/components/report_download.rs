//! A report download that says what is happening. PDFs are typeset on the server and a long
//! incident report takes a while: once the page is interactive, the link fetches the file
//! itself and shows "Generating PDF… 12 s" until the file is ready, then saves it. Before the
//! WebAssembly loads (or without JavaScript) it is a plain download link.

use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the file is being made.
#[derive(Clone, Debug, PartialEq)]
enum State {
    Idle,
    Working { seconds: u64 },
    Done { bytes: usize, seconds: f64 },
    Failed(String),
}

/// A download link for `href` labelled `label`, with the progress of a slow answer beside it.
#[component]
pub fn ReportDownload(
    href: String,
    label: String,
    /// `download-pdf`, `download-csv`, …
    testid: String,
    /// What the file holds, said while it is being made ("the 100 most severe of 1,749 incidents").
    #[prop(optional, into)]
    note: Option<String>,
) -> impl IntoView {
    let state = RwSignal::new(State::Idle);
    let link = href.clone();
    let start = move |event: leptos::ev::MouseEvent| {
        // Modified clicks (a new tab, "save as") keep the browser's own behaviour.
        if event.ctrl_key() || event.meta_key() || event.shift_key() || event.button() != 0 {
            return;
        }
        if matches!(state.get_untracked(), State::Working { .. }) {
            event.prevent_default();
            return;
        }
        event.prevent_default();
        let link = link.clone();
        state.set(State::Working { seconds: 0 });
        let started = js_sys::Date::now();
        let ticker = set_interval_with_handle(
            move || {
                let seconds = ((js_sys::Date::now() - started) / 1000.0).floor() as u64;
                if matches!(state.get_untracked(), State::Working { .. }) {
                    state.set(State::Working { seconds });
                }
            },
            std::time::Duration::from_millis(500),
        )
        .ok();
        spawn_local(async move {
            let outcome = fetch_and_save(&link).await;
            if let Some(ticker) = ticker {
                ticker.clear();
            }
            let seconds = (js_sys::Date::now() - started) / 1000.0;
            state.set(match outcome {
                Ok(bytes) => State::Done { bytes, seconds },
                Err(message) => State::Failed(message),
            });
        });
    };
    let status_testid = format!("{testid}-status");
    let kind = label_format(&label);
    let status = move || match state.get() {
        State::Idle => None,
        State::Working { seconds } => Some(
            view! {
                <span class="busy" data-testid=status_testid.clone()>
                    <span class="spinner" aria-hidden="true"></span>
                    {format!("Generating {kind}… {seconds} s")}
                    {note.clone().map(|note| format!(" ({note})"))}
                </span>
            }
            .into_any(),
        ),
        State::Done { bytes, seconds } => Some(
            view! {
                <span class="muted" data-testid=status_testid.clone()>
                    {format!(
                        "Ready: {} in {seconds:.1} s, saved to your downloads.",
                        service::text::bytes(bytes as u64)
                    )}
                </span>
            }
            .into_any(),
        ),
        State::Failed(message) => Some(
            view! {
                <span class="error" role="alert" data-testid=status_testid.clone()>
                    {format!("The file could not be made: {message}")}
                </span>
            }
            .into_any(),
        ),
    };
    view! {
        <span class="download">
            <a
                class="button"
                href=href
                download
                data-testid=testid
                aria-busy=move || matches!(state.get(), State::Working { .. }).then_some("true")
                on:click=start
            >
                {label}
            </a>
            <span role="status" aria-live="polite">{status}</span>
        </span>
    }
}

/// "PDF" from "Download PDF".
fn label_format(label: &str) -> String {
    label
        .rsplit(' ')
        .next()
        .unwrap_or(label)
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

/// Fetches `url` and saves it under the name the server gives (Content-Disposition); the size.
async fn fetch_and_save(url: &str) -> Result<usize, String> {
    use wasm_bindgen::{JsCast, JsValue};

    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    if !response.ok() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|body| {
                body.get("message")
                    .or_else(|| body.get("detail"))
                    .and_then(|message| message.as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| format!("the server answered {status}"));
        return Err(message);
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|value| {
            value.split("filename=").nth(1).map(|name| {
                name.trim_matches(|c| c == '"' || c == ';' || c == ' ')
                    .to_owned()
            })
        })
        .unwrap_or_else(|| "skytrace-report".to_owned());
    let kind = response
        .headers()
        .get("content-type")
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let bytes = response.binary().await.map_err(|error| error.to_string())?;
    let size = bytes.len();
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&kind);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(
        &js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice())),
        &options,
    )
    .map_err(crate::browser::describe)?;
    let object_url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(crate::browser::describe)?;
    let link = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("no browser document")?
        .create_element("a")
        .map_err(crate::browser::describe)?
        .dyn_into::<web_sys::HtmlElement>()
        .map_err(|_| JsValue::from_str("cannot make a download link"))
        .map_err(crate::browser::describe)?;
    link.set_attribute("href", &object_url)
        .map_err(crate::browser::describe)?;
    link.set_attribute("download", &name)
        .map_err(crate::browser::describe)?;
    link.click();
    // Some browsers read the object URL only after the click has returned.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&object_url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(size)
}
