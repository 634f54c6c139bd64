//! The side panel of one login (a full-screen sheet on a phone): the evidence laid out — this
//! sign-in beside the user's usual places, networks, devices and hours, the previous sign-in,
//! each detector's part in the score in words and numbers, the reasons said once, the account's
//! verdict — and, for a kept run, the analyst's verdict with a note, saved and re-scored at once,
//! with its history.

use engine::VerdictKind;
use leptos::{prelude::*, task::spawn_local};

use super::LevelBadge;
use super::triage_grid::{GridRun, short_utc};
use crate::local_analysis;
use crate::server_fns::{load_login, record_verdict, rescore_run, server_message};
use service::dashboard::DashboardQuery;
use service::detection::DetectionSummary;
use service::review::{
    FamilyPart, LoginDetails, Seen, Usual, account_label, gap_in_words, travel_in_words,
    verdict_label,
};
use service::text::{count, counted};
use service::triage::TriageState;

/// What became of the latest verdict saved from the panel, by login: kept by the page, so it
/// outlives the panel (the results are drawn again after a re-score).
#[derive(Clone, Copy)]
pub struct PanelStatus(pub RwSignal<Option<(String, Result<String, String>)>>);

async fn load(run: &GridRun, login_id: &str) -> Result<LoginDetails, String> {
    if run.local {
        local_analysis::client::login(run.id.clone(), login_id.to_owned()).await
    } else {
        load_login(run.id.clone(), login_id.to_owned())
            .await
            .map_err(server_message)
    }
}

/// "850 ms", "12.8 s".
pub fn took(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", ms.round().max(0.0))
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

fn verdict_hint(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::ConfirmedCompromised => {
            "someone else signed in: the login becomes Critical and is never learnt as the user's"
        }
        VerdictKind::ConfirmedSafe => {
            "the user themselves: the login scores 0 and teaches the baseline"
        }
        VerdictKind::AttackAttempt => {
            "an attack that did not get in: it stays High and its address is remembered as hostile"
        }
        VerdictKind::Dismissed => "looked at, nothing to do: changes no score",
    }
}

#[component]
pub fn LoginPanel(
    run: GridRun,
    login_id: String,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_rescored: Callback<DetectionSummary>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let details = RwSignal::new(None::<Result<LoginDetails, String>>);
    let status = use_context::<PanelStatus>()
        .map(|status| status.0)
        .unwrap_or_else(|| RwSignal::new(None));
    let run = StoredValue::new(run);
    let login = StoredValue::new(login_id);
    Effect::new(move |_| {
        refresh.track();
        spawn_local(async move {
            let result = load(&run.get_value(), &login.get_value()).await;
            details.try_set(Some(result));
        });
    });
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let on_key = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" {
            on_close.run(());
        }
    };
    view! {
        <aside
            class="login-panel"
            role="dialog"
            aria-modal="false"
            aria-labelledby="login-panel-title"
            data-testid="login-panel"
            on:keydown=on_key
        >
            <header class="panel-header">
                <h2 id="login-panel-title" tabindex="-1" node_ref=heading>
                    {move || match details.get() {
                        Some(Ok(found)) => format!("{}'s sign-in", found.event.user_id),
                        _ => "Sign-in".to_owned(),
                    }}
                </h2>
                <button type="button" class="button panel-close" data-testid="panel-close"
                    aria-label="Close the evidence" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </header>
            {move || match details.get() {
                None => view! { <p class="muted" data-testid="panel-loading">"Loading the evidence…"</p> }.into_any(),
                Some(Err(message)) => view! {
                    <p class="error" role="alert" data-testid="panel-error">{message}</p>
                }
                    .into_any(),
                Some(Ok(found)) => view! {
                    <PanelBody details=found run=run.get_value() status on_rescored details_signal=details />
                }
                    .into_any(),
            }}
        </aside>
    }
}

#[component]
fn PanelBody(
    details: LoginDetails,
    run: GridRun,
    status: RwSignal<Option<(String, Result<String, String>)>>,
    on_rescored: Callback<DetectionSummary>,
    details_signal: RwSignal<Option<Result<LoginDetails, String>>>,
) -> impl IntoView {
    let event = details.event.clone();
    let place = event.place().unwrap_or_else(|| "Unknown place".to_owned());
    let user = event.user_id.to_string();
    let dashboard = (!run.local).then(|| {
        DashboardQuery {
            run: run.id.clone(),
            focus: user.clone(),
            ..DashboardQuery::default()
        }
        .href()
    });
    let reasons = details
        .reasons
        .iter()
        .map(|reason| {
            let floor = (reason.floor > 0.0 && reason.suppressed.is_none())
                .then(|| format!(" — sets the score to at least {:.2}", reason.floor));
            let suppressed = reason
                .suppressed
                .as_ref()
                .map(|why| format!(" — does not count: suppressed by {why}"));
            view! {
                <li class:suppressed=reason.suppressed.is_some()>
                    <span class="chip" class:attack=reason.detection.is_attack()>{reason.detection.label()}</span>
                    " "{reason.text.clone()}{floor}{suppressed}
                </li>
            }
        })
        .collect_view();
    let previous = match &details.previous {
        Some(previous) => {
            let when = format!(
                "{} UTC ({})",
                short_utc(previous.timestamp_ms),
                gap_in_words(previous.timestamp_ms, event.timestamp_ms)
            );
            let from = format!(
                "{} · {} · {}",
                previous
                    .place
                    .clone()
                    .unwrap_or_else(|| "Unknown place".to_owned()),
                previous.ip,
                previous.network
            );
            view! {
                <dl class="facts">
                    <div><dt>"When"</dt><dd>{when}</dd></div>
                    <div><dt>"From"</dt><dd>{from}</dd></div>
                    <div><dt>"Device"</dt><dd>{previous.device.clone()}</dd></div>
                    <div><dt>"Outcome"</dt><dd>{previous.outcome.label()}" · "<LevelBadge level=previous.risk_level /></dd></div>
                </dl>
            }
            .into_any()
        }
        None => {
            view! { <p class="muted">"No earlier sign-in of this user is kept."</p> }.into_any()
        }
    };
    let travel = travel_in_words(&event).map(|travel| {
        view! {
            <p data-testid="panel-travel">
                {format!("Travel from the previous located sign-in: {travel}.")}
            </p>
        }
    });
    let account = details.account.clone().map(|account| {
        view! {
            <section class="panel-section" data-testid="panel-account">
                <h3>"The account"</h3>
                <p>
                    <span class=format!("account account-{}", account.status.as_str())>{account_label(account.status)}</span>
                    {format!(" (evidence {:.2}, {}) — {}", account.score, account.level.as_str(), account.summary)}
                </p>
            </section>
        }
    });
    let verdicts = if run.local {
        view! {
            <section class="panel-section" data-testid="panel-verdict">
                <h3>"Verdict"</h3>
                <p class="muted">
                    "Verdicts are kept on the server. This analysis ran only in your browser and nothing about it is kept: run it on the server to record verdicts."
                </p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <VerdictForm details=details.clone() run=run.clone() status on_rescored details_signal />
        }
        .into_any()
    };
    // Each part boxed: the panel's static type would otherwise be too deep for the compiler.
    let summary = view! {
        <p class="panel-summary" data-testid="panel-summary">
            <span class="score">{format!("{:.2}", event.risk_score)}</span>" "
            <LevelBadge level=event.risk_level />" "
            <span class=format!("outcome outcome-{}", details.outcome.as_str())>{details.outcome.label()}</span>
            {format!(" · {} UTC", short_utc(event.timestamp_ms))}
        </p>
    }
    .into_any();
    let this = view! {
        <section class="panel-section" data-testid="panel-this">
            <h3>"This sign-in"</h3>
            <dl class="facts">
                <div><dt>"Address"</dt><dd>{event.ip.to_string()}</dd></div>
                <div><dt>"Place"</dt><dd>{place}</dd></div>
                <div><dt>"Network"</dt><dd>{details.network.clone()}</dd></div>
                <div><dt>"Device"</dt><dd>{event.device.to_string()}</dd></div>
                <div><dt>"Login id"</dt><dd><code data-testid="panel-login-id">{details.login_id.clone()}</code></dd></div>
            </dl>
            {dashboard.map(|href| view! { <p><a href=href>{format!("All of {user}'s sign-ins on the dashboard")}</a></p> })}
        </section>
    }
    .into_any();
    let why = view! {
        <section class="panel-section" data-testid="panel-reasons">
            <h3>"Why"</h3>
            {if details.reasons.is_empty() {
                view! { <p class="muted">"No finding: nothing about this sign-in stands out."</p> }.into_any()
            } else {
                view! { <ul class="reasons-list">{reasons}</ul> }.into_any()
            }}
        </section>
    }
    .into_any();
    let hour = event.timestamp_ms.div_euclid(3_600_000).rem_euclid(24) as usize;
    let usual =
        view! { <UsualView usual=details.usual.clone() user=event.user_id.to_string() hour /> }
            .into_any();
    let before = view! {
        <section class="panel-section" data-testid="panel-previous">
            <h3>"The sign-in before"</h3>
            {previous}
            {travel}
        </section>
    }
    .into_any();
    let detectors = view! {
        <section class="panel-section" data-testid="panel-detectors">
            <h3>"How the score was made"</h3>
            <FamilyTable families=details.families.clone() />
            <p data-testid="panel-combination">{details.combination.clone()}</p>
        </section>
    }
    .into_any();
    view! {
        <div class="panel-body">
            {summary}
            {this}
            {why}
            {usual}
            {before}
            {detectors}
            {account}
            {verdicts}
        </div>
    }
}

/// This sign-in beside the user's usual places, networks, devices and hours.
#[component]
fn UsualView(usual: Usual, user: String, hour: usize) -> impl IntoView {
    let total = usual.logins;
    let caption = if total == 0 {
        format!(
            "No earlier ordinary sign-in of {user} is kept in this source: nothing to compare with, so everything about this one is new."
        )
    } else {
        format!(
            "From {} of {user} (successful or of unknown outcome, scored below Medium) since {} UTC: what the engine learns a baseline from.",
            counted(total, "earlier ordinary sign-in"),
            usual.first_ms.map(short_utc).unwrap_or_default()
        )
    };
    let seen = |same: u64| {
        if same == 0 {
            "new for this user".to_owned()
        } else {
            format!("{} of {}", count(same), count(total))
        }
    };
    let row = |label: &'static str, entries: Vec<Seen>, same: u64| {
        let this = entries
            .iter()
            .find(|entry| entry.this)
            .map(|entry| entry.label.clone())
            .unwrap_or_default();
        let usual_entries = entries
            .into_iter()
            .filter(|entry| entry.logins > 0)
            .map(|entry| {
                view! {
                    <li class:this=entry.this>{format!("{} — {}", entry.label, count(entry.logins))}</li>
                }
            })
            .collect_view();
        view! {
            <tr>
                <th scope="row">{label}</th>
                <td>
                    <strong>{this}</strong>
                    <span class="seen" class:new=same == 0>{seen(same)}</span>
                </td>
                <td><ul class="usual-list">{usual_entries}</ul></td>
            </tr>
        }
        .into_any()
    };
    let hour_text = format!("{hour:02}:00–{:02}:00", (hour + 1) % 24);
    view! {
        <section class="panel-section" data-testid="panel-usual">
            <h3>"Beside the user's usual"</h3>
            <p class="muted">{caption}</p>
            {(total > 0).then(|| view! {
                <table class="data usual">
                    <thead>
                        <tr><th scope="col"></th><th scope="col">"This sign-in"</th><th scope="col">"Usual (sign-ins)"</th></tr>
                    </thead>
                    <tbody>
                        {row("Place", usual.places.clone(), usual.same_place)}
                        {row("Network", usual.networks.clone(), usual.same_network)}
                        {row("Device", usual.devices.clone(), usual.same_device)}
                        <tr>
                            <th scope="row">"Hour (UTC)"</th>
                            <td>
                                <strong>{hour_text}</strong>
                                <span class="seen" class:new=usual.same_hour == 0>{seen(usual.same_hour)}</span>
                            </td>
                            <td><HourStrip hours=usual.hours hour /></td>
                        </tr>
                    </tbody>
                </table>
            }
            .into_any())}
        </section>
    }
}

/// The user's sign-ins per hour of the day, this sign-in's hour marked.
#[component]
fn HourStrip(hours: [u64; 24], hour: usize) -> impl IntoView {
    const HEIGHT: f64 = 28.0;
    let tallest = hours.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bars = hours
        .iter()
        .enumerate()
        .map(|(index, &logins)| {
            let height = (logins as f64 / tallest * HEIGHT).max(if logins > 0 { 2.0 } else { 0.0 });
            view! {
                <rect class=if index == hour { "hour this" } else { "hour" }
                    x=index as f64 * 10.0 + 1.0 y=HEIGHT - height width="8" height=height>
                    <title>{format!("{index:02}:00 UTC: {}", counted(logins, "sign-in"))}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <svg class="hour-strip" viewBox=format!("0 0 240 {}", HEIGHT + 10.0) role="img"
            aria-label="Earlier sign-ins per hour of the day, UTC; this sign-in's hour is marked">
            <rect class="hour-marker" x=hour as f64 * 10.0 y=HEIGHT + 2.0 width="10" height="4" />
            {bars}
        </svg>
    }
}

/// Each detector family's part: weight, its own score, its part of the log-odds, in words.
#[component]
fn FamilyTable(families: Vec<FamilyPart>) -> impl IntoView {
    view! {
        <table class="data families">
            <thead>
                <tr>
                    <th scope="col">"Detector"</th>
                    <th scope="col">"Weight"</th>
                    <th scope="col">"Its score"</th>
                    <th scope="col">"Log-odds"</th>
                    <th scope="col">"What it saw"</th>
                </tr>
            </thead>
            <tbody>
                {families
                    .into_iter()
                    .map(|family| {
                        let weight = match family.weight {
                            Some(_) if !family.enabled => "off".to_owned(),
                            Some(weight) => format!("{:.0}%", weight * 100.0),
                            None => "floor".to_owned(),
                        };
                        let score = family.score.map_or_else(|| "—".to_owned(), |score| format!("{score:.2}"));
                        let log_odds = family
                            .log_odds
                            .map_or_else(|| "—".to_owned(), |part| format!("{part:+.2}"));
                        view! {
                            <tr data-testid="family">
                                <th scope="row">{family.name.clone()}</th>
                                <td>{weight}</td>
                                <td>{score}</td>
                                <td>{log_odds}</td>
                                <td>{family.words.clone()}</td>
                            </tr>
                        }
                        .into_any()
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// The analyst's verdict with a note: saved at once, then the run is re-scored and the panel
/// says what changed; the login's verdicts so far below it.
#[component]
fn VerdictForm(
    details: LoginDetails,
    run: GridRun,
    status: RwSignal<Option<(String, Result<String, String>)>>,
    on_rescored: Callback<DetectionSummary>,
    details_signal: RwSignal<Option<Result<LoginDetails, String>>>,
) -> impl IntoView {
    let choice = RwSignal::new(None::<VerdictKind>);
    let note = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let history = RwSignal::new(details.triage.clone().unwrap_or_default());
    let login_id = details.login_id.clone();
    let before = (details.event.risk_score, details.event.risk_level);
    let save = {
        let login_id = login_id.clone();
        let run = run.clone();
        move |_| {
            let Some(kind) = choice.get_untracked() else {
                return;
            };
            let (login_id, run) = (login_id.clone(), run.clone());
            let comment = note.get_untracked();
            saving.set(true);
            status.set(Some((login_id.clone(), Ok("Saving…".to_owned()))));
            spawn_local(async move {
                let say =
                    |message: Result<String, String>| status.set(Some((login_id.clone(), message)));
                match record_verdict(
                    login_id.clone(),
                    kind.as_str().to_owned(),
                    comment,
                    run.source.clone(),
                )
                .await
                {
                    Err(error) => {
                        say(Err(server_message(error)));
                        saving.try_set(false);
                        return;
                    }
                    Ok(state) => {
                        history.try_set(state);
                        note.try_set(String::new());
                        say(Ok(format!(
                            "Saved ({}) — re-scoring the run…",
                            verdict_label(kind)
                        )));
                    }
                }
                let started = js_sys::Date::now();
                let rerun = match rescore_run(run.id.clone()).await {
                    Ok(rerun) => rerun,
                    Err(error) => {
                        say(Err(format!(
                            "Saved, but re-scoring failed: {}. Use “Re-score with feedback” to try again.",
                            server_message(error)
                        )));
                        saving.try_set(false);
                        return;
                    }
                };
                let after = load_login(run.id.clone(), login_id.clone()).await;
                let elapsed = took(js_sys::Date::now() - started);
                let changed = counted(rerun.changed_levels as u64, "login");
                let message = match &after {
                    Ok(now) => format!(
                        "Saved and re-scored in {elapsed}: this sign-in {:.2} ({}) → {:.2} ({}); {changed} changed level in the run.",
                        before.0,
                        before.1.as_str(),
                        now.event.risk_score,
                        now.event.risk_level.as_str()
                    ),
                    Err(_) => format!(
                        "Saved and re-scored in {elapsed}; {changed} changed level in the run."
                    ),
                };
                say(Ok(message));
                if let Ok(now) = after {
                    details_signal.try_set(Some(Ok(now)));
                }
                saving.try_set(false);
                // The results are drawn again with the new summary (this panel with them).
                on_rescored.run(rerun.summary);
            });
        }
    };
    let shown_status = {
        let login_id = login_id.clone();
        move || {
            status.with(|status| match status {
                Some((login, Ok(message))) if *login == login_id => Some(
                    view! { <p class="verdict-status" role="status" data-testid="verdict-status">{message.clone()}</p> }
                        .into_any(),
                ),
                Some((login, Err(message))) if *login == login_id => Some(
                    view! { <p class="verdict-status error" role="alert" data-testid="verdict-status">{message.clone()}</p> }
                        .into_any(),
                ),
                _ => None,
            })
        }
    };
    let options = details
        .verdicts
        .iter()
        .map(|&kind| {
            view! {
                <label class="radio">
                    <input
                        type="radio"
                        name="verdict"
                        value=kind.as_str()
                        data-testid=format!("verdict-{}", kind.as_str())
                        prop:checked=move || choice.get() == Some(kind)
                        on:change=move |_| choice.set(Some(kind))
                    />
                    <span>
                        <strong>{verdict_label(kind)}</strong>
                        <span class="muted">{format!(" — {}", verdict_hint(kind))}</span>
                    </span>
                </label>
            }
            .into_any()
        })
        .collect_view();
    let failed_note = (details.outcome == service::review::Outcome::Failure).then(|| {
        view! {
            <p class="muted">
                "This sign-in failed, so it did not compromise the account: mark it an attack attempt if it was one."
            </p>
        }
    });
    view! {
        <section class="panel-section" data-testid="panel-verdict">
            <h3>"Verdict"</h3>
            <fieldset class="verdict-form" data-testid="verdict-form">
                <legend>"What was this sign-in?"</legend>
                {failed_note}
                {options}
                <label class="note">
                    "Note (optional, for whoever reads the history)"
                    <textarea
                        rows="2"
                        maxlength="2000"
                        data-testid="verdict-note"
                        prop:value=move || note.get()
                        on:input=move |event| note.set(event_target_value(&event))
                    ></textarea>
                </label>
                <button
                    type="button"
                    class="button primary"
                    data-testid="verdict-save"
                    disabled=move || choice.with(Option::is_none) || saving.get()
                    on:click=save
                >
                    "Save verdict"
                </button>
                {shown_status}
            </fieldset>
            <h4>"History"</h4>
            {move || history.with(|state: &TriageState| {
                if state.history.is_empty() {
                    view! { <p class="muted" data-testid="verdict-history-empty">"No verdict yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="history" data-testid="verdict-history">
                            {state
                                .history
                                .iter()
                                .rev()
                                .map(|record| {
                                    let note = (!record.comment.is_empty()).then(|| view! { <q>{record.comment.clone()}</q> });
                                    view! {
                                        <li>
                                            <span>{format!("{} UTC · {} · ", short_utc(record.at_ms), record.actor)}</span>
                                            <strong>{verdict_label(record.verdict)}</strong>
                                            " "{note}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                        .into_any()
                }
            })}
        </section>
    }
}
