//! Small wrappers over browser APIs. They are only called from event handlers, which run in the
//! browser; on the server they are compiled but never reached.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::settings::{BROWSER_LIMIT_META, UPLOAD_LIMIT_META};

/// Where the bundled sample lives, relative to the site root (the server and the CSR build both
/// serve `public/`).
pub const SAMPLE_URL: &str = "/sample/sample-logins.csv";
pub const SAMPLE_FILE_NAME: &str = "sample-logins.csv";
const THEME_KEY: &str = "skytrace-theme";

/// A browser error as a sentence.
pub fn describe(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|error| String::from(error.message()))
        })
        .unwrap_or_else(|| "unknown browser error".to_owned())
}

/// The whole file, as bytes.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(describe)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The body of `url` on this site (in a page or in the analysis worker), or why not.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.binary().await.map_err(|error| error.to_string())
}

/// Fetches the bundled sample and wraps it as a `File`, so it goes through the same path as a
/// file the user picked.
pub async fn fetch_sample() -> Result<web_sys::File, String> {
    let bytes = fetch_bytes(SAMPLE_URL)
        .await
        .map_err(|error| format!("the sample file is not available ({error})"))?;
    let options = web_sys::FilePropertyBag::new();
    options.set_type("text/csv");
    web_sys::File::new_with_u8_array_sequence_and_options(
        &js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice())),
        SAMPLE_FILE_NAME,
        &options,
    )
    .map_err(describe)
}

/// Multipart form with the file under the field name `file`, as the upload server function reads it.
/// The upload: its text fields first (how to read it, what to run), then the file, so the server
/// knows the options before the bytes arrive.
pub fn upload_form(
    file: &web_sys::File,
    fields: &[(&str, &str)],
) -> Result<web_sys::FormData, String> {
    let form = web_sys::FormData::new().map_err(describe)?;
    for (name, value) in fields {
        form.append_with_str(name, value).map_err(describe)?;
    }
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(describe)?;
    Ok(form)
}

/// Posts `form` to `url` with XMLHttpRequest, which, unlike `fetch` (and so gloo-net), reports how
/// much of the request is sent: `on_progress(sent, total)`. Answers the response's status and text.
pub async fn post_with_progress(
    url: &str,
    form: &web_sys::FormData,
    on_progress: impl Fn(u64, u64) + 'static,
) -> Result<(u16, String), String> {
    use wasm_bindgen::closure::Closure;

    let request = web_sys::XmlHttpRequest::new().map_err(describe)?;
    request.open("POST", url).map_err(describe)?;
    request
        .set_request_header("Accept", "application/json")
        .map_err(describe)?;
    let progress = Closure::<dyn FnMut(_)>::new(move |event: web_sys::ProgressEvent| {
        if event.length_computable() {
            on_progress(event.loaded() as u64, event.total() as u64);
        }
    });
    request
        .upload()
        .map_err(describe)?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let mut listeners = Vec::new();
    let finished = js_sys::Promise::new(&mut |resolve, reject| {
        let done = Closure::<dyn FnMut()>::new(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let failed = Closure::<dyn FnMut()>::new(move || {
            let _ = reject.call1(
                &JsValue::NULL,
                &JsValue::from_str("the connection to the server failed"),
            );
        });
        request.set_onload(Some(done.as_ref().unchecked_ref()));
        request.set_onerror(Some(failed.as_ref().unchecked_ref()));
        request.set_onabort(Some(failed.as_ref().unchecked_ref()));
        listeners.push(done);
        listeners.push(failed);
    });
    request
        .send_with_opt_form_data(Some(form))
        .map_err(describe)?;
    JsFuture::from(finished).await.map_err(describe)?;
    // The listeners must outlive the request; they go now that it is over.
    drop((progress, listeners));
    let status = request.status().map_err(describe)?;
    let text = request
        .response_text()
        .map_err(describe)?
        .unwrap_or_default();
    Ok((status, text))
}

/// The server's upload limit, from the page it rendered; `None` in the client-only build.
pub fn upload_limit_bytes() -> Option<u64> {
    meta_number(UPLOAD_LIMIT_META)
}

/// The largest file the server lets the browser analyse itself; `None` in the client-only build.
pub fn browser_limit_bytes() -> Option<u64> {
    meta_number(BROWSER_LIMIT_META)
}

fn meta_number(name: &str) -> Option<u64> {
    web_sys::window()?
        .document()?
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??
        .get_attribute("content")?
        .parse()
        .ok()
}

/// Flips between the dark and light theme and remembers the choice.
pub fn toggle_theme() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(root) = window
        .document()
        .and_then(|document| document.document_element())
    else {
        return;
    };
    let next = if root.get_attribute("data-theme").as_deref() == Some("dark") {
        "light"
    } else {
        "dark"
    };
    let _ = root.set_attribute("data-theme", next);
    if let Ok(changed) = web_sys::Event::new(crate::components::THEME_CHANGE_EVENT) {
        let _ = window.dispatch_event(&changed);
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(THEME_KEY, next);
    }
}

/// The first `bytes` bytes of a file (all of it when it is smaller), without reading the rest.
pub async fn read_head(file: &web_sys::File, bytes: usize) -> Result<Vec<u8>, String> {
    let head = file
        .slice_with_f64_and_f64(0.0, bytes as f64)
        .map_err(describe)?;
    let buffer = JsFuture::from(head.array_buffer())
        .await
        .map_err(describe)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Saves `content` as a file called `file_name`, made in the page: nothing is sent anywhere.
pub fn download_text(file_name: &str, mime_type: &str, content: &str) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(
        &js_sys::Array::of1(&JsValue::from_str(content)),
        &options,
    )
    .map_err(describe)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(describe)?;
    let link = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("no browser document")?
        .create_element("a")
        .map_err(describe)?
        .dyn_into::<web_sys::HtmlElement>()
        .map_err(|_| "cannot make a download link".to_owned())?;
    link.set_attribute("href", &url).map_err(describe)?;
    link.set_attribute("download", file_name)
        .map_err(describe)?;
    link.click();
    // Some browsers read the object URL only after the click has returned.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}
