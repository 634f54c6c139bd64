//! Errors returned while validating parameters or input data.

use thiserror::Error;

/// Everything that can go wrong before a forest is fitted.
///
/// Scoring never returns errors: a fitted model only needs rows of the right
/// width, which [`IsolationForest::check_input`](super::IsolationForest::check_input)
/// verifies up front for callers handling untrusted input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IsolationForestError {
    /// A hyper-parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParam {
        name: &'static str,
        reason: &'static str,
    },

    /// The data has no rows.
    #[error("input data has no rows")]
    EmptyData,

    /// A flat buffer whose length is not a whole number of rows (or `n_cols == 0`).
    #[error("{len} values do not form whole rows of {n_cols} columns")]
    RaggedRows { len: usize, n_cols: usize },

    /// The data's width differs from the width the model was fitted on.
    #[error("rows have {found} features but the model was fitted on {expected}")]
    DimensionMismatch { expected: usize, found: usize },

    /// A NaN or infinite value; isolation needs a finite range on every attribute.
    #[error("non-finite value at row {row}, column {col}")]
    NonFinite { row: usize, col: usize },

    /// linfa reported a problem with a dataset (feature `linfa`).
    #[error("{0}")]
    Linfa(String),

    /// Attribute indices are stored as `u32` in the tree nodes.
    #[error("{n_cols} columns exceed the supported maximum of {}", u32::MAX)]
    TooManyFeatures { n_cols: usize },
}
