//! Settings the server passes to the pages it renders.

/// Name of the `<meta>` tag that carries the upload limit to the browser, so a file that is too
/// large is refused before it is sent.
pub const UPLOAD_LIMIT_META: &str = "skytrace-max-upload-bytes";

/// Default upload limit: 100 MB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    pub max_upload_bytes: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
}
