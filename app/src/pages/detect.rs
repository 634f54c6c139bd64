use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn DetectPage() -> impl IntoView {
    view! {
        <Title text="Detection" />
        <h1>"Detection"</h1>
        <EmptyState purpose="Once a file is analysed, this page lists every risky login with its score, level and the reasons behind it." />
    }
}
