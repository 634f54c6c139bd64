use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

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
    view! {
        <Title text="Sign in" />
        <section class="login">
            <h1>"Sign in"</h1>
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
                <input type="hidden" name="next" prop:value=next />
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
            <p class="muted">
                "Accounts are made on the server with "<code>"skytrace user add"</code>"."
            </p>
        </section>
    }
}
