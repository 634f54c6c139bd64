//! Settings the server passes to the pages it renders.

/// Name of the `<meta>` tag that carries the upload limit to the browser, so a file that is too
/// large is refused before it is sent.
pub const UPLOAD_LIMIT_META: &str = "skytrace-max-upload-bytes";

/// Name of the `<meta>` tag that carries the largest file the browser may analyse itself.
pub const BROWSER_LIMIT_META: &str = "skytrace-max-browser-bytes";

/// Default upload limit: 100 MB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// Default time a request may take, uploads and analyses included: 5 minutes.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    pub max_upload_bytes: u64,
    /// Files up to this size may be analysed in the browser, without the server.
    pub max_browser_bytes: u64,
    /// Longest a request may take before it is answered 503 and abandoned.
    pub request_timeout: std::time::Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_browser_bytes: crate::local_analysis::DEFAULT_BROWSER_LIMIT_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}
