//! What is notified: one `Alert` per incident, and the grouping that builds alerts from an
//! analysis (one per flagged user until incidents take over the keys).

use std::collections::BTreeMap;

use engine::{Analysis, Finding, FindingKind, RiskLevel, ScoredEvent};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One notification-worthy incident, with the enrichment a person needs to act on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Deduplication key: the same key is never sent twice to the same channel.
    pub key: String,
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

/// When an analysis produces alerts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertRules {
    /// Events at or above this level are alerted.
    pub min_level: RiskLevel,
    /// Users whose aggregated risk score (0–1) reaches this are alerted even without such events.
    pub user_risk_threshold: Option<f64>,
}

/// Alerts for an analysis: one per user with events at or above `min_level` or a risk at or
/// above the threshold. The key is a digest of the user and their first flagged login, so
/// re-running the same analysis gives the same keys.
pub fn alerts_from_analysis(analysis: &Analysis, rules: &AlertRules) -> Vec<Alert> {
    let mut flagged: BTreeMap<&str, Vec<&ScoredEvent>> = BTreeMap::new();
    for event in &analysis.events {
        if event.risk_level >= rules.min_level {
            flagged.entry(&event.user_id).or_default().push(event);
        }
    }
    if let Some(threshold) = rules.user_risk_threshold {
        for user in &analysis.users {
            if user.risk_score >= threshold && !flagged.contains_key(user.user_id.as_str()) {
                let riskiest = analysis
                    .events
                    .iter()
                    .filter(|event| *event.user_id == *user.user_id)
                    .max_by(|a, b| a.risk_score.total_cmp(&b.risk_score));
                if let Some(event) = riskiest {
                    flagged.insert(&user.user_id, vec![event]);
                }
            }
        }
    }
    let mut alerts: Vec<Alert> = flagged
        .into_iter()
        .map(|(user, events)| user_alert(analysis, user, &events))
        .collect();
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ms.cmp(&b.first_ms))
    });
    alerts
}

fn user_alert(analysis: &Analysis, user: &str, events: &[&ScoredEvent]) -> Alert {
    let first = events
        .iter()
        .min_by_key(|event| (event.timestamp_ms, event.row));
    let first_ms = first.map_or(0, |event| event.timestamp_ms);
    let last_ms = events
        .iter()
        .map(|event| event.timestamp_ms)
        .max()
        .unwrap_or(first_ms);
    let severity = events
        .iter()
        .map(|event| event.risk_level)
        .max()
        .unwrap_or(RiskLevel::Low);
    // Each kind of finding once, with its strongest reason; rule evidence first.
    let mut strongest: BTreeMap<FindingKind, (&Finding, f64)> = BTreeMap::new();
    let mut source_ips = Vec::new();
    let mut locations = Vec::new();
    for event in events {
        push_unique(&mut source_ips, event.ip.to_string());
        push_unique(&mut locations, location(event));
        for finding in &event.findings {
            let entry = strongest
                .entry(finding.kind)
                .or_insert((finding, event.risk_score));
            if (finding.floor, event.risk_score) > (entry.0.floor, entry.1) {
                *entry = (finding, event.risk_score);
            }
        }
    }
    let mut findings: Vec<(&Finding, f64)> = strongest.into_values().collect();
    findings.sort_by(|a, b| {
        (b.0.floor, b.1)
            .partial_cmp(&(a.0.floor, a.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let title = findings
        .first()
        .map_or("risky sign-in", |(finding, _)| kind_title(finding.kind))
        .to_owned();
    let reasons = findings
        .iter()
        .map(|(finding, _)| finding.reason.clone())
        .collect();
    let previous_login = first.and_then(|first| previous_login(analysis, first));
    let mut hasher = Sha256::new();
    hasher.update(user.as_bytes());
    hasher.update([0]);
    hasher.update(first_ms.to_be_bytes());
    let key = format!("user-{}", &hex::encode(hasher.finalize())[..24]);
    Alert {
        key,
        severity,
        title,
        users: vec![user.to_owned()],
        source_ips,
        locations,
        previous_login,
        reasons,
        first_ms,
        last_ms,
        link: None,
    }
}

/// A finding kind as words for subjects.
pub fn kind_title(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::NewLocation => "new location",
        FindingKind::NewNetwork => "new network",
        FindingKind::NewDevice => "new device",
        FindingKind::UnusualTime => "unusual time",
        FindingKind::UnusualPace => "unusual pace",
        FindingKind::ImpossibleTravel => "impossible travel",
        FindingKind::AnonymisingNetwork => "anonymising network",
        FindingKind::ScriptedClient => "scripted client",
        FindingKind::BruteForce => "brute force",
        FindingKind::PasswordSpray => "password spray",
        FindingKind::CredentialStuffing => "credential stuffing",
        FindingKind::FailuresThenSuccess => "success after failures",
        FindingKind::UnknownAccount => "unknown account",
        FindingKind::Outlier => "outlier login",
        FindingKind::OutsideClusters => "unusual login pattern",
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !item.is_empty() && !list.contains(&item) {
        list.push(item);
    }
}

/// "Lagos, NG · hosting", with the parts that are known.
fn location(event: &ScoredEvent) -> String {
    let place = match (&event.city, &event.country) {
        (Some(city), Some(country)) => format!("{city}, {country}"),
        (None, Some(country)) => country.to_string(),
        (Some(city), None) => city.to_string(),
        (None, None) => "unknown location".to_owned(),
    };
    match (event.network, event.asn) {
        (Some(network), Some(asn)) => format!("{place} · {} (AS{asn})", network.as_str()),
        (Some(network), None) => format!("{place} · {}", network.as_str()),
        (None, Some(asn)) => format!("{place} · AS{asn}"),
        (None, None) => place,
    }
}

/// The same user's latest login before `first` that did not fail, as "time from IP (place)".
fn previous_login(analysis: &Analysis, first: &ScoredEvent) -> Option<String> {
    analysis
        .events
        .iter()
        .filter(|event| {
            event.user_id == first.user_id
                && event.success != Some(false)
                && (event.timestamp_ms, event.row) < (first.timestamp_ms, first.row)
        })
        .max_by_key(|event| (event.timestamp_ms, event.row))
        .map(|event| {
            format!(
                "{} from {} ({})",
                engine::time::format_utc(event.timestamp_ms),
                event.ip,
                location(event)
            )
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use engine::{AnalysisConfig, UserRisk};

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
        }
    }

    fn analysis() -> Analysis {
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
        assert_eq!(alert.title, "anonymising network");
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
            alert.key.starts_with("user-") && alert.key.len() == 29,
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
        assert_eq!(alerts[1].title, "new device");
        assert_ne!(alerts[0].key, alerts[1].key);
    }
}
