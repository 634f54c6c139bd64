//! Every threshold and weight of an analysis, with documented defaults. Deserialises from the
//! TOML config file (`--config`); missing keys keep their defaults. Each part belongs to the stage
//! that uses it and validates itself; this only puts them together.

use serde::{Deserialize, Serialize};

pub use crate::accounts::AccountParams;
pub use crate::baseline::BaselineParams;
pub use crate::check::ConfigError;
pub use crate::detectors::dbscan::DbscanParams;
pub use crate::detectors::isolation_forest::ForestParams;
pub use crate::detectors::rules::RuleParams;
pub use crate::risk::RiskParams;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    pub baseline: BaselineParams,
    pub isolation_forest: ForestParams,
    pub dbscan: DbscanParams,
    pub rules: RuleParams,
    pub risk: RiskParams,
    pub accounts: AccountParams,
}

impl AnalysisConfig {
    pub fn check(&self) -> Result<(), ConfigError> {
        self.baseline.check()?;
        self.isolation_forest.check()?;
        self.dbscan.check()?;
        self.rules.check()?;
        self.accounts.check()?;
        self.risk.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(AnalysisConfig::default().check(), Ok(()));
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let mut config = AnalysisConfig::default();
        config.risk.high = 0.3;
        assert_eq!(
            config.check().unwrap_err().name,
            "risk.medium/high/critical"
        );
        let mut config = AnalysisConfig::default();
        config.rules.max_speed_kmh = f64::NAN;
        assert_eq!(config.check().unwrap_err().name, "rules.max_speed_kmh");
        let mut config = AnalysisConfig::default();
        config.dbscan.eps = Some(0.0);
        assert_eq!(config.check().unwrap_err().name, "dbscan.eps");
    }
}
