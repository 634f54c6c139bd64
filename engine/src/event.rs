//! The validated login event every later stage works on.

use std::net::IpAddr;

/// One sign-in attempt, validated: a real instant, a non-empty user, a parseable IP address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginEvent {
    /// 1-based position of the data row in the input (the header is not counted).
    pub row: u64,
    /// Line of the input on which the record starts (1-based, header included).
    pub line: u64,
    /// UTC instant in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    pub user_id: String,
    pub ip: IpAddr,
    /// Raw user-agent string; may be empty when the source does not record one.
    pub user_agent: String,
    /// `None` when the input has no success column or the cell is empty.
    pub success: Option<bool>,
    /// Values of the columns Sky Trace does not interpret, in the order of
    /// [`crate::Ingested::extra_columns`]; kept so they can be passed through.
    pub extra: Vec<String>,
}
