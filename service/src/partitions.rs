//! Scale-out scoring: stateless servers publish accepted logins to a durable log (NATS
//! JetStream) on a subject per source and partition; workers own partitions and score each
//! partition's logins in log order, one analyzer per source, as the single-process monitor
//! scores a source's ([`crate::monitor`]).
//!
//! Each analyzer applies the feedback in force in its source, read from the shared database
//! before a batch when it was never read or [`FEEDBACK_REFRESH`] has passed
//! ([`PartitionScorer::refresh_feedback`]): an allow-list entry or verdict recorded on any
//! server applies to the logins every worker scores from then on. A verdict confirming a
//! monitored login compromised (or an attack attempt) marks its address in every partition, for
//! the logins after it, whichever partition scored it.
//!
//! A login's partition is a stable hash of its lower-cased user id modulo [`PARTITIONS`], so
//! each user's logins stay in one partition, in the order they were published. The population
//! models (Isolation Forest, DBSCAN, attack windows) of a partition's analyzer learn from that
//! partition's logins only: a partition's verdicts equal a single process scoring the same
//! partition's logins in the same order, not one process scoring every partition together.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use engine::config::ConfigError;
use engine::enrich::GeoLookup;
use engine::{AnalysisConfig, Analyzer};

#[cfg(doc)]
use crate::monitor::FEEDBACK_REFRESH;
use crate::monitor::{late_reason, score_in_order};
use crate::ports::{MonitorStore, MonitoredLogin, PartitionCheckpoint, PublishedLogin, StoreError};
use crate::source::SourceName;
use crate::taught::Taught;

/// Partitions of the log, fixed: every server and worker of an installation must agree (the
/// workers refuse a database whose leases name another count).
pub const PARTITIONS: u32 = 16;

/// The stream holding the published logins.
pub const STREAM: &str = "SKYTRACE_EVENTS";

/// Every subject of [`STREAM`]: `skytrace.events.<source>.<partition>`.
pub const SUBJECTS: &str = "skytrace.events.>";

/// The partition of a user's logins: FNV-1a (64 bits) of the lower-cased user id, modulo
/// [`PARTITIONS`]. Stable across builds and platforms.
pub fn partition_of(user_id: &str) -> u32 {
    let hash = engine::digest::fnv1a64(user_id.to_lowercase().as_bytes());
    u32::try_from(hash % u64::from(PARTITIONS)).unwrap_or(0)
}

/// The subject a login of `source` in `partition` is published on. A NATS subject's tokens
/// cannot hold `.`, which source names may: it is written `~` (which they may not).
pub fn subject(source: &SourceName, partition: u32) -> String {
    format!(
        "skytrace.events.{}.{partition}",
        source.as_str().replace('.', "~")
    )
}

/// The subjects of one partition, every source.
pub fn partition_subjects(partition: u32) -> String {
    format!("skytrace.events.*.{partition}")
}

/// One message of the log: its stream sequence and the login it carries.
#[derive(Clone, Debug)]
pub struct LogMessage {
    pub sequence: u64,
    pub login: PublishedLogin,
}

/// What became of a batch of a partition's messages ([`PartitionScorer::score`]).
#[derive(Debug, Default)]
pub struct ScoredBatch {
    /// Logins scored for the first time, to keep, by source, in log order.
    pub new: BTreeMap<SourceName, Vec<MonitoredLogin>>,
    /// Logins whose verdict was kept before (by this or an earlier owner): learnt again only.
    pub replayed: usize,
    /// Logins published again under another sequence: neither learnt nor kept.
    pub duplicates: usize,
    /// Logins older than one already scored in their source and partition, with why.
    pub late: Vec<(SourceName, String)>,
}

/// One source's analyzer in a partition, and the feedback it applies.
struct Scored {
    analyzer: Analyzer<'static>,
    taught: Taught,
}

impl Scored {
    fn new(analyzer: Analyzer<'static>) -> Self {
        Self {
            analyzer,
            taught: Taught::default(),
        }
    }
}

/// One partition's analyzers, one per source.
pub struct PartitionScorer {
    config: AnalysisConfig,
    geo: Arc<dyn GeoLookup + Send>,
    sources: HashMap<SourceName, Scored>,
    /// The last message learnt (0: none).
    through_sequence: u64,
}

impl PartitionScorer {
    /// Goes on from `checkpoint`, or from the start of the log without one, or when a source's
    /// learnt state cannot be read (then every message is learnt again).
    pub fn resume(
        config: AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
        checkpoint: Option<PartitionCheckpoint>,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        let mut scorer = Self {
            config,
            geo,
            sources: HashMap::new(),
            through_sequence: 0,
        };
        let Some(checkpoint) = checkpoint else {
            return Ok(scorer);
        };
        for (source, state) in checkpoint.sources {
            match Analyzer::resume_shared(scorer.config.clone(), Arc::clone(&scorer.geo), &state) {
                Ok(analyzer) => {
                    scorer.sources.insert(source, Scored::new(analyzer));
                }
                Err(error) => {
                    tracing::warn!(%source, %error, "a partition's learnt state cannot be read; learning the partition again from the start of the log");
                    scorer.sources.clear();
                    return Ok(scorer);
                }
            }
        }
        scorer.through_sequence = checkpoint.through_sequence;
        Ok(scorer)
    }

    /// The last message learnt (0: none): the log is read on from the next.
    pub fn through_sequence(&self) -> u64 {
        self.through_sequence
    }

    /// Everything learnt, to keep as the partition's checkpoint.
    pub fn checkpoint(&self, taken_ms: i64) -> PartitionCheckpoint {
        let mut sources: Vec<(SourceName, Vec<u8>)> = self
            .sources
            .iter()
            .map(|(source, scored)| (source.clone(), scored.analyzer.learnt_state()))
            .collect();
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        PartitionCheckpoint {
            through_sequence: self.through_sequence,
            taken_ms,
            sources,
        }
    }

    /// Teaches the analyzer of each source of `messages` the feedback in force in it, read from
    /// `store` when it was never read or [`FEEDBACK_REFRESH`] has passed: before
    /// [`Self::score`], which applies what each analyzer was taught.
    pub async fn refresh_feedback(
        &mut self,
        messages: &[LogMessage],
        store: &dyn MonitorStore,
    ) -> Result<(), StoreError> {
        let mut sources: Vec<&SourceName> = messages
            .iter()
            .map(|message| &message.login.source)
            .collect();
        sources.sort();
        sources.dedup();
        for source in sources {
            let scored = self.scored(source);
            scored
                .taught
                .refresh(&mut scored.analyzer, store, source)
                .await?;
        }
        Ok(())
    }

    /// The source's analyzer, fresh when it has none yet.
    fn scored(&mut self, source: &SourceName) -> &mut Scored {
        self.sources.entry(source.clone()).or_insert_with(|| {
            Scored::new(
                Analyzer::shared(self.config.clone(), Arc::clone(&self.geo))
                    .expect("the settings were checked when the scorer was made"),
            )
        })
    }

    /// Scores `messages` (in log order) after those already learnt; `kept` holds the sequence
    /// each of their logins was kept under before, by source and login id. Messages at or
    /// before [`Self::through_sequence`] (redelivered) are passed over.
    pub fn score(
        &mut self,
        messages: Vec<LogMessage>,
        kept: &HashMap<(SourceName, String), i64>,
    ) -> ScoredBatch {
        let fresh = self.fresh(messages);
        self.score_fresh(fresh, kept)
    }

    /// Scores `messages` gathered over a reorder window as [`Self::score`] does, but in the
    /// order of their logins' instants (ties in log order), so that logins which reached the
    /// log out of order within the window are placed in order rather than rejected as late.
    pub fn score_reordered(
        &mut self,
        messages: Vec<LogMessage>,
        kept: &HashMap<(SourceName, String), i64>,
    ) -> ScoredBatch {
        let mut fresh = self.fresh(messages);
        fresh.sort_by_key(|message| message.login.login.timestamp_ms);
        self.score_fresh(fresh, kept)
    }

    /// The messages after the last one learnt, in log order (a redelivered one is passed over).
    fn fresh(&self, messages: Vec<LogMessage>) -> Vec<LogMessage> {
        let mut through = self.through_sequence;
        messages
            .into_iter()
            .filter(|message| {
                let fresh = message.sequence > through;
                through = through.max(message.sequence);
                fresh
            })
            .collect()
    }

    fn score_fresh(
        &mut self,
        messages: Vec<LogMessage>,
        kept: &HashMap<(SourceName, String), i64>,
    ) -> ScoredBatch {
        let mut batch = ScoredBatch::default();
        let mut seen: HashMap<(SourceName, String), i64> = HashMap::new();
        for message in messages {
            self.through_sequence = self.through_sequence.max(message.sequence);
            let sequence = i64::try_from(message.sequence).unwrap_or(i64::MAX);
            let PublishedLogin {
                source,
                login_id,
                received_ms,
                login,
            } = message.login;
            let key = (source, login_id);
            let earlier = kept.get(&key).or_else(|| seen.get(&key)).copied();
            if earlier.is_some_and(|earlier| earlier != sequence) {
                batch.duplicates += 1;
                continue;
            }
            let (source, login_id) = key;
            let analyzer = &mut self.scored(&source).analyzer;
            match score_in_order(analyzer, login, sequence, login_id.clone(), received_ms) {
                Ok(scored) => {
                    seen.insert((source.clone(), login_id), sequence);
                    if earlier.is_some() {
                        batch.replayed += 1;
                    } else {
                        batch.new.entry(source).or_default().push(scored);
                    }
                }
                Err(late) => {
                    let reason = late_reason(&late, &source);
                    batch.late.push((source, reason));
                }
            }
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_logins_share_a_partition_whatever_the_case() {
        assert_eq!(
            partition_of("Ana@Example.com"),
            partition_of("ana@example.com")
        );
        let partitions: std::collections::HashSet<u32> = (0..200)
            .map(|user| partition_of(&format!("user{user}@example.com")))
            .collect();
        assert_eq!(
            partitions.len(),
            PARTITIONS as usize,
            "users spread over every partition"
        );
        assert!(partitions.iter().all(|partition| *partition < PARTITIONS));
    }

    fn message(sequence: u64, minute: u32, user: &str) -> LogMessage {
        let record = format!(
            r#"{{"timestamp":"2026-03-02T08:{minute:02}:00Z","user_id":"{user}","ip_address":"192.0.2.{}","user_agent":"Mozilla/5.0","success":true}}"#,
            minute % 7 + 1
        );
        let engine::ingest::RecordOutcome::Event(login) =
            engine::ingest::read_record(record.as_bytes(), &engine::IngestOptions::default())
        else {
            panic!("not a login: {record}");
        };
        LogMessage {
            sequence,
            login: PublishedLogin {
                source: SourceName::default(),
                login_id: login.login_id(),
                received_ms: 0,
                login: *login,
            },
        }
    }

    fn scorer(checkpoint: Option<PartitionCheckpoint>) -> PartitionScorer {
        PartitionScorer::resume(
            AnalysisConfig::default(),
            Arc::new(engine::enrich::NoGeolocation),
            checkpoint,
        )
        .unwrap()
    }

    fn kept_of(batch: &ScoredBatch) -> HashMap<(SourceName, String), i64> {
        batch
            .new
            .iter()
            .flat_map(|(source, logins)| {
                logins
                    .iter()
                    .map(|login| ((source.clone(), login.login_id.clone()), login.sequence))
            })
            .collect()
    }

    #[test]
    fn a_resumed_partition_learns_again_what_was_kept_and_scores_on_as_one_that_never_stopped() {
        let messages: Vec<LogMessage> = (1..=6)
            .map(|at| message(at, at as u32, if at % 2 == 0 { "ana" } else { "bo" }))
            .collect();
        let mut whole = scorer(None);
        let everything = whole.score(messages.clone(), &HashMap::new());
        assert_eq!(everything.new[&SourceName::default()].len(), 6);

        // Checkpointed after 2, kept through 4, then stopped: resumed, it is sent 1 to 6 again.
        let mut first = scorer(None);
        first.score(messages[..2].to_vec(), &HashMap::new());
        let checkpoint = first.checkpoint(0);
        let mut kept = kept_of(&first.score(messages[2..4].to_vec(), &HashMap::new()));
        kept.extend(kept_of(
            &scorer(None).score(messages[..2].to_vec(), &HashMap::new()),
        ));
        let mut resumed = scorer(Some(checkpoint));
        assert_eq!(resumed.through_sequence(), 2);
        let again = resumed.score(messages.clone(), &kept);
        assert_eq!(again.replayed, 2, "3 and 4 learnt again, not kept again");
        let new = &again.new[&SourceName::default()];
        assert_eq!(
            new.iter().map(|login| login.sequence).collect::<Vec<_>>(),
            [5, 6]
        );
        for login in new {
            let same = &everything.new[&SourceName::default()][login.sequence as usize - 1];
            assert_eq!(login.scored, same.scored);
        }

        // The sixth login published again under another sequence is passed over.
        let mut republished = messages[5].clone();
        republished.sequence = 7;
        let kept = HashMap::from([(
            (SourceName::default(), messages[5].login.login_id.clone()),
            6,
        )]);
        let duplicate = resumed.score(vec![republished], &kept);
        assert_eq!((duplicate.duplicates, duplicate.new.len()), (1, 0));
    }

    /// A worker's scorer applies the allow-list entries and verdicts kept in the shared
    /// database, read again once [`FEEDBACK_REFRESH`] has passed; a verdict on a login another
    /// partition scored marks its address here too.
    #[tokio::test(start_paused = true)]
    async fn a_partition_applies_the_feedback_kept_in_the_database_after_the_refresh_interval() {
        use crate::memory_monitor::MemoryMonitorStore;
        use crate::ports::{FeedbackStore, MonitorStore};
        use crate::taught::FEEDBACK_REFRESH;
        use crate::triage::{AllowListEntry, TriageRecord};

        let source = SourceName::default();
        let store = MemoryMonitorStore::default();
        let mut worker = scorer(None);
        // A week of ana's and bo's logins from their own addresses.
        let mut sequence = 0;
        let mut next = |minute: u32, user: &str, ip: &str| {
            sequence += 1;
            let mut message = message(sequence, minute % 60, user);
            message.login.login.timestamp_ms += i64::from(minute / 60) * 3_600_000;
            message.login.login.ip = ip.parse().unwrap();
            message.login.login.reported_location = Some(Box::new(engine::ReportedLocation {
                country_code: Some(if ip.starts_with("203.") { "DE" } else { "NO" }.to_owned()),
                ..engine::ReportedLocation::default()
            }));
            message.login.login_id = message.login.login.login_id();
            message
        };
        let routine: Vec<LogMessage> = (0..80)
            .map(|at| {
                let (user, ip) = if at % 2 == 0 {
                    ("ana", "198.51.100.7")
                } else {
                    ("bo", "198.51.100.8")
                };
                next(at * 120, user, ip)
            })
            .collect();
        let score = async |scorer: &mut PartitionScorer, message: LogMessage| {
            let messages = vec![message];
            scorer.refresh_feedback(&messages, &store).await.unwrap();
            let mut batch = scorer.score(messages, &HashMap::new());
            let scored = batch.new.remove(&source).unwrap().remove(0);
            store
                .keep_monitored(&source, std::slice::from_ref(&scored))
                .await
                .unwrap();
            scored.scored
        };
        for message in routine {
            score(&mut worker, message).await;
        }
        let suppressed = |scored: &engine::ScoredEvent| {
            scored.findings.iter().any(|finding| {
                finding.suppressed.as_deref() == Some("allow-list: office VPN 203.0.113.0/24")
            })
        };
        let before = score(&mut worker, next(20000, "ana", "203.0.113.50")).await;
        assert!(!suppressed(&before), "{before:?}");

        // Kept on another server: applied once the interval has passed.
        store
            .save_allow(AllowListEntry {
                id: "AL-1".to_owned(),
                source: source.clone(),
                kind: "cidr".to_owned(),
                value: "203.0.113.0/24".to_owned(),
                user: None,
                reason: "office VPN".to_owned(),
                expires_ms: None,
                created_ms: 0,
                actor: "admin".to_owned(),
            })
            .await
            .unwrap();
        tokio::time::advance(FEEDBACK_REFRESH).await;
        let after = score(&mut worker, next(20001, "bo", "203.0.113.51")).await;
        assert!(suppressed(&after), "{after:?}");

        // A login another partition scored, confirmed compromised: its address is marked here
        // for the logins after it.
        let elsewhere = next(20002, "cy", "192.0.2.66");
        let mut other_partition = scorer(None);
        let stolen = score(&mut other_partition, elsewhere.clone()).await;
        assert!(
            !stolen
                .findings
                .iter()
                .any(|finding| finding.kind == engine::FindingKind::KnownCompromisedSource)
        );
        store
            .record_triage(TriageRecord {
                source: source.clone(),
                login_id: elsewhere.login.login_id.clone(),
                verdict: engine::VerdictKind::ConfirmedCompromised,
                comment: String::new(),
                actor: "analyst".to_owned(),
                at_ms: 0,
            })
            .await
            .unwrap();
        tokio::time::advance(FEEDBACK_REFRESH).await;
        let later = score(&mut worker, next(20003, "ana", "192.0.2.66")).await;
        assert!(
            later
                .findings
                .iter()
                .any(|finding| finding.kind == engine::FindingKind::KnownCompromisedSource),
            "{later:?}"
        );

        // Resumed from its checkpoint, the partition applies the feedback in force at once.
        let mut resumed = scorer(Some(worker.checkpoint(0)));
        let resumed_later = score(&mut resumed, next(20004, "bo", "192.0.2.66")).await;
        assert!(
            resumed_later
                .findings
                .iter()
                .any(|finding| finding.kind == engine::FindingKind::KnownCompromisedSource),
            "{resumed_later:?}"
        );
    }

    #[test]
    fn a_reorder_window_places_logins_that_reached_the_log_out_of_order() {
        // Ana's logins at minutes 3, 1 and 2 reached the log in that order.
        let messages = vec![
            message(1, 3, "ana"),
            message(2, 1, "ana"),
            message(3, 2, "ana"),
        ];
        let in_log_order = scorer(None).score(messages.clone(), &HashMap::new());
        assert_eq!(in_log_order.late.len(), 2, "without a window, two are late");

        let mut reordering = scorer(None);
        let reordered = reordering.score_reordered(messages, &HashMap::new());
        assert!(reordered.late.is_empty());
        let kept = &reordered.new[&SourceName::default()];
        assert_eq!(
            kept.iter().map(|login| login.sequence).collect::<Vec<_>>(),
            [2, 3, 1],
            "scored in time order, each under its own sequence"
        );
        assert_eq!(reordering.through_sequence(), 3);
    }

    #[test]
    fn subjects_hold_one_token_per_source() {
        let source = SourceName::parse("eu.acme").unwrap();
        assert_eq!(subject(&source, 7), "skytrace.events.eu~acme.7");
        assert_eq!(partition_subjects(7), "skytrace.events.*.7");
    }
}
