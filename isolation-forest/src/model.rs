//! Input view, tree construction and scoring.

use std::collections::BTreeSet;

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
#[cfg(feature = "parallel")]
use rayon::prelude::*;

use super::errors::IsolationForestError;
use super::params::{IsolationForestParams, IsolationForestValidParams};

/// Euler–Mascheroni constant γ, used in the harmonic-number approximation.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Rows scored against one tree before moving to the next in
/// [`IsolationForest::score_many`], so the tree stays in cache.
const SCORE_BLOCK_ROWS: usize = 512;

/// Rows advanced through a tree in lockstep by `score_block`, so their
/// independent node loads overlap instead of waiting on one another.
const SCORE_LANES: usize = 8;

/// 2^-53: scales the top 53 random bits to a uniform `f64` in [0, 1).
const UNIT_INTERVAL_SCALE: f64 = 1.0 / (1u64 << 53) as f64;

/// Borrowed row-major matrix: row `i` is `data[i * n_cols..(i + 1) * n_cols]`.
///
/// A flat slice keeps rows contiguous (no per-row allocation or pointer
/// chasing), lets callers pass buffers they already own without copying, and
/// splits into row blocks for parallel scoring with plain slice chunking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix<'a> {
    data: &'a [f64],
    n_cols: usize,
}

impl<'a> Matrix<'a> {
    /// Views `data` as rows of `n_cols` values.
    ///
    /// Fails with [`IsolationForestError::RaggedRows`] when `n_cols` is zero or
    /// does not divide `data.len()`. Values are not inspected here.
    pub fn new(data: &'a [f64], n_cols: usize) -> Result<Self, IsolationForestError> {
        if n_cols == 0 || !data.len().is_multiple_of(n_cols) {
            return Err(IsolationForestError::RaggedRows {
                len: data.len(),
                n_cols,
            });
        }
        Ok(Self { data, n_cols })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.data.len() / self.n_cols
    }

    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `index`; panics when out of range, like slice indexing.
    pub fn row(&self, index: usize) -> &'a [f64] {
        &self.data[index * self.n_cols..(index + 1) * self.n_cols]
    }

    /// The underlying row-major buffer.
    pub fn as_slice(&self) -> &'a [f64] {
        self.data
    }

    fn check_finite(&self) -> Result<(), IsolationForestError> {
        match self.data.iter().position(|value| !value.is_finite()) {
            Some(position) => Err(IsolationForestError::NonFinite {
                row: position / self.n_cols,
                col: position % self.n_cols,
            }),
            None => Ok(()),
        }
    }
}

/// Average path length of an unsuccessful binary-search-tree search among `n`
/// points, c(n) in Liu et al. (2008), Eq. 1, with scikit-learn's conventions:
/// c(0) = c(1) = 0, c(2) = 1, otherwise 2·H(n−1) − 2(n−1)/n with
/// H(i) ≈ ln(i) + γ.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// One node of a flattened tree (16 bytes, four per cache line).
///
/// A leaf has an infinite threshold and is its own left child, so once a
/// traversal reaches it, it stays: scoring takes exactly `Tree::depth` steps
/// with no leaf test, a loop the CPU predicts perfectly.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Node {
    /// `x[feature] <= threshold` goes left; +∞ at leaves.
    threshold: f64,
    feature: u32,
    /// Index of the left child; the right child is always `left + 1`.
    left: u32,
}

impl Node {
    fn leaf(index: usize) -> Self {
        Self {
            threshold: f64::INFINITY,
            feature: 0,
            left: index as u32,
        }
    }

    fn is_leaf(&self) -> bool {
        self.threshold == f64::INFINITY
    }

    /// The child `row` moves to; a NaN value (only possible in unchecked rows)
    /// deterministically goes left.
    fn next(&self, row: &[f64]) -> usize {
        self.left as usize + usize::from(row[self.feature as usize] > self.threshold)
    }
}

/// An isolation tree stored as a flat node array; the root is node 0.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tree {
    nodes: Vec<Node>,
    /// Per node; at leaves, h = leaf depth + c(leaf size), precomputed.
    path_lengths: Vec<f64>,
    /// Depth of the deepest leaf, in edges.
    depth: usize,
    /// Per node, how many rows of the tree's sub-sample reached it (for attribution).
    sizes: Vec<u32>,
}

impl Tree {
    /// h(x): edges from the root to x's leaf plus c(leaf size).
    fn path_length(&self, row: &[f64]) -> f64 {
        let mut index = 0;
        for _ in 0..self.depth {
            index = self.nodes[index].next(row);
        }
        self.path_lengths[index]
    }

    /// Adds to `credit[f]` the path shortening of each split on feature `f` along `row`'s path:
    /// at a node of n rows, from which `row` moves to a child of n' rows, the expected length of
    /// the rest of the path falls from c(n) to 1 + c(n'); the difference is the split's credit
    /// (negative when `row` followed the crowd). Summed along the path the credits telescope to
    /// c(ψ) − h(x). Returns h(x).
    fn add_attribution(&self, row: &[f64], credit: &mut [f64]) -> f64 {
        let mut index = 0;
        while !self.nodes[index].is_leaf() {
            let node = self.nodes[index];
            let child = node.next(row);
            let before = average_path_length(self.sizes[index] as usize);
            let after = 1.0 + average_path_length(self.sizes[child] as usize);
            credit[node.feature as usize] += before - after;
            index = child;
        }
        self.path_lengths[index]
    }

    /// Adds h(x) of each of the `SCORE_LANES` rows in `rows` to `sums`,
    /// moving all rows down one level at a time.
    fn add_lane_path_lengths(&self, rows: &[f64], n_features: usize, sums: &mut [f64]) {
        let mut indices = [0usize; SCORE_LANES];
        for _ in 0..self.depth {
            for (lane, index) in indices.iter_mut().enumerate() {
                *index = self.nodes[*index].next(&rows[lane * n_features..]);
            }
        }
        for (sum, index) in sums.iter_mut().zip(indices) {
            *sum += self.path_lengths[index];
        }
    }
}

/// A fitted isolation forest.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IsolationForest {
    trees: Vec<Tree>,
    n_features: usize,
    sample_size: usize,
    /// c(ψ), the normaliser of the anomaly score.
    normaliser: f64,
}

/// How much each feature shortened a row's isolation path, averaged over the trees.
///
/// **Method** (path-length attribution). Walking a row down a tree, each split node holds n rows
/// of the tree's sub-sample and sends the row to a child holding n′ of them. Before the split the
/// expected length of the rest of the path is c(n), the average path length of an unsuccessful
/// search among n points (Liu et al. 2008, Eq. 1); after it, 1 + c(n′). The difference
/// c(n) − 1 − c(n′) is credited to the node's split feature: large when the split cut the row off
/// from most of the node (n′ ≪ n), negative when the row stayed with the crowd. Along a path the
/// credits telescope to c(ψ) − h(x), so over the forest
///
/// Σ_f `per_feature[f]` = c(ψ) − E[h(x)] = `expected_path_length` − `path_length`,
///
/// which is positive exactly when the score s(x) = 2^(−E[h(x)] / c(ψ)) is above 0.5. A feature's
/// positive credit, as a share of all positive credit ([`Self::shares`]), says how much of the
/// row's early isolation that feature caused. It is exact for the fitted trees (no sampling, no
/// retraining) and costs one more walk down each tree. Like the score, it measures rarity in the
/// training data, not maliciousness.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Per feature, the mean path shortening its splits caused (may be negative).
    pub per_feature: Vec<f64>,
    /// c(ψ): the mean path length of an ordinary row.
    pub expected_path_length: f64,
    /// E[h(x)]: this row's mean path length.
    pub path_length: f64,
    /// The row's anomaly score s(x), as [`IsolationForest::score`] gives it.
    pub score: f64,
}

impl Attribution {
    /// Each feature's share of the positive credit (summing to 1), or all zeros when no
    /// feature shortened the path.
    pub fn shares(&self) -> Vec<f64> {
        let positive: f64 = self.per_feature.iter().map(|credit| credit.max(0.0)).sum();
        self.per_feature
            .iter()
            .map(|credit| {
                if positive > 0.0 {
                    credit.max(0.0) / positive
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Feature indices with a positive share, largest first (ties by index), with their shares.
    pub fn ranked(&self) -> Vec<(usize, f64)> {
        let mut ranked: Vec<(usize, f64)> = self
            .shares()
            .into_iter()
            .enumerate()
            .filter(|(_, share)| *share > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }
}

/// Fits an isolation forest on every row of `data`.
///
/// Validates `params` first, then rejects empty or non-finite data. Each tree
/// draws its own sub-sample of min(ψ, rows) rows without replacement from its
/// own random stream, so the result depends only on `params` and `data`, never
/// on thread scheduling.
pub fn fit(
    params: &IsolationForestParams,
    data: Matrix<'_>,
) -> Result<IsolationForest, IsolationForestError> {
    params.check_ref()?.fit(data)
}

impl IsolationForestValidParams {
    /// Fits a forest to `data` (see [`fit`]).
    pub fn fit(&self, data: Matrix<'_>) -> Result<IsolationForest, IsolationForestError> {
        fit_checked(self, data)
    }
}

fn fit_checked(
    params: &IsolationForestValidParams,
    data: Matrix<'_>,
) -> Result<IsolationForest, IsolationForestError> {
    if data.n_rows() == 0 {
        return Err(IsolationForestError::EmptyData);
    }
    if u32::try_from(data.n_cols()).is_err() {
        return Err(IsolationForestError::TooManyFeatures {
            n_cols: data.n_cols(),
        });
    }
    data.check_finite()?;

    let sample_size = params.sample_size().min(data.n_rows());
    let height_limit = params
        .max_height()
        .unwrap_or_else(|| default_height_limit(sample_size));
    let build = |rng| build_tree(data, sample_size, height_limit, rng);

    let streams = tree_streams(params.seed(), params.n_trees());
    #[cfg(feature = "parallel")]
    let trees = streams.into_par_iter().map(build).collect();
    #[cfg(not(feature = "parallel"))]
    let trees = streams.into_iter().map(build).collect();

    Ok(IsolationForest {
        trees,
        n_features: data.n_cols(),
        sample_size,
        normaliser: average_path_length(sample_size),
    })
}

impl IsolationForest {
    /// Number of features the model was fitted on; scored rows must match.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Effective sub-sample size ψ = min(`sample_size`, rows at fit time).
    pub fn sample_size(&self) -> usize {
        self.sample_size
    }

    /// Checks that `data` can be scored meaningfully: right width, all finite.
    pub fn check_input(&self, data: Matrix<'_>) -> Result<(), IsolationForestError> {
        if data.n_cols() != self.n_features {
            return Err(IsolationForestError::DimensionMismatch {
                expected: self.n_features,
                found: data.n_cols(),
            });
        }
        data.check_finite()
    }

    /// Anomaly score s(x) = 2^(−E[h(x)] / c(ψ)) in [0, 1]; higher is more
    /// anomalous. Scores near 1 are anomalies, scores well below 0.5 are
    /// normal; 0.5 everywhere means the data had no structure to isolate
    /// (also returned when ψ = 1, where c(ψ) = 0).
    ///
    /// # Panics
    /// When `row.len() != self.n_features()`.
    pub fn score(&self, row: &[f64]) -> f64 {
        assert_eq!(
            row.len(),
            self.n_features,
            "row width differs from the fitted width"
        );
        let path_length_sum = self
            .trees
            .iter()
            .fold(0.0, |sum, tree| sum + tree.path_length(row));
        self.score_from_path_length_sum(path_length_sum)
    }

    /// Scores every row of `data`; element `i` equals `self.score(data.row(i))`
    /// bit for bit, with or without the `parallel` feature.
    ///
    /// # Panics
    /// When `data.n_cols() != self.n_features()`.
    pub fn score_many(&self, data: Matrix<'_>) -> Vec<f64> {
        assert_eq!(
            data.n_cols(),
            self.n_features,
            "data width differs from the fitted width"
        );
        let mut scores = vec![0.0; data.n_rows()];
        let block_len = SCORE_BLOCK_ROWS * self.n_features;
        #[cfg(feature = "parallel")]
        scores
            .par_chunks_mut(SCORE_BLOCK_ROWS)
            .zip(data.as_slice().par_chunks(block_len))
            .for_each(|(block_scores, block_rows)| self.score_block(block_rows, block_scores));
        #[cfg(not(feature = "parallel"))]
        scores
            .chunks_mut(SCORE_BLOCK_ROWS)
            .zip(data.as_slice().chunks(block_len))
            .for_each(|(block_scores, block_rows)| self.score_block(block_rows, block_scores));
        scores
    }

    /// Scores a block of rows into zero-initialised `scores`, tree by tree.
    /// Each row's sum is accumulated in tree order, exactly as in `score`.
    fn score_block(&self, rows: &[f64], scores: &mut [f64]) {
        let lane_len = SCORE_LANES * self.n_features;
        let n_lane_rows = scores.len() - scores.len() % SCORE_LANES;
        let (lane_scores, rest_scores) = scores.split_at_mut(n_lane_rows);
        let (lane_rows, rest_rows) = rows.split_at(n_lane_rows * self.n_features);
        for tree in &self.trees {
            for (sums, rows) in lane_scores
                .chunks_exact_mut(SCORE_LANES)
                .zip(lane_rows.chunks_exact(lane_len))
            {
                tree.add_lane_path_lengths(rows, self.n_features, sums);
            }
            for (sum, row) in rest_scores
                .iter_mut()
                .zip(rest_rows.chunks_exact(self.n_features))
            {
                *sum += tree.path_length(row);
            }
        }
        for score in scores.iter_mut() {
            *score = self.score_from_path_length_sum(*score);
        }
    }

    /// Which features made `row` easy (or hard) to isolate: a per-feature split of the path
    /// length, averaged over the trees (see [`Attribution`]).
    ///
    /// # Panics
    /// When `row.len() != self.n_features()`.
    pub fn attribution(&self, row: &[f64]) -> Attribution {
        assert_eq!(
            row.len(),
            self.n_features,
            "row width differs from the fitted width"
        );
        let mut credit = vec![0.0; self.n_features];
        let path_length_sum = self.trees.iter().fold(0.0, |sum, tree| {
            sum + tree.add_attribution(row, &mut credit)
        });
        let trees = self.trees.len() as f64;
        for value in &mut credit {
            *value /= trees;
        }
        Attribution {
            per_feature: credit,
            expected_path_length: self.normaliser,
            path_length: path_length_sum / trees,
            score: self.score_from_path_length_sum(path_length_sum),
        }
    }

    fn score_from_path_length_sum(&self, path_length_sum: f64) -> f64 {
        if self.normaliser == 0.0 {
            return 0.5;
        }
        let mean_path_length = path_length_sum / self.trees.len() as f64;
        (-mean_path_length / self.normaliser).exp2()
    }
}

/// ceil(log2 ψ) with ψ raised to at least 2, as scikit-learn does.
fn default_height_limit(sample_size: usize) -> usize {
    sample_size.max(2).next_power_of_two().trailing_zeros() as usize
}

/// One independent random stream per tree: stream `t` is the seeded generator
/// advanced by `t` jumps of 2^128 steps, so streams never overlap.
fn tree_streams(seed: u64, n_trees: usize) -> Vec<Xoshiro256PlusPlus> {
    let mut stream = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n_trees)
        .map(|_| {
            let current = stream.clone();
            stream.jump();
            current
        })
        .collect()
}

/// Uniform integer in `0..bound` (`bound > 0`), unbiased (Lemire's
/// multiply-and-reject method).
fn uniform_below(rng: &mut Xoshiro256PlusPlus, bound: usize) -> usize {
    let bound = bound as u64;
    let rejection_threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(bound);
        if product as u64 >= rejection_threshold {
            // The high half is below `bound`, which came from a usize.
            return (product >> 64) as usize;
        }
    }
}

/// Uniform `f64` in [0, 1).
fn unit_interval(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (rng.next_u64() >> 11) as f64 * UNIT_INTERVAL_SCALE
}

/// Sorted indices of `sample_size` distinct rows out of `n_rows`, uniformly
/// (Floyd's algorithm: O(ψ log ψ), independent of `n_rows`).
fn sample_without_replacement(
    n_rows: usize,
    sample_size: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<usize> {
    if sample_size == n_rows {
        return (0..n_rows).collect();
    }
    let mut chosen = BTreeSet::new();
    for upper in n_rows - sample_size..n_rows {
        let candidate = uniform_below(rng, upper + 1);
        if !chosen.insert(candidate) {
            chosen.insert(upper);
        }
    }
    chosen.into_iter().collect()
}

/// A node waiting to be split: its sub-sample is `members[start..end]`.
struct PendingNode {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
}

/// iTree(X, e, l) of Liu et al. (2008), Algorithm 2, built iteratively into a
/// flat node array (no recursion, so no stack limit on deep trees).
fn build_tree(
    data: Matrix<'_>,
    sample_size: usize,
    height_limit: usize,
    mut rng: Xoshiro256PlusPlus,
) -> Tree {
    let n_cols = data.n_cols();
    // Copy the sub-sample into a small contiguous buffer that stays in cache.
    let mut sample = Vec::with_capacity(sample_size * n_cols);
    for row in sample_without_replacement(data.n_rows(), sample_size, &mut rng) {
        sample.extend_from_slice(data.row(row));
    }
    let value = |member: u32, feature: u32| sample[member as usize * n_cols + feature as usize];

    // Fit guarantees sample_size ≤ 2^31 and n_cols < u32::MAX.
    let mut members: Vec<u32> = (0..sample_size as u32).collect();
    let mut feature_order: Vec<u32> = (0..n_cols as u32).collect();
    let mut nodes = vec![Node::leaf(0)];
    let mut path_lengths = vec![0.0];
    let mut sizes = vec![0u32];
    let mut tree_depth = 0;
    let mut pending = vec![PendingNode {
        node: 0,
        start: 0,
        end: sample_size,
        depth: 0,
    }];

    while let Some(PendingNode {
        node,
        start,
        end,
        depth,
    }) = pending.pop()
    {
        let node_members = &mut members[start..end];
        sizes[node] = node_members.len() as u32;
        let split = if depth < height_limit && node_members.len() > 1 {
            choose_split(node_members, &mut feature_order, &value, &mut rng)
        } else {
            None
        };
        let Some((feature, threshold)) = split else {
            nodes[node] = Node::leaf(node);
            path_lengths[node] = depth as f64 + average_path_length(node_members.len());
            tree_depth = tree_depth.max(depth);
            continue;
        };

        let n_left = partition(node_members, |member| value(member, feature) <= threshold);
        let left = nodes.len();
        nodes[node] = Node {
            threshold,
            feature,
            left: left as u32,
        };
        nodes.extend([Node::leaf(left), Node::leaf(left + 1)]);
        path_lengths.extend([0.0, 0.0]);
        sizes.extend([0, 0]);
        pending.push(PendingNode {
            node: left + 1,
            start: start + n_left,
            end,
            depth: depth + 1,
        });
        pending.push(PendingNode {
            node: left,
            start,
            end: start + n_left,
            depth: depth + 1,
        });
    }
    Tree {
        nodes,
        path_lengths,
        depth: tree_depth,
        sizes,
    }
}

/// Picks the split of a node, or `None` when every attribute is constant on
/// its members (the node then becomes a leaf).
///
/// Attributes are drawn uniformly without replacement until one is not
/// constant, so the chosen attribute is uniform among the non-constant ones.
/// This is what scikit-learn's ExtraTree random splitter does with
/// `max_features=1`, minus its 1e-7 tolerance: here only an exactly zero
/// range counts as constant. The threshold is uniform in [min, max), and
/// `<= threshold` goes left, so both children are non-empty.
fn choose_split(
    node_members: &[u32],
    feature_order: &mut [u32],
    value: &impl Fn(u32, u32) -> f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Option<(u32, f64)> {
    let n_features = feature_order.len();
    for drawn in 0..n_features {
        let pick = drawn + uniform_below(rng, n_features - drawn);
        feature_order.swap(drawn, pick);
        let feature = feature_order[drawn];
        let (min, max) = node_members
            .iter()
            .map(|&member| value(member, feature))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), x| {
                (min.min(x), max.max(x))
            });
        if min < max {
            return Some((feature, split_threshold(min, max, rng)));
        }
    }
    None
}

/// Uniform threshold in [min, max) for finite `min < max`.
fn split_threshold(min: f64, max: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
    let fraction = unit_interval(rng);
    let span = max - min;
    let threshold = if span.is_finite() {
        min + fraction * span
    } else {
        // The span overflows only for near-f64::MAX magnitudes of opposite sign.
        min * (1.0 - fraction) + max * fraction
    };
    // Rounding can land on max (which would send every member left);
    // scikit-learn falls back to min in that case, and so do we.
    if threshold >= min && threshold < max {
        threshold
    } else {
        min
    }
}

/// Moves members satisfying `goes_left` to the front; returns how many did.
fn partition(node_members: &mut [u32], goes_left: impl Fn(u32) -> bool) -> usize {
    let mut n_left = 0;
    for index in 0..node_members.len() {
        if goes_left(node_members[index]) {
            node_members.swap(n_left, index);
            n_left += 1;
        }
    }
    n_left
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(data: &[f64], n_cols: usize) -> Matrix<'_> {
        Matrix::new(data, n_cols).expect("well-formed test matrix")
    }

    #[test]
    fn average_path_length_matches_reference_values() {
        // Reference values from the same formula evaluated in Python (math.log).
        let expected = [
            (0, 0.0),
            (1, 0.0),
            (2, 1.0),
            (3, 1.207_392_357_589_623),
            (4, 1.851_655_907_139_285_5),
            (10, 3.748_880_484_475_505),
            (100, 8.364_671_030_072_245),
            (256, 10.244_770_920_119_917),
            (1000, 12.969_940_887_100_174),
            (11183, 17.798_731_415_862_772),
        ];
        for (n, reference) in expected {
            let computed = average_path_length(n);
            assert!(
                (computed - reference).abs() < 1e-12,
                "c({n}) = {computed}, expected {reference}"
            );
        }
    }

    #[test]
    fn default_height_limit_is_ceil_log2() {
        let expected = [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (255, 8),
            (256, 8),
            (257, 9),
        ];
        for (sample_size, height) in expected {
            assert_eq!(
                default_height_limit(sample_size),
                height,
                "ψ = {sample_size}"
            );
        }
    }

    #[test]
    fn matrix_rejects_ragged_and_zero_width() {
        assert_eq!(
            Matrix::new(&[1.0, 2.0, 3.0], 2),
            Err(IsolationForestError::RaggedRows { len: 3, n_cols: 2 })
        );
        assert_eq!(
            Matrix::new(&[], 0),
            Err(IsolationForestError::RaggedRows { len: 0, n_cols: 0 })
        );
        let view = matrix(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3);
        assert_eq!(view.n_rows(), 2);
        assert_eq!(view.row(1), &[4.0, 5.0, 6.0]);
    }

    #[test]
    fn uniform_below_stays_in_range_and_covers_it() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[uniform_below(&mut rng, 7)] += 1;
        }
        for count in counts {
            assert!((9_000..11_000).contains(&count), "counts {counts:?}");
        }
    }

    #[test]
    fn sampling_is_without_replacement_and_uniform() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (n_rows, sample_size, draws) = (20, 5, 20_000);
        let mut hits = vec![0usize; n_rows];
        for _ in 0..draws {
            let sample = sample_without_replacement(n_rows, sample_size, &mut rng);
            assert_eq!(sample.len(), sample_size);
            assert!(
                sample.windows(2).all(|pair| pair[0] < pair[1]),
                "{sample:?}"
            );
            assert!(sample.iter().all(|&row| row < n_rows));
            for row in sample {
                hits[row] += 1;
            }
        }
        // Each row is included with probability ψ/n = 0.25: 5000 expected, sd ≈ 61.
        for &count in &hits {
            assert!((4_700..5_300).contains(&count), "hits {hits:?}");
        }
    }

    #[test]
    fn split_threshold_stays_in_half_open_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let ranges = [
            (0.0, 1.0),
            (1.0, 1.0 + f64::EPSILON),
            (-f64::MAX, f64::MAX),
            (f64::MAX / 2.0, f64::MAX),
        ];
        for (min, max) in ranges {
            for _ in 0..1000 {
                let threshold = split_threshold(min, max, &mut rng);
                assert!(
                    min <= threshold && threshold < max,
                    "{threshold} outside [{min}, {max})"
                );
            }
        }
    }

    #[test]
    fn trees_are_well_formed() {
        let data: Vec<f64> = (0..300).map(|i| f64::from(i * 37 % 101)).collect();
        let data = matrix(&data, 3);
        let params = IsolationForestParams::default().n_trees(5).sample_size(64);
        let forest = fit(&params, data).expect("fit");
        for tree in &forest.trees {
            let leaves = tree.nodes.iter().filter(|node| node.is_leaf()).count();
            // A full binary tree has one more leaf than internal nodes.
            assert_eq!(tree.nodes.len(), 2 * leaves - 1);
            assert_eq!(tree.path_lengths.len(), tree.nodes.len());
            // The height limit is ceil(log2 64) = 6.
            assert!(tree.depth <= 6);
            for (index, node) in tree.nodes.iter().enumerate() {
                if node.is_leaf() {
                    assert_eq!(node.left as usize, index, "a leaf must be its own child");
                } else {
                    assert!((node.feature as usize) < 3);
                    assert!(node.left as usize > index);
                    assert!((node.left as usize + 1) < tree.nodes.len());
                }
            }
            for row in 0..data.n_rows() {
                let path_length = tree.path_length(data.row(row));
                assert!((1.0..=6.0 + average_path_length(64)).contains(&path_length));
            }
        }
    }

    #[test]
    fn fitted_trees_equal_sequentially_built_trees() {
        let data: Vec<f64> = (0..2000).map(|i| f64::from(i * 7919 % 1009)).collect();
        let data = matrix(&data, 4);
        let params = IsolationForestParams::default()
            .n_trees(16)
            .sample_size(100)
            .seed(11);
        let forest = fit(&params, data).expect("fit");
        let sequential: Vec<Tree> = tree_streams(11, 16)
            .into_iter()
            .map(|rng| build_tree(data, 100, default_height_limit(100), rng))
            .collect();
        assert_eq!(forest.trees, sequential);
    }

    #[test]
    fn tree_streams_differ() {
        let mut streams = tree_streams(0, 3);
        let firsts: Vec<u64> = streams.iter_mut().map(|rng| rng.next_u64()).collect();
        assert_ne!(firsts[0], firsts[1]);
        assert_ne!(firsts[1], firsts[2]);
    }
}
