//! The Isolation Forest detector's settings.

use serde::{Deserialize, Serialize};

use isolation_forest::IsolationForestParams;

use crate::check::{ConfigError, require};

/// The Isolation Forest detector, refitted as the data grows on a reservoir sample of earlier
/// logins: the algorithm's own parameters (trees, sub-sample size, seed) and how the detector
/// feeds and reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForestParams {
    pub enabled: bool,
    /// Trees; the algorithm's default (100, as in Liu, Ting & Zhou 2008 and scikit-learn).
    pub n_trees: usize,
    /// Sub-sample size ψ per tree; the algorithm's default (256, as in the paper).
    pub sample_size: usize,
    /// Seed of the first fit; each refit uses the next one.
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
            n_trees: isolation_forest::DEFAULT_N_TREES,
            sample_size: isolation_forest::DEFAULT_SAMPLE_SIZE,
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
    /// The algorithm's parameters for the `refit`-th fit (0 first).
    pub fn model(&self, refit: u32) -> IsolationForestParams {
        IsolationForestParams::default()
            .n_trees(self.n_trees)
            .sample_size(self.sample_size)
            .seed(self.seed.wrapping_add(u64::from(refit)))
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        self.model(0).check().map_err(|error| ConfigError {
            name: if self.n_trees == 0 {
                "isolation_forest.n_trees"
            } else {
                "isolation_forest.sample_size"
            },
            reason: error.to_string(),
        })?;
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
