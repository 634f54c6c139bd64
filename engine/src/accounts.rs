//! Verdicts per account, and the attacking campaigns behind them.
//!
//! A login's score says how unlikely it is to be its user's; an analyst acts on accounts. Each
//! account gets a verdict — [`AccountStatus::Compromised`], [`AccountStatus::Suspicious`] or
//! [`AccountStatus::Clean`] — with the evidence chain that led to it, the way Splunk's
//! risk-based alerting and Elastic's entity risk scoring aggregate findings per entity rather
//! than alert per event:
//!
//! - Only **successful** logins can show a compromise; failed attempts show that the account
//!   was targeted (and belong to a [`Campaign`]).
//! - Evidence is grouped by **network** — the network owner (or /24) — so an attacker's ten
//!   logins from one server count once, as do a traveller's ten logins from one hotel with
//!   their laptop and their phone.
//! - Within [`AccountParams::window_secs`] (a week, as risk-based alerting's usual entity
//!   window), the distinct networks' risks combine as independent evidence (noisy-OR:
//!   1 − Π(1 − pᵢ)): several weak findings add up, one weak finding alone does not.
//! - **Compromised**: a successful login at Critical on its own (strong evidence: a brute-force
//!   or stuffing hit, impossible travel with everything new, an out-of-date copy of the user's
//!   browser from a stranger's network), or combined evidence at Critical from at least two
//!   networks, one of them at High, or risky sign-ins repeated from an anonymising network
//!   (hosting, VPN, Tor), one of them at High, or a successful login at High with an older
//!   release of the user's browser than they have since run (browsers update and do not go
//!   back; a second device of the user's stops counting as one once in use). **Suspicious**:
//!   combined evidence at High. **Clean**: otherwise (even if attacks failed against it).
//! - **Hindsight**: a risky sign-in from a network, city and device the user then kept signing
//!   in from — on [`AccountParams::settled_days`] different days over
//!   [`AccountParams::settled_span_secs`] — is not evidence, unless a rule other than impossible
//!   travel raised it (a brute-force or stuffing hit stays evidence however long it lasts). That
//!   is a new phone or a new carrier settling in: a carrier's addresses placed at its gateway
//!   make the phone "travel", and the phone's first week is all novelty. An intruder's sessions
//!   rarely span a week from one place (the same assumption as the baselines' probation). The
//!   verdict's summary says what was not counted.
//!
//! Verdicts are computed from scored logins alone ([`account_verdicts`]), so results read back
//! from storage give the same verdicts as the analysis that produced them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::check::{ConfigError, require};
use crate::digest::fnv1a64;
use crate::risk::{Finding, FindingKind, RiskLevel, RiskParams};
use crate::scored::ScoredEvent;
use crate::time::format_utc;

/// How logins add up to an account's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountParams {
    /// Evidence on one account within this window adds up (a week).
    pub window_secs: i64,
    /// Logins below this level are not evidence about an account (Medium by default).
    pub min_level: RiskLevel,
    /// Risky sign-ins from a network, city and device the user then kept signing in from, on
    /// this many different days spanning `settled_span_secs`, are not evidence unless a rule
    /// other than impossible travel raised them: the test the baselines' probation applies to a
    /// new network ([`crate::baseline::BaselineParams::probation_days`]), with hindsight.
    pub settled_days: u32,
    pub settled_span_secs: i64,
}

impl Default for AccountParams {
    fn default() -> Self {
        Self {
            window_secs: 7 * 86_400,
            min_level: RiskLevel::Medium,
            settled_days: 3,
            settled_span_secs: 7 * 86_400,
        }
    }
}

impl AccountParams {
    pub fn check(&self) -> Result<(), ConfigError> {
        require(
            self.window_secs > 0,
            "accounts.window_secs",
            "must be positive",
        )?;
        require(
            self.settled_days >= 2,
            "accounts.settled_days",
            "must be at least 2 (one day of use settles nothing)",
        )?;
        require(
            self.settled_span_secs >= 0,
            "accounts.settled_span_secs",
            "must not be negative",
        )
    }
}

/// What an analyst should do about an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Clean,
    /// Risky sign-ins that do not (yet) add up to a compromise: ask the user.
    Suspicious,
    /// Contain: revoke sessions, reset the password, review what the account did.
    Compromised,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Suspicious => "suspicious",
            Self::Compromised => "compromised",
        }
    }
}

/// One login in an account's evidence chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountEvidence {
    pub row: u64,
    pub timestamp_ms: i64,
    pub ip: IpAddr,
    /// "Oslo, NO · residential (AS2119)".
    pub place: String,
    pub device: String,
    pub success: Option<bool>,
    pub risk_score: f64,
    pub risk_level: RiskLevel,
    pub findings: Vec<FindingKind>,
    /// The login's reasons, strongest first.
    pub reasons: String,
    /// Other risky logins from the same network within the window.
    pub repeats: u32,
}

/// An account's verdict and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountVerdict {
    pub user_id: String,
    pub status: AccountStatus,
    /// Combined evidence, 0–1 (noisy-OR of the strongest window's networks).
    pub score: f64,
    pub level: RiskLevel,
    pub logins: u32,
    pub successes: u32,
    /// Failed attempts at High or above (the account was targeted).
    pub attacked: u32,
    /// The strongest window's evidence, one entry per network, strongest first.
    pub evidence: Vec<AccountEvidence>,
    /// Campaigns ([`Campaign::id`]) that tried this account.
    pub campaigns: Vec<String>,
    /// One sentence for a person.
    pub summary: String,
}

/// Verdicts for every account in `events` (any order): compromised first, then suspicious,
/// then clean; riskiest first within each, then by name.
pub fn account_verdicts(
    events: &[ScoredEvent],
    params: &AccountParams,
    risk: &RiskParams,
) -> Vec<AccountVerdict> {
    account_verdicts_in(events, &campaigns(events), params, risk)
}

/// [`account_verdicts`] given the [`campaigns`] of the same `events`.
pub fn account_verdicts_in(
    events: &[ScoredEvent],
    campaigns: &[Campaign],
    params: &AccountParams,
    risk: &RiskParams,
) -> Vec<AccountVerdict> {
    let mut campaigns_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for campaign in campaigns {
        for account in &campaign.accounts {
            campaigns_of
                .entry(account.as_str())
                .or_default()
                .push(campaign.id.clone());
        }
    }
    let mut by_user: rustc_hash::FxHashMap<&str, Vec<&ScoredEvent>> =
        rustc_hash::FxHashMap::default();
    for event in events {
        by_user.entry(&event.user_id).or_default().push(event);
    }
    let mut verdicts: Vec<AccountVerdict> = by_user
        .into_iter()
        .map(|(user, mut logins)| {
            logins.sort_by_key(|event| (event.timestamp_ms, event.row));
            let mut verdict = verdict(user, &logins, params, risk);
            if let Some(ids) = campaigns_of.remove(user) {
                verdict.campaigns = ids;
            }
            verdict
        })
        .collect();
    verdicts.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    verdicts
}

/// Where a login came from: its network owner (or /24). An account's evidence counts once per
/// network, however many devices signed in from it (a household's laptop and phone on a
/// holiday rental's line are one piece of evidence, not two).
fn network_of(event: &ScoredEvent) -> String {
    context(event).0
}

/// The context of a login: its network owner (or /24) and its device.
fn context(event: &ScoredEvent) -> (String, &str) {
    let network = match (event.asn, event.ip) {
        (Some(asn), _) => format!("AS{asn}"),
        (None, IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        (None, IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", segments[0], segments[1], segments[2])
        }
    };
    (network, &event.device)
}

/// Risky successful sign-ins from one anonymising network (hosting, VPN, Tor), the strongest
/// at High, that make an account compromised: someone keeps using the account from servers.
const SUSTAINED_LOGINS: u32 = 2;

/// Where and on what a user signed in: the network (owner or /24, [`network_of`] as the
/// baselines' numeric key), the city and the device.
type Habit<'a> = (u128, Option<&'a str>, &'a str);

fn habit(event: &ScoredEvent) -> Habit<'_> {
    let network =
        crate::baseline::Probation::key(event.asn, crate::enrich::network_prefix(event.ip));
    (network, event.city.as_deref(), &event.device)
}

/// The habits the account went on to sign in with successfully on at least
/// [`AccountParams::settled_days`] different days spanning [`AccountParams::settled_span_secs`]:
/// a new phone, a new carrier, a new home ISP, first unusual and then the user's own.
fn settled_habits<'a>(
    logins: &[&'a ScoredEvent],
    params: &AccountParams,
) -> rustc_hash::FxHashSet<Habit<'a>> {
    struct Use {
        first_ms: i64,
        last_ms: i64,
        days: u32,
        last_day: i64,
    }
    let mut uses: rustc_hash::FxHashMap<Habit<'a>, Use> = rustc_hash::FxHashMap::default();
    for event in logins.iter().filter(|event| event.success != Some(false)) {
        let day = event.timestamp_ms.div_euclid(86_400_000);
        let entry = uses.entry(habit(event)).or_insert(Use {
            first_ms: event.timestamp_ms,
            last_ms: event.timestamp_ms,
            days: 0,
            last_day: i64::MIN,
        });
        entry.last_ms = event.timestamp_ms;
        if entry.last_day != day {
            entry.days += 1;
            entry.last_day = day;
        }
    }
    uses.into_iter()
        .filter(|(_, used)| {
            used.days >= params.settled_days
                && used.last_ms - used.first_ms >= params.settled_span_secs.saturating_mul(1000)
        })
        .map(|(habit, _)| habit)
        .collect()
}

fn verdict(
    user: &str,
    logins: &[&ScoredEvent],
    params: &AccountParams,
    risk: &RiskParams,
) -> AccountVerdict {
    let min_score = match params.min_level {
        RiskLevel::Low => 0.0,
        RiskLevel::Medium => risk.medium,
        RiskLevel::High => risk.high,
        RiskLevel::Critical => risk.critical,
    };
    let window_ms = params.window_secs.saturating_mul(1000);
    let candidates: Vec<&ScoredEvent> = logins
        .iter()
        .copied()
        .filter(|event| event.success != Some(false) && event.risk_score >= min_score)
        .collect();
    // Most accounts have no risky sign-in: their habits need no counting.
    let settled = if candidates.is_empty() {
        Default::default()
    } else {
        settled_habits(logins, params)
    };
    let settled_risky = |event: &ScoredEvent| {
        let strong = event.findings.iter().any(|finding| {
            finding.is_active()
                && finding.floor > 0.0
                && finding.kind != FindingKind::ImpossibleTravel
        });
        !strong && settled.contains(&habit(event))
    };
    let (risky, discounted): (Vec<&ScoredEvent>, Vec<&ScoredEvent>) = candidates
        .into_iter()
        .partition(|event| !settled_risky(event));
    // The strongest window ending at each risky login.
    let mut best: (f64, Vec<(&ScoredEvent, u32)>) = (0.0, Vec::new());
    for (end, last) in risky.iter().enumerate() {
        let mut strongest: BTreeMap<String, (&ScoredEvent, u32)> = BTreeMap::new();
        for event in risky[..=end]
            .iter()
            .rev()
            .take_while(|event| last.timestamp_ms - event.timestamp_ms <= window_ms)
        {
            let entry = strongest.entry(network_of(event)).or_insert((event, 0));
            entry.1 += 1;
            if event.risk_score > entry.0.risk_score {
                entry.0 = event;
            }
        }
        let score = 1.0
            - strongest
                .values()
                .map(|(event, _)| 1.0 - event.risk_score)
                .product::<f64>();
        // On ties the later window wins: it holds the same evidence and its repeats.
        if score >= best.0 && score > 0.0 {
            let mut contexts: Vec<(&ScoredEvent, u32)> = strongest.into_values().collect();
            contexts.sort_by(|a, b| {
                b.0.risk_score
                    .total_cmp(&a.0.risk_score)
                    .then(a.0.timestamp_ms.cmp(&b.0.timestamp_ms))
            });
            best = (score, contexts);
        }
    }
    let (score, contexts) = best;
    let strongest = contexts.first().map_or(0.0, |(event, _)| event.risk_score);
    let second = contexts.get(1).map_or(0.0, |(event, _)| event.risk_score);
    let succeeded = |event: &ScoredEvent| event.success == Some(true);
    let critical_success = contexts
        .iter()
        .any(|(event, _)| succeeded(event) && event.risk_score >= risk.critical);
    let corroborated = score >= risk.critical && strongest >= risk.high && second >= risk.medium;
    let sustained = contexts.iter().any(|(event, logins)| {
        succeeded(event)
            && event.risk_score >= risk.high
            && *logins >= SUSTAINED_LOGINS
            && event
                .network
                .is_some_and(crate::enrich::NetworkType::hides_location)
    });
    // Browsers update and do not go back: a risky success with an older copy of the user's
    // browser than the one they have since run is someone else's machine.
    let downgraded = contexts.iter().any(|(event, _)| {
        succeeded(event)
            && event.risk_score >= risk.high
            && event.findings.iter().any(Finding::is_downgrade)
    });
    let status = if critical_success || corroborated || sustained || downgraded {
        AccountStatus::Compromised
    } else if score >= risk.high {
        AccountStatus::Suspicious
    } else {
        AccountStatus::Clean
    };
    let evidence: Vec<AccountEvidence> = contexts
        .iter()
        .map(|(event, repeats)| AccountEvidence {
            row: event.row,
            timestamp_ms: event.timestamp_ms,
            ip: event.ip,
            place: crate::scored::place(event),
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
            repeats: repeats - 1,
        })
        .collect();
    let attacked = logins
        .iter()
        .filter(|event| event.success == Some(false) && event.risk_level >= RiskLevel::High)
        .count() as u32;
    let mut verdict = AccountVerdict {
        user_id: user.to_owned(),
        status,
        score,
        level: RiskLevel::from_score(score, risk),
        logins: logins.len() as u32,
        successes: logins.iter().filter(|event| succeeded(event)).count() as u32,
        attacked,
        evidence,
        campaigns: Vec::new(),
        summary: String::new(),
    };
    verdict.summary = match settled_note(&discounted, params) {
        Some(note) if verdict.evidence.is_empty() && verdict.attacked == 0 => {
            format!("{user}: clean; {note}")
        }
        Some(note) => format!("{}; {note}", summary(&verdict)),
        None => summary(&verdict),
    };
    verdict
}

/// "4 risky sign-ins from Warsaw, PL · AS39603 on Safari 26 on iOS (mobile) are not counted: a
/// place and device the user kept using (on 3+ days over 7+ days)" — what hindsight took out
/// of the evidence.
fn settled_note(discounted: &[&ScoredEvent], params: &AccountParams) -> Option<String> {
    let first = discounted.first()?;
    let habits: BTreeSet<Habit<'_>> = discounted.iter().map(|event| habit(event)).collect();
    let (from, what) = if habits.len() == 1 {
        (
            format!("from {} on {}", crate::scored::place(first), first.device),
            "a place and device",
        )
    } else {
        (
            format!("from {} places and devices", habits.len()),
            "places and devices",
        )
    };
    let count = discounted.len();
    Some(format!(
        "{count} risky sign-in{} {from} {} not counted: {what} the user kept using (on {}+ days over {}+ days)",
        if count == 1 { "" } else { "s" },
        if count == 1 { "is" } else { "are" },
        params.settled_days,
        params.settled_span_secs / 86_400,
    ))
}

fn summary(verdict: &AccountVerdict) -> String {
    let user = &verdict.user_id;
    let Some(first) = verdict.evidence.first() else {
        return if verdict.attacked > 0 {
            format!(
                "{user}: clean; {} failed attempts at High or above, none got in",
                verdict.attacked
            )
        } else {
            format!("{user}: clean; no risky sign-in")
        };
    };
    let strongest = first.reasons.split("; ").next().unwrap_or_default();
    let when = format_utc(first.timestamp_ms);
    let others = verdict.evidence.len() - 1;
    let corroboration = match others {
        0 => String::new(),
        1 => ", with one more risky network within the week".to_owned(),
        n => format!(", with {n} more risky networks within the week"),
    };
    let again = match first.repeats {
        0 => String::new(),
        1 => ", and once more from that network".to_owned(),
        n => format!(", and {n} more times from that network"),
    };
    match verdict.status {
        AccountStatus::Compromised => format!(
            "{user}: compromised — signed in from {} on {} at {when} ({strongest}){again}{corroboration}",
            first.place, first.device
        ),
        AccountStatus::Suspicious => format!(
            "{user}: suspicious — a risky sign-in from {} on {} at {when} ({strongest}){corroboration}; confirm with the user",
            first.place, first.device
        ),
        AccountStatus::Clean => format!(
            "{user}: clean — the riskiest sign-in ({when}, {strongest}) does not add up to a compromise"
        ),
    }
}

/// What kind of attack a campaign is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// Many guesses against one account.
    BruteForce,
    /// A few common passwords against many accounts.
    PasswordSpray,
    /// Leaked name–password pairs against many accounts, most names unknown.
    CredentialStuffing,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BruteForce => "brute_force",
            Self::PasswordSpray => "password_spray",
            Self::CredentialStuffing => "credential_stuffing",
        }
    }

    fn of(kind: FindingKind) -> Option<Self> {
        match kind {
            FindingKind::BruteForce => Some(Self::BruteForce),
            FindingKind::PasswordSpray => Some(Self::PasswordSpray),
            FindingKind::CredentialStuffing => Some(Self::CredentialStuffing),
            _ => None,
        }
    }
}

/// An attacker's attempts across accounts: the logins with a brute-force, spraying or stuffing
/// finding, linked when they share an address, or within a day a /24, a network owner or a
/// client (the same evidence the rules grouped them by).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// `CMP-` and 12 hex digits derived from the kind and the first attempt.
    pub id: String,
    pub kind: CampaignKind,
    pub first_ms: i64,
    pub last_ms: i64,
    pub attempts: u64,
    pub failures: u64,
    /// Accounts tried, and those where an attempt succeeded, sorted.
    pub accounts: Vec<String>,
    pub succeeded: Vec<String>,
    /// Distinct source addresses, network owners and clients.
    pub sources: u64,
    pub networks: Vec<String>,
    pub clients: Vec<String>,
    /// Rows of the campaign's logins, in time order.
    pub rows: Vec<u64>,
    pub summary: String,
}

/// The campaigns in `events` (any order), largest first.
pub fn campaigns(events: &[ScoredEvent]) -> Vec<Campaign> {
    let mut attacks: Vec<(&ScoredEvent, CampaignKind)> = events
        .iter()
        .filter_map(|event| {
            event
                .findings
                .iter()
                .filter(|finding| finding.is_active())
                .find_map(|finding| CampaignKind::of(finding.kind))
                .map(|kind| (event, kind))
        })
        .collect();
    attacks.sort_by_key(|(event, _)| (event.timestamp_ms, event.row));
    let mut parent: Vec<usize> = (0..attacks.len()).collect();
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    // Link each attempt to the latest earlier one sharing a key (within a day for the wider
    // keys): an address, a /24, a network owner, a client.
    const DAY_MS: i64 = 86_400_000;
    let mut latest: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    for (index, (event, kind)) in attacks.iter().enumerate() {
        let (network, client) = context(event);
        let prefix = match event.ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}")
            }
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                format!("{:x}:{:x}:{:x}", segments[0], segments[1], segments[2])
            }
        };
        let keys = [
            (format!("ip {}", event.ip), i64::MAX),
            (format!("prefix {prefix}"), DAY_MS),
            (
                format!("owner {network} {}", kind.as_str()),
                if *kind == CampaignKind::BruteForce {
                    0
                } else {
                    DAY_MS
                },
            ),
            (
                format!("client {client} {}", kind.as_str()),
                if *kind == CampaignKind::BruteForce {
                    0
                } else {
                    DAY_MS
                },
            ),
        ];
        for (key, reach) in keys {
            if let Some((other, at)) = latest.get(&key).copied()
                && event.timestamp_ms - at <= reach
            {
                let (a, b) = (root(&mut parent, index), root(&mut parent, other));
                parent[a.max(b)] = a.min(b);
            }
            latest.insert(key, (index, event.timestamp_ms));
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..attacks.len() {
        let group = root(&mut parent, index);
        groups.entry(group).or_default().push(index);
    }
    let mut found: Vec<Campaign> = groups
        .into_values()
        .map(|members| campaign(&members.iter().map(|&i| attacks[i]).collect::<Vec<_>>()))
        .collect();
    found.sort_by(|a, b| {
        b.attempts
            .cmp(&a.attempts)
            .then(a.first_ms.cmp(&b.first_ms))
            .then_with(|| a.id.cmp(&b.id))
    });
    found
}

fn campaign(members: &[(&ScoredEvent, CampaignKind)]) -> Campaign {
    let mut kinds: BTreeMap<CampaignKind, usize> = BTreeMap::new();
    for (_, kind) in members {
        *kinds.entry(*kind).or_default() += 1;
    }
    let mut accounts: Vec<String> = members
        .iter()
        .map(|(event, _)| event.user_id.to_string())
        .collect();
    accounts.sort();
    accounts.dedup();
    // Many accounts make it a spray or stuffing whatever its first findings said.
    let kind = kinds
        .iter()
        .filter(|(kind, _)| accounts.len() == 1 || **kind != CampaignKind::BruteForce)
        .max_by_key(|(kind, count)| (**count, **kind))
        .map_or(CampaignKind::BruteForce, |(kind, _)| *kind);
    let mut succeeded: Vec<String> = members
        .iter()
        .filter(|(event, _)| event.success == Some(true))
        .map(|(event, _)| event.user_id.to_string())
        .collect();
    succeeded.sort();
    succeeded.dedup();
    let mut sources: Vec<IpAddr> = members.iter().map(|(event, _)| event.ip).collect();
    sources.sort();
    sources.dedup();
    let mut networks: Vec<String> = members.iter().map(|(event, _)| context(event).0).collect();
    networks.sort();
    networks.dedup();
    let mut clients: Vec<String> = members
        .iter()
        .map(|(event, _)| event.device.to_string())
        .collect();
    clients.sort();
    clients.dedup();
    let first = members[0].0;
    let last = members[members.len() - 1].0;
    let hash = fnv1a64(
        kind.as_str()
            .as_bytes()
            .iter()
            .chain(&[0])
            .chain(first.user_id.as_bytes())
            .chain(&[0])
            .chain(&first.timestamp_ms.to_be_bytes()),
    );
    let mut campaign = Campaign {
        id: format!("CMP-{:012X}", hash >> 16),
        kind,
        first_ms: first.timestamp_ms,
        last_ms: last.timestamp_ms,
        attempts: members.len() as u64,
        failures: members
            .iter()
            .filter(|(event, _)| event.success == Some(false))
            .count() as u64,
        accounts,
        succeeded,
        sources: sources.len() as u64,
        networks,
        clients,
        rows: members.iter().map(|(event, _)| event.row).collect(),
        summary: String::new(),
    };
    let what = match kind {
        CampaignKind::BruteForce => "brute force",
        CampaignKind::PasswordSpray => "password spraying",
        CampaignKind::CredentialStuffing => "credential stuffing",
    };
    campaign.summary = format!(
        "{what} from {} address{} against {} account{}, {} attempt{} from {} to {}{}",
        campaign.sources,
        if campaign.sources == 1 { "" } else { "es" },
        campaign.accounts.len(),
        if campaign.accounts.len() == 1 {
            ""
        } else {
            "s"
        },
        campaign.attempts,
        if campaign.attempts == 1 { "" } else { "s" },
        format_utc(campaign.first_ms),
        format_utc(campaign.last_ms),
        match campaign.succeeded.len() {
            0 => "; none got in".to_owned(),
            n => format!("; {n} got in: {}", campaign.succeeded.join(", ")),
        }
    );
    campaign
}

#[cfg(test)]
mod tests;
