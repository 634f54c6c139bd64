//! Analysts' feedback through the API: verdicts on logins (`/api/v1/findings/{id}`), the
//! allow-list (`/api/v1/allowlist`), and re-scoring a kept analysis with what was taught
//! (`/api/v1/analyses/{id}/rerun`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use service::DetectionService;
use service::account::Account;
use service::detection::Rerun;
use service::ports::ScoredIn;
use service::source::SourceName;
use service::triage::{AllowListEntry, AllowListInput, TriageState};

use super::error::ApiError;
use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/findings/{id}", get(finding_state))
        .route("/api/v1/findings/{id}/triage", post(triage_finding))
        .route("/api/v1/analyses/{id}/rerun", post(rerun_analysis))
        .route("/api/v1/allowlist", get(allow_list).post(create_entry))
        .route(
            "/api/v1/allowlist/{id}",
            get(entry).put(replace_entry).delete(delete_entry),
        )
}

/// A login with its verdicts.
#[derive(Debug, Serialize)]
struct FindingResource {
    login_id: String,
    /// Where the login was scored, newest run first.
    analyses: Vec<ScoredIn>,
    triage: TriageState,
}

async fn finding_resource(
    service: &DetectionService,
    login_id: &str,
    source: Option<&SourceName>,
) -> Result<FindingResource, ApiError> {
    let analyses = service.scored_login(login_id).await?;
    let triage = service.triage(login_id, source).await?;
    Ok(FindingResource {
        login_id: login_id.to_owned(),
        analyses,
        triage,
    })
}

/// `?source=NAME`, needed only when the login is kept in several sources.
#[derive(Debug, Default, Deserialize)]
struct FindingQuery {
    source: Option<SourceName>,
}

async fn finding_state(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
    Query(query): Query<FindingQuery>,
) -> Result<Json<FindingResource>, ApiError> {
    finding_resource(&service, &id, query.source.as_ref())
        .await
        .map(Json)
}

#[derive(Debug, Deserialize)]
struct TriageRequest {
    verdict: String,
    #[serde(default)]
    comment: String,
    /// Needed only when the login is kept in several sources.
    #[serde(default)]
    source: Option<SourceName>,
}

async fn triage_finding(
    State(service): State<Arc<DetectionService>>,
    Extension(by): Extension<Account>,
    Path(id): Path<String>,
    body: JsonBody<TriageRequest>,
) -> Result<Json<FindingResource>, ApiError> {
    let request = json(body)?;
    service
        .record_verdict(
            &id,
            &request.verdict,
            &request.comment,
            request.source.as_ref(),
            &by,
        )
        .await?;
    finding_resource(&service, &id, request.source.as_ref())
        .await
        .map(Json)
}

async fn rerun_analysis(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
) -> Result<Json<Rerun>, ApiError> {
    Ok(Json(service.rerun(&id).await?))
}

async fn allow_list(
    State(service): State<Arc<DetectionService>>,
    Query(query): Query<FindingQuery>,
) -> Result<Json<Vec<AllowListEntry>>, ApiError> {
    Ok(Json(service.allow_list(query.source.as_ref()).await?))
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn json<T>(body: JsonBody<T>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
        .map_err(|error| ApiError::bad("bad_request", error.body_text()))
}

async fn create_entry(
    State(service): State<Arc<DetectionService>>,
    Extension(by): Extension<Account>,
    body: JsonBody<AllowListInput>,
) -> Result<Response, ApiError> {
    let entry = service.save_allow_entry(&json(body)?, None, &by).await?;
    let location = format!("/api/v1/allowlist/{}", entry.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(entry),
    )
        .into_response())
}

async fn entry(
    State(service): State<Arc<DetectionService>>,
    Path(id): Path<String>,
) -> Result<Json<AllowListEntry>, ApiError> {
    Ok(Json(service.allow_entry(&id).await?))
}

async fn replace_entry(
    State(service): State<Arc<DetectionService>>,
    Extension(by): Extension<Account>,
    Path(id): Path<String>,
    body: JsonBody<AllowListInput>,
) -> Result<Json<AllowListEntry>, ApiError> {
    let existing = service.allow_entry(&id).await?;
    let input = json(body)?;
    Ok(Json(
        service
            .save_allow_entry(&input, Some(existing), &by)
            .await?,
    ))
}

async fn delete_entry(
    State(service): State<Arc<DetectionService>>,
    Extension(by): Extension<Account>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    service.remove_allow_entry(&id, &by).await?;
    Ok(StatusCode::NO_CONTENT)
}
