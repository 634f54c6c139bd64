//! The TOML config file: analysis settings at the top level (`skytrace config` prints them), and
//! an `[input]` table with how to read logs (format, time zone, year, column mapping).
//!
//! ```toml
//! [input]
//! format = "csv"
//! timezone = "Europe/Oslo"
//! map = { user_id = "User Principal Name", timestamp = "When" }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use engine::AnalysisConfig;
use serde::Deserialize;

/// Tables of the file that are not analysis settings.
const SECTIONS: [&str; 1] = ["input"];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("skytrace-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn input_table_sits_beside_the_analysis_settings() {
        let path = write(
            "both.toml",
            "[risk]\nhigh = 0.75\n\n[input]\nformat = \"csv\"\ntimezone = \"Europe/Oslo\"\n\
             map = { user_id = \"User Principal Name\" }\n",
        );
        assert_eq!(analysis(Some(&path)).unwrap().risk.high, 0.75);
        let input = input(Some(&path)).unwrap();
        assert_eq!(input.format.as_deref(), Some("csv"));
        assert_eq!(input.timezone.as_deref(), Some("Europe/Oslo"));
        assert_eq!(input.map["user_id"], "User Principal Name");
    }

    #[test]
    fn unknown_keys_are_errors_in_both() {
        let path = write("typo.toml", "[input]\nformats = \"csv\"\n");
        assert!(format!("{:#}", input(Some(&path)).unwrap_err()).contains("formats"));
        let path = write("typo2.toml", "[risk]\nhihg = 0.75\n");
        assert!(format!("{:#}", analysis(Some(&path)).unwrap_err()).contains("hihg"));
    }
}
