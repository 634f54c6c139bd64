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
//! - *Failures followed by success*: a success after `failures_before_success` consecutive
//!   failures, weighted up when the source or device is new for the user.
//! - *Impossible travel*: speed from the previous login above `max_speed_kmh` over at least
//!   `min_travel_km`; with an uncertain location (country-level, hosting, VPN) it only explains.
//!
//! **Known false positives.** Shared office NAT addresses (many accounts, but mostly successes,
//! so the failure-share conditions keep them quiet); a user hammering an expired password;
//! corporate VPNs or cloud desktops that move a user's egress between continents.

use super::evidence::{Evidence, clock_utc, duration, thousands};
use crate::analysis::RuleParams;
use crate::analysis::features::LoginFeatures;
use crate::risk::{Finding, FindingKind};

/// Before a day of history every account name is new, so name novelty says nothing yet.
const MIN_HISTORY_FOR_NAME_NOVELTY_SECS: f64 = 86_400.0;

/// Share of failures among a source's attempts above which its breadth looks like an attack.
const ATTACK_FAILURE_SHARE: f64 = 0.6;

pub fn evaluate(
    features: &LoginFeatures,
    params: &RuleParams,
    evidence: &Evidence<'_>,
    findings: &mut Vec<Finding>,
) {
    let failed = features.success == Some(false);
    let succeeded = features.success == Some(true);
    let window = duration(params.window_secs as f64);

    // Counts include this attempt.
    let account_failures = features.account_failures + u32::from(failed);
    if failed && account_failures >= params.brute_force_failures {
        findings.push(Finding {
            kind: FindingKind::BruteForce,
            floor: 0.65,
            reason: format!(
                "{account_failures} failed logins on this account in {window} (brute force), this one from {}",
                evidence.source.describe()
            ),
            suppressed: None,
        });
    }
    if succeeded && features.failures_before >= params.brute_force_failures {
        findings.push(Finding {
            kind: FindingKind::BruteForce,
            floor: 0.9,
            reason: format!(
                "signed in after {} consecutive failed attempts (brute force succeeded)",
                features.failures_before
            ),
            suppressed: None,
        });
    } else if succeeded && features.failures_before >= params.failures_before_success {
        let unfamiliar = features.new_prefix || features.new_device_type || features.new_browser;
        findings.push(Finding {
            kind: FindingKind::FailuresThenSuccess,
            floor: if unfamiliar && features.confidence >= 0.5 {
                0.6
            } else {
                0.4
            },
            reason: format!(
                "signed in after {} consecutive failed attempts{}",
                features.failures_before,
                if unfamiliar {
                    ", from a network or device new for this user"
                } else {
                    ""
                }
            ),
            suppressed: None,
        });
    }

    // Logs without outcomes: volume on one account, and breadth over names never seen before.
    if features.success.is_none() {
        let attempts = features.account_unresolved + 1;
        if attempts >= 2 * params.brute_force_failures {
            findings.push(Finding {
                kind: FindingKind::BruteForce,
                floor: 0.65,
                reason: format!(
                    "{attempts} attempts on this account in {window} (outcomes not recorded; brute force?), this one from {}",
                    evidence.source.describe()
                ),
                suppressed: None,
            });
        }
        let source = &features.source;
        let accounts = source.accounts + 1;
        let first_seen = source.unknown_accounts + u32::from(features.unknown_account);
        if features.data_span_secs >= MIN_HISTORY_FOR_NAME_NOVELTY_SECS
            && accounts >= params.stuffing_accounts
            && f64::from(first_seen) >= 0.6 * f64::from(accounts)
        {
            findings.push(Finding {
                kind: FindingKind::CredentialStuffing,
                floor: 0.7,
                reason: format!(
                    "{} tried {accounts} accounts in {window}, {first_seen} of them never seen before (credential stuffing?)",
                    evidence.source.describe()
                ),
                suppressed: None,
            });
        }
    }

    let attacking_share = |failures: u32, attempts: u32| {
        attempts > 0 && f64::from(failures) / f64::from(attempts) >= ATTACK_FAILURE_SHARE
    };

    let source = &features.source;
    let source_accounts = source.accounts + 1;
    let stuffing = source_accounts >= params.stuffing_accounts
        && attacking_share(source.failures, source.attempts)
        && f64::from(source.unknown_accounts) >= 0.3 * f64::from(source.accounts);
    if stuffing && (failed || succeeded) {
        findings.push(Finding {
            kind: FindingKind::CredentialStuffing,
            floor: if succeeded { 0.95 } else { 0.7 },
            reason: format!(
                "{} from {}, which tried {} accounts in {window} ({} of them unknown, {} failures){}",
                if succeeded { "successful login" } else { "attempt" },
                evidence.source.describe(),
                thousands(f64::from(source_accounts)),
                thousands(f64::from(source.unknown_accounts)),
                thousands(f64::from(source.failures)),
                if succeeded { ": credential stuffing hit a valid password" } else { " (credential stuffing)" }
            ),
            suppressed: None,
        });
    }

    let network = &features.network_long;
    let failed_accounts = network.failed_accounts + u32::from(failed);
    if !stuffing
        && failed_accounts >= params.spray_accounts
        && attacking_share(network.failures, network.attempts)
        && (failed || succeeded)
    {
        findings.push(Finding {
            kind: FindingKind::PasswordSpray,
            floor: if succeeded { 0.9 } else { 0.65 },
            reason: format!(
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
            suppressed: None,
        });
    }

    if let (Some(travel), Some(previous)) = (&features.travel, evidence.previous_source())
        && travel.speed_kmh > params.max_speed_kmh
        && travel.distance_km >= params.min_travel_km
        && previous.ip != evidence.source.ip
    {
        let previous_at = evidence
            .user
            .last
            .as_ref()
            .map_or(0, |last| last.timestamp_ms);
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
        findings.push(if travel.uncertain {
            Finding {
                kind: FindingKind::ImpossibleTravel,
                floor: 0.0,
                reason: format!("fast travel, but a location is uncertain (country-level, anonymising or allow-listed network): {sentence}"),
                suppressed: None,
            }
        } else if travel.to_familiar_network {
            Finding {
                kind: FindingKind::ImpossibleTravel,
                floor: 0.0,
                reason: format!("fast travel back to a network this user already uses (a roaming phone or a VPN looks like this): {sentence}"),
                suppressed: None,
            }
        } else {
            Finding {
                kind: FindingKind::ImpossibleTravel,
                floor: 0.7,
                reason: format!("impossible travel: {sentence}"),
                suppressed: None,
            }
        });
    }

    if failed && features.unknown_account && features.prior_logins == 0 && source.accounts >= 3 {
        findings.push(Finding {
            kind: FindingKind::UnknownAccount,
            floor: 0.0,
            reason: format!(
                "failed login for an account never seen to sign in ({}), from a source that tried {} accounts in {window}",
                evidence.user_id,
                source_accounts
            ),
            suppressed: None,
        });
    }
}
