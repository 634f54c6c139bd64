use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Find account takeovers in sign-in logs" />
        <section class="hero">
            <h1>"Find account takeovers in your sign-in logs"</h1>
            <p class="lead">
                "Sky Trace reads an export of sign-in logs and judges every login against that user's own history: "
                "new places and devices, impossible travel, brute force, password spraying and credential stuffing. "
                "Every login gets a risk score from 0 to 1 with the reasons behind it."
            </p>
            <A href="/upload" attr:class="button primary" attr:data-testid="start">
                "Next step: upload a log file"
            </A>
        </section>
        <section class="steps" aria-label="How it works">
            <ol>
                <li>
                    <h2>"Upload"</h2>
                    <p>"A CSV with timestamp, user_id, ip_address and user_agent columns (success optional). Every rejected row is listed with its line number and reason."</p>
                </li>
                <li>
                    <h2>"Detect"</h2>
                    <p>"Per-user baselines, an Isolation Forest, density clustering and rules for known attacks score each login."</p>
                </li>
                <li>
                    <h2>"Investigate"</h2>
                    <p>"A dashboard with a map, the riskiest users and their timelines."</p>
                </li>
                <li>
                    <h2>"Report"</h2>
                    <p>"Executive, technical and incident reports as PDF and CSV."</p>
                </li>
            </ol>
        </section>
        <section class="privacy">
            <h2>"Private by design"</h2>
            <p>
                "Logs are analysed on this server, or entirely in your browser with \"Check locally\". "
                "Sky Trace calls no online service: no IP address you analyse leaves the machine."
            </p>
        </section>
    }
}
