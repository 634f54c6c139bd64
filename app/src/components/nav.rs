use leptos::prelude::*;
use leptos_router::components::A;

use crate::browser::toggle_theme;
use crate::server_fns::whoami;

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
                {(!cfg!(feature = "csr")).then(|| view! { <AccountMenu /> })}
            </nav>
        </header>
    }
}

/// In hosted mode, who is signed in and a way out; nothing in local mode.
#[component]
fn AccountMenu() -> impl IntoView {
    // Blocking: the account is known at once on the server, and the bar is sent complete
    // rather than patched in by a later stream chunk.
    let account = Resource::new_blocking(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                account.get().and_then(Result::ok).filter(|account| account.signed_in).map(|account| {
                    view! {
                        <div class="account" data-testid="account">
                            <span title=format!("Signed in as {} ({})", account.name, account.role)>
                                {account.name.clone()}
                                <span class="muted">{format!(" · {}", account.role)}</span>
                            </span>
                            <form method="post" action="/logout">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </form>
                        </div>
                    }
                })
            }}
        </Suspense>
    }
}
