//! DBSCAN fitted on a sample, kept as an index of core points to grade new points.

use std::collections::HashMap;

use super::{DbscanParams, Grid, core_flags, knee_eps};

/// Core points of a DBSCAN fit, thinned to one representative per half-radius cell, for grading
/// new points by their distance to the nearest dense region.
#[derive(Clone, Debug)]
pub struct ClusterIndex<const D: usize> {
    eps: f64,
    representatives: Vec<[f64; D]>,
    cells: HashMap<[i64; D], Vec<u32>>,
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
        let thin = eps / 2.0;
        let mut seen_cells = HashMap::new();
        let mut representatives = Vec::new();
        for (row, _) in rows.iter().zip(&core).filter(|(_, is_core)| **is_core) {
            let cell = row.map(|value| (value / thin).floor() as i64);
            seen_cells.entry(cell).or_insert_with(|| {
                representatives.push(*row);
            });
        }
        if representatives.is_empty() {
            return None;
        }
        let mut cells: HashMap<[i64; D], Vec<u32>> = HashMap::new();
        let reach = eps * SATURATION_RADII;
        for (index, row) in representatives.iter().enumerate() {
            cells
                .entry(Grid::cell(row, reach))
                .or_default()
                .push(index as u32);
        }
        Some(Self {
            eps,
            representatives,
            cells,
        })
    }

    pub fn eps(&self) -> f64 {
        self.eps
    }

    pub fn core_representatives(&self) -> usize {
        self.representatives.len()
    }

    /// 0 within `eps` of a core point, rising linearly to 1 at three radii.
    pub fn noise_score(&self, row: &[f64; D]) -> f64 {
        let reach = self.eps * SATURATION_RADII;
        let mut nearest_sq = f64::INFINITY;
        Grid::for_each_neighbour_cell(&Grid::cell(row, reach), |cell| {
            if let Some(members) = self.cells.get(cell) {
                for &member in members {
                    let distance_sq = squared_distance(row, &self.representatives[member as usize]);
                    nearest_sq = nearest_sq.min(distance_sq);
                }
            }
        });
        let radii = nearest_sq.sqrt() / self.eps;
        ((radii - 1.0) / (SATURATION_RADII - 1.0)).clamp(0.0, 1.0)
    }
}

pub(super) fn squared_distance<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}
