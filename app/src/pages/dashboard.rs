use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <EmptyState purpose="Once a file is analysed, this page shows logins and risk over time, a map of where users signed in from, and the riskiest users." />
    }
}
