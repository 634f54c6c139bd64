use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::detection::DetectionSummary;

/// Scores an uploaded log (multipart: `format`, `map`, `choices` as JSON, then `file`) with the
/// server's settings and geolocation, keeps the run in the database, and returns its summary.
#[server(input = MultipartFormData, prefix = "/api", endpoint = "detect")]
pub async fn run_detection(data: MultipartData) -> Result<DetectionSummary, ServerFnError> {
    use std::sync::Arc;

    use super::upload::{fail, read_upload};
    use crate::detection_service::DetectionService;

    let service = expect_context::<Arc<DetectionService>>();
    let upload = read_upload(data).await?;
    let options = upload.ingest_options()?;
    let choices = upload.field("choices").to_owned();
    service
        .run_and_keep(upload.content, options, &choices, upload.file_name)
        .await
        .map_err(|error| fail(error.status(), error.to_string()))
}
