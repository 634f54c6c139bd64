//! Behavioural tests of the public API.

use proptest::prelude::*;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::*;

/// 300 inliers uniform in the unit square, then one outlier at (5, 5) as row 300.
fn inliers_and_outlier() -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let mut data: Vec<f64> = (0..600)
        .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    data.extend([5.0, 5.0]);
    data
}

fn fit_scores(params: &IsolationForestParams, data: &[f64], n_cols: usize) -> Vec<f64> {
    let data = Matrix::new(data, n_cols).expect("well-formed matrix");
    fit(params, data).expect("fit").score_many(data)
}

fn bits(scores: &[f64]) -> Vec<u64> {
    scores.iter().map(|score| score.to_bits()).collect()
}

#[test]
fn outlier_scores_higher_than_every_inlier() {
    let data = inliers_and_outlier();
    let scores = fit_scores(&IsolationForestParams::default(), &data, 2);
    let (inliers, outlier) = scores.split_at(300);
    let outlier = outlier[0];
    let max_inlier = inliers.iter().copied().fold(f64::MIN, f64::max);
    let mean_inlier = inliers.iter().sum::<f64>() / inliers.len() as f64;
    assert!(
        outlier > max_inlier,
        "outlier {outlier} vs max inlier {max_inlier}"
    );
    assert!(outlier > 0.7, "outlier score {outlier}");
    assert!(mean_inlier < 0.5, "mean inlier score {mean_inlier}");
    assert!(scores.iter().all(|score| (0.0..=1.0).contains(score)));
}

#[test]
fn same_seed_gives_bit_identical_scores() {
    let data = inliers_and_outlier();
    let params = IsolationForestParams::default().seed(17);
    assert_eq!(
        bits(&fit_scores(&params, &data, 2)),
        bits(&fit_scores(&params, &data, 2))
    );
}

#[test]
fn different_seeds_give_different_scores() {
    let data = inliers_and_outlier();
    let first = fit_scores(&IsolationForestParams::default().seed(1), &data, 2);
    let second = fit_scores(&IsolationForestParams::default().seed(2), &data, 2);
    assert_ne!(bits(&first), bits(&second));
}

#[test]
fn score_many_equals_row_by_row_scoring() {
    // More rows than one scoring block, so parallel block scoring is exercised.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let data: Vec<f64> = (0..3 * 1500)
        .map(|_| (rng.next_u64() % 1000) as f64)
        .collect();
    let matrix = Matrix::new(&data, 3).expect("matrix");
    let forest = fit(&IsolationForestParams::default(), matrix).expect("fit");
    let row_by_row: Vec<f64> = (0..matrix.n_rows())
        .map(|row| forest.score(matrix.row(row)))
        .collect();
    assert_eq!(bits(&forest.score_many(matrix)), bits(&row_by_row));
}

/// Pins exact outputs for a fixed fixture. `cargo test` and
/// `cargo test --no-default-features` check the same constants, so this also
/// proves the `parallel` feature does not change results.
#[test]
fn scores_are_pinned_with_and_without_parallel_feature() {
    let data = inliers_and_outlier();
    let params = IsolationForestParams::default()
        .n_trees(50)
        .sample_size(128)
        .seed(2024);
    let scores = fit_scores(&params, &data, 2);
    let pinned = [
        (0, PINNED_ROW_0),
        (150, PINNED_ROW_150),
        (300, PINNED_ROW_300),
    ];
    for (row, expected_bits) in pinned {
        assert_eq!(
            scores[row].to_bits(),
            expected_bits,
            "row {row}: got {} ({:#x})",
            scores[row],
            scores[row].to_bits()
        );
    }
}

const PINNED_ROW_0: u64 = 0x3fe0_df2d_05d6_d64e;
const PINNED_ROW_150: u64 = 0x3fdf_6852_5bdb_a4df;
const PINNED_ROW_300: u64 = 0x3fe7_a648_877f_5a7e;

#[test]
fn single_row_scores_one_half() {
    let forest = fit(
        &IsolationForestParams::default(),
        Matrix::new(&[1.0, -2.0, 3.0], 3).expect("matrix"),
    )
    .expect("fit");
    assert_eq!(forest.sample_size(), 1);
    assert_eq!(forest.score(&[1.0, -2.0, 3.0]), 0.5);
    assert_eq!(forest.score(&[100.0, 0.0, 0.0]), 0.5);
}

#[test]
fn two_distinct_rows_score_exactly_one_half() {
    // Every tree splits the pair at the root: h = 1 = c(2) for both rows.
    let scores = fit_scores(&IsolationForestParams::default(), &[0.0, 1.0, 2.0, 1.0], 2);
    assert_eq!(scores, vec![0.5, 0.5]);
}

#[test]
fn identical_rows_score_one_half() {
    // The root is a leaf of size ψ, so h = c(ψ) and s = 2^-1.
    let data = [3.5; 4 * 1000];
    let scores = fit_scores(&IsolationForestParams::default(), &data, 4);
    assert!(
        scores.iter().all(|score| (score - 0.5).abs() < 1e-12),
        "{:?}",
        &scores[..3]
    );
}

#[test]
fn constant_column_is_never_split_on() {
    // Column 0 is constant; the outlier must still be found through column 1.
    let mut data: Vec<f64> = (0..200).flat_map(|i| [7.0, f64::from(i % 20)]).collect();
    data.extend([7.0, 1000.0]);
    let scores = fit_scores(&IsolationForestParams::default(), &data, 2);
    let outlier = scores[200];
    assert!(scores[..200].iter().all(|&score| score < outlier));
}

#[test]
fn single_column_and_huge_values_do_not_panic() {
    let data = [
        -f64::MAX,
        f64::MAX,
        0.0,
        f64::MIN_POSITIVE,
        1e300,
        -1e300,
        1e-300,
    ];
    let scores = fit_scores(&IsolationForestParams::default(), &data, 1);
    assert!(scores.iter().all(|score| (0.0..=1.0).contains(score)));
}

#[test]
fn unusual_parameters_do_not_panic() {
    let data = inliers_and_outlier();
    for params in [
        IsolationForestParams::default().sample_size(100_000),
        IsolationForestParams::default().max_height(Some(usize::MAX)),
        IsolationForestParams::default()
            .max_height(Some(1))
            .n_trees(1),
        IsolationForestParams::default().sample_size(1),
    ] {
        let scores = fit_scores(&params, &data, 2);
        assert!(
            scores.iter().all(|score| (0.0..=1.0).contains(score)),
            "{params:?}"
        );
    }
}

#[test]
fn fit_rejects_empty_and_non_finite_data() {
    let params = IsolationForestParams::default();
    let empty = Matrix::new(&[], 3).expect("matrix");
    assert_eq!(fit(&params, empty), Err(IsolationForestError::EmptyData));

    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let data = [1.0, 2.0, 3.0, bad, 5.0, 6.0];
        let matrix = Matrix::new(&data, 2).expect("matrix");
        assert_eq!(
            fit(&params, matrix),
            Err(IsolationForestError::NonFinite { row: 1, col: 1 })
        );
    }
}

#[test]
fn fit_validates_params_first() {
    let matrix = Matrix::new(&[1.0, 2.0], 1).expect("matrix");
    let result = fit(&IsolationForestParams::default().n_trees(0), matrix);
    assert!(matches!(
        result,
        Err(IsolationForestError::InvalidParam {
            name: "n_trees",
            ..
        })
    ));
}

#[test]
fn check_input_reports_width_and_non_finite_values() {
    let forest = fit(
        &IsolationForestParams::default(),
        Matrix::new(&[1.0, 2.0, 3.0, 4.0], 2).expect("matrix"),
    )
    .expect("fit");
    assert_eq!(forest.n_features(), 2);
    let narrow = Matrix::new(&[1.0, 2.0, 3.0], 3).expect("matrix");
    assert_eq!(
        forest.check_input(narrow),
        Err(IsolationForestError::DimensionMismatch {
            expected: 2,
            found: 3
        })
    );
    let nan = Matrix::new(&[0.0, f64::NAN], 2).expect("matrix");
    assert_eq!(
        forest.check_input(nan),
        Err(IsolationForestError::NonFinite { row: 0, col: 1 })
    );
    let fine = Matrix::new(&[0.0, 1.0], 2).expect("matrix");
    assert_eq!(forest.check_input(fine), Ok(()));
}

#[test]
#[should_panic(expected = "row width differs")]
fn score_panics_on_wrong_width() {
    let forest = fit(
        &IsolationForestParams::default(),
        Matrix::new(&[1.0, 2.0], 2).expect("matrix"),
    )
    .expect("fit");
    forest.score(&[1.0]);
}

/// Finite values spanning tiny to huge magnitudes, with many duplicates.
fn finite_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-3i32..3).prop_map(f64::from),
        -1e3..1e3f64,
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scores_are_finite_and_in_unit_interval(
        n_cols in 1usize..5,
        values in prop::collection::vec(finite_value(), 1..120),
        sample_size in 1usize..300,
        seed in any::<u64>(),
    ) {
        let n_rows = values.len() / n_cols;
        prop_assume!(n_rows > 0);
        let data = &values[..n_rows * n_cols];
        let params = IsolationForestParams::default().n_trees(10).sample_size(sample_size).seed(seed);
        let scores = fit_scores(&params, data, n_cols);
        prop_assert_eq!(scores.len(), n_rows);
        for score in scores {
            prop_assert!((0.0..=1.0).contains(&score), "score {}", score);
        }
    }
}

/// The linfa route fits the same forest and gives the very same scores, bit for bit.
#[test]
fn linfa_traits_give_bit_identical_scores() {
    use linfa::prelude::*;

    let data = inliers_and_outlier();
    let params = IsolationForestParams::default().seed(5).n_trees(50);
    let direct = fit_scores(&params, &data, 2);
    let records = ndarray::Array2::from_shape_vec((data.len() / 2, 2), data).unwrap();
    let forest = params.fit(&DatasetBase::from(records.clone())).unwrap();
    let through_linfa = forest.predict(&records);
    assert_eq!(bits(&direct), bits(through_linfa.as_slice().unwrap()));
    // Column-major records are read by row all the same.
    let transposed = records.t().to_owned();
    let column_major = transposed.t();
    assert_eq!(
        bits(forest.predict(&column_major).as_slice().unwrap()),
        bits(&direct)
    );
    let invalid = IsolationForestParams::default().n_trees(0);
    assert!(matches!(
        invalid.fit(&DatasetBase::from(records)),
        Err(IsolationForestError::InvalidParam {
            name: "n_trees",
            ..
        })
    ));
}

/// 400 rows uniform in the unit cube, then the rows of `extra` (three features each).
fn cube_with(extra: &[[f64; 3]]) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let mut data: Vec<f64> = (0..1200)
        .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    data.extend(extra.iter().flatten());
    data
}

#[test]
fn attribution_names_the_one_feature_that_makes_a_row_anomalous() {
    // Ordinary on features 0 and 2 (the middle of the cube), far out on feature 1 only.
    let data = cube_with(&[[0.5, 6.0, 0.5]]);
    let matrix = Matrix::new(&data, 3).unwrap();
    let forest = fit(&IsolationForestParams::default().seed(3), matrix).unwrap();
    let anomaly = forest.attribution(matrix.row(400));
    let shares = anomaly.shares();
    assert!(shares[1] > 0.8, "feature 1 should dominate: {shares:?}");
    assert!(shares[0] < 0.1 && shares[2] < 0.1, "{shares:?}");
    assert_eq!(anomaly.ranked()[0].0, 1);
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(anomaly.score > 0.6, "{}", anomaly.score);
}

#[test]
fn attribution_splits_between_the_features_that_are_both_unusual() {
    let data = cube_with(&[[6.0, 6.0, 0.5]]);
    let matrix = Matrix::new(&data, 3).unwrap();
    let forest = fit(&IsolationForestParams::default().seed(5), matrix).unwrap();
    let shares = forest.attribution(matrix.row(400)).shares();
    assert!(shares[0] > 0.3 && shares[1] > 0.3, "{shares:?}");
    assert!(shares[2] < 0.1, "{shares:?}");
}

#[test]
fn attribution_adds_up_to_the_path_shortening_and_agrees_with_the_score() {
    let data = cube_with(&[[0.5, 6.0, 0.5], [3.0, 0.2, 0.9]]);
    let matrix = Matrix::new(&data, 3).unwrap();
    let forest = fit(&IsolationForestParams::default().seed(11), matrix).unwrap();
    let mut inlier_totals = 0.0;
    for index in 0..matrix.n_rows() {
        let row = matrix.row(index);
        let attribution = forest.attribution(row);
        let total: f64 = attribution.per_feature.iter().sum();
        let shortening = attribution.expected_path_length - attribution.path_length;
        assert!(
            (total - shortening).abs() < 1e-9,
            "row {index}: {total} vs {shortening}"
        );
        // The same walk as scoring: the same score, bit for bit.
        assert_eq!(attribution.score.to_bits(), forest.score(row).to_bits());
        // Positive shortening exactly when the score is above one half.
        assert_eq!(shortening > 0.0, attribution.score > 0.5, "row {index}");
        if index < 400 {
            inlier_totals += total;
        }
    }
    // Ordinary rows, on average, are not isolated early.
    assert!(inlier_totals / 400.0 < 0.0, "{inlier_totals}");
    // Deterministic: the same model explains the same row the same way.
    assert_eq!(
        forest.attribution(matrix.row(401)),
        forest.attribution(matrix.row(401))
    );
}

#[test]
fn attribution_of_an_unstructured_forest_is_empty() {
    // A constant dataset cannot be split: every row is as ordinary as any other.
    let data = vec![1.0; 40];
    let matrix = Matrix::new(&data, 2).unwrap();
    let forest = fit(&IsolationForestParams::default(), matrix).unwrap();
    let attribution = forest.attribution(&[1.0, 1.0]);
    assert_eq!(attribution.per_feature, vec![0.0, 0.0]);
    assert_eq!(attribution.shares(), vec![0.0, 0.0]);
    assert!(attribution.ranked().is_empty());
}
