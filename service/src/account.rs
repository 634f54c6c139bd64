//! Who is using the app: in hosted mode (`skytrace serve --auth`) the signed-in account, else the
//! one local user, who may do everything.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an account may do. Analysts upload, analyse, read and triage; admins may also change the
/// allow-list and the server's accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Analyst,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown role {text:?}; expected admin or analyst"))
    }
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Acts as its account on the REST API, with the account's role (scripts, SIEM exports).
    Api,
    /// Only sends events to the monitor (`POST /api/v1/events`, the Splunk HEC endpoint) and
    /// reads nothing: what log shippers are given. People's tokens cannot send events.
    Ingest,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Api, TokenScope::Ingest];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Api => "api",
            TokenScope::Ingest => "ingest",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown token scope {text:?}; expected api or ingest"))
    }
}

/// An API token as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenListing {
    pub id: String,
    pub account: String,
    pub label: String,
    pub scope: TokenScope,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
}

/// A live API token: which one, whom it acts as, and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    pub id: String,
    pub account: Account,
    pub scope: TokenScope,
}

/// The person (or automation token) behind a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// False in local mode, where nobody signs in.
    pub signed_in: bool,
}

/// The name feedback is recorded under when nobody signs in.
pub const LOCAL_ACCOUNT: &str = "local";

impl Account {
    /// The single user of a server started without `--auth`.
    pub fn local() -> Self {
        Self {
            name: LOCAL_ACCOUNT.to_owned(),
            role: Role::Admin,
            signed_in: false,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Whether `name` may name an account: 1–64 letters, digits and `. _ @ -`.
pub fn check_account_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "account name {name:?} must be 1–64 letters, digits, '.', '_', '@' or '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_names() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert_eq!(" analyst ".parse::<Role>(), Ok(Role::Analyst));
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("admin or analyst")
        );
        assert!(check_account_name("alice.smith@example.org").is_ok());
        assert!(check_account_name("").is_err());
        assert!(check_account_name("alice smith").is_err());
        assert!(check_account_name(&"a".repeat(65)).is_err());
        assert!(Account::local().is_admin() && !Account::local().signed_in);
        assert_eq!(" Ingest".parse::<TokenScope>(), Ok(TokenScope::Ingest));
        assert!(
            "write"
                .parse::<TokenScope>()
                .unwrap_err()
                .contains("api or ingest")
        );
    }
}
