use engine::RiskLevel;
use engine::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use crate::activity::follow_activity;
use crate::components::{BarList, EmptyState, LevelBadge, RiskiestUsers, TrendChart, WorldMap};
use crate::server_fns::{load_dashboard, recent_runs, server_message};
use service::activity::Activity;
use service::dashboard::{
    Dashboard, DashboardQuery, FilterProblem, LIVE, SourceActivity, UserDetail,
};
use service::source::SourceName;
use service::text::{count, counted, query_value};

const PURPOSE: &str = "Once a file is analysed, this page shows logins and risk over time, where \
                       users signed in from, the riskiest users with their details, and the \
                       devices, browsers and systems used.";

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        {if cfg!(feature = "csr") {
            view! {
                <p class="muted" data-testid="needs-server">
                    "The dashboard reads the analyses a Sky Trace server keeps; this offline build has none. "
                    "Results of an analysis in this browser are on the Detection page."
                </p>
            }
                .into_any()
        } else {
            view! { <ServerDashboard /> }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn ServerDashboard() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        query_map.with(|map| {
            let text = |name: &str| map.get(name).unwrap_or_default();
            DashboardQuery {
                source: text("source"),
                run: text("run"),
                from: text("from"),
                to: text("to"),
                level: text("level"),
                user: text("user"),
                focus: text("focus"),
            }
        })
    });
    let data = Resource::new(move || query.get(), load_dashboard);
    let scoring = RwSignal::new(None::<(String, u64, u64)>);
    // Monitored logins arrive in bursts: one refetch a second at most.
    let refetch_due = StoredValue::new(false);
    follow_activity(move |activity| match activity {
        Activity::Monitored { source, .. } => {
            let shown = query.get_untracked();
            let shown_source = SourceName::parse(&shown.source);
            if shown.run == LIVE
                && shown_source.is_ok_and(|shown| shown.as_str() == source)
                && !refetch_due.get_value()
            {
                refetch_due.set_value(true);
                set_timeout(
                    move || {
                        // The page may have been left meanwhile: then there is nothing to do.
                        if refetch_due.try_set_value(false).is_none() {
                            data.refetch();
                        }
                    },
                    std::time::Duration::from_secs(1),
                );
            }
        }
        Activity::Scoring {
            file_name,
            done,
            total,
        } => scoring.set(Some((file_name, done, total))),
        Activity::Kept { id, .. } => {
            scoring.set(None);
            let shown = query.get_untracked().run;
            if shown.is_empty() || shown == id {
                data.refetch();
            }
        }
    });
    view! {
        {move || {
            scoring.get().map(|(file_name, done, total)| {
                view! {
                    <p class="scoring" role="status" data-testid="scoring">
                        {format!("Scoring {file_name} on the server: {} of {} logins", count(done), count(total))}
                        " "<progress max=total as f64 value=done as f64></progress>
                    </p>
                }
            })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading the dashboard…"</p> }>
            {move || {
                data.get().map(|loaded| match loaded {
                    Err(error) => view! {
                        <section class="result error" role="alert" data-testid="dashboard-error">
                            <h2>"Cannot show the dashboard"</h2>
                            <p>{server_message(error)}</p>
                            <A href="/dashboard" attr:class="button">"Show the latest analysis"</A>
                        </section>
                    }
                        .into_any(),
                    Ok(None) => view! { <EmptyState purpose=PURPOSE /> }.into_any(),
                    Ok(Some(dashboard)) => {
                        let query = query.get_untracked();
                        view! { <DashboardView dashboard query /> }.into_any()
                    }
                })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn DashboardView(dashboard: Dashboard, query: DashboardQuery) -> impl IntoView {
    let metrics = [
        ("logins", "Logins", count(dashboard.matching)),
        ("users", "Users", count(dashboard.users)),
        ("high", "High or above", count(dashboard.high_or_above)),
        ("countries", "Countries", count(dashboard.countries)),
        (
            "travel",
            "Impossible-travel incidents",
            count(dashboard.travel_incidents),
        ),
        ("incidents", "Incidents", count(dashboard.incidents)),
    ];
    let filtered = dashboard.matching != dashboard.total;
    let span = match (dashboard.first_ms, dashboard.last_ms) {
        (Some(first), Some(last)) => format!(
            "{} to {}",
            format_utc(first).get(..10).unwrap_or_default(),
            format_utc(last).get(..10).unwrap_or_default()
        ),
        _ => "no logins".to_owned(),
    };
    // Nothing to draw: say why, instead of zeros and an empty map.
    let nothing = if let Some(name) = &dashboard.unknown_user {
        Some(view! {
            <section class="result notice" role="status" data-testid="no-logins">
                <h2>{format!("No logins for user “{name}” in this run")}</h2>
                <p>{format!(
                    "No user name in {} contains “{name}” (the search ignores case). Check the spelling, or clear the user filter.",
                    dashboard.file_name
                )}</p>
            </section>
        }
        .into_any())
    } else if dashboard.run_id == LIVE && dashboard.total == 0 {
        Some(view! {
            <section class="result notice" role="status" data-testid="no-monitored-logins">
                <h2>"No login monitored in this span yet"</h2>
                <p>
                    "Logins sent to this server (POST /api/v1/events, the Splunk HTTP Event Collector endpoint, syslog, the Okta event hook or "
                    <code>"skytrace watch"</code>
                    ") appear here as they are scored, without reloading the page. See Monitoring in the README."
                </p>
            </section>
        }
        .into_any())
    } else if dashboard.matching == 0 {
        Some(view! {
            <section class="result notice" role="status" data-testid="no-logins">
                <h2>"No login matches these filters"</h2>
                <p>{format!(
                    "The run has {} from {span}; none is at the chosen level and dates{}. Widen the filters, or clear them.",
                    counted(dashboard.total, "login"),
                    if query.user.trim().is_empty() { String::new() } else { format!(" for users named like “{}”", query.user.trim()) }
                )}</p>
            </section>
        }
        .into_any())
    } else {
        None
    };
    let empty = nothing.is_some();
    view! {
        <Filters query=query.clone() run_id=dashboard.run_id.clone() problems=dashboard.problems.clone() />
        <p class="muted" data-testid="dashboard-source">
            {format!("{} ({}), {span}", dashboard.file_name, dashboard.run_id)}
            {filtered.then(|| format!(": {} of {} logins match the filters", count(dashboard.matching), count(dashboard.total)))}
            {(dashboard.run_id != LIVE).then(|| view! {
                " · "<A href=format!("/detect?run={}", dashboard.run_id)>"Detection"</A>
                " · "<A href=format!("/reports?run={}", dashboard.run_id)>"Reports"</A>
            })}
        </p>
        {dashboard.focus.map(|detail| view! { <UserDetailView detail query=query.clone() /> })}
        {nothing}
        {(!dashboard.sources.is_empty()).then(|| view! { <MonitoredSources sources=dashboard.sources.clone() /> })}
        {(!empty).then(|| view! {
            <dl class="stats metrics" data-testid="metrics">
                {metrics
                    .into_iter()
                    .map(|(id, label, value)| view! {
                        <div class="stat"><dt>{label}</dt><dd data-testid=format!("metric-{id}")>{value}</dd></div>
                    })
                    .collect_view()}
            </dl>
            <dl class="stats levels">
                {dashboard
                    .levels
                    .iter()
                    .rev()
                    .map(|(level, number)| view! {
                        <div class=format!("stat level-{}", level.as_str().to_lowercase())>
                            <dt>{level.as_str()}</dt><dd>{count(*number)}</dd>
                        </div>
                    })
                    .collect_view()}
            </dl>
            <WorldMap map=dashboard.map matching=dashboard.matching />
            <TrendChart points=dashboard.trend unit=dashboard.trend_unit />
            <div class="dashboard-grid">
                <section>
                    <h2>"Riskiest users"</h2>
                    <p class="muted small">"Each user's risk is their score in this run, over all their logins: the filters choose who is listed, not how they are scored."</p>
                    <RiskiestUsers
                        users=dashboard.top_users
                        testid="dashboard-users"
                        link=Some(Callback::new({
                            let query = query.clone();
                            move |user: String| query.focused_on(&user).href()
                        }))
                    />
                </section>
                <section>
                    <h2>"Countries"</h2>
                    <div class="table-scroll" tabindex="0">
                        <table class="data" data-testid="countries">
                            <thead><tr><th scope="col">"Country"</th><th scope="col">"Logins"</th><th scope="col">"High or above"</th><th scope="col">"Mean risk"</th></tr></thead>
                            <tbody>
                                {dashboard.top_countries.into_iter().map(|row| view! {
                                    <tr><td>{row.country}</td><td>{count(row.logins)}</td><td>{count(row.high_or_above)}</td><td>{format!("{:.2}", row.mean_risk)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            </div>
            <div class="charts breakdowns">
                <BarList title="Devices" rows=dashboard.devices testid="devices" />
                <BarList title="Browsers and clients" rows=dashboard.browsers testid="browsers" />
                <BarList title="Operating systems" rows=dashboard.systems testid="systems" />
            </div>
        }
        .into_any())}
    }
    .into_any()
}

/// What each monitored source has sent since the server started: its rate over the last minute,
/// its records by outcome, and when the last arrived; each name opens its live view.
#[component]
fn MonitoredSources(sources: Vec<SourceActivity>) -> impl IntoView {
    view! {
        <section class="result" data-testid="monitored-sources">
            <h2>"Sources"</h2>
            <p class="muted small">"Records received since the server started; the rate is over the last minute."</p>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead><tr>
                        <th scope="col">"Source"</th><th scope="col">"Records/s"</th><th scope="col">"Scored"</th>
                        <th scope="col">"Duplicates"</th><th scope="col">"Rejected"</th><th scope="col">"Skipped"</th>
                        <th scope="col">"Last seen (UTC)"</th>
                    </tr></thead>
                    <tbody>
                        {sources.into_iter().map(|row| {
                            let href = format!("/dashboard?run={LIVE}&source={}", query_value(&row.source));
                            view! {
                                <tr data-testid="source-row">
                                    <th scope="row"><A href=href>{row.source}</A></th>
                                    <td>{format!("{:.1}", row.per_second)}</td>
                                    <td data-testid="source-scored">{count(row.scored)}</td>
                                    <td>{count(row.duplicate)}</td>
                                    <td data-testid="source-rejected">{count(row.rejected)}</td>
                                    <td>{count(row.skipped)}</td>
                                    <td>{format_utc(row.last_seen_ms)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Which analysis and which logins; a GET form, so it works before the WebAssembly loads and
/// every view has an address. A filter that cannot be applied is marked, with why, and the
/// others still apply.
#[component]
fn Filters(query: DashboardQuery, run_id: String, problems: Vec<FilterProblem>) -> impl IntoView {
    let runs = Resource::new(|| (), |()| recent_runs(String::new()));
    let chosen_level = query.level.to_lowercase();
    let problem = |field: &str| {
        problems
            .iter()
            .find(|problem| problem.field == field)
            .map(|problem| problem.message.clone())
    };
    let (from_problem, to_problem, level_problem) =
        (problem("from"), problem("to"), problem("level"));
    // "To before From" concerns both dates.
    let range_problem = to_problem
        .as_ref()
        .is_some_and(|message| message.contains("“From”"));
    let explain = |id: &'static str, message: Option<String>| {
        message.map(|message| {
            view! { <span class="field-error" id=id data-testid=id>{message}</span> }
        })
    };
    let invalid = |bad: bool| bad.then_some("true");
    view! {
        <Form method="GET" action="/dashboard" attr:class="filters dashboard-filters" attr:data-testid="dashboard-filters">
            {(!query.source.trim().is_empty()).then(|| view! {
                <input type="hidden" name="source" value=query.source.clone() />
            })}
            {(!problems.is_empty()).then(|| view! {
                <p class="filter-summary" role="alert" data-testid="filter-problems">
                    {format!(
                        "{} could not be applied; the dashboard below shows the run without {}.",
                        if problems.len() == 1 { "One filter" } else { "Some filters" },
                        if problems.len() == 1 { "it" } else { "them" }
                    )}
                </p>
            })}
            <label>
                "Analysis"
                <Transition fallback=|| ()>
                    <select name="run" data-testid="filter-run">
                        {move || {
                            let listed = runs.get().and_then(Result::ok).unwrap_or_default();
                            let current = run_id.clone();
                            let known = current == LIVE || listed.iter().any(|run| run.id == current);
                            let mut options: Vec<_> = listed
                                .into_iter()
                                .map(|run| {
                                    let selected = run.id == current;
                                    view! { <option value=run.id.clone() selected=selected>{format!("{} ({})", run.file_name, run.id)}</option> }
                                })
                                .collect();
                            if !known {
                                options.insert(0, view! { <option value=current.clone() selected=true>{current.clone()}</option> });
                            }
                            options.insert(0, view! { <option value=LIVE.to_owned() selected=current == LIVE>{"Monitored logins (live)".to_owned()}</option> });
                            options
                        }}
                    </select>
                </Transition>
            </label>
            <label>
                "From"
                <input type="date" name="from" value=query.from.clone() data-testid="filter-from"
                    aria-invalid=invalid(from_problem.is_some() || range_problem)
                    aria-describedby=(from_problem.is_some() || range_problem).then_some(if range_problem { "filter-to-error" } else { "filter-from-error" }) />
                {explain("filter-from-error", from_problem)}
            </label>
            <label>
                "To"
                <input type="date" name="to" value=query.to.clone() data-testid="filter-to"
                    aria-invalid=invalid(to_problem.is_some())
                    aria-describedby=to_problem.is_some().then_some("filter-to-error") />
                {explain("filter-to-error", to_problem)}
            </label>
            <label>
                "Level"
                <select name="level" data-testid="filter-level" aria-invalid=invalid(level_problem.is_some())
                    aria-describedby=level_problem.is_some().then_some("filter-level-error")>
                    <option value="" selected=chosen_level.is_empty()>"All"</option>
                    {[RiskLevel::Medium, RiskLevel::High, RiskLevel::Critical]
                        .into_iter()
                        .map(|level| {
                            let value = level.as_str().to_lowercase();
                            let selected = value == chosen_level;
                            view! { <option value=value.clone() selected=selected>{format!("{} or above", level.as_str())}</option> }
                        })
                        .collect_view()}
                </select>
                {explain("filter-level-error", level_problem)}
            </label>
            <label>
                "User"
                <input type="search" name="user" value=query.user.clone() placeholder="name contains…" data-testid="filter-user" />
            </label>
            {(!query.focus.is_empty()).then(|| view! { <input type="hidden" name="focus" value=query.focus.clone() /> })}
            <button type="submit" class="button primary" data-testid="filter-apply">"Apply"</button>
            <A href=DashboardQuery { run: query.run.clone(), ..DashboardQuery::default() }.href() attr:class="button" attr:data-testid="filter-clear">"Clear filters"</A>
        </Form>
    }
    .into_any()
}

/// One user's places, devices, findings and latest logins.
#[component]
fn UserDetailView(detail: UserDetail, query: DashboardQuery) -> impl IntoView {
    let close = query.focused_on("").href();
    if detail.in_run == 0 {
        return view! {
            <section class="result notice user-detail" role="status" data-testid="user-detail" id="user-detail">
                <header class="result-header">
                    <h2>{detail.user_id.clone()}</h2>
                    <A href=close attr:class="button" attr:data-testid="close-detail">"Close"</A>
                </header>
                <p data-testid="user-not-in-run">{format!(
                    "No logins for user “{}” in this run: the name is compared whole, ignoring case. The user filter above finds names that contain a word.",
                    detail.user_id
                )}</p>
            </section>
        }
        .into_any();
    }
    let risk = detail.risk.as_ref().map(|risk| {
        format!(
            "Risk {:.2} ({}) in this run, over all {} of their logins ({} High or above). ",
            risk.risk_score,
            risk.risk_level.as_str(),
            count(u64::from(risk.logins)),
            count(u64::from(risk.high_or_above))
        )
    });
    let listed = if detail.logins == detail.in_run {
        format!("All {} are listed below.", counted(detail.logins, "login"))
    } else if detail.logins == 0 {
        "None of their logins matches the filters.".to_owned()
    } else {
        format!(
            "{} of {} match the filters and are listed below.",
            count(detail.logins),
            counted(detail.in_run, "login")
        )
    };
    let summary = format!("{}{listed}", risk.unwrap_or_default());
    view! {
        <section class="result user-detail" data-testid="user-detail" id="user-detail">
            <header class="result-header">
                <h2>{detail.user_id.clone()}</h2>
                <A href=close attr:class="button" attr:data-testid="close-detail">"Close"</A>
            </header>
            <p data-testid="user-summary">{summary}</p>
            <div class="charts breakdowns">
                <BarList title="Places" rows=detail.places testid="user-places" />
                <BarList title="Devices" rows=detail.devices testid="user-devices" />
                <BarList title="Findings" rows=detail.findings testid="user-findings" />
            </div>
            <h3>"Latest logins"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data" data-testid="user-timeline">
                    <thead><tr><th scope="col">"Time (UTC)"</th><th scope="col">"Outcome"</th><th scope="col">"Level"</th><th scope="col">"Risk"</th><th scope="col">"Address"</th><th scope="col">"Place"</th><th scope="col">"Why"</th></tr></thead>
                    <tbody>
                        {detail
                            .timeline
                            .into_iter()
                            .map(|event| {
                                let outcome = match event.success {
                                    Some(true) => "success",
                                    Some(false) => "failure",
                                    None => "—",
                                };
                                let place = event.place().unwrap_or_else(|| "—".to_owned());
                                view! {
                                    <tr>
                                        <td>{format_utc(event.timestamp_ms)}</td>
                                        <td>{outcome}</td>
                                        <td><LevelBadge level=event.risk_level /></td>
                                        <td>{format!("{:.2}", event.risk_score)}</td>
                                        <td>{event.ip.to_string()}</td>
                                        <td>{place}</td>
                                        <td class="reasons">
                                            <details>
                                                <summary>{findings_in_brief(&event)}</summary>
                                                {event.reasons()}
                                            </details>
                                        </td>
                                    </tr>
                                }
                                    .into_any()
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// The login's active findings by name ("new device, impossible travel"), or that it was usual.
fn findings_in_brief(event: &engine::ScoredEvent) -> String {
    let mut titles: Vec<&str> = Vec::new();
    for finding in event.findings.iter().filter(|finding| finding.is_active()) {
        let title = engine::incidents::kind_title(finding.kind);
        if !titles.contains(&title) {
            titles.push(title);
        }
    }
    if titles.is_empty() {
        "nothing unusual".to_owned()
    } else {
        titles.join(", ")
    }
}
