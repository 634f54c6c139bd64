//! DBSCAN (Ester, Kriegel, Sander & Xu, KDD 1996) over login features.
//!
//! **Purpose.** Ordinary logins form dense regions in feature space (familiar place, device and
//! hour; no failures around). A login far from every dense region is unusual in a way that
//! single features may not show.
//!
//! **Method.** Points with at least `min_points` neighbours within `eps` (Euclidean, on the
//! fixed-scale features of [`crate::features::LoginFeatures::cluster_vector`]) are
//! *core points*; points within `eps` of a core point belong to its cluster (border points); the
//! rest is noise. Fitting uses a uniform grid of `eps`-sized cells, so each point compares only
//! with the 3^D neighbouring cells. When `eps` is not given it is read off the sorted
//! k-distance curve (k = `min_points` − 1) at its knee, the point farthest from the chord
//! between the curve's ends (the heuristic of §4.2 of the paper, made automatic).
//!
//! **Bounded cost.** The model is fitted on a sample (see
//! [`super::reservoir`]) and kept as its core points, thinned to one per half-radius
//! cell; every login is then graded by its distance to the nearest of them, 0 inside a
//! cluster's reach and rising to 1 at three radii. Fitting is O(n · neighbours) on the sample;
//! grading is a grid lookup.
//!
//! **Known false positives.** A user's rare but legitimate behaviour (first login after a
//! holiday, a new phone) is noise too; small organisations give sparse samples where eps from
//! the knee is large and little is noise. The rules and the per-user statistics carry the
//! specific evidence; DBSCAN adds weight when a login is unusual on several axes at once.

mod index;
mod params;

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::reservoir::Reservoir;

pub use index::ClusterIndex;
use index::squared_distance;
pub use params::DbscanParams;

/// Rows used to draw the k-distance curve (each compared with every row of the sample).
const KNEE_PROBES: usize = 512;
/// Radius used when the k-distance curve is flat zero (identical points).
const FALLBACK_EPS: f64 = 0.05;

/// A uniform grid over D-dimensional space.
pub(crate) struct Grid;

impl Grid {
    pub(crate) fn cell<const D: usize>(row: &[f64; D], size: f64) -> [i64; D] {
        row.map(|value| (value / size).floor() as i64)
    }

    /// Calls `visit` with the cell itself and its 3^D − 1 neighbours.
    pub(crate) fn for_each_neighbour_cell<const D: usize>(
        center: &[i64; D],
        mut visit: impl FnMut(&[i64; D]),
    ) {
        let mut offsets = [-1i64; D];
        loop {
            let mut cell = *center;
            for (coordinate, offset) in cell.iter_mut().zip(&offsets) {
                *coordinate += offset;
            }
            visit(&cell);
            // Odometer increment over {-1, 0, 1}^D.
            let mut position = 0;
            loop {
                if position == D {
                    return;
                }
                if offsets[position] < 1 {
                    offsets[position] += 1;
                    break;
                }
                offsets[position] = -1;
                position += 1;
            }
        }
    }
}

/// Which rows are core points: at least `min_points` rows (itself included) within `eps`.
pub fn core_flags<const D: usize>(rows: &[[f64; D]], eps: f64, min_points: usize) -> Vec<bool> {
    let mut cells: HashMap<[i64; D], Vec<u32>> = HashMap::default();
    for (index, row) in rows.iter().enumerate() {
        cells
            .entry(Grid::cell(row, eps))
            .or_default()
            .push(index as u32);
    }
    let eps_sq = eps * eps;
    let is_core = |row: &[f64; D]| {
        let mut neighbours = 0;
        Grid::for_each_neighbour_cell(&Grid::cell(row, eps), |cell| {
            if neighbours >= min_points {
                return;
            }
            if let Some(members) = cells.get(cell) {
                neighbours += members
                    .iter()
                    .filter(|&&member| squared_distance(row, &rows[member as usize]) <= eps_sq)
                    .count();
            }
        });
        neighbours >= min_points
    };
    // Each row on its own: the same flags on any number of threads.
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        rows.par_iter().map(is_core).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        rows.iter().map(is_core).collect()
    }
}

/// `eps` at the knee of the sorted k-distance curve of (a deterministic subset of) `rows`.
pub fn knee_eps<const D: usize>(rows: &[[f64; D]], min_points: usize) -> f64 {
    let k = min_points.saturating_sub(1).max(1);
    let stride = rows.len().div_ceil(KNEE_PROBES).max(1);
    let mut distances: Vec<f64> = rows
        .iter()
        .step_by(stride)
        .map(|probe| {
            let mut nearest: Vec<f64> = rows
                .iter()
                .map(|other| squared_distance(probe, other))
                .collect();
            // Index k: the probe itself is at distance 0 (index 0).
            let k = k.min(nearest.len() - 1);
            let (_, kth, _) = nearest.select_nth_unstable_by(k, f64::total_cmp);
            kth.sqrt()
        })
        .collect();
    distances.sort_by(f64::total_cmp);
    let last = distances.len() - 1;
    let (first_value, last_value) = (distances[0], distances[last]);
    if last == 0 || last_value <= first_value {
        return if last_value > 0.0 {
            last_value
        } else {
            FALLBACK_EPS
        };
    }
    // Normalise both axes to [0, 1]; the knee is farthest below the chord.
    let knee = (0..=last)
        .max_by(|&a, &b| {
            let gap = |index: usize| {
                let x = index as f64 / last as f64;
                let y = (distances[index] - first_value) / (last_value - first_value);
                x - y
            };
            gap(a).total_cmp(&gap(b))
        })
        .unwrap_or(last);
    let eps = distances[knee];
    if eps > 0.0 { eps } else { FALLBACK_EPS }
}

/// DBSCAN over the cluster features, refitted on a sample of earlier logins; new logins are
/// graded by their distance to the nearest core point.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PopulationClusters<const D: usize> {
    /// From the settings in force, not kept with the rest.
    #[serde(skip)]
    params: DbscanParams,
    reservoir: Reservoir<D>,
    index: Option<Arc<ClusterIndex<D>>>,
    fits: u32,
}

impl<const D: usize> PopulationClusters<D> {
    pub fn new(params: &DbscanParams) -> Self {
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

    /// These parameters holding `kept`'s sample and clustering (read back from kept state).
    pub fn holding(self, kept: Self) -> Self {
        Self {
            params: self.params,
            ..kept
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
        if let Some(index) = ClusterIndex::fit(&self.reservoir.rows, &self.params) {
            self.index = Some(Arc::new(index));
            self.fits += 1;
        }
    }

    pub fn fits(&self) -> u32 {
        self.fits
    }
}

#[cfg(test)]
mod tests;
