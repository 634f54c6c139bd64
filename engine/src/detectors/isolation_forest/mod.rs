//! The Isolation Forest detector: how rare a login's combination of features is in the whole
//! population (the algorithm is the `isolation-forest` crate: Liu, Ting & Zhou 2008).
//!
//! **Purpose and signals.** Fitted on a reservoir sample of the feature rows
//! ([`crate::features::LoginFeatures::forest_vector`]) of logins seen *before* the one being
//! scored, and refitted on a doubling schedule (see [`super::reservoir`]), so a login's score
//! never depends on what comes after it and a stream can be scored incrementally. Until the first
//! fit (the warm-up) it abstains and its weight goes to the other detectors. The path-length score
//! s(x) becomes 0–1 on a ramp from `normal_score` to `anomalous_score` (or from the cutoff of the
//! expected share of anomalies, `contamination`).
//!
//! **Known false positives.** Rarity is not malice: a first login from a new country, a new
//! phone, a traveller or a rare client is isolated as fast as an attack, and logins of very
//! small populations all look rare. Its score therefore adds weight to what per-user evidence
//! says rather than raising alarms by itself.

use std::sync::Arc;

use isolation_forest::{IsolationForest, Matrix, fit};

use super::reservoir::Reservoir;

mod params;

pub use params::ForestParams;

/// A fitted forest as it stood when a login arrived; scoring with it needs no access to the
/// live model, so scores can be computed later and in parallel.
#[derive(Clone, Debug)]
pub struct ForestSnapshot {
    model: Arc<IsolationForest>,
    normal_score: f64,
    anomalous_score: f64,
}

impl ForestSnapshot {
    /// The forest's path-length score s(x) mapped to 0–1 by the fixed ramp between
    /// `normal_score` and `anomalous_score`.
    pub fn score(&self, row: &[f64]) -> f64 {
        self.ramp(self.model.score(row))
    }

    /// [`Self::score`] of each row of `rows` (row-major, the forest's width), bit for bit, but
    /// walking the trees for several rows at once.
    pub fn score_many(&self, rows: &[f64]) -> Vec<f64> {
        let width = self.model.n_features();
        match Matrix::new(rows, width) {
            Ok(matrix) => self
                .model
                .score_many(matrix)
                .into_iter()
                .map(|score| self.ramp(score))
                .collect(),
            Err(_) => rows.chunks(width).map(|row| self.score(row)).collect(),
        }
    }

    /// Same snapshot of the same fit.
    pub fn same_as(&self, other: &ForestSnapshot) -> bool {
        Arc::ptr_eq(&self.model, &other.model)
            && self.normal_score == other.normal_score
            && self.anomalous_score == other.anomalous_score
    }

    fn ramp(&self, score: f64) -> f64 {
        let ramp = (score - self.normal_score) / (self.anomalous_score - self.normal_score);
        ramp.clamp(0.0, 1.0)
    }

    /// Which features made `row` easy to isolate: feature indices with their share of the path
    /// shortening, largest first ([`isolation_forest::Attribution`]).
    pub fn attribution(&self, row: &[f64]) -> Vec<(usize, f64)> {
        self.model.attribution(row).ranked()
    }
}

/// The Isolation Forest over login features, refitted as logins arrive.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PopulationForest<const D: usize> {
    /// From the settings in force, not kept with the rest.
    #[serde(skip)]
    params: ForestParams,
    reservoir: Reservoir<D>,
    model: Option<Arc<IsolationForest>>,
    /// Where the current model's 0–1 ramp starts and ends (see [`ForestParams::contamination`]).
    ramp: (f64, f64),
    fits: u32,
}

impl<const D: usize> PopulationForest<D> {
    pub fn new(params: &ForestParams) -> Self {
        Self {
            reservoir: Reservoir::new(
                params.reservoir_size,
                params.seed ^ 0x5EED,
                params.warmup_logins,
            ),
            params: params.clone(),
            model: None,
            ramp: (params.normal_score, params.anomalous_score),
            fits: 0,
        }
    }

    /// This forest's parameters holding `kept`'s sample and model (read back from kept state).
    pub fn holding(self, kept: Self) -> Self {
        Self {
            params: self.params,
            ..kept
        }
    }

    /// The current model; `None` while warming up.
    pub fn snapshot(&self) -> Option<ForestSnapshot> {
        Some(ForestSnapshot {
            model: Arc::clone(self.model.as_ref()?),
            normal_score: self.ramp.0,
            anomalous_score: self.ramp.1,
        })
    }

    /// The ramp for `model`: fixed, or starting where the expected share of anomalies begins
    /// among the rows it was fitted on; it always spans at least `MIN_RAMP_WIDTH`.
    fn ramp_for(&self, model: &IsolationForest) -> (f64, f64) {
        const MIN_RAMP_WIDTH: f64 = 0.05;
        let Some(share) = self.params.contamination else {
            return (self.params.normal_score, self.params.anomalous_score);
        };
        let mut scores: Vec<f64> = self
            .reservoir
            .rows
            .iter()
            .map(|row| model.score(row))
            .collect();
        scores.sort_by(f64::total_cmp);
        let above = ((scores.len() as f64) * share).ceil() as usize;
        let cutoff = scores[scores.len().saturating_sub(above.max(1))].min(1.0 - MIN_RAMP_WIDTH);
        let end = self
            .params
            .anomalous_score
            .max(cutoff + MIN_RAMP_WIDTH)
            .min(1.0);
        (cutoff, end)
    }

    /// Learns from a scored login (call after scoring it).
    pub fn observe(&mut self, row: [f64; D]) {
        if !self.params.enabled || !self.reservoir.add(row) {
            return;
        }
        let data = self.reservoir.flat();
        let params = self.params.model(self.fits);
        // The rows are finite by construction and the parameters were checked with the config,
        // so a fit cannot fail; if it ever did, keeping the previous model is the safe choice.
        if let Ok(model) = Matrix::new(&data, D).and_then(|matrix| fit(&params, matrix)) {
            self.ramp = self.ramp_for(&model);
            self.model = Some(Arc::new(model));
            self.fits += 1;
        }
    }

    pub fn fits(&self) -> u32 {
        self.fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 512 logins: a tight cloud of 480 and 32 far away (6.25%), fitted once.
    fn fitted(contamination: Option<f64>) -> PopulationForest<2> {
        let params = ForestParams {
            contamination,
            ..ForestParams::default()
        };
        let mut forest = PopulationForest::<2>::new(&params);
        for index in 0..512u32 {
            let wobble = f64::from(index % 17) / 17.0;
            let row = if index % 16 == 0 {
                [40.0 + wobble * 30.0, -25.0 - wobble * 20.0]
            } else {
                [wobble, f64::from(index % 5) / 5.0]
            };
            forest.observe(row);
        }
        assert_eq!(forest.fits(), 1);
        forest
    }

    fn share_above_zero(forest: &PopulationForest<2>) -> f64 {
        let snapshot = forest.snapshot().unwrap();
        let rows = &forest.reservoir.rows;
        rows.iter()
            .filter(|row| snapshot.score(&row[..]) > 0.0)
            .count() as f64
            / rows.len() as f64
    }

    #[test]
    fn contamination_sets_the_share_of_logins_the_forest_calls_anomalous() {
        let auto = fitted(None);
        assert_eq!(auto.ramp, (0.5, 0.8));
        for share in [0.02, 0.1, 0.25] {
            let forest = fitted(Some(share));
            let found = share_above_zero(&forest);
            assert!(found <= share + 1e-9, "{share}: {found} above the cutoff");
            assert!(
                found >= share * 0.5,
                "{share}: only {found} above the cutoff"
            );
            assert!(forest.ramp.1 - forest.ramp.0 >= 0.05);
        }
        // A larger expected share starts the ramp lower.
        assert!(fitted(Some(0.25)).ramp.0 < fitted(Some(0.02)).ramp.0);
    }

    #[test]
    fn contamination_must_be_a_plausible_share() {
        for share in [0.0, -0.1, 0.6, f64::NAN] {
            let config = crate::AnalysisConfig {
                isolation_forest: ForestParams {
                    contamination: Some(share),
                    ..ForestParams::default()
                },
                ..crate::AnalysisConfig::default()
            };
            let error = config.check().unwrap_err().to_string();
            assert!(error.contains("isolation_forest.contamination"), "{error}");
        }
    }
}
