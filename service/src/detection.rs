//! The detection page's exchanges: the choices a person makes, the summary of a run, and pages of
//! scored logins. Built by pure functions, so the server and the browser produce the same values.

use std::collections::BTreeMap;

use engine::figures::{
    AccountCounts, Conclusions, Detector, Figures, IncidentCounts, Selection, Travel,
};
use engine::{AccountStatus, AnalysisConfig, DataProfile, RiskLevel, ScoredEvent, UserRisk};
use serde::{Deserialize, Serialize};

pub use crate::choices::DetectionChoices;
use crate::review::{Detection, Outcome, SourceFilter, detections, detections_column};
use crate::source::SourceName;

/// Bins of the score histogram, each 0.05 wide.
pub const HISTOGRAM_BINS: usize = 20;
/// Logins per page of the results table.
pub const PAGE_SIZE: usize = 50;
/// Users listed as the riskiest.
const TOP_USERS: usize = 10;

/// How far the detectors agree on the risky logins (High or above).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Per enabled detector: risky logins its own score puts at or above the High boundary.
    pub flagged_by: Vec<(Detector, u64)>,
    /// Risky logins every enabled detector that gave a score flags.
    pub flagged_by_all: u64,
    /// Risky logins no detector flags (a rule or corroborated findings made them risky).
    pub rules_only: u64,
}

/// The result of one run, without the logins themselves (they are paged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionSummary {
    /// Names the run for paging its logins.
    pub id: String,
    pub file_name: String,
    /// The source the run belongs to (what it learnt from, what it taught).
    #[serde(default)]
    pub source: SourceName,
    pub profile: DataProfile,
    pub choices: DetectionChoices,
    /// Logins per level, Low to Critical.
    pub levels: Vec<(RiskLevel, u64)>,
    /// Logins per score bin of width 1 / [`HISTOGRAM_BINS`].
    pub histogram: Vec<u64>,
    /// Where High begins in this run (the threshold).
    #[serde(default = "default_high_from")]
    pub high_from: f64,
    /// Risky logins: High or above.
    pub at_or_above_threshold: u64,
    pub agreement: Agreement,
    #[serde(default)]
    pub accounts: AccountCounts,
    #[serde(default)]
    pub incidents: IncidentCounts,
    #[serde(default)]
    pub travel: Travel,
    pub top_users: Vec<UserRisk>,
    pub geo_data: Option<String>,
    pub elapsed_ms: u64,
    /// What the run learnt from and applied besides its own logins (server runs only).
    #[serde(default)]
    pub feedback: FeedbackApplied,
}

fn default_high_from() -> f64 {
    engine::config::RiskParams::default().high
}

/// Earlier kept logins learnt from first, and what analysts' feedback changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackApplied {
    pub history_logins: u64,
    pub allow_list_entries: u64,
    pub verdicts: u64,
    /// Logins with at least one finding suppressed (by the allow-list or a verdict).
    pub suppressed_logins: u64,
}

impl FeedbackApplied {
    pub fn of(events: &[ScoredEvent], history_logins: usize, feedback: &engine::Feedback) -> Self {
        Self {
            history_logins: history_logins as u64,
            allow_list_entries: feedback.allow.len() as u64,
            verdicts: feedback.verdicts.len() as u64,
            suppressed_logins: events
                .iter()
                .filter(|event| event.findings.iter().any(|finding| !finding.is_active()))
                .count() as u64,
        }
    }
}

/// What re-scoring a kept run changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rerun {
    pub summary: DetectionSummary,
    /// Logins whose level changed.
    pub changed_levels: usize,
    /// Logins with at least one finding suppressed by an allow-list entry or a verdict.
    pub suppressed: usize,
}

/// A kept run in the list of recent runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunListing {
    pub id: String,
    pub file_name: String,
    #[serde(default)]
    pub source: SourceName,
    pub created_ms: i64,
    pub logins: u64,
    pub at_or_above_threshold: u64,
    pub threshold: f64,
}

impl RunListing {
    pub fn of(summary: &DetectionSummary, created_ms: i64) -> Self {
        Self {
            id: summary.id.clone(),
            file_name: summary.file_name.clone(),
            source: summary.source.clone(),
            created_ms,
            logins: summary.profile.accepted,
            at_or_above_threshold: summary.at_or_above_threshold,
            threshold: summary.high_from,
        }
    }
}

/// Summarises a run: its figures are [`Figures`] of all its logins, as every other view counts
/// them.
pub fn summarise(
    id: String,
    file_name: String,
    profile: DataProfile,
    choices: DetectionChoices,
    analysis: &engine::Analysis,
    elapsed_ms: u64,
) -> DetectionSummary {
    summarise_scored(
        id,
        file_name,
        profile,
        choices,
        &analysis.events,
        &Conclusions::of(analysis),
        &analysis.config,
        analysis.geo_data.clone(),
        elapsed_ms,
    )
}

/// [`summarise`] of logins scored before, with what was concluded from them.
#[allow(clippy::too_many_arguments)]
pub fn summarise_scored(
    id: String,
    file_name: String,
    profile: DataProfile,
    choices: DetectionChoices,
    events: &[ScoredEvent],
    conclusions: &Conclusions,
    config: &AnalysisConfig,
    geo_data: Option<String>,
    elapsed_ms: u64,
) -> DetectionSummary {
    let mut histogram = vec![0u64; HISTOGRAM_BINS];
    for event in events {
        let bin = ((event.risk_score * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        histogram[bin] += 1;
    }
    let figures = Figures::of(events, conclusions, config, &Selection::all());
    DetectionSummary {
        id,
        file_name,
        source: SourceName::default(),
        profile,
        levels: figures.levels.clone(),
        histogram,
        high_from: figures.high_from,
        at_or_above_threshold: figures.risky,
        agreement: Agreement {
            flagged_by: figures
                .detectors
                .iter()
                .filter(|detector| detector.enabled)
                .map(|detector| (detector.detector, detector.flagged_risky))
                .collect(),
            flagged_by_all: figures.flagged_by_all,
            rules_only: figures.rules_only,
        },
        accounts: figures.accounts,
        incidents: figures.incidents,
        travel: figures.travel,
        top_users: conclusions.users.iter().take(TOP_USERS).cloned().collect(),
        geo_data,
        elapsed_ms,
        feedback: FeedbackApplied::default(),
        choices,
    }
}

/// Order of the logins table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventOrder {
    #[default]
    RiskiestFirst,
    NewestFirst,
    OldestFirst,
    /// Lowest score first (ties: oldest first).
    LeastRiskyFirst,
    /// By user name, ignoring case, A to Z (each user's logins oldest first).
    UserAscending,
    /// By user name, Z to A (each user's logins oldest first).
    UserDescending,
}

impl EventOrder {
    pub const ALL: [EventOrder; 6] = [
        Self::RiskiestFirst,
        Self::NewestFirst,
        Self::OldestFirst,
        Self::LeastRiskyFirst,
        Self::UserAscending,
        Self::UserDescending,
    ];

    /// The name in addresses and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RiskiestFirst => "riskiest",
            Self::NewestFirst => "newest",
            Self::OldestFirst => "oldest",
            Self::LeastRiskyFirst => "least_risky",
            Self::UserAscending => "user",
            Self::UserDescending => "user_desc",
        }
    }
}

impl std::str::FromStr for EventOrder {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|order| order.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "unknown order {text:?}; expected riskiest, newest, oldest, least_risky, user or user_desc"
                )
            })
    }
}

/// Account verdicts in a run, by user (exactly as the log spells the user).
pub type AccountStatuses = BTreeMap<String, AccountStatus>;

/// Every account's verdict in a run, from its scored logins (as the analysis gives them).
pub fn account_statuses(events: &[ScoredEvent], settings: &AnalysisConfig) -> AccountStatuses {
    engine::account_verdicts(events, &settings.accounts, &settings.risk)
        .into_iter()
        .map(|verdict| (verdict.user_id, verdict.status))
        .collect()
}

/// Which logins to show: at or above a score, optionally one level, users matching a text, a
/// time range, an outcome, detections, an account verdict and a source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    pub min_score: f64,
    pub level: Option<RiskLevel>,
    /// Only logins at or above this level.
    #[serde(default)]
    pub min_level: Option<RiskLevel>,
    /// Case-insensitive part of the user name; empty for everyone.
    pub user: String,
    pub order: EventOrder,
    /// 0-based.
    pub page: usize,
    /// Logins at or after this time (UTC milliseconds).
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Logins before this time.
    #[serde(default)]
    pub to_ms: Option<i64>,
    /// Only logins with this outcome.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Only logins with at least one of these detections (that counts).
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// Only logins of accounts with this verdict in the run.
    #[serde(default)]
    pub account: Option<AccountStatus>,
    /// Only logins from this address, network, network owner or country.
    #[serde(default)]
    pub source: Option<SourceFilter>,
}

impl EventQuery {
    /// Whether the filters can match anything; the error says why not, in words.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.min_score) {
            return Err(format!(
                "the lowest score must be between 0 and 1, not {}",
                self.min_score
            ));
        }
        if let (Some(from), Some(to)) = (self.from_ms, self.to_ms)
            && from >= to
        {
            return Err(format!(
                "the time range is empty: it starts at {} and ends at {}; the end must come after the start",
                engine::time::format_utc(from),
                engine::time::format_utc(to)
            ));
        }
        Ok(())
    }

    /// Whether `event` is one of the logins asked for (any page), its account's verdict aside
    /// (see [`Self::matches_in`]).
    pub fn matches(&self, event: &ScoredEvent) -> bool {
        let needle = self.user.trim().to_lowercase();
        event.risk_score >= self.min_score
            && self.level.is_none_or(|level| event.risk_level == level)
            && self.min_level.is_none_or(|level| event.risk_level >= level)
            && (needle.is_empty() || event.user_id.to_lowercase().contains(&needle))
            && self.from_ms.is_none_or(|from| event.timestamp_ms >= from)
            && self.to_ms.is_none_or(|to| event.timestamp_ms < to)
            && self
                .outcome
                .is_none_or(|outcome| Outcome::of(event.success) == outcome)
            && (self.detections.is_empty()
                || detections(event)
                    .iter()
                    .any(|detection| self.detections.contains(detection)))
            && self
                .source
                .as_ref()
                .is_none_or(|source| source.matches(event))
    }

    /// [`Self::matches`], with the account verdicts of the run.
    pub fn matches_in(&self, event: &ScoredEvent, accounts: &AccountStatuses) -> bool {
        self.matches(event)
            && self.account.is_none_or(|wanted| {
                accounts
                    .get(event.user_id.as_ref())
                    .is_some_and(|status| *status == wanted)
            })
    }
}

/// How the logins matching a query (all of them, not one page) divide up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    /// Per level, Low to Critical.
    pub levels: Vec<(RiskLevel, u64)>,
    /// Per outcome: success, failure, unknown.
    pub outcomes: Vec<(Outcome, u64)>,
    /// Per detection with at least one login, in [`Detection::ALL`]'s order.
    pub detections: Vec<(Detection, u64)>,
}

impl Facets {
    /// Counts of logins by level, by outcome and by detections, from groups of `logins`
    /// logins with the same level, outcome and detections (a column as
    /// [`crate::review::detections_column`] writes it).
    pub fn count<'a>(groups: impl IntoIterator<Item = (RiskLevel, Outcome, &'a str, u64)>) -> Self {
        let mut levels = [0u64; 4];
        let mut outcomes = [0u64; 3];
        let mut found: BTreeMap<&str, u64> = BTreeMap::new();
        for (level, outcome, column, logins) in groups {
            levels[level as usize] += logins;
            outcomes[outcome as usize] += logins;
            for name in column.split(',').filter(|name| !name.is_empty()) {
                *found.entry(name).or_default() += logins;
            }
        }
        Self {
            levels: RiskLevel::ALL.into_iter().zip(levels).collect(),
            outcomes: Outcome::ALL.into_iter().zip(outcomes).collect(),
            detections: Detection::ALL
                .into_iter()
                .filter_map(|detection| {
                    found
                        .get(detection.as_str())
                        .map(|&logins| (detection, logins))
                })
                .collect(),
        }
    }
}

/// One page of logins and how many match in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub matching: u64,
    pub page: usize,
    pub pages: usize,
    pub rows: Vec<ScoredEvent>,
    /// Analysts' current verdicts on the rows, by login id ([`engine::login_id`]).
    #[serde(default)]
    pub verdicts: BTreeMap<String, engine::VerdictKind>,
    /// The verdicts on the rows' accounts in the run, by user.
    #[serde(default)]
    pub accounts: AccountStatuses,
    /// How all the matching logins divide up by level, outcome and detection.
    #[serde(default)]
    pub facets: Facets,
}

/// The page of logins `query` asks for, without account verdicts (the `account` filter then
/// matches nothing).
pub fn query(events: &[ScoredEvent], query: &EventQuery) -> EventPage {
    query_with(events, &AccountStatuses::new(), query)
}

/// Sorts logins as `order` asks (ties: oldest first, then by row): the database sorts the same
/// way.
pub fn sort(logins: &mut [&ScoredEvent], order: EventOrder) {
    let time = |a: &ScoredEvent, b: &ScoredEvent| {
        a.timestamp_ms.cmp(&b.timestamp_ms).then(a.row.cmp(&b.row))
    };
    match order {
        EventOrder::RiskiestFirst => {
            logins.sort_by(|a, b| b.risk_score.total_cmp(&a.risk_score).then(time(a, b)))
        }
        EventOrder::LeastRiskyFirst => {
            logins.sort_by(|a, b| a.risk_score.total_cmp(&b.risk_score).then(time(a, b)))
        }
        EventOrder::NewestFirst => {
            logins.sort_by(|a, b| b.timestamp_ms.cmp(&a.timestamp_ms).then(a.row.cmp(&b.row)))
        }
        EventOrder::OldestFirst => logins.sort_by(|a, b| time(a, b)),
        EventOrder::UserAscending => logins.sort_by(|a, b| {
            a.user_id
                .to_lowercase()
                .cmp(&b.user_id.to_lowercase())
                .then(time(a, b))
        }),
        EventOrder::UserDescending => logins.sort_by(|a, b| {
            b.user_id
                .to_lowercase()
                .cmp(&a.user_id.to_lowercase())
                .then(time(a, b))
        }),
    }
}

/// The page of logins `query` asks for, with the run's account verdicts.
pub fn query_with(
    events: &[ScoredEvent],
    accounts: &AccountStatuses,
    query: &EventQuery,
) -> EventPage {
    let mut matching: Vec<&ScoredEvent> = events
        .iter()
        .filter(|e| query.matches_in(e, accounts))
        .collect();
    sort(&mut matching, query.order);
    let columns: Vec<(RiskLevel, Outcome, String)> = matching
        .iter()
        .map(|event| {
            (
                event.risk_level,
                Outcome::of(event.success),
                detections_column(event),
            )
        })
        .collect();
    let facets = Facets::count(
        columns
            .iter()
            .map(|(level, outcome, column)| (*level, *outcome, column.as_str(), 1)),
    );
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    let rows: Vec<ScoredEvent> = matching
        .iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|event| (*event).clone())
        .collect();
    let accounts = rows
        .iter()
        .filter_map(|event| {
            accounts
                .get(event.user_id.as_ref())
                .map(|status| (event.user_id.to_string(), *status))
        })
        .collect();
    EventPage {
        matching: matching.len() as u64,
        page,
        pages,
        rows,
        verdicts: Default::default(),
        accounts,
        facets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::enrich::NoGeolocation;

    fn sample_analysis() -> (engine::Ingested, engine::Analysis) {
        let csv = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../public/sample/sample-logins.csv"
        ))
        .unwrap();
        let ingested = engine::read_slice(&csv, &engine::IngestOptions::default()).unwrap();
        let config = DetectionChoices::default()
            .apply(&AnalysisConfig::default())
            .unwrap();
        let analysis = engine::analyze(&ingested.events, &config, &NoGeolocation, |_| {}).unwrap();
        (ingested, analysis)
    }

    #[test]
    fn summary_counts_match_the_scores() {
        let (ingested, analysis) = sample_analysis();
        let profile = DataProfile::of(&ingested);
        let summary = summarise(
            "run".into(),
            "sample".into(),
            profile,
            DetectionChoices::default(),
            &analysis,
            1,
        );
        let total: u64 = summary.levels.iter().map(|(_, count)| count).sum();
        assert_eq!(total, analysis.events.len() as u64);
        assert_eq!(summary.histogram.iter().sum::<u64>(), total);
        let risky = analysis
            .events
            .iter()
            .filter(|e| e.risk_score >= summary.high_from)
            .count() as u64;
        assert_eq!(summary.at_or_above_threshold, risky);
        assert_eq!(
            risky,
            (analysis.count_at(RiskLevel::High) + analysis.count_at(RiskLevel::Critical)) as u64,
            "risky is High or above"
        );
        assert!(risky > 0, "the sample has attacks");
        for (_, flagged) in &summary.agreement.flagged_by {
            assert!(*flagged <= risky);
        }
        assert!(summary.agreement.flagged_by_all <= risky);
    }

    #[test]
    fn pages_filter_and_sort() {
        let (_, analysis) = sample_analysis();
        let mut q = EventQuery {
            min_score: 0.0,
            level: None,
            user: String::new(),
            order: EventOrder::RiskiestFirst,
            page: 0,
            ..EventQuery::default()
        };
        let first = query(&analysis.events, &q);
        assert_eq!(first.matching, analysis.events.len() as u64);
        assert_eq!(first.rows.len(), PAGE_SIZE);
        assert!(
            first
                .rows
                .windows(2)
                .all(|w| w[0].risk_score >= w[1].risk_score)
        );
        q.page = 10_000;
        assert_eq!(query(&analysis.events, &q).page, first.pages - 1);
        q.page = 0;
        q.level = Some(RiskLevel::Critical);
        let critical = query(&analysis.events, &q);
        assert!(
            critical
                .rows
                .iter()
                .all(|e| e.risk_level == RiskLevel::Critical)
        );
        let user = analysis.events[0].user_id.to_uppercase();
        q.level = None;
        q.user = user.clone();
        q.order = EventOrder::OldestFirst;
        let mine = query(&analysis.events, &q);
        assert!(
            mine.rows
                .iter()
                .all(|e| e.user_id.to_uppercase().contains(&user))
        );
        assert!(
            mine.rows
                .windows(2)
                .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
        );
    }

    #[test]
    fn the_same_choices_written_differently_are_the_same_canonical_text() {
        let compact = DetectionChoices::from_json(r#"{"threshold":0.7,"dbscan":true}"#).unwrap();
        let spaced = DetectionChoices::from_json(
            "{ \"dbscan\" : true ,\n \"threshold\": 0.70, \"weight_dbscan\": 0.3 }",
        )
        .unwrap();
        assert_eq!(compact.canonical(), spaced.canonical());
        let defaults = DetectionChoices::from_json(r#"{ "dbscan": true }"#).unwrap();
        assert_eq!(
            defaults.canonical(),
            DetectionChoices::default().canonical()
        );
        assert_ne!(compact.canonical(), defaults.canonical());
        assert_eq!(
            DetectionChoices::from_json("  ").unwrap(),
            DetectionChoices::default()
        );
        let other = DetectionChoices::from_json(r#"{"threshold":0.8}"#).unwrap();
        assert_ne!(other.canonical(), compact.canonical());
        let error = DetectionChoices::from_json(r#"{"treshold":0.8}"#).unwrap_err();
        assert!(error.contains("unknown field"), "{error}");
    }

    #[test]
    fn choices_are_validated() {
        let base = AnalysisConfig::default();
        let none = DetectionChoices {
            isolation_forest: false,
            dbscan: false,
            statistical: false,
            ..DetectionChoices::default()
        };
        assert!(none.apply(&base).is_err());
        let off = DetectionChoices {
            dbscan: false,
            ..DetectionChoices::default()
        };
        assert!(!off.apply(&base).unwrap().dbscan.enabled);
        let bad = DetectionChoices {
            threshold: Some(1.5),
            ..DetectionChoices::default()
        };
        assert!(bad.apply(&base).is_err());
        // The threshold is where High begins, between the Medium and Critical boundaries.
        let below_medium = DetectionChoices {
            threshold: Some(base.risk.medium),
            ..DetectionChoices::default()
        };
        let error = below_medium.apply(&base).unwrap_err();
        assert!(error.contains("where High begins"), "{error}");
        let stricter = DetectionChoices {
            threshold: Some(0.7),
            ..DetectionChoices::default()
        };
        assert_eq!(stricter.apply(&base).unwrap().risk.high, 0.7);
        assert_eq!(
            DetectionChoices::default().apply(&base).unwrap().risk.high,
            base.risk.high
        );
        let expected = DetectionChoices {
            contamination: Some(0.05),
            ..DetectionChoices::default()
        };
        assert_eq!(
            expected
                .apply(&base)
                .unwrap()
                .isolation_forest
                .contamination,
            Some(0.05)
        );
        let implausible = DetectionChoices {
            contamination: Some(0.7),
            ..DetectionChoices::default()
        };
        let error = implausible.apply(&base).unwrap_err();
        assert!(error.contains("contamination"), "{error}");
        // Unset, it is not written: the JSON (and so the ids) of earlier runs' choices stay.
        let json = serde_json::to_string(&DetectionChoices::default()).unwrap();
        assert!(!json.contains("contamination"), "{json}");
        let read: DetectionChoices = serde_json::from_str(&json).unwrap();
        assert_eq!(read.contamination, None);
    }
}
