//! What each report says, computed once from an analysis; the PDF, CSV, JSON and the web
//! preview all render these values, so they agree whichever way a report is asked for.

use std::collections::BTreeMap;

use engine::figures::{Conclusions, Figures, selected_incidents, selected_users};
use engine::incidents::{IncidentKind, kind_title};
use engine::profile::RejectedRow;
use engine::{
    AnalysisConfig, FindingKind, Incident, IncidentParams, RiskLevel, ScoredEvent, UserRisk,
};
use serde::{Deserialize, Serialize};

use crate::filter::Filter;

/// An analysis and what was read, as a report needs them.
pub struct ReportInput<'a> {
    /// The file name (or other label) of the analysed log.
    pub source_name: &'a str,
    pub analysis_id: Option<&'a str>,
    pub profile: &'a engine::DataProfile,
    pub settings: &'a AnalysisConfig,
    pub geo_data: Option<&'a str>,
    /// Every scored login of the analysis, in any order.
    pub events: &'a [ScoredEvent],
    /// The validated logins behind `events` (in input order; empty when not kept): what the SIEM
    /// exports add beyond the verdict (user agent, MFA, identity kind).
    pub logins: &'a [engine::LoginEvent],
    /// What the run concluded from all its logins (verdicts, campaigns, incidents, users' risk):
    /// a report selects among them, it never recomputes them from the logins it covers.
    pub conclusions: &'a Conclusions,
}

/// Names the report: the same on every page, file and preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportMeta {
    pub title: String,
    pub source_name: String,
    pub analysis_id: Option<String>,
    /// The logins covered (after the date filter).
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub filter: Filter,
    pub geo_data: Option<String>,
    pub attribution: String,
}

/// Overall posture: Low, Moderate or High, with the rule that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostureLevel {
    Low,
    Moderate,
    High,
}

impl PostureLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Moderate => "Moderate",
            Self::High => "High",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    pub level: PostureLevel,
    /// Why, in a sentence that names the evidence.
    pub rule: String,
}

/// One period of the trend (a day, or an hour for logs shorter than three days).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub start_ms: i64,
    pub logins: u64,
    pub high_or_above: u64,
    pub mean_risk: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountryRow {
    /// ISO country code, or "unknown".
    pub country: String,
    pub logins: u64,
    pub high_or_above: u64,
    pub mean_risk: f64,
}

/// An incident in one line, for summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentBrief {
    pub id: String,
    pub kind: IncidentKind,
    pub title: String,
    pub severity: RiskLevel,
    pub first_ms: i64,
    pub accounts: u64,
    pub logins: u64,
    pub succeeded: bool,
}

impl From<&Incident> for IncidentBrief {
    fn from(incident: &Incident) -> Self {
        Self {
            id: incident.id.clone(),
            kind: incident.kind,
            title: incident.title.clone(),
            severity: incident.severity,
            first_ms: incident.first_ms,
            accounts: incident.users.len() as u64,
            logins: incident.event_count,
            succeeded: incident.succeeded(),
        }
    }
}

/// One page for leadership: how bad, who, since when, what to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutiveReport {
    pub meta: ReportMeta,
    pub posture: Posture,
    pub logins: u64,
    pub users: u64,
    pub countries: u64,
    /// Logins per level, Low to Critical.
    pub levels: Vec<(RiskLevel, u64)>,
    pub incident_count: u64,
    pub top_incidents: Vec<IncidentBrief>,
    pub top_users: Vec<UserRisk>,
    pub trend: Vec<TrendPoint>,
    pub trend_unit: String,
    pub top_countries: Vec<CountryRow>,
    pub recommendations: Vec<String>,
}

/// A detector's view of the risky logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorRow {
    pub detector: String,
    pub weight: f64,
    pub enabled: bool,
    /// Logins it scored (it abstains while warming up).
    pub scored: u64,
    pub mean_score: f64,
    /// Covered logins its own score puts at or above the High boundary.
    pub flagged: u64,
    /// Of the risky logins (High or above), those it flags: the Detection page's agreement.
    #[serde(default)]
    pub flagged_risky: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    pub kind: FindingKind,
    pub title: String,
    pub logins: u64,
    pub users: u64,
    /// Of those logins, how many are High or Critical.
    pub high_or_above: u64,
    pub example: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountRow {
    pub name: String,
    pub count: u64,
}

/// Everything an engineer checks before trusting the result, and the result in detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TechnicalReport {
    pub meta: ReportMeta,
    pub profile: engine::DataProfile,
    /// The most common rejection reasons, with counts among the listed rejections.
    pub rejection_reasons: Vec<CountRow>,
    pub rejected_examples: Vec<RejectedRow>,
    /// Every setting used, as dotted name and value.
    pub parameters: Vec<(String, String)>,
    pub threshold: f64,
    pub detectors: Vec<DetectorRow>,
    /// Risky logins every detector that scored them flags.
    pub flagged_by_all: u64,
    pub at_or_above_threshold: u64,
    pub levels: Vec<(RiskLevel, u64)>,
    /// Logins per score bin of width 0.05.
    pub histogram: Vec<u64>,
    pub findings: Vec<FindingRow>,
    pub countries: Vec<CountryRow>,
    pub networks: Vec<CountRow>,
    pub devices: Vec<CountRow>,
    /// Users at Medium or above, riskiest first (at most [`MAX_USER_ROWS`]).
    pub users: Vec<UserRisk>,
    pub users_total: u64,
}

/// Every incident with its timeline and evidence, in [`IncidentGroup`] order (campaigns, then
/// compromised accounts, then the rest), most severe first within each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub meta: ReportMeta,
    pub params: IncidentParams,
    /// Incidents per severity, Medium to Critical.
    pub counts: Vec<(RiskLevel, u64)>,
    /// Incidents per group, in the report's order (groups without incidents included).
    #[serde(default)]
    pub groups: Vec<(IncidentGroup, u64)>,
    pub incidents: Vec<Incident>,
}

/// The parts of the incident report, in order: what attacks many accounts first, then the
/// accounts an attacker got into, then whatever else reached the report's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentGroup {
    /// Brute force, spraying and stuffing across accounts and addresses.
    Campaigns,
    /// Accounts judged compromised with a risky sign-in that succeeded.
    CompromisedAccounts,
    /// Account incidents in which no risky sign-in succeeded (at this level).
    Other,
}

impl IncidentGroup {
    pub const ALL: [Self; 3] = [Self::Campaigns, Self::CompromisedAccounts, Self::Other];

    pub fn of(incident: &Incident) -> Self {
        match incident.kind {
            IncidentKind::Source => Self::Campaigns,
            IncidentKind::Account if incident.succeeded() => Self::CompromisedAccounts,
            IncidentKind::Account => Self::Other,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Campaigns => "Campaigns",
            Self::CompromisedAccounts => "Compromised accounts",
            Self::Other => "Other incidents",
        }
    }

    /// For addresses and element ids: `campaigns`, `compromised-accounts`, `other`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Campaigns => "campaigns",
            Self::CompromisedAccounts => "compromised-accounts",
            Self::Other => "other",
        }
    }

    pub fn from_slug(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|group| group.slug().eq_ignore_ascii_case(text.trim()))
    }

    /// One sentence on what the group holds.
    pub fn description(self) -> &'static str {
        match self {
            Self::Campaigns => {
                "Password guessing, spraying and credential stuffing against one account or many, from one address or hundreds: block the sources and protect the targeted accounts."
            }
            Self::CompromisedAccounts => {
                "Accounts whose evidence says an attacker signed in: contain these first (revoke sessions, reset the password, review what was done)."
            }
            Self::Other => {
                "Accounts with risky logins at this level in which no risky sign-in succeeded: review them."
            }
        }
    }
}

/// Incidents shown per page of the incident report in the app.
pub const INCIDENTS_PER_PAGE: usize = 25;
/// Incidents in an incident report's PDF at most: the most severe ([`IncidentReport::most_severe`]);
/// the CSV and JSON exports hold them all.
pub const PDF_INCIDENTS: usize = 100;

/// One page of an incident report, for the app: the report's figures and this page's incidents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentPage {
    pub meta: ReportMeta,
    pub params: IncidentParams,
    pub counts: Vec<(RiskLevel, u64)>,
    /// Every group with its incidents and the page (0-based) its first one is on.
    pub groups: Vec<GroupPage>,
    pub total: u64,
    /// 0-based; `pages` is at least 1.
    pub page: usize,
    pub pages: usize,
    pub per_page: usize,
    /// Position in the report (0-based) of this page's first incident.
    pub first_index: usize,
    pub incidents: Vec<(IncidentGroup, Incident)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    pub group: IncidentGroup,
    pub count: u64,
    /// The page its first incident is on (`None` when the group is empty).
    pub first_page: Option<usize>,
}

pub const HISTOGRAM_BINS: usize = 20;
pub const MAX_USER_ROWS: usize = 500;
const TOP: usize = 5;

/// The logins a report covers: those in the filter's date range.
pub fn covered<'a>(input: &ReportInput<'a>, filter: &Filter) -> Vec<&'a ScoredEvent> {
    input
        .events
        .iter()
        .filter(|event| filter.in_range(event.timestamp_ms))
        .collect()
}

fn meta(
    title: &str,
    input: &ReportInput<'_>,
    filter: &Filter,
    events: &[&ScoredEvent],
) -> ReportMeta {
    ReportMeta {
        title: title.to_owned(),
        source_name: input.source_name.to_owned(),
        analysis_id: input.analysis_id.map(str::to_owned),
        first_ms: events.iter().map(|e| e.timestamp_ms).min(),
        last_ms: events.iter().map(|e| e.timestamp_ms).max(),
        filter: filter.clone(),
        geo_data: input.geo_data.map(str::to_owned),
        attribution: engine::enrich::GEO_ATTRIBUTION.to_owned(),
    }
}

/// The run's incidents with a covered login at or above the filter's level, most severe first.
pub fn incidents_of(input: &ReportInput<'_>, filter: &Filter) -> Vec<Incident> {
    selected_incidents(
        &input.conclusions.incidents,
        input.events,
        &filter.selection(),
    )
    .into_iter()
    .cloned()
    .collect()
}

/// The run's users' risk for the users with a covered login, riskiest first.
fn users_of(input: &ReportInput<'_>, filter: &Filter) -> Vec<UserRisk> {
    selected_users(&input.conclusions.users, input.events, &filter.range())
        .into_iter()
        .cloned()
        .collect()
}

/// Logins per level, Low to Critical.
pub fn levels(events: &[&ScoredEvent]) -> Vec<(RiskLevel, u64)> {
    RiskLevel::ALL
        .iter()
        .map(|&level| {
            let count = events.iter().filter(|e| e.risk_level == level).count();
            (level, count as u64)
        })
        .collect()
}

impl ExecutiveReport {
    pub fn build(input: &ReportInput<'_>, filter: &Filter) -> Self {
        let events = covered(input, filter);
        let incidents = incidents_of(input, filter);
        let users = users_of(input, filter);
        let countries = countries(&events);
        let levels = levels(&events);
        let (trend, trend_unit) = trend(&events);
        Self {
            meta: meta("Executive summary", input, filter, &events),
            posture: posture(&incidents, &levels, events.len() as u64),
            logins: events.len() as u64,
            users: users.len() as u64,
            countries: countries.iter().filter(|c| c.country != "unknown").count() as u64,
            recommendations: recommendations(input, &incidents, &events),
            levels,
            incident_count: incidents.len() as u64,
            top_incidents: incidents
                .iter()
                .take(TOP)
                .map(IncidentBrief::from)
                .collect(),
            top_users: users
                .into_iter()
                .filter(|user| user.risk_level >= RiskLevel::Medium)
                .take(TOP)
                .collect(),
            trend,
            trend_unit: trend_unit.to_owned(),
            top_countries: countries.into_iter().take(TOP).collect(),
        }
    }
}

/// High when an account is probably taken over (a Critical incident, or a High one in which a
/// sign-in succeeded); Moderate when attacks were seen but nothing got in, or when 5% or more
/// of logins are Medium or above; otherwise Low.
fn posture(incidents: &[Incident], levels: &[(RiskLevel, u64)], logins: u64) -> Posture {
    let ids = |list: &[&Incident]| {
        let shown: Vec<&str> = list.iter().take(2).map(|i| i.id.as_str()).collect();
        let more = list.len().saturating_sub(2);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let critical: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.severity == RiskLevel::Critical)
        .collect();
    let got_in: Vec<&Incident> = incidents.iter().filter(|i| i.succeeded()).collect();
    if !critical.is_empty() || !got_in.is_empty() {
        let mut reasons = Vec::new();
        if !critical.is_empty() {
            reasons.push(format!(
                "{} Critical incident{} ({})",
                critical.len(),
                plural(critical.len()),
                ids(&critical)
            ));
        }
        if !got_in.is_empty() {
            reasons.push(format!(
                "{} incident{} with a successful sign-in ({})",
                got_in.len(),
                plural(got_in.len()),
                ids(&got_in)
            ));
        }
        return Posture {
            level: PostureLevel::High,
            rule: format!(
                "High because of {}: an account may be in an attacker's hands.",
                reasons.join(" and ")
            ),
        };
    }
    let elevated: u64 = levels
        .iter()
        .filter(|(level, _)| *level >= RiskLevel::Medium)
        .map(|(_, count)| count)
        .sum();
    let share = if logins == 0 {
        0.0
    } else {
        elevated as f64 / logins as f64
    };
    if !incidents.is_empty() {
        let all: Vec<&Incident> = incidents.iter().collect();
        return Posture {
            level: PostureLevel::Moderate,
            rule: format!(
                "Moderate: {} incident{} ({}) but no sign-in in them succeeded.",
                incidents.len(),
                plural(incidents.len()),
                ids(&all)
            ),
        };
    }
    if share >= 0.05 {
        return Posture {
            level: PostureLevel::Moderate,
            rule: format!(
                "Moderate: {:.1}% of logins are Medium or above (the rule is 5%), without an incident.",
                share * 100.0
            ),
        };
    }
    Posture {
        level: PostureLevel::Low,
        rule: format!(
            "Low: no incident, and {:.1}% of logins are Medium or above (under 5%).",
            share * 100.0
        ),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Daily buckets, or hourly when the logins span less than three days.
pub fn trend(events: &[&ScoredEvent]) -> (Vec<TrendPoint>, &'static str) {
    let (Some(first), Some(last)) = (
        events.iter().map(|e| e.timestamp_ms).min(),
        events.iter().map(|e| e.timestamp_ms).max(),
    ) else {
        return (Vec::new(), "day");
    };
    const HOUR_MS: i64 = 3_600_000;
    let (width_ms, unit) = if last - first < 3 * 24 * HOUR_MS {
        (HOUR_MS, "hour")
    } else {
        (24 * HOUR_MS, "day")
    };
    let start = first.div_euclid(width_ms) * width_ms;
    let buckets = ((last - start) / width_ms + 1) as usize;
    let mut points: Vec<TrendPoint> = (0..buckets)
        .map(|index| TrendPoint {
            start_ms: start + index as i64 * width_ms,
            logins: 0,
            high_or_above: 0,
            mean_risk: 0.0,
        })
        .collect();
    for event in events {
        let point = &mut points[((event.timestamp_ms - start) / width_ms) as usize];
        point.logins += 1;
        point.high_or_above += u64::from(event.risk_level >= RiskLevel::High);
        point.mean_risk += event.risk_score;
    }
    for point in &mut points {
        if point.logins > 0 {
            point.mean_risk /= point.logins as f64;
        }
    }
    (points, unit)
}

/// Countries by logins (then risky logins), "unknown" for unlocated sources.
pub fn countries(events: &[&ScoredEvent]) -> Vec<CountryRow> {
    let mut by_country: BTreeMap<&str, (u64, u64, f64)> = BTreeMap::new();
    for event in events {
        let entry = by_country
            .entry(event.country.as_deref().unwrap_or("unknown"))
            .or_default();
        entry.0 += 1;
        entry.1 += u64::from(event.risk_level >= RiskLevel::High);
        entry.2 += event.risk_score;
    }
    let mut rows: Vec<CountryRow> = by_country
        .into_iter()
        .map(|(country, (logins, high, sum))| CountryRow {
            country: country.to_owned(),
            logins,
            high_or_above: high,
            mean_risk: sum / logins as f64,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.high_or_above
            .cmp(&a.high_or_above)
            .then(b.logins.cmp(&a.logins))
            .then_with(|| a.country.cmp(&b.country))
    });
    rows
}

/// What to do, from what was found: containment first, then hardening, then data quality.
fn recommendations(
    input: &ReportInput<'_>,
    incidents: &[Incident],
    events: &[&ScoredEvent],
) -> Vec<String> {
    let mut advice = Vec::new();
    let names = |list: Vec<&str>| {
        let shown: Vec<&str> = list.iter().take(4).copied().collect();
        match list.len().saturating_sub(4) {
            0 => shown.join(", "),
            more => format!("{} and {more} more", shown.join(", ")),
        }
    };
    let mut compromised: Vec<&str> = incidents
        .iter()
        .filter(|i| i.succeeded() && i.kind == IncidentKind::Account)
        .map(|i| i.subject.as_str())
        .collect();
    compromised.dedup();
    if !compromised.is_empty() {
        advice.push(format!(
            "Contain {} account{} with risky successful sign-ins ({}): revoke sessions, reset passwords and review their activity.",
            compromised.len(),
            plural(compromised.len()),
            names(compromised.clone())
        ));
    }
    let sources: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.kind == IncidentKind::Source)
        .collect();
    if !sources.is_empty() {
        let mut targeted: Vec<&str> = sources
            .iter()
            .flat_map(|i| i.users.iter().map(String::as_str))
            .collect();
        targeted.sort_unstable();
        targeted.dedup();
        advice.push(format!(
            "Block {} attacking source{} ({}) and make sure the {} targeted account{} have MFA.",
            sources.len(),
            plural(sources.len()),
            names(sources.iter().map(|i| i.subject.as_str()).collect()),
            targeted.len(),
            plural(targeted.len())
        ));
    }
    let with_kind = |kinds: &[FindingKind]| {
        incidents
            .iter()
            .filter(|i| kinds.iter().any(|&kind| i.has(kind)))
            .count()
    };
    let guessing = with_kind(&[FindingKind::BruteForce, FindingKind::FailuresThenSuccess]);
    if guessing > 0 {
        advice.push(format!(
            "{guessing} incident{} involve password guessing: turn on smart lockout and check the passwords against breached-password lists.",
            plural(guessing)
        ));
    }
    let hidden = with_kind(&[FindingKind::AnonymisingNetwork]);
    if hidden > 0 {
        advice.push(format!(
            "{hidden} incident{} came through Tor, VPN or hosting networks: require MFA or block these networks with a conditional access policy.",
            plural(hidden)
        ));
    }
    let travel = with_kind(&[FindingKind::ImpossibleTravel]);
    if travel > 0 {
        advice.push(format!(
            "Confirm the {travel} impossible-travel incident{} with the users; record corporate VPN egress and known trips on the allow-list to cut false alarms.",
            plural(travel)
        ));
    }
    let scripted = with_kind(&[FindingKind::ScriptedClient]);
    if scripted > 0 {
        advice.push(format!(
            "{scripted} incident{} used scripted clients: disable legacy authentication protocols where they are not needed.",
            plural(scripted)
        ));
    }
    if incidents.is_empty() {
        advice.push(format!(
            "No incident among {} logins: no action needed; analyse new logs regularly, as baselines improve with history.",
            events.len()
        ));
    }
    let profile = input.profile;
    if profile.rows_read > 0 && profile.rejected * 100 >= profile.rows_read {
        advice.push(format!(
            "Fix the log export: {} of {} records were rejected ({}), so those logins were not analysed.",
            profile.rejected,
            profile.rows_read,
            rejection_reasons(&profile.rejected_rows)
                .first()
                .map_or_else(String::new, |row| format!("most often: {}", row.name))
        ));
    }
    if input.geo_data.is_none() {
        advice.push(
            "Run with geolocation data: without it, new-country and impossible-travel checks cannot fire."
                .to_owned(),
        );
    }
    advice
}

/// Rejection reasons without their record-specific details, most common first.
fn rejection_reasons(rows: &[RejectedRow]) -> Vec<CountRow> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows {
        let general = row.reason.split(':').next().unwrap_or(&row.reason).trim();
        *counts.entry(general.to_owned()).or_default() += 1;
    }
    sorted_counts(counts)
}

/// Counted names, most frequent first (then by name).
pub fn sorted_counts(counts: BTreeMap<String, u64>) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = counts
        .into_iter()
        .map(|(name, count)| CountRow { name, count })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    rows
}

impl TechnicalReport {
    pub fn build(input: &ReportInput<'_>, filter: &Filter) -> Self {
        let events = covered(input, filter);
        let figures = Figures::of(
            input.events,
            input.conclusions,
            input.settings,
            &filter.range(),
        );
        let detectors = figures
            .detectors
            .iter()
            .map(|detector| DetectorRow {
                detector: detector.detector.label().to_owned(),
                weight: detector.weight,
                enabled: detector.enabled,
                scored: detector.scored,
                mean_score: detector.mean_score,
                flagged: detector.flagged,
                flagged_risky: detector.flagged_risky,
            })
            .collect();
        let mut histogram = vec![0u64; HISTOGRAM_BINS];
        for event in &events {
            let bin = ((event.risk_score * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
            histogram[bin] += 1;
        }
        let mut networks: BTreeMap<String, u64> = BTreeMap::new();
        let mut devices: BTreeMap<String, u64> = BTreeMap::new();
        for event in &events {
            let network = event.network.map_or("unknown", |n| n.as_str());
            *networks.entry(network.to_owned()).or_default() += 1;
            *devices.entry(event.device.to_string()).or_default() += 1;
        }
        let mut devices = sorted_counts(devices);
        devices.truncate(15);
        let users = users_of(input, filter);
        let users_total = users.len() as u64;
        Self {
            meta: meta("Technical report", input, filter, &events),
            profile: input.profile.clone(),
            rejection_reasons: rejection_reasons(&input.profile.rejected_rows),
            rejected_examples: input
                .profile
                .rejected_rows
                .iter()
                .take(10)
                .cloned()
                .collect(),
            parameters: parameters(input.settings),
            threshold: figures.high_from,
            detectors,
            flagged_by_all: figures.flagged_by_all,
            at_or_above_threshold: figures.risky,
            levels: figures.levels,
            histogram,
            findings: findings(&events),
            countries: countries(&events).into_iter().take(15).collect(),
            networks: sorted_counts(networks),
            devices,
            users: users
                .into_iter()
                .filter(|u| u.risk_level >= RiskLevel::Medium)
                .take(MAX_USER_ROWS)
                .collect(),
            users_total,
        }
    }
}

/// Every setting as `section.name = value`, from the settings' own serialisation.
pub fn parameters(settings: &AnalysisConfig) -> Vec<(String, String)> {
    fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    flatten(&name, value, out);
                }
            }
            serde_json::Value::Null => out.push((prefix.to_owned(), "auto".to_owned())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(settings) {
        flatten("", &value, &mut out);
    }
    out
}

fn findings(events: &[&ScoredEvent]) -> Vec<FindingRow> {
    struct Tally<'a> {
        logins: u64,
        users: std::collections::BTreeSet<&'a str>,
        high: u64,
        example: (f64, &'a str),
    }
    let mut by_kind: BTreeMap<FindingKind, Tally<'_>> = BTreeMap::new();
    for event in events {
        for finding in &event.findings {
            let tally = by_kind.entry(finding.kind).or_insert(Tally {
                logins: 0,
                users: Default::default(),
                high: 0,
                example: (-1.0, ""),
            });
            tally.logins += 1;
            tally.users.insert(&event.user_id);
            tally.high += u64::from(event.risk_level >= RiskLevel::High);
            if event.risk_score > tally.example.0 {
                tally.example = (event.risk_score, &finding.reason);
            }
        }
    }
    let mut rows: Vec<FindingRow> = by_kind
        .into_iter()
        .map(|(kind, tally)| FindingRow {
            kind,
            title: kind_title(kind).to_owned(),
            logins: tally.logins,
            users: tally.users.len() as u64,
            high_or_above: tally.high,
            example: tally.example.1.to_owned(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.high_or_above
            .cmp(&a.high_or_above)
            .then(b.logins.cmp(&a.logins))
            .then(a.kind.cmp(&b.kind))
    });
    rows
}

impl IncidentReport {
    pub fn build(input: &ReportInput<'_>, filter: &Filter) -> Self {
        let events = covered(input, filter);
        let incidents = incidents_of(input, filter);
        // Incidents gather logins at High or above; a higher level filter shows only those
        // with a login at that level, and says so.
        let defaults = IncidentParams::default();
        let params = IncidentParams {
            min_level: filter
                .min_level
                .map_or(defaults.min_level, |level| level.max(defaults.min_level)),
            ..defaults
        };
        Self::of(
            meta("Incident report", input, filter, &events),
            params,
            incidents,
        )
    }

    /// The report of `incidents` (in any order): counted, and put in the report's order.
    pub fn of(meta: ReportMeta, params: IncidentParams, mut incidents: Vec<Incident>) -> Self {
        // Stable: within a group, the engine's order (most severe, then earliest) stays.
        incidents.sort_by_key(IncidentGroup::of);
        let counts = RiskLevel::ALL
            .iter()
            .map(|&level| {
                let count = incidents.iter().filter(|i| i.severity == level).count();
                (level, count as u64)
            })
            .filter(|(level, _)| *level >= RiskLevel::Medium)
            .collect();
        let groups = IncidentGroup::ALL
            .into_iter()
            .map(|group| {
                let count = incidents
                    .iter()
                    .filter(|incident| IncidentGroup::of(incident) == group)
                    .count();
                (group, count as u64)
            })
            .collect();
        Self {
            meta,
            params,
            counts,
            groups,
            incidents,
        }
    }

    /// Page `page` (0-based, clamped to the last) of `per_page` incidents.
    pub fn page(&self, page: usize, per_page: usize) -> IncidentPage {
        let per_page = per_page.max(1);
        let total = self.incidents.len();
        let pages = total.div_ceil(per_page).max(1);
        let page = page.min(pages - 1);
        let first_index = page * per_page;
        let mut start = 0;
        let groups = self
            .groups
            .iter()
            .map(|&(group, count)| {
                let first_page = (count > 0).then(|| start / per_page);
                start += count as usize;
                GroupPage {
                    group,
                    count,
                    first_page,
                }
            })
            .collect();
        IncidentPage {
            meta: self.meta.clone(),
            params: self.params,
            counts: self.counts.clone(),
            groups,
            total: total as u64,
            page,
            pages,
            per_page,
            first_index,
            incidents: self
                .incidents
                .iter()
                .skip(first_index)
                .take(per_page)
                .map(|incident| (IncidentGroup::of(incident), incident.clone()))
                .collect(),
        }
    }

    /// The page (0-based) of `per_page` incidents the incident `id` is on, if it is in the report.
    pub fn page_of(&self, id: &str, per_page: usize) -> Option<usize> {
        self.incidents
            .iter()
            .position(|incident| incident.id.eq_ignore_ascii_case(id.trim()))
            .map(|index| index / per_page.max(1))
    }

    /// The `limit` most severe incidents (Critical first; then those in which a sign-in
    /// succeeded, the highest peak score, the earliest), kept in the report's order: what a PDF
    /// holds.
    pub fn most_severe(&self, limit: usize) -> Self {
        let mut ranked: Vec<usize> = (0..self.incidents.len()).collect();
        ranked.sort_by(|&a, &b| {
            let (a, b) = (&self.incidents[a], &self.incidents[b]);
            b.severity
                .cmp(&a.severity)
                .then(b.succeeded().cmp(&a.succeeded()))
                .then(b.peak_score.total_cmp(&a.peak_score))
                .then(a.first_ms.cmp(&b.first_ms))
                .then_with(|| a.id.cmp(&b.id))
        });
        ranked.truncate(limit);
        ranked.sort_unstable();
        let incidents = ranked
            .into_iter()
            .map(|index| self.incidents[index].clone())
            .collect();
        Self::of(self.meta.clone(), self.params, incidents)
    }
}
