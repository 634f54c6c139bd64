use engine::DataProfile;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

/// Profiles an uploaded log (multipart field `file`, with optional `format` and `map` fields
/// before it) with the engine.
///
/// A file that cannot be analysed answers 422 with the engine's message; a file over the upload
/// limit answers 413 (the limit is also enforced, for every route, by the server's body-limit
/// layer, which rejects oversized requests before they reach this function).
#[server(input = MultipartFormData, prefix = "/api", endpoint = "profile")]
pub async fn profile_upload(data: MultipartData) -> Result<DataProfile, ServerFnError> {
    use crate::format::bytes;
    use crate::settings::ServerSettings;
    use axum::http::StatusCode;
    use leptos_axum::ResponseOptions;

    let limit = use_context::<ServerSettings>()
        .unwrap_or_default()
        .max_upload_bytes;
    let response = expect_context::<ResponseOptions>();
    let fail = |status: StatusCode, message: String| {
        response.set_status(status);
        ServerFnError::new(message)
    };

    let mut multipart = data.into_inner().ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "expected a multipart upload".into(),
        )
    })?;
    let mut upload = None;
    let mut format = String::new();
    let mut mapping = String::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|error| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("unreadable upload: {error}"),
        )
    })? {
        if matches!(field.name(), Some("format" | "map")) {
            let target = if field.name() == Some("format") {
                &mut format
            } else {
                &mut mapping
            };
            *target = field.text().await.map_err(|error| {
                fail(
                    StatusCode::BAD_REQUEST,
                    format!("unreadable upload: {error}"),
                )
            })?;
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let mut content = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|error| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("unreadable upload: {error}"),
            )
        })? {
            if (content.len() + chunk.len()) as u64 > limit {
                return Err(fail(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the file is larger than the upload limit of {}",
                        bytes(limit)
                    ),
                ));
            }
            content.extend_from_slice(&chunk);
        }
        upload = Some(content);
    }
    let content = upload.ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "the upload has no `file` field".into(),
        )
    })?;

    // Year-less auth.log lines are dated relative to the upload.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|elapsed| elapsed.as_millis() as i64);
    let options = crate::reading::ingest_options(&format, &mapping, now_ms)
        .map_err(|message| fail(StatusCode::BAD_REQUEST, message))?;
    let profile = tokio::task::spawn_blocking(move || engine::profile_bytes(&content, &options))
        .await
        .map_err(|error| {
            tracing::error!(%error, "profiling task failed");
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while profiling".into(),
            )
        })?;
    profile.map_err(|error| fail(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()))
}
