//! The forest through linfa's traits (feature `linfa`): checked parameters with
//! [`ParamGuard`], fitting on a [`DatasetBase`] of 2-D `f64` records with [`Fit`], and scores with
//! [`PredictInplace`] (so [`Predict`](linfa::traits::Predict) works too). The scores are the very
//! same bits as [`IsolationForest::score_many`] gives.
//!
//! ```
//! use isolation_forest::IsolationForestParams;
//! use linfa::prelude::*;
//! use ndarray::array;
//!
//! let records = array![[0.0, 0.1], [0.1, 0.0], [0.05, 0.05], [0.1, 0.1], [8.0, 9.0]];
//! let forest = IsolationForestParams::default()
//!     .seed(7)
//!     .fit(&DatasetBase::from(records.clone()))
//!     .unwrap();
//! let scores = forest.predict(&records);
//! assert!(scores[4] > scores[0]);
//! ```

use linfa::dataset::DatasetBase;
use linfa::param_guard::ParamGuard;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, ArrayBase, Data, Ix2};

use crate::{
    IsolationForest, IsolationForestError, IsolationForestParams, IsolationForestValidParams,
    Matrix,
};

impl ParamGuard for IsolationForestParams {
    type Checked = IsolationForestValidParams;
    type Error = IsolationForestError;

    fn check_ref(&self) -> Result<&Self::Checked, Self::Error> {
        IsolationForestParams::check_ref(self)
    }

    fn check(self) -> Result<Self::Checked, Self::Error> {
        IsolationForestParams::check(self)
    }
}

/// Fits on the records; targets, if any, are ignored (the forest is unsupervised).
impl<D: Data<Elem = f64>, T> Fit<ArrayBase<D, Ix2>, T, IsolationForestError>
    for IsolationForestValidParams
{
    type Object = IsolationForest;

    fn fit(
        &self,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<IsolationForest, IsolationForestError> {
        let records = dataset.records();
        // Row-major, whatever the array's memory layout.
        let data: Vec<f64> = records.iter().copied().collect();
        IsolationForestValidParams::fit(self, Matrix::new(&data, records.ncols())?)
    }
}

/// The anomaly score s(x) of each row, in [0, 1]; higher is more anomalous.
///
/// Rows must be as wide as the fitted data and finite ([`IsolationForest::check_input`]); linfa's
/// prediction cannot return an error, so a row of another width panics.
impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for IsolationForest {
    fn predict_inplace(&self, records: &ArrayBase<D, Ix2>, scores: &mut Array1<f64>) {
        let data: Vec<f64> = records.iter().copied().collect();
        if let Ok(matrix) = Matrix::new(&data, records.ncols()) {
            for (score, value) in scores.iter_mut().zip(self.score_many(matrix)) {
                *score = value;
            }
        }
    }

    fn default_target(&self, records: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(records.nrows())
    }
}

impl From<linfa::Error> for IsolationForestError {
    fn from(error: linfa::Error) -> Self {
        IsolationForestError::Linfa(error.to_string())
    }
}
