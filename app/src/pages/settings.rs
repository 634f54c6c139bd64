//! Settings: how the server analyses (its `--config`), where alerts go, a test message, the
//! allow-list and hosted mode's API tokens. Settings are changed in the config file (secrets in
//! the environment); the allow-list and tokens are edited here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::components::{AllowListEditor, ApiTokensEditor};
use crate::server_fns::{send_test_notification, server_message, settings_overview};
use service::notify::TestOutcome;
use service::text::bytes;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <p class="lead">
            "How this server scores logins and where it sends alerts. They come from the config file given to "
            <code>"skytrace serve --config"</code>
            "; secrets stay in environment variables and are never shown."
        </p>
        {cfg!(feature = "csr").then(|| view! {
            <p class="muted" data-testid="needs-server">
                "This offline build has no server: it analyses in your browser with the default settings and sends no notifications."
            </p>
        })}
        {(!cfg!(feature = "csr")).then(|| view! { <ServerSettingsView /> <AllowListEditor /> <ApiTokensEditor /> })}
    }
}

/// The server's settings, read through a server function.
#[component]
fn ServerSettingsView() -> impl IntoView {
    let overview = Resource::new(|| (), |()| settings_overview());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
            {move || {
                overview.get().map(|loaded| match loaded {
                    Err(error) => view! {
                        <section class="result error" role="alert">
                            <h2>"Cannot read the settings"</h2>
                            <p>{server_message(error)}</p>
                        </section>
                    }
                        .into_any(),
                    Ok(overview) => view! {
                        <section class="result" data-testid="notifications">
                            <h2>"Notifications"</h2>
                            {match overview.notifications {
                                None => view! {
                                    <p data-testid="no-channels">
                                        "No notification channel is configured. Add a "
                                        <code>"[notifications]"</code>
                                        " section (SMTP, SendGrid or a webhook) to the config file to be alerted about incidents; the README shows how."
                                    </p>
                                }
                                    .into_any(),
                                Some(notifications) => view! {
                                    <dl class="facts">
                                        <dt>"Alert on"</dt>
                                        <dd>{format!(
                                            "incidents at {} or above{}",
                                            notifications.min_level,
                                            notifications.user_risk_threshold.map_or_else(String::new, |t| format!(", and users whose risk reaches {t:.2}")),
                                        )}</dd>
                                        <dt>"Limit"</dt>
                                        <dd>{format!("{} alerts per channel per hour; the rest in one digest", notifications.max_alerts_per_hour)}</dd>
                                        <dt>"Links to"</dt>
                                        <dd>{notifications.app_url.unwrap_or_else(|| "— (set app_url to link alerts to their incident)".to_owned())}</dd>
                                        <dt>"Channels"</dt>
                                        <dd>
                                            <ul data-testid="channels">
                                                {notifications.channels.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                                            </ul>
                                        </dd>
                                    </dl>
                                    <TestButton />
                                }
                                    .into_any(),
                            }}
                        </section>
                        <section class="result">
                            <h2>"Analysis"</h2>
                            <p class="muted">{format!("Uploads up to {}.", bytes(overview.max_upload_bytes))}</p>
                            <details>
                                <summary>{format!(
                                    "Detection settings ({}, {} changed from the default)",
                                    overview.parameters.len(),
                                    overview.parameters.iter().filter(|line| line.is_changed()).count()
                                )}</summary>
                                <p class="muted">
                                    "Each setting is a key of the config file (" <code>"rules.max_speed_kmh"</code>
                                    " is " <code>"max_speed_kmh"</code> " under " <code>"[rules]"</code>
                                    "); " <code>"skytrace config"</code> " prints them all. A setting left out keeps its default."
                                </p>
                                <div class="table-scroll" tabindex="0">
                                    <table class="data parameters" data-testid="parameters">
                                        <thead><tr><th scope="col">"Setting"</th><th scope="col">"Value"</th><th scope="col">"Default"</th><th scope="col">"What it does"</th></tr></thead>
                                        <tbody>
                                            {overview.parameters.into_iter().map(|line| {
                                                let changed = line.is_changed();
                                                view! {
                                                    <tr class:changed=changed>
                                                        <th scope="row"><code>{line.name}</code></th>
                                                        <td><code>{line.value}</code>{changed.then_some(" (changed)")}</td>
                                                        <td><code>{line.default}</code></td>
                                                        <td>{line.meaning}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            </details>
                        </section>
                    }
                        .into_any(),
                })
            }}
        </Suspense>
    }
}

/// Sends a test message on every channel and shows each outcome.
#[component]
fn TestButton() -> impl IntoView {
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<TestOutcome, String>>);
    let send = move |_| {
        busy.set(true);
        spawn_local(async move {
            outcome.set(Some(send_test_notification().await.map_err(server_message)));
            busy.set(false);
        });
    };
    view! {
        <div class="actions">
            <button type="button" class="button primary" data-testid="send-test" disabled=move || busy.get() on:click=send>
                "Send test notification"
            </button>
            <span class="busy" role="status" aria-live="polite">{move || busy.get().then_some("Sending…")}</span>
        </div>
        {move || outcome.get().map(|outcome| match outcome {
            Ok(outcome) => view! {
                <div class=if outcome.failures == 0 { "result ok" } else { "result error" } data-testid="test-outcome">
                    <ul>{outcome.lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                </div>
            }
                .into_any(),
            Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
        })}
    }
}
