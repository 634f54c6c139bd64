//! Hyper-parameters, validated before fitting (linfa style).

use super::errors::IsolationForestError;

/// Largest accepted sub-sample size ψ: a tree over ψ points has up to 2ψ − 1
/// nodes, and child indices are stored as `u32`.
pub const MAX_SAMPLE_SIZE: usize = 1 << 31;

/// Checked hyper-parameters of an isolation forest: only [`IsolationForestParams::check`] (or
/// [`check_ref`](IsolationForestParams::check_ref)) makes them, so a fit never sees invalid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationForestValidParams {
    n_trees: usize,
    sample_size: usize,
    max_height: Option<usize>,
    seed: u64,
}

impl IsolationForestValidParams {
    /// Number of isolation trees `t`.
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }

    /// Sub-sample size ψ drawn without replacement for each tree (capped at the number of rows).
    pub fn sample_size(&self) -> usize {
        self.sample_size
    }

    /// Tree height limit in edges from the root; `None` for ceil(log2 ψ).
    pub fn max_height(&self) -> Option<usize> {
        self.max_height
    }

    /// Seed of the forest's random streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Hyper-parameters of an isolation forest, as set by the builder methods and not yet checked
/// (linfa's pattern: `params.check()` gives [`IsolationForestValidParams`]).
///
/// Defaults:
/// - `n_trees` 100: Liu, Ting & Zhou (2008), §4, observe path lengths converge well before
///   t = 100, which is also scikit-learn's `n_estimators` default.
/// - `sample_size` 256: Liu et al. (2008), §4 ("ψ = 2^8 ... is enough"), scikit-learn's
///   `max_samples="auto"`.
/// - `max_height` `None`: ceil(log2 ψ) (Liu et al. 2008, §4, Algorithm 1), with ψ at least 2 as
///   in scikit-learn, where ψ is the effective sample size.
/// - `seed` 0; equal seeds give bit-identical models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationForestParams(IsolationForestValidParams);

/// The default number of trees (see [`IsolationForestParams`]).
pub const DEFAULT_N_TREES: usize = 100;
/// The default sub-sample size ψ (see [`IsolationForestParams`]).
pub const DEFAULT_SAMPLE_SIZE: usize = 256;

impl Default for IsolationForestParams {
    fn default() -> Self {
        Self(IsolationForestValidParams {
            n_trees: DEFAULT_N_TREES,
            sample_size: DEFAULT_SAMPLE_SIZE,
            max_height: None,
            seed: 0,
        })
    }
}

impl IsolationForestParams {
    /// Sets the number of trees.
    #[must_use]
    pub fn n_trees(mut self, n_trees: usize) -> Self {
        self.0.n_trees = n_trees;
        self
    }

    /// Sets the per-tree sub-sample size ψ.
    #[must_use]
    pub fn sample_size(mut self, sample_size: usize) -> Self {
        self.0.sample_size = sample_size;
        self
    }

    /// Sets the height limit; `None` derives it from ψ.
    #[must_use]
    pub fn max_height(mut self, max_height: Option<usize>) -> Self {
        self.0.max_height = max_height;
        self
    }

    /// Sets the random seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The parameters, checked.
    pub fn check_ref(&self) -> Result<&IsolationForestValidParams, IsolationForestError> {
        let invalid = |name, reason| Err(IsolationForestError::InvalidParam { name, reason });
        let params = &self.0;
        if params.n_trees == 0 {
            return invalid("n_trees", "must be at least 1");
        }
        if params.sample_size == 0 {
            return invalid("sample_size", "must be at least 1");
        }
        if params.sample_size > MAX_SAMPLE_SIZE {
            return invalid("sample_size", "must be at most 2^31");
        }
        if params.max_height == Some(0) {
            return invalid("max_height", "must be at least 1 when set");
        }
        Ok(params)
    }

    /// The parameters, checked, by value.
    pub fn check(self) -> Result<IsolationForestValidParams, IsolationForestError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_param(params: &IsolationForestParams) -> Option<&'static str> {
        match params.check_ref() {
            Err(IsolationForestError::InvalidParam { name, .. }) => Some(name),
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn defaults_follow_the_paper() {
        let params = IsolationForestParams::default().check().unwrap();
        assert_eq!(params.n_trees(), 100);
        assert_eq!(params.sample_size(), 256);
        assert_eq!(params.max_height(), None);
        assert_eq!(params.seed(), 0);
    }

    #[test]
    fn setters_set_fields() {
        let params = IsolationForestParams::default()
            .n_trees(7)
            .sample_size(64)
            .max_height(Some(3))
            .seed(42)
            .check()
            .unwrap();
        assert_eq!(
            (
                params.n_trees(),
                params.sample_size(),
                params.max_height(),
                params.seed()
            ),
            (7, 64, Some(3), 42)
        );
    }

    #[test]
    fn check_rejects_bad_values() {
        let base = IsolationForestParams::default();
        assert_eq!(rejected_param(&base.clone().n_trees(0)), Some("n_trees"));
        assert_eq!(
            rejected_param(&base.clone().sample_size(0)),
            Some("sample_size")
        );
        assert_eq!(
            rejected_param(&base.clone().sample_size(MAX_SAMPLE_SIZE + 1)),
            Some("sample_size")
        );
        assert_eq!(
            rejected_param(&base.clone().max_height(Some(0))),
            Some("max_height")
        );
    }

    #[test]
    fn check_accepts_boundary_values() {
        let base = IsolationForestParams::default();
        assert_eq!(rejected_param(&base.clone().n_trees(1)), None);
        assert_eq!(rejected_param(&base.clone().sample_size(1)), None);
        assert_eq!(
            rejected_param(&base.clone().sample_size(MAX_SAMPLE_SIZE)),
            None
        );
        assert_eq!(rejected_param(&base.clone().max_height(Some(1))), None);
        assert_eq!(rejected_param(&base.max_height(Some(usize::MAX))), None);
    }
}
