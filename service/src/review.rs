//! The analyst's triage view: what the risky-logins grid shows of each login (its outcome and
//! its detections by short name) and what the side panel lays out about one login (this login
//! beside the user's usual places, networks, devices and hours, the previous login, each
//! detector's part in the score, the reasons said once). Pure and wasm-safe, so the server and
//! the browser's own analysis show the same thing.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use engine::detectors::evidence::{duration, thousands};
use engine::{AccountStatus, Finding, FindingKind, RiskLevel, ScoredEvent, VerdictKind};
use serde::{Deserialize, Serialize};

use crate::choices::DetectionChoices;
use crate::triage::TriageState;

/// Whether the sign-in got in, as the log says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    /// The log does not record it (or the attempt was interrupted for more proof).
    Unknown,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Self::Success, Self::Failure, Self::Unknown];

    pub fn of(success: Option<bool>) -> Self {
        match success {
            Some(true) => Self::Success,
            Some(false) => Self::Failure,
            None => Self::Unknown,
        }
    }

    /// The name in addresses and the API: `success`, `failure`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::Failure => "Failure",
            Self::Unknown => "Unknown",
        }
    }

    /// The verdicts an analyst may give a login with this outcome: a failed sign-in did not
    /// compromise the account (the server refuses that verdict on one), it was an attack
    /// attempt or nothing.
    pub fn verdicts(self) -> &'static [VerdictKind] {
        match self {
            Self::Failure => &[
                VerdictKind::AttackAttempt,
                VerdictKind::ConfirmedSafe,
                VerdictKind::Dismissed,
            ],
            Self::Success => &[
                VerdictKind::ConfirmedCompromised,
                VerdictKind::ConfirmedSafe,
                VerdictKind::Dismissed,
            ],
            Self::Unknown => &[
                VerdictKind::ConfirmedCompromised,
                VerdictKind::AttackAttempt,
                VerdictKind::ConfirmedSafe,
                VerdictKind::Dismissed,
            ],
        }
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("unknown outcome {text:?}; expected success, failure or unknown")
            })
    }
}

/// A verdict as a person reads it.
pub fn verdict_label(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::ConfirmedCompromised => "Confirmed compromised",
        VerdictKind::ConfirmedSafe => "Confirmed safe",
        VerdictKind::AttackAttempt => "Attack attempt",
        VerdictKind::Dismissed => "Dismissed",
    }
}

/// An account's verdict as a person reads it.
pub fn account_label(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Compromised => "Compromised",
        AccountStatus::Suspicious => "Suspicious",
        AccountStatus::Clean => "Clean",
    }
}

/// A named detection: what a finding is, in two or three words (the grid's chips and filter);
/// the finding's sentence is for the side panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    ConfirmedCompromised,
    ConfirmedAttack,
    KnownAttackerAddress,
    BruteForce,
    StuffingSource,
    StuffingCampaign,
    PasswordSpray,
    SuccessAfterFailures,
    ImpossibleTravel,
    FastTravel,
    NewCountry,
    NewCity,
    UnusualNetwork,
    AnonymisingNetwork,
    NewDevice,
    OlderBrowser,
    OutdatedBrowser,
    ScriptedClient,
    UnusualHour,
    UnusualPace,
    UnknownAccount,
    ForestOutlier,
    OutsideClusters,
    WeakSignals,
}

impl Detection {
    /// Every detection, strongest kinds of evidence first (the order of the filter's list).
    pub const ALL: [Detection; 24] = [
        Self::ConfirmedCompromised,
        Self::ConfirmedAttack,
        Self::KnownAttackerAddress,
        Self::BruteForce,
        Self::StuffingSource,
        Self::StuffingCampaign,
        Self::PasswordSpray,
        Self::SuccessAfterFailures,
        Self::ImpossibleTravel,
        Self::FastTravel,
        Self::NewCountry,
        Self::NewCity,
        Self::UnusualNetwork,
        Self::AnonymisingNetwork,
        Self::NewDevice,
        Self::OlderBrowser,
        Self::OutdatedBrowser,
        Self::ScriptedClient,
        Self::UnusualHour,
        Self::UnusualPace,
        Self::UnknownAccount,
        Self::ForestOutlier,
        Self::OutsideClusters,
        Self::WeakSignals,
    ];

    /// The stable name in addresses, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmedCompromised => "confirmed_compromised",
            Self::ConfirmedAttack => "confirmed_attack",
            Self::KnownAttackerAddress => "known_attacker_address",
            Self::BruteForce => "brute_force",
            Self::StuffingSource => "stuffing_source",
            Self::StuffingCampaign => "stuffing_campaign",
            Self::PasswordSpray => "password_spray",
            Self::SuccessAfterFailures => "success_after_failures",
            Self::ImpossibleTravel => "impossible_travel",
            Self::FastTravel => "fast_travel",
            Self::NewCountry => "new_country",
            Self::NewCity => "new_city",
            Self::UnusualNetwork => "unusual_network",
            Self::AnonymisingNetwork => "anonymising_network",
            Self::NewDevice => "new_device",
            Self::OlderBrowser => "older_browser",
            Self::OutdatedBrowser => "outdated_browser",
            Self::ScriptedClient => "scripted_client",
            Self::UnusualHour => "unusual_hour",
            Self::UnusualPace => "unusual_pace",
            Self::UnknownAccount => "unknown_account",
            Self::ForestOutlier => "forest_outlier",
            Self::OutsideClusters => "outside_clusters",
            Self::WeakSignals => "weak_signals",
        }
    }

    /// The chip's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::ConfirmedCompromised => "Confirmed compromised",
            Self::ConfirmedAttack => "Confirmed attack",
            Self::KnownAttackerAddress => "Known attacker address",
            Self::BruteForce => "Brute force",
            Self::StuffingSource => "Stuffing source",
            Self::StuffingCampaign => "Stuffing campaign",
            Self::PasswordSpray => "Password spray",
            Self::SuccessAfterFailures => "Success after failures",
            Self::ImpossibleTravel => "Impossible travel",
            Self::FastTravel => "Fast travel (uncertain)",
            Self::NewCountry => "New country",
            Self::NewCity => "New city",
            Self::UnusualNetwork => "Unusual network",
            Self::AnonymisingNetwork => "Anonymising network",
            Self::NewDevice => "New device",
            Self::OlderBrowser => "Older browser",
            Self::OutdatedBrowser => "Outdated browser",
            Self::ScriptedClient => "Scripted client",
            Self::UnusualHour => "Unusual hour",
            Self::UnusualPace => "Unusual pace",
            Self::UnknownAccount => "Unknown account",
            Self::ForestOutlier => "Isolation Forest outlier",
            Self::OutsideClusters => "Outside DBSCAN clusters",
            Self::WeakSignals => "Weak signals combined",
        }
    }

    /// Evidence of an attack on its own (the chip is drawn as such), rather than something
    /// merely unusual for the user.
    pub fn is_attack(self) -> bool {
        matches!(
            self,
            Self::ConfirmedCompromised
                | Self::ConfirmedAttack
                | Self::KnownAttackerAddress
                | Self::BruteForce
                | Self::StuffingSource
                | Self::StuffingCampaign
                | Self::PasswordSpray
                | Self::SuccessAfterFailures
                | Self::ImpossibleTravel
        )
    }

    /// What a finding is, by its kind (and, where one kind covers several findings, by how its
    /// rule or detector worded it).
    pub fn of(finding: &Finding) -> Self {
        let reason = finding.reason.to_lowercase();
        match finding.kind {
            FindingKind::NewLocation if reason.contains("city") => Self::NewCity,
            FindingKind::NewLocation => Self::NewCountry,
            FindingKind::NewNetwork => Self::UnusualNetwork,
            FindingKind::NewDevice if finding.reason.starts_with(engine::DOWNGRADE_REASON) => {
                Self::OlderBrowser
            }
            FindingKind::NewDevice if reason.starts_with("outdated") => Self::OutdatedBrowser,
            FindingKind::NewDevice => Self::NewDevice,
            FindingKind::UnusualTime => Self::UnusualHour,
            FindingKind::UnusualPace => Self::UnusualPace,
            FindingKind::ImpossibleTravel => Self::ImpossibleTravel,
            FindingKind::FastTravel => Self::FastTravel,
            FindingKind::AnonymisingNetwork => Self::AnonymisingNetwork,
            FindingKind::ScriptedClient => Self::ScriptedClient,
            FindingKind::BruteForce => Self::BruteForce,
            FindingKind::PasswordSpray => Self::PasswordSpray,
            FindingKind::CredentialStuffing
                if reason.contains("distributed") || reason.contains("wave") =>
            {
                Self::StuffingCampaign
            }
            FindingKind::CredentialStuffing => Self::StuffingSource,
            FindingKind::FailuresThenSuccess => Self::SuccessAfterFailures,
            FindingKind::UnknownAccount => Self::UnknownAccount,
            FindingKind::Outlier => Self::ForestOutlier,
            FindingKind::OutsideClusters => Self::OutsideClusters,
            FindingKind::ConfirmedCompromised => Self::ConfirmedCompromised,
            FindingKind::ConfirmedAttackAttempt => Self::ConfirmedAttack,
            FindingKind::KnownCompromisedSource => Self::KnownAttackerAddress,
            FindingKind::UnusualCombination => Self::WeakSignals,
        }
    }
}

impl FromStr for Detection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|detection| {
                detection.as_str().eq_ignore_ascii_case(text)
                    || detection.label().eq_ignore_ascii_case(text)
            })
            .ok_or_else(|| {
                format!(
                    "unknown detection {text:?}; expected one of {}",
                    Self::ALL.map(Detection::as_str).join(", ")
                )
            })
    }
}

/// The login's detections that count (suppressed findings do not), each once, in the order of
/// its findings (strongest first).
pub fn detections(event: &ScoredEvent) -> Vec<Detection> {
    let mut named: Vec<Detection> = Vec::new();
    for finding in event.findings.iter().filter(|finding| finding.is_active()) {
        let detection = Detection::of(finding);
        if !named.contains(&detection) {
            named.push(detection);
        }
    }
    named
}

/// The detections as kept in a database column: `,new_country,impossible_travel,` (each name
/// between commas, so one can be matched with `LIKE '%,name,%'`); `,` for none.
pub fn detections_column(event: &ScoredEvent) -> String {
    let mut column = String::from(",");
    for detection in detections(event) {
        column.push_str(detection.as_str());
        column.push(',');
    }
    column
}

/// "203.0.113.0/24", "2001:db8:1234::/48": the network an address belongs to, as the engine
/// reasons about networks.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", segments[0], segments[1], segments[2])
        }
    }
}

/// Where logins came from, for the grid's source filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFilter {
    /// One address.
    Address(IpAddr),
    /// A /24 (IPv4) or /48 (IPv6) network, as [`network_of`] writes it.
    Network(String),
    /// A network owner (autonomous system).
    Asn(u32),
    /// An ISO 3166-1 alpha-2 country code, upper case.
    Country(String),
}

impl SourceFilter {
    /// `203.0.113.9`, `203.0.113.0/24`, `2001:db8:1::/48`, `AS13335` or `NG`; an empty text is
    /// no filter. The error says what is expected.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Some(Self::Address(ip)));
        }
        if let Some((address, bits)) = text.split_once('/') {
            let ip: IpAddr = address
                .trim()
                .parse()
                .map_err(|_| format!("{text:?} is not a network: expected e.g. 203.0.113.0/24"))?;
            let expected = if ip.is_ipv4() { "24" } else { "48" };
            if bits.trim() != expected {
                return Err(format!(
                    "networks are filtered as /24 (IPv4) or /48 (IPv6), as the detectors see them: try {}",
                    network_of(ip)
                ));
            }
            return Ok(Some(Self::Network(network_of(ip))));
        }
        let upper = text.to_ascii_uppercase();
        if let Some(number) = upper.strip_prefix("AS")
            && let Ok(asn) = number.trim().parse::<u32>()
        {
            return Ok(Some(Self::Asn(asn)));
        }
        if upper.len() == 2 && upper.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return Ok(Some(Self::Country(upper)));
        }
        Err(format!(
            "{text:?} is not a source: give an address (203.0.113.9), a network (203.0.113.0/24), a network owner (AS13335) or a country code (NG)"
        ))
    }

    /// How it is written back (in the address bar and the filter box).
    pub fn text(&self) -> String {
        match self {
            Self::Address(ip) => ip.to_string(),
            Self::Network(network) => network.clone(),
            Self::Asn(asn) => format!("AS{asn}"),
            Self::Country(code) => code.clone(),
        }
    }

    pub fn matches(&self, event: &ScoredEvent) -> bool {
        match self {
            Self::Address(ip) => event.ip == *ip,
            Self::Network(network) => network_of(event.ip) == *network,
            Self::Asn(asn) => event.asn == Some(*asn),
            Self::Country(code) => event
                .country
                .as_deref()
                .is_some_and(|country| country.eq_ignore_ascii_case(code)),
        }
    }
}

/// One of a login's reasons, said once: the place and device of the login are named in the
/// panel's heading, so each sentence refers to them as "this address" and "this device".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub detection: Detection,
    pub text: String,
    /// The floor this finding alone sets under the score (0 for findings that explain).
    pub floor: f64,
    /// Why it does not count (an allow-list entry, a verdict).
    pub suppressed: Option<String>,
}

/// The login's findings as [`Reason`]s: each detection once (the first, strongest, finding of
/// each), the login's own address and device not repeated.
pub fn reasons(event: &ScoredEvent) -> Vec<Reason> {
    let mut seen: Vec<(Detection, bool)> = Vec::new();
    let mut reasons = Vec::new();
    for finding in &event.findings {
        let detection = Detection::of(finding);
        let key = (detection, finding.is_active());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        reasons.push(Reason {
            detection,
            text: said_once(&finding.reason, event),
            floor: finding.floor,
            suppressed: finding.suppressed.clone(),
        });
    }
    reasons
}

/// `reason` without the login's own address, place and device spelt out again.
fn said_once(reason: &str, event: &ScoredEvent) -> String {
    let ip = event.ip.to_string();
    let place = event.place().unwrap_or_else(|| "unknown place".to_owned());
    let mut text = reason.replace(&format!("{ip} ({place})"), "this address");
    let device = event.device.as_ref();
    if !device.is_empty() {
        text = text.replace(&format!(": {device}; usual:"), "; usual:");
        text = text.replace(&format!(": {device}"), ": this device");
        text = text.replace(device, "this device");
    }
    replace_address(&text, &ip)
}

/// Replaces `ip` where it stands as a whole address (not inside a longer one).
fn replace_address(text: &str, ip: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find(ip) {
        let before = rest[..position].chars().next_back();
        let after = rest[position + ip.len()..].chars().next();
        let part_of_address = |c: Option<char>| {
            c.is_some_and(|c| c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '/')
        };
        out.push_str(&rest[..position]);
        if part_of_address(before) || part_of_address(after) {
            out.push_str(ip);
        } else {
            out.push_str("this address");
        }
        rest = &rest[position + ip.len()..];
    }
    out.push_str(rest);
    out
}

/// Something a user has done before (a place, a network, a device) and how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub label: String,
    pub logins: u64,
    pub last_ms: i64,
    /// This login's.
    pub this: bool,
}

/// What the user usually does: their earlier ordinary sign-ins (successful or of unknown
/// outcome, scored below Medium — the kind the engine learns a baseline from), kept in the
/// run's source before this login.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usual {
    pub logins: u64,
    pub first_ms: Option<i64>,
    /// Most frequent first, at most [`USUAL_LISTED`] each (this login's always among them).
    pub places: Vec<Seen>,
    pub networks: Vec<Seen>,
    pub devices: Vec<Seen>,
    /// Logins per hour of the day, UTC.
    pub hours: [u64; 24],
    /// How many of them shared this login's place, network, device and hour.
    pub same_place: u64,
    pub same_network: u64,
    pub same_device: u64,
    pub same_hour: u64,
}

/// Entries listed per kind in [`Usual`].
pub const USUAL_LISTED: usize = 5;

/// The login before this one (any outcome, any score).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousLogin {
    pub timestamp_ms: i64,
    pub ip: IpAddr,
    pub place: Option<String>,
    pub network: String,
    pub device: String,
    pub outcome: Outcome,
    pub risk_level: RiskLevel,
    pub login_id: String,
}

/// A detector family's part in a login's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FamilyPart {
    pub name: String,
    /// Its weight among the three scoring families (the rules are not weighted).
    pub weight: Option<f64>,
    pub enabled: bool,
    /// Its own 0–1 score (the rules: the strongest floor they set); `None` when it abstained.
    pub score: Option<f64>,
    /// Its part of the calibrated model's log-odds, for logins at Medium and above.
    pub log_odds: Option<f64>,
    /// What it saw, in words.
    pub words: String,
}

/// An account's verdict in the login's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountBrief {
    pub status: AccountStatus,
    pub score: f64,
    pub level: RiskLevel,
    pub summary: String,
}

/// Everything the side panel shows about one login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginDetails {
    pub login_id: String,
    pub event: ScoredEvent,
    pub outcome: Outcome,
    /// "AS2119 · residential", or the /24 when the owner is unknown.
    pub network: String,
    pub detections: Vec<Detection>,
    pub reasons: Vec<Reason>,
    pub usual: Usual,
    pub previous: Option<PreviousLogin>,
    pub families: Vec<FamilyPart>,
    /// How the parts made the score, in one sentence.
    pub combination: String,
    pub account: Option<AccountBrief>,
    /// Verdicts on the login (kept runs only).
    #[serde(default)]
    pub triage: Option<TriageState>,
    /// The verdicts that may be given to it.
    pub verdicts: Vec<VerdictKind>,
}

/// "AS2119 · residential", "AS14061 · hosting", or the /24 without a known owner.
pub fn network_label(event: &ScoredEvent) -> String {
    let owner = event
        .asn
        .map_or_else(|| network_of(event.ip), |asn| format!("AS{asn}"));
    match event.network {
        Some(kind) if kind != engine::enrich::NetworkType::Unknown => {
            format!("{owner} · {}", kind.as_str())
        }
        _ => owner,
    }
}

/// What the panel shows about `event`, given the same user's kept logins (`history`: any run of
/// the source, any order, this login and duplicates included), the run's choices and the
/// user's account verdict in the run.
pub fn login_details(
    event: &ScoredEvent,
    history: &[&ScoredEvent],
    choices: &DetectionChoices,
    account: Option<AccountBrief>,
) -> LoginDetails {
    let login_id = event.login_id();
    // Each earlier login once, oldest first.
    let mut earlier: Vec<&ScoredEvent> = history
        .iter()
        .copied()
        .filter(|other| {
            (other.timestamp_ms, other.row) < (event.timestamp_ms, event.row)
                && other.login_id() != login_id
        })
        .collect();
    earlier.sort_by_key(|other| (other.timestamp_ms, other.row));
    let mut once = std::collections::BTreeSet::new();
    earlier.retain(|other| once.insert(other.login_id()));
    let previous = earlier.last().map(|previous| PreviousLogin {
        timestamp_ms: previous.timestamp_ms,
        ip: previous.ip,
        place: previous.place(),
        network: network_label(previous),
        device: previous.device.to_string(),
        outcome: Outcome::of(previous.success),
        risk_level: previous.risk_level,
        login_id: previous.login_id(),
    });
    let outcome = Outcome::of(event.success);
    LoginDetails {
        usual: usual(event, &earlier),
        previous,
        families: families(event, choices),
        combination: combination(event),
        network: network_label(event),
        detections: detections(event),
        reasons: reasons(event),
        verdicts: outcome.verdicts().to_vec(),
        outcome,
        account,
        triage: None,
        login_id,
        event: event.clone(),
    }
}

fn usual(event: &ScoredEvent, earlier: &[&ScoredEvent]) -> Usual {
    let ordinary: Vec<&ScoredEvent> = earlier
        .iter()
        .copied()
        .filter(|other| other.success != Some(false) && other.risk_level < RiskLevel::Medium)
        .collect();
    let place_of = |login: &ScoredEvent| login.place().unwrap_or_else(|| "Unknown place".into());
    let hour_of = |login: &ScoredEvent| login.timestamp_ms.div_euclid(3_600_000).rem_euclid(24);
    let mut hours = [0u64; 24];
    for login in &ordinary {
        hours[hour_of(login) as usize] += 1;
    }
    let count_same = |same: &dyn Fn(&ScoredEvent) -> bool| {
        ordinary.iter().filter(|login| same(login)).count() as u64
    };
    Usual {
        logins: ordinary.len() as u64,
        first_ms: ordinary.first().map(|login| login.timestamp_ms),
        places: tally(&ordinary, &place_of, &place_of(event)),
        networks: tally(&ordinary, &network_label, &network_label(event)),
        devices: tally(
            &ordinary,
            &|login: &ScoredEvent| login.device.to_string(),
            &event.device,
        ),
        hours,
        same_place: count_same(&|login| place_of(login) == place_of(event)),
        same_network: count_same(&|login| network_label(login) == network_label(event)),
        same_device: count_same(&|login| login.device == event.device),
        same_hour: count_same(&|login| hour_of(login) == hour_of(event)),
    }
}

/// The most frequent values of `key` (ties: the most recent first), with `this` marked and
/// always listed (with 0 logins when new).
fn tally(logins: &[&ScoredEvent], key: &dyn Fn(&ScoredEvent) -> String, this: &str) -> Vec<Seen> {
    let mut counts: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for login in logins {
        let entry = counts.entry(key(login)).or_insert((0, i64::MIN));
        entry.0 += 1;
        entry.1 = entry.1.max(login.timestamp_ms);
    }
    let mut seen: Vec<Seen> = counts
        .into_iter()
        .map(|(label, (logins, last_ms))| Seen {
            this: label == this,
            label,
            logins,
            last_ms,
        })
        .collect();
    seen.sort_by(|a, b| {
        b.logins
            .cmp(&a.logins)
            .then(b.last_ms.cmp(&a.last_ms))
            .then_with(|| a.label.cmp(&b.label))
    });
    let listed_this = seen.iter().take(USUAL_LISTED).any(|entry| entry.this);
    let mut listed: Vec<Seen> = seen
        .iter()
        .take(if listed_this {
            USUAL_LISTED
        } else {
            USUAL_LISTED - 1
        })
        .cloned()
        .collect();
    if !listed_this {
        listed.push(seen.into_iter().find(|entry| entry.this).unwrap_or(Seen {
            label: this.to_owned(),
            logins: 0,
            last_ms: i64::MIN,
            this: true,
        }));
    }
    listed
}

fn families(event: &ScoredEvent, choices: &DetectionChoices) -> Vec<FamilyPart> {
    let explanation = event.explanation.as_deref();
    let part = |value: fn(&engine::Explanation) -> f64| explanation.map(value);
    let corroboration = explanation.map(|explained| explained.corroboration);
    let corroborated = |score: Option<f64>| match (score, corroboration) {
        (Some(score), Some(corroboration)) if score > 0.0 => format!(
            "; it counts in proportion to this user's own evidence ({:.0}% here)",
            corroboration * 100.0
        ),
        _ => String::new(),
    };
    let abstained = |enabled: bool| {
        if enabled {
            "abstained: too few logins before this one to learn from".to_owned()
        } else {
            "turned off for this run".to_owned()
        }
    };
    let forest_words = match event.isolation_forest {
        None => abstained(choices.isolation_forest),
        Some(score) if score <= 0.0 => {
            "as easy to isolate as most logins: nothing rare about it".to_owned()
        }
        Some(score) => {
            let why = explanation
                .and_then(engine::Explanation::forest_summary)
                .map_or_else(
                    || "isolated faster than most logins".to_owned(),
                    |features| format!("rare among all logins, mainly for {features}"),
                );
            format!("{why}{}", corroborated(Some(score)))
        }
    };
    let cluster_words = match event.dbscan {
        None => abstained(choices.dbscan),
        Some(score) => {
            let distance = explanation
                .and_then(engine::Explanation::cluster_summary)
                .unwrap_or_else(|| {
                    if score <= 0.0 {
                        "within reach of a dense region of the organisation's logins".to_owned()
                    } else {
                        "away from the dense regions of the organisation's logins".to_owned()
                    }
                });
            format!("{distance}{}", corroborated(Some(score)))
        }
    };
    let statistical_names: Vec<&str> = detections(event)
        .into_iter()
        .filter(|detection| {
            matches!(
                detection,
                Detection::NewCountry
                    | Detection::NewCity
                    | Detection::UnusualNetwork
                    | Detection::AnonymisingNetwork
                    | Detection::NewDevice
                    | Detection::OlderBrowser
                    | Detection::OutdatedBrowser
                    | Detection::ScriptedClient
                    | Detection::UnusualHour
                    | Detection::UnusualPace
            )
        })
        .map(Detection::label)
        .collect();
    let statistical_words = if !choices.statistical {
        "turned off for this run".to_owned()
    } else if statistical_names.is_empty() {
        if event.statistical > 0.0 {
            "slightly unlike this user's history, nothing strong enough to name".to_owned()
        } else {
            "like this user's history".to_owned()
        }
    } else {
        format!(
            "unlike this user's history: {}",
            statistical_names.join(", ").to_lowercase()
        )
    };
    let strongest_rule = event
        .findings
        .iter()
        .filter(|finding| finding.is_active() && finding.floor > 0.0)
        .max_by(|a, b| a.floor.total_cmp(&b.floor));
    let rule_words = match strongest_rule {
        Some(finding) => format!(
            "{} sets a floor of {:.2} under the score",
            Detection::of(finding).label(),
            finding.floor
        ),
        None => "no rule fired".to_owned(),
    };
    let total =
        choices.weight_isolation_forest + choices.weight_dbscan + choices.weight_statistical;
    let weight = |value: f64| Some(if total > 0.0 { value / total } else { 0.0 });
    vec![
        FamilyPart {
            name: "Isolation Forest".to_owned(),
            weight: weight(choices.weight_isolation_forest),
            enabled: choices.isolation_forest,
            score: event.isolation_forest,
            log_odds: part(|explained| explained.isolation_forest),
            words: forest_words,
        },
        FamilyPart {
            name: "DBSCAN".to_owned(),
            weight: weight(choices.weight_dbscan),
            enabled: choices.dbscan,
            score: event.dbscan,
            log_odds: part(|explained| explained.dbscan),
            words: cluster_words,
        },
        FamilyPart {
            name: "Statistical".to_owned(),
            weight: weight(choices.weight_statistical),
            enabled: choices.statistical,
            score: Some(event.statistical),
            log_odds: part(|explained| explained.statistical),
            words: statistical_words,
        },
        FamilyPart {
            name: "Rules".to_owned(),
            weight: None,
            enabled: true,
            score: Some(event.rules),
            log_odds: part(|explained| explained.rules),
            words: rule_words,
        },
    ]
}

/// How the families' parts became the score, in one sentence.
fn combination(event: &ScoredEvent) -> String {
    let level = event.risk_level.as_str();
    let score = event.risk_score;
    if event
        .findings
        .iter()
        .any(|finding| finding.suppressed.as_deref() == Some("an analyst: confirmed safe"))
    {
        return format!(
            "An analyst confirmed this login safe, so it scores {score:.2} ({level}) whatever the detectors saw."
        );
    }
    let Some(explained) = event.explanation.as_deref() else {
        return if event.risk_level < RiskLevel::Medium {
            format!(
                "Scored {score:.2} ({level}): below Medium the parts of the score are not kept, only each detector's own score."
            )
        } else {
            format!(
                "Scored {score:.2} ({level}); this run was kept before the parts of each score were, so only each detector's own score is shown (re-score it to see them)."
            )
        };
    };
    let log_odds = explained.intercept
        + explained.statistical
        + explained.isolation_forest
        + explained.dbscan
        + explained.rules;
    let model = format!(
        "The calibrated model adds the parts to its starting log-odds of {:.2}: {:.2} in all, a probability of {:.2}",
        explained.intercept, log_odds, explained.probability
    );
    if event.rules > explained.probability + 5e-4 {
        format!(
            "{model}; the strongest rule's floor, {:.2}, is higher, so the score is {score:.2} ({level}).",
            event.rules
        )
    } else {
        format!("{model}, which is the score: {score:.2} ({level}).")
    }
}

/// A time as typed in a filter (`2026-03-10T08:00`, `2026-03-10 08:00:00`, `2026-03-10`, or
/// RFC 3339 with an offset), read as UTC when it has no offset; the error says what is expected.
pub fn parse_utc(text: &str) -> Result<i64, String> {
    engine::time::parse_timestamp(text, &jiff::tz::TimeZone::UTC).map_err(|_| {
        format!(
            "cannot read {:?} as a time: use YYYY-MM-DD HH:MM (UTC)",
            text.trim()
        )
    })
}

/// "3 h 20 min earlier", "the same minute".
pub fn gap_in_words(earlier_ms: i64, later_ms: i64) -> String {
    let secs = (later_ms - earlier_ms) as f64 / 1000.0;
    if secs < 60.0 {
        "less than a minute earlier".to_owned()
    } else {
        format!("{} earlier", duration(secs))
    }
}

/// "1,234 km at 617 km/h" (the engine measures from the user's previous reliably located
/// login).
pub fn travel_in_words(event: &ScoredEvent) -> Option<String> {
    let km = event.travel_km?;
    if km < 1.0 {
        return Some("no distance from the previous located login".to_owned());
    }
    Some(match event.travel_kmh {
        Some(speed) => format!("{} km at {} km/h", thousands(km), thousands(speed)),
        None => format!("{} km", thousands(km)),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn event(row: u64, minute: i64, ip: &str, city: &str, device: &str) -> ScoredEvent {
        ScoredEvent {
            row,
            line: row + 1,
            timestamp_ms: 1_772_409_600_000 + minute * 60_000,
            user_id: Arc::from("ava"),
            ip: ip.parse().unwrap(),
            success: Some(true),
            risk_score: 0.1,
            risk_level: RiskLevel::Low,
            isolation_forest: Some(0.0),
            dbscan: Some(0.0),
            statistical: 0.0,
            rules: 0.0,
            findings: Vec::new(),
            country: Some(Arc::from("NO")),
            city: Some(Arc::from(city)),
            asn: Some(2119),
            network: Some(engine::enrich::NetworkType::Residential),
            travel_km: None,
            travel_kmh: None,
            device: Arc::from(device),
            explanation: None,
        }
    }

    fn finding(kind: FindingKind, floor: f64, reason: &str) -> Finding {
        Finding {
            kind,
            floor,
            reason: reason.to_owned(),
            suppressed: None,
        }
    }

    #[test]
    fn findings_get_short_names() {
        let cases = [
            (
                FindingKind::NewLocation,
                0.0,
                "new country for this user: Lagos, NG",
                Detection::NewCountry,
            ),
            (
                FindingKind::NewLocation,
                0.0,
                "new city for this user: Bergen, NO",
                Detection::NewCity,
            ),
            (
                FindingKind::NewDevice,
                0.0,
                "older browser than this user now runs",
                Detection::OlderBrowser,
            ),
            (
                FindingKind::NewDevice,
                0.0,
                "outdated browser, new for this user",
                Detection::OutdatedBrowser,
            ),
            (
                FindingKind::NewDevice,
                0.0,
                "new device for this user: curl",
                Detection::NewDevice,
            ),
            (
                FindingKind::ImpossibleTravel,
                0.85,
                "impossible travel: …",
                Detection::ImpossibleTravel,
            ),
            (
                FindingKind::FastTravel,
                0.0,
                "fast travel, but a location is uncertain",
                Detection::FastTravel,
            ),
            (
                FindingKind::CredentialStuffing,
                0.7,
                "attempt from 1.2.3.4, which tried 40 accounts",
                Detection::StuffingSource,
            ),
            (
                FindingKind::CredentialStuffing,
                0.7,
                "attempt … : distributed credential stuffing",
                Detection::StuffingCampaign,
            ),
            (
                FindingKind::CredentialStuffing,
                0.7,
                "attempt from x during a credential-stuffing wave",
                Detection::StuffingCampaign,
            ),
            (
                FindingKind::NewNetwork,
                0.0,
                "new network for this user",
                Detection::UnusualNetwork,
            ),
        ];
        for (kind, floor, reason, expected) in cases {
            assert_eq!(
                Detection::of(&finding(kind, floor, reason)),
                expected,
                "{reason}"
            );
        }
        for detection in Detection::ALL {
            assert_eq!(detection.as_str().parse::<Detection>(), Ok(detection));
            assert_eq!(detection.label().parse::<Detection>(), Ok(detection));
        }
        assert!(
            "bogus"
                .parse::<Detection>()
                .unwrap_err()
                .contains("new_country")
        );
    }

    #[test]
    fn detections_count_once_and_only_when_active() {
        let mut login = event(1, 0, "203.0.113.9", "Lagos", "curl");
        login.findings = vec![
            finding(
                FindingKind::BruteForce,
                0.8,
                "6 failed logins (brute force)",
            ),
            finding(FindingKind::BruteForce, 0.8, "again"),
            Finding {
                suppressed: Some("allow-list: office".to_owned()),
                ..finding(
                    FindingKind::NewLocation,
                    0.0,
                    "new country for this user: NG",
                )
            },
        ];
        assert_eq!(detections(&login), vec![Detection::BruteForce]);
        assert_eq!(detections_column(&login), ",brute_force,");
        login.findings.clear();
        assert_eq!(detections_column(&login), ",");
    }

    #[test]
    fn reasons_name_the_address_and_device_once() {
        let mut login = event(1, 0, "203.0.113.9", "Lagos", "curl 8 on Linux (desktop)");
        login.country = Some(Arc::from("NG"));
        login.findings = vec![
            finding(
                FindingKind::CredentialStuffing,
                0.7,
                "attempt from 203.0.113.9 (Lagos, NG), which tried 40 accounts in 1 h (credential stuffing)",
            ),
            finding(
                FindingKind::NewDevice,
                0.0,
                "new device for this user: curl 8 on Linux (desktop); usual: Firefox 148 on Windows (desktop)",
            ),
            finding(
                FindingKind::KnownCompromisedSource,
                0.7,
                "from 203.0.113.9, the address of a login confirmed compromised on bo's account (203.0.113.90 before)",
            ),
            finding(
                FindingKind::ScriptedClient,
                0.0,
                "attempt by a script, not a browser: curl 8 on Linux (desktop)",
            ),
        ];
        let texts: Vec<String> = reasons(&login)
            .into_iter()
            .map(|reason| reason.text)
            .collect();
        assert_eq!(
            texts,
            vec![
                "attempt from this address, which tried 40 accounts in 1 h (credential stuffing)",
                "new device for this user; usual: Firefox 148 on Windows (desktop)",
                "from this address, the address of a login confirmed compromised on bo's account (203.0.113.90 before)",
                "attempt by a script, not a browser: this device",
            ]
        );
    }

    #[test]
    fn sources_parse_into_filters_or_say_what_is_expected() {
        let login = event(1, 0, "203.0.113.9", "Oslo", "Firefox");
        for (text, matches) in [
            ("203.0.113.9", true),
            ("203.0.113.0/24", true),
            ("203.0.114.0/24", false),
            ("as2119", true),
            ("AS13335", false),
            ("no", true),
            ("SE", false),
        ] {
            let filter = SourceFilter::parse(text).unwrap().unwrap();
            assert_eq!(filter.matches(&login), matches, "{text}");
            assert_eq!(SourceFilter::parse(&filter.text()).unwrap(), Some(filter));
        }
        assert_eq!(SourceFilter::parse("  ").unwrap(), None);
        assert!(
            SourceFilter::parse("203.0.0.0/16")
                .unwrap_err()
                .contains("203.0.0.0/24")
        );
        assert!(
            SourceFilter::parse("nowhere")
                .unwrap_err()
                .contains("country code")
        );
    }

    #[test]
    fn filter_times_are_read_as_utc() {
        assert_eq!(parse_utc("2026-03-02T00:00"), Ok(1_772_409_600_000));
        assert_eq!(parse_utc("2026-03-02"), Ok(1_772_409_600_000));
        assert_eq!(
            parse_utc("2026-03-02T01:00:00+01:00"),
            Ok(1_772_409_600_000)
        );
        assert!(parse_utc("yesterday").unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn the_panel_sets_the_login_beside_the_users_usual_and_previous_login() {
        let mut history: Vec<ScoredEvent> = (0..6)
            .map(|day| {
                event(
                    day + 1,
                    day as i64 * 1440 + 480,
                    "84.208.20.17",
                    "Oslo",
                    "Firefox 148 on Windows (desktop)",
                )
            })
            .collect();
        // A risky login is not part of what is usual, but it is the previous login.
        let mut odd = event(
            7,
            6 * 1440 + 120,
            "198.51.100.4",
            "Bergen",
            "Chrome 131 on Android (mobile)",
        );
        odd.risk_level = RiskLevel::High;
        history.push(odd);
        let mut this = event(
            8,
            6 * 1440 + 180,
            "203.0.113.9",
            "Lagos",
            "curl 8 on Linux (desktop)",
        );
        this.country = Some(Arc::from("NG"));
        this.asn = Some(64500);
        this.network = Some(engine::enrich::NetworkType::Hosting);
        this.success = Some(false);
        this.travel_km = Some(5_200.0);
        this.travel_kmh = Some(5_200.0);
        history.push(this.clone());
        let refs: Vec<&ScoredEvent> = history.iter().collect();
        let details = login_details(&this, &refs, &DetectionChoices::default(), None);
        assert_eq!(details.usual.logins, 6);
        assert_eq!(details.usual.places[0].label, "Oslo, NO");
        assert_eq!(details.usual.places[0].logins, 6);
        assert_eq!(details.usual.places.last().unwrap().label, "Lagos, NG");
        assert!(details.usual.places.last().unwrap().this);
        assert_eq!(details.usual.places.last().unwrap().logins, 0);
        assert_eq!(details.usual.networks[0].label, "AS2119 · residential");
        assert_eq!(details.usual.same_network, 0);
        assert_eq!(details.usual.hours[8], 6);
        let previous = details.previous.unwrap();
        assert_eq!(previous.place.as_deref(), Some("Bergen, NO"));
        assert_eq!(previous.risk_level, RiskLevel::High);
        assert_eq!(
            gap_in_words(previous.timestamp_ms, this.timestamp_ms),
            "1 h earlier"
        );
        assert_eq!(
            travel_in_words(&this).as_deref(),
            Some("5,200 km at 5,200 km/h")
        );
        assert_eq!(details.outcome, Outcome::Failure);
        assert!(
            !details
                .verdicts
                .contains(&VerdictKind::ConfirmedCompromised)
        );
        assert!(details.verdicts.contains(&VerdictKind::AttackAttempt));
        assert_eq!(details.network, "AS64500 · hosting");
        let weights: Vec<Option<i64>> = details
            .families
            .iter()
            .map(|family| family.weight.map(|weight| (weight * 100.0).round() as i64))
            .collect();
        assert_eq!(weights, vec![Some(40), Some(30), Some(30), None]);
    }

    #[test]
    fn the_combination_says_whether_a_rule_floor_set_the_score() {
        let mut login = event(1, 0, "203.0.113.9", "Lagos", "curl");
        login.risk_score = 0.9;
        login.risk_level = RiskLevel::Critical;
        login.rules = 0.9;
        login.findings = vec![finding(FindingKind::BruteForce, 0.9, "brute force")];
        login.explanation = Some(Box::new(engine::Explanation {
            intercept: -6.18,
            statistical: 1.5,
            rules: 2.0,
            probability: 0.066,
            ..engine::Explanation::default()
        }));
        let text = combination(&login);
        assert!(
            text.contains("starting log-odds of -6.18: -2.68 in all, a probability of 0.07"),
            "{text}"
        );
        assert!(
            text.contains("floor, 0.90, is higher, so the score is 0.90 (Critical)"),
            "{text}"
        );
        let details = login_details(&login, &[], &DetectionChoices::default(), None);
        assert_eq!(
            details.families[3].words,
            "Brute force sets a floor of 0.90 under the score"
        );
        assert_eq!(details.families[2].log_odds, Some(1.5));
    }
}
