//! Finding the fields of a login in a CSV header: an explicit mapping first, then the names a
//! known export uses, then common aliases, all compared case-insensitively.

use serde::{Deserialize, Serialize};

use super::{Format, IngestError};

/// A field of [`crate::LoginEvent`] a column can supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Timestamp,
    UserId,
    IpAddress,
    UserAgent,
    Success,
    FailureReason,
    /// A numeric error code (Entra's "Sign-in error code"); 0 means success.
    ErrorCode,
    /// "City, Region, CC" in one cell, as Entra's portal writes it.
    Location,
    Country,
    Region,
    City,
    Asn,
    Latitude,
    Longitude,
    Mfa,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Self::Timestamp,
        Self::UserId,
        Self::IpAddress,
        Self::UserAgent,
        Self::Success,
        Self::FailureReason,
        Self::ErrorCode,
        Self::Location,
        Self::Country,
        Self::Region,
        Self::City,
        Self::Asn,
        Self::Latitude,
        Self::Longitude,
        Self::Mfa,
    ];
    /// Without these a row is not a login.
    pub const REQUIRED: [Field; 3] = [Self::Timestamp, Self::UserId, Self::IpAddress];

    pub fn name(self) -> &'static str {
        match self {
            Self::Timestamp => "timestamp",
            Self::UserId => "user_id",
            Self::IpAddress => "ip_address",
            Self::UserAgent => "user_agent",
            Self::Success => "success",
            Self::FailureReason => "failure_reason",
            Self::ErrorCode => "error_code",
            Self::Location => "location",
            Self::Country => "country",
            Self::Region => "region",
            Self::City => "city",
            Self::Asn => "asn",
            Self::Latitude => "latitude",
            Self::Longitude => "longitude",
            Self::Mfa => "mfa",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let name = normalise(name);
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// Normalised header names accepted for this field in any CSV (see [`normalise`]).
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
                "date_(utc)",
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
            Self::Success => &[
                "success",
                "successful",
                "succeeded",
                "login_successful",
                "login_success",
                "is_success",
                "outcome",
                "result",
                "status",
            ],
            Self::FailureReason => &["failure_reason", "reason", "error", "error_message"],
            Self::ErrorCode => &[
                "error_code",
                "errorcode",
                "result_type",
                "sign_in_error_code",
            ],
            Self::Location => &["location"],
            Self::Country => &[
                "country",
                "country_code",
                "countrycode",
                "country_or_region",
            ],
            Self::Region => &["region", "state"],
            Self::City => &["city"],
            Self::Asn => &["asn", "as_number", "asnumber"],
            Self::Latitude => &["latitude", "lat"],
            Self::Longitude => &["longitude", "lon", "lng", "long"],
            Self::Mfa => &["mfa", "mfa_used", "mfaused", "multifactor"],
        }
    }
}

/// Column names of known exports, preferred over the aliases (e.g. Entra's "Username" holds the
/// UPN while its "User ID" is an object GUID).
fn preset(format: Format, field: Field) -> &'static [&'static str] {
    match (format, field) {
        (Format::EntraCsv, Field::Timestamp) => &["date_(utc)"],
        (Format::EntraCsv, Field::UserId) => &["username", "user_principal_name", "user"],
        (Format::EntraCsv, Field::IpAddress) => &["ip_address"],
        (Format::EntraCsv, Field::UserAgent) => &["user_agent"],
        (Format::EntraCsv, Field::Success) => &["status"],
        (Format::EntraCsv, Field::FailureReason) => &["failure_reason"],
        (Format::EntraCsv, Field::ErrorCode) => &["sign_in_error_code"],
        (Format::EntraCsv, Field::Location) => &["location"],
        (Format::EntraCsv, Field::Mfa) => &["authentication_requirement"],
        (Format::Rba, Field::Timestamp) => &["login_timestamp"],
        (Format::Rba, Field::UserId) => &["user_id"],
        (Format::Rba, Field::IpAddress) => &["ip_address"],
        (Format::Rba, Field::UserAgent) => &["user_agent_string"],
        (Format::Rba, Field::Success) => &["login_successful"],
        (Format::Rba, Field::Country) => &["country"],
        (Format::Rba, Field::Region) => &["region"],
        (Format::Rba, Field::City) => &["city"],
        (Format::Rba, Field::Asn) => &["asn"],
        _ => &[],
    }
}

/// A column mapping given by the user: field → header name as written in the file.
pub type ColumnMapping = Vec<(Field, String)>;

/// Where each field sits in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    columns: [Option<usize>; Field::ALL.len()],
    /// Columns passed through untouched, in file order (plain CSV only).
    pub extra: Vec<usize>,
    /// Number of fields every row must have.
    pub width: usize,
}

impl ColumnMap {
    pub fn get(&self, field: Field) -> Option<usize> {
        self.columns[field as usize]
    }

    pub fn resolve(
        header: &[String],
        format: Format,
        mapping: &ColumnMapping,
    ) -> Result<Self, IngestError> {
        let normalised: Vec<String> = header.iter().map(|name| normalise(name)).collect();
        let position = |name: &str| normalised.iter().position(|column| column == name);
        let mut columns = [None; Field::ALL.len()];
        for (field, name) in mapping {
            let index =
                position(&normalise(name)).ok_or_else(|| IngestError::MappedColumnMissing {
                    field: field.name(),
                    column: name.clone(),
                    found: shorten(header),
                })?;
            columns[*field as usize] = Some(index);
        }
        let claimed = |columns: &[Option<usize>], index: usize| columns.contains(&Some(index));
        for field in Field::ALL {
            if columns[field as usize].is_some() {
                continue;
            }
            let candidates = preset(format, field)
                .iter()
                .chain(if format == Format::Csv {
                    field.aliases()
                } else {
                    &[]
                });
            columns[field as usize] = candidates
                .filter_map(|name| position(name))
                .find(|&index| !claimed(&columns, index));
        }
        let missing: Vec<&'static str> = Field::REQUIRED
            .iter()
            .filter(|field| columns[**field as usize].is_none())
            .map(|field| field.name())
            .collect();
        if !missing.is_empty() {
            return Err(IngestError::MissingColumns {
                missing,
                found: shorten(header),
            });
        }
        let extra = if format == Format::Csv {
            (0..header.len())
                .filter(|&index| !claimed(&columns, index))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            columns,
            extra,
            width: header.len(),
        })
    }
}

/// Header names for an error message: at most 24 names of at most 60 characters each, so a
/// binary-looking or single-line file cannot produce a megabyte-long message.
pub fn shorten(header: &[String]) -> Vec<String> {
    const NAMES: usize = 24;
    const CHARS: usize = 60;
    let mut names: Vec<String> = header
        .iter()
        .filter(|name| !name.is_empty())
        .take(NAMES)
        .map(|name| {
            if name.chars().count() > CHARS {
                format!("{}…", name.chars().take(CHARS).collect::<String>())
            } else {
                name.clone()
            }
        })
        .collect();
    if header.len() > NAMES {
        names.push(format!("… {} more", header.len() - NAMES));
    }
    names
}

/// Parses `field=Header Name` pairs (as `--map` takes them, comma-separated or repeated).
pub fn parse_mapping(text: &str) -> Result<ColumnMapping, String> {
    let mut mapping = ColumnMapping::new();
    for pair in text
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
    {
        let (field, column) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not field=column"))?;
        let field = Field::from_name(field).ok_or_else(|| {
            let known: Vec<&str> = Field::ALL.iter().map(|field| field.name()).collect();
            format!(
                "unknown field {:?}; known: {}",
                field.trim(),
                known.join(", ")
            )
        })?;
        let column = column.trim().trim_matches('"').to_owned();
        if column.is_empty() {
            return Err(format!("no column given for {}", field.name()));
        }
        mapping.retain(|(existing, _)| *existing != field);
        mapping.push((field, column));
    }
    Ok(mapping)
}

/// Lower case, trimmed, with spaces, dashes and dots as underscores: `"User Agent"` → `user_agent`.
pub fn normalise(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .map(|c| match c {
            ' ' | '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}
