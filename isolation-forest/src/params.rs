//! Hyper-parameters, validated before fitting (linfa style).

use super::errors::IsolationForestError;

/// Largest accepted sub-sample size ψ: a tree over ψ points has up to 2ψ − 1
/// nodes, and child indices are stored as `u32`.
pub const MAX_SAMPLE_SIZE: usize = 1 << 31;

/// Hyper-parameters of an isolation forest.
///
/// Fields are public so a configuration can be written as a literal; the
/// builder setters of the same names are provided for chaining. Either way,
/// [`check`](Self::check) (called by [`fit`](super::fit)) validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationForestParams {
    /// Number of isolation trees `t`. Default 100: Liu, Ting & Zhou (2008), §4,
    /// observe path lengths converge well before t = 100, which is also
    /// scikit-learn's `n_estimators` default.
    pub n_trees: usize,
    /// Sub-sample size ψ drawn without replacement for each tree; capped at the
    /// number of rows. Default 256: Liu et al. (2008), §4 ("ψ = 2^8 ... is
    /// enough"), scikit-learn's `max_samples="auto"`.
    pub sample_size: usize,
    /// Tree height limit `l`, counted in edges from the root. `None` uses
    /// ceil(log2 ψ) (Liu et al. 2008, §4, Algorithm 1), with ψ at least 2 as in
    /// scikit-learn, where ψ is the effective sample size.
    pub max_height: Option<usize>,
    /// Seed of the forest's random streams; equal seeds give bit-identical models.
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            sample_size: 256,
            max_height: None,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    /// Sets the number of trees.
    #[must_use]
    pub fn n_trees(mut self, n_trees: usize) -> Self {
        self.n_trees = n_trees;
        self
    }

    /// Sets the per-tree sub-sample size ψ.
    #[must_use]
    pub fn sample_size(mut self, sample_size: usize) -> Self {
        self.sample_size = sample_size;
        self
    }

    /// Sets the height limit; `None` derives it from ψ.
    #[must_use]
    pub fn max_height(mut self, max_height: Option<usize>) -> Self {
        self.max_height = max_height;
        self
    }

    /// Sets the random seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates the parameters.
    pub fn check(&self) -> Result<(), IsolationForestError> {
        let invalid = |name, reason| Err(IsolationForestError::InvalidParam { name, reason });
        if self.n_trees == 0 {
            return invalid("n_trees", "must be at least 1");
        }
        if self.sample_size == 0 {
            return invalid("sample_size", "must be at least 1");
        }
        if self.sample_size > MAX_SAMPLE_SIZE {
            return invalid("sample_size", "must be at most 2^31");
        }
        if self.max_height == Some(0) {
            return invalid("max_height", "must be at least 1 when set");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_param(params: &IsolationForestParams) -> Option<&'static str> {
        match params.check() {
            Err(IsolationForestError::InvalidParam { name, .. }) => Some(name),
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(()) => None,
        }
    }

    #[test]
    fn defaults_follow_the_paper() {
        let params = IsolationForestParams::default();
        assert_eq!(params.n_trees, 100);
        assert_eq!(params.sample_size, 256);
        assert_eq!(params.max_height, None);
        assert_eq!(params.seed, 0);
        assert_eq!(params.check(), Ok(()));
    }

    #[test]
    fn setters_set_fields() {
        let params = IsolationForestParams::default()
            .n_trees(7)
            .sample_size(64)
            .max_height(Some(3))
            .seed(42);
        assert_eq!(
            params,
            IsolationForestParams {
                n_trees: 7,
                sample_size: 64,
                max_height: Some(3),
                seed: 42
            }
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
