//! Analysts' feedback through the API: verdicts on logins (`/api/v1/findings/{id}`), the
//! allow-list (`/api/v1/allowlist`), and re-scoring a kept analysis with what was taught
//! (`/api/v1/analyses/{id}/rerun`).

use std::sync::Arc;

use app::account::Account;
use app::detection::Rerun;
use app::detection_service::DetectionService;
use app::triage::{AllowListEntry, AllowListInput, TriageState};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use engine::ScoredEvent;
use serde::{Deserialize, Serialize};

use super::api::ApiError;

pub fn routes<S: Clone + Send + Sync + 'static>(detection: Arc<DetectionService>) -> Router<S> {
    let service = move || Arc::clone(&detection);
    let (finding, triage, rerun) = (service(), service(), service());
    let (list, create, one, replace, delete) =
        (service(), service(), service(), service(), service());
    Router::new()
        .route(
            "/api/v1/findings/{id}",
            get(move |id| finding_state(Arc::clone(&finding), id)),
        )
        .route(
            "/api/v1/findings/{id}/triage",
            post(move |by, id, body| triage_finding(Arc::clone(&triage), by, id, body)),
        )
        .route(
            "/api/v1/analyses/{id}/rerun",
            post(move |id| rerun_analysis(Arc::clone(&rerun), id)),
        )
        .route(
            "/api/v1/allowlist",
            get(move || allow_list(Arc::clone(&list)))
                .post(move |by, body| create_entry(Arc::clone(&create), by, body)),
        )
        .route(
            "/api/v1/allowlist/{id}",
            get(move |id| entry(Arc::clone(&one), id))
                .put(move |by, id, body| replace_entry(Arc::clone(&replace), by, id, body))
                .delete(move |by, id| delete_entry(Arc::clone(&delete), by, id)),
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

#[derive(Debug, Serialize)]
struct ScoredIn {
    analysis_id: String,
    event: ScoredEvent,
}

async fn finding_resource(
    service: &DetectionService,
    login_id: &str,
) -> Result<FindingResource, ApiError> {
    let analyses = service.scored_login(login_id).await?;
    let triage = service
        .feedback
        .triage(login_id)
        .await
        .map_err(ApiError::storage)?;
    Ok(FindingResource {
        login_id: login_id.to_owned(),
        analyses: analyses
            .into_iter()
            .map(|(analysis_id, event)| ScoredIn { analysis_id, event })
            .collect(),
        triage,
    })
}

async fn finding_state(
    service: Arc<DetectionService>,
    Path(id): Path<String>,
) -> Result<Json<FindingResource>, ApiError> {
    finding_resource(&service, &id).await.map(Json)
}

#[derive(Debug, Deserialize)]
struct TriageRequest {
    verdict: String,
    #[serde(default)]
    comment: String,
}

async fn triage_finding(
    service: Arc<DetectionService>,
    Extension(by): Extension<Account>,
    Path(id): Path<String>,
    body: JsonBody<TriageRequest>,
) -> Result<Json<FindingResource>, ApiError> {
    let request = json(body)?;
    service
        .record_verdict(&id, &request.verdict, &request.comment, &by)
        .await?;
    finding_resource(&service, &id).await.map(Json)
}

async fn rerun_analysis(
    service: Arc<DetectionService>,
    Path(id): Path<String>,
) -> Result<Json<Rerun>, ApiError> {
    Ok(Json(service.rerun(&id).await?))
}

async fn allow_list(service: Arc<DetectionService>) -> Result<Json<Vec<AllowListEntry>>, ApiError> {
    service
        .feedback
        .allow_list()
        .await
        .map(Json)
        .map_err(ApiError::storage)
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn json<T>(body: JsonBody<T>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
        .map_err(|error| ApiError::bad("bad_request", error.body_text()))
}

async fn create_entry(
    service: Arc<DetectionService>,
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
    service: Arc<DetectionService>,
    Path(id): Path<String>,
) -> Result<Json<AllowListEntry>, ApiError> {
    Ok(Json(service.allow_entry(&id).await?))
}

async fn replace_entry(
    service: Arc<DetectionService>,
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
    service: Arc<DetectionService>,
    Extension(by): Extension<Account>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    service.remove_allow_entry(&id, &by).await?;
    Ok(StatusCode::NO_CONTENT)
}
