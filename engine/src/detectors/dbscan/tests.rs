use super::*;

/// A small deterministic generator (SplitMix64), so the tests need no RNG crate.
struct SplitMix(u64);

impl SplitMix {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

fn blobs(seed: u64) -> Vec<[f64; 2]> {
    let mut random = SplitMix(seed);
    let mut rows = Vec::new();
    for center in [[0.0, 0.0], [5.0, 5.0]] {
        for _ in 0..200 {
            rows.push([
                center[0] + random.next_unit() * 0.5,
                center[1] + random.next_unit() * 0.5,
            ]);
        }
    }
    for _ in 0..10 {
        rows.push([
            random.next_unit() * 20.0 - 10.0,
            random.next_unit() * 20.0 + 10.0,
        ]);
    }
    rows
}

fn brute_force_core<const D: usize>(rows: &[[f64; D]], eps: f64, min_points: usize) -> Vec<bool> {
    rows.iter()
        .map(|row| {
            rows.iter()
                .filter(|other| squared_distance(row, other) <= eps * eps)
                .count()
                >= min_points
        })
        .collect()
}

#[test]
fn grid_core_points_match_brute_force() {
    for seed in 0..5 {
        let mut random = SplitMix(seed);
        let rows: Vec<[f64; 3]> = (0..600)
            .map(|_| {
                [
                    random.next_unit(),
                    random.next_unit() * 2.0 - 1.0,
                    random.next_unit() * 0.3,
                ]
            })
            .collect();
        for (eps, min_points) in [(0.05, 3), (0.1, 6), (0.3, 20)] {
            assert_eq!(
                core_flags(&rows, eps, min_points),
                brute_force_core(&rows, eps, min_points)
            );
        }
    }
}

#[test]
fn neighbour_cells_cover_three_to_the_d() {
    let mut visited = Vec::new();
    Grid::for_each_neighbour_cell(&[10, -3, 0], |cell| visited.push(*cell));
    assert_eq!(visited.len(), 27);
    visited.sort();
    visited.dedup();
    assert_eq!(visited.len(), 27);
    assert!(visited.contains(&[9, -4, -1]) && visited.contains(&[11, -2, 1]));
}

#[test]
fn knee_separates_blobs_from_noise() {
    let rows = blobs(1);
    let eps = knee_eps(&rows, 4);
    assert!(eps > 0.02 && eps < 2.0, "{eps}");
    let index = ClusterIndex::fit(
        &rows,
        &DbscanParams {
            eps: None,
            min_points: 4,
            ..DbscanParams::default()
        },
    )
    .unwrap();
    assert_eq!(index.noise_score(&[0.25, 0.25]), 0.0);
    assert_eq!(index.noise_score(&[5.2, 5.3]), 0.0);
    assert_eq!(index.noise_score(&[-8.0, 25.0]), 1.0);
    let halfway = index.noise_score(&[0.5 + 2.0 * index.eps(), 0.25]);
    assert!(halfway > 0.0 && halfway < 1.0, "{halfway}");
}

#[test]
fn degenerate_inputs_do_not_fit() {
    let params = DbscanParams {
        eps: None,
        min_points: 4,
        ..DbscanParams::default()
    };
    assert!(ClusterIndex::<2>::fit(&[], &params).is_none());
    assert!(ClusterIndex::fit(&[[0.0, 0.0]; 3], &params).is_none());
    assert!(ClusterIndex::fit(&[[f64::NAN, 0.0]; 20], &params).is_none());
    // Identical points: every one is core, at the fallback radius.
    let same = ClusterIndex::fit(&[[1.0, 1.0]; 20], &params).unwrap();
    assert_eq!(same.eps(), FALLBACK_EPS);
    assert_eq!(same.core_representatives(), 1);
    assert_eq!(same.noise_score(&[1.0, 1.0]), 0.0);
}

#[test]
fn sparse_points_have_no_core() {
    let rows: Vec<[f64; 1]> = (0..10).map(|i| [f64::from(i) * 10.0]).collect();
    let params = DbscanParams {
        eps: Some(1.0),
        min_points: 3,
        ..DbscanParams::default()
    };
    assert!(ClusterIndex::fit(&rows, &params).is_none());
}
