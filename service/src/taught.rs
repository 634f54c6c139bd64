//! What monitored sources' analyzers were taught: the feedback in force in a source (its
//! allow-list entries not expired and its current verdicts), read again at most
//! [`FEEDBACK_REFRESH`] after a change, at once when the change was made in this process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use engine::{Analyzer, Feedback, VerdictKind};

use crate::clock::now_ms;
use crate::ports::{FeedbackStore, MonitorStore, StoreError};
use crate::source::SourceName;
use crate::triage::feedback_of;

/// How often a monitored source's analyzer (the single-process monitor's, or a scale-out
/// worker's for each partition) reads the feedback in force again, with the source's next
/// logins: a change made on any server reaches every worker through the shared database
/// within this long.
pub const FEEDBACK_REFRESH: Duration = Duration::from_secs(5);

/// Changes to verdicts and the allow-list made in this process: an analyzer that read the
/// feedback before the latest reads it again at once.
static FEEDBACK_CHANGES: AtomicU64 = AtomicU64::new(0);

pub(crate) fn feedback_changed() {
    FEEDBACK_CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// What analysts have taught `source`, in force at `now_ms`: its allow-list entries not expired
/// and its current verdicts.
pub(crate) async fn feedback_in_force(
    store: &dyn FeedbackStore,
    source: &SourceName,
    now_ms: i64,
) -> Result<Feedback, StoreError> {
    let entries = store.allow_list(Some(source)).await?;
    let verdicts = store.verdicts(source).await?;
    Ok(feedback_of(&entries, &verdicts, now_ms))
}

/// The feedback a monitored source's analyzer was taught, and when it was read.
#[derive(Default)]
pub(crate) struct Taught {
    feedback: Feedback,
    /// When it was read, and [`FEEDBACK_CHANGES`] then; `None` before the first reading.
    read: Option<(Instant, u64)>,
}

impl Taught {
    /// Teaches `analyzer` the feedback in force in `source` when it was never read, was read
    /// [`FEEDBACK_REFRESH`] ago or more, or changed in this process since (two reads of the
    /// store, and a third when verdicts mark addresses). Addresses of logins marked by verdicts
    /// given after the analyzer scored them are marked for the logins that follow.
    pub async fn refresh(
        &mut self,
        analyzer: &mut Analyzer<'static>,
        store: &dyn MonitorStore,
        source: &SourceName,
    ) -> Result<(), StoreError> {
        let changes = FEEDBACK_CHANGES.load(Ordering::Acquire);
        if self
            .read
            .is_some_and(|(at, seen)| seen == changes && at.elapsed() < FEEDBACK_REFRESH)
        {
            return Ok(());
        }
        let feedback = feedback_in_force(store, source, now_ms()).await?;
        if self.read.is_none() || feedback != self.feedback {
            analyzer.set_feedback(&feedback);
            // Every marking verdict again: one retracted may have hidden another on its address.
            let marking: Vec<String> = feedback
                .verdicts
                .iter()
                .filter(|verdict| {
                    matches!(
                        verdict.kind,
                        VerdictKind::ConfirmedCompromised | VerdictKind::AttackAttempt
                    )
                })
                .map(|verdict| verdict.login_id.clone())
                .collect();
            if !marking.is_empty() {
                for login in store.monitored_named(source, &marking).await? {
                    analyzer.mark_verdict_source(&login);
                }
            }
            self.feedback = feedback;
        }
        self.read = Some((Instant::now(), changes));
        Ok(())
    }
}
