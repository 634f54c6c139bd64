//! Browser entry points.
//!
//! - `hydrate` (built by cargo-leptos): makes the server-rendered page interactive.
//! - `csr` (built by Trunk): mounts the whole app in an empty page, with no server at all.
//! - both: `analysis_worker_handle`, the web worker's side of in-browser analysis.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    // The analysis worker loads this module too, and has no page to mount on.
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(app::App);
    }
}

/// Entry point of the analysis web worker (see `app::local_analysis`), which loads this module.
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn analysis_worker_handle(
    message: wasm_bindgen::JsValue,
) -> Result<(), wasm_bindgen::JsValue> {
    console_error_panic_hook::set_once();
    app::local_analysis::worker::handle(message).await
}
