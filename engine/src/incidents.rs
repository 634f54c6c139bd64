//! Incidents: what an analyst investigates, one per compromised account and one per attacking
//! campaign ([`incidents`]), never one per risky login.
//!
//! - **Account incidents**: an account whose verdict is compromised
//!   ([`crate::accounts::account_verdicts`]), with its flagged logins (at or above
//!   [`IncidentParams::min_level`]) and its evidence chain as the timeline.
//! - **Source incidents**: a campaign ([`crate::accounts::campaigns`]) — brute force against
//!   one account, or spraying and stuffing against many, from one address or hundreds — with
//!   its attempts as the timeline; its subject is the campaign's ID.
//!
//! Each incident gets an ID derived from its content (kind, subject and first login's time),
//! never from row numbers or the current date, so the same log gives the same IDs on every run
//! and in every report, export and alert.
//!
//! [`incidents_where`] keeps the older grouping of any chosen logins (by attacking address, else
//! by account, split by quiet gaps) for callers that pick logins themselves.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::accounts::{
    AccountParams, AccountStatus, AccountVerdict, Campaign, account_verdicts, campaigns,
};
use crate::digest::fnv1a64;
use crate::risk::{Finding, FindingKind, RiskLevel, RiskParams};
use crate::scored::{ScoredEvent, place};
use crate::time::format_utc;

/// Most timeline entries kept per incident (the strongest are always the first and the
/// riskiest); `event_count` has the full number.
pub const MAX_TIMELINE: usize = 200;

/// How flagged logins are grouped into incidents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentParams {
    /// Logins at or above this level are flagged (default High: the level alerts use).
    pub min_level: RiskLevel,
    /// A longer quiet time between flagged logins of a group starts a new incident (default one
    /// day, the window Entra ID Protection uses for its offline detections).
    pub gap_secs: i64,
}

impl Default for IncidentParams {
    fn default() -> Self {
        Self {
            min_level: RiskLevel::High,
            gap_secs: 86_400,
        }
    }
}

/// Whether an incident follows an account or an attacking source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Account,
    Source,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Source => "source",
        }
    }
}

/// One login of an incident's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub row: u64,
    pub timestamp_ms: i64,
    pub user_id: String,
    pub ip: IpAddr,
    /// "Oslo, NO · residential (AS2119)", with the parts that are known.
    pub place: String,
    pub device: String,
    pub success: Option<bool>,
    pub risk_score: f64,
    pub risk_level: RiskLevel,
    pub findings: Vec<FindingKind>,
    pub reasons: String,
}

/// A finding kind seen in an incident, with how often and its strongest reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingSummary {
    pub kind: FindingKind,
    pub count: u64,
    pub reason: String,
}

/// A group of related risky logins with its evidence and what to do about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `INC-` and 12 hex digits, derived from the kind, subject and first flagged login.
    pub id: String,
    pub kind: IncidentKind,
    /// The user (account incidents), or the campaign's ID (source incidents; the attacking
    /// address for [`incidents_where`]'s source groups).
    pub subject: String,
    /// One line: what happened to whom.
    pub title: String,
    pub severity: RiskLevel,
    pub peak_score: f64,
    pub first_ms: i64,
    pub last_ms: i64,
    pub event_count: u64,
    pub successes: u64,
    pub failures: u64,
    pub users: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub places: Vec<String>,
    pub devices: Vec<String>,
    /// Strongest first.
    pub findings: Vec<FindingSummary>,
    /// The account's last login before the incident that did not fail (account incidents).
    pub previous_login: Option<TimelineEntry>,
    /// In time order; at most [`MAX_TIMELINE`] entries.
    pub timeline: Vec<TimelineEntry>,
    /// Suggested response, most urgent first, derived from the evidence.
    pub response: Vec<String>,
    /// The rows of every login the incident groups (which logins a filter must select for the
    /// incident to be shown); not published, the timeline is the evidence.
    #[serde(skip)]
    pub rows: Vec<u64>,
}

impl Incident {
    /// Whether a login of the incident succeeded: the attacker may be in.
    pub fn succeeded(&self) -> bool {
        self.successes > 0
    }

    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|finding| finding.kind == kind)
    }
}

/// The incidents of `events` (any order): one per compromised account and one per campaign,
/// with the default verdict and risk settings; most severe first (then earliest, then by ID).
pub fn incidents(events: &[ScoredEvent], params: &IncidentParams) -> Vec<Incident> {
    let verdicts = account_verdicts(events, &AccountParams::default(), &RiskParams::default());
    incidents_from(events, &verdicts, &campaigns(events), params)
}

/// The incidents of `events` for verdicts and campaigns already computed (as an
/// [`crate::Analysis`] carries them).
pub fn incidents_from(
    events: &[ScoredEvent],
    verdicts: &[AccountVerdict],
    campaigns: &[Campaign],
    params: &IncidentParams,
) -> Vec<Incident> {
    let compromised: rustc_hash::FxHashMap<&str, &AccountVerdict> = verdicts
        .iter()
        .filter(|verdict| verdict.status == AccountStatus::Compromised)
        .map(|verdict| (verdict.user_id.as_str(), verdict))
        .collect();
    let mut of_account: BTreeMap<&str, Vec<&ScoredEvent>> = BTreeMap::new();
    for event in events {
        let Some(verdict) = compromised.get(&*event.user_id) else {
            continue;
        };
        let evidence = verdict.evidence.iter().any(|login| login.row == event.row);
        let since = verdict
            .evidence
            .iter()
            .map(|login| login.timestamp_ms)
            .min()
            .unwrap_or(i64::MIN)
            .saturating_sub(params.gap_secs.saturating_mul(1000));
        if evidence || (event.risk_level >= params.min_level && event.timestamp_ms >= since) {
            of_account.entry(&event.user_id).or_default().push(event);
        }
    }
    let by_row: rustc_hash::FxHashMap<u64, &ScoredEvent> =
        events.iter().map(|event| (event.row, event)).collect();
    let mut groups: BTreeMap<(IncidentKind, String), Vec<&ScoredEvent>> = of_account
        .into_iter()
        .map(|(user, logins)| ((IncidentKind::Account, user.to_owned()), logins))
        .collect();
    for campaign in campaigns {
        let logins: Vec<&ScoredEvent> = campaign
            .rows
            .iter()
            .filter_map(|row| by_row.get(row).copied())
            .collect();
        if !logins.is_empty() {
            groups.insert((IncidentKind::Source, campaign.id.clone()), logins);
        }
    }
    let history = AccountHistory::new(events, &groups);
    let summaries: rustc_hash::FxHashMap<&str, &str> = campaigns
        .iter()
        .map(|campaign| (campaign.id.as_str(), campaign.summary.as_str()))
        .collect();
    let mut found: Vec<Incident> = groups
        .into_iter()
        .map(|((kind, subject), mut logins)| {
            logins.sort_by_key(|event| (event.timestamp_ms, event.row));
            let mut incident = build(kind, &subject, &logins, &history);
            if let Some(summary) = summaries.get(subject.as_str()) {
                incident.title = capitalise(summary);
            }
            incident
        })
        .collect();
    found.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ms.cmp(&b.first_ms))
            .then_with(|| a.id.cmp(&b.id))
    });
    found
}

/// Like [`incidents`], with the flagged logins chosen by `flagged` (alerts add each risky
/// user's riskiest login, whatever its level).
pub fn incidents_where(
    events: &[ScoredEvent],
    gap_secs: i64,
    flagged: impl Fn(&ScoredEvent) -> bool,
) -> Vec<Incident> {
    let flagged: Vec<&ScoredEvent> = events.iter().filter(|e| flagged(e)).collect();
    // An attacking source's other flagged logins (before its spray was recognised, say) belong
    // to its incident, not to one incident per targeted account.
    let attackers: rustc_hash::FxHashSet<IpAddr> = flagged
        .iter()
        .filter(|event| is_source_attack(event))
        .map(|event| event.ip)
        .collect();
    let mut groups: BTreeMap<(IncidentKind, String), Vec<&ScoredEvent>> = BTreeMap::new();
    for event in flagged {
        let key = if attackers.contains(&event.ip) {
            (IncidentKind::Source, event.ip.to_string())
        } else {
            (IncidentKind::Account, event.user_id.to_string())
        };
        groups.entry(key).or_default().push(event);
    }
    let gap_ms = gap_secs.saturating_mul(1000);
    let history = AccountHistory::new(events, &groups);
    let mut found = Vec::new();
    for ((kind, subject), mut flagged) in groups {
        flagged.sort_by_key(|event| (event.timestamp_ms, event.row));
        let mut start = 0;
        for end in 1..=flagged.len() {
            let split = end == flagged.len()
                || flagged[end].timestamp_ms - flagged[end - 1].timestamp_ms > gap_ms;
            if split {
                found.push(build(kind, &subject, &flagged[start..end], &history));
                start = end;
            }
        }
    }
    found.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ms.cmp(&b.first_ms))
            .then_with(|| a.id.cmp(&b.id))
    });
    found
}

fn is_source_attack(event: &ScoredEvent) -> bool {
    event.findings.iter().any(|finding| {
        matches!(
            finding.kind,
            FindingKind::PasswordSpray | FindingKind::CredentialStuffing
        )
    })
}

/// Logins that did not fail, per account of an account incident, in time order: where the
/// previous login comes from.
struct AccountHistory<'a> {
    by_user: FxHashMap<String, Vec<&'a ScoredEvent>>,
}

impl<'a> AccountHistory<'a> {
    fn new(
        events: &'a [ScoredEvent],
        groups: &BTreeMap<(IncidentKind, String), Vec<&ScoredEvent>>,
    ) -> Self {
        let mut by_user: FxHashMap<String, Vec<&'a ScoredEvent>> = groups
            .keys()
            .filter(|(kind, _)| *kind == IncidentKind::Account)
            .map(|(_, user)| (user.clone(), Vec::new()))
            .collect();
        for event in events.iter().filter(|e| e.success != Some(false)) {
            if let Some(list) = by_user.get_mut(&*event.user_id) {
                list.push(event);
            }
        }
        for list in by_user.values_mut() {
            list.sort_by_key(|event| (event.timestamp_ms, event.row));
        }
        Self { by_user }
    }

    /// The latest login of `user` before `first` that did not fail.
    fn before(&self, user: &str, first: &ScoredEvent) -> Option<&'a ScoredEvent> {
        let list = self.by_user.get(user)?;
        let position =
            list.partition_point(|e| (e.timestamp_ms, e.row) < (first.timestamp_ms, first.row));
        position.checked_sub(1).map(|index| list[index])
    }
}

fn build(
    kind: IncidentKind,
    subject: &str,
    flagged: &[&ScoredEvent],
    history: &AccountHistory<'_>,
) -> Incident {
    let first = flagged[0];
    let last = flagged[flagged.len() - 1];
    let mut users = Vec::new();
    let mut ips = Vec::new();
    let mut places = Vec::new();
    let mut devices = Vec::new();
    let mut strongest: BTreeMap<FindingKind, (u64, &Finding, f64)> = BTreeMap::new();
    let (mut successes, mut failures) = (0, 0);
    for event in flagged {
        push_unique(&mut users, event.user_id.to_string());
        push_unique(&mut ips, event.ip);
        push_unique(&mut places, place(event));
        push_unique(&mut devices, event.device.to_string());
        match event.success {
            Some(true) => successes += 1,
            Some(false) => failures += 1,
            None => {}
        }
        for finding in event.findings.iter().filter(|finding| finding.is_active()) {
            let entry = strongest
                .entry(finding.kind)
                .or_insert((0, finding, event.risk_score));
            entry.0 += 1;
            if (finding.floor, event.risk_score) > (entry.1.floor, entry.2) {
                (entry.1, entry.2) = (finding, event.risk_score);
            }
        }
    }
    users.sort();
    let mut ranked: Vec<(u64, &Finding, f64)> = strongest.into_values().collect();
    ranked.sort_by(|a, b| {
        (b.1.floor, b.2)
            .partial_cmp(&(a.1.floor, a.2))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.kind.cmp(&b.1.kind))
    });
    let findings: Vec<FindingSummary> = ranked
        .into_iter()
        .map(|(count, finding, _)| FindingSummary {
            kind: finding.kind,
            count,
            reason: finding.reason.clone(),
        })
        .collect();
    let severity = flagged
        .iter()
        .map(|e| e.risk_level)
        .max()
        .unwrap_or(first.risk_level);
    let peak_score = flagged.iter().map(|e| e.risk_score).fold(0.0, f64::max);
    let previous_login = match kind {
        IncidentKind::Account => history.before(subject, first).map(timeline_entry),
        IncidentKind::Source => None,
    };
    let mut incident = Incident {
        id: incident_id(kind, subject, first.timestamp_ms),
        kind,
        subject: subject.to_owned(),
        title: String::new(),
        severity,
        peak_score,
        first_ms: first.timestamp_ms,
        last_ms: last.timestamp_ms,
        event_count: flagged.len() as u64,
        successes,
        failures,
        users,
        ips,
        places,
        devices,
        findings,
        previous_login,
        timeline: timeline(flagged),
        response: Vec::new(),
        rows: flagged.iter().map(|event| event.row).collect(),
    };
    incident.title = title(&incident);
    incident.response = response(&incident);
    incident
}

fn timeline(flagged: &[&ScoredEvent]) -> Vec<TimelineEntry> {
    kept_indices(flagged.len(), MAX_TIMELINE, |index| {
        flagged[index].risk_score
    })
    .into_iter()
    .map(|index| timeline_entry(flagged[index]))
    .collect()
}

/// A timeline cut to `max` entries the same way incidents keep theirs (for shorter listings,
/// such as a PDF page).
pub fn condensed(timeline: &[TimelineEntry], max: usize) -> Vec<TimelineEntry> {
    kept_indices(timeline.len(), max, |index| timeline[index].risk_score)
        .into_iter()
        .map(|index| timeline[index].clone())
        .collect()
}

/// Of `len` logins in time order, at most `max`: the first and last always; between them, the
/// riskiest; in time order.
fn kept_indices(len: usize, max: usize, score: impl Fn(usize) -> f64) -> Vec<usize> {
    if len <= max.max(2) {
        return (0..len).collect();
    }
    let mut middle: Vec<usize> = (1..len - 1).collect();
    middle.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    let mut kept: Vec<usize> = middle[..max.max(2) - 2].to_vec();
    kept.extend([0, len - 1]);
    kept.sort_unstable();
    kept
}

fn timeline_entry(event: &ScoredEvent) -> TimelineEntry {
    TimelineEntry {
        row: event.row,
        timestamp_ms: event.timestamp_ms,
        user_id: event.user_id.to_string(),
        ip: event.ip,
        place: place(event),
        device: event.device.to_string(),
        success: event.success,
        risk_score: event.risk_score,
        risk_level: event.risk_level,
        findings: event
            .findings
            .iter()
            .filter(|finding| finding.is_active())
            .map(|finding| finding.kind)
            .collect(),
        reasons: event.reasons(),
    }
}

/// `INC-` and the first 12 hex digits of a 64-bit FNV-1a digest of the content.
pub fn incident_id(kind: IncidentKind, subject: &str, first_ms: i64) -> String {
    let hash = fnv1a64(
        kind.as_str()
            .as_bytes()
            .iter()
            .chain(&[0])
            .chain(subject.as_bytes())
            .chain(&[0])
            .chain(&first_ms.to_be_bytes()),
    );
    format!("INC-{:012X}", hash >> 16)
}

/// A finding kind in words ("impossible travel").
pub fn kind_title(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::NewLocation => "new location",
        FindingKind::NewNetwork => "new network",
        FindingKind::NewDevice => "new device",
        FindingKind::UnusualTime => "unusual time",
        FindingKind::UnusualPace => "unusual pace",
        FindingKind::ImpossibleTravel => "impossible travel",
        FindingKind::FastTravel => "fast travel (explained)",
        FindingKind::AnonymisingNetwork => "anonymising network",
        FindingKind::ScriptedClient => "scripted client",
        FindingKind::BruteForce => "brute force",
        FindingKind::PasswordSpray => "password spray",
        FindingKind::CredentialStuffing => "credential stuffing",
        FindingKind::FailuresThenSuccess => "success after failures",
        FindingKind::UnusualCombination => "unusual combination",
        FindingKind::UnknownAccount => "unknown account",
        FindingKind::Outlier => "outlier login",
        FindingKind::OutsideClusters => "unusual login pattern",
        FindingKind::ConfirmedCompromised => "confirmed compromise",
        FindingKind::ConfirmedAttackAttempt => "confirmed attack attempt",
        FindingKind::KnownCompromisedSource => "known compromised source",
    }
}

fn title(incident: &Incident) -> String {
    let what = incident
        .findings
        .first()
        .map_or("risky sign-in", |finding| kind_title(finding.kind));
    let what = capitalise(what);
    match incident.kind {
        IncidentKind::Account if incident.succeeded() => {
            format!("{what}: {} signed in", incident.subject)
        }
        IncidentKind::Account => format!("{what}: attempts on {}", incident.subject),
        IncidentKind::Source => {
            let accounts = incident.users.len();
            let plural = if accounts == 1 { "" } else { "s" };
            format!(
                "{what} from {} against {accounts} account{plural}",
                incident.subject
            )
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Response steps from the evidence: containment when a login succeeded, then what to check.
fn response(incident: &Incident) -> Vec<String> {
    let mut steps = Vec::new();
    let ips = list(incident.ips.iter().map(IpAddr::to_string), 3);
    let user = &incident.subject;
    match incident.kind {
        IncidentKind::Account => {
            if incident.succeeded() {
                steps.push(format!(
                    "Revoke {user}'s sessions and refresh tokens, and reset the password."
                ));
                if !incident.has(FindingKind::FailuresThenSuccess) {
                    steps.push(format!(
                        "Ask {user} whether they signed in from {} around {} (UTC); if not, treat the account as compromised.",
                        list(incident.places.iter().cloned(), 2),
                        format_utc(incident.first_ms)
                    ));
                }
                steps.push(format!(
                    "Review what the account did after {} (mailbox rules, MFA methods, app consents, downloads).",
                    format_utc(incident.first_ms)
                ));
            } else {
                steps.push(format!(
                    "No sign-in succeeded; confirm {user}'s MFA is enforced and watch for a later success."
                ));
            }
            if incident.has(FindingKind::BruteForce)
                || incident.has(FindingKind::FailuresThenSuccess)
            {
                steps.push(format!(
                    "Block or rate-limit {ips}, and check the password against known-breached lists."
                ));
            }
            if incident.has(FindingKind::AnonymisingNetwork) {
                steps.push(
                    "Require MFA or block sign-ins from Tor, VPN and hosting networks with a conditional access policy."
                        .to_owned(),
                );
            }
            if incident.has(FindingKind::ImpossibleTravel) {
                steps.push(
                    "If the travel is explained (VPN, proxy, a trip), record it on the allow-list so it is not flagged again."
                        .to_owned(),
                );
            }
            if incident.has(FindingKind::NewDevice) || incident.has(FindingKind::ScriptedClient) {
                steps.push(format!(
                    "Check the device ({}) against the user's registered devices.",
                    list(incident.devices.iter().cloned(), 2)
                ));
            }
        }
        IncidentKind::Source => {
            steps.push(format!(
                "Block {ips} at the edge or in a conditional access policy."
            ));
            let accounts = list(incident.users.iter().cloned(), 5);
            if incident.succeeded() {
                steps.push(format!(
                    "{} sign-in(s) from this source succeeded: reset those accounts' passwords and revoke their sessions ({accounts}).",
                    incident.successes
                ));
            } else {
                steps.push(format!(
                    "No sign-in from this source succeeded; make sure the targeted accounts ({accounts}) have MFA."
                ));
            }
            steps.push(
                "Look for the same source in other logs (VPN, mail, web) over the same period."
                    .to_owned(),
            );
        }
    }
    steps
}

/// "a, b, c and 4 more".
fn list(items: impl Iterator<Item = String>, shown: usize) -> String {
    let items: Vec<String> = items.collect();
    match items.len() {
        0 => "unknown".to_owned(),
        n if n <= shown => items.join(", "),
        n => format!("{} and {} more", items[..shown].join(", "), n - shown),
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn event(row: u64, minute: i64, user: &str, ip: &str, level: RiskLevel) -> ScoredEvent {
        ScoredEvent {
            row,
            line: row + 1,
            timestamp_ms: minute * 60_000,
            user_id: Arc::from(user),
            ip: ip.parse().unwrap(),
            success: Some(true),
            risk_score: match level {
                RiskLevel::Low => 0.1,
                RiskLevel::Medium => 0.5,
                RiskLevel::High => 0.7,
                RiskLevel::Critical => 0.9,
            },
            risk_level: level,
            isolation_forest: None,
            dbscan: None,
            statistical: 0.0,
            rules: 0.0,
            findings: Vec::new(),
            country: Some(Arc::from("NO")),
            city: Some(Arc::from("Oslo")),
            asn: None,
            network: None,
            travel_km: None,
            travel_kmh: None,
            device: Arc::from("Firefox on Windows"),
            explanation: None,
        }
    }

    fn with(mut event: ScoredEvent, kind: FindingKind, reason: &str) -> ScoredEvent {
        event.findings.push(Finding {
            kind,
            floor: 0.7,
            reason: reason.to_owned(),
            suppressed: None,
        });
        event
    }

    #[test]
    fn one_incident_per_compromised_account_none_for_a_risky_login_alone() {
        let events = vec![
            event(1, 0, "alice", "192.0.2.1", RiskLevel::Low),
            with(
                event(2, 100, "alice", "198.51.100.7", RiskLevel::High),
                FindingKind::NewLocation,
                "new country for this user: BR",
            ),
            event(3, 160, "alice", "198.51.100.7", RiskLevel::Critical),
            event(4, 100 + 3 * 1440, "alice", "198.51.100.8", RiskLevel::High),
            // bob's one High sign-in makes him suspicious, not an incident.
            event(5, 50, "bob", "192.0.2.9", RiskLevel::High),
        ];
        let found = incidents(&events, &IncidentParams::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let alice = &found[0];
        assert_eq!(alice.kind, IncidentKind::Account);
        assert_eq!(alice.severity, RiskLevel::Critical);
        assert_eq!(alice.event_count, 3);
        assert_eq!(alice.subject, "alice");
        assert_eq!(alice.previous_login.as_ref().map(|p| p.row), Some(1));
        assert_eq!(alice.title, "New location: alice signed in");
        assert!(alice.response[0].starts_with("Revoke alice's sessions"));
    }

    #[test]
    fn a_campaign_is_one_incident_across_accounts() {
        let spray = |row, user: &str| {
            let mut event = with(
                event(row, row as i64, user, "203.0.113.5", RiskLevel::High),
                FindingKind::PasswordSpray,
                "one source tried 20 accounts",
            );
            event.success = Some(row == 3);
            event
        };
        let events = vec![spray(1, "a"), spray(2, "b"), spray(3, "c")];
        let found = incidents(&events, &IncidentParams::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let incident = &found[0];
        assert_eq!(incident.kind, IncidentKind::Source);
        assert!(incident.subject.starts_with("CMP-"));
        assert_eq!(incident.users, ["a", "b", "c"]);
        assert_eq!(incident.successes, 1);
        assert_eq!(incident.failures, 2);
        assert!(
            incident
                .title
                .starts_with("Password spraying from 1 address against 3 accounts"),
            "{}",
            incident.title
        );
        assert!(
            incident.title.ends_with("1 got in: c"),
            "{}",
            incident.title
        );
        assert!(incident.response[1].contains("1 sign-in(s) from this source succeeded"));
    }

    #[test]
    fn ids_follow_content_not_rows_or_order() {
        let events = vec![
            event(1, 10, "alice", "192.0.2.1", RiskLevel::Critical),
            event(2, 20, "bob", "192.0.2.2", RiskLevel::Critical),
        ];
        let mut shifted: Vec<ScoredEvent> = events.iter().rev().cloned().collect();
        for (index, event) in shifted.iter_mut().enumerate() {
            event.row = 100 + index as u64;
        }
        let ids = |events: &[ScoredEvent]| {
            let mut ids: Vec<String> = incidents(events, &IncidentParams::default())
                .into_iter()
                .map(|incident| incident.id)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&events), ids(&shifted));
        assert_eq!(ids(&events)[0].len(), 16);
        assert_ne!(
            incident_id(IncidentKind::Account, "alice", 1),
            incident_id(IncidentKind::Account, "alice", 2)
        );
    }

    #[test]
    fn long_incidents_keep_the_ends_and_the_riskiest_logins() {
        let events: Vec<ScoredEvent> = (0..500)
            .map(|row| {
                let mut event = event(row, row as i64, "alice", "192.0.2.1", RiskLevel::High);
                event.risk_score = if row == 250 { 0.99 } else { 0.7 };
                event
            })
            .collect();
        let found = incidents(&events, &IncidentParams::default());
        let timeline = &found[0].timeline;
        assert_eq!(found[0].event_count, 500);
        assert_eq!(timeline.len(), MAX_TIMELINE);
        assert_eq!(timeline[0].row, 0);
        assert_eq!(timeline[MAX_TIMELINE - 1].row, 499);
        assert!(timeline.iter().any(|entry| entry.row == 250));
        assert!(
            timeline
                .windows(2)
                .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
        );
    }
}
