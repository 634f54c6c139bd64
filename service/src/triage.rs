//! What analysts record about results: verdicts on logins (with their history) and allow-list
//! entries. Shared by the pages, the API and the storage; their effect on scores is the
//! engine's ([`engine::feedback`]).

use engine::{AllowEntry, AllowScope, Feedback, Verdict, VerdictKind};
use serde::{Deserialize, Serialize};

use crate::source::SourceName;

/// One verdict as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriageRecord {
    /// The source the verdict applies in.
    #[serde(default)]
    pub source: SourceName,
    /// The login's identifier ([`engine::login_id`]), stable across runs.
    pub login_id: String,
    pub verdict: VerdictKind,
    pub comment: String,
    /// Who recorded it ("local" without sign-in).
    pub actor: String,
    pub at_ms: i64,
}

/// A login's current verdict and every verdict given to it, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageState {
    pub current: Option<TriageRecord>,
    pub history: Vec<TriageRecord>,
}

/// An allow-list entry as kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AllowListEntry {
    pub id: String,
    /// The source whose analyses it applies to.
    #[serde(default)]
    pub source: SourceName,
    /// `cidr`, `asn`, `country` or `user_country`.
    pub kind: String,
    /// Normalised: `198.51.100.0/24`, `AS13335`, `BR`.
    pub value: String,
    /// The user of a `user_country` entry (lower case).
    pub user: Option<String>,
    pub reason: String,
    pub expires_ms: Option<i64>,
    pub created_ms: i64,
    pub actor: String,
}

/// An allow-list entry as submitted (created or replaced).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllowListInput {
    /// The source it applies to (`default` when left out).
    #[serde(default)]
    pub source: SourceName,
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub user: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub expires_ms: Option<i64>,
}

impl AllowListInput {
    /// A new entry's id: `AL-` and 12 hex digits from the entry and when it was made.
    pub fn new_id(&self, now_ms: i64) -> String {
        let key = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{now_ms}",
            self.source,
            self.kind,
            self.value,
            self.user.as_deref().unwrap_or_default()
        );
        let hash = engine::digest::fnv1a64(key.as_bytes());
        format!("AL-{:012x}", hash & 0xffff_ffff_ffff)
    }

    /// The entry to keep, validated and normalised, or what is wrong with it.
    pub fn validate(&self, id: String, actor: &str, now_ms: i64) -> Result<AllowListEntry, String> {
        let scope = AllowScope::parse(self.kind.trim(), &self.value, self.user.as_deref())
            .map_err(|error| error.to_string())?;
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err("a reason is required (e.g. \"office VPN\")".to_owned());
        }
        if reason.chars().count() > 200 {
            return Err("the reason is longer than 200 characters".to_owned());
        }
        if self.expires_ms.is_some_and(|expiry| expiry <= now_ms) {
            return Err("the expiry is in the past".to_owned());
        }
        Ok(AllowListEntry {
            id,
            source: self.source.clone(),
            kind: scope.kind().to_owned(),
            value: scope.value(),
            user: scope.user().map(str::to_owned),
            reason: reason.to_owned(),
            expires_ms: self.expires_ms,
            created_ms: now_ms,
            actor: actor.to_owned(),
        })
    }
}

impl AllowListEntry {
    pub fn in_force(&self, now_ms: i64) -> bool {
        self.expires_ms.is_none_or(|expiry| expiry > now_ms)
    }

    /// The engine's form; `None` for an entry that no longer parses (never written so).
    pub fn to_engine(&self) -> Option<AllowEntry> {
        let scope = AllowScope::parse(&self.kind, &self.value, self.user.as_deref()).ok()?;
        Some(AllowEntry {
            scope,
            reason: self.reason.clone(),
        })
    }
}

/// What analysts have taught, as of `now_ms`: the entries in force and the current verdicts.
pub fn feedback_of(entries: &[AllowListEntry], verdicts: &[TriageRecord], now_ms: i64) -> Feedback {
    Feedback {
        allow: entries
            .iter()
            .filter(|entry| entry.in_force(now_ms))
            .filter_map(AllowListEntry::to_engine)
            .collect(),
        verdicts: verdicts
            .iter()
            .map(|record| Verdict {
                login_id: record.login_id.clone(),
                kind: record.verdict,
                comment: record.comment.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_validated_and_normalised() {
        let input = AllowListInput {
            kind: "cidr".to_owned(),
            value: "198.51.100.7/24".to_owned(),
            reason: " office VPN ".to_owned(),
            expires_ms: Some(2_000),
            ..AllowListInput::default()
        };
        let entry = input.validate("A-1".to_owned(), "local", 1_000).unwrap();
        assert_eq!(entry.value, "198.51.100.0/24");
        assert_eq!(entry.reason, "office VPN");
        assert!(entry.in_force(1_999));
        assert!(!entry.in_force(2_000));
        let feedback = feedback_of(&[entry], &[], 2_500);
        assert!(feedback.allow.is_empty(), "expired entries are not applied");
        let no_reason = AllowListInput {
            reason: "  ".to_owned(),
            ..input.clone()
        };
        assert!(
            no_reason
                .validate("A-2".to_owned(), "local", 1_000)
                .is_err()
        );
        let past = AllowListInput {
            expires_ms: Some(10),
            ..input
        };
        assert_eq!(
            past.validate("A-3".to_owned(), "local", 1_000),
            Err("the expiry is in the past".to_owned())
        );
    }
}
