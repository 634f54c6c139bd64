//! Rules for known login attacks. Each rule that fires sets a floor under the login's risk:
//! strong, specific evidence should not be averaged away by detectors that saw nothing odd.
//!
//! **Purpose and signals.**
//! - *Brute force*: many failures on one account within the window (`brute_force_failures` in
//!   `window_secs`); a success right after such a run is critical.
//! - *Password spraying*: one source network failing on many accounts, low and slow
//!   (`spray_accounts` distinct failing accounts in `spray_window_secs`, mostly failures).
//! - *Credential stuffing*: one address trying many accounts quickly, many of them unknown names
//!   (`stuffing_accounts` in `window_secs`); its rare successes are likely compromises.
//! - *Distributed campaigns*: stuffing and spraying spread over many addresses, one or two
//!   tries each, so no address stands out. Attempts from sources new to their account are
//!   counted per client fingerprint (the exact user agent) and per network owner (ASN) over
//!   `campaign_window_secs`; `campaign_accounts` accounts failing from `campaign_sources`
//!   addresses, mostly failing, make a campaign (Elastic's multi-source spray rule alerts from 8
//!   users and 5 addresses); the campaign's later attempts are High and a success from a new
//!   source sharing its fingerprint is Critical. Across the whole tenant, `wave_accounts`
//!   never-seen names tried from `campaign_sources` addresses within `wave_window_secs` make a
//!   stuffing wave, whatever the clients.
//! - *Failures followed by success*: a success after `failures_before_success` consecutive
//!   failures, weighted up when the source or device is new for the user.
//! - *Impossible travel*: speed from the previous login above `max_speed_kmh` over at least
//!   `min_travel_km`; with an uncertain location (country-level, hosting, VPN) it only explains.
//!
//! **Known false positives.** Shared office NAT addresses (many accounts, but mostly successes,
//! so the failure-share conditions keep them quiet); a user hammering an expired password;
//! corporate VPNs or cloud desktops that move a user's egress between continents; a password
//! change forced on everyone, when many people fail from new places with the same browser
//! release on the same day (campaigns only count sources new to the account, so failures from
//! the usual home and office do not). A consumer VPN or carrier NAT that spraying or stuffing
//! also comes from: its users' own successes (a network and client the account already uses)
//! are not counted as the attack's hits; nor is a success from an address several accounts
//! use mostly successfully (a company VPN in the same cloud as a campaign), or one whose only
//! tie to a campaign is the user's own browser string (a popular release the campaign also
//! sends).

mod params;

pub use params::RuleParams;

use super::evidence::{Evidence, clock_utc, duration, thousands};
use crate::features::{LoginFeatures, SHARED_EGRESS_ACCOUNTS};
use crate::risk::{Finding, FindingKind};
use crate::windows::WindowCounts;

/// Before a day of history every account name is new, so name novelty says nothing yet.
const MIN_HISTORY_FOR_NAME_NOVELTY_SECS: f64 = 86_400.0;

/// Share of failures among a source's attempts above which its breadth looks like an attack.
const ATTACK_FAILURE_SHARE: f64 = 0.6;

/// Share of never-seen names among the accounts one address tried that makes stuffing, with
/// outcomes recorded (failures confirm it) and without them (names are all there is).
const STUFFING_UNKNOWN_SHARE: f64 = 0.3;
const STUFFING_UNKNOWN_SHARE_WITHOUT_OUTCOMES: f64 = 0.6;

/// Every rule, in the order their findings are listed.
pub fn evaluate(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
    findings: &mut Vec<Finding>,
) {
    findings.extend(brute_force(features, params, evidence));
    findings.extend(success_after_failures(features, params));
    if features.success.is_none() {
        findings.extend(attempt_volume_without_outcomes(features, params, evidence));
        findings.extend(stuffing_without_outcomes(features, params, evidence));
    }
    let stuffing = credential_stuffing(features, params, evidence);
    let stuffed = stuffing.is_some();
    findings.extend(stuffing);
    let sprayed = !stuffed
        && password_spray(features, params, evidence)
            .map(|finding| findings.push(finding))
            .is_some();
    if !stuffed && !sprayed {
        findings.extend(
            distributed_campaign(features, params, evidence)
                .or_else(|| stuffing_wave(features, params, evidence)),
        );
    }
    findings.extend(impossible_travel(features, params, evidence));
    findings.extend(unknown_account(features, params, evidence));
}

fn finding(kind: FindingKind, floor: f64, reason: String) -> Finding {
    Finding {
        kind,
        floor,
        reason,
        suppressed: None,
    }
}

fn window(params: &RuleParams) -> String {
    duration(params.window_secs as f64)
}

fn attacking_share(failures: u32, attempts: u32) -> bool {
    attempts > 0 && f64::from(failures) / f64::from(attempts) >= ATTACK_FAILURE_SHARE
}

/// A failed attempt that makes `brute_force_failures` on one account within the window
/// (counts include this attempt).
fn brute_force(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let failed = features.success == Some(false);
    let account_failures = features.account_failures + u32::from(failed);
    (failed && account_failures >= params.brute_force_failures).then(|| {
        finding(
            FindingKind::BruteForce,
            params.brute_force_floor,
            format!(
                "{account_failures} failed logins on this account in {} (brute force), this one from {}",
                window(params),
                evidence.source.describe()
            ),
        )
    })
}

/// A success right after a run of failures: a brute-force run that found the password, or a
/// few failures (worse from a network or device new for the user).
fn success_after_failures(features: &LoginFeatures, params: &RuleParams) -> Option<Finding> {
    if features.success != Some(true) {
        return None;
    }
    let failures = features.failures_before;
    if failures >= params.brute_force_failures {
        return Some(finding(
            FindingKind::BruteForce,
            params.brute_force_success_floor,
            format!(
                "signed in after {failures} consecutive failed attempts (brute force succeeded)"
            ),
        ));
    }
    if failures < params.failures_before_success {
        return None;
    }
    // A new network owner, not just a new address: phones get a fresh one for every sign-in.
    let unfamiliar = features.new_asn.unwrap_or(features.new_prefix)
        || features.new_device_type
        || features.new_browser;
    Some(finding(
        FindingKind::FailuresThenSuccess,
        if unfamiliar && features.confidence >= 0.5 {
            params.failures_then_success_floor
        } else {
            params.failures_then_success_familiar_floor
        },
        format!(
            "signed in after {failures} consecutive failed attempts{}",
            if unfamiliar {
                ", from a network or device new for this user"
            } else {
                ""
            }
        ),
    ))
}

/// Without outcomes: twice the brute-force count of attempts on one account in the window.
fn attempt_volume_without_outcomes(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let attempts = features.account_unresolved + 1;
    (attempts >= 2 * params.brute_force_failures).then(|| {
        finding(
            FindingKind::BruteForce,
            params.brute_force_floor,
            format!(
                "{attempts} attempts on this account in {} (outcomes not recorded; brute force?), this one from {}",
                window(params),
                evidence.source.describe()
            ),
        )
    })
}

/// Without outcomes: one address trying many accounts, most of them never seen before.
fn stuffing_without_outcomes(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let source = &features.source;
    let accounts = source.accounts + 1;
    let first_seen = source.unknown_accounts + u32::from(features.unknown_account);
    (features.data_span_secs >= MIN_HISTORY_FOR_NAME_NOVELTY_SECS
        && accounts >= params.stuffing_accounts
        && f64::from(first_seen) >= STUFFING_UNKNOWN_SHARE_WITHOUT_OUTCOMES * f64::from(accounts))
    .then(|| {
        finding(
            FindingKind::CredentialStuffing,
            params.stuffing_floor,
            format!(
                "{} tried {accounts} accounts in {}, {first_seen} of them never seen before (credential stuffing?)",
                evidence.source.describe(),
                window(params)
            ),
        )
    })
}

/// A success from a network the account already signs in from, with a client it already uses:
/// the user on their own shared exit (a consumer VPN, a carrier's NAT) that attackers also
/// happen to use, not the attackers getting in. Their attempts from it still count against the
/// network; the user's own success is no finding of theirs.
fn own_network_success(features: &LoginFeatures) -> bool {
    features.success == Some(true) && !features.foreign_source && !features.new_user_agent
}

/// One address trying many accounts in the window, mostly failing, a good share of them unknown
/// names; its rare successes are likely compromises.
fn credential_stuffing(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let succeeded = features.success == Some(true);
    let source = &features.source;
    let source_accounts = source.accounts + 1;
    let stuffing = source_accounts >= params.stuffing_accounts
        && !own_network_success(features)
        && attacking_share(source.failures, source.attempts)
        && f64::from(source.unknown_accounts)
            >= STUFFING_UNKNOWN_SHARE * f64::from(source.accounts);
    (stuffing && features.success.is_some()).then(|| {
        finding(
            FindingKind::CredentialStuffing,
            if succeeded {
                params.stuffing_success_floor
            } else {
                params.stuffing_floor
            },
            format!(
                "{} from {}, which tried {} accounts in {} ({} of them unknown, {} failures){}",
                if succeeded {
                    "successful login"
                } else {
                    "attempt"
                },
                evidence.source.describe(),
                thousands(f64::from(source_accounts)),
                window(params),
                thousands(f64::from(source.unknown_accounts)),
                thousands(f64::from(source.failures)),
                if succeeded {
                    ": credential stuffing hit a valid password"
                } else {
                    " (credential stuffing)"
                }
            ),
        )
    })
}

/// One network failing on many accounts over a long window (low and slow).
fn password_spray(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let succeeded = features.success == Some(true);
    let network = &features.network_long;
    let failed_accounts = network.failed_accounts + u32::from(features.success == Some(false));
    (failed_accounts >= params.spray_accounts
        && !own_network_success(features)
        && attacking_share(network.failures, network.attempts)
        && features.success.is_some())
    .then(|| {
        finding(
            FindingKind::PasswordSpray,
            if succeeded {
                params.spray_success_floor
            } else {
                params.spray_floor
            },
            format!(
                "{} from {}: {} accounts failed from this network in {} (password spraying)",
                if succeeded {
                    "successful login"
                } else {
                    "attempt"
                },
                evidence.source.network(),
                thousands(f64::from(failed_accounts)),
                duration(params.spray_window_secs as f64)
            ),
        )
    })
}

/// Attempts from new sources that share a client fingerprint or a network owner with attempts
/// failing on many accounts from many addresses: stuffing or spraying spread thin.
fn distributed_campaign(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    if !features.foreign_source {
        return None;
    }
    let with_outcomes = features.success.is_some();
    let succeeded = features.success == Some(true);
    // An address several accounts sign in from, mostly successfully — within the window, or
    // over the whole history on an anonymising network — is a shared egress (the company VPN
    // in a cloud region, a hotel), not one of a campaign's: a success from it is a colleague's,
    // whoever else uses the same cloud.
    if succeeded
        && (features.source.accounts >= SHARED_EGRESS_ACCOUNTS
            || features.egress_accounts >= SHARED_EGRESS_ACCOUNTS)
        && !attacking_share(features.source.failures, features.source.attempts)
    {
        return None;
    }
    let is_campaign = |counts: &WindowCounts| {
        let enough = |accounts: u32| {
            accounts >= params.campaign_accounts && counts.sources >= params.campaign_sources
        };
        if with_outcomes {
            enough(counts.failed_accounts) && attacking_share(counts.failures, counts.attempts)
        } else {
            features.data_span_secs >= MIN_HISTORY_FOR_NAME_NOVELTY_SECS
                && enough(counts.unknown_accounts)
                && f64::from(counts.unknown_accounts)
                    >= STUFFING_UNKNOWN_SHARE_WITHOUT_OUTCOMES * f64::from(counts.accounts)
        }
    };
    let owner = evidence
        .source
        .geo
        .as_ref()
        .and_then(|geo| geo.asn)
        .map(|asn| format!("network owner AS{asn}"));
    // A client is the campaign's own only if the campaign used it more than staff ever did.
    // A success on the user's own browser string says nothing about the campaign that also
    // used it (a popular release): the fingerprint ties a success only when it is new to the user.
    let client = (features.agent_logins < features.fingerprint.accounts
        && (!succeeded || features.new_user_agent))
        .then(|| format!("client ({})", evidence.agent.describe()));
    let (counts, shared) = [
        (features.fingerprint, client),
        (features.network_owner, owner),
    ]
    .into_iter()
    .filter_map(|(counts, shared)| Some((counts, shared?)))
    .filter(|(counts, _)| is_campaign(counts))
    .max_by_key(|(counts, _)| counts.failed_accounts.max(counts.unknown_accounts))?;
    let stuffing =
        f64::from(counts.unknown_accounts) >= STUFFING_UNKNOWN_SHARE * f64::from(counts.accounts);
    let (kind, floor, what) = match (stuffing, succeeded) {
        (true, true) => (
            FindingKind::CredentialStuffing,
            params.stuffing_success_floor,
            "credential stuffing hit a valid password",
        ),
        (true, false) => (
            FindingKind::CredentialStuffing,
            params.stuffing_floor,
            "credential stuffing",
        ),
        (false, true) => (
            FindingKind::PasswordSpray,
            params.spray_success_floor,
            "password spraying found a password",
        ),
        (false, false) => (
            FindingKind::PasswordSpray,
            params.spray_floor,
            "password spraying",
        ),
    };
    Some(finding(
        kind,
        floor,
        format!(
            "{} from {}, new for this account, with the same {shared} as attempts on {} other accounts ({} of them unknown) from {} addresses in {}: distributed {what}",
            if succeeded {
                "successful login"
            } else {
                "attempt"
            },
            evidence.source.describe(),
            thousands(f64::from(counts.accounts)),
            thousands(f64::from(counts.unknown_accounts)),
            thousands(f64::from(counts.sources)),
            duration(params.campaign_window_secs as f64)
        ),
    ))
}

/// A failed attempt from a new source while never-seen account names are being tried from
/// many addresses across the tenant: a stuffing wave, whatever clients it uses. (A success
/// during a wave is left to the calibrated model, which weighs it with the rest.)
fn stuffing_wave(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    if features.data_span_secs < MIN_HISTORY_FOR_NAME_NOVELTY_SECS
        || !features.foreign_source
        || features.success == Some(true)
    {
        return None;
    }
    let wave = &features.tenant_unknown;
    let names = if features.success.is_some() {
        wave.failed_accounts
    } else {
        wave.unknown_accounts
    };
    (names >= params.wave_accounts && wave.sources >= params.campaign_sources).then(|| {
        finding(
            FindingKind::CredentialStuffing,
            params.stuffing_floor,
            format!(
                "attempt from {} during a credential-stuffing wave: {} never-seen account names tried from {} addresses in {}",
                evidence.source.describe(),
                thousands(f64::from(names)),
                thousands(f64::from(wave.sources)),
                duration(params.wave_window_secs as f64)
            ),
        )
    })
}

/// Faster than `max_speed_kmh` over at least `min_travel_km` from the previous login; with an
/// uncertain location, or back to a network the user already uses, it only explains.
fn impossible_travel(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let travel = features.travel.as_ref()?;
    let previous = evidence.sources.get(travel.from_source as usize)?;
    if travel.speed_kmh <= params.max_speed_kmh
        || travel.distance_km < params.min_travel_km
        || previous.ip == evidence.source.ip
    {
        return None;
    }
    let previous_at = travel.from_ms;
    let sentence = format!(
        "{} at {} → {} at {}: {} km in {} ({} km/h)",
        previous.describe(),
        clock_utc(previous_at),
        evidence.source.describe(),
        clock_utc(evidence.timestamp_ms),
        thousands(travel.distance_km),
        duration(travel.elapsed_secs),
        thousands(travel.speed_kmh)
    );
    Some(if travel.uncertain {
        finding(
            FindingKind::FastTravel,
            0.0,
            format!(
                "fast travel, but a location is uncertain (country-level, anonymising or allow-listed network): {sentence}"
            ),
        )
    } else if travel.to_shared_network {
        finding(
            FindingKind::FastTravel,
            0.0,
            format!(
                "fast travel to a network many colleagues use (an office, a carrier's pool, a company VPN): {sentence}"
            ),
        )
    } else if travel.to_familiar_network {
        finding(
            FindingKind::FastTravel,
            0.0,
            format!(
                "fast travel back to a network this user already uses (a roaming phone or a VPN looks like this): {sentence}"
            ),
        )
    } else {
        finding(
            FindingKind::ImpossibleTravel,
            params.impossible_travel_floor,
            format!("impossible travel: {sentence}"),
        )
    })
}

/// A failure for a name never seen to sign in, from a source trying several accounts: explains,
/// the stuffing rule carries the weight.
fn unknown_account(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
) -> Option<Finding> {
    let source = &features.source;
    (features.success == Some(false)
        && features.unknown_account
        && features.prior_logins == 0
        && source.accounts >= 3)
        .then(|| {
            finding(
                FindingKind::UnknownAccount,
                0.0,
                format!(
                    "failed login for an account never seen to sign in ({}), from a source that tried {} accounts in {}",
                    evidence.user_id,
                    source.accounts + 1,
                    window(params)
                ),
            )
        })
}
