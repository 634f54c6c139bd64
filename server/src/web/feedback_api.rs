//! Analysts' feedback through the API: verdicts on logins (`/api/v1/findings/{id}`), the
//! allow-list (`/api/v1/allowlist`), and re-scoring a kept analysis with what was taught
//! (`/api/v1/analyses/{id}/rerun`).

use std::sync::Arc;

use app::detection::Rerun;
use app::detection_service::{DetectionService, RunError};
use app::triage::{AllowListEntry, AllowListInput, TriageRecord, TriageState};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::{ScoredEvent, VerdictKind};
use serde::{Deserialize, Serialize};

use super::api::ApiError;

/// Who records feedback until hosted-mode sign-in names people.
const LOCAL_ACTOR: &str = "local";
const MAX_COMMENT_CHARS: usize = 2000;

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
            post(move |id, body| triage_finding(Arc::clone(&triage), id, body)),
        )
        .route(
            "/api/v1/analyses/{id}/rerun",
            post(move |id| rerun_analysis(Arc::clone(&rerun), id)),
        )
        .route(
            "/api/v1/allowlist",
            get(move || allow_list(Arc::clone(&list)))
                .post(move |body| create_entry(Arc::clone(&create), body)),
        )
        .route(
            "/api/v1/allowlist/{id}",
            get(move |id| entry(Arc::clone(&one), id))
                .put(move |id, body| replace_entry(Arc::clone(&replace), id, body))
                .delete(move |id| delete_entry(Arc::clone(&delete), id)),
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
    let analyses = service
        .feedback
        .find_login(login_id)
        .await
        .map_err(ApiError::storage)?;
    if analyses.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no kept login {login_id:?} (login ids look like F-0123456789ab)"),
        ));
    }
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
    Path(id): Path<String>,
    body: Result<Json<TriageRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FindingResource>, ApiError> {
    let Json(request) = body.map_err(|error| ApiError::bad("bad_request", error.body_text()))?;
    let verdict: VerdictKind = request
        .verdict
        .parse()
        .map_err(|message: String| ApiError::bad("bad_verdict", message))?;
    let comment = request.comment.trim().to_owned();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::bad(
            "bad_request",
            format!("the comment is longer than {MAX_COMMENT_CHARS} characters"),
        ));
    }
    // The login must exist before a verdict is kept for it.
    finding_resource(&service, &id).await?;
    service
        .feedback
        .record_triage(TriageRecord {
            login_id: id.clone(),
            verdict,
            comment,
            actor: LOCAL_ACTOR.to_owned(),
            at_ms: jiff::Timestamp::now().as_millisecond(),
        })
        .await
        .map_err(ApiError::storage)?;
    finding_resource(&service, &id).await.map(Json)
}

async fn rerun_analysis(
    service: Arc<DetectionService>,
    Path(id): Path<String>,
) -> Result<Json<Rerun>, ApiError> {
    service
        .rerun(&id)
        .await
        .map(Json)
        .map_err(|error| match error {
            RunError::NotFound(message) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            RunError::BadChoices(message) => ApiError::bad("bad_choices", message),
            RunError::Unreadable(message) | RunError::Internal(message) => {
                ApiError::storage(message)
            }
        })
}

async fn allow_list(service: Arc<DetectionService>) -> Result<Json<Vec<AllowListEntry>>, ApiError> {
    service
        .feedback
        .allow_list()
        .await
        .map(Json)
        .map_err(ApiError::storage)
}

fn entry_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no allow-list entry {id:?}"),
    )
}

async fn find_entry(service: &DetectionService, id: &str) -> Result<AllowListEntry, ApiError> {
    service
        .feedback
        .allow_list()
        .await
        .map_err(ApiError::storage)?
        .into_iter()
        .find(|entry| entry.id == id)
        .ok_or_else(|| entry_not_found(id))
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn validated(body: JsonBody<AllowListInput>, id: String) -> Result<AllowListEntry, ApiError> {
    let Json(input) = body.map_err(|error| ApiError::bad("bad_request", error.body_text()))?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    input
        .validate(id, LOCAL_ACTOR, now_ms)
        .map_err(|message| ApiError::bad("bad_entry", message))
}

async fn create_entry(
    service: Arc<DetectionService>,
    body: JsonBody<AllowListInput>,
) -> Result<Response, ApiError> {
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let id = match &body {
        Ok(Json(input)) => input.new_id(now_ms),
        Err(_) => String::new(),
    };
    let entry = validated(body, id)?;
    service
        .feedback
        .save_allow(entry.clone())
        .await
        .map_err(ApiError::storage)?;
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
    find_entry(&service, &id).await.map(Json)
}

async fn replace_entry(
    service: Arc<DetectionService>,
    Path(id): Path<String>,
    body: JsonBody<AllowListInput>,
) -> Result<Json<AllowListEntry>, ApiError> {
    let existing = find_entry(&service, &id).await?;
    let entry = AllowListEntry {
        created_ms: existing.created_ms,
        ..validated(body, id)?
    };
    service
        .feedback
        .save_allow(entry.clone())
        .await
        .map_err(ApiError::storage)?;
    Ok(Json(entry))
}

async fn delete_entry(
    service: Arc<DetectionService>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if service
        .feedback
        .delete_allow(&id)
        .await
        .map_err(ApiError::storage)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(entry_not_found(&id))
    }
}
