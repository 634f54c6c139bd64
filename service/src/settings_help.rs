//! What each analysis setting does, in a sentence, for the settings page: the setting's dotted
//! name as in the config file (`rules.max_speed_kmh` is `max_speed_kmh` under `[rules]`).

use serde::{Deserialize, Serialize};

/// One analysis setting as the settings page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingLine {
    /// Dotted name, such as `risk.high`.
    pub name: String,
    /// The value in use, as in the config file (`auto` when the analysis picks it).
    pub value: String,
    /// The value without a config file.
    pub default: String,
    /// What it does.
    pub meaning: String,
}

impl SettingLine {
    /// Whether the config file changed this setting.
    pub fn is_changed(&self) -> bool {
        self.value != self.default
    }
}

/// Every setting of `settings` with its default and what it does, in the config file's order.
pub fn setting_lines(settings: &engine::AnalysisConfig) -> Vec<SettingLine> {
    let defaults = reports::model::parameters(&engine::AnalysisConfig::default());
    reports::model::parameters(settings)
        .into_iter()
        .map(|(name, value)| SettingLine {
            default: defaults
                .iter()
                .find(|(default, _)| *default == name)
                .map_or_else(|| "—".to_owned(), |(_, value)| value.clone()),
            meaning: meaning(&name).to_owned(),
            value,
            name,
        })
        .collect()
}

/// What the setting `name` does; a pointer to the README for a setting not described here.
pub fn meaning(name: &str) -> &'static str {
    match name {
        "baseline.learning_logins" => {
            "Logins a user needs before their usual places and devices are fully trusted; until then, something new counts for less."
        }
        "baseline.learning_days" => {
            "Days from a user's first login before their baseline is fully trusted."
        }
        "baseline.release_recency_days" => {
            "An older browser release than the user's newest counts as an out-of-date copy, not a new device, when unused for this many days."
        }
        "baseline.smoothing_weight" => {
            "How strongly a user's habits are pulled towards everyone's while they have few logins."
        }
        "baseline.probation_days" => {
            "A risky new network becomes the user's own once used on this many different days."
        }
        "baseline.probation_span_days" => {
            "…and those days must span at least this many days (an attacker's session lasts hours, a new ISP stays)."
        }
        "baseline.learn_freely_below_risk" => {
            "Logins below this risk always teach the user's baseline."
        }
        "baseline.learn_below_risk" => {
            "Logins at or above this risk never teach the baseline, so an intruder does not become familiar by logging in again."
        }
        "isolation_forest.enabled" => {
            "Whether the Isolation Forest detector (unusual combinations of login features) runs."
        }
        "isolation_forest.n_trees" => "Trees in the forest (100 in the original paper).",
        "isolation_forest.sample_size" => {
            "Logins each tree is grown on (256 in the original paper)."
        }
        "isolation_forest.seed" => {
            "Random seed of the first fit: the same seed gives the same scores."
        }
        "isolation_forest.warmup_logins" => {
            "Logins seen before the forest first fits; it abstains until then."
        }
        "isolation_forest.reservoir_size" => "Earlier logins kept to refit the forest on.",
        "isolation_forest.normal_score" => {
            "Forest score treated as fully normal; the risk rises from here…"
        }
        "isolation_forest.anomalous_score" => "…to fully anomalous at this score.",
        "isolation_forest.contamination" => {
            "Share of logins expected to be anomalous; auto keeps the paper's fixed cut-off."
        }
        "dbscan.enabled" => {
            "Whether the DBSCAN detector (logins far from every cluster of ordinary logins) runs."
        }
        "dbscan.eps" => {
            "Neighbourhood radius; auto picks it from the data (the knee of the k-distance curve)."
        }
        "dbscan.min_points" => "Neighbours that make a login part of a cluster.",
        "dbscan.sample_size" => {
            "Logins the clustering is fitted on (bounds its cost on large logs)."
        }
        "dbscan.warmup_logins" => "Logins seen before the first clustering.",
        "dbscan.seed" => "Random seed of the sample: the same seed gives the same scores.",
        "rules.window_secs" => {
            "Window, in seconds, for counting attempts per account and per source."
        }
        "rules.brute_force_failures" => {
            "Failures on one account within the window that make a brute-force attack."
        }
        "rules.spray_accounts" => {
            "Accounts failing from one source within the spray window that make password spraying."
        }
        "rules.spray_window_secs" => {
            "Window, in seconds, for password spraying (low and slow, so long)."
        }
        "rules.stuffing_accounts" => {
            "Accounts, mostly unknown, tried from one source within the window that make credential stuffing."
        }
        "rules.campaign_window_secs" => {
            "Window, in seconds, for campaigns spread over many addresses sharing a client or network owner."
        }
        "rules.campaign_accounts" => "Accounts failing that make such a campaign…",
        "rules.campaign_sources" => "…and the source addresses it needs at least.",
        "rules.wave_window_secs" => {
            "Window, in seconds, for a stuffing wave: many never-seen account names across the whole organisation."
        }
        "rules.wave_accounts" => "Never-seen account names within that window that make a wave.",
        "rules.failures_before_success" => {
            "Failures just before a success that make “failures followed by success”."
        }
        "rules.max_speed_kmh" => {
            "Speed, in km/h, above which travel between two logins is impossible."
        }
        "rules.min_travel_km" => "Shorter jumps, in km, are geolocation jitter, not travel.",
        "rules.brute_force_floor" => "Least risk of an attempt in a brute-force attack.",
        "rules.brute_force_success_floor" => {
            "Least risk of a success that ends a brute-force attack."
        }
        "rules.spray_floor" => "Least risk of an attempt in password spraying.",
        "rules.spray_success_floor" => "Least risk of a success within password spraying.",
        "rules.stuffing_floor" => "Least risk of an attempt in credential stuffing.",
        "rules.stuffing_success_floor" => "Least risk of a success within credential stuffing.",
        "rules.failures_then_success_floor" => {
            "Least risk of a success after failures from a network or device new to a trusted user."
        }
        "rules.failures_then_success_familiar_floor" => {
            "Least risk of a success after failures otherwise (a forgotten password looks like this)."
        }
        "rules.impossible_travel_floor" => {
            "Least risk of impossible travel between two unfamiliar places."
        }
        "rules.confirmed_compromised_floor" => {
            "Least risk of a login an analyst confirmed compromised."
        }
        "rules.known_compromised_source_floor" => {
            "Least risk of a later login from the address of a confirmed compromise."
        }
        "risk.weight_isolation_forest" => {
            "Say of the Isolation Forest in the risk score (0 switches it off)."
        }
        "risk.weight_dbscan" => "Say of DBSCAN in the risk score (0 switches it off).",
        "risk.weight_statistical" => {
            "Say of the statistical checks (new country, device, hour…) in the risk score."
        }
        "risk.medium" => "Risk from which a login is Medium.",
        "risk.high" => "Risk from which a login is High.",
        "risk.critical" => "Risk from which a login is Critical.",
        "risk.user_risk_half_life_secs" => {
            "Half-life, in seconds, of a login's weight in its user's risk (a week: old logins fade)."
        }
        "accounts.window_secs" => "Window, in seconds, over which evidence on one account adds up.",
        "accounts.min_level" => {
            "Logins below this level are not evidence that an account is compromised."
        }
        "accounts.settled_days" => {
            "Risky sign-ins from a network, city and device the user then kept using on this many different days (over the span below) are not evidence of a compromise, unless a rule other than impossible travel raised them: a new phone or carrier settling in."
        }
        "accounts.settled_span_secs" => "Seconds those days must span (a week).",
        _ => "See the README's configuration section.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_explained_with_its_default() {
        let mut settings = engine::AnalysisConfig::default();
        settings.risk.high = 0.65;
        let lines = setting_lines(&settings);
        assert!(lines.len() > 40);
        for line in &lines {
            assert_ne!(
                line.meaning,
                meaning("not.a.setting"),
                "{} has no explanation",
                line.name
            );
            assert_ne!(line.default, "—", "{} has no default", line.name);
        }
        let high = lines.iter().find(|line| line.name == "risk.high").unwrap();
        assert_eq!(
            (high.value.as_str(), high.default.as_str()),
            ("0.65", "0.6")
        );
        assert!(high.is_changed());
        let changed: Vec<&str> = lines
            .iter()
            .filter(|line| line.is_changed())
            .map(|line| line.name.as_str())
            .collect();
        assert_eq!(changed, ["risk.high"]);
    }
}
