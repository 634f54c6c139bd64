//! What analysts teach: verdicts on kept logins (with their history) and the allow-list. Both
//! apply from the next upload or re-score ([`DetectionService::rerun`]).

use crate::account::Account;
use crate::clock::now_ms;
use crate::error::{FeedbackError, MAX_COMMENT_CHARS};
use crate::runs::DetectionService;
use crate::triage::{AllowListEntry, AllowListInput, TriageRecord, TriageState};

impl DetectionService {
    /// Records an analyst's verdict (`confirmed_safe`, `confirmed_compromised`, `dismissed`) on
    /// a kept login, as its current one and in its history, under `by`'s name.
    pub async fn record_verdict(
        &self,
        login_id: &str,
        verdict: &str,
        comment: &str,
        by: &Account,
    ) -> Result<(), FeedbackError> {
        let verdict = verdict.parse().map_err(FeedbackError::BadVerdict)?;
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(FeedbackError::CommentTooLong);
        }
        // The login must be kept before a verdict is kept for it.
        self.scored_login(login_id).await?;
        self.feedback
            .record_triage(TriageRecord {
                login_id: login_id.to_owned(),
                verdict,
                comment: comment.to_owned(),
                actor: by.name.clone(),
                at_ms: now_ms(),
            })
            .await?;
        Ok(())
    }

    /// A login's current verdict and its history.
    pub async fn triage(&self, login_id: &str) -> Result<TriageState, FeedbackError> {
        Ok(self.feedback.triage(login_id).await?)
    }

    /// Every allow-list entry, oldest first (expired ones included).
    pub async fn allow_list(&self) -> Result<Vec<AllowListEntry>, FeedbackError> {
        Ok(self.feedback.allow_list().await?)
    }

    /// One allow-list entry.
    pub async fn allow_entry(&self, id: &str) -> Result<AllowListEntry, FeedbackError> {
        self.feedback
            .allow_list()
            .await?
            .into_iter()
            .find(|entry| entry.id == id)
            .ok_or_else(|| FeedbackError::NotFound(format!("no allow-list entry {id:?}")))
    }

    pub async fn remove_allow_entry(&self, id: &str, by: &Account) -> Result<(), FeedbackError> {
        may_change_allow_list(by)?;
        if self.feedback.delete_allow(id).await? {
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
