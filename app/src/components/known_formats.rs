use engine::ingest::Format;
use leptos::prelude::*;

/// Every format the reader knows, what it is and where to export it from: the engine's own list,
/// so this page, the "formats Sky Trace reads" errors and the README say the same.
#[component]
pub fn KnownFormats() -> impl IntoView {
    view! {
        <details class="format-help" data-testid="known-formats">
            <summary>"Formats Sky Trace reads"</summary>
            <p>
                "Each is recognised by itself, plain or gzipped; the format menu above names one "
                "when it is not."
            </p>
            <dl class="format-list">
                {Format::ALL
                    .into_iter()
                    .map(|format| {
                        view! {
                            <div data-testid="known-format">
                                <dt>{format.label()} " " <code>{format.name()}</code></dt>
                                <dd>{format.description()}</dd>
                                <dd class="where">"Where to get it: " {format.where_to_get()}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
        </details>
    }
}
