use leptos::{prelude::*, task::spawn_local};
use send_wrapper::SendWrapper;
use web_sys::File;

use crate::browser::fetch_sample;
use service::text::bytes;

/// The chosen file. A `File` exists only in the browser; the signal itself is thread-safe (and
/// always empty on the server), because a thread-bound value in a page's server-side state would
/// be dropped on another thread when the streamed page finishes, and panic there.
pub type SelectedFile = RwSignal<Option<SendWrapper<File>>>;

/// The file chosen so far, if any.
pub fn chosen(selected: SelectedFile) -> Option<File> {
    selected.with_untracked(|file| file.as_deref().cloned())
}

/// Choose a log: a file picker, drag and drop, or the bundled sample.
#[component]
pub fn FilePicker(
    selected: SelectedFile,
    busy: RwSignal<Option<&'static str>>,
    /// Called when another file is chosen (to clear earlier results).
    #[prop(into)]
    on_choose: Callback<()>,
    /// Called when the sample cannot be loaded.
    #[prop(into)]
    on_error: Callback<String>,
) -> impl IntoView {
    let choose = move |file: Option<File>| {
        on_choose.run(());
        selected.set(file.map(SendWrapper::new));
    };
    let on_pick = move |event: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&event);
        choose(input.files().and_then(|files| files.get(0)));
    };
    let on_drop = move |event: leptos::ev::DragEvent| {
        event.prevent_default();
        let dropped = event
            .data_transfer()
            .and_then(|transfer| transfer.files())
            .and_then(|files| files.get(0));
        if dropped.is_some() {
            choose(dropped);
        }
    };
    let use_sample = move |_| {
        busy.set(Some("Loading the sample…"));
        spawn_local(async move {
            match fetch_sample().await {
                Ok(file) => choose(Some(file)),
                Err(message) => on_error.run(message),
            }
            busy.set(None);
        });
    };
    view! {
        <div class="dropzone" on:dragover=|event| event.prevent_default() on:drop=on_drop>
            <label for="log-file">"Choose a log file or drop it here"</label>
            <input
                id="log-file"
                type="file"
                name="file"
                accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.log,.gz,text/csv,application/json"
                data-testid="file-input"
                on:change=on_pick
            />
            <p class="muted">
                "No file at hand? "
                <button type="button" class="link-button" data-testid="use-sample" on:click=use_sample>
                    "Use sample data"
                </button>
            </p>
            <p class="selected" data-testid="selected-file">
                {move || {
                    selected
                        .with(|file| {
                            file.as_ref()
                                .map(|file| {
                                    format!("Selected: {} ({})", file.name(), bytes(file.size() as u64))
                                })
                        })
                        .unwrap_or_else(|| "No file selected.".to_owned())
                }}
            </p>
        </div>
    }
}
