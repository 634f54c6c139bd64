//! The last stage: findings (each with its reason) and the 0–1 risk score with its level.

use serde::{Deserialize, Serialize};

use crate::check::{ConfigError, require};

/// How detector scores become one risk score and a level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskParams {
    /// Detector family weights; the original app documents 0.4 / 0.3 / 0.3. Each scales its
    /// family's contribution to the calibrated model's log-odds relative to the default
    /// ([`crate::calibration`]): 0 switches a family off, twice the default doubles its say.
    pub weight_isolation_forest: f64,
    pub weight_dbscan: f64,
    pub weight_statistical: f64,
    /// Level boundaries: Low < medium ≤ Medium < high ≤ High < critical ≤ Critical.
    pub medium: f64,
    pub high: f64,
    pub critical: f64,
    /// Half-life of a login's contribution to its user's risk.
    pub user_risk_half_life_secs: i64,
}

impl Default for RiskParams {
    fn default() -> Self {
        Self {
            weight_isolation_forest: 0.4,
            weight_dbscan: 0.3,
            weight_statistical: 0.3,
            medium: 0.4,
            high: 0.6,
            critical: 0.8,
            user_risk_half_life_secs: 7 * 86_400,
        }
    }
}

impl RiskParams {
    pub fn check(&self) -> Result<(), ConfigError> {
        let weights = [
            self.weight_isolation_forest,
            self.weight_dbscan,
            self.weight_statistical,
        ];
        require(
            weights.iter().all(|w| w.is_finite() && *w >= 0.0) && weights.iter().sum::<f64>() > 0.0,
            "risk.weight_*",
            "weights must be zero or more, and not all zero",
        )?;
        require(
            0.0 < self.medium
                && self.medium < self.high
                && self.high < self.critical
                && self.critical <= 1.0,
            "risk.medium/high/critical",
            "must satisfy 0 < medium < high < critical <= 1",
        )?;
        require(
            self.user_risk_half_life_secs > 0,
            "risk.user_risk_half_life_secs",
            "must be positive",
        )
    }
}

/// Risk levels: Low < medium ≤ Medium < high ≤ High < critical ≤ Critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    pub fn from_score(score: f64, params: &RiskParams) -> Self {
        if score >= params.critical {
            Self::Critical
        } else if score >= params.high {
            Self::High
        } else if score >= params.medium {
            Self::Medium
        } else {
            Self::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }
}

impl std::fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    NewLocation,
    NewNetwork,
    NewDevice,
    UnusualTime,
    UnusualPace,
    /// Faster than anyone travels over a reliably located distance.
    ImpossibleTravel,
    /// Fast travel with an explanation: a location is uncertain (country-level, anonymising or
    /// allow-listed network), or the login is on a network many colleagues or this user already
    /// use. It explains a score; it is never counted as impossible travel.
    FastTravel,
    AnonymisingNetwork,
    ScriptedClient,
    BruteForce,
    PasswordSpray,
    CredentialStuffing,
    FailuresThenSuccess,
    UnknownAccount,
    Outlier,
    OutsideClusters,
    /// An analyst confirmed this login compromised.
    ConfirmedCompromised,
    /// An analyst confirmed this login an attack attempt that did not get in.
    ConfirmedAttackAttempt,
    /// From the address of a login an analyst confirmed compromised or an attack attempt.
    KnownCompromisedSource,
    /// Several weak signals that together make the login unlikely to be the user's (none
    /// strong enough to be a finding of its own).
    UnusualCombination,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewLocation => "new_location",
            Self::NewNetwork => "new_network",
            Self::NewDevice => "new_device",
            Self::UnusualTime => "unusual_time",
            Self::UnusualPace => "unusual_pace",
            Self::ImpossibleTravel => "impossible_travel",
            Self::FastTravel => "fast_travel",
            Self::AnonymisingNetwork => "anonymising_network",
            Self::ScriptedClient => "scripted_client",
            Self::BruteForce => "brute_force",
            Self::PasswordSpray => "password_spray",
            Self::CredentialStuffing => "credential_stuffing",
            Self::FailuresThenSuccess => "failures_then_success",
            Self::UnknownAccount => "unknown_account",
            Self::Outlier => "isolation_forest_outlier",
            Self::OutsideClusters => "dbscan_noise",
            Self::ConfirmedCompromised => "confirmed_compromised",
            Self::ConfirmedAttackAttempt => "confirmed_attack_attempt",
            Self::KnownCompromisedSource => "known_compromised_source",
            Self::UnusualCombination => "unusual_combination",
        }
    }
}

/// One reason a login looks risky, with how strongly it alone should count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The least risk this finding alone justifies (rule evidence), or 0 for findings that only
    /// explain a detector's score.
    pub floor: f64,
    /// A sentence for a person: what was seen, compared with what is usual.
    pub reason: String,
    /// Why this finding does not count, when an allow-list entry or an analyst's verdict
    /// vouches for the login ("allow-list: office VPN 198.51.100.0/24"). Suppressed findings are
    /// shown, never silently dropped, and add nothing to the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// How the reason of a browser downgrade begins (a [`FindingKind::NewDevice`] finding).
pub const DOWNGRADE_REASON: &str = "older browser than this user now runs";

impl Finding {
    /// Counts towards the score.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    /// An active finding that the user signed in with an older release of a browser they have
    /// since updated.
    pub fn is_downgrade(&self) -> bool {
        self.is_active()
            && self.kind == FindingKind::NewDevice
            && self.reason.starts_with(DOWNGRADE_REASON)
    }

    /// The reason with its suppression, as shown to people.
    pub fn explained(&self) -> String {
        match &self.suppressed {
            Some(why) => format!("{} (suppressed by {why})", self.reason),
            None => self.reason.clone(),
        }
    }
}

/// The risk of a login: the calibrated model's probability ([`crate::calibration`]), raised
/// to the strongest floor among the findings that are not suppressed (strong rule evidence
/// escalates on its own). Scores are absolute (no per-batch rescaling), so they compare across
/// runs.
pub fn combine(probability: f64, findings: &[Finding]) -> f64 {
    let floor = findings
        .iter()
        .filter(|finding| finding.is_active())
        .map(|finding| finding.floor)
        .fold(0.0, f64::max);
    probability.max(floor).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_documented_boundaries() {
        let params = RiskParams::default();
        let level = |score| RiskLevel::from_score(score, &params);
        assert_eq!(level(0.0), RiskLevel::Low);
        assert_eq!(level(0.399), RiskLevel::Low);
        assert_eq!(level(0.4), RiskLevel::Medium);
        assert_eq!(level(0.6), RiskLevel::High);
        assert_eq!(level(0.8), RiskLevel::Critical);
        assert_eq!(level(1.0), RiskLevel::Critical);
    }

    #[test]
    fn strong_findings_raise_the_probability_to_their_floor() {
        let floor = Finding {
            kind: FindingKind::BruteForce,
            floor: 0.9,
            reason: String::new(),
            suppressed: None,
        };
        assert_eq!(combine(0.1, std::slice::from_ref(&floor)), 0.9);
        assert_eq!(combine(0.95, std::slice::from_ref(&floor)), 0.95);
        let suppressed = Finding {
            suppressed: Some("allow-list: office".to_owned()),
            ..floor
        };
        assert_eq!(combine(0.1, &[suppressed]), 0.1);
        assert_eq!(combine(0.0, &[]), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn combined_scores_stay_in_the_unit_interval(
            probability in 0.0f64..=1.0,
            floor in 0.0f64..=1.0,
        ) {
            let finding = Finding { kind: FindingKind::BruteForce, floor, reason: String::new(), suppressed: None };
            let score = combine(probability, &[finding]);
            proptest::prop_assert!((0.0..=1.0).contains(&score));
            proptest::prop_assert!(score >= floor);
        }
    }
}
