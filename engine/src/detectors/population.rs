//! Population models that learn from earlier logins only.
//!
//! The Isolation Forest and DBSCAN are fitted on a reservoir sample of the feature vectors of
//! logins seen *before* the one being scored, and refitted on a doubling schedule (at 512, 1024,
//! 2048, … logins, then every 131,072). A login's score therefore never depends on what comes
//! after it, and a stream can be scored incrementally. Until the first fit (the warm-up) the
//! model abstains and its weight goes to the other detectors.

use std::sync::Arc;

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::dbscan::{ClusterIndex, DbscanParams};
use super::isolation_forest::{IsolationForest, IsolationForestParams, Matrix, fit};
use crate::analysis::{ClusterParams, ForestParams};

/// Largest gap between refits once the data is large.
const MAX_REFIT_INTERVAL: usize = 131_072;

/// Algorithm R reservoir sampling (Vitter 1985) over fixed-width rows, seeded.
#[derive(Debug)]
struct Reservoir<const D: usize> {
    rows: Vec<[f64; D]>,
    capacity: usize,
    seen: usize,
    rng: Xoshiro256PlusPlus,
    next_fit_at: usize,
}

impl<const D: usize> Reservoir<D> {
    fn new(capacity: usize, seed: u64, first_fit_at: usize) -> Self {
        Self {
            rows: Vec::with_capacity(capacity.min(1 << 16)),
            capacity,
            seen: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            next_fit_at: first_fit_at.max(1),
        }
    }

    /// Adds a row; returns true when the schedule says to refit now.
    fn add(&mut self, row: [f64; D]) -> bool {
        self.seen += 1;
        if self.rows.len() < self.capacity {
            self.rows.push(row);
        } else {
            let slot = self.rng.next_u64() % self.seen as u64;
            if let Some(kept) = self.rows.get_mut(slot as usize) {
                *kept = row;
            }
        }
        if self.seen >= self.next_fit_at {
            self.next_fit_at = self.seen + self.seen.min(MAX_REFIT_INTERVAL);
            return true;
        }
        false
    }

    fn flat(&self) -> Vec<f64> {
        self.rows.iter().flatten().copied().collect()
    }
}

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
        let ramp = (self.model.score(row) - self.normal_score)
            / (self.anomalous_score - self.normal_score);
        ramp.clamp(0.0, 1.0)
    }
}

/// The Isolation Forest over login features, refitted as logins arrive.
#[derive(Debug)]
pub struct PopulationForest<const D: usize> {
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
        let params = IsolationForestParams::default()
            .n_trees(self.params.n_trees)
            .sample_size(self.params.sample_size)
            .seed(self.params.seed.wrapping_add(u64::from(self.fits)));
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

/// DBSCAN over the cluster features, refitted on a sample of earlier logins; new logins are
/// graded by their distance to the nearest core point.
#[derive(Debug)]
pub struct PopulationClusters<const D: usize> {
    params: ClusterParams,
    reservoir: Reservoir<D>,
    index: Option<Arc<ClusterIndex<D>>>,
    fits: u32,
}

impl<const D: usize> PopulationClusters<D> {
    pub fn new(params: &ClusterParams) -> Self {
        Self {
            reservoir: Reservoir::new(
                params.sample_size,
                params.seed ^ 0xD85C,
                params.warmup_logins,
            ),
            params: params.clone(),
            index: None,
            fits: 0,
        }
    }

    /// The current clustering (graded with [`ClusterIndex::noise_score`]); `None` while
    /// warming up.
    pub fn snapshot(&self) -> Option<Arc<ClusterIndex<D>>> {
        self.index.clone()
    }

    /// The radius used by the current fit.
    pub fn eps(&self) -> Option<f64> {
        self.index.as_ref().map(|index| index.eps())
    }

    pub fn observe(&mut self, row: [f64; D]) {
        if !self.params.enabled || !self.reservoir.add(row) {
            return;
        }
        let params = DbscanParams {
            eps: self.params.eps,
            min_points: self.params.min_points,
        };
        if let Some(index) = ClusterIndex::fit(&self.reservoir.rows, &params) {
            self.index = Some(Arc::new(index));
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
