//! The figures every view of an analysis shows — the detection summary, the dashboard, the
//! reports, alerts and the REST API — defined and computed here once, so they agree under every
//! filter.
//!
//! - **Levels**: a login's level comes from its score and the run's boundaries
//!   ([`RiskParams`]); *risky* means High or above, and the detection threshold *is* the High
//!   boundary, so there is no second cut-off to disagree with.
//! - **Travel**: impossible travel is [`FindingKind::ImpossibleTravel`] (reliably located, beyond
//!   what anyone travels); fast travel with an explanation is [`FindingKind::FastTravel`] and is
//!   never counted as impossible.
//! - **Accounts, campaigns, incidents and users' risk** are the run's [`Conclusions`], drawn from
//!   all its logins with its settings. A filter ([`Selection`]) chooses which of them to show —
//!   the accounts and incidents with a selected login, the users with a selected login — and never
//!   regroups or rescores them, so a user's risk does not change with a level filter.
//! - **Detectors**: a detector *flags* a login when its own score reaches the High boundary.

use std::collections::BTreeSet;

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::accounts::{AccountStatus, AccountVerdict, Campaign, account_verdicts_in, campaigns};
use crate::analysis::{Analysis, ScoredEvent, UserRisk, user_risks};
use crate::config::{AnalysisConfig, RiskParams};
use crate::incidents::{Incident, IncidentKind, IncidentParams, incidents_from};
use crate::risk::{FindingKind, RiskLevel};

/// What a run concluded beyond each login's score, from all its logins and its settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conclusions {
    /// One verdict per account, compromised first.
    pub accounts: Vec<AccountVerdict>,
    /// Attacking campaigns, largest first.
    pub campaigns: Vec<Campaign>,
    /// One per compromised account and per campaign, most severe first.
    pub incidents: Vec<Incident>,
    /// Riskiest first.
    pub users: Vec<UserRisk>,
}

impl Conclusions {
    /// What `analysis` concluded.
    pub fn of(analysis: &Analysis) -> Self {
        Self {
            incidents: analysis.incidents(&IncidentParams::default()),
            accounts: analysis.accounts.clone(),
            campaigns: analysis.campaigns.clone(),
            users: analysis.users.clone(),
        }
    }

    /// The same conclusions drawn again from a kept run's scored logins (any order) and the
    /// settings it ran with: verdicts, campaigns and users' risk depend on nothing else.
    pub fn recompute(events: &[ScoredEvent], config: &AnalysisConfig) -> Self {
        let campaigns = campaigns(events);
        let accounts = account_verdicts_in(events, &campaigns, &config.accounts, &config.risk);
        let incidents = incidents_from(events, &accounts, &campaigns, &IncidentParams::default());
        let mut users = user_risks(events, &config.risk);
        crate::analysis::sort_users(&mut users);
        Self {
            accounts,
            campaigns,
            incidents,
            users,
        }
    }
}

/// Which logins a view shows: every field narrows; empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Selection {
    /// Logins at or above this level.
    pub min_level: Option<RiskLevel>,
    /// Logins at exactly this level.
    pub level: Option<RiskLevel>,
    /// Logins of users whose name contains this (any case).
    pub user: Option<String>,
    /// From this time (inclusive), milliseconds since the epoch.
    pub from_ms: Option<i64>,
    /// Before this time (exclusive).
    pub to_ms: Option<i64>,
}

/// A selection that cannot select anything because it contradicts itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("the date range is empty: `from` must be before `to`")]
    EmptyRange,
    #[error("no login is at exactly {level} and at or above {min_level}")]
    LevelsContradict {
        level: RiskLevel,
        min_level: RiskLevel,
    },
}

impl Selection {
    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Refuses a selection that contradicts itself (rather than showing nothing).
    pub fn check(&self) -> Result<(), SelectionError> {
        if let (Some(from), Some(to)) = (self.from_ms, self.to_ms)
            && from >= to
        {
            return Err(SelectionError::EmptyRange);
        }
        if let (Some(level), Some(min_level)) = (self.level, self.min_level)
            && level < min_level
        {
            return Err(SelectionError::LevelsContradict { level, min_level });
        }
        Ok(())
    }

    pub fn is_all(&self) -> bool {
        *self == Self::default()
    }

    pub fn contains(&self, event: &ScoredEvent) -> bool {
        self.min_level.is_none_or(|min| event.risk_level >= min)
            && self.level.is_none_or(|level| event.risk_level == level)
            && self.from_ms.is_none_or(|from| event.timestamp_ms >= from)
            && self.to_ms.is_none_or(|to| event.timestamp_ms < to)
            && self
                .user
                .as_deref()
                .is_none_or(|user| user_matches(&event.user_id, user))
    }
}

/// Whether `user_id` contains `pattern`, ignoring case (an empty pattern matches everyone).
pub fn user_matches(user_id: &str, pattern: &str) -> bool {
    let pattern = pattern.trim();
    pattern.is_empty() || user_id.to_lowercase().contains(&pattern.to_lowercase())
}

/// A detection family whose own score the figures count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Detector {
    IsolationForest,
    Dbscan,
    Statistical,
}

impl Detector {
    pub const ALL: [Detector; 3] = [Self::IsolationForest, Self::Dbscan, Self::Statistical];

    pub fn label(self) -> &'static str {
        match self {
            Self::IsolationForest => "Isolation Forest",
            Self::Dbscan => "DBSCAN",
            Self::Statistical => "Statistical",
        }
    }

    /// Its score of `event`, or `None` when it abstained (warming up, or switched off).
    pub fn score(self, event: &ScoredEvent) -> Option<f64> {
        match self {
            Self::IsolationForest => event.isolation_forest,
            Self::Dbscan => event.dbscan,
            Self::Statistical => Some(event.statistical),
        }
    }

    /// Whether the run's settings had it on.
    pub fn enabled(self, config: &AnalysisConfig) -> bool {
        match self {
            Self::IsolationForest => config.isolation_forest.enabled,
            Self::Dbscan => config.dbscan.enabled,
            Self::Statistical => config.risk.weight_statistical > 0.0,
        }
    }

    /// Its weight in the combined score.
    pub fn weight(self, risk: &RiskParams) -> f64 {
        match self {
            Self::IsolationForest => risk.weight_isolation_forest,
            Self::Dbscan => risk.weight_dbscan,
            Self::Statistical => risk.weight_statistical,
        }
    }
}

/// One detector's view of the selected logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorFigures {
    pub detector: Detector,
    pub enabled: bool,
    pub weight: f64,
    /// Logins it scored.
    pub scored: u64,
    pub mean_score: f64,
    /// Logins its own score puts at High or above.
    pub flagged: u64,
    /// Of the risky logins, those it flags.
    pub flagged_risky: u64,
}

/// Selected logins by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub succeeded: u64,
    pub failed: u64,
    /// The log does not say.
    pub unknown: u64,
}

/// Selected logins with travel findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Travel {
    /// [`FindingKind::ImpossibleTravel`]: reliably located, faster than anyone travels.
    pub impossible: u64,
    /// [`FindingKind::FastTravel`]: fast, but explained (an uncertain location, a shared or
    /// familiar network).
    pub explained: u64,
}

/// The accounts with a selected login, by verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCounts {
    pub compromised: u64,
    pub suspicious: u64,
    pub clean: u64,
}

/// The incidents with a selected login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentCounts {
    pub total: u64,
    /// One per compromised account.
    pub accounts: u64,
    /// One per attacking campaign.
    pub campaigns: u64,
    pub critical: u64,
    /// Incidents in which a sign-in succeeded.
    pub succeeded: u64,
    /// Incidents with impossible travel among their findings.
    pub impossible_travel: u64,
}

/// Every count a view shows of a selection of one run's logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Logins of the run, and those selected (everything below counts these).
    pub total: u64,
    pub logins: u64,
    /// Distinct users among the selected logins.
    pub users: u64,
    /// Distinct countries among the selected logins (located ones).
    pub countries: u64,
    /// Selected logins per level, Low to Critical.
    pub levels: Vec<(RiskLevel, u64)>,
    /// Selected logins at High or above: the risky ones.
    pub risky: u64,
    /// The score from which a login is High (the run's boundary).
    pub high_from: f64,
    pub outcomes: Outcomes,
    pub travel: Travel,
    pub accounts: AccountCounts,
    pub incidents: IncidentCounts,
    pub detectors: Vec<DetectorFigures>,
    /// Risky logins every detector that scored them flags.
    pub flagged_by_all: u64,
    /// Risky logins no detector flags: a rule's evidence alone made them risky.
    pub rules_only: u64,
}

impl Figures {
    /// The figures of `selection` among `events` (one run, any order), with the run's
    /// conclusions and settings.
    pub fn of(
        events: &[ScoredEvent],
        conclusions: &Conclusions,
        config: &AnalysisConfig,
        selection: &Selection,
    ) -> Self {
        let selected: Vec<&ScoredEvent> = events.iter().filter(|e| selection.contains(e)).collect();
        let high_from = config.risk.high;
        let mut levels = [0u64; 4];
        let mut outcomes = Outcomes::default();
        let mut travel = Travel::default();
        let mut users = BTreeSet::new();
        let mut countries = BTreeSet::new();
        for event in &selected {
            levels[event.risk_level as usize] += 1;
            match event.success {
                Some(true) => outcomes.succeeded += 1,
                Some(false) => outcomes.failed += 1,
                None => outcomes.unknown += 1,
            }
            let active = |kind| {
                event
                    .findings
                    .iter()
                    .any(|finding| finding.kind == kind && finding.is_active())
            };
            travel.impossible += u64::from(active(FindingKind::ImpossibleTravel));
            travel.explained += u64::from(active(FindingKind::FastTravel));
            users.insert(&*event.user_id);
            if let Some(country) = event.country.as_deref() {
                countries.insert(country);
            }
        }
        let risky: Vec<&ScoredEvent> = selected
            .iter()
            .copied()
            .filter(|event| event.risk_level >= RiskLevel::High)
            .collect();
        let flags = |event: &ScoredEvent, detector: Detector| {
            detector
                .score(event)
                .is_some_and(|score| score >= high_from)
        };
        let detectors: Vec<DetectorFigures> = Detector::ALL
            .into_iter()
            .map(|detector| {
                let scores: Vec<f64> = selected.iter().filter_map(|e| detector.score(e)).collect();
                DetectorFigures {
                    detector,
                    enabled: detector.enabled(config),
                    weight: detector.weight(&config.risk),
                    scored: scores.len() as u64,
                    mean_score: if scores.is_empty() {
                        0.0
                    } else {
                        scores.iter().sum::<f64>() / scores.len() as f64
                    },
                    flagged: scores.iter().filter(|&&score| score >= high_from).count() as u64,
                    flagged_risky: risky.iter().filter(|e| flags(e, detector)).count() as u64,
                }
            })
            .collect();
        let enabled: Vec<Detector> = Detector::ALL
            .into_iter()
            .filter(|detector| detector.enabled(config))
            .collect();
        let flagged_by_all = risky
            .iter()
            .filter(|event| {
                let mut scored = enabled
                    .iter()
                    .filter(|detector| detector.score(event).is_some())
                    .peekable();
                scored.peek().is_some() && scored.all(|&detector| flags(event, detector))
            })
            .count() as u64;
        let rules_only = risky
            .iter()
            .filter(|event| !enabled.iter().any(|&detector| flags(event, detector)))
            .count() as u64;
        let mut accounts = AccountCounts::default();
        for verdict in conclusions
            .accounts
            .iter()
            .filter(|verdict| users.contains(verdict.user_id.as_str()))
        {
            match verdict.status {
                AccountStatus::Compromised => accounts.compromised += 1,
                AccountStatus::Suspicious => accounts.suspicious += 1,
                AccountStatus::Clean => accounts.clean += 1,
            }
        }
        let mut incidents = IncidentCounts::default();
        for incident in selected_incidents(&conclusions.incidents, events, selection) {
            incidents.total += 1;
            match incident.kind {
                IncidentKind::Account => incidents.accounts += 1,
                IncidentKind::Source => incidents.campaigns += 1,
            }
            incidents.critical += u64::from(incident.severity == RiskLevel::Critical);
            incidents.succeeded += u64::from(incident.succeeded());
            incidents.impossible_travel += u64::from(incident.has(FindingKind::ImpossibleTravel));
        }
        Self {
            total: events.len() as u64,
            logins: selected.len() as u64,
            users: users.len() as u64,
            countries: countries.len() as u64,
            levels: RiskLevel::ALL
                .into_iter()
                .map(|level| (level, levels[level as usize]))
                .collect(),
            risky: risky.len() as u64,
            high_from,
            outcomes,
            travel,
            accounts,
            incidents,
            detectors,
            flagged_by_all,
            rules_only,
        }
    }
}

/// The run's incidents with at least one selected login, in the run's order.
pub fn selected_incidents<'a>(
    incidents: &'a [Incident],
    events: &[ScoredEvent],
    selection: &Selection,
) -> Vec<&'a Incident> {
    if selection.is_all() {
        return incidents.iter().collect();
    }
    let rows: FxHashSet<u64> = events
        .iter()
        .filter(|event| selection.contains(event))
        .map(|event| event.row)
        .collect();
    incidents
        .iter()
        .filter(|incident| incident.rows.iter().any(|row| rows.contains(row)))
        .collect()
}

/// The run's users' risk for the users with a selected login, riskiest first: a filter chooses
/// users, it never rescores them.
pub fn selected_users<'a>(
    users: &'a [UserRisk],
    events: &[ScoredEvent],
    selection: &Selection,
) -> Vec<&'a UserRisk> {
    if selection.is_all() {
        return users.iter().collect();
    }
    let names: FxHashSet<&str> = events
        .iter()
        .filter(|event| selection.contains(event))
        .map(|event| &*event.user_id)
        .collect();
    users
        .iter()
        .filter(|user| names.contains(user.user_id.as_str()))
        .collect()
}
