//! DBSCAN fitted on a sample, kept as an index of core points to grade new points.

use rustc_hash::FxHashMap as HashMap;

use super::{DbscanParams, Grid, core_flags, knee_eps};

/// Core points of a DBSCAN fit, thinned to one representative per half-radius cell, for grading
/// new points by their distance to the nearest dense region.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ClusterIndex<const D: usize> {
    eps: f64,
    /// Densest first, so the common case (a login inside the main cluster) stops at once.
    #[serde(with = "crate::detectors::reservoir::rows")]
    representatives: Vec<[f64; D]>,
}

/// A new point's grade rises linearly from 0 at one radius from the nearest core point to 1 at
/// this many radii.
const SATURATION_RADII: f64 = 3.0;

impl<const D: usize> ClusterIndex<D> {
    /// Fits DBSCAN on `rows` (with `eps` from the k-distance knee when not given). `None` when
    /// there is nothing dense to learn from (too few rows, or no core point at all).
    pub fn fit(rows: &[[f64; D]], params: &DbscanParams) -> Option<Self> {
        if rows.len() < params.min_points * 2
            || rows.iter().flatten().any(|value| !value.is_finite())
        {
            return None;
        }
        let eps = params
            .eps
            .unwrap_or_else(|| knee_eps(rows, params.min_points));
        let core = core_flags(rows, eps, params.min_points);
        let mut cells: HashMap<[i64; D], ([f64; D], u32)> = HashMap::default();
        let mut order = Vec::new();
        for (row, _) in rows.iter().zip(&core).filter(|(_, is_core)| **is_core) {
            let cell = Grid::cell(row, eps / 2.0);
            let entry = cells.entry(cell).or_insert_with(|| {
                order.push(cell);
                (*row, 0)
            });
            entry.1 += 1;
        }
        if order.is_empty() {
            return None;
        }
        // Stable sort: equal populations keep first-seen order, so the index is deterministic.
        order.sort_by_key(|cell| std::cmp::Reverse(cells[cell].1));
        Some(Self {
            eps,
            representatives: order.iter().map(|cell| cells[cell].0).collect(),
        })
    }

    pub fn eps(&self) -> f64 {
        self.eps
    }

    pub fn core_representatives(&self) -> usize {
        self.representatives.len()
    }

    /// The distance to the nearest core point, in radii (`eps`), and how much of the squared
    /// distance lies on each axis (shares summing to 1; all zero at distance 0).
    pub fn nearest(&self, row: &[f64; D]) -> Option<(f64, [f64; D])> {
        let nearest = self
            .representatives
            .iter()
            .min_by(|a, b| squared_distance(row, a).total_cmp(&squared_distance(row, b)))?;
        let distance_sq = squared_distance(row, nearest);
        let mut shares = [0.0; D];
        if distance_sq > 0.0 {
            for ((share, value), core) in shares.iter_mut().zip(row).zip(nearest) {
                *share = (value - core) * (value - core) / distance_sq;
            }
        }
        Some((distance_sq.sqrt() / self.eps, shares))
    }

    /// 0 within `eps` of a core point, rising linearly to 1 at three radii. (Representatives
    /// stand for the core points of their half-radius cell, so "within eps" is judged to within
    /// half a radius.)
    pub fn noise_score(&self, row: &[f64; D]) -> f64 {
        let eps_sq = self.eps * self.eps;
        let mut nearest_sq = f64::INFINITY;
        for representative in &self.representatives {
            let distance_sq = squared_distance(row, representative);
            if distance_sq <= eps_sq {
                return 0.0;
            }
            nearest_sq = nearest_sq.min(distance_sq);
        }
        let radii = nearest_sq.sqrt() / self.eps;
        ((radii - 1.0) / (SATURATION_RADII - 1.0)).clamp(0.0, 1.0)
    }
}

pub(super) fn squared_distance<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}
