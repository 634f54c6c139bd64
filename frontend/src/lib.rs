//! Browser entry points.
//!
//! - `hydrate` (built by cargo-leptos): makes the server-rendered page interactive.
//! - `csr` (built by Trunk): mounts the whole app in an empty page, with no server at all.

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
    leptos::mount::mount_to_body(app::App);
}
