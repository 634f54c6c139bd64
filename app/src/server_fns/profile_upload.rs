use engine::DataProfile;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

/// Profiles an uploaded log (multipart field `file`, with optional `format` and `map` fields
/// before it) with the engine.
///
/// A file that cannot be analysed answers 422 with the engine's message; a file over the upload
/// limit answers 413 (the limit is also enforced, for every route, by the server's body-limit
/// layer, which rejects oversized requests before they reach this function).
#[server(input = MultipartFormData, prefix = "/_sfn", endpoint = "profile")]
pub async fn profile_upload(data: MultipartData) -> Result<DataProfile, ServerFnError> {
    use super::upload::{blocking, fail, read_upload, refused};
    use axum::http::StatusCode;

    let upload = read_upload(data).await?;
    let options = upload.ingest_options().map_err(refused)?;
    blocking(move || engine::profile_log(upload.content.reader(), &options))
        .await?
        .map_err(|error| fail(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()))
}
