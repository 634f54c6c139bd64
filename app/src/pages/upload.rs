use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::browser::{read_file, upload_form, upload_limit_bytes};
use crate::components::{
    Analysed, KnownFormats, LogReading, Measure, ProfileOutcome, ProfileView, Progress,
    ProgressBar, ReadSummary, chosen, use_chosen_log,
};
use crate::server_fns::{ProfileUpload, upload_with_progress};
use service::reading::ingest_options;
use service::text::bytes;

/// The client-only build has no server to upload to.
const SERVER_AVAILABLE: bool = !cfg!(feature = "csr");

const EXAMPLE_CSV: &str = "timestamp,user_id,ip_address,user_agent,success
2026-03-02T08:15:03Z,alice@example.com,84.208.20.17,Mozilla/5.0 (Windows NT 10.0; Win64; x64) …,true";

#[component]
pub fn UploadPage() -> impl IntoView {
    // The file, its format and mapping are the app's: the Detection page analyses the same one.
    let log = use_chosen_log();
    let (selected, format, mapping) = (log.file, log.format, log.mapping);
    let busy = RwSignal::new(None::<&'static str>);
    let progress = Progress::new(None);
    let outcome = RwSignal::new(None::<ProfileOutcome>);
    // Once the file is read, what it was read as is what the pages' folded summaries say.
    Effect::new(move |_| {
        if let Some(ProfileOutcome {
            file_name,
            result: Ok(profile),
            ..
        }) = outcome.get()
        {
            log.read.set(Some(ReadSummary::of(&file_name, &profile)));
        }
    });
    let accepted = Signal::derive(move || {
        outcome.with(|outcome| {
            outcome
                .as_ref()
                .is_some_and(|outcome| outcome.result.is_ok())
        })
    });

    let reset = move |()| {
        outcome.set(None);
        log.read.set(None);
    };
    let sample_failed = move |message: String| {
        outcome.set(Some(ProfileOutcome {
            file_name: "the sample".into(),
            analysed: Analysed::InBrowser,
            result: Err(message),
        }))
    };
    let profile_on_server = move |_| {
        let Some(file) = chosen(selected) else {
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
        busy.set(Some("Uploading to the server…"));
        spawn_local(async move {
            let (format, mapping) = (format.get_untracked(), mapping.get_untracked());
            let form = upload_form(&file, &[("format", &format), ("map", &mapping)]);
            let on_progress = move |sent, total| {
                progress.set(Some((sent, total, Measure::Bytes)));
                if sent == total {
                    busy.set(Some("Profiling on the server…"));
                }
            };
            let result = match form {
                Ok(form) => upload_with_progress::<ProfileUpload>(&form, on_progress).await,
                Err(message) => Err(message),
            };
            progress.set(None);
            outcome.set(Some(ProfileOutcome {
                file_name,
                analysed: Analysed::OnServer,
                result,
            }));
            busy.set(None);
        });
    };
    let profile_locally = move |_| {
        let Some(file) = chosen(selected) else {
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
                    engine::profile_log(content.as_slice(), &options)
                        .map_err(|error| error.to_string())
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
            "Sign-in logs as identity providers, clouds and SIEMs export them (the formats are "
            "listed below), or any CSV/TSV with a time, user and IP address column. The format is "
            "recognised by itself; gzip is fine."
        </p>
        // One boxed view: the page's static type would otherwise be too deep for the compiler.
        <LogReading chosen=log busy on_choose=reset on_error=sample_failed folded=accepted />
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
            <ProgressBar progress label="Upload progress" />
        </div>
        <p class="muted">
            {if SERVER_AVAILABLE {
                "\"Check locally\" runs the same engine, compiled to WebAssembly, in your browser: the file is not sent anywhere."
            } else {
                "This is the offline build: files are analysed in your browser and never leave it."
            }}
        </p>
        {move || {
            outcome.get().map(|outcome| {
                let next = outcome.result.is_ok().then(|| {
                    view! {
                        <div class="next-step" data-testid="next-step">
                            <p>
                                "Next: score every login of this file and list the risky ones. "
                                "The Detection page analyses the same file — no need to choose it again."
                            </p>
                            <A href="/detect" attr:class="button primary" attr:data-testid="analyse-this">
                                "Analyse this log"
                            </A>
                        </div>
                    }
                });
                view! {
                    {next}
                    <ProfileView outcome />
                }
            })
        }}
        <KnownFormats />
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
