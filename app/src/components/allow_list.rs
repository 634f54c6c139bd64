//! The allow-list: sources the organisation vouches for (office VPN, a user's travel), listed,
//! added and removed. Entries suppress location findings from the next upload or re-score.

use engine::time::format_utc;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::server_fns::{add_allow_entry, allow_list_entries, remove_allow_entry, server_message};
use service::triage::{AllowListEntry, AllowListInput};

const KINDS: [(&str, &str); 4] = [
    ("cidr", "Address or CIDR block"),
    ("asn", "Autonomous system (AS number)"),
    ("country", "Country (two letters)"),
    ("user_country", "One user in a country"),
];

#[component]
pub fn AllowListEditor() -> impl IntoView {
    let entries = RwSignal::new(None::<Result<Vec<AllowListEntry>, String>>);
    let reload = move || {
        spawn_local(async move {
            entries.set(Some(allow_list_entries().await.map_err(server_message)));
        });
    };
    Effect::new(move |_| reload());
    let kind = RwSignal::new("cidr".to_owned());
    let value = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let failed = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let input = AllowListInput {
            kind: kind.get_untracked(),
            value: value.get_untracked(),
            user: Some(user.get_untracked()).filter(|user| !user.trim().is_empty()),
            reason: reason.get_untracked(),
            expires_ms: None,
            ..AllowListInput::default()
        };
        spawn_local(async move {
            match add_allow_entry(input, expires.get_untracked()).await {
                Ok(_) => {
                    failed.set(None);
                    value.set(String::new());
                    reason.set(String::new());
                    reload();
                }
                Err(error) => failed.set(Some(server_message(error))),
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match remove_allow_entry(id).await {
                Ok(()) => reload(),
                Err(error) => failed.set(Some(server_message(error))),
            }
        });
    };
    view! {
        <section class="result" data-testid="allow-list">
            <h2>"Allow-list"</h2>
            <p class="muted">
                "Sources you vouch for. Logins they cover are scored as if their network were familiar; their location, network and travel findings stay listed as suppressed, with the reason below. Attacks from them are still reported. Applies from the next upload or re-score."
            </p>
            {move || match entries.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p data-testid="allow-list-empty">"No entries yet."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="data" data-testid="allow-list-entries">
                        <thead><tr>
                            <th scope="col">"Covers"</th><th scope="col">"Reason"</th><th scope="col">"Applies until (UTC)"</th>
                            <th scope="col">"Added"</th><th scope="col">"Remove"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|entry| {
                                let covers = match &entry.user {
                                    Some(user) => format!("{user} in {}", entry.value),
                                    None => format!("{} {}", kind_name(&entry.kind), entry.value),
                                };
                                // Shown as the last second it applies (an entry to 2099-12-31 ends at midnight after).
                                let expires = entry.expires_ms.map_or_else(|| "never".to_owned(), |ms| format_utc(ms - 1000));
                                let added = format!("{} by {}", format_utc(entry.created_ms), entry.actor);
                                let id = entry.id.clone();
                                let label = format!("Remove {covers}");
                                view! {
                                    <tr>
                                        <td>{covers}</td><td>{entry.reason}</td><td>{expires}</td><td>{added}</td>
                                        <td><button type="button" class="button" aria-label=label data-testid="remove-entry"
                                            on:click=move |_| remove(id.clone())>"Remove"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <form class="allow-form" on:submit=add data-testid="allow-form">
                <label>"Kind "
                    <select data-testid="allow-kind" on:change=move |event| kind.set(event_target_value(&event))>
                        {KINDS.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Value "
                    <input data-testid="allow-value" required placeholder="198.51.100.0/24, AS13335, BR"
                        prop:value=value on:input=move |event| value.set(event_target_value(&event)) />
                </label>
                <label>"User "
                    <input data-testid="allow-user" placeholder="only for one user in a country"
                        prop:value=user on:input=move |event| user.set(event_target_value(&event)) />
                </label>
                <label>"Reason "
                    <input data-testid="allow-reason" required placeholder="office VPN"
                        prop:value=reason on:input=move |event| reason.set(event_target_value(&event)) />
                </label>
                <label>"Expires "
                    <input type="date" data-testid="allow-expires"
                        prop:value=expires on:input=move |event| expires.set(event_target_value(&event)) />
                </label>
                <button type="submit" class="button primary" data-testid="allow-add">"Add"</button>
            </form>
            {move || failed.get().map(|message| view! { <p class="error" role="alert" data-testid="allow-error">{message}</p> })}
        </section>
    }
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "cidr" => "addresses",
        "asn" => "network",
        "country" => "country",
        _ => "",
    }
}
