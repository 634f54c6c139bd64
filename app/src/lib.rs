//! Sky Trace's user interface: Leptos pages and components, and the server functions they call
//! (their bodies run on the server and call the application layer, the `service` crate, whose
//! types the pages exchange with it).
//!
//! The same code renders on the server (`ssr`), hydrates in the browser (`hydrate`) and runs as a
//! client-only build without any server (`csr`, built by Trunk for offline use).

#[cfg(feature = "ssr")]
pub mod account;
pub mod activity;
pub mod browser;
pub mod chart_options;
pub mod components;
pub mod local_analysis;
pub mod pages;
pub mod server_fns;
pub mod settings;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use components::{Footer, NavBar};
use pages::{
    DashboardPage, DetectPage, HomePage, LoginPage, NotFound, ReportsPage, SettingsPage, UploadPage,
};
pub use settings::ServerSettings;

/// Runs before the page paints, so a saved theme never flashes the other one.
pub const THEME_BOOT_SCRIPT: &str = "(function(){try{var t=localStorage.getItem('skytrace-theme');\
if(t!=='dark'&&t!=='light'){t=window.matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light';}\
document.documentElement.setAttribute('data-theme',t);}catch(e){}})();";

/// The HTML document the server renders around the app.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions, settings: ServerSettings) -> impl IntoView {
    use leptos_meta::MetaTags;
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name=settings::UPLOAD_LIMIT_META content=settings.max_upload_bytes.to_string() />
                <meta name=settings::BROWSER_LIMIT_META content=settings.max_browser_bytes.to_string() />
                // The nonce lets it run under the server's Content-Security-Policy.
                <script nonce=leptos::nonce::use_nonce() inner_html=THEME_BOOT_SCRIPT></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <link rel="icon" href="/favicon.ico" />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // One chosen log for every page: upload → profile → analyse with one pick of the file.
    components::provide_chosen_log();
    // Effects run only in the browser: the attribute tells tests (and people debugging) that the
    // page is interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| format!("{page} · Sky Trace") />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <NavBar />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("upload") view=UploadPage />
                    <Route path=path!("detect") view=DetectPage />
                    <Route path=path!("dashboard") view=DashboardPage />
                    <Route path=path!("reports") view=ReportsPage />
                    <Route path=path!("settings") view=SettingsPage />
                    <Route path=path!("login") view=LoginPage />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}
