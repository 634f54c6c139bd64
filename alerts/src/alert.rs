//! What is notified: one `Alert` per incident of an analysis.

use std::collections::BTreeSet;

use engine::figures::Conclusions;
use engine::{AccountVerdict, Analysis, Incident, RiskLevel};
use serde::Serialize;

/// One notification-worthy incident, with the enrichment a person needs to act on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Deduplication key: the same key is never sent twice to the same channel.
    pub key: String,
    /// What the alert is about: an incident, or a risky account without one.
    pub kind: AlertKind,
    pub severity: RiskLevel,
    /// Short description ("impossible travel"), used in subjects.
    pub title: String,
    pub users: Vec<String>,
    pub source_ips: Vec<String>,
    /// Locations and networks seen ("Lagos, NG · hosting").
    pub locations: Vec<String>,
    /// The user's login before the incident, as text, when there was one.
    pub previous_login: Option<String>,
    pub reasons: Vec<String>,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Where to read more (the incident in the web app).
    pub link: Option<String>,
}

impl Alert {
    /// "alice@example.com" or "alice@example.com and 2 more".
    pub fn users_label(&self) -> String {
        match self.users.as_slice() {
            [] => "unknown user".to_owned(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        }
    }
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A compromised account or an attacking campaign (its key is the incident's ID).
    Incident,
    /// An account whose risk reached the user-risk threshold without an incident.
    Account,
}

/// When an analysis produces alerts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertRules {
    /// Events at or above this level are alerted.
    pub min_level: RiskLevel,
    /// Users whose aggregated risk score (0–1) reaches this are alerted even without such events.
    pub user_risk_threshold: Option<f64>,
}

/// Alerts for an analysis: one per incident — a compromised account or an attacking campaign,
/// as [`engine::incidents`] defines them for every page, report and API answer — whose severity
/// reaches `min_level`, or which involves a user whose risk reaches the threshold. The key is the
/// incident ID, derived from the content, so re-running the same analysis gives the same keys and
/// an incident is notified once.
pub fn alerts_from_analysis(analysis: &Analysis, rules: &AlertRules) -> Vec<Alert> {
    alerts_from(&Conclusions::of(analysis), rules)
}

/// [`alerts_from_analysis`] for a run's conclusions (as a kept run recomputes them): the same
/// incidents, verdicts and users' risk every page and report shows.
pub fn alerts_from(conclusions: &Conclusions, rules: &AlertRules) -> Vec<Alert> {
    let risky: BTreeSet<&str> = rules
        .user_risk_threshold
        .map(|threshold| {
            conclusions
                .users
                .iter()
                .filter(|user| user.risk_score >= threshold)
                .map(|user| user.user_id.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut alerts: Vec<Alert> = conclusions
        .incidents
        .iter()
        .filter(|incident| {
            incident.severity >= rules.min_level
                || incident
                    .users
                    .iter()
                    .any(|user| risky.contains(user.as_str()))
        })
        .map(Alert::from_incident)
        .collect();
    // Risky users without an incident: their account's strongest evidence.
    if !risky.is_empty() {
        let covered: BTreeSet<String> = alerts
            .iter()
            .flat_map(|alert| alert.users.iter().cloned())
            .collect();
        alerts.extend(
            conclusions
                .accounts
                .iter()
                .filter(|verdict| {
                    risky.contains(verdict.user_id.as_str()) && !covered.contains(&verdict.user_id)
                })
                .filter_map(Alert::from_account),
        );
    }
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ms.cmp(&b.first_ms))
            .then_with(|| a.key.cmp(&b.key))
    });
    alerts
}

impl Alert {
    pub fn from_incident(incident: &Incident) -> Self {
        Alert {
            key: incident.id.clone(),
            kind: AlertKind::Incident,
            severity: incident.severity,
            title: incident.title.clone(),
            users: incident.users.clone(),
            source_ips: incident.ips.iter().map(ToString::to_string).collect(),
            locations: incident.places.clone(),
            previous_login: incident.previous_login.as_ref().map(|login| {
                format!(
                    "{} from {} ({})",
                    engine::time::format_utc(login.timestamp_ms),
                    login.ip,
                    login.place
                )
            }),
            reasons: incident
                .findings
                .iter()
                .map(|finding| finding.reason.clone())
                .collect(),
            first_ms: incident.first_ms,
            last_ms: incident.last_ms,
            link: None,
        }
    }

    /// An account's strongest evidence, keyed by the account and that login (so the same
    /// evidence is notified once); `None` for an account without any.
    pub fn from_account(verdict: &AccountVerdict) -> Option<Self> {
        let strongest = verdict.evidence.first()?;
        let what = strongest
            .findings
            .first()
            .map_or("risky sign-in", |kind| engine::incidents::kind_title(*kind));
        let mut letters = what.chars();
        let what: String = letters
            .next()
            .map(|first| first.to_uppercase().chain(letters).collect())
            .unwrap_or_default();
        let key = engine::digest::fnv1a64(
            format!("{}\u{1f}{}", verdict.user_id, strongest.timestamp_ms).as_bytes(),
        );
        Some(Alert {
            key: format!("ACC-{:012x}", key & 0xffff_ffff_ffff),
            kind: AlertKind::Account,
            severity: verdict.level,
            title: format!("{what}: {} signed in", verdict.user_id),
            users: vec![verdict.user_id.clone()],
            source_ips: verdict
                .evidence
                .iter()
                .map(|evidence| evidence.ip.to_string())
                .collect(),
            locations: verdict
                .evidence
                .iter()
                .map(|evidence| evidence.place.clone())
                .collect(),
            previous_login: None,
            reasons: vec![verdict.summary.clone()],
            first_ms: strongest.timestamp_ms,
            last_ms: verdict
                .evidence
                .iter()
                .map(|evidence| evidence.timestamp_ms)
                .max()
                .unwrap_or(strongest.timestamp_ms),
            link: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use engine::{AnalysisConfig, Finding, FindingKind, ScoredEvent, UserRisk};

    use super::*;

    fn event(
        row: u64,
        user: &str,
        minute: i64,
        level: RiskLevel,
        finding: Option<FindingKind>,
    ) -> ScoredEvent {
        let score = match level {
            RiskLevel::Low => 0.1,
            RiskLevel::Medium => 0.5,
            RiskLevel::High => 0.8,
            RiskLevel::Critical => 0.95,
        };
        ScoredEvent {
            row,
            line: row + 1,
            timestamp_ms: 1_772_439_300_000 + minute * 60_000,
            user_id: Arc::from(user),
            ip: format!("203.0.113.{row}").parse().expect("ip"),
            success: Some(true),
            risk_score: score,
            risk_level: level,
            isolation_forest: None,
            dbscan: None,
            statistical: 0.0,
            rules: 0.0,
            findings: finding
                .map(|kind| Finding {
                    kind,
                    floor: score,
                    reason: format!("{} seen", kind.as_str()),
                    suppressed: None,
                })
                .into_iter()
                .collect(),
            country: Some(Arc::from("NG")),
            city: Some(Arc::from("Lagos")),
            asn: Some(64500),
            network: Some(engine::enrich::NetworkType::Hosting),
            travel_km: None,
            travel_kmh: None,
            device: Arc::from("Firefox on Linux"),
            explanation: None,
        }
    }

    /// The fixture's logins with the verdicts and campaigns the engine draws from them.
    fn analysis() -> Analysis {
        let mut analysis = logins();
        let config = &analysis.config;
        analysis.accounts =
            engine::account_verdicts(&analysis.events, &config.accounts, &config.risk);
        analysis.campaigns = engine::accounts::campaigns(&analysis.events);
        analysis
    }

    fn logins() -> Analysis {
        Analysis {
            events: vec![
                event(1, "alice", 0, RiskLevel::Low, None),
                event(2, "bob", 1, RiskLevel::Medium, Some(FindingKind::NewDevice)),
                event(
                    3,
                    "alice",
                    2,
                    RiskLevel::High,
                    Some(FindingKind::ImpossibleTravel),
                ),
                event(
                    4,
                    "alice",
                    3,
                    RiskLevel::Critical,
                    Some(FindingKind::AnonymisingNetwork),
                ),
                event(5, "carol", 4, RiskLevel::Low, None),
            ],
            users: vec![
                UserRisk {
                    user_id: "alice".to_owned(),
                    risk_score: 0.95,
                    risk_level: RiskLevel::Critical,
                    logins: 3,
                    high_or_above: 2,
                    last_timestamp_ms: 0,
                },
                UserRisk {
                    user_id: "bob".to_owned(),
                    risk_score: 0.6,
                    risk_level: RiskLevel::Medium,
                    logins: 1,
                    high_or_above: 0,
                    last_timestamp_ms: 0,
                },
            ],
            config: AnalysisConfig::default(),
            geo_data: None,
            forest_fits: 0,
            cluster_fits: 0,
            cluster_eps: None,
            accounts: Vec::new(),
            campaigns: Vec::new(),
        }
    }

    #[test]
    fn one_alert_per_flagged_user_with_enrichment() {
        let rules = AlertRules {
            min_level: RiskLevel::High,
            user_risk_threshold: None,
        };
        let alerts = alerts_from_analysis(&analysis(), &rules);
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.users, ["alice"]);
        assert_eq!(alert.severity, RiskLevel::Critical);
        assert_eq!(alert.title, "Anonymising network: alice signed in");
        assert_eq!(alert.source_ips, ["203.0.113.3", "203.0.113.4"]);
        assert_eq!(alert.locations, ["Lagos, NG · hosting (AS64500)"]);
        assert_eq!(
            alert.reasons,
            ["anonymising_network seen", "impossible_travel seen"]
        );
        assert_eq!(
            alert.previous_login.as_deref(),
            Some("2026-03-02T08:15:00Z from 203.0.113.1 (Lagos, NG · hosting (AS64500))")
        );
        assert_eq!(
            (alert.first_ms, alert.last_ms),
            (1_772_439_420_000, 1_772_439_480_000)
        );
        assert!(
            alert.key.starts_with("INC-") && alert.key.len() == 16,
            "{}",
            alert.key
        );
        assert_eq!(
            alerts,
            alerts_from_analysis(&analysis(), &rules),
            "stable keys"
        );
    }

    #[test]
    fn user_risk_threshold_adds_users_without_high_events() {
        let rules = AlertRules {
            min_level: RiskLevel::High,
            user_risk_threshold: Some(0.5),
        };
        let alerts = alerts_from_analysis(&analysis(), &rules);
        let users: Vec<&str> = alerts.iter().map(|alert| alert.users[0].as_str()).collect();
        assert_eq!(users, ["alice", "bob"]);
        assert_eq!(alerts[1].title, "New device: bob signed in");
        assert_ne!(alerts[0].key, alerts[1].key);
    }
}
