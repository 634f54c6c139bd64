//! The TOML config file: analysis settings at the top level (`skytrace config` prints them), an
//! `[input]` table with how to read logs (format, time zone, year, column mapping), and a
//! `[notifications]` table with alert rules and channels.
//!
//! ```toml
//! [input]
//! format = "csv"
//! timezone = "Europe/Oslo"
//! map = { user_id = "User Principal Name", timestamp = "When" }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use alerts::NotificationsConfig;
use anyhow::Context;
use engine::AnalysisConfig;
use serde::Deserialize;

/// Tables of the file that are not analysis settings.
const SECTIONS: [&str; 2] = ["input", "notifications"];

/// How to read logs, as the config file says; command-line options win over it.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    pub format: Option<String>,
    pub timezone: Option<String>,
    pub year: Option<i16>,
    /// Field → column name.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

fn read_table(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
}

/// The analysis settings of the config file, or the defaults; every value is validated.
pub fn analysis(path: Option<&Path>) -> anyhow::Result<AnalysisConfig> {
    let config: AnalysisConfig = match path {
        Some(path) => {
            let mut table = read_table(path)?;
            for section in SECTIONS {
                table.remove(section);
            }
            table
                .try_into()
                .with_context(|| format!("invalid config {}", path.display()))?
        }
        None => AnalysisConfig::default(),
    };
    config.check()?;
    Ok(config)
}

/// The `[input]` table of the config file (empty without a file or table).
pub fn input(path: Option<&Path>) -> anyhow::Result<InputSettings> {
    let Some(path) = path else {
        return Ok(InputSettings::default());
    };
    match read_table(path)?.remove("input") {
        Some(value) => value
            .try_into()
            .with_context(|| format!("invalid [input] in config {}", path.display())),
        None => Ok(InputSettings::default()),
    }
}

/// The `[notifications]` table, validated; `None` without a file or table.
pub fn notifications(path: Option<&Path>) -> anyhow::Result<Option<NotificationsConfig>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let Some(value) = read_table(path)?.remove("notifications") else {
        return Ok(None);
    };
    let notifications: NotificationsConfig = value
        .try_into()
        .with_context(|| format!("invalid [notifications] in config {}", path.display()))?;
    notifications
        .check()
        .with_context(|| format!("invalid [notifications] in config {}", path.display()))?;
    Ok(Some(notifications))
}
