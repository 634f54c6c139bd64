//! The triage grid, in the manner of Entra ID Protection's risky sign-ins: a run's logins paged,
//! sorted and filtered by the server (or, for a run in this browser, by its analysis worker),
//! each with its outcome, its account's verdict, an analyst's verdict and its detections as
//! short named chips; a login opens in the side panel. Filters, order, page and the open login
//! are the page's address, so a view is a link and survives a reload or a re-score.

use engine::time::format_utc;
use engine::{AccountStatus, RiskLevel};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use super::{LevelBadge, LoginPanel};
use crate::local_analysis;
use crate::server_fns::{detection_events, server_message};
use service::detection::{DetectionSummary, EventOrder, EventPage, EventQuery, Facets};
use service::review::{
    Detection, Outcome, SourceFilter, account_label, detections, parse_utc, verdict_label,
};
use service::text::{count, query_value};

/// The run whose logins are shown.
#[derive(Clone, Debug, PartialEq)]
pub struct GridRun {
    pub id: String,
    /// Its source (the verdicts are kept there).
    pub source: String,
    /// Scored in this browser: its logins are in the analysis worker, and nothing is kept.
    pub local: bool,
    /// Scores from which a login is risky.
    pub threshold: f64,
}

/// The grid's parameters in the address, besides `run`.
const PARAMS: [&str; 11] = [
    "level",
    "outcome",
    "detection",
    "account",
    "user",
    "source",
    "from",
    "to",
    "sort",
    "page",
    "login",
];

/// What the grid shows, as written in the address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridState {
    /// Empty for the risky logins (at or above the threshold), `all`, or one level.
    pub level: String,
    pub outcome: String,
    pub detection: String,
    pub account: String,
    pub user: String,
    pub source: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    /// 0-based (1-based in the address).
    pub page: usize,
    /// The login open in the side panel.
    pub login: String,
}

/// A filter that cannot be applied: which field, and why.
pub type Problem = (&'static str, String);

impl GridState {
    /// The state in an address's parameters (`get` gives one by name).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| get(name).unwrap_or_default();
        Self {
            level: text("level"),
            outcome: text("outcome"),
            detection: text("detection"),
            account: text("account"),
            user: text("user"),
            source: text("source"),
            from: text("from"),
            to: text("to"),
            sort: text("sort"),
            page: text("page")
                .parse::<usize>()
                .ok()
                .map_or(0, |page| page.saturating_sub(1)),
            login: text("login"),
        }
    }

    /// The detection page's address with this state, keeping the address's other parameters
    /// (`current`: every parameter of the address now, by name and value).
    pub fn href(&self, current: &[(String, String)]) -> String {
        let mut parts: Vec<String> = current
            .iter()
            .filter(|(name, _)| !PARAMS.contains(&name.as_str()))
            .map(|(name, value)| format!("{name}={}", query_value(value)))
            .collect();
        let page = if self.page > 0 {
            (self.page + 1).to_string()
        } else {
            String::new()
        };
        for (name, value) in [
            ("level", &self.level),
            ("outcome", &self.outcome),
            ("detection", &self.detection),
            ("account", &self.account),
            ("user", &self.user),
            ("source", &self.source),
            ("from", &self.from),
            ("to", &self.to),
            ("sort", &self.sort),
            ("page", &page),
            ("login", &self.login),
        ] {
            if !value.trim().is_empty() {
                parts.push(format!("{name}={}", query_value(value.trim())));
            }
        }
        if parts.is_empty() {
            "/detect".to_owned()
        } else {
            format!("/detect?{}", parts.join("&"))
        }
    }

    /// The query for the run's logins, or what is wrong with the filters, field by field.
    pub fn query(&self, threshold: f64) -> Result<EventQuery, Vec<Problem>> {
        let mut problems: Vec<Problem> = Vec::new();
        let mut query = EventQuery {
            min_score: threshold,
            user: self.user.trim().to_owned(),
            page: self.page,
            ..EventQuery::default()
        };
        match self.level.as_str() {
            "" => {}
            "all" => query.min_score = 0.0,
            name => match RiskLevel::ALL
                .into_iter()
                .find(|level| level.as_str().eq_ignore_ascii_case(name))
            {
                Some(level) => {
                    query.min_score = 0.0;
                    query.level = Some(level);
                }
                None => problems.push(("level", format!("unknown level {name:?}"))),
            },
        }
        if !self.outcome.is_empty() {
            match self.outcome.parse::<Outcome>() {
                Ok(outcome) => query.outcome = Some(outcome),
                Err(message) => problems.push(("outcome", message)),
            }
        }
        if !self.detection.is_empty() {
            match self.detection.parse::<Detection>() {
                Ok(detection) => query.detections = vec![detection],
                Err(message) => problems.push(("detection", message)),
            }
        }
        if !self.account.is_empty() {
            match ACCOUNT_STATUSES
                .into_iter()
                .find(|status| status.as_str() == self.account)
            {
                Some(status) => query.account = Some(status),
                None => problems.push((
                    "account",
                    format!(
                        "unknown account verdict {:?}: compromised, suspicious or clean",
                        self.account
                    ),
                )),
            }
        }
        match SourceFilter::parse(&self.source) {
            Ok(source) => query.source = source,
            Err(message) => problems.push(("source", message)),
        }
        let mut time = |text: &str, field: &'static str| {
            if text.trim().is_empty() {
                return None;
            }
            parse_utc(text)
                .map_err(|message| problems.push((field, message)))
                .ok()
        };
        query.from_ms = time(&self.from, "from");
        query.to_ms = time(&self.to, "to");
        if !self.sort.is_empty() {
            match self.sort.parse::<EventOrder>() {
                Ok(order) => query.order = order,
                Err(message) => problems.push(("sort", message)),
            }
        }
        if let (Some(from), Some(to)) = (query.from_ms, query.to_ms)
            && from >= to
        {
            problems.push((
                "to",
                format!(
                    "“To” ({}) is not after “From” ({}): no login can match. Swap them, or clear one.",
                    format_utc(to),
                    format_utc(from)
                ),
            ));
        }
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(problems)
        }
    }

    /// The same view without the filters (order kept).
    fn cleared(&self) -> Self {
        Self {
            sort: self.sort.clone(),
            ..Self::default()
        }
    }

    fn has_filters(&self) -> bool {
        [
            &self.level,
            &self.outcome,
            &self.detection,
            &self.account,
            &self.user,
            &self.source,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|value| !value.trim().is_empty())
    }
}

/// Every parameter of an address, by name and value.
fn parameters(map: &ParamsMap) -> Vec<(String, String)> {
    map.into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

const ACCOUNT_STATUSES: [AccountStatus; 3] = [
    AccountStatus::Compromised,
    AccountStatus::Suspicious,
    AccountStatus::Clean,
];

/// "2026-03-02 08:15:03" (UTC).
pub fn short_utc(timestamp_ms: i64) -> String {
    format_utc(timestamp_ms)
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .to_owned()
}

async fn fetch(run: &GridRun, query: EventQuery) -> Result<EventPage, String> {
    if run.local {
        local_analysis::client::page(run.id.clone(), query).await
    } else {
        detection_events(run.id.clone(), query)
            .await
            .map_err(server_message)
    }
}

#[component]
pub fn TriageGrid(
    run: GridRun,
    /// Bumped to fetch the page again (after a verdict or a re-score).
    refresh: RwSignal<u32>,
    /// Called once, when the first page is on screen.
    #[prop(into)]
    on_shown: Callback<()>,
    /// Called with the run's new summary after a verdict re-scored it.
    #[prop(into)]
    on_rescored: Callback<DetectionSummary>,
) -> impl IntoView {
    let query_map = use_query_map();
    let state = Memo::new(move |_| query_map.with(|map| GridState::read(|name| map.get(name))));
    let navigate = StoredValue::new_local(use_navigate());
    let go = move |next: GridState| {
        let href = query_map.with_untracked(|map| next.href(&parameters(map)));
        navigate.with_value(|navigate| {
            navigate(
                &href,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..NavigateOptions::default()
                },
            )
        });
    };
    // Any change of a filter starts again at the first page.
    let set_filter = move |change: &dyn Fn(&mut GridState)| {
        let mut next = state.get_untracked();
        change(&mut next);
        next.page = 0;
        go(next);
    };

    let page = RwSignal::new(None::<Result<EventPage, String>>);
    let problems = RwSignal::new(Vec::<Problem>::new());
    // No user of the run matches the user filter at all (not merely none at these filters).
    let unknown_user = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let requests = StoredValue::new(0u64);
    let shown_once = StoredValue::new(false);
    let run = StoredValue::new(run);
    Effect::new(move |_| {
        refresh.track();
        let wanted = state.with(|state| state.query(run.with_value(|run| run.threshold)));
        let query = match wanted {
            Ok(query) => {
                problems.set(Vec::new());
                query
            }
            Err(found) => {
                // The page stays as it was; the filters say what is wrong.
                problems.set(found);
                return;
            }
        };
        let request = requests.get_value() + 1;
        requests.set_value(request);
        loading.set(true);
        spawn_local(async move {
            let current = run.get_value();
            let result = fetch(&current, query.clone()).await;
            let mut no_user = false;
            if let Ok(found) = &result
                && found.matching == 0
                && !query.user.is_empty()
            {
                let anyone = EventQuery {
                    user: query.user.clone(),
                    ..EventQuery::default()
                };
                no_user = fetch(&current, anyone)
                    .await
                    .is_ok_and(|probe| probe.matching == 0);
            }
            if requests.get_value() != request {
                return;
            }
            unknown_user.set(no_user);
            let ok = result.is_ok();
            page.set(Some(result));
            loading.set(false);
            if ok && !shown_once.get_value() {
                shown_once.set_value(true);
                on_shown.run(());
            }
        });
    });

    let problem = move |field: &'static str| {
        move || {
            problems.with(|problems| {
                problems
                    .iter()
                    .find(|(name, _)| *name == field)
                    .map(|(_, message)| {
                        view! {
                            <span class="field-error" role="alert" data-testid=format!("problem-{field}")>
                                {message.clone()}
                            </span>
                        }
                    })
            })
        }
    };
    let threshold = run.with_value(|run| run.threshold);
    let select = move |label: &'static str,
                       field: &'static str,
                       options: Vec<(String, String)>,
                       get: fn(&GridState) -> String,
                       set: fn(&mut GridState, String)| {
        view! {
            <label class="filter">
                <span>{label}</span>
                <select
                    data-testid=format!("filter-{field}")
                    on:change=move |event| {
                        let value = event_target_value(&event);
                        set_filter(&|next: &mut GridState| set(next, value.clone()));
                    }
                >
                    {options
                        .into_iter()
                        .map(|(value, text)| {
                            let chosen = value.clone();
                            view! {
                                <option value=value prop:selected=move || state.with(get) == chosen>
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                {problem(field)}
            </label>
        }
        .into_any()
    };
    let text_filter = move |label: &'static str,
                            field: &'static str,
                            kind: &'static str,
                            placeholder: &'static str,
                            get: fn(&GridState) -> String,
                            set: fn(&mut GridState, String)| {
        view! {
            <label class="filter">
                <span>{label}</span>
                <input
                    type=kind
                    data-testid=format!("filter-{field}")
                    placeholder=placeholder
                    prop:value=move || state.with(get)
                    on:change=move |event| {
                        let value = event_target_value(&event);
                        set_filter(&|next: &mut GridState| set(next, value.clone()));
                    }
                />
                {problem(field)}
            </label>
        }
        .into_any()
    };
    let levels: Vec<(String, String)> = [
        (
            String::new(),
            format!("Risky: High or above (score ≥ {threshold:.2})"),
        ),
        ("all".to_owned(), "All logins".to_owned()),
    ]
    .into_iter()
    .chain(RiskLevel::ALL.into_iter().rev().map(|level| {
        (
            level.as_str().to_lowercase(),
            format!("{} only", level.as_str()),
        )
    }))
    .collect();
    let outcomes: Vec<(String, String)> = std::iter::once((String::new(), "Any".to_owned()))
        .chain(
            Outcome::ALL
                .into_iter()
                .map(|outcome| (outcome.as_str().to_owned(), outcome.label().to_owned())),
        )
        .collect();
    let detection_options: Vec<(String, String)> =
        std::iter::once((String::new(), "Any".to_owned()))
            .chain(
                Detection::ALL
                    .into_iter()
                    .map(|detection| (detection.as_str().to_owned(), detection.label().to_owned())),
            )
            .collect();
    let accounts: Vec<(String, String)> = std::iter::once((String::new(), "Any".to_owned()))
        .chain(
            ACCOUNT_STATUSES
                .into_iter()
                .map(|status| (status.as_str().to_owned(), account_label(status).to_owned())),
        )
        .collect();

    let sort_header = move |label: &'static str,
                            first: EventOrder,
                            second: EventOrder,
                            descending_first: bool,
                            testid: &'static str| {
        let current = move || {
            state
                .with(|state| state.sort.parse::<EventOrder>().ok())
                .unwrap_or_default()
        };
        let aria = move || {
            let order = current();
            if order == first {
                if descending_first {
                    "descending"
                } else {
                    "ascending"
                }
            } else if order == second {
                if descending_first {
                    "ascending"
                } else {
                    "descending"
                }
            } else {
                "none"
            }
        };
        let arrow = move || match aria() {
            "ascending" => " ▲",
            "descending" => " ▼",
            _ => "",
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button
                    type="button"
                    class="sort"
                    data-testid=testid
                    on:click=move |_| {
                        let next = if current() == first { second } else { first };
                        let mut state = state.get_untracked();
                        state.sort = next.as_str().to_owned();
                        state.page = 0;
                        go(state);
                    }
                >
                    {label}
                    <span aria-hidden="true">{arrow}</span>
                </button>
            </th>
        }
        .into_any()
    };

    let open_login = move |login_id: String| {
        let mut next = state.get_untracked();
        next.login = login_id;
        go(next);
    };
    let close_panel = Callback::new(move |()| {
        let mut next = state.get_untracked();
        next.login.clear();
        go(next);
    });
    let panel_run = run.get_value();
    // The open login alone: other changes of the address leave the panel as it is.
    let open_id = Memo::new(move |_| state.with(|state| state.login.clone()));

    view! {
        <section class="triage" data-testid="triage">
            <h3>"Logins to triage"</h3>
            <form class="filters triage-filters" on:submit=|event| event.prevent_default() data-testid="triage-filters">
                {select("Level", "level", levels, |s| s.level.clone(), |s, v| s.level = v)}
                {select("Outcome", "outcome", outcomes, |s| s.outcome.clone(), |s, v| s.outcome = v)}
                {select("Detection", "detection", detection_options, |s| s.detection.clone(), |s, v| s.detection = v)}
                {select("Account", "account", accounts, |s| s.account.clone(), |s, v| s.account = v)}
                {text_filter("User", "user", "search", "part of a user name", |s| s.user.clone(), |s, v| s.user = v)}
                {text_filter("Source", "source", "search", "IP, /24, AS13335 or NG", |s| s.source.clone(), |s, v| s.source = v)}
                {text_filter("From (UTC)", "from", "datetime-local", "", |s| s.from.clone(), |s, v| s.from = v)}
                {text_filter("To (UTC)", "to", "datetime-local", "", |s| s.to.clone(), |s, v| s.to = v)}
                <div class="filter filter-actions">
                    <button
                        type="button"
                        class="button"
                        data-testid="clear-filters"
                        disabled=move || !state.with(GridState::has_filters)
                        on:click=move |_| go(state.get_untracked().cleared())
                    >
                        "Clear filters"
                    </button>
                </div>
            </form>
            {move || {
                (unknown_user.get() && problems.with(Vec::is_empty)).then(|| {
                    let user = state.with(|state| state.user.clone());
                    view! {
                        <p class="field-error" role="alert" data-testid="problem-user">
                            {format!("No user of this run matches “{user}”: check the spelling, or clear the user filter.")}
                        </p>
                    }
                })
            }}
            {move || match page.get() {
                None => view! { <p class="muted" data-testid="triage-loading">"Loading the logins…"</p> }.into_any(),
                Some(Err(message)) => view! {
                    <p class="error" role="alert" data-testid="triage-error">{message}</p>
                }
                    .into_any(),
                Some(Ok(found)) => {
                    let facets = found.facets.clone();
                    let matching = found.matching;
                    view! {
                        <FacetLine facets matching on_detection=Callback::new(move |detection: Detection| {
                            set_filter(&|next: &mut GridState| next.detection = detection.as_str().to_owned());
                        }) />
                        <div class="triage-table" class:stale=move || loading.get() || !problems.with(Vec::is_empty)>
                            <table class="data triage-grid" data-testid="triage-grid">
                                <caption class="visually-hidden">"Logins of this run; choose one to see the evidence"</caption>
                                <thead>
                                    <tr>
                                        {sort_header("Time (UTC)", EventOrder::NewestFirst, EventOrder::OldestFirst, true, "sort-time")}
                                        {sort_header("User", EventOrder::UserAscending, EventOrder::UserDescending, false, "sort-user")}
                                        <th scope="col">"Outcome"</th>
                                        {sort_header("Score", EventOrder::RiskiestFirst, EventOrder::LeastRiskyFirst, true, "sort-score")}
                                        <th scope="col">"Account"</th>
                                        <th scope="col">"Detections"</th>
                                        <th scope="col">"From"</th>
                                        <th scope="col">"Verdict"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {found.rows.iter().map(|event| {
                                        let login_id = event.login_id();
                                        let outcome = Outcome::of(event.success);
                                        let account = found.accounts.get(event.user_id.as_ref()).copied();
                                        let verdict = found.verdicts.get(&login_id).copied();
                                        let time = short_utc(event.timestamp_ms);
                                        let user = event.user_id.to_string();
                                        let place = event.place().unwrap_or_else(|| "Unknown place".to_owned());
                                        let chips = detections(event);
                                        let open_label = format!("Evidence for {user}'s sign-in at {time} UTC");
                                        let open = {
                                            let login_id = login_id.clone();
                                            move |_: leptos::ev::MouseEvent| open_login(login_id.clone())
                                        };
                                        let open_row = open.clone();
                                        let selected = {
                                            let login_id = login_id.clone();
                                            move || state.with(|state| state.login == login_id)
                                        };
                                        view! {
                                            <tr
                                                data-testid="triage-row"
                                                data-login=login_id.clone()
                                                class:selected=selected
                                                on:click=open_row
                                            >
                                                <td class="nowrap cell-time" data-label="Time (UTC)">
                                                    <button type="button" class="link-button" data-testid="open-login"
                                                        aria-label=open_label on:click=move |event| {
                                                            event.stop_propagation();
                                                            open(event);
                                                        }>
                                                        {time}
                                                    </button>
                                                </td>
                                                <td class="cell-user" data-label="User">{user}</td>
                                                <td class="cell-outcome" data-label="Outcome">
                                                    <span class=format!("outcome outcome-{}", outcome.as_str()) data-testid="row-outcome">{outcome.label()}</span>
                                                </td>
                                                <td class="cell-score nowrap" data-label="Score">
                                                    <span class="score">{format!("{:.2}", event.risk_score)}</span>" "
                                                    <LevelBadge level=event.risk_level />
                                                </td>
                                                <td class="cell-account" data-label="Account">
                                                    {account.map(|status| view! {
                                                        <span class=format!("account account-{}", status.as_str()) data-testid="row-account">{account_label(status)}</span>
                                                    })}
                                                </td>
                                                <td class="cell-detections" data-label="Detections">
                                                    <ul class="chips" data-testid="row-detections">
                                                        {chips.into_iter().map(|detection| view! {
                                                            <li class="chip" class:attack=detection.is_attack() data-detection=detection.as_str()>{detection.label()}</li>
                                                        }).collect_view()}
                                                    </ul>
                                                </td>
                                                <td class="cell-from" data-label="From">
                                                    {place}<span class="muted">" · "{event.ip.to_string()}</span>
                                                </td>
                                                <td class="cell-verdict" data-label="Verdict" data-testid="row-verdict">
                                                    {verdict.map_or("—", verdict_label)}
                                                </td>
                                            </tr>
                                        }
                                        .into_any()
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {found.rows.is_empty().then(|| view! {
                                <p class="muted triage-none" data-testid="triage-none">
                                    {if state.with_untracked(GridState::has_filters) {
                                        "No login matches these filters."
                                    } else {
                                        "No login of this run is at or above the threshold."
                                    }}
                                </p>
                            })}
                        </div>
                        <nav class="pager" aria-label="Pages of logins">
                            <button type="button" class="button" data-testid="page-previous" disabled={found.page == 0}
                                on:click=move |_| {
                                    let mut next = state.get_untracked();
                                    next.page = next.page.saturating_sub(1);
                                    go(next);
                                }>"Previous"</button>
                            <span data-testid="page-status">{format!("Page {} of {} · {} logins", found.page + 1, found.pages, count(found.matching))}</span>
                            <button type="button" class="button" data-testid="page-next" disabled={found.page + 1 >= found.pages}
                                on:click=move |_| {
                                    let mut next = state.get_untracked();
                                    next.page += 1;
                                    go(next);
                                }>"Next"</button>
                        </nav>
                    }
                        .into_any()
                }
            }}
            {move || {
                let login = open_id.get();
                (!login.is_empty()).then(|| {
                    view! {
                        <LoginPanel
                            run=panel_run.clone()
                            login_id=login
                            on_close=close_panel
                            on_rescored
                            refresh
                        />
                    }
                })
            }}
        </section>
    }
}

/// How the matching logins divide up: per level, per outcome and per detection, each
/// detection a button that filters by it.
#[component]
fn FacetLine(facets: Facets, matching: u64, on_detection: Callback<Detection>) -> impl IntoView {
    let levels: Vec<String> = facets
        .levels
        .iter()
        .rev()
        .filter(|(_, logins)| *logins > 0)
        .map(|(level, logins)| format!("{} {}", level.as_str(), count(*logins)))
        .collect();
    let outcomes: Vec<String> = facets
        .outcomes
        .iter()
        .filter(|(_, logins)| *logins > 0)
        .map(|(outcome, logins)| format!("{} {}", outcome.label().to_lowercase(), count(*logins)))
        .collect();
    let mut found = facets.detections.clone();
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    view! {
        <div class="facets" data-testid="facets">
            <p>
                <strong>{format!("{} logins", count(matching))}</strong>
                {(!levels.is_empty()).then(|| format!(" · {}", levels.join(" · ")))}
                {(!outcomes.is_empty()).then(|| format!(" · {}", outcomes.join(", ")))}
            </p>
            {(!found.is_empty()).then(|| view! {
                <ul class="chips facet-chips" aria-label="Detections among them (choose one to filter)">
                    {found.into_iter().map(|(detection, logins)| view! {
                        <li>
                            <button type="button" class="chip" class:attack=detection.is_attack()
                                data-testid=format!("facet-{}", detection.as_str())
                                on:click=move |_| on_detection.run(detection)>
                                {format!("{} {}", detection.label(), count(logins))}
                            </button>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn the_state_round_trips_through_the_address() {
        let state = GridState {
            level: "all".to_owned(),
            outcome: "failure".to_owned(),
            detection: "brute_force".to_owned(),
            user: "ava edwards".to_owned(),
            page: 2,
            login: "F-0123456789ab".to_owned(),
            ..GridState::default()
        };
        let href = state.href(&pairs(&[("run", "abc"), ("page", "9")]));
        assert!(href.starts_with("/detect?run=abc&"), "{href}");
        assert!(href.contains("user=ava%20edwards"), "{href}");
        assert!(href.contains("page=3"), "{href}");
        let query = href.split_once('?').unwrap().1;
        let read: Vec<(String, String)> = query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_owned(), value.replace("%20", " "))
            })
            .collect();
        let get = |wanted: &str| {
            read.iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.clone())
        };
        assert_eq!(GridState::read(get), state);
    }

    #[test]
    fn bad_filters_explain_themselves_field_by_field() {
        let state = GridState {
            from: "2026-03-10T08:00".to_owned(),
            to: "2026-03-09T08:00".to_owned(),
            source: "nowhere".to_owned(),
            ..GridState::default()
        };
        let problems = state.query(0.7).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, vec!["source", "to"]);
        assert!(problems[1].1.contains("not after"), "{}", problems[1].1);
        let fine = GridState {
            level: "critical".to_owned(),
            outcome: "failure".to_owned(),
            sort: "user".to_owned(),
            ..GridState::default()
        }
        .query(0.7)
        .unwrap();
        assert_eq!(fine.min_score, 0.0);
        assert_eq!(fine.level, Some(RiskLevel::Critical));
        assert_eq!(fine.outcome, Some(Outcome::Failure));
        assert_eq!(fine.order, EventOrder::UserAscending);
        assert_eq!(GridState::default().query(0.7).unwrap().min_score, 0.7);
    }
}
