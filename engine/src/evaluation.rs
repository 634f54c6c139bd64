//! Ranking metrics for labelled evaluations: ROC-AUC, average precision, recall at a fixed
//! false-positive rate. Ties are handled exactly (average rank), so a constant score gives
//! ROC-AUC 0.5 rather than depending on input order.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankingMetrics {
    pub positives: usize,
    pub negatives: usize,
    pub roc_auc: f64,
    pub average_precision: f64,
    /// Share of positives scoring above the threshold that flags 1% of negatives.
    pub recall_at_1pct_fpr: f64,
}

/// Metrics of `scores` against `labels` (true = attack). `None` without both classes.
pub fn ranking_metrics(scores: &[f64], labels: &[bool]) -> Option<RankingMetrics> {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let positives = labels.iter().filter(|label| **label).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));

    // ROC-AUC by the Mann–Whitney U statistic with average ranks for ties.
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let average_rank = (start + end) as f64 / 2.0 + 1.0;
        positive_rank_sum +=
            average_rank * order[start..=end].iter().filter(|&&i| labels[i]).count() as f64;
        start = end + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    let roc_auc = (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n);

    // Average precision over distinct thresholds, highest score first (tied scores form one step).
    let mut average_precision = 0.0;
    let (mut true_positives, mut seen) = (0usize, 0usize);
    let mut index = order.len();
    while index > 0 {
        let score = scores[order[index - 1]];
        let mut step_positives = 0;
        while index > 0 && scores[order[index - 1]] == score {
            step_positives += usize::from(labels[order[index - 1]]);
            seen += 1;
            index -= 1;
        }
        true_positives += step_positives;
        average_precision += (step_positives as f64 / p) * (true_positives as f64 / seen as f64);
    }

    // Threshold: the score of the negative at the 99th percentile; flag strictly above it.
    let mut negative_scores: Vec<f64> = order
        .iter()
        .filter(|&&i| !labels[i])
        .map(|&i| scores[i])
        .collect();
    negative_scores.sort_by(f64::total_cmp);
    let allowed = (negatives as f64 * 0.01).floor() as usize;
    let threshold = negative_scores[negatives - 1 - allowed.min(negatives - 1)];
    let caught = scores
        .iter()
        .zip(labels)
        .filter(|(score, label)| **label && **score > threshold)
        .count();

    Some(RankingMetrics {
        positives,
        negatives,
        roc_auc,
        average_precision,
        recall_at_1pct_fpr: caught as f64 / p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_inverted_rankings() {
        let labels = [false, false, true, true];
        let perfect = ranking_metrics(&[0.1, 0.2, 0.8, 0.9], &labels).unwrap();
        assert_eq!(
            (
                perfect.roc_auc,
                perfect.average_precision,
                perfect.recall_at_1pct_fpr
            ),
            (1.0, 1.0, 1.0)
        );
        let inverted = ranking_metrics(&[0.9, 0.8, 0.2, 0.1], &labels).unwrap();
        assert_eq!(inverted.roc_auc, 0.0);
        assert_eq!(inverted.recall_at_1pct_fpr, 0.0);
    }

    #[test]
    fn ties_count_half() {
        let metrics = ranking_metrics(&[0.5; 6], &[true, false, true, false, false, true]).unwrap();
        assert_eq!(metrics.roc_auc, 0.5);
        assert!((metrics.average_precision - 0.5).abs() < 1e-12);
    }

    #[test]
    fn matches_a_hand_computed_example() {
        // scikit-learn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75,
        // average_precision_score(...) = 0.8333.
        let metrics = ranking_metrics(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!((metrics.roc_auc - 0.75).abs() < 1e-12);
        assert!((metrics.average_precision - 0.833_333_333_333_333_4).abs() < 1e-12);
    }

    #[test]
    fn one_class_has_no_metrics() {
        assert!(ranking_metrics(&[0.1, 0.2], &[false, false]).is_none());
    }
}
