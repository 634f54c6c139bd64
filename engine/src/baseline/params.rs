//! How per-user baselines learn.

use serde::{Deserialize, Serialize};

use crate::check::{ConfigError, require};

/// How per-user baselines learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineParams {
    /// Logins a user needs before their baseline is trusted fully; below it, novelty counts for
    /// proportionally less. 10 follows Wiefling et al. (2019, "Is This Really You?"), where
    /// risk-based authentication reached its accuracy after about ten logins per user.
    pub learning_logins: u32,
    /// Days from a user's first learnt login before their baseline is trusted fully; novelty
    /// counts in proportion until then. Entra ID Protection's unfamiliar sign-in properties
    /// detection learns for at least five days before it flags anything.
    pub learning_days: f64,
    /// A release of a browser older than the newest the user has used is an out-of-date copy
    /// (not a second device that updates later) when the user has not used it for this long.
    pub release_recency_days: f64,
    /// Weight of the population prior when smoothing a user's probabilities (Freeman et al. 2016
    /// smooth per-user estimates towards the global distribution).
    pub smoothing_weight: f64,
    /// A network kept out of the baseline by the risk gate becomes the user's own once used on
    /// this many different days spanning at least `probation_span_days`: a new carrier or ISP
    /// settles in, an attacker's session (hours to a day or two) does not.
    pub probation_days: u32,
    pub probation_span_days: f64,
    /// Logins below this risk always teach the baseline. Risks are the calibrated model's
    /// probabilities ([`crate::calibration`]), on which an ordinary login scores about 0.002
    /// and 0.1 is already some fifty times the usual.
    pub learn_freely_below_risk: f64,
    /// Logins at or above this risk never teach the baseline (unless their network passes
    /// probation); between the two thresholds they teach only if the network or the browser
    /// and OS is already known. So an intruder who got in does not become "familiar" by
    /// logging in again (risk-gated learning).
    pub learn_below_risk: f64,
}

impl Default for BaselineParams {
    fn default() -> Self {
        Self {
            learning_logins: 10,
            learning_days: 5.0,
            probation_days: 3,
            probation_span_days: 7.0,
            release_recency_days: 21.0,
            smoothing_weight: 1.0,
            learn_freely_below_risk: 0.1,
            learn_below_risk: 0.5,
        }
    }
}

impl BaselineParams {
    /// [`Self::release_recency_days`] in milliseconds, as timestamps are kept.
    pub fn release_recency_ms(&self) -> i64 {
        (self.release_recency_days * 86_400_000.0) as i64
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        require(
            self.learning_logins >= 1,
            "baseline.learning_logins",
            "must be at least 1",
        )?;
        require(
            self.learning_days.is_finite() && self.learning_days >= 0.0,
            "baseline.learning_days",
            "must be zero or more",
        )?;
        require(
            self.probation_days >= 2,
            "baseline.probation_days",
            "must be at least 2",
        )?;
        require(
            self.probation_span_days.is_finite() && self.probation_span_days >= 0.0,
            "baseline.probation_span_days",
            "must be zero or more",
        )?;
        require(
            self.release_recency_days.is_finite() && self.release_recency_days > 0.0,
            "baseline.release_recency_days",
            "must be a positive number",
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
