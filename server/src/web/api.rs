//! The versioned REST API under `/api/v1`, described by `/api/v1/openapi.json`: analyses (upload,
//! list, summary), their scored logins (paged JSON or CSV), incidents, reports, and users. Errors
//! are JSON with a stable code and a message, never internals.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::ServerSettings;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use engine::AccountStatus;
use engine::Incident;
use reports::model::{CountRow, IncidentBrief, sorted_counts};
use reports::{Filter, RenderOptions, ReportFormat, ReportKind};
use serde::{Deserialize, Serialize};
use service::DetectionService;
use service::detection::{
    DetectionChoices, DetectionSummary, EventOrder, EventPage, EventQuery, Facets, RunListing,
};
use service::kept::KeptRun;
use service::review::{self, Detection, LoginDetails, Outcome, SourceFilter};
use service::runs::Upload;
use service::source::{SourceListing, SourceName};
use service::upload::UploadError;

use super::error::ApiError;
use super::state::AppState;

const OPENAPI: &str = include_str!("openapi.json");
/// Analyses listed by `GET /api/v1/analyses`.
const LISTED: usize = 100;

/// The analyses, their logins, incidents and reports, and users.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/api/v1/analyses", get(list_analyses).post(create_analysis))
        .route("/api/v1/analyses/{id}", get(analysis))
        .route("/api/v1/analyses/{id}/events", get(analysis_events))
        .route(
            "/api/v1/analyses/{id}/logins/{login_id}",
            get(analysis_login),
        )
        .route("/api/v1/analyses/{id}/incidents", get(analysis_incidents))
        .route("/api/v1/analyses/{id}/report", get(analysis_report))
        .route("/api/v1/users/{user}", get(user_profile))
        .route("/api/v1/sources", get(list_sources))
        // The server's upload limit (`--max-upload-mb`, a layer on the whole app) applies, not
        // axum's 2 MB default for extractors.
        .layer(DefaultBodyLimit::disable())
}

/// An analysis as the API returns it.
#[derive(Debug, Serialize)]
struct AnalysisResource {
    id: String,
    /// Analyses run to completion before they are kept, so a kept one is always `complete`.
    status: &'static str,
    summary: DetectionSummary,
    links: Links,
}

/// Where an analysis's (or a span of monitored logins') logins, incidents, report and page are.
#[derive(Debug, Serialize)]
pub(super) struct Links {
    pub(super) events: String,
    pub(super) incidents: String,
    pub(super) report: String,
    pub(super) page: String,
}

impl AnalysisResource {
    fn of(summary: DetectionSummary) -> Self {
        let id = summary.id.clone();
        Self {
            status: "complete",
            links: Links {
                events: format!("/api/v1/analyses/{id}/events"),
                incidents: format!("/api/v1/analyses/{id}/incidents"),
                report: format!("/api/v1/analyses/{id}/report?kind=executive&format=pdf"),
                page: format!("/detect?run={id}"),
            },
            id,
            summary,
        }
    }
}

/// `?source=NAME`: one source's analyses (every source's without it).
#[derive(Debug, Default, Deserialize)]
pub struct SourceQuery {
    source: Option<String>,
}

impl SourceQuery {
    fn source(&self) -> Result<Option<SourceName>, ApiError> {
        self.source
            .as_deref()
            .map(|name| {
                SourceName::parse(name).map_err(|message| ApiError::bad("bad_source", message))
            })
            .transpose()
    }
}

async fn list_analyses(
    State(service): State<Arc<DetectionService>>,
    Query(query): Query<SourceQuery>,
) -> Result<Json<Vec<RunListing>>, ApiError> {
    Ok(Json(
        service.recent(LISTED, query.source()?.as_ref()).await?,
    ))
}

async fn list_sources(
    State(service): State<Arc<DetectionService>>,
) -> Result<Json<Vec<SourceListing>>, ApiError> {
    Ok(Json(service.sources().await?))
}

/// `multipart/form-data`: `file` (the log), and optionally `source` (default `default`), `format`,
/// `map` and `choices` (JSON: detectors, weights, threshold, geolocation) before it.
async fn create_analysis(
    State(service): State<Arc<DetectionService>>,
    State(settings): State<ServerSettings>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = service::upload::boundary(content_type)?;
    let multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let upload =
        service::upload::read_upload(multipart, settings.max_upload_bytes, &service.spool_dir)
            .await?;
    if let Some(other) = upload
        .fields
        .keys()
        .find(|name| !["source", "format", "map", "choices"].contains(&name.as_str()))
    {
        return Err(UploadError::Unreadable(format!(
            "unknown field {other:?}; expected file, source, format, map or choices"
        ))
        .into());
    }
    let options = upload.ingest_options()?;
    let choices = DetectionChoices::from_json(upload.field("choices"))
        .map_err(|error| ApiError::bad("bad_choices", format!("bad choices: {error}")))?;
    let source = SourceName::parse(upload.field("source"))
        .map_err(|message| ApiError::bad("bad_source", message))?;
    let log = Upload {
        content: upload.content,
        options,
        file_name: upload.file_name,
    };
    let summary = service.run_and_keep(log, choices, source).await?;
    let location = format!("/api/v1/analyses/{}", summary.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AnalysisResource::of(summary)),
    )
        .into_response())
}

async fn analysis(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let summary = service.summary(&id).await?;
    Ok(Json(AnalysisResource::of(summary)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    /// At or above this level.
    pub(super) level: Option<String>,
    pub(super) min_score: Option<f64>,
    pub(super) user: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    /// riskiest (default), newest, oldest, least_risky, user or user_desc.
    pub(super) order: Option<String>,
    pub(super) page: Option<usize>,
    /// success, failure or unknown.
    pub(super) outcome: Option<String>,
    /// Detections (comma-separated names, e.g. `new_country,impossible_travel`): logins with
    /// any of them.
    pub(super) detection: Option<String>,
    /// The account's verdict in the run: compromised, suspicious or clean.
    pub(super) account: Option<String>,
    /// An address, a /24 (/48) network, a network owner (AS13335) or a country code.
    pub(super) source: Option<String>,
    /// json (default, paged) or csv (every matching login).
    pub(super) format: Option<String>,
}

async fn analysis_events(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
    Query(params): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let formats = [ReportFormat::Csv, ReportFormat::Ecs, ReportFormat::Ocsf];
    let (query, format) = events_request(params, &formats)?;
    let Some(format) = format else {
        let page: EventPage = service.page(&id, &query).await?;
        return Ok(Json(EventRows::of(page)).into_response());
    };
    let kept = if format == ReportFormat::Csv {
        service.kept(&id).await?
    } else {
        service.kept_with_logins(&id).await?
    };
    let bytes = tokio::task::spawn_blocking(move || export_events(&kept, &query, format))
        .await
        .map_err(|_| ApiError::internal())??;
    Ok(download(
        format,
        &format!("skytrace-events-{}.{}", safe(&id), format.extension()),
        bytes,
    ))
}

/// The logins an events request asks for, and the format (`None`: a JSON page) among `formats`.
pub(super) fn events_request(
    params: EventsQuery,
    formats: &[ReportFormat],
) -> Result<(EventQuery, Option<ReportFormat>), ApiError> {
    let filter = filter_of(&params.level, &params.from, &params.to)?;
    let min_score = params.min_score.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&min_score) {
        return Err(ApiError::bad(
            "bad_filter",
            format!("min_score must be between 0 and 1, not {min_score}"),
        ));
    }
    let bad = |message: String| ApiError::bad("bad_filter", message);
    let order: EventOrder = params
        .order
        .as_deref()
        .unwrap_or("riskiest")
        .parse()
        .map_err(bad)?;
    let outcome = params
        .outcome
        .as_deref()
        .map(str::parse::<Outcome>)
        .transpose()
        .map_err(bad)?;
    let detections = params
        .detection
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.trim().is_empty())
        .map(str::parse::<Detection>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    let account = params
        .account
        .as_deref()
        .map(|name| {
            [
                AccountStatus::Compromised,
                AccountStatus::Suspicious,
                AccountStatus::Clean,
            ]
            .into_iter()
            .find(|status| status.as_str() == name.trim())
            .ok_or_else(|| {
                bad(format!(
                    "unknown account verdict {name:?}; expected compromised, suspicious or clean"
                ))
            })
        })
        .transpose()?;
    let source = SourceFilter::parse(params.source.as_deref().unwrap_or_default()).map_err(bad)?;
    let query = EventQuery {
        min_score,
        min_level: filter.min_level,
        user: params.user.unwrap_or_default(),
        order,
        page: params.page.unwrap_or(0),
        from_ms: filter.from_ms,
        to_ms: filter.to_ms,
        outcome,
        detections,
        account,
        source,
        ..EventQuery::default()
    };
    query.check().map_err(bad)?;
    let format = match params.format.as_deref().unwrap_or("json") {
        "json" => None,
        name => Some(
            ReportFormat::from_name(name)
                .filter(|format| formats.contains(format))
                .ok_or_else(|| {
                    let names: Vec<&str> = formats.iter().map(|format| format.name()).collect();
                    let listed = match names.split_last() {
                        Some((last, [])) => format!("json or {last}"),
                        Some((last, rest)) => format!("json, {} or {last}", rest.join(", ")),
                        None => "json".to_owned(),
                    };
                    ApiError::bad(
                        "unsupported_format",
                        format!("events come as {listed}, not {name:?}"),
                    )
                })?,
        ),
    };
    Ok((query, format))
}

/// Every login of `kept` that `query` matches, as `format` (CSV, or the SIEM exports when the
/// validated logins are kept with it).
pub(super) fn export_events(
    kept: &KeptRun,
    query: &EventQuery,
    format: ReportFormat,
) -> Result<Vec<u8>, ApiError> {
    let accounts = if query.account.is_some() {
        service::detection::account_statuses(&kept.events, &kept.settings)
    } else {
        Default::default()
    };
    let selected: Vec<&engine::ScoredEvent> = kept
        .events
        .iter()
        .filter(|e| {
            if query.account.is_some() {
                query.matches_in(e, &accounts)
            } else {
                query.matches(e)
            }
        })
        .collect();
    let mut out = Vec::new();
    match format {
        ReportFormat::Ecs => reports::siem::ecs_ndjson(&selected, &kept.logins, &mut out),
        ReportFormat::Ocsf => reports::siem::ocsf_ndjson(&selected, &kept.logins, &mut out),
        _ => reports::export::events_csv(&selected, &mut out),
    }
    .map(|()| out)
    .map_err(|error| {
        tracing::error!(%error, "events export failed");
        ApiError::internal()
    })
}

/// A page of scored logins, each with its login id (for triage), current verdict, outcome,
/// named detections and account verdict; and how all the matching logins divide up.
#[derive(Debug, Serialize)]
pub(super) struct EventRows {
    matching: u64,
    page: usize,
    pages: usize,
    rows: Vec<EventRow>,
    facets: Facets,
}

#[derive(Debug, Serialize)]
struct EventRow {
    login_id: String,
    verdict: Option<engine::VerdictKind>,
    outcome: Outcome,
    detections: Vec<Detection>,
    account: Option<AccountStatus>,
    #[serde(flatten)]
    event: engine::ScoredEvent,
}

impl EventRows {
    pub(super) fn of(page: EventPage) -> Self {
        let EventPage {
            matching,
            page,
            pages,
            rows,
            verdicts,
            accounts,
            facets,
        } = page;
        let rows = rows
            .into_iter()
            .map(|event| {
                let login_id = event.login_id();
                EventRow {
                    verdict: verdicts.get(&login_id).copied(),
                    login_id,
                    outcome: Outcome::of(event.success),
                    detections: review::detections(&event),
                    account: accounts.get(event.user_id.as_ref()).copied(),
                    event,
                }
            })
            .collect();
        Self {
            matching,
            page,
            pages,
            rows,
            facets,
        }
    }
}

/// One login of an analysis as the triage panel shows it.
async fn analysis_login(
    State(service): State<Arc<DetectionService>>,
    Path((id, login_id)): Path<(String, String)>,
) -> Result<Json<LoginDetails>, ApiError> {
    Ok(Json(service.login_details(&id, &login_id).await?))
}

#[derive(Debug, Serialize)]
struct IncidentList {
    analysis_id: String,
    incidents: Vec<Incident>,
}

#[derive(Debug, Deserialize)]
pub struct IncidentsQuery {
    pub(super) level: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
}

async fn analysis_incidents(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
    Query(params): Query<IncidentsQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    let filter = filter_of(&params.level, &params.from, &params.to)?;
    let view = service.view(&id).await?;
    let incidents = tokio::task::spawn_blocking(move || {
        reports::model::incidents_of(&view.report_input(), &filter)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(Json(IncidentList {
        analysis_id: id,
        incidents,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub(super) kind: Option<String>,
    pub(super) format: Option<String>,
    pub(super) level: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    /// Incidents an incident report's PDF holds, the most severe (default 100).
    pub(super) top: Option<String>,
}

async fn analysis_report(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let (kind, format, filter, options) = report_request(&query, &ReportFormat::ALL)?;
    let bytes = service.report(&id, kind, format, filter, options).await?;
    let file_name = format!(
        "skytrace-{}-{}.{}",
        kind.name(),
        safe(&id),
        format.extension()
    );
    Ok(download(format, &file_name, bytes))
}

/// The report a request asks for, in one of `formats`.
pub(super) fn report_request(
    query: &ReportQuery,
    formats: &[ReportFormat],
) -> Result<(ReportKind, ReportFormat, Filter, RenderOptions), ApiError> {
    let kind_name = query.kind.as_deref().unwrap_or("executive");
    let kind = ReportKind::from_name(kind_name).ok_or_else(|| {
        ApiError::bad(
            "unknown_kind",
            format!(
                "unknown report kind {kind_name:?}; expected executive, technical, incident or events"
            ),
        )
    })?;
    let format_name = query.format.as_deref().unwrap_or("pdf");
    let format = ReportFormat::from_name(format_name)
        .filter(|format| kind.formats().contains(format) && formats.contains(format))
        .ok_or_else(|| {
            let formats: Vec<&str> = kind
                .formats()
                .iter()
                .filter(|format| formats.contains(format))
                .map(|f| f.name())
                .collect();
            ApiError::bad(
                "unsupported_format",
                format!(
                    "{} reports come as {}, not {format_name:?}",
                    kind.name(),
                    formats.join(", ")
                ),
            )
        })?;
    let filter = filter_of(&query.level, &query.from, &query.to)?;
    let options = RenderOptions {
        pdf_incidents: top_of(query.top.as_deref())?,
    };
    Ok((kind, format, filter, options))
}

/// A user across every kept analysis.
#[derive(Debug, Serialize)]
struct UserProfile {
    user_id: String,
    logins: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    /// Countries and devices of their logins, most frequent first.
    countries: Vec<CountRow>,
    devices: Vec<CountRow>,
    /// Their risk in each analysis, newest analysis first.
    analyses: Vec<UserInAnalysis>,
    /// Their riskiest logins anywhere (at most 10).
    riskiest: Vec<engine::ScoredEvent>,
    /// Incidents their logins form, per analysis.
    incidents: Vec<UserIncident>,
    /// What the engine has learnt about them from every kept login, with analysts' feedback:
    /// what their next upload is compared with. None if none of their logins was learnt from
    /// (analyses kept before logins were kept with them).
    baseline: Option<engine::BaselineSnapshot>,
}

#[derive(Debug, Serialize)]
struct UserInAnalysis {
    analysis_id: String,
    file_name: String,
    created_ms: i64,
    logins: u32,
    risk_score: f64,
    risk_level: engine::RiskLevel,
    high_or_above: u32,
}

#[derive(Debug, Serialize)]
struct UserIncident {
    analysis_id: String,
    #[serde(flatten)]
    incident: IncidentBrief,
}

async fn user_profile(
    State(service): State<Arc<DetectionService>>,
    Path(user): Path<String>,
    Query(query): Query<SourceQuery>,
) -> Result<Json<UserProfile>, ApiError> {
    let source = query.source()?;
    let runs = service.user_logins(&user, source.as_ref()).await?;
    if runs.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no kept analysis has logins of {user:?}"),
        ));
    }
    // What their next upload to this source (their latest analysis' when not named) is
    // compared with.
    let baseline_source = source.unwrap_or_else(|| runs[0].source.clone());
    let baseline = service.learnt_baseline(&user, &baseline_source).await?;
    let profile = tokio::task::spawn_blocking(move || {
        let all: Vec<&engine::ScoredEvent> = runs.iter().flat_map(|run| &run.events).collect();
        let mut countries: BTreeMap<String, u64> = BTreeMap::new();
        let mut devices: BTreeMap<String, u64> = BTreeMap::new();
        for event in &all {
            *countries
                .entry(event.country.as_deref().unwrap_or("unknown").to_owned())
                .or_default() += 1;
            *devices.entry(event.device.to_string()).or_default() += 1;
        }
        let mut riskiest = all.clone();
        riskiest.sort_by(|a, b| {
            b.risk_score
                .total_cmp(&a.risk_score)
                .then(b.timestamp_ms.cmp(&a.timestamp_ms))
        });
        let analyses = runs
            .iter()
            .filter_map(|run| {
                let risk = engine::user_risks(&run.events, &run.settings.risk).pop()?;
                Some(UserInAnalysis {
                    analysis_id: run.analysis_id.clone(),
                    file_name: run.file_name.clone(),
                    created_ms: run.created_ms,
                    logins: risk.logins,
                    risk_score: risk.risk_score,
                    risk_level: risk.risk_level,
                    high_or_above: risk.high_or_above,
                })
            })
            .collect();
        let incidents = runs
            .iter()
            .flat_map(|run| {
                engine::incidents(&run.events, &engine::IncidentParams::default())
                    .iter()
                    .map(|incident| UserIncident {
                        analysis_id: run.analysis_id.clone(),
                        incident: IncidentBrief::from(incident),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        UserProfile {
            user_id: all
                .first()
                .map_or_else(String::new, |event| event.user_id.to_string()),
            logins: all.len() as u64,
            first_ms: all.iter().map(|e| e.timestamp_ms).min(),
            last_ms: all.iter().map(|e| e.timestamp_ms).max(),
            countries: sorted_counts(countries),
            devices: sorted_counts(devices),
            analyses,
            riskiest: riskiest.into_iter().take(10).cloned().collect(),
            incidents,
            baseline,
        }
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(Json(profile))
}

/// The `level`, `from` and `to` parameters, or a `bad_filter` error.
pub(super) fn filter_of(
    level: &Option<String>,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<Filter, ApiError> {
    Filter::parse(level.as_deref(), from.as_deref(), to.as_deref())
        .map_err(|error| ApiError::bad("bad_filter", error.to_string()))
}

/// `top`: how many incidents an incident report's PDF holds (1 to
/// [`service::reporting::MAX_PDF_INCIDENTS`]; default [`reports::PDF_INCIDENTS`]).
fn top_of(top: Option<&str>) -> Result<usize, ApiError> {
    // `top=` with nothing is not a number: the document says integer.
    let Some(text) = top.map(str::trim) else {
        return Ok(reports::PDF_INCIDENTS);
    };
    text.parse::<usize>()
        .ok()
        .filter(|top| (1..=service::reporting::MAX_PDF_INCIDENTS).contains(top))
        .ok_or_else(|| {
            ApiError::bad(
                "bad_filter",
                format!(
                    "top must be a number of incidents from 1 to {}, not {text:?}; the CSV and JSON exports hold every incident",
                    service::reporting::MAX_PDF_INCIDENTS
                ),
            )
        })
}

pub(super) fn download(format: ReportFormat, file_name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The id as it may appear in a file name.
fn safe(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}
