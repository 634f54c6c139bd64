use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! {
        <Title text="Reports" />
        <h1>"Reports"</h1>
        <EmptyState purpose="Once a file is analysed, this page offers executive, technical and incident reports to preview and download." />
    }
}
