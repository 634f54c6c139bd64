//! The REST API's one error type: what went wrong, with a code a client can test and the status
//! it calls for; never internals (storage details are in the server log). It answers as an RFC
//! 9457 problem document ([`super::problem`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use service::error::Categorised;

use super::problem::Problem;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request could not be completed (see the server log)",
        )
    }

    /// A use-case's error, with the status the pages would answer too.
    pub fn of(error: &impl Categorised) -> Self {
        Self {
            retry_after_secs: error.retry_after_secs(),
            ..Self::new(
                app::server_fns::upload::status_for(error.kind()),
                error.code(),
                error.to_string(),
            )
        }
    }
}

impl<E: Categorised> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self::of(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Problem::new(self.status, self.code, self.message).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}
