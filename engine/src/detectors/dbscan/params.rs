//! The DBSCAN detector's settings.

use serde::{Deserialize, Serialize};

use crate::check::{ConfigError, require};

/// DBSCAN over the same behavioural features, fitted on a sample of earlier logins; a new login
/// is graded by its distance to the nearest core point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbscanParams {
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

impl Default for DbscanParams {
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

impl DbscanParams {
    pub fn check(&self) -> Result<(), ConfigError> {
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
