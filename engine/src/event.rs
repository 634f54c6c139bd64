//! The validated login event every later stage works on.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

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
    /// Raw user-agent string; may be empty when the source does not record one. Shared: a log
    /// holds a few hundred distinct agents for a million logins, and reading keeps one copy of
    /// each ([`crate::ingest`]).
    pub user_agent: Arc<str>,
    /// `None` when the input has no success column or the cell is empty, and for interrupts.
    pub success: Option<bool>,
    /// The attempt was interrupted: the identity provider asked for more (a second factor,
    /// consent, a device check, "stay signed in?") rather than refusing or admitting it. A third
    /// outcome beside success and failure; [`Self::success`] is then `None`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub interrupted: bool,
    /// Whether a person signed in (`true`) or a client renewed a token by itself (`false`, Entra's
    /// non-interactive sign-ins, Auth0's silent authentication), when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    /// What kind of identity signed in; workload identities have their application (or client)
    /// as [`Self::user_id`].
    #[serde(default, skip_serializing_if = "IdentityKind::is_user")]
    pub identity_kind: IdentityKind,
    /// The resource (API, application, host) the sign-in was for, when the source names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Box<str>>,
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

/// Who signed in: a person, or a workload acting for itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    #[default]
    User,
    /// An application signing in with its own credentials (Entra service principal, Auth0
    /// machine-to-machine client, Microsoft 365 application account).
    ServicePrincipal,
    /// An Azure managed identity.
    ManagedIdentity,
    /// A computer account (Windows names ending in `$`).
    Machine,
}

impl IdentityKind {
    pub fn is_user(&self) -> bool {
        *self == Self::User
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServicePrincipal => "service_principal",
            Self::ManagedIdentity => "managed_identity",
            Self::Machine => "machine",
        }
    }
}

fn is_false(flag: &bool) -> bool {
    !flag
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

/// An empty event (no user, the unspecified address, the epoch), to be filled in field by field.
impl Default for LoginEvent {
    fn default() -> Self {
        Self {
            row: 0,
            line: 0,
            timestamp_ms: 0,
            user_id: String::new(),
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            user_agent: Arc::from(""),
            success: None,
            interrupted: false,
            interactive: None,
            identity_kind: IdentityKind::User,
            resource: None,
            failure_reason: None,
            mfa: None,
            reported_location: None,
            extra: Vec::new(),
        }
    }
}

impl LoginEvent {
    /// The login's stable identifier ([`crate::login_id`]), for verdicts.
    pub fn login_id(&self) -> String {
        crate::feedback::login_id(&self.user_id, self.timestamp_ms, self.ip)
    }

    /// The number its id spells ([`crate::feedback::login_key`]), without writing the id.
    pub fn login_key(&self) -> u64 {
        crate::feedback::login_key(&self.user_id, self.timestamp_ms, self.ip)
    }
}

impl ReportedLocation {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
