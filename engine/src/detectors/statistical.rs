//! Statistical detector: how unlike *this user* is this login, compared with how unlike the
//! population it is.
//!
//! **Purpose.** Catch account takeover — a correct password used from somewhere and something
//! the account owner never uses — which no rate rule sees, including the stealthy kind Entra ID
//! Protection calls *unfamiliar sign-in properties*: the victim's own country, but a city and a
//! residential network the victim never used, with an out-of-date copy of the victim's browser.
//!
//! **Signals.** Smoothed per-user likelihood ratios in the spirit of Freeman et al. (2016, "Who
//! Are You? A Statistical Approach to Measuring User Authenticity"), each its own term: the
//! source along country → network owner (ASN) → /24 → address, the city within the country,
//! and the client along device type → OS → browser → exact user agent, each level's user
//! probability smoothed towards the population's, so a rare network for this user that is
//! common in the population (a big mobile carrier's new address) costs little and a network
//! nobody here uses costs a lot; an older release of a browser the user has since updated
//! (a *downgrade*, which auto-updating browsers never do, unlike upgrades, which are silent);
//! the hour of day and weekday against the user's own circular histogram; a robust z-score
//! (median/MAD) of the time since the previous login; hosting and VPN networks new for the user,
//! Tor, scripted clients and browsers far behind the population's. Novelty is scaled by the
//! baseline's confidence, which grows over the learning period (`baseline.learning_logins`
//! logins and `baseline.learning_days` days), so new accounts raise no alarm from novelty alone.
//! A downgrade is not novelty (it contradicts a release the user has already run) and counts
//! from the first days.
//!
//! **Score.** The terms are weighted by the calibrated model ([`crate::calibration`]); their
//! weighted sum S (log-odds) maps to S / (S + 4).
//!
//! **Known false positives.** Travellers (a new city, hotel networks), new phones and browser
//! reinstalls, people who move house or change ISP, second homes, and anyone with little
//! history. Weekday and hour patterns of shift workers. A rarely used second computer whose
//! browser lags behind looks like a downgrade after weeks unused, and a second device with an
//! older release than the user's first one does for its first half day of use (every sign-in's
//! release is remembered, also a risky one's, so it is not one for longer).

use super::evidence::{Evidence, duration};
use crate::calibration::{FITTED, OUTDATED_VERSIONS, RiskInputs};
use crate::features::LoginFeatures;
use crate::risk::{DOWNGRADE_REASON, Finding, FindingKind};

/// The detector's 0–1 score for a login's model inputs.
pub fn score(inputs: &RiskInputs) -> f64 {
    FITTED.statistical_score(inputs)
}

/// Reasons that explain the statistical score (they set no floor of their own, except for
/// scripted clients that got in).
pub fn explain(features: &LoginFeatures, evidence: &Evidence<'_>, findings: &mut Vec<Finding>) {
    let user = evidence.user;
    let well_known = features.confidence >= 0.5;
    if well_known && features.new_country == Some(true) {
        let here = evidence
            .source
            .geo
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |geo| geo.place());
        let usual: Vec<String> = user
            .countries
            .ranked()
            .into_iter()
            .take(3)
            .map(|(code, count)| format!("{} {count}", String::from_utf8_lossy(code)))
            .collect();
        findings.push(explanation(
            FindingKind::NewLocation,
            format!(
                "new country for this user: {here} (last {} logins: {})",
                user.logins,
                usual.join(", ")
            ),
        ));
    } else if well_known && features.new_asn == Some(true) {
        let owner = evidence
            .source
            .geo
            .as_ref()
            .map_or_else(String::new, |geo| match (geo.asn, &geo.as_org) {
                (Some(asn), Some(org)) => format!("AS{asn} {org}"),
                (Some(asn), None) => format!("AS{asn}"),
                _ => String::new(),
            });
        findings.push(explanation(
            FindingKind::NewNetwork,
            format!(
                "first-seen network owner for this user, in a country they use: {owner} from {} (their networks: {})",
                evidence.source.describe(),
                user.asns.distinct()
            ),
        ));
    } else if well_known && features.new_prefix && features.network_surprise >= 1.0 {
        let known = user.prefixes.distinct();
        findings.push(explanation(
            FindingKind::NewNetwork,
            format!(
                "new network for this user: {} from {} (known networks: {known})",
                evidence.source.network(),
                evidence.source.describe()
            ),
        ));
    }
    if well_known && features.new_country == Some(false) && features.new_city == Some(true) {
        let place = evidence
            .source
            .geo
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |geo| geo.place());
        findings.push(explanation(
            FindingKind::NewLocation,
            format!(
                "new city for this user: {place} (a country they use; {} cities known)",
                user.cities.distinct()
            ),
        ));
    }
    // A downgrade contradicts what the user has run rather than being new to them: it counts
    // in the learning period too.
    if let Some(downgrade) = features.downgrade {
        let release = |(major, minor): (u32, u32)| {
            if evidence.agent.browser == "Safari" {
                format!("{major}.{minor}")
            } else {
                major.to_string()
            }
        };
        let this = (
            evidence.agent.browser_major.unwrap_or(0),
            evidence.agent.browser_minor.unwrap_or(0),
        );
        findings.push(explanation(
            FindingKind::NewDevice,
            format!(
                "{DOWNGRADE_REASON}: {} {} on {}, {} release{} behind the {} they have used (browsers update, they do not go back)",
                evidence.agent.browser,
                release(this),
                evidence.agent.os,
                downgrade.steps,
                if downgrade.steps == 1 { "" } else { "s" },
                release(downgrade.newest)
            ),
        ));
    }
    if well_known && (features.new_device_type || features.new_os || features.new_browser) {
        let usual = user
            .agents
            .most_common()
            .and_then(|(agent, _)| evidence.agents.get(*agent as usize))
            .map_or_else(|| "none yet".to_owned(), |agent| agent.describe());
        findings.push(explanation(
            FindingKind::NewDevice,
            format!(
                "new device for this user: {}; usual: {usual}",
                evidence.agent.describe()
            ),
        ));
    }
    if well_known && features.hour_surprise >= 2.0 {
        let mut hours: Vec<(usize, u32)> = user.hours.iter().copied().enumerate().collect();
        hours.sort_by_key(|entry| std::cmp::Reverse(entry.1));
        let usual: Vec<String> = hours
            .iter()
            .take(3)
            .filter(|(_, count)| *count > 0)
            .map(|(hour, _)| format!("{hour:02}h"))
            .collect();
        findings.push(explanation(
            FindingKind::UnusualTime,
            format!(
                "unusual time for this user: {} (most logins at {} {})",
                evidence.local_clock(),
                usual.join(", "),
                evidence.user_clock_name()
            ),
        ));
    }
    if well_known
        && features.pace_z >= 4.0
        && let Some(gap) = features.secs_since_previous
    {
        findings.push(explanation(
            FindingKind::UnusualPace,
            format!(
                "unusual pace: previous login {} earlier (robust z = {:.1} against this user's gaps)",
                duration(gap),
                features.pace_z
            ),
        ));
    }
    if features.browser_versions_behind >= OUTDATED_VERSIONS && features.new_user_agent {
        findings.push(explanation(
            FindingKind::NewDevice,
            format!(
                "outdated browser, new for this user: {} is {} versions behind the newest seen",
                evidence.agent.describe(),
                features.browser_versions_behind
            ),
        ));
    }
    if let Some(network) = features.network.filter(|network| network.hides_location()) {
        let source = evidence
            .source
            .geo
            .as_ref()
            .and_then(|geo| geo.network_source.clone())
            .unwrap_or_else(|| "network classification".to_owned());
        findings.push(explanation(
            FindingKind::AnonymisingNetwork,
            format!(
                "login from a {} network: {} ({source})",
                network.as_str(),
                evidence.source.describe()
            ),
        ));
    }
    if features.scripted_client {
        let got_in = features.success == Some(true);
        findings.push(Finding {
            kind: FindingKind::ScriptedClient,
            floor: if got_in { 0.45 } else { 0.0 },
            reason: format!(
                "{} by a script, not a browser: {}",
                if got_in { "signed in" } else { "attempt" },
                evidence.agent.describe()
            ),
            suppressed: None,
        });
    }
}

fn explanation(kind: FindingKind, reason: String) -> Finding {
    Finding {
        kind,
        floor: 0.0,
        reason,
        suppressed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Downgrade;

    fn familiar() -> LoginFeatures {
        LoginFeatures {
            confidence: 1.0,
            ..LoginFeatures::default()
        }
    }

    #[test]
    fn scores_grow_with_evidence_and_stay_in_range() {
        let score_of = |features: &LoginFeatures| score(&RiskInputs::from_features(features));
        let new_owner = LoginFeatures {
            network_terms: [0.0, 2.5, 0.5, 0.2],
            ..familiar()
        };
        let stealthy = LoginFeatures {
            city_surprise: 2.0,
            downgrade: Some(Downgrade {
                newest: (147, 0),
                steps: 2,
            }),
            ..new_owner.clone()
        };
        let (a, b, c) = (
            score_of(&familiar()),
            score_of(&new_owner),
            score_of(&stealthy),
        );
        assert_eq!(a, 0.0);
        assert!(a < b && b < c && c < 1.0, "{a} {b} {c}");
    }

    #[test]
    fn learning_users_raise_no_alarm_from_novelty() {
        let newcomer = LoginFeatures {
            confidence: 0.0,
            network_terms: [3.0, 3.0, 1.0, 0.5],
            device_terms: [2.0, 2.0, 2.0, 1.0],
            ..LoginFeatures::default()
        };
        assert_eq!(score(&RiskInputs::from_features(&newcomer)), 0.0);
    }

    #[test]
    fn a_downgrade_counts_in_the_learning_period() {
        let downgrade = Some(Downgrade {
            newest: (145, 0),
            steps: 2,
        });
        let newcomer = LoginFeatures {
            confidence: 0.2,
            network_terms: [0.0, 3.0, 1.0, 0.5],
            ..LoginFeatures::default()
        };
        let score_of = |features: &LoginFeatures| score(&RiskInputs::from_features(features));
        let older = LoginFeatures {
            downgrade,
            ..newcomer.clone()
        };
        let familiar_older = LoginFeatures {
            confidence: 1.0,
            ..older.clone()
        };
        assert!(score_of(&newcomer) < 0.1, "{}", score_of(&newcomer));
        assert!(score_of(&older) >= 0.4, "{}", score_of(&older));
        // The downgrade weighs the same for a new user as for a well-known one.
        let without_novelty = |features: &LoginFeatures| LoginFeatures {
            network_terms: [0.0; 4],
            ..features.clone()
        };
        assert_eq!(
            score_of(&without_novelty(&older)),
            score_of(&without_novelty(&familiar_older))
        );
    }

    proptest::proptest! {
        #[test]
        fn scores_stay_in_the_unit_interval(
            confidence in 0.0f64..=1.0,
            network in 0.0f64..1e6,
            device in 0.0f64..1e6,
            hour in 0.0f64..50.0,
            pace in 0.0f64..1e3,
            scripted in proptest::bool::ANY,
        ) {
            let features = LoginFeatures {
                confidence,
                network_terms: [network, network, 0.0, 0.0],
                device_terms: [device, 0.0, 0.0, device],
                hour_surprise: hour,
                pace_z: pace,
                scripted_client: scripted,
                ..LoginFeatures::default()
            };
            let score = score(&RiskInputs::from_features(&features));
            proptest::prop_assert!((0.0..1.0).contains(&score), "{}", score);
        }
    }
}
