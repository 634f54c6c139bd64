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
    fn notifications_table_sits_beside_the_analysis_settings() {
        let path = write(
            "alerts.toml",
            "[risk]\nhigh = 0.7\n[notifications]\nmin_level = \"Critical\"\n\
             [notifications.webhook]\nurl = \"https://hooks.example.com/x\"\n",
        );
        assert_eq!(analysis(Some(&path)).unwrap().risk.high, 0.7);
        let notifications = notifications(Some(&path)).unwrap().expect("notifications");
        assert_eq!(notifications.min_level, engine::RiskLevel::Critical);
        assert!(notifications.webhook.is_some());
        let plain = write("plain.toml", "[risk]\nhigh = 0.7\n");
        assert!(super::notifications(Some(&plain)).unwrap().is_none());
    }

    #[test]
    fn unknown_keys_are_errors_in_every_table() {
        for (name, text) in [
            ("n1.toml", "[notifications]\ncolour = 1\n"),
            ("n2.toml", "[notification]\n"),
        ] {
            let path = write(name, text);
            let error = match notifications(Some(&path)) {
                Err(error) => error,
                Ok(_) => analysis(Some(&path)).unwrap_err(),
            };
            assert!(
                format!("{error:#}").contains("unknown field"),
                "{text}: {error:#}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_errors_in_both() {
        let path = write("typo.toml", "[input]\nformats = \"csv\"\n");
        assert!(format!("{:#}", input(Some(&path)).unwrap_err()).contains("formats"));
        let path = write("typo2.toml", "[risk]\nhihg = 0.75\n");
        assert!(format!("{:#}", analysis(Some(&path)).unwrap_err()).contains("hihg"));
    }
}
