//! Reading an upload (`multipart/form-data`): its text fields, then the `file` field, within the
//! upload limit. The REST API and the pages' server functions both read uploads here.

use std::collections::HashMap;

use engine::IngestOptions;

use crate::clock::now_ms;
use crate::error::{Categorised, ErrorKind};
use crate::text::bytes;

pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
    /// The text fields, by name.
    pub fields: HashMap<String, String>,
}

/// Why an upload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("expected a multipart/form-data upload with a `file` field")]
    NotMultipart,
    #[error("unreadable upload: {0}")]
    Unreadable(String),
    #[error(
        "the file is larger than the upload limit of {}; start the server with --max-upload-mb to change it",
        bytes(*limit)
    )]
    TooLarge { limit: u64 },
    #[error("the upload has no `file` field")]
    NoFile,
    /// The `format` or `map` field.
    #[error("{0}")]
    BadReadingOptions(String),
}

impl Categorised for UploadError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. } => ErrorKind::TooLarge,
            _ => ErrorKind::Invalid,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::BadReadingOptions(_) => "bad_reading_options",
            _ => "bad_upload",
        }
    }
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The engine's reading options from the `format` and `map` fields; year-less auth.log
    /// lines are dated relative to the upload.
    pub fn ingest_options(&self) -> Result<IngestOptions, UploadError> {
        crate::reading::ingest_options(self.field("format"), self.field("map"), Some(now_ms()))
            .map_err(UploadError::BadReadingOptions)
    }
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Result<String, UploadError> {
    multer::parse_boundary(content_type).map_err(|_| UploadError::NotMultipart)
}

/// Reads every field; the file may be at most `limit` bytes.
pub async fn read_upload(
    mut multipart: multer::Multipart<'_>,
    limit: u64,
) -> Result<Upload, UploadError> {
    let unreadable = |error: multer::Error| match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            UploadError::TooLarge { limit }
        }
        other => UploadError::Unreadable(other.to_string()),
    };
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = field.text().await.map_err(unreadable)?;
            fields.insert(name, value);
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        let mut content = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if (content.len() + chunk.len()) as u64 > limit {
                return Err(UploadError::TooLarge { limit });
            }
            content.extend_from_slice(&chunk);
        }
        file = Some((file_name, content));
    }
    let (file_name, content) = file.ok_or(UploadError::NoFile)?;
    Ok(Upload {
        file_name,
        content,
        fields,
    })
}
