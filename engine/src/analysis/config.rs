//! Every threshold and weight of an analysis, with documented defaults. Deserialises from the
//! TOML config file (`--config`); missing keys keep their defaults.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

fn require(ok: bool, name: &'static str, reason: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            name,
            reason: reason.to_owned(),
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    pub baseline: BaselineParams,
    pub isolation_forest: ForestParams,
    pub dbscan: ClusterParams,
    pub rules: RuleParams,
    pub risk: RiskParams,
}

impl AnalysisConfig {
    pub fn check(&self) -> Result<(), ConfigError> {
        self.baseline.check()?;
        self.isolation_forest.check()?;
        self.dbscan.check()?;
        self.rules.check()?;
        self.risk.check()
    }
}

/// How per-user baselines learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineParams {
    /// Logins a user needs before their baseline is trusted fully; below it, novelty counts for
    /// proportionally less. 10 follows Wiefling et al. (2019, "Is This Really You?"), where
    /// risk-based authentication reached its accuracy after about ten logins per user.
    pub learning_logins: u32,
    /// Weight of the population prior when smoothing a user's probabilities (Freeman et al. 2016
    /// smooth per-user estimates towards the global distribution).
    pub smoothing_weight: f64,
    /// Logins below this risk always teach the baseline.
    pub learn_freely_below_risk: f64,
    /// Logins at or above this risk never teach the baseline; between the two thresholds they
    /// teach only if the network or the browser and OS is already known. So an intruder who
    /// got in does not become "familiar" by logging in again (risk-gated learning).
    pub learn_below_risk: f64,
}

impl Default for BaselineParams {
    fn default() -> Self {
        Self {
            learning_logins: 10,
            smoothing_weight: 1.0,
            learn_freely_below_risk: 0.3,
            learn_below_risk: 0.6,
        }
    }
}

impl BaselineParams {
    fn check(&self) -> Result<(), ConfigError> {
        require(
            self.learning_logins >= 1,
            "baseline.learning_logins",
            "must be at least 1",
        )?;
        require(
            self.smoothing_weight.is_finite() && self.smoothing_weight > 0.0,
            "baseline.smoothing_weight",
            "must be a positive number",
        )?;
        require(
            (0.0..=1.0).contains(&self.learn_freely_below_risk)
                && self.learn_freely_below_risk <= self.learn_below_risk
                && self.learn_below_risk <= 1.0,
            "baseline.learn_below_risk",
            "must satisfy 0 <= learn_freely_below_risk <= learn_below_risk <= 1",
        )
    }
}

/// The Isolation Forest, refitted as the data grows on a reservoir sample of earlier logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForestParams {
    pub enabled: bool,
    /// Trees; 100 as in Liu, Ting & Zhou (2008) and scikit-learn.
    pub n_trees: usize,
    /// Sub-sample size ψ per tree; 256 as in the paper.
    pub sample_size: usize,
    pub seed: u64,
    /// Logins seen before the first fit; before it the forest abstains.
    pub warmup_logins: usize,
    /// Earlier logins kept (reservoir sample) to refit on.
    pub reservoir_size: usize,
    /// Path-length score s(x) treated as fully normal (0) — below ~0.5 the paper calls points
    /// normal; linear up to `anomalous_score` (1).
    pub normal_score: f64,
    pub anomalous_score: f64,
    /// The share of logins expected to be anomalous, in (0, 0.5]. When set, each fit moves the
    /// ramp's start from `normal_score` to the score above which this share of the sample lies
    /// (scikit-learn's `contamination`); `None` keeps the paper's fixed cutoff, as scikit-learn's
    /// `"auto"` does.
    pub contamination: Option<f64>,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            enabled: true,
            n_trees: 100,
            sample_size: 256,
            seed: 42,
            warmup_logins: 512,
            reservoir_size: 8192,
            normal_score: 0.5,
            anomalous_score: 0.8,
            contamination: None,
        }
    }
}

impl ForestParams {
    fn check(&self) -> Result<(), ConfigError> {
        require(
            self.n_trees >= 1,
            "isolation_forest.n_trees",
            "must be at least 1",
        )?;
        require(
            self.sample_size >= 2,
            "isolation_forest.sample_size",
            "must be at least 2",
        )?;
        require(
            self.reservoir_size >= self.sample_size,
            "isolation_forest.reservoir_size",
            "must be at least sample_size",
        )?;
        require(
            self.warmup_logins >= self.sample_size.min(self.reservoir_size),
            "isolation_forest.warmup_logins",
            "must be at least sample_size",
        )?;
        require(
            self.normal_score < self.anomalous_score
                && (0.0..=1.0).contains(&self.normal_score)
                && (0.0..=1.0).contains(&self.anomalous_score),
            "isolation_forest.normal_score",
            "must be below anomalous_score, both in [0, 1]",
        )?;
        require(
            self.contamination
                .is_none_or(|share| share > 0.0 && share <= 0.5),
            "isolation_forest.contamination",
            "must be above 0 and at most 0.5",
        )
    }
}

/// DBSCAN over the same behavioural features, fitted on a sample of earlier logins; a new login
/// is graded by its distance to the nearest core point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterParams {
    pub enabled: bool,
    /// Neighbourhood radius in scaled feature units; `None` picks it from the knee of the
    /// k-distance curve of the sample (Ester et al. 1996, §4.2).
    pub eps: Option<f64>,
    /// Points within `eps` (itself included) that make a core point; 2 × dimensions, the rule
    /// of thumb of Sander et al. (1998).
    pub min_points: usize,
    /// Sample the clustering is fitted on (bounds the cost on large inputs).
    pub sample_size: usize,
    /// Logins seen before the first fit.
    pub warmup_logins: usize,
    pub seed: u64,
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self {
            enabled: true,
            eps: None,
            min_points: 10,
            sample_size: 2048,
            warmup_logins: 512,
            seed: 7,
        }
    }
}

impl ClusterParams {
    fn check(&self) -> Result<(), ConfigError> {
        require(
            self.eps.is_none_or(|eps| eps.is_finite() && eps > 0.0),
            "dbscan.eps",
            "must be a positive number",
        )?;
        require(
            self.min_points >= 2,
            "dbscan.min_points",
            "must be at least 2",
        )?;
        require(
            self.sample_size >= self.min_points * 4,
            "dbscan.sample_size",
            "must be at least 4 × min_points",
        )?;
        require(
            self.warmup_logins >= self.min_points * 4,
            "dbscan.warmup_logins",
            "must be at least 4 × min_points",
        )
    }
}

/// Known attack patterns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleParams {
    /// Window for per-account and per-source attempt counts.
    pub window_secs: i64,
    /// Failures on one account within the window that make a brute-force attack (OWASP's
    /// Authentication Cheat Sheet suggests locking out after 5–10; 10 stays clear of typos).
    pub brute_force_failures: u32,
    /// Distinct accounts failing from one source within `spray_window_secs` for password spraying.
    pub spray_accounts: u32,
    /// Spraying is low and slow: a long window.
    pub spray_window_secs: i64,
    /// Distinct accounts, most of them unknown, tried from one source within the window for
    /// credential stuffing.
    pub stuffing_accounts: u32,
    /// Failures just before a success that make "failures followed by success".
    pub failures_before_success: u32,
    /// Speed above which travel between two logins is impossible; 1000 km/h as the original app
    /// (airliners cruise at about 900).
    pub max_speed_kmh: f64,
    /// Shorter jumps are treated as geolocation jitter, not travel.
    pub min_travel_km: f64,
    /// Least risk of a login an analyst confirmed compromised (Critical by default).
    pub confirmed_compromised_floor: f64,
    /// Least risk of a later login from the address of a confirmed compromise (High by default:
    /// the address may be shared, e.g. a hotel or carrier NAT).
    pub known_compromised_source_floor: f64,
}

impl Default for RuleParams {
    fn default() -> Self {
        Self {
            window_secs: 3600,
            brute_force_failures: 10,
            spray_accounts: 10,
            spray_window_secs: 86_400,
            stuffing_accounts: 20,
            failures_before_success: 3,
            max_speed_kmh: 1000.0,
            min_travel_km: 500.0,
            confirmed_compromised_floor: 0.95,
            known_compromised_source_floor: 0.75,
        }
    }
}

impl RuleParams {
    fn check(&self) -> Result<(), ConfigError> {
        require(
            self.window_secs > 0,
            "rules.window_secs",
            "must be positive",
        )?;
        require(
            self.spray_window_secs >= self.window_secs,
            "rules.spray_window_secs",
            "must be at least rules.window_secs",
        )?;
        require(
            self.brute_force_failures >= 2,
            "rules.brute_force_failures",
            "must be at least 2",
        )?;
        require(
            self.spray_accounts >= 2,
            "rules.spray_accounts",
            "must be at least 2",
        )?;
        require(
            self.stuffing_accounts >= 2,
            "rules.stuffing_accounts",
            "must be at least 2",
        )?;
        require(
            self.failures_before_success >= 1,
            "rules.failures_before_success",
            "must be at least 1",
        )?;
        require(
            self.max_speed_kmh.is_finite() && self.max_speed_kmh > 0.0,
            "rules.max_speed_kmh",
            "must be a positive number",
        )?;
        require(
            self.min_travel_km.is_finite() && self.min_travel_km >= 0.0,
            "rules.min_travel_km",
            "must be zero or more",
        )?;
        require(
            (0.0..=1.0).contains(&self.confirmed_compromised_floor),
            "rules.confirmed_compromised_floor",
            "must be between 0 and 1",
        )?;
        require(
            (0.0..=1.0).contains(&self.known_compromised_source_floor),
            "rules.known_compromised_source_floor",
            "must be between 0 and 1",
        )
    }
}

/// How detector scores become one risk score and a level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskParams {
    /// Detector weights; the original app documents 0.4 / 0.3 / 0.3. Detectors that abstain
    /// (disabled, or still warming up) leave their weight to the others.
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
    fn check(&self) -> Result<(), ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(AnalysisConfig::default().check(), Ok(()));
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let mut config = AnalysisConfig::default();
        config.risk.high = 0.3;
        assert_eq!(
            config.check().unwrap_err().name,
            "risk.medium/high/critical"
        );
        let mut config = AnalysisConfig::default();
        config.rules.max_speed_kmh = f64::NAN;
        assert_eq!(config.check().unwrap_err().name, "rules.max_speed_kmh");
        let mut config = AnalysisConfig::default();
        config.dbscan.eps = Some(0.0);
        assert_eq!(config.check().unwrap_err().name, "dbscan.eps");
    }
}
