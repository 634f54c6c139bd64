use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <A href="/" attr:class="button">"Back to the start"</A>
        </section>
    }
}
