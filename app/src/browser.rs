//! Small wrappers over browser APIs. They are only called from event handlers, which run in the
//! browser; on the server they are compiled but never reached.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::settings::UPLOAD_LIMIT_META;

/// Where the bundled sample lives, relative to the site root (the server and the CSR build both
/// serve `public/`).
pub const SAMPLE_URL: &str = "/sample/sample-logins.csv";
pub const SAMPLE_FILE_NAME: &str = "sample-logins.csv";
const THEME_KEY: &str = "skytrace-theme";

fn describe(error: JsValue) -> String {
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

/// Fetches the bundled sample and wraps it as a `File`, so it goes through the same path as a
/// file the user picked.
pub async fn fetch_sample() -> Result<web_sys::File, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(SAMPLE_URL))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(describe)?;
    if !response.ok() {
        return Err(format!(
            "the sample file is not available (HTTP {})",
            response.status()
        ));
    }
    let blob = JsFuture::from(response.blob().map_err(describe)?)
        .await
        .map_err(describe)?;
    let options = web_sys::FilePropertyBag::new();
    options.set_type("text/csv");
    web_sys::File::new_with_blob_sequence_and_options(
        &js_sys::Array::of1(&blob),
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

/// The server's upload limit, from the page it rendered; `None` in the client-only build.
pub fn upload_limit_bytes() -> Option<u64> {
    web_sys::window()?
        .document()?
        .query_selector(&format!("meta[name=\"{UPLOAD_LIMIT_META}\"]"))
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
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(THEME_KEY, next);
    }
}
