//! Reports: a kept run's executive, technical or incident report, previewed in the page and
//! downloadable as PDF, CSV and JSON. Everything is in the address (`/reports?run=ID&kind=…&
//! level=…&from=…&to=…`), so a report is a link that works on refresh and before hydration.

use engine::RiskLevel;
use engine::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use reports::charts;
use reports::export::period;
use reports::model::{GroupPage, IncidentGroup, PDF_INCIDENTS, ReportMeta};
use reports::{ExecutiveReport, ReportKind, TechnicalReport};

use crate::components::{EmptyState, ReportDownload};
use crate::server_fns::{
    IncidentPreview, PageRequest, ReportView, recent_runs, report_preview, server_message,
};
use service::dashboard::LIVE;
use service::text::{count, counted, query_value};

const REPORT_KINDS: [ReportKind; 3] = [
    ReportKind::Executive,
    ReportKind::Technical,
    ReportKind::Incident,
];

/// What the address asks for.
#[derive(Clone, Debug, PartialEq)]
struct Request {
    run: String,
    /// The source of monitored logins, for the run `live`.
    source: String,
    kind: ReportKind,
    level: String,
    from: String,
    to: String,
    /// Which page of the incident report (see [`PageRequest`]).
    paging: PageRequest,
}

impl Request {
    /// The query of a download link: this report (or `kind`) as `format`, same filter.
    fn download(&self, kind: ReportKind, format: &str) -> String {
        let of = if self.is_live() {
            format!("monitored/{}", query_value(self.source_name()))
        } else {
            format!("analyses/{}", query_value(&self.run))
        };
        format!(
            "/api/v1/{of}/report?kind={}&format={format}{}",
            kind.name(),
            self.filter_query()
        )
    }

    fn with_kind(&self, kind: ReportKind) -> String {
        let source = if self.source.is_empty() {
            String::new()
        } else {
            format!("&source={}", query_value(&self.source))
        };
        format!(
            "/reports?run={}{source}&kind={}{}",
            query_value(&self.run),
            kind.name(),
            self.filter_query()
        )
    }

    fn is_live(&self) -> bool {
        self.run == LIVE
    }

    fn source_name(&self) -> &str {
        if self.source.trim().is_empty() {
            "default"
        } else {
            self.source.trim()
        }
    }

    /// Page `page` (0-based) of the incident report, same filter.
    fn incident_page(&self, page: usize) -> String {
        let mut href = self.with_kind(ReportKind::Incident);
        if page > 0 {
            href.push_str(&format!("&page={}", page + 1));
        }
        href
    }

    /// `&level=…&from=…&to=…` for the filters that are set.
    fn filter_query(&self) -> String {
        [
            ("level", &self.level),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("&{name}={}", query_value(value)))
        .collect()
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let request = Memo::new(move |_| {
        query.with(|query| {
            let text = |name: &str| query.get(name).unwrap_or_default();
            let run = text("run");
            (!run.is_empty()).then(|| Request {
                run,
                source: text("source"),
                kind: ReportKind::from_name(&text("kind"))
                    .filter(|kind| REPORT_KINDS.contains(kind))
                    .unwrap_or(ReportKind::Executive),
                level: text("level"),
                from: text("from"),
                to: text("to"),
                paging: PageRequest {
                    page: text("page"),
                    incident: text("incident"),
                    group: text("group"),
                },
            })
        })
    });
    view! {
        <Title text="Reports" />
        <h1>"Reports"</h1>
        <p class="lead">
            "Executive, technical and incident reports of a kept analysis, or of the logins monitored over a time range: read them here, download them as PDF, CSV or JSON."
        </p>
        {move || match request.get() {
            _ if cfg!(feature = "csr") => view! {
                <p class="muted" data-testid="needs-server">
                    "Reports are typeset by the Sky Trace server; this offline build has none. Run "
                    <code>"./dev start"</code> " (or " <code>"skytrace report"</code>
                    ") to produce them."
                </p>
            }
                .into_any(),
            None => view! { <KeptRuns /> }.into_any(),
            Some(request) => view! { <ReportFor request /> }.into_any(),
        }}
    }
}

/// Kept runs, each a link to its reports; "No analysis yet" only when none is kept.
#[component]
fn KeptRuns() -> impl IntoView {
    let runs = Resource::new(|| (), |()| recent_runs(String::new()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading kept runs…"</p> }>
            {move || {
                runs.get()
                    .map(|listed| match listed {
                        Ok(listed) if !listed.is_empty() => view! {
                            <MonitoredReports />
                            <h2>"Choose a kept analysis"</h2>
                            <p class="muted">"Its executive, technical and incident reports open here."</p>
                            <ul class="recent-runs" data-testid="report-runs">
                                {listed
                                    .into_iter()
                                    .map(|run| {
                                        let href = format!("/reports?run={}", query_value(&run.id));
                                        view! {
                                            <li>
                                                <a href=href>{run.file_name}</a>
                                                <span class="muted">
                                                    {format!(
                                                        " · {} · {} logins",
                                                        format_utc(run.created_ms),
                                                        count(run.logins),
                                                    )}
                                                </span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Ok(_) => view! {
                            <MonitoredReports />
                            <EmptyState purpose="Run a detection on the server first: the reports of every kept analysis open here." />
                        }
                            .into_any(),
                        Err(error) => view! { <p class="error" role="alert">{server_message(error)}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Reports of monitored logins (what the server received from log shippers) of a source and a
/// time range: the last 24 hours, the last 7 days, or the dates chosen on the report.
#[component]
fn MonitoredReports() -> impl IntoView {
    let week_ago = format_utc(now_ms() - 6 * 86_400_000);
    let last_week = format!("/reports?run={LIVE}&from={}", &week_ago[..10]);
    view! {
        <h2>"Monitored logins"</h2>
        <p class="muted">
            "The logins sent to this server as they happen (events API, HEC collector, syslog, Okta hook), concluded on as an analysis is."
        </p>
        <ul class="recent-runs" data-testid="monitored-reports">
            <li><a href=format!("/reports?run={LIVE}") data-testid="monitored-24h">"The last 24 hours"</a></li>
            <li><a href=last_week data-testid="monitored-7d">"The last 7 days"</a></li>
        </ul>
    }
}

/// This instant: the server's clock while rendering, the browser's once hydrated.
fn now_ms() -> i64 {
    #[cfg(feature = "ssr")]
    {
        service::clock::now_ms()
    }
    #[cfg(not(feature = "ssr"))]
    {
        js_sys::Date::now() as i64
    }
}

#[component]
fn ReportFor(request: Request) -> impl IntoView {
    let asked = request.clone();
    let report = Resource::new(
        move || asked.clone(),
        |asked| {
            report_preview(
                asked.run,
                asked.kind.name().to_owned(),
                asked.level,
                asked.from,
                asked.to,
                asked.paging,
                asked.source,
            )
        },
    );
    let tabs = REPORT_KINDS
        .into_iter()
        .map(|kind| {
            let current = kind == request.kind;
            view! {
                <a
                    href=request.with_kind(kind)
                    class=if current { "tab current" } else { "tab" }
                    aria-current=current.then_some("page")
                    data-testid=format!("tab-{}", kind.name())
                >
                    {kind.label()}
                </a>
            }
        })
        .collect_view();
    let downloads = request
        .kind
        .formats()
        .iter()
        .map(|format| {
            let name = format.name();
            let note = (request.kind == ReportKind::Incident && name == "pdf").then(|| {
                format!("the {PDF_INCIDENTS} most severe incidents at most; the CSV and JSON hold them all")
            });
            view! {
                <ReportDownload
                    href=request.download(request.kind, name)
                    label=format!("Download {}", name.to_uppercase())
                    testid=format!("download-{name}")
                    note=note.unwrap_or_default()
                />
            }
        })
        .collect_view();
    let level_options = RiskLevel::ALL
        .into_iter()
        .rev()
        .map(|level| {
            let value = level.as_str().to_lowercase();
            let selected = request.level.eq_ignore_ascii_case(&value);
            view! { <option value=value.clone() selected=selected>{level.as_str()}</option> }
        })
        .collect_view();
    let events_csv = request.download(ReportKind::Events, "csv");
    let (run, kind) = (request.run.clone(), request.kind.name());
    let (from, to) = (request.from.clone(), request.to.clone());
    let live = request.is_live();
    let span = format!(
        "Monitored logins of source {}: {}",
        request.source_name(),
        if request.from.is_empty() && request.to.is_empty() {
            "the last 24 hours. Choose From and To for other days (31 at most)."
        } else {
            "the days chosen below (31 at most; one open end reaches to now)."
        }
    );
    let source = request.source.clone();
    view! {
        {live.then(|| view! { <p class="lead" data-testid="monitored-span">{span}</p> })}
        <nav class="tabs" aria-label="Report">{tabs}</nav>
        <Form method="GET" action="/reports">
            <div class="filters report-filters">
                <input type="hidden" name="run" value=run.clone() />
                <input type="hidden" name="kind" value=kind />
                {live.then(|| view! {
                    <label>
                        "Source " <input type="text" name="source" value=source placeholder="default" data-testid="report-source" />
                    </label>
                })}
                <label>
                    "Level "
                    <select name="level" data-testid="report-level">
                        <option value="">"Default"</option>
                        {level_options}
                    </select>
                </label>
                <label>
                    "From " <input type="date" name="from" value=from.clone() data-testid="report-from" />
                </label>
                <label>
                    "To " <input type="date" name="to" value=to.clone() data-testid="report-to" />
                </label>
                <button type="submit" class="button" data-testid="report-apply">"Apply"</button>
            </div>
        </Form>
        <div class="actions downloads">
            {downloads}
            <ReportDownload href=events_csv label="Scored logins (CSV)".to_owned() testid="download-events-csv".to_owned() />
        </div>
        <Suspense fallback=|| view! { <p class="muted" data-testid="report-loading">"Preparing the report…"</p> }>
            {move || {
                report.get().map(|result| match result {
                    Ok(ReportView::Executive(report)) => view! { <ExecutiveView report=*report /> }.into_any(),
                    Ok(ReportView::Technical(report)) => view! { <TechnicalView report=*report /> }.into_any(),
                    Ok(ReportView::Incident(preview)) => view! { <IncidentView preview=*preview request=request.clone() /> }.into_any(),
                    Err(error) => view! {
                        <section class="result error" role="alert" data-testid="report-error">
                            <h2>"Cannot show this report"</h2>
                            <p>{server_message(error)}</p>
                        </section>
                    }
                        .into_any(),
                })
            }}
        </Suspense>
    }
}

fn level_badge(level: RiskLevel) -> impl IntoView {
    view! {
        <span class=format!("level-badge level-{}", level.as_str().to_lowercase())>{level.as_str()}</span>
    }
}

/// A chart drawn by the reports crate (its text is escaped there).
fn chart(svg: String, label: &'static str) -> impl IntoView {
    view! { <figure class="report-chart" aria-label=label inner_html=svg></figure> }
}

#[component]
fn MetaLine(meta: ReportMeta) -> impl IntoView {
    view! {
        <header class="result-header">
            <h2>{format!("{} — {}", meta.title, meta.source_name)}</h2>
        </header>
        <p class="muted" data-testid="report-meta">
            {format!(
                "{}; {}{}",
                period(meta.first_ms, meta.last_ms),
                meta.filter.describe(),
                meta.geo_data.as_ref().map_or("; no geolocation", |_| "; with geolocation"),
            )}
        </p>
    }
}

#[component]
fn ExecutiveView(report: ExecutiveReport) -> impl IntoView {
    let posture_class = format!(
        "posture posture-{}",
        report.posture.level.as_str().to_lowercase()
    );
    let high: u64 = report
        .levels
        .iter()
        .filter(|(level, _)| *level >= RiskLevel::High)
        .map(|(_, number)| number)
        .sum();
    view! {
        <section class="result report" data-testid="report-executive">
            <MetaLine meta=report.meta.clone() />
            <div class=posture_class data-testid="posture">
                <span class="posture-label">"Overall posture "</span>
                <strong>{report.posture.level.as_str()}</strong>
                <p>{report.posture.rule.clone()}</p>
            </div>
            <dl class="stats">
                <div class="stat"><dt>"Logins"</dt><dd>{count(report.logins)}</dd></div>
                <div class="stat"><dt>"Users"</dt><dd>{count(report.users)}</dd></div>
                <div class="stat"><dt>"Countries"</dt><dd>{count(report.countries)}</dd></div>
                <div class="stat level-high"><dt>"High or Critical"</dt><dd>{count(high)}</dd></div>
                <div class="stat level-critical"><dt>"Incidents"</dt><dd data-testid="incident-count">{count(report.incident_count)}</dd></div>
            </dl>
            <div class="charts">
                {chart(charts::levels(&report.levels), "Logins by level")}
                {chart(charts::trend(&report.trend, &report.trend_unit), "Trend")}
                {chart(charts::countries(&report.top_countries), "Logins by country")}
            </div>
            <h3>"Top incidents"</h3>
            <IncidentBriefs report=report.clone() />
            <h3>"Riskiest users"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead><tr><th scope="col">"User"</th><th scope="col">"Risk"</th><th scope="col">"Level"</th><th scope="col">"Logins"</th></tr></thead>
                    <tbody>
                        {report.top_users.iter().map(|user| view! {
                            <tr>
                                <td>{user.user_id.clone()}</td>
                                <td>{format!("{:.2}", user.risk_score)}</td>
                                <td>{level_badge(user.risk_level)}</td>
                                <td>{count(user.logins.into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h3>"Recommendations"</h3>
            <ol data-testid="recommendations">
                {report.recommendations.iter().map(|advice| view! { <li>{advice.clone()}</li> }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

#[component]
fn IncidentBriefs(report: ExecutiveReport) -> impl IntoView {
    if report.top_incidents.is_empty() {
        return view! { <p class="muted">"No incidents."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="data" data-testid="top-incidents">
                <thead><tr><th scope="col">"Incident"</th><th scope="col">"Severity"</th><th scope="col">"What happened"</th><th scope="col">"First seen"</th><th scope="col">"Accounts"</th></tr></thead>
                <tbody>
                    {report.top_incidents.iter().map(|incident| view! {
                        <tr>
                            <td><code>{incident.id.clone()}</code></td>
                            <td>{level_badge(incident.severity)}</td>
                            <td>{incident.title.clone()}</td>
                            <td>{format_utc(incident.first_ms)}</td>
                            <td>{count(incident.accounts)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TechnicalView(report: TechnicalReport) -> impl IntoView {
    let profile = report.profile.clone();
    let rows = [
        ("Format", profile.format.label().to_owned()),
        ("Records read", count(profile.rows_read)),
        ("Accepted", count(profile.accepted)),
        ("Rejected", count(profile.rejected)),
        ("Skipped", count(profile.skipped_total())),
        ("Users", count(profile.distinct_users)),
        ("IP addresses", count(profile.distinct_ips)),
        (
            "Successful / failed",
            format!("{} / {}", count(profile.successes), count(profile.failures)),
        ),
    ];
    view! {
        <section class="result report" data-testid="report-technical">
            <MetaLine meta=report.meta.clone() />
            <h3>"Data"</h3>
            <dl class="facts">
                {rows.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
            <h3>"Detectors and agreement"</h3>
            <p>{format!(
                "{} risky logins (High or above, from {:.2}); {} flagged by every detector that scored them. A detector flags a login when its own score reaches the High boundary.",
                count(report.at_or_above_threshold),
                report.threshold,
                count(report.flagged_by_all),
            )}</p>
            <div class="table-scroll" tabindex="0">
                <table class="data" data-testid="detectors">
                    <thead><tr><th scope="col">"Detector"</th><th scope="col">"Enabled"</th><th scope="col">"Weight"</th><th scope="col">"Logins scored"</th><th scope="col">"Mean score"</th><th scope="col">"Flagged"</th><th scope="col">"Of the risky"</th></tr></thead>
                    <tbody>
                        {report.detectors.iter().map(|row| view! {
                            <tr>
                                <td>{row.detector.clone()}</td>
                                <td>{if row.enabled { "yes" } else { "no" }}</td>
                                <td>{format!("{:.2}", row.weight)}</td>
                                <td>{count(row.scored)}</td>
                                <td>{format!("{:.3}", row.mean_score)}</td>
                                <td>{count(row.flagged)}</td>
                                <td>{count(row.flagged_risky)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="charts">
                {chart(charts::levels(&report.levels), "Logins by level")}
                {chart(charts::histogram(&report.histogram, report.threshold), "Distribution of scores")}
            </div>
            <h3>"Findings by type"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data" data-testid="findings">
                    <thead><tr><th scope="col">"Finding"</th><th scope="col">"Logins"</th><th scope="col">"Users"</th><th scope="col">"High or above"</th><th scope="col">"Strongest example"</th></tr></thead>
                    <tbody>
                        {report.findings.iter().map(|row| view! {
                            <tr>
                                <td>{row.title.clone()}</td>
                                <td>{count(row.logins)}</td>
                                <td>{count(row.users)}</td>
                                <td>{count(row.high_or_above)}</td>
                                <td>{row.example.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h3>"Geography and networks"</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead><tr><th scope="col">"Country"</th><th scope="col">"Logins"</th><th scope="col">"High or above"</th><th scope="col">"Mean risk"</th></tr></thead>
                    <tbody>
                        {report.countries.iter().map(|row| view! {
                            <tr><td>{row.country.clone()}</td><td>{count(row.logins)}</td><td>{count(row.high_or_above)}</td><td>{format!("{:.3}", row.mean_risk)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p>{report.networks.iter().map(|row| format!("{}: {}", row.name, count(row.count))).collect::<Vec<_>>().join(" · ")}</p>
            <h3>{format!("Users at Medium risk or above ({} of {})", count(report.users.len() as u64), count(report.users_total))}</h3>
            <div class="table-scroll" tabindex="0">
                <table class="data">
                    <thead><tr><th scope="col">"User"</th><th scope="col">"Risk"</th><th scope="col">"Level"</th><th scope="col">"Logins"</th><th scope="col">"High or above"</th></tr></thead>
                    <tbody>
                        {report.users.iter().take(50).map(|user| view! {
                            <tr>
                                <td>{user.user_id.clone()}</td>
                                <td>{format!("{:.2}", user.risk_score)}</td>
                                <td>{level_badge(user.risk_level)}</td>
                                <td>{count(user.logins.into())}</td>
                                <td>{count(user.high_or_above.into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <details>
                <summary>{format!("Parameters used ({})", report.parameters.len())}</summary>
                <dl class="facts parameters">
                    {report.parameters.iter().map(|(name, value)| view! { <dt><code>{name.clone()}</code></dt><dd><code>{value.clone()}</code></dd> }).collect_view()}
                </dl>
            </details>
        </section>
    }
    .into_any()
}

#[component]
fn IncidentView(preview: IncidentPreview, request: Request) -> impl IntoView {
    let IncidentPreview { page, not_found } = preview;
    let summary = format!(
        "{} from logins at {} or above: one per account judged compromised and one per attacking campaign, never one per risky login. IDs come from the content, so the same log gives the same IDs.",
        counted(page.total, "incident"),
        page.params.min_level,
    );
    let shown = if page.incidents.is_empty() {
        String::new()
    } else {
        format!(
            "Incidents {}–{} of {}",
            count(page.first_index as u64 + 1),
            count((page.first_index + page.incidents.len()) as u64),
            count(page.total)
        )
    };
    // Each group's heading goes before its first incident on this page.
    let mut previous: Option<IncidentGroup> = None;
    let articles = page
        .incidents
        .into_iter()
        .map(|(group, incident)| {
            let heading = (previous != Some(group)).then(|| {
                let total = page
                    .groups
                    .iter()
                    .find(|counted| counted.group == group)
                    .map_or(0, |counted| counted.count);
                view! {
                    <h3 class="incident-group" id=group.slug() data-testid=format!("group-{}", group.slug())>
                        {format!("{} ({})", group.title(), count(total))}
                    </h3>
                    <p class="muted">{group.description()}</p>
                }
            });
            previous = Some(group);
            view! {
                {heading}
                <IncidentArticle incident />
            }
        })
        .collect_view();
    view! {
        <section class="result report" data-testid="report-incident">
            <MetaLine meta=page.meta.clone() />
            <p>{summary}</p>
            {not_found.map(|id| view! {
                <p class="notice" role="status" data-testid="incident-not-found">
                    {format!("Incident {id} is not in this report with these filters (it may be below the level shown). The report starts at its first page.")}
                </p>
            })}
            <GroupChips groups=page.groups.clone() request=request.clone() current=page.page />
            <Pager page=page.page pages=page.pages request=request.clone() shown=shown.clone() />
            {articles}
            {(page.pages > 1).then(|| view! { <Pager page=page.page pages=page.pages request=request.clone() shown=shown.clone() /> })}
        </section>
    }
    .into_any()
}

/// The report's groups with their counts, each a link to the page where it starts.
#[component]
fn GroupChips(groups: Vec<GroupPage>, request: Request, current: usize) -> impl IntoView {
    view! {
        <nav class="group-chips" aria-label="Incident groups" data-testid="incident-groups">
            <ul>
                {groups
                    .into_iter()
                    .map(|counted| {
                        let label = format!("{} {}", counted.group.title(), count(counted.count));
                        let testid = format!("groups-{}", counted.group.slug());
                        match counted.first_page {
                            Some(page) => {
                                let href = format!(
                                    "{}#{}",
                                    request.incident_page(page),
                                    counted.group.slug()
                                );
                                view! {
                                    <li>
                                        <a class="chip" href=href data-testid=testid aria-current=(page == current).then_some("page")>
                                            {label}
                                        </a>
                                    </li>
                                }
                                    .into_any()
                            }
                            None => view! { <li><span class="chip empty" data-testid=testid>{label}</span></li> }.into_any(),
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// Page links: previous, the pages around this one (and the first and last), next.
#[component]
fn Pager(page: usize, pages: usize, request: Request, shown: String) -> impl IntoView {
    let mut numbers: Vec<usize> = (0..pages)
        .filter(|&number| number == 0 || number + 1 == pages || number.abs_diff(page) <= 2)
        .collect();
    numbers.dedup();
    let mut links = Vec::new();
    let mut last = None;
    for number in numbers {
        if last.is_some_and(|last: usize| number > last + 1) {
            links.push(view! { <li class="gap" aria-hidden="true">"…"</li> }.into_any());
        }
        last = Some(number);
        let label = (number + 1).to_string();
        links.push(if number == page {
            view! { <li><span class="current" aria-current="page">{label}</span></li> }.into_any()
        } else {
            view! {
                <li><a href=request.incident_page(number) aria-label=format!("Page {label}")>{label.clone()}</a></li>
            }
            .into_any()
        });
    }
    let previous = (page > 0).then(|| request.incident_page(page - 1));
    let next = (page + 1 < pages).then(|| request.incident_page(page + 1));
    view! {
        <nav class="pager incident-pager" aria-label="Incident pages" data-testid="incident-pager">
            <span data-testid="incident-range">{shown}</span>
            <span class="muted">{format!(" · page {} of {}", page + 1, pages)}</span>
            {previous.map(|href| view! { <a href=href rel="prev" data-testid="page-previous">"← Previous"</a> })}
            <ul>{links}</ul>
            {next.map(|href| view! { <a href=href rel="next" data-testid="page-next">"Next →"</a> })}
        </nav>
    }
}

/// One incident: facts, evidence, timeline and response.
#[component]
fn IncidentArticle(incident: engine::Incident) -> impl IntoView {
    let class = format!(
        "incident level-{}",
        incident.severity.as_str().to_lowercase()
    );
    let facts = [
        (
            "When",
            format!(
                "{} to {} ({} flagged logins: {} succeeded, {} failed)",
                format_utc(incident.first_ms),
                format_utc(incident.last_ms),
                count(incident.event_count),
                count(incident.successes),
                count(incident.failures)
            ),
        ),
        ("Accounts", incident.users.join(", ")),
        (
            "Sources",
            incident
                .ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Places", incident.places.join("; ")),
        ("Devices", incident.devices.join("; ")),
        (
            "Before",
            incident.previous_login.as_ref().map_or_else(
                || "—".to_owned(),
                |login| {
                    format!(
                        "{} from {} ({}) on {}",
                        format_utc(login.timestamp_ms),
                        login.ip,
                        login.place,
                        login.device
                    )
                },
            ),
        ),
    ];
    view! {
        <article class=class data-testid="incident" id=incident.id.clone()>
                        <h3>
                            <code>{incident.id.clone()}</code> " " {incident.title.clone()} " " {level_badge(incident.severity)}
                        </h3>
                        <dl class="facts">
                            {facts.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
                        </dl>
                        <h4>"Evidence"</h4>
                        <ul>
                            {incident.findings.iter().map(|finding| view! {
                                <li>{format!("{} ({} logins): {}", engine::incidents::kind_title(finding.kind), finding.count, finding.reason)}</li>
                            }).collect_view()}
                        </ul>
                        <details>
                            <summary>{format!("Timeline ({} of {} flagged logins)", incident.timeline.len(), count(incident.event_count))}</summary>
                            <div class="table-scroll" tabindex="0">
                                <table class="data">
                                    <thead><tr><th scope="col">"Time (UTC)"</th><th scope="col">"Account"</th><th scope="col">"Source"</th><th scope="col">"Place"</th><th scope="col">"Outcome"</th><th scope="col">"Score"</th></tr></thead>
                                    <TimelineRows timeline=incident.timeline.clone() />
                                </table>
                            </div>
                        </details>
                        <h4>"Response"</h4>
                        <ol>{incident.response.iter().map(|step| view! { <li>{step.clone()}</li> }).collect_view()}</ol>
                    </article>
    }
    .into_any()
}

#[component]
fn TimelineRows(timeline: Vec<engine::incidents::TimelineEntry>) -> impl IntoView {
    view! {
        <tbody>
            {timeline.into_iter().map(|entry| view! {
                <tr>
                    <td>{format_utc(entry.timestamp_ms)}</td>
                    <td>{entry.user_id}</td>
                    <td>{entry.ip.to_string()}</td>
                    <td>{entry.place}</td>
                    <td>{match entry.success { Some(true) => "success", Some(false) => "failure", None => "unknown" }}</td>
                    <td>{format!("{:.2} ", entry.risk_score)} {level_badge(entry.risk_level)}</td>
                </tr>
            }).collect_view()}
        </tbody>
    }
    .into_any()
}
