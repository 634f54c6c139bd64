//! Reading a multipart upload on the server: text fields, then the `file` field, within the
//! upload limit; failures carry the HTTP status the browser should see.

use std::collections::HashMap;

use axum::http::StatusCode;
use leptos::prelude::*;
use leptos::server_fn::codec::MultipartData;
use leptos_axum::ResponseOptions;

use crate::format::bytes;
use crate::settings::ServerSettings;

pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
    /// The text fields, by name.
    pub fields: HashMap<String, String>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The engine's reading options from the `format` and `map` fields; year-less auth.log
    /// lines are dated relative to the upload.
    pub fn ingest_options(&self) -> Result<engine::IngestOptions, ServerFnError> {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|elapsed| elapsed.as_millis() as i64);
        crate::reading::ingest_options(self.field("format"), self.field("map"), now_ms)
            .map_err(|message| fail(StatusCode::BAD_REQUEST, message))
    }
}

/// Sets the response status and makes the error the browser shows.
pub fn fail(status: StatusCode, message: String) -> ServerFnError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

pub async fn read_upload(data: MultipartData) -> Result<Upload, ServerFnError> {
    let limit = use_context::<ServerSettings>()
        .unwrap_or_default()
        .max_upload_bytes;
    let unreadable = |error: &dyn std::fmt::Display| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("unreadable upload: {error}"),
        )
    };
    let mut multipart = data.into_inner().ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "expected a multipart upload".into(),
        )
    })?;
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = field.text().await.map_err(|e| unreadable(&e))?;
            fields.insert(name, value);
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        let mut content = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(&e))? {
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
        file = Some((file_name, content));
    }
    let (file_name, content) = file.ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "the upload has no `file` field".into(),
        )
    })?;
    Ok(Upload {
        file_name,
        content,
        fields,
    })
}

/// Runs blocking work (parsing, scoring) off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServerFnError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "analysis task failed");
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error while analysing".into(),
        )
    })
}
