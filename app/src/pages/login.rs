use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::server_fns::whoami;

/// Hosted mode's sign-in form. A plain HTML form posted to `/login`, so it works before (and
/// without) the WebAssembly; the server answers with the session cookie and a redirect back.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || {
        query.read().get("status").map(|code| match code.as_str() {
            "failed" => "Wrong account name or password.",
            "limited" => {
                "Too many failed sign-ins for this account or address: wait 15 minutes and try again."
            }
            "cross_site" => "The sign-in came from another site and was refused.",
            "signed_out" => "You are signed out.",
            _ => "Sign in to continue.",
        })
    };
    let next = move || query.read().get("next").unwrap_or_default();
    // Without --auth every request is the local user: there is nothing to sign in to.
    let account = Resource::new_blocking(|| (), |_| whoami());
    let local_mode = move || {
        account
            .get()
            .and_then(Result::ok)
            .is_some_and(|account| !account.signed_in)
    };
    let form = move || {
        view! {
            {move || problem().map(|message| {
                view! { <p class="error" role="alert" data-testid="login-problem">{message}</p> }
            })}
            <form method="post" action="/login" class="login-form" data-testid="login-form">
                <label>
                    "Account"
                    <input name="name" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <input type="hidden" name="next" value=next />
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
            <p class="muted">
                "Accounts are made on the server with "<code>"skytrace user add"</code>"."
            </p>
        }
    };
    view! {
        <Title text="Sign in" />
        <section class="login">
            <h1>"Sign in"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    if local_mode() {
                        view! {
                            <p data-testid="local-mode">
                                "This server runs without sign-in: it serves only this machine, and you may do everything. "
                                "Start it with "<code>"--auth"</code>" for accounts."
                            </p>
                            <A href="/" attr:class="button">"Back to the start"</A>
                        }
                            .into_any()
                    } else {
                        form().into_any()
                    }
                }}
            </Suspense>
        </section>
    }
}
