//! What the use-cases need from storage, as traits: the server implements them on SQLite or
//! PostgreSQL (the `store` crate); tests may implement them in memory.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use engine::{LoginEvent, ScoredEvent};

use crate::account::{Account, Role, TokenHolder, TokenScope};
use crate::detection::{AccountStatuses, DetectionSummary, EventPage, EventQuery, RunListing};
use crate::kept::{KeptRun, SavedRun, UserLogins};
use crate::source::{SourceListing, SourceName};
use crate::triage::{AllowListEntry, TriageRecord, TriageState};

/// A storage call's future.
pub type Stored<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The database could not be used. What went wrong is logged by the store where it happened;
/// the error shown to people says only that, never SQL or paths.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the results database could not be used (see the server log)")]
pub struct StoreError;

/// Where runs are kept.
pub trait RunStore: Send + Sync {
    /// Keeps a run in one transaction (replacing a run with the same id), in its summary's source.
    fn save<'a>(&'a self, run: &'a SavedRun) -> Stored<'a, ()>;
    /// The latest runs (of one source, or of all), newest first.
    fn recent<'a>(
        &'a self,
        limit: usize,
        source: Option<&'a SourceName>,
    ) -> Stored<'a, Vec<RunListing>>;
    /// Every source with something kept, by name.
    fn sources(&self) -> Stored<'_, Vec<SourceListing>>;
    fn summary<'a>(&'a self, id: &'a str) -> Stored<'a, Option<DetectionSummary>>;
    fn page<'a>(&'a self, id: &'a str, query: &'a EventQuery) -> Stored<'a, Option<EventPage>>;
    /// Everything kept of a run (for reports), its logins in input order.
    fn run<'a>(&'a self, id: &'a str) -> Stored<'a, Option<KeptRun>>;
    /// A user's logins in every kept run of `source` (or of all sources; user names compared
    /// case-insensitively), newest run first.
    fn user_logins<'a>(
        &'a self,
        user: &'a str,
        source: Option<&'a SourceName>,
    ) -> Stored<'a, Vec<UserLogins>>;
    /// The validated logins of a run, in input order; `None` for an unknown id or a run kept
    /// before logins were kept with their scores.
    fn logins<'a>(&'a self, id: &'a str) -> Stored<'a, Option<Vec<LoginEvent>>>;
    /// Logins kept in `source` by runs other than `except`, each once and none named in `skip`
    /// (the new analysis' own), up to `until_ms` (later ones cannot change a score), from the
    /// latest `limit` kept rows, in time order: what a new analysis learns from first.
    fn history<'a>(
        &'a self,
        source: &'a SourceName,
        until_ms: i64,
        limit: usize,
        except: &'a str,
        skip: HashSet<String>,
    ) -> Stored<'a, Vec<LoginEvent>>;
    /// How many rows [`Self::history`] would choose from before its limit (with logins kept,
    /// up to `until_ms`, of runs other than `except`).
    fn kept_rows<'a>(
        &'a self,
        source: &'a SourceName,
        until_ms: i64,
        except: &'a str,
    ) -> Stored<'a, usize>;
    /// The kept runs of `source`, each with the instant it was kept (which changes when it is
    /// replaced): what [`crate::history::KeptHistory`] holds in step with.
    fn run_stamps<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<RunStamp>>;
    /// Replaces a kept run's summary and settings and the scores of the logins `changed` (indices
    /// into `run.events`; their score or their account's verdict changed) after re-scoring its
    /// logins, whose accounts' verdicts are now `accounts`; `false` when no such run is kept.
    fn rescore<'a>(
        &'a self,
        run: &'a SavedRun,
        changed: &'a [usize],
        accounts: &'a AccountStatuses,
    ) -> Stored<'a, bool>;
    /// One login of a kept run (by [`engine::login_id`]) with its account's verdict in the run;
    /// `None` when the run does not keep it.
    fn login_in_run<'a>(
        &'a self,
        id: &'a str,
        login_id: &'a str,
    ) -> Stored<'a, Option<(ScoredEvent, Option<engine::AccountStatus>)>>;
}

/// A kept run's id and the instant it was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunStamp {
    pub id: String,
    pub created_ms: i64,
}

/// Where verdicts and allow-list entries are kept.
pub trait FeedbackStore: Send + Sync {
    /// The entries of `source` (or of every source), oldest first.
    fn allow_list<'a>(&'a self, source: Option<&'a SourceName>) -> Stored<'a, Vec<AllowListEntry>>;
    /// Inserts or replaces the entry with the same id.
    fn save_allow(&self, entry: AllowListEntry) -> Stored<'_, ()>;
    /// `false` when there was no such entry.
    fn delete_allow<'a>(&'a self, id: &'a str) -> Stored<'a, bool>;
    /// Records a verdict as the login's current one in its source, and in its history.
    fn record_triage(&self, record: TriageRecord) -> Stored<'_, ()>;
    fn triage<'a>(&'a self, source: &'a SourceName, login_id: &'a str) -> Stored<'a, TriageState>;
    /// The current verdict of every triaged login of `source`.
    fn verdicts<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<TriageRecord>>;
    /// Where a login was scored, newest run first.
    fn find_login<'a>(&'a self, login_id: &'a str) -> Stored<'a, Vec<ScoredIn>>;
}

/// A kept login and the run that scored it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScoredIn {
    pub analysis_id: String,
    pub source: SourceName,
    pub event: ScoredEvent,
}

/// An account with what is needed to check its password.
#[derive(Clone, Debug)]
pub struct StoredAccount {
    pub account: Account,
    pub password_hash: String,
    pub created_ms: i64,
}

/// A live sign-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
}

pub use crate::account::ApiTokenListing;

/// Hosted mode's accounts, sessions and API tokens. Sessions and tokens are looked up by the
/// SHA-256 digest of their secret; secrets are never stored.
pub trait AccountStore: Send + Sync {
    /// `false` if the name is taken.
    fn add_account<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
        now_ms: i64,
    ) -> Stored<'a, bool>;
    fn account<'a>(&'a self, name: &'a str) -> Stored<'a, Option<StoredAccount>>;
    fn accounts(&self) -> Stored<'_, Vec<StoredAccount>>;
    /// Sets a new password and role and ends the account's sessions; `false` for no such
    /// account.
    fn reset_account<'a>(
        &'a self,
        name: &'a str,
        role: Role,
        password_hash: &'a str,
    ) -> Stored<'a, bool>;
    /// Removes the account with its sessions and tokens; `false` for no such account.
    fn remove_account<'a>(&'a self, name: &'a str) -> Stored<'a, bool>;
    fn start_session<'a>(
        &'a self,
        token_digest: &'a str,
        account: &'a str,
        csrf_token: &'a str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Stored<'a, ()>;
    /// The session of a digest, if it has not expired at `now_ms`.
    fn session<'a>(&'a self, token_digest: &'a str, now_ms: i64) -> Stored<'a, Option<Session>>;
    fn end_session<'a>(&'a self, token_digest: &'a str) -> Stored<'a, ()>;
    fn add_api_token<'a>(
        &'a self,
        id: &'a str,
        token_digest: &'a str,
        account: &'a str,
        label: &'a str,
        scope: TokenScope,
        now_ms: i64,
    ) -> Stored<'a, ()>;
    /// The token of a digest, with the account it acts as; notes its use at `now_ms` when the
    /// last noted is a minute old or more.
    fn api_token<'a>(
        &'a self,
        token_digest: &'a str,
        now_ms: i64,
    ) -> Stored<'a, Option<TokenHolder>>;
    fn api_tokens(&self) -> Stored<'_, Vec<ApiTokenListing>>;
    /// `false` for no such token.
    fn revoke_api_token<'a>(&'a self, id: &'a str) -> Stored<'a, bool>;
}

/// Failed sign-ins by counter (`account:NAME`, `address:IP`), shared by every server of an
/// installation so that throttling counts guesses sent to any of them.
pub trait SignInFailureStore: Send + Sync {
    /// The instants of each counter's failures at or after `since_ms`, oldest first (counters
    /// without any are left out).
    fn sign_in_failures<'a>(
        &'a self,
        counters: &'a [String],
        since_ms: i64,
    ) -> Stored<'a, Vec<(String, Vec<i64>)>>;
    /// Records a failure at `at_ms` on each counter, and forgets every failure before
    /// `forget_before_ms`.
    fn record_sign_in_failure<'a>(
        &'a self,
        counters: &'a [String],
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Stored<'a, ()>;
    fn clear_sign_in_failures<'a>(&'a self, counter: &'a str) -> Stored<'a, ()>;
}

/// The notification log: which alerts went out on which channel, so none is sent twice.
pub trait SentLogStore: Send + Sync {
    /// Waits until no other dispatch holds the log (in this process or in any other sharing the
    /// database), then holds it until released: a dispatch reads, sends and records under the
    /// hold, so two workers never both send one alert nor both take the last of a channel's
    /// hourly allowance.
    fn hold_sent_log(&self) -> Stored<'_, SentLogHold>;
    fn sent_entries(&self) -> Stored<'_, Vec<alerts::SentEntry>>;
    /// Records deliveries (with the run that caused them, if any).
    fn record_sent<'a>(
        &'a self,
        run_id: Option<&'a str>,
        entries: &'a [alerts::SentEntry],
    ) -> Stored<'a, ()>;
}

/// Exclusive use of the notification log ([`SentLogStore::hold_sent_log`]).
pub type SentLogHold = Box<dyn HeldSentLog>;

pub trait HeldSentLog: Send {
    /// Lets the next dispatch go. Dropping the hold does too, only less promptly (a process
    /// that dies lets go when its database connection closes).
    fn release(self: Box<Self>) -> Stored<'static, ()>;
}

/// A login accepted by the monitor, as kept: what arrived and how it was scored.
#[derive(Clone, Debug)]
pub struct MonitoredLogin {
    /// Its place in the source's arrival order (from 1), the order it is learnt from again.
    pub sequence: i64,
    pub login_id: String,
    pub received_ms: i64,
    pub login: LoginEvent,
    pub scored: ScoredEvent,
    /// The population models it was scored with.
    pub models: ModelFits,
}

/// The population models a login was scored with, by the number of their fit in its source:
/// each is refitted as the source's logins double (every 131,072 at most), so a number names
/// one model; 0 while it is warming up (not fitted yet, it does not score). The same logins in
/// the same order give the same numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ModelFits {
    pub isolation_forest: u32,
    pub dbscan: u32,
}

/// What a source's analyzer had learnt ([`engine::Analyzer::learnt_state`]) when its oldest
/// logins were purged: it learnt every login up to `through_sequence`, so it goes on from the
/// next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearntState {
    pub through_sequence: i64,
    pub taken_ms: i64,
    pub state: Vec<u8>,
}

/// Where the monitor keeps the logins it has accepted, per source, and reads what analysts taught
/// each source (its scoring applies the feedback in force).
pub trait MonitorStore: FeedbackStore + Send + Sync {
    /// Keeps logins with their verdicts in one transaction: all of them or none.
    fn keep_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, ()>;
    /// Answers once the store can be read (a trivial query), for readiness checks.
    fn reachable(&self) -> Stored<'_, ()>;
    /// Every source with monitored logins, or with learnt state.
    fn monitored_sources(&self) -> Stored<'_, Vec<SourceName>>;
    /// A source's monitored logins in sequence order.
    fn monitored<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Vec<MonitoredLogin>>;
    /// Those of a source's monitored logins named in `login_ids` that are kept, in sequence
    /// order (verdicts name logins by id).
    fn monitored_named<'a>(
        &'a self,
        source: &'a SourceName,
        login_ids: &'a [String],
    ) -> Stored<'a, Vec<LoginEvent>>;
    /// The source's learnt state, if its logins were ever purged.
    fn learnt_state<'a>(&'a self, source: &'a SourceName) -> Stored<'a, Option<LearntState>>;
    /// In one transaction: keeps `learnt` as the source's learnt state (replacing any) and
    /// deletes its logins up to sequence `purged_through`; how many were deleted.
    fn purge_monitored<'a>(
        &'a self,
        source: &'a SourceName,
        learnt: &'a LearntState,
        purged_through: i64,
    ) -> Stored<'a, u64>;
    /// The verdicts of a source's monitored logins from `from_ms` until before `to_ms` (their
    /// own time), the latest `limit` of them, in time order.
    fn monitored_between<'a>(
        &'a self,
        source: &'a SourceName,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Stored<'a, Vec<ScoredEvent>>;
}

/// A login accepted by a server in scale-out mode, as published to the event log for a worker
/// to score ([`crate::partitions`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PublishedLogin {
    pub source: SourceName,
    pub login_id: String,
    pub received_ms: i64,
    pub login: LoginEvent,
}

/// The event log (NATS JetStream) could not take the logins: nothing of them was accepted.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the event log does not answer ({0}); nothing was accepted, send again shortly")]
pub struct LogUnavailable(pub String);

/// A log publish's future.
pub type Published<'a> = Pin<Box<dyn Future<Output = Result<(), LogUnavailable>> + Send + 'a>>;

/// The durable log between stateless servers and the scoring workers.
pub trait EventLog: Send + Sync {
    /// Publishes `logins` (each to its partition), answering once the log has kept every one.
    fn publish<'a>(&'a self, logins: &'a [PublishedLogin]) -> Published<'a>;
    /// Answers once the log can be written to, for readiness checks.
    fn reachable(&self) -> Published<'_>;
}

/// What a worker had learnt from one partition: every source's analyzer after the log's
/// messages up to `through_sequence` (the stream's sequence).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionCheckpoint {
    pub through_sequence: u64,
    pub taken_ms: i64,
    pub sources: Vec<(SourceName, Vec<u8>)>,
}

/// Partition ownership and per-partition state in the shared database (scale-out workers).
pub trait PartitionStore: Send + Sync {
    /// Makes the lease rows of partitions `0..partitions` that are missing; how many lease rows
    /// there are then (more when workers of another partition count used the database).
    fn prepare_partitions(&self, partitions: u32) -> Stored<'_, u32>;
    /// Notes `worker` as live until `expires_ms`; how many workers are live at `now_ms`.
    fn heartbeat<'a>(&'a self, worker: &'a str, now_ms: i64, expires_ms: i64) -> Stored<'a, usize>;
    /// Extends `worker`'s leases to `expires_ms`; the partitions it holds.
    fn renew_leases<'a>(&'a self, worker: &'a str, expires_ms: i64) -> Stored<'a, Vec<u32>>;
    /// Takes `partition` for `worker` if nobody holds it at `now_ms`; whether it did.
    fn take_lease<'a>(
        &'a self,
        partition: u32,
        worker: &'a str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Stored<'a, bool>;
    /// Lets `partition` go, if `worker` holds it.
    fn release_lease<'a>(&'a self, partition: u32, worker: &'a str) -> Stored<'a, ()>;
    /// The partitions nobody holds at `now_ms`.
    fn free_partitions(&self, now_ms: i64) -> Stored<'_, Vec<u32>>;
    /// The partition's latest checkpoint, if any.
    fn checkpoint(&self, partition: u32) -> Stored<'_, Option<PartitionCheckpoint>>;
    /// Replaces the partition's checkpoint, in one transaction.
    fn keep_checkpoint<'a>(
        &'a self,
        partition: u32,
        checkpoint: &'a PartitionCheckpoint,
    ) -> Stored<'a, ()>;
    /// The sequences of those of `login_ids` already kept in `source`, by login id.
    fn kept_sequences<'a>(
        &'a self,
        source: &'a SourceName,
        login_ids: &'a [String],
    ) -> Stored<'a, std::collections::HashMap<String, i64>>;
    /// Keeps logins with their verdicts in one transaction, skipping any already kept (by
    /// sequence or login id); how many were new.
    fn keep_new_verdicts<'a>(
        &'a self,
        source: &'a SourceName,
        logins: &'a [MonitoredLogin],
    ) -> Stored<'a, u64>;
    /// Deletes the verdicts of every source received before `before_ms`; how many. The
    /// workers' learnt state is in their checkpoints, so nothing else needs keeping first.
    fn purge_verdicts_received_before(&self, before_ms: i64) -> Stored<'_, u64>;
}
