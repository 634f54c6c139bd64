//! The validated login event every later stage works on.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// One sign-in attempt, validated: a real instant, a non-empty user, a parseable IP address.
/// Serialised as kept for re-scoring and for later uploads' history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Why the attempt failed, as the source says it ("50126: invalid username or password").
    pub failure_reason: Option<Box<str>>,
    /// Whether a second factor was used, when the source records it.
    pub mfa: Option<bool>,
    /// Where the source itself placed the address (Entra's location, the RBA dataset's columns);
    /// it takes precedence over the offline geolocation data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_location: Option<Box<ReportedLocation>>,
    /// Values of the columns Sky Trace does not interpret, in the order of
    /// [`crate::Ingested::extra_columns`]; kept so they can be passed through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
}

/// Location and network fields a log brings along with the address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportedLocation {
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<u32>,
}

impl LoginEvent {
    /// The login's stable identifier ([`crate::login_id`]), for verdicts.
    pub fn login_id(&self) -> String {
        crate::feedback::login_id(&self.user_id, self.timestamp_ms, self.ip)
    }
}

impl ReportedLocation {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
