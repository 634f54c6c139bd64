//! Hosted mode's API tokens (admins): listed with their scope and last use, made (the secret
//! shown once) and revoked. Log shippers get `ingest` tokens, which only send events.

use engine::time::format_utc;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::server_fns::{
    CreatedToken, TokenOverview, api_tokens, create_api_token, revoke_api_token, server_message,
};
use service::account::TokenScope;

#[component]
pub fn ApiTokensEditor() -> impl IntoView {
    let overview = RwSignal::new(None::<Result<TokenOverview, String>>);
    let reload = move || {
        spawn_local(async move {
            overview.set(Some(api_tokens().await.map_err(server_message)));
        });
    };
    Effect::new(move |_| reload());
    let label = RwSignal::new(String::new());
    let scope = RwSignal::new(TokenScope::Ingest.as_str().to_owned());
    let created = RwSignal::new(None::<CreatedToken>);
    let failed = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        spawn_local(async move {
            match create_api_token(label.get_untracked(), scope.get_untracked()).await {
                Ok(token) => {
                    failed.set(None);
                    label.set(String::new());
                    created.set(Some(token));
                    reload();
                }
                Err(error) => failed.set(Some(server_message(error))),
            }
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(()) => reload(),
                Err(error) => failed.set(Some(server_message(error))),
            }
        });
    };
    view! {
        <section class="result" data-testid="api-tokens">
            <h2>"API tokens"</h2>
            <p class="muted">
                "Tokens for automation, sent as " <code>"Authorization: Bearer …"</code>
                ". An " <strong>"ingest"</strong> " token only sends events (" <code>"POST /api/v1/events"</code>
                ", the HEC collector as " <code>"Authorization: Splunk …"</code>
                "): give those to log shippers. An " <strong>"api"</strong>
                " token reads and acts through the REST API as its account. Only a digest of each is kept."
            </p>
            {move || match overview.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(overview)) if !overview.hosted => view! {
                    <p data-testid="tokens-local">
                        "This server runs without sign-in: it takes requests from this machine without a token. Tokens belong to hosted mode ("
                        <code>"skytrace serve --auth"</code> ")."
                    </p>
                }.into_any(),
                Some(Ok(overview)) => view! {
                    {overview.tokens.is_empty().then(|| view! { <p data-testid="tokens-empty">"No tokens yet."</p> })}
                    {(!overview.tokens.is_empty()).then(|| view! {
                        <table class="data" data-testid="token-list">
                            <thead><tr>
                                <th scope="col">"Token"</th><th scope="col">"Scope"</th><th scope="col">"Acts as"</th>
                                <th scope="col">"What for"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th>
                                <th scope="col">"Revoke"</th>
                            </tr></thead>
                            <tbody>
                                {overview.tokens.into_iter().map(|token| {
                                    let id = token.id.clone();
                                    let aria = format!("Revoke {} ({})", token.label, token.id);
                                    view! {
                                        <tr data-testid="token-row">
                                            <td><code>{token.id}</code></td>
                                            <td data-testid="token-scope">{token.scope.as_str()}</td>
                                            <td>{token.account}</td>
                                            <td>{token.label}</td>
                                            <td>{format_utc(token.created_ms)}</td>
                                            <td>{token.last_used_ms.map_or_else(|| "never".to_owned(), format_utc)}</td>
                                            <td><button type="button" class="button" aria-label=aria data-testid="revoke-token"
                                                on:click=move |_| revoke(id.clone())>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <form class="allow-form" on:submit=create data-testid="token-form">
                        <label>"What for "
                            <input data-testid="token-label" required placeholder="Fluent Bit on web-1"
                                prop:value=label on:input=move |event| label.set(event_target_value(&event)) />
                        </label>
                        <label>"Scope "
                            <select data-testid="token-scope-choice" on:change=move |event| scope.set(event_target_value(&event))>
                                <option value="ingest" selected>"ingest — only sends events"</option>
                                <option value="api">"api — the REST API as you"</option>
                            </select>
                        </label>
                        <button type="submit" class="button primary" data-testid="token-create">"Make token"</button>
                    </form>
                }.into_any(),
            }}
            {move || created.get().map(|token| view! {
                <div class="result ok" role="status" data-testid="token-created">
                    <p>{format!("Token {} ({}) made. Copy it now: it is not shown again.", token.id, token.scope)}</p>
                    <p><code data-testid="token-secret">{token.secret}</code></p>
                </div>
            })}
            {move || failed.get().map(|message| view! { <p class="error" role="alert" data-testid="token-error">{message}</p> })}
        </section>
    }
}
