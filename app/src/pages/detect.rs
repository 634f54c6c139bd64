use engine::time::format_utc;
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::activity::follow_activity;
use crate::browser::upload_form;
use crate::chart_options;
use crate::components::{
    EmptyState, GridRun, InteractiveChart, LevelPie, LogReading, Measure, PanelStatus, Progress,
    ProgressBar, ReadSummary, RiskiestUsers, TriageGrid, chosen, use_chosen_log,
};
use crate::local_analysis;
use crate::server_fns::{
    RunDetection, load_detection, recent_runs, rescore_run, server_message, upload_with_progress,
};
use service::activity::Activity;
use service::dashboard::DashboardQuery;
use service::detection::{DetectionChoices, DetectionSummary, HISTOGRAM_BINS, RunListing};
use service::text::{count, counted};

/// The client-only build has no server to run on.
const SERVER_AVAILABLE: bool = !cfg!(feature = "csr");

/// Where a run's logins are: on the server (paged by a server function) or in this browser's
/// analysis worker (paged by messages).
#[derive(Clone)]
enum Run {
    Server(DetectionSummary),
    Local(DetectionSummary),
}

impl Run {
    fn summary(&self) -> &DetectionSummary {
        match self {
            Self::Server(summary) | Self::Local(summary) => summary,
        }
    }
}

#[component]
pub fn DetectPage() -> impl IntoView {
    // The file, its format and mapping are the app's: a file profiled on the Upload page is
    // analysed here without being chosen again.
    let log = use_chosen_log();
    let (selected, format, mapping) = (log.file, log.format, log.mapping);
    provide_context(PanelStatus(RwSignal::new(None)));
    // When the person asked for the current results (browser clock), and how long they took to
    // show: the honest "from your click to these results".
    let clicked_at = RwSignal::new(None::<f64>);
    let shown_in = RwSignal::new(None::<f64>);
    let busy = RwSignal::new(None::<&'static str>);
    let progress = Progress::new(None);
    // The file the server is scoring for this page: its progress comes over the activity stream.
    let scored_on_server = RwSignal::new(None::<String>);
    if SERVER_AVAILABLE {
        follow_activity(move |activity| {
            if let Activity::Scoring {
                file_name,
                done,
                total,
            } = activity
                && scored_on_server.with_untracked(|scored| scored.as_ref() == Some(&file_name))
            {
                progress.set(Some((done, total, Measure::Logins)));
            }
        });
    }
    let choices = RwSignal::new(DetectionChoices::default());
    let run = RwSignal::new(None::<Result<Run, String>>);
    // What the last re-score changed; outlives the results it replaces.
    let rescored = RwSignal::new(None::<Result<String, String>>);
    // A kept run named in the address (`/detect?run=ID`): a deep link that survives restarts.
    // Loaded in the browser: the results are interactive (paging) and need it anyway.
    let query_map = use_query_map();
    let saved_id = move || query_map.with(|query| query.get("run"));
    Effect::new(move |_| {
        let Some(id) = saved_id() else {
            return;
        };
        let shown = run.with_untracked(
            |run| matches!(run, Some(Ok(Run::Server(summary))) if summary.id == id),
        );
        if !shown {
            spawn_local(async move {
                let loaded = load_detection(id)
                    .await
                    .map(Run::Server)
                    .map_err(server_message);
                run.set(Some(loaded));
            });
        }
    });
    let navigate = use_navigate();
    // Effects run only in the browser.
    Effect::new(move |_| {
        if let Err(message) = local_analysis::client::prepare() {
            leptos::logging::warn!("the analysis worker cannot start: {message}");
        }
    });

    let reset = move |()| {
        run.set(None);
        rescored.set(None);
        log.read.set(None);
    };
    // The results of the chosen file: what the folded log summary says.
    let read_as = move |summary: &DetectionSummary| {
        if log.file_name().as_deref() == Some(summary.file_name.as_str()) {
            log.read
                .set(Some(ReadSummary::of(&summary.file_name, &summary.profile)));
        }
    };
    let started = move || {
        clicked_at.set(Some(js_sys::Date::now()));
        shown_in.set(None);
    };
    let sample_failed = move |message: String| run.set(Some(Err(message)));
    let run_on_server = move |_| {
        let navigate = navigate.clone();
        let Some(file) = chosen(selected) else {
            return;
        };
        busy.set(Some("Uploading to the server…"));
        rescored.set(None);
        run.set(None);
        started();
        spawn_local(async move {
            let choices = serde_json::to_string(&choices.get_untracked()).unwrap_or_default();
            let (format, mapping) = (format.get_untracked(), mapping.get_untracked());
            let fields = [
                ("format", &*format),
                ("map", &*mapping),
                ("choices", &*choices),
            ];
            let file_name = file.name();
            let on_progress = move |sent, total| {
                progress.set(Some((sent, total, Measure::Bytes)));
                if sent == total {
                    busy.set(Some("Scoring on the server…"));
                    scored_on_server.set(Some(file_name.clone()));
                }
            };
            let outcome = match upload_form(&file, &fields) {
                Ok(form) => upload_with_progress::<RunDetection>(&form, on_progress)
                    .await
                    .map(Run::Server),
                Err(message) => Err(message),
            };
            scored_on_server.set(None);
            progress.set(None);
            if let Ok(Run::Server(summary)) = &outcome {
                read_as(summary);
                navigate(
                    &format!("/detect?run={}", summary.id),
                    NavigateOptions {
                        replace: true,
                        scroll: false,
                        ..NavigateOptions::default()
                    },
                );
            }
            run.set(Some(outcome));
            busy.set(None);
        });
    };
    let run_locally = move |_| {
        let Some(file) = chosen(selected) else {
            return;
        };
        busy.set(Some("Scoring in your browser…"));
        rescored.set(None);
        run.set(None);
        started();
        spawn_local(async move {
            let outcome = local_analysis::client::analyse(
                &file,
                format.get_untracked(),
                mapping.get_untracked(),
                choices.get_untracked(),
                move |done, total| progress.set(Some((done, total, Measure::Logins))),
            )
            .await;
            if let Ok(summary) = &outcome {
                read_as(summary);
            }
            run.set(Some(outcome.map(Run::Local)));
            busy.set(None);
            progress.set(None);
        });
    };
    let cannot_run = move || selected.with(Option::is_none) || busy.with(Option::is_some);
    let folded = Signal::derive(move || run.with(|run| matches!(run, Some(Ok(_)))));
    let on_shown = Callback::new(move |()| {
        if let Some(start) = clicked_at.get_untracked() {
            shown_in.set(Some(js_sys::Date::now() - start));
            clicked_at.set(None);
        }
    });

    view! {
        <Title text="Detection" />
        <h1>"Detection"</h1>
        <p class="lead">
            "Score every login of a log from 0 to 1 with the detectors you choose, and list the risky ones with the reasons why."
        </p>
        // One boxed view: the page's static type would otherwise be too deep for the compiler.
        <LogReading chosen=log busy on_choose=reset on_error=sample_failed folded />
        <ChoicesForm choices />
        <div class="actions">
            {SERVER_AVAILABLE
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button primary"
                            data-testid="detect-server"
                            disabled=cannot_run
                            on:click=run_on_server
                        >
                            "Run detection"
                        </button>
                    }
                })}
            <button
                type="button"
                class="button"
                data-testid="detect-local"
                disabled=cannot_run
                on:click=run_locally
            >
                "Run in this browser"
            </button>
            <span class="busy" role="status" aria-live="polite">{move || busy.get()}</span>
            <ProgressBar progress label="Progress of the analysis" />
        </div>
        {move || match run.get() {
            None if saved_id().is_some() => Some(
                view! { <p class="muted" data-testid="loading-run">"Loading the saved run…"</p> }
                    .into_any(),
            ),
            // A run under way shows its progress above; nothing here pretends otherwise.
            None if busy.with(Option::is_some) => None,
            None => Some(view! { <StartHere ready=log.read /> }.into_any()),
            Some(Err(message)) => Some(
                view! {
                    <section class="result error" role="alert" data-testid="detect-error">
                        <h2>"Cannot run the detection"</h2>
                        <p>{message}</p>
                    </section>
                }
                    .into_any(),
            ),
            Some(Ok(outcome)) => Some(
                view! {
                    <Results
                        run=outcome
                        rescored
                        on_rescored=Callback::new(move |summary| {
                            shown_in.set(None);
                            run.set(Some(Ok(Run::Server(summary))));
                        })
                        shown_in
                        on_shown
                    />
                }
                    .into_any(),
            ),
        }}
    }
}

/// What to do when no results are shown: run the log that is ready, or open a kept analysis
/// (rendered on the server, so it is true before any JavaScript); "No analysis yet" only when
/// nothing is kept.
#[component]
fn StartHere(ready: RwSignal<Option<ReadSummary>>) -> impl IntoView {
    let runs = Resource::new(
        || (),
        |()| async move {
            if SERVER_AVAILABLE {
                recent_runs(String::new()).await.unwrap_or_default()
            } else {
                Vec::new()
            }
        },
    );
    let ready_note = move || {
        ready.get().map(|read| {
            view! {
                <p class="ready" data-testid="ready">
                    {format!("{}. Choose the detectors above and run the detection: every login is scored, and the risky ones are listed with the evidence behind them.", read.sentence())}
                </p>
            }
        })
    };
    view! {
        {ready_note}
        <Suspense fallback=|| view! { <p class="muted">"Looking for kept analyses…"</p> }>
            // `try_`: choosing a log can remove this part while `ready` still tells it (the
            // regression: a panic on a fresh server, with no kept analysis to list).
            {move || {
                runs.try_get().flatten().map(|listed| {
                    if listed.is_empty() {
                        if ready.try_with(Option::is_some).unwrap_or(true) {
                            ().into_any()
                        } else {
                            view! {
                                <EmptyState purpose="Choose a log above and run the detection: every login is scored, and the risky ones are listed with the evidence behind them." />
                            }
                                .into_any()
                        }
                    } else {
                        view! { <KeptRuns listed /> }.into_any()
                    }
                })
            }}
        </Suspense>
    }
}

/// Earlier runs kept on the server, each a link to its results.
#[component]
fn KeptRuns(listed: Vec<RunListing>) -> impl IntoView {
    view! {
        <section class="kept-runs" data-testid="choose-run">
            <h2>"Choose a kept analysis"</h2>
            <p class="muted">"Open one to triage its logins, or choose a log above and run the detection."</p>
            <ul class="recent-runs" data-testid="recent-runs">
                {listed
                    .into_iter()
                    .map(|run| {
                        let href = format!("/detect?run={}", run.id);
                        view! {
                            <li>
                                <a href=href>{run.file_name}</a>
                                <span class="muted">
                                    {format!(
                                        " · {} · {} logins, {} risky (High from {:.2})",
                                        format_utc(run.created_ms),
                                        count(run.logins),
                                        count(run.at_or_above_threshold),
                                        run.threshold,
                                    )}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ChoicesForm(choices: RwSignal<DetectionChoices>) -> impl IntoView {
    let toggle = move |label: &'static str,
                       id: &'static str,
                       get: fn(&DetectionChoices) -> bool,
                       set: fn(&mut DetectionChoices, bool)| {
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    data-testid=id
                    prop:checked=move || choices.with(get)
                    on:change=move |event| {
                        let on = event_target_checked(&event);
                        choices.update(|choices| set(choices, on));
                    }
                />
                {label}
            </label>
        }
    };
    let number = move |label: &'static str,
                       id: &'static str,
                       get: fn(&DetectionChoices) -> f64,
                       set: fn(&mut DetectionChoices, f64)| {
        view! {
            <label>
                {label}
                <input
                    type="number"
                    min="0"
                    max="1"
                    step="0.05"
                    data-testid=id
                    prop:value=move || choices.with(get).to_string()
                    on:change=move |event| {
                        if let Ok(value) = event_target_value(&event).parse::<f64>() {
                            choices.update(|choices| set(choices, value));
                        }
                    }
                />
            </label>
        }
    };
    view! {
        <fieldset class="choices">
            <legend>"Detectors and weights"</legend>
            <div class="choice-row">
                {toggle("Isolation Forest", "use-forest", |c| c.isolation_forest, |c, on| c.isolation_forest = on)}
                {number("weight", "weight-forest", |c| c.weight_isolation_forest, |c, v| c.weight_isolation_forest = v)}
            </div>
            <div class="choice-row">
                <label title="The share of logins expected to be anomalous (above 0, at most 0.5); empty for the paper's fixed cutoff">
                    "Forest contamination"
                    <input
                        type="number"
                        min="0.001"
                        max="0.5"
                        step="0.01"
                        placeholder="auto"
                        data-testid="contamination"
                        prop:value=move || {
                            choices.with(|c| c.contamination.map(|share| share.to_string()).unwrap_or_default())
                        }
                        on:change=move |event| {
                            let text = event_target_value(&event);
                            let share = text.trim().parse::<f64>().ok();
                            choices.update(|choices| choices.contamination = share);
                        }
                    />
                </label>
            </div>
            <div class="choice-row">
                {toggle("DBSCAN", "use-dbscan", |c| c.dbscan, |c, on| c.dbscan = on)}
                {number("weight", "weight-dbscan", |c| c.weight_dbscan, |c, v| c.weight_dbscan = v)}
            </div>
            <div class="choice-row">
                {toggle("Statistical", "use-statistical", |c| c.statistical, |c, on| c.statistical = on)}
                {number("weight", "weight-statistical", |c| c.weight_statistical, |c, v| c.weight_statistical = v)}
            </div>
            <div class="choice-row">
                <label title="Where High begins: logins scoring at least this are risky on every page, report and alert. Empty keeps the server's setting (risk.high, 0.60 by default); it must lie between the Medium and Critical boundaries.">
                    "Risk threshold (High from)"
                    <input
                        type="number"
                        min="0.01"
                        max="0.99"
                        step="0.05"
                        placeholder="server's (0.60)"
                        data-testid="threshold"
                        prop:value=move || {
                            choices.with(|c| c.threshold.map(|value| value.to_string()).unwrap_or_default())
                        }
                        on:change=move |event| {
                            let text = event_target_value(&event);
                            let value = text.trim().parse::<f64>().ok();
                            choices.update(|choices| choices.threshold = value);
                        }
                    />
                </label>
            </div>
            <div class="choice-row">
                {toggle("Geolocation (country-level in the browser)", "use-geo", |c| c.geolocation, |c, on| c.geolocation = on)}
            </div>
        </fieldset>
    }
}

#[component]
fn Results(
    run: Run,
    rescored: RwSignal<Option<Result<String, String>>>,
    on_rescored: Callback<DetectionSummary>,
    /// From the click that asked for these results to their first page on screen (ms).
    shown_in: RwSignal<Option<f64>>,
    on_shown: Callback<()>,
) -> impl IntoView {
    let summary = run.summary().clone();
    let where_run = match &run {
        Run::Server(summary) => {
            let reports = format!("/reports?run={}", summary.id);
            view! {
                <span class="badge" data-testid="detected-where">"Scored on the server"</span>
                <a class="button" href=reports data-testid="open-reports">"Reports for this run"</a>
                <Rescore id=summary.id.clone() status=rescored on_rescored />
            }
            .into_any()
        }
        Run::Local(summary) => {
            let geolocation = if summary.choices.geolocation {
                " (country-level geolocation)"
            } else {
                ""
            };
            view! { <span class="badge local" data-testid="detected-where">"Analysed locally — nothing left your browser" {geolocation}</span> }.into_any()
        }
    };
    // A kept run's users have details on the dashboard; a browser-only run has no dashboard.
    let user_link = match &run {
        Run::Server(summary) => {
            let run_id = summary.id.clone();
            Some(Callback::new(move |user: String| {
                DashboardQuery {
                    run: run_id.clone(),
                    focus: user,
                    ..DashboardQuery::default()
                }
                .href()
            }))
        }
        Run::Local(_) => None,
    };
    let profile = &summary.profile;
    let grid_run = GridRun {
        id: summary.id.clone(),
        source: summary.source.to_string(),
        local: matches!(run, Run::Local(_)),
        threshold: summary.high_from,
    };
    let refresh = RwSignal::new(0u32);
    // The grid boxed apart: the page's static type would otherwise be too deep for the compiler.
    let grid = view! { <TriageGrid run=grid_run refresh on_shown on_rescored /> }.into_any();
    let results = view! {
        <section class="result" data-testid="detection">
            <header class="result-header">
                <h2>"Results for " {summary.file_name.clone()}</h2>
                {where_run}
            </header>
            <FeedbackNote summary=summary.clone() />
            <p class="muted" data-testid="detection-counts">
                {format!(
                    "{} logins scored ({} records read, {} rejected, {} skipped){}.",
                    count(profile.accepted),
                    count(profile.rows_read),
                    count(profile.rejected),
                    count(profile.skipped_total()),
                    summary.geo_data.as_ref().map_or(String::from("; no geolocation"), |_| String::from("; with geolocation")),
                )}
            </p>
            <Timing elapsed_ms=summary.elapsed_ms local=matches!(run, Run::Local(_)) shown_in />
            <dl class="stats levels">
                {summary
                    .levels
                    .iter()
                    .rev()
                    .map(|(level, number)| {
                        let class = format!("stat level-{}", level.as_str().to_lowercase());
                        view! {
                            <div class=class>
                                <dt>{level.as_str()}</dt>
                                <dd data-testid=format!("level-{}", level.as_str().to_lowercase())>{count(*number)}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
            <p data-testid="detection-conclusions">
                {format!(
                    "Accounts: {} compromised, {} suspicious. Incidents: {} ({} compromised accounts, {} campaigns). Impossible travel: {} logins; fast travel with an explanation (an uncertain location, a shared or familiar network): {}.",
                    count(summary.accounts.compromised),
                    count(summary.accounts.suspicious),
                    count(summary.incidents.total),
                    count(summary.incidents.accounts),
                    count(summary.incidents.campaigns),
                    count(summary.travel.impossible),
                    count(summary.travel.explained),
                )}
            </p>
            <div class="charts">
                <Histogram bins=summary.histogram.clone() threshold=summary.high_from />
                <LevelPie levels=summary.levels.clone() />
                <AgreementView summary=summary.clone() />
            </div>
            <h3>"Riskiest users"</h3>
            <RiskiestUsers users=summary.top_users.clone() testid="top-users" link=user_link />
        </section>
    }
    .into_any();
    view! {
        {results}
        {grid}
    }
}

/// Scores the run again with the verdicts and allow-list entries recorded since.
#[component]
fn Rescore(
    id: String,
    status: RwSignal<Option<Result<String, String>>>,
    on_rescored: Callback<DetectionSummary>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let rescore = move |_| {
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let outcome = rescore_run(id).await;
            busy.set(false);
            match outcome {
                Ok(rerun) => {
                    status.set(Some(Ok(format!(
                        "Re-scored: {} changed level, {} with suppressed findings.",
                        counted(rerun.changed_levels as u64, "login"),
                        count(rerun.suppressed as u64)
                    ))));
                    on_rescored.run(rerun.summary);
                }
                Err(error) => status.set(Some(Err(server_message(error)))),
            }
        });
    };
    view! {
        <button type="button" class="button" data-testid="rescore" disabled=busy on:click=rescore
            title="Score this run again with the verdicts and allow-list entries recorded since">
            "Re-score with feedback"
        </button>
        {move || status.get().map(|outcome| match outcome {
            Ok(message) => view! { <span class="muted" role="status" data-testid="rescore-status">{message}</span> }.into_any(),
            Err(message) => view! { <span class="error" role="alert" data-testid="rescore-status">{message}</span> }.into_any(),
        })}
    }
}

/// What the run learnt from besides its own logins, when anything.
#[component]
fn FeedbackNote(summary: DetectionSummary) -> impl IntoView {
    let feedback = summary.feedback;
    let mut parts = Vec::new();
    if feedback.history_logins > 0 {
        parts.push(format!(
            "learnt first from {} of kept runs",
            counted(feedback.history_logins, "earlier login")
        ));
    }
    if feedback.allow_list_entries + feedback.verdicts > 0 {
        let entries = if feedback.allow_list_entries == 1 {
            "1 allow-list entry".to_owned()
        } else {
            format!("{} allow-list entries", count(feedback.allow_list_entries))
        };
        parts.push(format!(
            "applied {entries} and {} ({} with suppressed findings)",
            counted(feedback.verdicts, "verdict"),
            counted(feedback.suppressed_logins, "login")
        ));
    }
    (!parts.is_empty()).then(|| {
        view! { <p class="muted" data-testid="feedback-note">{format!("This run {}.", parts.join("; "))}</p> }
    })
}

/// Logins per score bin, with the threshold drawn across.
#[component]
fn Histogram(bins: Vec<u64>, threshold: f64) -> impl IntoView {
    const WIDTH: f64 = 400.0;
    const HEIGHT: f64 = 140.0;
    let tallest = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bar_width = WIDTH / HISTOGRAM_BINS as f64;
    // Square-root heights keep the few risky logins visible beside the many ordinary ones.
    let bars = bins
        .iter()
        .enumerate()
        .map(|(index, &number)| {
            let height = (number as f64 / tallest).sqrt() * HEIGHT;
            let from = index as f64 / HISTOGRAM_BINS as f64;
            let class = match from {
                f if f >= 0.8 => "bar critical",
                f if f >= 0.6 => "bar high",
                f if f >= 0.4 => "bar medium",
                _ => "bar low",
            };
            view! {
                <rect class=class x=index as f64 * bar_width + 1.0 y=HEIGHT - height width=bar_width - 2.0 height=height>
                    <title>{format!("{:.2}–{:.2}: {} logins", from, from + 0.05, count(number))}</title>
                </rect>
            }
        })
        .collect_view();
    let x = threshold * WIDTH;
    let option = move |palette| chart_options::histogram(&bins, threshold, &palette);
    view! {
        <figure class="chart histogram" data-testid="histogram">
            <InteractiveChart option label="Histogram of risk scores" />
            <svg viewBox=format!("0 0 {WIDTH} {}", HEIGHT + 18.0) role="img" aria-label="Histogram of risk scores">
                {bars}
                <line class="threshold" x1=x x2=x y1="0" y2=HEIGHT />
                <text class="axis" x="0" y=HEIGHT + 14.0>"0"</text>
                <text class="axis" x=WIDTH - 8.0 y=HEIGHT + 14.0>"1"</text>
                <text class="axis threshold-label" x=x + 3.0 y="12">{format!("threshold {threshold:.2}")}</text>
            </svg>
            <figcaption>"Risk scores: logins per 0.05 band, on a compressed scale so the few risky logins stay visible"</figcaption>
        </figure>
    }
    .into_any()
}

#[component]
fn AgreementView(summary: DetectionSummary) -> impl IntoView {
    let agreement = summary.agreement;
    view! {
        <figure class="chart agreement" data-testid="agreement">
            <table>
                <caption>{format!("Detector agreement on the {} risky logins (High or above, from {:.2})", count(summary.at_or_above_threshold), summary.high_from)}</caption>
                <tbody>
                    {agreement
                        .flagged_by
                        .iter()
                        .map(|(detector, number)| view! { <tr><th scope="row">{detector.label()}</th><td>{count(*number)}</td></tr> })
                        .collect_view()}
                    <tr><th scope="row">"All scoring detectors"</th><td>{count(agreement.flagged_by_all)}</td></tr>
                    <tr><th scope="row">"Rules only"</th><td>{count(agreement.rules_only)}</td></tr>
                </tbody>
            </table>
        </figure>
    }
}

/// How long the results took: from the click to the first page on screen (measured in the
/// browser) when this page asked for them, and what the analysis itself took.
#[component]
fn Timing(elapsed_ms: u64, local: bool, shown_in: RwSignal<Option<f64>>) -> impl IntoView {
    let analysis = crate::components::took(elapsed_ms as f64);
    let measured = if local {
        format!("reading and scoring the file in this browser took {analysis}")
    } else {
        format!(
            "the server's analysis took {analysis} (reading and scoring; not the upload, keeping the results or drawing them)"
        )
    };
    view! {
        <p class="muted" data-testid="detection-timing">
            {move || match shown_in.get() {
                Some(total) => format!(
                    "Results on screen {} after your click; {measured}.",
                    crate::components::took(total)
                ),
                None => {
                    let mut sentence = measured.clone();
                    if let Some(first) = sentence.get_mut(..1) {
                        first.make_ascii_uppercase();
                    }
                    format!("{sentence}.")
                }
            }}
        </p>
    }
}
