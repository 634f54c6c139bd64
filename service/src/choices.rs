//! What a person chooses for a run (detectors, weights, the threshold, geolocation), as the page
//! or a client sends it, validated and applied to the server's settings.

use engine::AnalysisConfig;
use serde::{Deserialize, Serialize};

/// What to run, as chosen on the page or sent to the API (JSON; missing keys keep their
/// defaults, unknown keys are refused).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionChoices {
    pub isolation_forest: bool,
    pub dbscan: bool,
    pub statistical: bool,
    pub weight_isolation_forest: f64,
    pub weight_dbscan: f64,
    pub weight_statistical: f64,
    /// Where High begins: logins scoring at least this are risky. `None` keeps the server's
    /// `risk.high` (0.6 by default); there is no second cut-off, so every page counts the same
    /// risky logins. Left out of the JSON when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    pub geolocation: bool,
    /// The Isolation Forest's expected share of anomalies; `None` for its fixed cutoff. Left
    /// out of the JSON when unset, so earlier runs keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contamination: Option<f64>,
}

impl Default for DetectionChoices {
    fn default() -> Self {
        let risk = engine::config::RiskParams::default();
        Self {
            isolation_forest: true,
            dbscan: true,
            statistical: true,
            weight_isolation_forest: risk.weight_isolation_forest,
            weight_dbscan: risk.weight_dbscan,
            weight_statistical: risk.weight_statistical,
            threshold: None,
            geolocation: true,
            contamination: None,
        }
    }
}

impl DetectionChoices {
    /// The choices a page or client sent, as JSON; empty for the defaults.
    pub fn from_json(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// The same choices always give the same text, however they were written (key order,
    /// spacing, `0.40` or `0.4`, defaults spelt out or left out): what a run's id is made from.
    pub fn canonical(&self) -> String {
        // −0 and 0 are the same choice.
        let number = |value: f64| value + 0.0;
        let normalised = Self {
            weight_isolation_forest: number(self.weight_isolation_forest),
            weight_dbscan: number(self.weight_dbscan),
            weight_statistical: number(self.weight_statistical),
            threshold: self.threshold.map(number),
            contamination: self.contamination.map(number),
            ..self.clone()
        };
        serde_json::to_string(&normalised).unwrap_or_default()
    }

    /// The server's (or default) settings with these choices applied, validated.
    pub fn apply(&self, base: &AnalysisConfig) -> Result<AnalysisConfig, String> {
        if !(self.isolation_forest || self.dbscan || self.statistical) {
            return Err("choose at least one detector".to_owned());
        }
        let mut config = base.clone();
        if let Some(threshold) = self.threshold {
            let (medium, critical) = (base.risk.medium, base.risk.critical);
            if !(threshold > medium && threshold < critical) {
                return Err(format!(
                    "the threshold is where High begins: it must be above Medium's {medium} and below Critical's {critical}, not {threshold}"
                ));
            }
            config.risk.high = threshold;
        }
        config.isolation_forest.enabled = self.isolation_forest;
        config.dbscan.enabled = self.dbscan;
        if self.contamination.is_some() {
            config.isolation_forest.contamination = self.contamination;
        }
        config.risk.weight_isolation_forest = self.weight_isolation_forest;
        config.risk.weight_dbscan = self.weight_dbscan;
        config.risk.weight_statistical = if self.statistical {
            self.weight_statistical
        } else {
            0.0
        };
        config.check().map_err(|error| error.to_string())?;
        Ok(config)
    }
}
