//! Finding the required columns in a header, by name or common alias, case-insensitively.

use super::IngestError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredColumn {
    Timestamp,
    UserId,
    IpAddress,
    UserAgent,
}

impl RequiredColumn {
    pub const ALL: [RequiredColumn; 4] = [
        Self::Timestamp,
        Self::UserId,
        Self::IpAddress,
        Self::UserAgent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Timestamp => "timestamp",
            Self::UserId => "user_id",
            Self::IpAddress => "ip_address",
            Self::UserAgent => "user_agent",
        }
    }

    /// Normalised header names accepted for this column (see [`normalise`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Timestamp => &[
                "timestamp",
                "time",
                "datetime",
                "date_time",
                "login_time",
                "login_timestamp",
                "event_time",
                "eventtime",
                "created",
                "createddatetime",
                "created_date_time",
                "published",
                "ts",
                "@timestamp",
            ],
            Self::UserId => &[
                "user_id",
                "userid",
                "user",
                "username",
                "user_name",
                "login",
                "account",
                "account_name",
                "email",
                "upn",
                "userprincipalname",
                "user_principal_name",
            ],
            Self::IpAddress => &[
                "ip_address",
                "ipaddress",
                "ip",
                "ip_addr",
                "source_ip",
                "src_ip",
                "sourceipaddress",
                "source_ip_address",
                "client_ip",
                "clientip",
                "remote_addr",
                "remote_ip",
            ],
            Self::UserAgent => &[
                "user_agent",
                "useragent",
                "ua",
                "user_agent_string",
                "http_user_agent",
                "browser",
            ],
        }
    }
}

const SUCCESS_ALIASES: &[&str] = &[
    "success",
    "successful",
    "succeeded",
    "login_successful",
    "login_success",
    "is_success",
    "outcome",
    "result",
    "status",
];

/// Where each column sits in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub timestamp: usize,
    pub user_id: usize,
    pub ip_address: usize,
    pub user_agent: usize,
    pub success: Option<usize>,
    /// Columns passed through untouched, in file order.
    pub extra: Vec<usize>,
    /// Number of fields every row must have.
    pub width: usize,
}

impl ColumnMap {
    pub fn from_header(header: &[String]) -> Result<Self, IngestError> {
        let normalised: Vec<String> = header.iter().map(|name| normalise(name)).collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|alias| normalised.iter().position(|name| name == alias))
        };
        let found: Vec<Option<usize>> = RequiredColumn::ALL
            .iter()
            .map(|column| find(column.aliases()))
            .collect();
        let missing: Vec<&'static str> = RequiredColumn::ALL
            .iter()
            .zip(&found)
            .filter(|(_, index)| index.is_none())
            .map(|(column, _)| column.name())
            .collect();
        if !missing.is_empty() {
            return Err(IngestError::MissingColumns {
                missing,
                found: header
                    .iter()
                    .filter(|name| !name.is_empty())
                    .cloned()
                    .collect(),
            });
        }
        let [timestamp, user_id, ip_address, user_agent] =
            [found[0], found[1], found[2], found[3]].map(|index| index.unwrap_or_default());
        let success = find(SUCCESS_ALIASES);
        let used = [
            Some(timestamp),
            Some(user_id),
            Some(ip_address),
            Some(user_agent),
            success,
        ];
        let extra = (0..header.len())
            .filter(|index| !used.contains(&Some(*index)))
            .collect();
        Ok(Self {
            timestamp,
            user_id,
            ip_address,
            user_agent,
            success,
            extra,
            width: header.len(),
        })
    }
}

/// Lower case, trimmed, with spaces, dashes and dots as underscores: `"User Agent"` → `user_agent`.
fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}
