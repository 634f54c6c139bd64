//! Statistical detector: how unlike *this user* is this login, compared with how unlike the
//! population it is.
//!
//! **Purpose.** Catch account takeover — a correct password used from somewhere and something
//! the account owner never uses — which no rate rule sees.
//!
//! **Signals.** Smoothed per-user likelihood ratios in the spirit of Freeman et al. (2016, "Who
//! Are You? A Statistical Approach to Measuring User Authenticity"): the source along
//! country → ASN → /24 → IP and the client along device type → OS → browser → user agent,
//! each level's user probability smoothed towards the population; the hour of day and weekday
//! against the user's own circular histogram; a robust z-score (median/MAD) of the time since
//! the previous login; anonymising networks (hosting, VPN, Tor) and scripted clients. Novelty is
//! scaled by the baseline's confidence, so users still in their learning state raise no alarm
//! from novelty alone.
//!
//! **Score.** The weighted evidence S (in nats) maps to S / (S + 6): a fixed curve, so a score
//! means the same in every run. One new country for a well-known user (≈ 3.7 nats) gives ≈ 0.38;
//! new country, network and device together ≈ 0.6.
//!
//! **Known false positives.** Travellers, new phones and browser reinstalls, users whose mobile
//! carrier hands out addresses across the country, and anyone with little history. Weekday and
//! hour patterns of shift workers.

use super::evidence::{Evidence, duration};
use crate::features::LoginFeatures;
use crate::risk::{Finding, FindingKind};

/// Evidence (nats) at which the statistical score is 0.5.
const HALF_SCORE_NATS: f64 = 6.0;

/// Major versions behind the newest seen that make a browser outdated: Chrome, Edge and Firefox
/// release every four weeks, so eight versions is about eight months without updates.
const OUTDATED_VERSIONS: u32 = 8;

pub fn score(features: &LoginFeatures) -> f64 {
    let anonymising = features
        .network
        .is_some_and(|network| network.hides_location());
    let evidence = features.confidence
        * (features.network_surprise
            + features.device_surprise
            + 0.6 * features.hour_surprise
            + 0.3 * features.weekday_surprise
            + 0.3 * (features.pace_z - 3.0).max(0.0))
        + if anonymising { 1.5 } else { 0.0 }
        + if features.scripted_client { 2.0 } else { 0.0 }
        + if features.browser_versions_behind >= OUTDATED_VERSIONS && features.new_user_agent {
            1.5
        } else {
            0.0
        };
    evidence / (evidence + HALF_SCORE_NATS)
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

    #[test]
    fn scores_grow_with_evidence_and_stay_in_range() {
        let familiar = LoginFeatures {
            confidence: 1.0,
            ..LoginFeatures::default()
        };
        let new_country = LoginFeatures {
            network_surprise: 3.7,
            ..familiar.clone()
        };
        let takeover = LoginFeatures {
            network_surprise: 3.7,
            device_surprise: 3.0,
            hour_surprise: 2.0,
            ..familiar.clone()
        };
        let (a, b, c) = (score(&familiar), score(&new_country), score(&takeover));
        assert_eq!(a, 0.0);
        assert!(a < b && b < c && c < 1.0, "{a} {b} {c}");
        assert!((b - 0.38).abs() < 0.01, "{b}");
    }

    #[test]
    fn learning_users_raise_no_alarm_from_novelty() {
        let newcomer = LoginFeatures {
            confidence: 0.0,
            network_surprise: 5.0,
            device_surprise: 5.0,
            ..LoginFeatures::default()
        };
        assert_eq!(score(&newcomer), 0.0);
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
                network_surprise: network,
                device_surprise: device,
                hour_surprise: hour,
                pace_z: pace,
                scripted_client: scripted,
                ..LoginFeatures::default()
            };
            let score = score(&features);
            proptest::prop_assert!((0.0..1.0).contains(&score), "{}", score);
        }
    }
}
