use leptos::prelude::*;

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="footer">
            <p>
                "Sky Trace " {env!("CARGO_PKG_VERSION")}
                " · Logs are analysed on this server or in your browser; nothing is sent anywhere else."
            </p>
        </footer>
    }
}
