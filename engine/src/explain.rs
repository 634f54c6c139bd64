//! How a login's score was made, kept with every login at Medium and above for the analyst who
//! triages it: each detector family's part of the calibrated model's log-odds, and — for the
//! population models, whose scores alone say only "rare" — which features made the login
//! unusual.
//!
//! - **Isolation Forest**: the per-feature path-length attribution of the `isolation-forest`
//!   crate ([`isolation_forest::Attribution`]): each split on the login's path is credited with
//!   how much it shortened the expected rest of the path; a feature's share of that shortening
//!   says how much of the login's early isolation it caused.
//! - **DBSCAN**: the distance to the nearest dense region of earlier logins, in radii of the
//!   fitted clustering, and the axes on which the login lies farthest from it.

use serde::{Deserialize, Serialize};

/// A login's score in parts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The calibrated model's log-odds ([`crate::calibration`]): where it starts…
    pub intercept: f64,
    /// …and each detector family's evidence, scaled by the family's weight.
    pub statistical: f64,
    pub isolation_forest: f64,
    pub dbscan: f64,
    /// The rules' rate evidence (failures, campaigns, travel speed), which no weight scales.
    pub rules: f64,
    /// The model's probability, 1 / (1 + e^−(intercept + the families' parts)). The login's
    /// score is the larger of this and the strongest active rule floor.
    pub probability: f64,
    /// How much per-user evidence corroborates the population models, 0–1: their scores enter
    /// the model multiplied by it, so an outlier alone adds nothing.
    pub corroboration: f64,
    /// The features that made the Isolation Forest isolate the login early, with their share of
    /// the path shortening, largest first; empty when it was not isolated early.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forest_features: Vec<FeatureShare>,
    /// DBSCAN: the distance to the nearest dense region of earlier logins, in radii (one radius
    /// is the clustering's eps); `None` while it warms up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_radii: Option<f64>,
    /// The axes on which the login lies farthest from that region, as shares of the squared
    /// distance, largest first; empty inside a dense region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_features: Vec<FeatureShare>,
}

/// A feature and its share of an explanation (0–1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureShare {
    pub feature: String,
    pub share: f64,
}

/// Shares below this are left out of the summaries.
const NOTABLE_SHARE: f64 = 0.1;

impl Explanation {
    /// "hour of day (52%), network (31%)": the features with a notable share, at most three;
    /// `None` when the forest did not isolate the login early.
    pub fn forest_summary(&self) -> Option<String> {
        shares_in_words(&self.forest_features)
    }

    /// "network and device", the axes with a notable share of the distance, at most three;
    /// `None` inside a dense region or while DBSCAN warms up.
    pub fn cluster_axes(&self) -> Option<String> {
        let names: Vec<&str> = notable(&self.cluster_features)
            .map(|share| share.feature.as_str())
            .collect();
        match names.as_slice() {
            [] => None,
            [one] => Some((*one).to_owned()),
            [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
        }
    }

    /// DBSCAN's distance in words: "inside a dense region of ordinary logins" or "2.4 radii
    /// from the nearest dense region of the organisation's logins, farthest in network and
    /// device".
    pub fn cluster_summary(&self) -> Option<String> {
        let radii = self.cluster_radii?;
        if radii <= 1.0 {
            return Some("inside a dense region of the organisation's logins".to_owned());
        }
        let axes = self
            .cluster_axes()
            .map(|axes| format!(", farthest in {axes}"))
            .unwrap_or_default();
        Some(format!(
            "{radii:.1} radii from the nearest dense region of the organisation's logins{axes}"
        ))
    }
}

fn notable(shares: &[FeatureShare]) -> impl Iterator<Item = &FeatureShare> {
    shares
        .iter()
        .filter(|share| share.share >= NOTABLE_SHARE)
        .take(3)
}

fn shares_in_words(shares: &[FeatureShare]) -> Option<String> {
    let parts: Vec<String> = notable(shares)
        .map(|share| format!("{} ({:.0}%)", share.feature, share.share * 100.0))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `(index, share)` pairs as named shares, rounded to three decimals (kept with every explained
/// login, so kept small).
pub(crate) fn named(ranked: &[(usize, f64)], names: &[&str]) -> Vec<FeatureShare> {
    ranked
        .iter()
        .filter_map(|&(index, share)| {
            Some(FeatureShare {
                feature: (*names.get(index)?).to_owned(),
                share: round(share, 1e3),
            })
        })
        .filter(|share| share.share > 0.0)
        .collect()
}

/// `value` rounded to 1 / `scale`.
pub(crate) fn round(value: f64, scale: f64) -> f64 {
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(feature: &str, share: f64) -> FeatureShare {
        FeatureShare {
            feature: feature.to_owned(),
            share,
        }
    }

    #[test]
    fn summaries_name_the_notable_features() {
        let explanation = Explanation {
            forest_features: vec![
                share("hour of day", 0.52),
                share("network", 0.31),
                share("device", 0.12),
                share("weekday", 0.05),
            ],
            cluster_radii: Some(2.44),
            cluster_features: vec![share("network", 0.7), share("device", 0.25)],
            ..Explanation::default()
        };
        assert_eq!(
            explanation.forest_summary().as_deref(),
            Some("hour of day (52%), network (31%), device (12%)")
        );
        assert_eq!(
            explanation.cluster_summary().as_deref(),
            Some(
                "2.4 radii from the nearest dense region of the organisation's logins, farthest in network and device"
            )
        );
        let inside = Explanation {
            cluster_radii: Some(0.4),
            ..Explanation::default()
        };
        assert_eq!(
            inside.cluster_summary().as_deref(),
            Some("inside a dense region of the organisation's logins")
        );
        assert_eq!(Explanation::default().forest_summary(), None);
        assert_eq!(Explanation::default().cluster_summary(), None);
    }

    #[test]
    fn named_shares_are_rounded_and_skip_unknown_features() {
        let names = ["a", "b"];
        let shares = named(&[(1, 0.666_666), (0, 0.333_333), (7, 1.0)], &names);
        assert_eq!(shares, vec![share("b", 0.667), share("a", 0.333)]);
    }
}
