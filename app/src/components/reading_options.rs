use engine::ingest::Format;
use leptos::prelude::*;

use service::reading::AUTO;

/// How to read a log: the format (or recognise it) and a column mapping for CSV.
#[component]
pub fn ReadingOptions(format: RwSignal<String>, mapping: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="reading-options">
            <label>
                "Format "
                <select
                    data-testid="format-select"
                    prop:value=move || format.get()
                    on:change=move |event| format.set(event_target_value(&event))
                >
                    <option value=AUTO>"Recognise automatically"</option>
                    {Format::ALL
                        .into_iter()
                        .map(|format| {
                            view! { <option value=format.name()>{format.description()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Column mapping (CSV) "
                <input
                    type="text"
                    data-testid="mapping-input"
                    placeholder="user_id=User Principal Name, timestamp=When"
                    prop:value=move || mapping.get()
                    on:input=move |event| mapping.set(event_target_value(&event))
                />
            </label>
        </div>
    }
}
