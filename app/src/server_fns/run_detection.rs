use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::detection::DetectionSummary;

/// Scores an uploaded log (multipart: `format`, `map`, `choices` as JSON, then `file`) with the
/// server's settings and geolocation, keeps the run in the database, and returns its summary.
#[server(input = MultipartFormData, prefix = "/api", endpoint = "detect")]
pub async fn run_detection(data: MultipartData) -> Result<DetectionSummary, ServerFnError> {
    use std::sync::Arc;
    use std::time::Instant;

    use super::upload::{blocking, fail, read_upload};
    use crate::detection::{DetectionChoices, summarise};
    use crate::detection_service::{DetectionService, SavedRun, run_id};
    use axum::http::StatusCode;
    use engine::enrich::NoGeolocation;

    let service = expect_context::<Arc<DetectionService>>();
    let upload = read_upload(data).await?;
    let options = upload.ingest_options()?;
    let choices_json = upload.field("choices").to_owned();
    let choices: DetectionChoices = if choices_json.is_empty() {
        DetectionChoices::default()
    } else {
        serde_json::from_str(&choices_json)
            .map_err(|error| fail(StatusCode::BAD_REQUEST, format!("bad choices: {error}")))?
    };
    let config = choices
        .apply(&service.config)
        .map_err(|message| fail(StatusCode::BAD_REQUEST, message))?;
    let id = run_id(&upload.content, &choices_json);
    let file_name = upload.file_name.clone();
    let worker = Arc::clone(&service);
    let created_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    let outcome = blocking(move || {
        let started = Instant::now();
        let ingested = engine::read_slice(&upload.content, &options).map_err(|e| e.to_string())?;
        let geo: &dyn engine::enrich::GeoLookup = if choices.geolocation {
            worker.geo.as_ref()
        } else {
            &NoGeolocation
        };
        let analysis = engine::analyze(&ingested.events, &config, geo, |_| {})
            .map_err(|error| error.to_string())?;
        let profile = engine::DataProfile::of(&ingested);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let summary = summarise(id, file_name, profile, choices, &analysis, elapsed_ms);
        let alerts = worker
            .notifier
            .as_ref()
            .and_then(|notifier| notifier.prepare(&summary.id, &analysis.events, &config));
        let run = SavedRun {
            summary,
            settings: config,
            rejections: ingested.rejections,
            events: analysis.events,
            created_ms,
        };
        Ok::<_, String>((run, alerts))
    })
    .await?;
    let (run, alerts) =
        outcome.map_err(|message| fail(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    let summary = run.summary.clone();
    service
        .runs
        .save(run)
        .await
        .map_err(|message| fail(StatusCode::INTERNAL_SERVER_ERROR, message))?;
    // Alerts go out once the run is kept (their links point at it), without holding the reply.
    if let Some(alerts) = alerts {
        tracing::info!(run = %summary.id, alerts = alerts.count, "sending alerts");
        tokio::task::spawn_blocking(alerts.send);
    }
    Ok(summary)
}
