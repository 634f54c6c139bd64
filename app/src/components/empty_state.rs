use leptos::prelude::*;
use leptos_router::components::A;

/// What a page shows before any file has been analysed.
#[component]
pub fn EmptyState(
    /// What the page will show once there is an analysis.
    #[prop(into)]
    purpose: String,
) -> impl IntoView {
    view! {
        <section class="empty-state" data-testid="empty-state">
            <h2>"No analysis yet — upload a file"</h2>
            <p>{purpose}</p>
            <A href="/upload" attr:class="button primary">"Go to upload"</A>
        </section>
    }
}
