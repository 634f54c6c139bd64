use leptos::prelude::*;
use leptos_router::components::A;

use crate::browser::toggle_theme;

/// The pages in workflow order, as the navigation bar lists them.
pub const PAGES: [(&str, &str); 5] = [
    ("/upload", "Upload"),
    ("/detect", "Detection"),
    ("/dashboard", "Dashboard"),
    ("/reports", "Reports"),
    ("/settings", "Settings"),
];

#[component]
pub fn NavBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <nav class="nav" aria-label="Main">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Sky Trace"
                </A>
                <ul class="nav-links">
                    {PAGES
                        .iter()
                        .map(|(href, label)| view! { <li><A href=*href>{*label}</A></li> })
                        .collect_view()}
                </ul>
                <button
                    type="button"
                    class="theme-toggle"
                    data-testid="theme-toggle"
                    aria-label="Switch between dark and light theme"
                    title="Switch theme"
                    on:click=|_| toggle_theme()
                >
                    "◐"
                </button>
            </nav>
        </header>
    }
}
