//! ROC-AUC of the Isolation Forest on an outlier benchmark in the ODDS layout (a CSV of numeric
//! feature columns, then a `label` column, 1 = anomaly), fitted and scored through linfa's
//! traits, for five seeds:
//!
//! ```sh
//! cargo run --release -p isolation-forest --example odds -- mammography.csv
//! ```

use isolation_forest::IsolationForestParams;
use linfa::prelude::*;
use ndarray::Array2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: odds FILE.csv (features, then a 0/1 label column)")?;
    let text = std::fs::read_to_string(&path)?;
    let mut lines = text.lines();
    let columns = lines.next().ok_or("empty file")?.split(',').count();
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for (number, line) in lines.enumerate().filter(|(_, line)| !line.is_empty()) {
        let cells: Vec<f64> = line
            .split(',')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|error| format!("line {}: {error}", number + 2))?;
        let (label, features) = cells.split_last().ok_or("empty line")?;
        values.extend_from_slice(features);
        labels.push(*label == 1.0);
    }
    let records = Array2::from_shape_vec((labels.len(), columns - 1), values)?;
    let dataset = DatasetBase::from(records.clone());
    let mut aucs = Vec::new();
    for seed in 0..5 {
        let forest = IsolationForestParams::default().seed(seed).fit(&dataset)?;
        let scores = forest.predict(&records);
        aucs.push(roc_auc(scores.as_slice().ok_or("scores")?, &labels));
    }
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    println!(
        "{path}: {} rows, {} features, {} anomalies; ROC-AUC mean of 5 seeds {mean:.4} ({})",
        labels.len(),
        columns - 1,
        labels.iter().filter(|label| **label).count(),
        aucs.iter()
            .map(|auc| format!("{auc:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The probability that an anomaly outscores a normal row (ties count half).
fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut start) = (0.0, 0);
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0 + 1.0;
        rank_sum += rank * order[start..=end].iter().filter(|&&i| labels[i]).count() as f64;
        start = end + 1;
    }
    let positives = labels.iter().filter(|label| **label).count() as f64;
    let negatives = labels.len() as f64 - positives;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}
