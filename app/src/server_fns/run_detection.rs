use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use service::detection::DetectionSummary;

/// Scores an uploaded log (multipart: `source`, `format`, `map`, `choices` as JSON, then `file`)
/// with the server's settings and geolocation, after what its source learnt, keeps the run in the
/// database, and returns its summary.
#[server(input = MultipartFormData, prefix = "/_sfn", endpoint = "detect")]
pub async fn run_detection(data: MultipartData) -> Result<DetectionSummary, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{fail, read_upload, refused};
    use axum::http::StatusCode;
    use service::DetectionService;
    use service::detection::DetectionChoices;
    use service::runs::Upload;
    use service::source::SourceName;

    let service = expect_context::<Arc<DetectionService>>();
    let upload = read_upload(data).await?;
    let options = upload.ingest_options().map_err(refused)?;
    let choices = DetectionChoices::from_json(upload.field("choices"))
        .map_err(|error| fail(StatusCode::BAD_REQUEST, format!("bad choices: {error}")))?;
    let source = SourceName::parse(upload.field("source"))
        .map_err(|message| fail(StatusCode::BAD_REQUEST, message))?;
    let log = Upload {
        content: upload.content,
        options,
        file_name: upload.file_name,
    };
    service
        .run_and_keep(log, choices, source)
        .await
        .map_err(refused)
}
