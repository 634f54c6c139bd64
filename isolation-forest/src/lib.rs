//! Isolation Forest (Liu, Ting & Zhou, 2008, "Isolation Forest", ICDM).
//!
//! ```
//! use isolation_forest::{IsolationForestParams, Matrix, fit};
//!
//! // Five rows of two features, row-major: four close together and one far away.
//! let rows = [0.0, 0.1, 0.1, 0.0, 0.05, 0.05, 0.1, 0.1, 8.0, 9.0];
//! let data = Matrix::new(&rows, 2).unwrap();
//! let forest = fit(&IsolationForestParams::default().seed(7), data).unwrap();
//! let scores = forest.score_many(data);
//! assert!(scores[4] > scores[0]); // higher is more anomalous, in [0, 1]
//! ```
//!
//! With the `linfa` feature the same forest is fitted and scored through linfa's traits
//! ([`ParamGuard`](::linfa::param_guard::ParamGuard), `Fit` on a `DatasetBase` of an
//! `ndarray` 2-D array, `PredictInplace`), with bit-identical scores.
//!
//! # Purpose
//! Unsupervised anomaly scoring of numeric feature vectors: learns what
//! "ordinary" looks like from unlabelled rows and scores how easy each row is
//! to separate from the rest. In Sky Trace it scores login events once they
//! have been turned into numbers; it needs no labels and no distance metric.
//!
//! # Algorithm
//! * Fit: each of `t` trees draws ψ rows without replacement (ψ = min(256,
//!   rows) by default) and splits them recursively: pick an attribute
//!   uniformly at random among those not constant in the node, pick a
//!   threshold uniformly in [min, max) of that attribute over the node's rows,
//!   send `<= threshold` left. A node becomes a leaf when it holds one row,
//!   all its rows are identical, or it reaches the height limit ceil(log2 ψ).
//! * Score: h(x) is the number of edges from the root to x's leaf plus
//!   c(leaf size), the expected depth of the unbuilt subtree below a leaf.
//!   s(x) = 2^(−E[h(x)] / c(ψ)) over the trees, in [0, 1]: close to 1 means
//!   few random cuts isolate x (anomalous), well below 0.5 means normal.
//! * Trees are flat node arrays (16-byte nodes, children adjacent); scoring
//!   runs blocks of rows through one tree at a time to keep it in cache.
//! * Deterministic: tree `i` uses the seeded Xoshiro256++ stream jumped `i`
//!   times, so fitted models and scores are bit-identical for a given seed,
//!   whatever the thread count and with or without the `parallel` feature
//!   (rayon over trees when fitting, over row blocks when scoring).
//!
//! # Explaining a score
//! [`IsolationForest::attribution`] splits a row's path length between the features that
//! isolated it: at each split on the row's path, the feature is credited with how much the split
//! shortened the expected rest of the path (c(n) before, 1 + c(n′) after, n and n′ the rows of
//! the sub-sample in the node and in the child the row moves to). The credits add up to
//! c(ψ) − E[h(x)], positive exactly when s(x) > 0.5, so each feature's share of the positive
//! credit reads as "anomalous mainly because of this feature" ([`Attribution`] has the details).
//!
//! ```
//! use isolation_forest::{IsolationForestParams, Matrix, fit};
//!
//! // Ordinary rows on a line; the last one is ordinary on feature 0 but far out on feature 1.
//! let mut rows: Vec<f64> = (0..200).flat_map(|i| [f64::from(i % 20) / 20.0, f64::from(i % 7) / 7.0]).collect();
//! rows.extend([0.5, 40.0]);
//! let data = Matrix::new(&rows, 2).unwrap();
//! let forest = fit(&IsolationForestParams::default().seed(1), data).unwrap();
//! let why = forest.attribution(data.row(200));
//! assert_eq!(why.ranked()[0].0, 1); // feature 1 made it easy to isolate
//! ```
//!
//! # Signals
//! Any finite numeric feature matrix, passed as a row-major [`Matrix`] view
//! over a flat `&[f64]`. Features need no scaling: splits only compare values
//! within one attribute. Categorical data must be encoded numerically first.
//!
//! # Known false positives and limits
//! * Rare but legitimate behaviour (a first login from a new country, a new
//!   device, a traveller) is isolated as quickly as an attack: the score
//!   measures rarity, not maliciousness.
//! * Cuts are axis-parallel, so scores form bands along the axes: a point in
//!   empty space that lines up with a cluster on one attribute can score lower
//!   than its rarity suggests (Hariri et al., 2019, Extended Isolation Forest).
//! * Dense groups of anomalies can mask each other, and anomalies close to
//!   normal clusters are swamped (§3 of the paper); sub-sampling only partly
//!   helps.
//! * Irrelevant or noisy attributes dilute the score, since each split
//!   attribute is chosen uniformly; select features beforehand.
//! * Scores are relative to the training data; there is no calibrated
//!   threshold, and a constant dataset scores 0.5 everywhere.
//! * Inputs must be finite: NaN and infinities are rejected at fit time
//!   ([`IsolationForest::check_input`] checks rows to be scored).
//! * Unlike scikit-learn, a feature counts as constant in a node only when its
//!   range there is exactly zero (scikit-learn uses a 1e-7 tolerance), and
//!   values are compared as `f64`, not cast to `f32`.

mod errors;
#[cfg(feature = "linfa")]
mod linfa_traits;
mod model;
mod params;

pub use errors::IsolationForestError;
pub use model::{Attribution, IsolationForest, Matrix, average_path_length, fit};
pub use params::{
    DEFAULT_N_TREES, DEFAULT_SAMPLE_SIZE, IsolationForestParams, IsolationForestValidParams,
    MAX_SAMPLE_SIZE,
};

#[cfg(test)]
mod tests;
