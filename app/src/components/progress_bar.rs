use leptos::prelude::*;

use service::text::{bytes, count};

/// What a [`ProgressBar`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Bytes,
    Logins,
}

/// Work under way: done of total, or nothing when idle.
pub type Progress = RwSignal<Option<(u64, u64, Measure)>>;

/// A progress bar with the figures in words beside it (screen readers get the label).
#[component]
pub fn ProgressBar(progress: Progress, label: &'static str) -> impl IntoView {
    move || {
        progress.get().map(|(done, total, measure)| {
            let words = match measure {
                Measure::Bytes => format!("{} of {} sent", bytes(done), bytes(total)),
                Measure::Logins => format!("{} of {} logins scored", count(done), count(total)),
            };
            view! {
                <span class="progress" data-testid="progress">
                    <progress max=total as f64 value=done as f64 aria-label=label></progress>
                    <span class="muted" data-testid="progress-words">{words}</span>
                </span>
            }
        })
    }
}
