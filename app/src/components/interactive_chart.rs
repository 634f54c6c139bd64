//! Interactive charts: once the page is interactive, Apache ECharts (served from
//! [`ECHARTS_PATH`], installed from npm by `./dev`) draws a chart over the SVG the server
//! rendered, with tooltips, zoom and a legend that hides series. Until then, without JavaScript,
//! or if the script cannot load, the SVG stays: the chart is never missing.
//!
//! The options come from [`crate::chart_options`] in the theme's colours; the chart redraws when
//! the theme changes ([`THEME_CHANGE_EVENT`]) and resizes with the window.

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::browser::describe;
use crate::chart_options::{Palette, WORLD_MAP_NAME};

/// Where the server (and the offline build) serve `echarts.min.js`.
pub const ECHARTS_PATH: &str = "/vendor/echarts.min.js";
/// Where the server serves the world's countries as GeoJSON, for the map.
pub const WORLD_MAP_PATH: &str = "/map/world.json";
/// Dispatched on `window` when the reader switches the theme.
pub const THEME_CHANGE_EVENT: &str = "skytrace-theme";

#[wasm_bindgen]
extern "C" {
    /// An ECharts instance.
    type ECharts;

    #[wasm_bindgen(catch, js_namespace = echarts, js_name = init)]
    fn init_chart(element: &web_sys::HtmlElement) -> Result<ECharts, JsValue>;

    #[wasm_bindgen(catch, js_namespace = echarts, js_name = registerMap)]
    fn register_map(name: &str, geo_json: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(catch, method, js_name = setOption)]
    fn set_option(this: &ECharts, option: &JsValue, not_merge: bool) -> Result<(), JsValue>;

    #[wasm_bindgen(method)]
    fn resize(this: &ECharts);

    #[wasm_bindgen(method)]
    fn dispose(this: &ECharts);
}

thread_local! {
    /// Loads of the script and of the world map, started once per page and shared.
    static ECHARTS_LOADED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    static WORLD_REGISTERED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// An interactive version of the chart around it: place it first in the chart's `<figure>`,
/// before the SVG it replaces. `option` builds the ECharts option in a palette; `world_map`
/// registers the world's countries first.
#[component]
pub fn InteractiveChart(
    #[prop(into)] option: Callback<Palette, Value>,
    #[prop(optional)] world_map: bool,
    label: &'static str,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let Some(element) = host.get() else {
            return;
        };
        // Created here, in the browser only: the server renders on several threads, and a
        // thread-local value made while rendering would be dropped on another one.
        let chart = StoredValue::new_local(None::<ECharts>);
        let element: web_sys::HtmlElement = element.into();
        spawn_local(async move {
            if let Err(error) = draw(&element, option, world_map, chart).await {
                web_sys::console::warn_1(&format!("interactive chart not drawn: {error}").into());
            }
        });
        let resize = window_event_listener(leptos::ev::resize, move |_| {
            chart.with_value(|chart| chart.as_ref().map(ECharts::resize));
        });
        let recolour = window_event_listener_untyped(THEME_CHANGE_EVENT, move |_| {
            let Some(palette) = read_palette() else {
                return;
            };
            let option = to_js(&option.run(palette));
            chart.with_value(|chart| chart.as_ref().map(|chart| chart.set_option(&option, true)));
        });
        on_cleanup(move || {
            resize.remove();
            recolour.remove();
            chart.try_update_value(|chart| chart.take().map(|chart| chart.dispose()));
        });
    });
    view! { <div class="echart" node_ref=host hidden role="img" aria-label=label></div> }
}

async fn draw(
    element: &web_sys::HtmlElement,
    option: Callback<Palette, Value>,
    world_map: bool,
    chart: StoredValue<Option<ECharts>, LocalStorage>,
) -> Result<(), String> {
    JsFuture::from(shared(&ECHARTS_LOADED, load_echarts))
        .await
        .map_err(|_| format!("{ECHARTS_PATH} did not load"))?;
    if world_map {
        JsFuture::from(shared(&WORLD_REGISTERED, register_world))
            .await
            .map_err(|error| format!("the world map: {}", describe(error)))?;
    }
    if !element.is_connected() {
        return Ok(());
    }
    let palette = read_palette().ok_or("the stylesheet has not loaded")?;
    // Shown before ECharts measures it; the SVG is hidden by the figure's class.
    element.set_hidden(false);
    if let Some(figure) = element.parent_element() {
        let _ = figure.class_list().add_1("interactive");
    }
    let drawn = init_chart(element).map_err(describe)?;
    drawn
        .set_option(&to_js(&option.run(palette)), true)
        .map_err(describe)?;
    let _ = element.set_attribute("data-drawn", "true");
    // The chart's owner is gone if the page moved on while the script loaded.
    if let Some(Some(orphan)) = chart.try_set_value(Some(drawn)) {
        orphan.dispose();
    }
    Ok(())
}

/// The promise in `slot`, started by `start` the first time.
fn shared(
    slot: &'static std::thread::LocalKey<RefCell<Option<js_sys::Promise>>>,
    start: fn() -> js_sys::Promise,
) -> js_sys::Promise {
    slot.with(|slot| slot.borrow_mut().get_or_insert_with(start).clone())
}

fn load_echarts() -> js_sys::Promise {
    let loaded = web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &"echarts".into()).ok())
        .is_some_and(|echarts| echarts.is_object());
    if loaded {
        return js_sys::Promise::resolve(&JsValue::UNDEFINED);
    }
    js_sys::Promise::new(&mut |resolve, reject| {
        let added = (|| {
            let document = web_sys::window()?.document()?;
            let script: web_sys::HtmlScriptElement =
                document.create_element("script").ok()?.unchecked_into();
            script.set_src(ECHARTS_PATH);
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
            document.head()?.append_child(&script).ok()
        })();
        if added.is_none() {
            let _ = reject.call1(&JsValue::NULL, &"no document to load ECharts into".into());
        }
    })
}

fn register_world() -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async {
        let response = gloo_net::http::Request::get(WORLD_MAP_PATH)
            .send()
            .await
            .map_err(|error| JsValue::from(error.to_string()))?;
        if !response.ok() {
            return Err(format!("{WORLD_MAP_PATH}: HTTP {}", response.status()).into());
        }
        let text = response
            .text()
            .await
            .map_err(|error| JsValue::from(error.to_string()))?;
        register_map(WORLD_MAP_NAME, &js_sys::JSON::parse(&text)?)?;
        Ok(JsValue::UNDEFINED)
    })
}

/// The theme's colours from the page's CSS custom properties.
fn read_palette() -> Option<Palette> {
    let window = web_sys::window()?;
    let root = window.document()?.document_element()?;
    let style = window.get_computed_style(&root).ok()??;
    let values: Vec<String> = Palette::PROPERTIES
        .iter()
        .map(|property| style.get_property_value(property).unwrap_or_default())
        .collect();
    Palette::from_properties(&values)
}

fn to_js(option: &Value) -> JsValue {
    js_sys::JSON::parse(&option.to_string()).unwrap_or(JsValue::NULL)
}

/// Rendering to HTML needs the server's feature.
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// Regression: the chart's thread-local value was made while the server rendered, and the
    /// server dropped the page on another thread, which panicked and left /dashboard hanging.
    #[test]
    fn a_chart_rendered_on_the_server_can_be_dropped_on_another_thread() {
        let owner = Owner::new();
        let html = owner.with(|| {
            let option = Callback::new(|_: Palette| serde_json::json!({ "series": [] }));
            view! { <InteractiveChart option label="chart" /> }.to_html()
        });
        assert!(html.contains(r#"aria-label="chart""#), "{html}");
        let dropped = std::thread::spawn(move || {
            owner.cleanup();
            drop(owner);
        })
        .join();
        assert!(
            dropped.is_ok(),
            "dropping the page on another thread panicked"
        );
    }
}
