//! What analysts teach the engine: allow-listed sources and verdicts on individual logins.
//!
//! - **Allow-list entries** vouch for *where* a login comes from: an address or CIDR block, an
//!   autonomous system, a country, or a country for one user ("alice travels to BR"). A login
//!   from an allow-listed source is scored as if its network were familiar, and the location and
//!   network findings it would have raised are kept but marked suppressed, with the entry's
//!   reason ("suppressed by allow-list: office VPN 198.51.100.0/24"). Attack findings (guessing,
//!   spraying, stuffing, unknown accounts, scripted clients) are never suppressed: an allow-list
//!   says a place is ours, not that whatever happens from it is fine.
//! - **Verdicts** on logins: *confirmed safe* teaches the user's baseline (that network and
//!   device become familiar for later logins) and the login scores 0 with its findings marked
//!   suppressed; *confirmed compromised* makes the login Critical, keeps it out of the baseline,
//!   and flags later logins from the same address (any account) as coming from a known
//!   compromised source; *dismissed* records that no action is needed and changes no score.
//!
//! Logins are named by [`login_id`]: a digest of user (case-insensitive), instant and address,
//! so a verdict follows the login across re-runs and re-uploads of the same data. Expiry of
//! allow-list entries is the caller's business (the engine never reads the clock): pass only
//! the entries in force.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::FindingKind;

/// The identifier of one login, stable across runs: `F-` and 12 hex digits.
pub fn login_id(user_id: &str, timestamp_ms: i64, ip: IpAddr) -> String {
    format!("F-{:012x}", login_key(user_id, timestamp_ms, ip))
}

/// The number a login's id spells ([`login_id`]): 48 bits of FNV-1a over the lower-cased user,
/// the instant and the address.
pub fn login_key(user_id: &str, timestamp_ms: i64, ip: IpAddr) -> u64 {
    // The digest of `{user}\u{1f}{timestamp_ms}\u{1f}{ip}` (`Display` forms), written piece by
    // piece: it runs for every login of every analysis with verdicts.
    let user = user_id.trim();
    let mut hash = crate::digest::Fnv1a64::default();
    if user.is_ascii() && !user.bytes().any(|byte| byte.is_ascii_uppercase()) {
        hash.write_bytes(user.as_bytes());
    } else {
        hash.write_bytes(user.to_lowercase().as_bytes());
    }
    hash.write_bytes(b"\x1f");
    hash.write_decimal(timestamp_ms);
    hash.write_bytes(b"\x1f");
    match ip {
        IpAddr::V4(v4) => {
            for (index, octet) in v4.octets().into_iter().enumerate() {
                if index > 0 {
                    hash.write_bytes(b".");
                }
                hash.write_decimal(i64::from(octet));
            }
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write;
            // Writing into a hash cannot fail.
            let _ = write!(hash, "{v6}");
        }
    }
    hash.finish() & 0xffff_ffff_ffff
}

/// The [`login_key`] a login id (`F-` and 12 lower-case hex digits) spells, if it is one.
pub fn login_key_of(login_id: &str) -> Option<u64> {
    let digits = login_id.strip_prefix("F-")?;
    let hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if digits.len() != 12 || !digits.bytes().all(hex) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// An address block: `198.51.100.0/24`, `2001:db8::/32`, or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix_len: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("not an address or CIDR block: {0:?}")]
    BadCidr(String),
    #[error("not an AS number: {0:?} (expected 13335 or AS13335)")]
    BadAsn(String),
    #[error("not a two-letter country code: {0:?}")]
    BadCountry(String),
    #[error("a user and country entry needs a user")]
    MissingUser,
    #[error("unknown allow-list kind {0:?} (expected cidr, asn, country or user_country)")]
    UnknownKind(String),
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ScopeError::BadCidr(text.to_owned());
        let (address, length) = match text.trim().split_once('/') {
            Some((address, length)) => (address, Some(length)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix_len = match length {
            Some(length) => length.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix_len > max {
            return Err(bad());
        }
        let cidr = Cidr {
            network,
            prefix_len,
        };
        // Stored normalised: 198.51.100.7/24 means 198.51.100.0/24.
        let network = match network {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix_len))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(prefix_len))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        };
        Ok(Cidr { network, ..cidr })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

/// What an allow-list entry covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowScope {
    Network(Cidr),
    Asn(u32),
    /// ISO 3166-1 alpha-2, upper case.
    Country(String),
    /// One user (compared case-insensitively) in one country.
    UserCountry {
        user: String,
        country: String,
    },
}

impl AllowScope {
    /// From the stored or submitted form: kind `cidr` | `asn` | `country` | `user_country`, the
    /// value, and the user for `user_country`.
    pub fn parse(kind: &str, value: &str, user: Option<&str>) -> Result<Self, ScopeError> {
        let country = |value: &str| {
            let code = value.trim().to_ascii_uppercase();
            if code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_uppercase()) {
                Ok(code)
            } else {
                Err(ScopeError::BadCountry(value.to_owned()))
            }
        };
        match kind {
            "cidr" | "ip" => Ok(Self::Network(value.parse()?)),
            "asn" => {
                let digits = value.trim().trim_start_matches(['A', 'S', 'a', 's']);
                digits
                    .parse()
                    .map(Self::Asn)
                    .map_err(|_| ScopeError::BadAsn(value.to_owned()))
            }
            "country" => Ok(Self::Country(country(value)?)),
            "user_country" => {
                let user = user
                    .map(|user| user.trim().to_lowercase())
                    .filter(|user| !user.is_empty())
                    .ok_or(ScopeError::MissingUser)?;
                Ok(Self::UserCountry {
                    user,
                    country: country(value)?,
                })
            }
            other => Err(ScopeError::UnknownKind(other.to_owned())),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Network(_) => "cidr",
            Self::Asn(_) => "asn",
            Self::Country(_) => "country",
            Self::UserCountry { .. } => "user_country",
        }
    }

    /// The value in its normalised written form.
    pub fn value(&self) -> String {
        match self {
            Self::Network(cidr) => cidr.to_string(),
            Self::Asn(asn) => format!("AS{asn}"),
            Self::Country(code) | Self::UserCountry { country: code, .. } => code.clone(),
        }
    }

    pub fn user(&self) -> Option<&str> {
        match self {
            Self::UserCountry { user, .. } => Some(user),
            _ => None,
        }
    }

    /// "198.51.100.0/24", "AS13335", "country NO", "alice in BR".
    pub fn describe(&self) -> String {
        match self {
            Self::Network(cidr) => cidr.to_string(),
            Self::Asn(asn) => format!("AS{asn}"),
            Self::Country(code) => format!("country {code}"),
            Self::UserCountry { user, country } => format!("{user} in {country}"),
        }
    }

    fn covers(&self, login: &SourceFacts<'_>) -> bool {
        match self {
            Self::Network(cidr) => cidr.contains(login.ip),
            Self::Asn(asn) => login.asn == Some(*asn),
            Self::Country(code) => login.country.is_some_and(|country| country == code),
            Self::UserCountry { user, country } => {
                login.country.is_some_and(|code| code == country)
                    && login.user_id.trim().eq_ignore_ascii_case(user)
            }
        }
    }
}

/// An allow-list entry in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    pub scope: AllowScope,
    /// Why it is trusted ("office VPN").
    pub reason: String,
}

/// An analyst's verdict on a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Someone else signed in: the login is Critical and never teaches the baseline.
    ConfirmedCompromised,
    /// The user themselves: the login scores 0 and teaches the baseline.
    ConfirmedSafe,
    /// An attack that did not get in (a failed guess): the login stays an attack (High) and
    /// its address is remembered as hostile; the account is not compromised.
    AttackAttempt,
    /// Looked at, nothing to do: changes no score.
    Dismissed,
}

impl VerdictKind {
    pub const ALL: [VerdictKind; 4] = [
        Self::ConfirmedCompromised,
        Self::ConfirmedSafe,
        Self::AttackAttempt,
        Self::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmedCompromised => "confirmed_compromised",
            Self::ConfirmedSafe => "confirmed_safe",
            Self::AttackAttempt => "attack_attempt",
            Self::Dismissed => "dismissed",
        }
    }
}

impl FromStr for VerdictKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown verdict {text:?} (expected confirmed_compromised, confirmed_safe, \
                     attack_attempt or dismissed)"
                )
            })
    }
}

/// A verdict on the login named `login_id` (see [`login_id`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub login_id: String,
    pub kind: VerdictKind,
    pub comment: String,
}

/// Everything analysts have taught, for one analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feedback {
    pub allow: Vec<AllowEntry>,
    pub verdicts: Vec<Verdict>,
}

impl Feedback {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.verdicts.is_empty()
    }
}

/// What is known of a login's source when feedback is applied.
pub(crate) struct SourceFacts<'a> {
    pub user_id: &'a str,
    pub ip: IpAddr,
    pub country: Option<&'a str>,
    pub asn: Option<u32>,
}

/// A login confirmed compromised, or an attack attempt, remembered for the later logins from
/// its address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct CompromisedSource {
    pub user_id: String,
    pub timestamp_ms: i64,
    /// An attack that did not get in, rather than a compromise.
    pub attempt: bool,
}

/// [`Feedback`] indexed for scoring.
/// Kept state holds only what was learnt (the compromised sources): the allow-list and verdicts
/// are taught again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct FeedbackIndex {
    #[serde(skip)]
    allow: Vec<AllowEntry>,
    /// By [`login_key`].
    #[serde(skip)]
    verdicts: HashMap<u64, Verdict>,
    compromised_sources: HashMap<IpAddr, CompromisedSource>,
}

impl FeedbackIndex {
    pub fn new(feedback: &Feedback) -> Self {
        Self {
            allow: feedback.allow.clone(),
            verdicts: feedback
                .verdicts
                .iter()
                .filter_map(|verdict| Some((login_key_of(&verdict.login_id)?, verdict.clone())))
                .collect(),
            compromised_sources: HashMap::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.verdicts.is_empty()
    }

    /// The allow-list and verdicts of `taught`, keeping the compromised sources learnt so far
    /// whose verdicts still stand (a verdict changed to another kind, or gone, no longer marks
    /// its address).
    pub fn retaught(&mut self, taught: Self) {
        self.allow = taught.allow;
        self.verdicts = taught.verdicts;
        let verdicts = &self.verdicts;
        self.compromised_sources.retain(|ip, source| {
            let key = login_key(&source.user_id, source.timestamp_ms, *ip);
            match verdicts.get(&key).map(|verdict| verdict.kind) {
                Some(VerdictKind::ConfirmedCompromised) => {
                    source.attempt = false;
                    true
                }
                Some(VerdictKind::AttackAttempt) => {
                    source.attempt = true;
                    true
                }
                Some(VerdictKind::ConfirmedSafe | VerdictKind::Dismissed) | None => false,
            }
        });
    }

    /// The first entry covering the login, as "office VPN 198.51.100.0/24".
    pub fn allowed_by(&self, login: &SourceFacts<'_>) -> Option<String> {
        self.allow
            .iter()
            .find(|entry| entry.scope.covers(login))
            .map(|entry| format!("{} {}", entry.reason.trim(), entry.scope.describe()))
    }

    /// The verdict on the login with this [`login_key`].
    pub fn verdict(&self, login_key: u64) -> Option<&Verdict> {
        self.verdicts.get(&login_key)
    }

    /// Remembers `source` for its address, unless an earlier (or as early) one is remembered.
    pub fn remember_compromised(&mut self, ip: IpAddr, source: CompromisedSource) {
        match self.compromised_sources.entry(ip) {
            std::collections::hash_map::Entry::Occupied(mut earlier) => {
                if source.timestamp_ms < earlier.get().timestamp_ms {
                    earlier.insert(source);
                }
            }
            std::collections::hash_map::Entry::Vacant(none) => {
                none.insert(source);
            }
        }
    }

    /// The compromised source remembered for the address of a login at `timestamp_ms`, if it
    /// came before it.
    pub fn compromised_source(&self, ip: IpAddr, timestamp_ms: i64) -> Option<&CompromisedSource> {
        self.compromised_sources
            .get(&ip)
            .filter(|source| source.timestamp_ms <= timestamp_ms)
    }
}

/// Findings about where a login comes from, which an allow-list entry vouches for.
pub fn allow_list_covers(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::NewLocation
            | FindingKind::NewNetwork
            | FindingKind::ImpossibleTravel
            | FindingKind::FastTravel
            | FindingKind::AnonymisingNetwork
            | FindingKind::Outlier
            | FindingKind::OutsideClusters
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(user: &'a str, ip: &str, country: Option<&'a str>) -> SourceFacts<'a> {
        SourceFacts {
            user_id: user,
            ip: ip.parse().unwrap(),
            country,
            asn: Some(13335),
        }
    }

    #[test]
    fn cidr_blocks_contain_their_addresses() {
        let office: Cidr = "198.51.100.7/24".parse().unwrap();
        assert_eq!(office.to_string(), "198.51.100.0/24");
        assert!(office.contains("198.51.100.200".parse().unwrap()));
        assert!(!office.contains("198.51.101.1".parse().unwrap()));
        assert!(!office.contains("2001:db8::1".parse().unwrap()));
        let everything: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains("8.8.8.8".parse().unwrap()));
        let host: Cidr = "2001:db8::1".parse().unwrap();
        assert_eq!(host.to_string(), "2001:db8::1/128");
        assert!(host.contains("2001:db8::1".parse().unwrap()));
        assert!(!host.contains("2001:db8::2".parse().unwrap()));
        let v6: Cidr = "2001:db8:1234::/48".parse().unwrap();
        assert!(v6.contains("2001:db8:1234:ffff::1".parse().unwrap()));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "x/8",
            "::/129",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_parse_normalise_and_match() {
        let asn = AllowScope::parse("asn", "as13335", None).unwrap();
        assert_eq!(asn.value(), "AS13335");
        assert!(asn.covers(&facts("bob", "1.1.1.1", None)));
        let trip = AllowScope::parse("user_country", "br", Some(" Alice ")).unwrap();
        assert_eq!(trip.describe(), "alice in BR");
        assert!(trip.covers(&facts("ALICE", "1.1.1.1", Some("BR"))));
        assert!(!trip.covers(&facts("bob", "1.1.1.1", Some("BR"))));
        assert!(!trip.covers(&facts("alice", "1.1.1.1", Some("NO"))));
        let country = AllowScope::parse("country", "NO", None).unwrap();
        assert!(!country.covers(&facts("alice", "1.1.1.1", None)));
        assert_eq!(
            AllowScope::parse("user_country", "BR", Some(" ")),
            Err(ScopeError::MissingUser)
        );
        assert!(AllowScope::parse("country", "Norway", None).is_err());
        assert!(AllowScope::parse("asn", "ASx", None).is_err());
        assert!(AllowScope::parse("planet", "earth", None).is_err());
    }

    #[test]
    fn login_ids_ignore_user_case_and_follow_instant_and_address() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let id = login_id("Lena.Neumann", 1_700_000_000_000, ip);
        assert_eq!(id, login_id("lena.neumann ", 1_700_000_000_000, ip));
        assert_ne!(id, login_id("lena.neumann", 1_700_000_000_001, ip));
        assert_eq!(id.len(), 14);
        assert!(id.starts_with("F-"));
    }

    #[test]
    fn login_ids_keep_their_values_and_spell_their_keys() {
        // Ids are kept with verdicts: they must never change.
        let (v4, v6): (IpAddr, IpAddr) = (
            "203.0.113.9".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        );
        assert_eq!(
            login_id("Lena.Neumann", 1_700_000_000_000, v4),
            "F-4c54e1eab42e"
        );
        assert_eq!(login_id(" ZOË", 1_700_000_000_000, v6), "F-cab2054a60a8");
        let key = login_key("Lena.Neumann", 1_700_000_000_000, v4);
        assert_eq!(login_key_of("F-4c54e1eab42e"), Some(key));
        // Written piece by piece, the key is the digest of the text it was first defined by.
        for user in ["lena.neumann", " Lena.Neumann ", "ZOË", "x@example.org"] {
            for timestamp_ms in [0, -1, 9, 1_700_000_000_000, i64::MIN, i64::MAX] {
                for ip in [
                    "0.0.0.0",
                    "255.255.255.255",
                    "10.0.12.3",
                    "::1",
                    "2001:db8::ff00:42:8329",
                    "::ffff:1.2.3.4",
                ] {
                    let ip: IpAddr = ip.parse().unwrap();
                    let text = format!(
                        "{}\u{1f}{timestamp_ms}\u{1f}{ip}",
                        user.trim().to_lowercase()
                    );
                    assert_eq!(
                        login_key(user, timestamp_ms, ip),
                        crate::digest::fnv1a64(text.as_bytes()) & 0xffff_ffff_ffff,
                        "{text}"
                    );
                }
            }
        }
        for not_an_id in [
            "F-4C54E1EAB42E",
            "F-4c54e1eab42",
            "4c54e1eab42e",
            "F-4c54e1eab42g",
        ] {
            assert_eq!(login_key_of(not_an_id), None, "{not_an_id}");
        }
    }
}
