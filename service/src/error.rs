//! What can go wrong in a use-case, typed. Errors say what happened in words a person can act on
//! and carry an [`ErrorKind`] (what sort of failure) and a stable [`code`](RunError::code); the web
//! edges (server functions, REST API) map kinds to HTTP statuses in one place each. Storage
//! details never reach a message: the store logs them.

use crate::ports::StoreError;

/// What sort of failure, for the edges to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (a bad choice, a bad entry): the caller must change it.
    Invalid,
    /// The upload cannot be read as a sign-in log.
    Unreadable,
    NotFound,
    /// The account may not do this.
    Forbidden,
    /// The upload is over a limit.
    TooLarge,
    /// Too much is being done already: try again later.
    Busy,
    /// Our fault: storage or a failed task.
    Internal,
}

/// An error a use-case returns: what sort of failure, and its stable name.
pub trait Categorised: std::error::Error {
    fn kind(&self) -> ErrorKind;
    /// A stable, machine-readable name of the failure (the REST API's `code`).
    fn code(&self) -> &'static str;
    /// When to try again (`Retry-After`), for a [`ErrorKind::Busy`] failure.
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }
}

/// Why a run could not be made, read or scored again.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("bad choices: {0}")]
    BadChoices(String),
    /// A filter of the logins that cannot be applied (a range that ends before it starts).
    #[error("{0}")]
    BadFilter(String),
    /// The file cannot be read as a sign-in log.
    #[error("{0}")]
    Unreadable(engine::IngestError),
    /// The file expands past a read limit (`--max-expanded-mb`, `--max-rows`).
    #[error(
        "{0}; reading stopped there. Start the server with {flag} (or {env}) to raise the limit",
        flag = crate::reading::raised_by(*.0).0,
        env = crate::reading::raised_by(*.0).1,
    )]
    TooLarge(engine::LimitExceeded),
    /// Every analysis slot and every waiting place is taken.
    #[error(
        "the server is busy: {running} analyses are running and {waiting} are waiting; try again in {retry_after_secs} s"
    )]
    Busy {
        running: usize,
        waiting: usize,
        retry_after_secs: u64,
    },
    /// The analysis would need more memory than the server's budget leaves, with nothing else
    /// running that would free some.
    #[error(
        "analysing this upload needs about {needs_mib} MiB and the server's memory budget of \
         {budget_mib} MiB leaves {free_mib} MiB; split the file, or start the server with \
         --memory-budget-mb (or SKYTRACE_MEMORY_BUDGET_MB) to raise the budget"
    )]
    OverMemoryBudget {
        needs_mib: u64,
        free_mib: u64,
        budget_mib: u64,
    },
    /// No such kept run, or one kept without what the request needs.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// A background task failed (logged where it happened).
    #[error("internal error while analysing")]
    Task,
}

impl From<engine::IngestError> for RunError {
    fn from(error: engine::IngestError) -> Self {
        match error {
            engine::IngestError::TooLarge(limit) => Self::TooLarge(limit),
            other => Self::Unreadable(other),
        }
    }
}

impl Categorised for RunError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadChoices(_) | Self::BadFilter(_) => ErrorKind::Invalid,
            Self::Unreadable(_) => ErrorKind::Unreadable,
            Self::TooLarge(_) | Self::OverMemoryBudget { .. } => ErrorKind::TooLarge,
            Self::Busy { .. } => ErrorKind::Busy,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Storage(_) | Self::Task => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadChoices(_) => "bad_choices",
            Self::BadFilter(_) => "bad_filter",
            Self::Unreadable(_) => "unreadable_log",
            Self::TooLarge(engine::LimitExceeded::ExpandedBytes { .. }) => "expanded_too_large",
            Self::TooLarge(engine::LimitExceeded::Rows { .. }) => "too_many_rows",
            Self::Busy { .. } => "busy",
            Self::OverMemoryBudget { .. } => "over_memory_budget",
            Self::NotFound(_) => "not_found",
            Self::Storage(_) => "storage",
            Self::Task => "internal",
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// Longest comment kept with a verdict, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Why a verdict or an allow-list entry was not kept.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("{0}")]
    BadVerdict(String),
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("{0}")]
    BadEntry(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl Categorised for FeedbackError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadVerdict(_) | Self::CommentTooLong | Self::BadEntry(_) => ErrorKind::Invalid,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Storage(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadVerdict(_) => "bad_verdict",
            Self::CommentTooLong => "bad_request",
            Self::BadEntry(_) => "bad_entry",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Storage(_) => "storage",
        }
    }
}
