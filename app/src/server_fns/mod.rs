//! Server functions: called from the browser like async functions, run on the server.

mod profile_upload;

pub use profile_upload::{ProfileUpload, profile_upload};
