//! What analysts teach: verdicts on kept logins (with their history) and the allow-list. Both
//! apply from the next upload or re-score ([`DetectionService::rerun`]), and to monitored logins
//! once the source's analyzer reads them again ([`Taught`]): at most [`FEEDBACK_REFRESH`] after
//! the change, at once when it was made in the same process.

use crate::account::Account;
use crate::clock::now_ms;
use crate::error::{FeedbackError, MAX_COMMENT_CHARS};
use crate::runs::DetectionService;
use crate::source::SourceName;
use crate::taught::feedback_changed;
#[cfg(doc)]
use crate::taught::{FEEDBACK_REFRESH, Taught};
use crate::triage::{AllowListEntry, AllowListInput, TriageRecord, TriageState};

impl DetectionService {
    /// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`,
    /// `attack_attempt`, `dismissed`) on a kept login, as its current one in its source and in
    /// its history, under `by`'s name. Returns the login's verdicts now.
    pub async fn record_verdict(
        &self,
        login_id: &str,
        verdict: &str,
        comment: &str,
        source: Option<&SourceName>,
        by: &Account,
    ) -> Result<TriageState, FeedbackError> {
        let verdict = verdict.parse().map_err(FeedbackError::BadVerdict)?;
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(FeedbackError::CommentTooLong);
        }
        // The login must be kept before a verdict is kept for it.
        let source = self.source_of(login_id, source).await?;
        if verdict == engine::VerdictKind::ConfirmedCompromised {
            let failed = self
                .scored_login(login_id)
                .await?
                .iter()
                .any(|scored| scored.source == source && scored.event.success == Some(false));
            if failed {
                return Err(FeedbackError::BadVerdict(
                    "a failed sign-in did not compromise the account: mark it attack_attempt"
                        .to_owned(),
                ));
            }
        }
        self.feedback
            .record_triage(TriageRecord {
                source: source.clone(),
                login_id: login_id.to_owned(),
                verdict,
                comment: comment.to_owned(),
                actor: by.name.clone(),
                at_ms: now_ms(),
            })
            .await?;
        feedback_changed();
        Ok(self.feedback.triage(&source, login_id).await?)
    }

    /// A login's current verdict and its history in its source.
    pub async fn triage(
        &self,
        login_id: &str,
        source: Option<&SourceName>,
    ) -> Result<TriageState, FeedbackError> {
        let source = self.source_of(login_id, source).await?;
        Ok(self.feedback.triage(&source, login_id).await?)
    }

    /// The source a kept login's verdict is kept in: the one named, which must keep it, or the
    /// only one that keeps it.
    async fn source_of(
        &self,
        login_id: &str,
        named: Option<&SourceName>,
    ) -> Result<SourceName, FeedbackError> {
        let mut kept_in: Vec<SourceName> = self
            .scored_login(login_id)
            .await?
            .into_iter()
            .map(|scored| scored.source)
            .collect();
        kept_in.sort();
        kept_in.dedup();
        match (named, kept_in.as_slice()) {
            (Some(named), kept) if kept.contains(named) => Ok(named.clone()),
            (Some(named), _) => Err(FeedbackError::NotFound(format!(
                "login {login_id:?} is not kept in source {named}"
            ))),
            (None, [only]) => Ok(only.clone()),
            (None, kept) => Err(FeedbackError::BadVerdict(format!(
                "login {login_id:?} is kept in several sources ({}): say which",
                kept.iter()
                    .map(SourceName::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The allow-list entries of `source` (or of every source), oldest first (expired ones
    /// included).
    pub async fn allow_list(
        &self,
        source: Option<&SourceName>,
    ) -> Result<Vec<AllowListEntry>, FeedbackError> {
        Ok(self.feedback.allow_list(source).await?)
    }

    /// One allow-list entry.
    pub async fn allow_entry(&self, id: &str) -> Result<AllowListEntry, FeedbackError> {
        self.feedback
            .allow_list(None)
            .await?
            .into_iter()
            .find(|entry| entry.id == id)
            .ok_or_else(|| FeedbackError::NotFound(format!("no allow-list entry {id:?}")))
    }

    pub async fn remove_allow_entry(&self, id: &str, by: &Account) -> Result<(), FeedbackError> {
        may_change_allow_list(by)?;
        if self.feedback.delete_allow(id).await? {
            feedback_changed();
            Ok(())
        } else {
            Err(FeedbackError::NotFound(format!(
                "no allow-list entry {id:?}"
            )))
        }
    }

    /// Keeps `input` as a new allow-list entry, or in place of `replacing` (keeping its id and
    /// when it was made), under `by`'s name.
    pub async fn save_allow_entry(
        &self,
        input: &AllowListInput,
        replacing: Option<AllowListEntry>,
        by: &Account,
    ) -> Result<AllowListEntry, FeedbackError> {
        may_change_allow_list(by)?;
        let now_ms = now_ms();
        let id = replacing
            .as_ref()
            .map_or_else(|| input.new_id(now_ms), |entry| entry.id.clone());
        let mut entry = input
            .validate(id, &by.name, now_ms)
            .map_err(FeedbackError::BadEntry)?;
        if let Some(existing) = replacing {
            entry.created_ms = existing.created_ms;
        }
        self.feedback.save_allow(entry.clone()).await?;
        feedback_changed();
        Ok(entry)
    }
}

/// Only admins change the allow-list: it silences findings for everyone.
fn may_change_allow_list(by: &Account) -> Result<(), FeedbackError> {
    if by.is_admin() {
        Ok(())
    } else {
        Err(FeedbackError::Forbidden(format!(
            "only an admin may change the allow-list; {} is an analyst",
            by.name
        )))
    }
}
