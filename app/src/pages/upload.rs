use engine::ingest::Format;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use web_sys::File;

use crate::browser::{fetch_sample, read_file, upload_form, upload_limit_bytes};
use crate::components::{Analysed, ProfileOutcome, ProfileView};
use crate::format::bytes;
use crate::reading::{AUTO, ingest_options};
use crate::server_fns::profile_upload;

/// The client-only build has no server to upload to.
const SERVER_AVAILABLE: bool = !cfg!(feature = "csr");

const EXAMPLE_CSV: &str = "timestamp,user_id,ip_address,user_agent,success
2026-03-02T08:15:03Z,alice@example.com,84.208.20.17,Mozilla/5.0 (Windows NT 10.0; Win64; x64) …,true";

#[component]
pub fn UploadPage() -> impl IntoView {
    let selected = RwSignal::new_local(None::<File>);
    let busy = RwSignal::new(None::<&'static str>);
    let outcome = RwSignal::new(None::<ProfileOutcome>);
    let format = RwSignal::new(AUTO.to_owned());
    let mapping = RwSignal::new(String::new());

    let choose = move |file: Option<File>| {
        outcome.set(None);
        selected.set(file);
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
                Err(message) => outcome.set(Some(ProfileOutcome {
                    file_name: "the sample".into(),
                    analysed: Analysed::InBrowser,
                    result: Err(message),
                })),
            }
            busy.set(None);
        });
    };
    let profile_on_server = move |_| {
        let Some(file) = selected.get_untracked() else {
            return;
        };
        let file_name = file.name();
        let size = file.size() as u64;
        if let Some(limit) = upload_limit_bytes().filter(|&limit| size > limit) {
            outcome.set(Some(ProfileOutcome {
                file_name,
                analysed: Analysed::OnServer,
                result: Err(format!(
                    "the file is {}; the server accepts uploads up to {}",
                    bytes(size),
                    bytes(limit)
                )),
            }));
            return;
        }
        busy.set(Some("Uploading and profiling on the server…"));
        spawn_local(async move {
            let form = upload_form(&file, &format.get_untracked(), &mapping.get_untracked());
            let result = match form {
                Ok(form) => profile_upload(form.into()).await.map_err(server_message),
                Err(message) => Err(message),
            };
            outcome.set(Some(ProfileOutcome {
                file_name,
                analysed: Analysed::OnServer,
                result,
            }));
            busy.set(None);
        });
    };
    let profile_locally = move |_| {
        let Some(file) = selected.get_untracked() else {
            return;
        };
        busy.set(Some("Profiling in your browser…"));
        spawn_local(async move {
            let options = ingest_options(
                &format.get_untracked(),
                &mapping.get_untracked(),
                Some(file.last_modified() as i64),
            );
            let result = match options {
                Ok(options) => read_file(&file).await.and_then(|content| {
                    engine::profile_bytes(&content, &options).map_err(|error| error.to_string())
                }),
                Err(message) => Err(message),
            };
            outcome.set(Some(ProfileOutcome {
                file_name: file.name(),
                analysed: Analysed::InBrowser,
                result,
            }));
            busy.set(None);
        });
    };
    let cannot_run = move || selected.with(Option::is_none) || busy.with(Option::is_some);

    view! {
        <Title text="Upload" />
        <h1>"Upload sign-in logs"</h1>
        <p class="lead">
            "Microsoft Entra ID sign-ins (portal CSV, Graph or Log Analytics JSON), Okta System Log, "
            "AWS CloudTrail, a Linux auth.log, the RBA dataset, or any CSV/TSV with a time, user and "
            "IP address column. The format is recognised by itself; gzip is fine."
        </p>
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
        <div class="actions">
            {SERVER_AVAILABLE
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button primary"
                            data-testid="profile-server"
                            disabled=cannot_run
                            on:click=profile_on_server
                        >
                            "Profile on the server"
                        </button>
                    }
                })}
            <button
                type="button"
                class="button"
                data-testid="profile-local"
                disabled=cannot_run
                on:click=profile_locally
            >
                "Check locally"
            </button>
            <span class="busy" role="status" aria-live="polite">{move || busy.get()}</span>
        </div>
        <p class="muted">
            {if SERVER_AVAILABLE {
                "\"Check locally\" runs the same engine, compiled to WebAssembly, in your browser: the file is not sent anywhere."
            } else {
                "This is the offline build: files are analysed in your browser and never leave it."
            }}
        </p>
        {move || outcome.get().map(|outcome| view! { <ProfileView outcome /> })}
        <details class="format-help">
            <summary>"File format"</summary>
            <p>
                "For CSV, one login per row, with columns found by name or alias, or named in the column "
                "mapping. Timestamps in ISO 8601 (with or without an offset; without one they are UTC), "
                <code>"YYYY-MM-DD HH:MM:SS"</code> ", or Unix epoch seconds or milliseconds. IPv4 and IPv6. "
                "Extra columns are kept. Records that cannot be read are listed with their line (or record) "
                "number and reason; events that are not sign-ins are counted as skipped."
            </p>
            <pre>{EXAMPLE_CSV}</pre>
        </details>
    }
}

/// The message a person should read, without the transport's wrapping.
fn server_message(error: ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message,
        other => other.to_string(),
    }
}
