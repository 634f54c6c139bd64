use engine::{RiskLevel, VerdictKind, time::format_utc};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::activity::follow_activity;
use crate::browser::upload_form;
use crate::chart_options;
use crate::components::FilePreview;
use crate::components::{
    EmptyState, FilePicker, InteractiveChart, LevelBadge, LevelPie, Measure, Progress, ProgressBar,
    ReadingOptions, RiskiestUsers, SelectedFile, chosen,
};
use crate::local_analysis;
use crate::server_fns::{
    RunDetection, detection_events, load_detection, recent_runs, record_verdict, rescore_run,
    server_message, upload_with_progress,
};
use service::activity::Activity;
use service::dashboard::DashboardQuery;
use service::detection::{
    DetectionChoices, DetectionSummary, EventOrder, EventPage, EventQuery, HISTOGRAM_BINS,
    RunListing,
};
use service::reading::AUTO;
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
    let selected = SelectedFile::new(None);
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
    let format = RwSignal::new(AUTO.to_owned());
    let mapping = RwSignal::new(String::new());
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
    };
    let sample_failed = move |message: String| run.set(Some(Err(message)));
    let run_on_server = move |_| {
        let navigate = navigate.clone();
        let Some(file) = chosen(selected) else {
            return;
        };
        busy.set(Some("Uploading to the server…"));
        rescored.set(None);
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
        spawn_local(async move {
            let outcome = local_analysis::client::analyse(
                &file,
                format.get_untracked(),
                mapping.get_untracked(),
                choices.get_untracked(),
                move |done, total| progress.set(Some((done, total, Measure::Logins))),
            )
            .await;
            run.set(Some(outcome.map(Run::Local)));
            busy.set(None);
            progress.set(None);
        });
    };
    let cannot_run = move || selected.with(Option::is_none) || busy.with(Option::is_some);

    view! {
        <Title text="Detection" />
        <h1>"Detection"</h1>
        <p class="lead">
            "Score every login of a log from 0 to 1 with the detectors you choose, and list the risky ones with the reasons why."
        </p>
        // One boxed view: the page's static type would otherwise be too deep for the compiler.
        {view! {
            <FilePicker selected busy on_choose=reset on_error=sample_failed />
            <ReadingOptions format mapping />
            <FilePreview selected format mapping />
        }
            .into_any()}
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
            None => Some(
                view! {
                    <EmptyState purpose="Choose a log above and run the detection: every login is scored, and the risky ones are listed with the reasons behind them." />
                    <RecentRuns />
                }
                    .into_any(),
            ),
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
                        on_rescored=Callback::new(move |summary| run.set(Some(Ok(Run::Server(summary)))))
                    />
                }
                    .into_any(),
            ),
        }}
    }
}

/// Earlier runs kept on the server, each a link to its results.
#[component]
fn RecentRuns() -> impl IntoView {
    let runs = RwSignal::new(Vec::<RunListing>::new());
    Effect::new(move |_| {
        if SERVER_AVAILABLE {
            spawn_local(async move {
                if let Ok(listed) = recent_runs(String::new()).await {
                    runs.set(listed);
                }
            });
        }
    });
    move || {
        let listed = runs.get();
        (!listed.is_empty()).then(|| {
            view! {
                <section data-testid="recent-runs">
                    <h2>"Recent runs"</h2>
                    <ul class="recent-runs">
                        {listed
                            .into_iter()
                            .map(|run| {
                                let href = format!("/detect?run={}", run.id);
                                view! {
                                    <li>
                                        <a href=href>{run.file_name}</a>
                                        <span class="muted">
                                            {format!(
                                                " · {} · {} logins, {} at or above {:.2}",
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
        })
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
                {number("Risk threshold", "threshold", |c| c.threshold, |c, v| c.threshold = v)}
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
    view! {
        <section class="result" data-testid="detection">
            <header class="result-header">
                <h2>"Results for " {summary.file_name.clone()}</h2>
                {where_run}
            </header>
            <FeedbackNote summary=summary.clone() />
            <p class="muted" data-testid="detection-counts">
                {format!(
                    "{} logins scored ({} records read, {} rejected, {} skipped) in {} ms{}",
                    count(profile.accepted),
                    count(profile.rows_read),
                    count(profile.rejected),
                    count(profile.skipped_total()),
                    count(summary.elapsed_ms),
                    summary.geo_data.as_ref().map_or(String::from("; no geolocation"), |_| String::from("; with geolocation")),
                )}
            </p>
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
            <div class="charts">
                <Histogram bins=summary.histogram.clone() threshold=summary.choices.threshold />
                <LevelPie levels=summary.levels.clone() />
                <AgreementView summary=summary.clone() />
            </div>
            <h3>"Riskiest users"</h3>
            <RiskiestUsers users=summary.top_users.clone() testid="top-users" link=user_link />
            <RiskyLogins run />
        </section>
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
                <caption>{format!("Detector agreement on the {} logins at or above {:.2}", count(summary.at_or_above_threshold), summary.choices.threshold)}</caption>
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

/// An analyst's verdict on one login, recorded as soon as it is picked.
#[component]
fn VerdictPicker(
    login_id: String,
    source: String,
    verdict: Option<VerdictKind>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let failed = RwSignal::new(None::<String>);
    let label = format!("Verdict on login {login_id}");
    let record = move |event: leptos::ev::Event| {
        let chosen = event_target_value(&event);
        if chosen.is_empty() {
            return;
        }
        let (login_id, source) = (login_id.clone(), source.clone());
        spawn_local(async move {
            match record_verdict(login_id, chosen, String::new(), source).await {
                Ok(_) => refresh.update(|count| *count += 1),
                Err(error) => failed.set(Some(server_message(error))),
            }
        });
    };
    let options = [
        (VerdictKind::ConfirmedSafe, "Confirmed safe"),
        (VerdictKind::ConfirmedCompromised, "Compromised"),
        (VerdictKind::Dismissed, "Dismissed"),
    ];
    view! {
        <select class="verdict" data-testid="verdict" aria-label=label on:change=record>
            <option value="" selected=verdict.is_none()>"—"</option>
            {options.into_iter().map(|(kind, text)| view! {
                <option value=kind.as_str() selected=verdict == Some(kind)>{text}</option>
            }).collect_view()}
        </select>
        {move || failed.get().map(|message| view! { <span class="error" role="alert">{message}</span> })}
    }
}

/// The logins at or above the threshold, filtered and paged (on the server for server runs).
#[component]
fn RiskyLogins(run: Run) -> impl IntoView {
    let threshold = run.summary().choices.threshold;
    let level = RwSignal::new(None::<RiskLevel>);
    let user = RwSignal::new(String::new());
    let order = RwSignal::new(EventOrder::RiskiestFirst);
    let page_number = RwSignal::new(0usize);
    let page = RwSignal::new(None::<Result<EventPage, String>>);
    let on_server = matches!(run, Run::Server(_));
    let refresh = RwSignal::new(0u32);
    let run = StoredValue::new(run);
    Effect::new(move |_| {
        refresh.track();
        let query_now = EventQuery {
            min_score: threshold,
            level: level.get(),
            user: user.get(),
            order: order.get(),
            page: page_number.get(),
            ..EventQuery::default()
        };
        match run.get_value() {
            Run::Local(summary) => spawn_local(async move {
                page.set(Some(
                    local_analysis::client::page(summary.id, query_now).await,
                ));
            }),
            Run::Server(summary) => spawn_local(async move {
                let result = detection_events(summary.id, query_now)
                    .await
                    .map_err(server_message);
                page.set(Some(result));
            }),
        }
    });
    let pick_level = move |event: leptos::ev::Event| {
        let value = event_target_value(&event);
        level.set(
            RiskLevel::ALL
                .into_iter()
                .find(|level| level.as_str() == value),
        );
        page_number.set(0);
    };
    let pick_order = move |event: leptos::ev::Event| {
        order.set(match event_target_value(&event).as_str() {
            "newest" => EventOrder::NewestFirst,
            "oldest" => EventOrder::OldestFirst,
            _ => EventOrder::RiskiestFirst,
        });
        page_number.set(0);
    };
    view! {
        <h3>{format!("Risky logins (score ≥ {threshold:.2})")}</h3>
        <div class="filters">
            <label>"Level "
                <select data-testid="filter-level" on:change=pick_level>
                    <option value="">"Any"</option>
                    {RiskLevel::ALL.into_iter().rev().map(|level| view! { <option value=level.as_str()>{level.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label>"User "
                <input type="search" data-testid="filter-user" placeholder="part of a user name"
                    on:change=move |event| { user.set(event_target_value(&event)); page_number.set(0); } />
            </label>
            <label>"Order "
                <select data-testid="filter-order" on:change=pick_order>
                    <option value="riskiest">"Riskiest first"</option>
                    <option value="newest">"Newest first"</option>
                    <option value="oldest">"Oldest first"</option>
                </select>
            </label>
        </div>
        {move || match page.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            Some(Ok(page_now)) => view! {
                <div class="table-scroll" tabindex="0">
                    <table class="data" data-testid="risky-logins">
                        <thead><tr>
                            <th scope="col">"Time (UTC)"</th><th scope="col">"User"</th><th scope="col">"Address"</th>
                            <th scope="col">"Place"</th><th scope="col">"Score"</th><th scope="col">"Level"</th>
                            {on_server.then(|| view! { <th scope="col">"Verdict"</th> })}
                            <th scope="col">"Reasons"</th>
                        </tr></thead>
                        <tbody>
                            {page_now.rows.into_iter().map(|event| {
                                let login_id = event.login_id();
                                let source = run.with_value(|run| run.summary().source.to_string());
                                let verdict = page_now.verdicts.get(&login_id).copied();
                                let place = match (&event.city, &event.country) {
                                    (Some(city), Some(country)) => format!("{city}, {country}"),
                                    (None, Some(country)) => country.to_string(),
                                    _ => "—".to_owned(),
                                };
                                view! {
                                    <tr>
                                        <td class="nowrap">{format_utc(event.timestamp_ms)}</td>
                                        <td>{event.user_id.to_string()}</td>
                                        <td>{event.ip.to_string()}</td>
                                        <td>{place}</td>
                                        <td>{format!("{:.2}", event.risk_score)}</td>
                                        <td><LevelBadge level=event.risk_level /></td>
                                        {on_server.then(|| view! { <td><VerdictPicker login_id source verdict refresh /></td> }.into_any())}
                                        <td class="reasons">{event.reasons()}</td>
                                    </tr>
                                }
                                .into_any()
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="pager">
                    <button type="button" class="button" data-testid="page-previous" disabled={page_now.page == 0}
                        on:click=move |_| page_number.update(|page| *page = page.saturating_sub(1))>"Previous"</button>
                    <span data-testid="page-status">{format!("Page {} of {} · {} logins", page_now.page + 1, page_now.pages, count(page_now.matching))}</span>
                    <button type="button" class="button" data-testid="page-next" disabled={page_now.page + 1 >= page_now.pages}
                        on:click=move |_| page_number.update(|page| *page += 1)>"Next"</button>
                </div>
            }.into_any(),
        }}
    }
}
