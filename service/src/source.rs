//! Sources: every upload and every monitored stream belongs to one, named — an organisation, or
//! one log source of it. What an analysis learns from earlier logins, and the verdicts and
//! allow-list entries it applies, stay within its source, so two organisations' logs never train
//! each other and a new source starts clean. A single-tenant install uses [`DEFAULT_SOURCE`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The source of whatever does not name one.
pub const DEFAULT_SOURCE: &str = "default";

/// A source's name: 1–64 lower-case letters, digits, `-`, `_` or `.` (it appears in addresses).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceName(String);

impl SourceName {
    /// A name as typed: trimmed and lower-cased; empty means [`DEFAULT_SOURCE`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let name = text.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Ok(Self::default());
        }
        let valid = name.len() <= 64
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
        if valid {
            Ok(Self(name))
        } else {
            Err(format!(
                "source {text:?} must be 1–64 letters, digits, '-', '_' or '.'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for SourceName {
    fn default() -> Self {
        Self(DEFAULT_SOURCE.to_owned())
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl TryFrom<String> for SourceName {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<SourceName> for String {
    fn from(name: SourceName) -> String {
        name.0
    }
}

/// A source as listed: how much is kept in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceListing {
    pub name: SourceName,
    pub analyses: u64,
    pub logins: u64,
    /// When its latest analysis was kept.
    pub latest_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_normalised() {
        assert_eq!(
            SourceName::parse(" Acme-Entra ").unwrap().as_str(),
            "acme-entra"
        );
        assert_eq!(SourceName::parse("").unwrap(), SourceName::default());
        assert!(SourceName::parse("a b").is_err());
        assert!(SourceName::parse("../etc").is_err());
        assert!(SourceName::parse(&"a".repeat(65)).is_err());
        let read: SourceName = serde_json::from_str("\"SOC.eu\"").unwrap();
        assert_eq!(read.as_str(), "soc.eu");
        assert!(serde_json::from_str::<SourceName>("\"no/slash\"").is_err());
    }
}
