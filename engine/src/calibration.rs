//! The calibrated risk model: how the detectors' scores, the per-user evidence and the attack
//! rates of one login become one probability that it is an attack.
//!
//! A logistic model over [`INPUTS`] non-negative inputs with non-negative coefficients (so
//! more evidence never lowers the risk), fitted on labelled scenario data and shipped as the
//! constants of [`FITTED`]. The three detector families keep their configurable weights
//! ([`RiskParams`]: Isolation Forest 0.4, DBSCAN 0.3, statistical 0.3 by default): each
//! family's contribution to the log-odds is scaled by its weight relative to the default, so
//! with the defaults the model is exactly as fitted, a family at weight 0 contributes nothing,
//! and doubling a weight doubles that family's say.
//!
//! **Corroboration before alarm.** The population detectors (Isolation Forest, DBSCAN) enter
//! only multiplied by the user-level evidence ([`RiskInputs::user_evidence`], from 0 with no
//! per-user novelty to 1), so a population outlier alone adds nothing; per-user novelty is
//! scaled by the baseline's confidence (the learning period), a browser downgrade is not (it
//! contradicts what the user has run, however short their history). Strong evidence (the rules'
//! floors: impossible travel, a success after a brute-force run, stuffing and spraying, a
//! confirmed compromise) still raises a login on its own: the risk is the larger of the model's
//! probability and the strongest active floor.
//!
//! **How it was fitted.** `cargo run --release -p scenario --example calibrate` generates the
//! calibration seeds of the main generator's families (never the seeds reported by the
//! evaluation, and never the independent `markov` family, which stays held out), analyses
//! each with geolocation both with and without the success column, and fits an L2-regularised
//! logistic regression with non-negative coefficients by projected Newton steps; it repeats
//! this until the coefficients settle (baselines learn only from logins the model finds
//! ordinary, so the inputs depend on the model) and prints the constants below. Deterministic:
//! the same data gives the same constants.

use crate::enrich::NetworkType;
use crate::features::LoginFeatures;
use crate::risk::RiskParams;

/// Number of model inputs.
pub const INPUTS: usize = 32;

/// What each input is, in order (also the names the calibration prints).
pub const INPUT_NAMES: [&str; INPUTS] = [
    "rare_country_surprise",
    "common_country_surprise",
    "rare_network_owner_surprise",
    "common_network_owner_surprise",
    "prefix_surprise",
    "address_surprise",
    "rare_city_surprise",
    "common_city_surprise",
    "device_type_surprise",
    "os_surprise",
    "browser_surprise",
    "user_agent_surprise",
    "browser_downgrade",
    "hour_surprise",
    "weekday_surprise",
    "pace",
    "new_hosting_or_vpn",
    "tor",
    "scripted_client",
    "outdated_browser",
    "fast_travel",
    "isolation_forest_corroborated",
    "dbscan_corroborated",
    "failed",
    "account_failures",
    "failures_before_success",
    "address_failed_accounts",
    "network_failed_accounts",
    "unknown_account",
    "campaign_from_new_source",
    "stuffing_wave_from_new_source",
    "fast_travel_to_new_anonymising",
];

/// Each input in words, for explanations.
pub const INPUT_DESCRIPTIONS: [&str; INPUTS] = [
    "a country rare for this user and here",
    "a country rare for this user, common here",
    "a network owner rare for this user and here",
    "a network owner rare for this user, common here",
    "a /24 network rare for this user",
    "an address new for this user",
    "a city rare for this user and here",
    "a city rare for this user, common here",
    "a kind of device rare for this user",
    "an operating system rare for this user",
    "a browser rare for this user",
    "a user agent new for this user",
    "an older release of the user's browser",
    "an unusual hour for this user",
    "an unusual weekday for this user",
    "an unusual pace of logins",
    "a hosting or VPN network new for this user",
    "a Tor exit",
    "a scripted client",
    "a browser far behind current releases",
    "fast travel from the previous login",
    "an outlier for the Isolation Forest",
    "noise for DBSCAN",
    "a failed attempt",
    "recent failures on this account",
    "failures just before this success",
    "failures on other accounts from this address",
    "failures on other accounts from this network",
    "an account never seen to sign in",
    "a campaign against many accounts sharing this client or network",
    "a wave of never-seen account names",
    "fast travel to a hosting or VPN network new for this user",
];

/// The detector family an input belongs to, whose weight scales it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Statistical,
    IsolationForest,
    Dbscan,
    /// The rules' rate evidence: not weighted (as the rules' floors are not).
    Rules,
}

/// Positions of the inputs that are not plain per-user evidence.
const FAST_TRAVEL: usize = 20;
const FOREST: usize = 21;
const DBSCAN: usize = 22;

const FAMILIES: [Family; INPUTS] = {
    let mut families = [Family::Statistical; INPUTS];
    families[FAST_TRAVEL] = Family::Rules;
    families[FOREST] = Family::IsolationForest;
    families[DBSCAN] = Family::Dbscan;
    let mut index = DBSCAN + 1;
    while index < INPUTS {
        families[index] = Family::Rules;
        index += 1;
    }
    families
};

/// Inputs that measure how unlike the user's own history the login is (the user-level
/// evidence the population detectors need to be corroborated by).
const USER_NOVELTY: std::ops::Range<usize> = 0..16;

/// Scale (nats) at which user-level evidence counts as corroboration: 1 − e^(−S/scale).
const CORROBORATION_SCALE_NATS: f64 = 4.0;

/// Major browser versions behind the newest in the population that make a browser outdated:
/// Chrome, Edge and Firefox release every four weeks, so eight is about eight months.
pub const OUTDATED_VERSIONS: u32 = 8;

/// How rare a value is among all logins given its share, on a log scale from 0 (all logins)
/// to 1 (one in ten thousand or fewer): a company VPN's egress used by a quarter of the staff
/// is ≈ 0.15, an attacker's server 1.
fn rarity(share: f64) -> f64 {
    if share <= 0.0 {
        return 1.0;
    }
    ((1.0 / share).ln() / 1e4f64.ln()).clamp(0.0, 1.0)
}

/// A fitted logistic model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub intercept: f64,
    pub coefficients: [f64; INPUTS],
}

/// The shipped model (see the module documentation for how it was fitted).
pub const FITTED: Model = Model {
    intercept: -6.3708,
    coefficients: [
        0.9031, // rare_country_surprise
        0.5908, // common_country_surprise
        0.1844, // rare_network_owner_surprise
        0.5107, // common_network_owner_surprise
        0.0000, // prefix_surprise
        0.0000, // address_surprise
        1.3020, // rare_city_surprise
        0.4948, // common_city_surprise
        1.1065, // device_type_surprise
        1.6988, // os_surprise
        0.4285, // browser_surprise
        0.0000, // user_agent_surprise
        4.5764, // browser_downgrade
        0.0568, // hour_surprise
        0.0000, // weekday_surprise
        0.0000, // pace
        2.6129, // new_hosting_or_vpn
        1.8211, // tor
        2.8392, // scripted_client
        3.8316, // outdated_browser
        2.8565, // fast_travel
        1.6086, // isolation_forest_corroborated
        0.7917, // dbscan_corroborated
        1.1029, // failed
        1.1567, // account_failures
        0.0000, // failures_before_success
        0.0004, // address_failed_accounts
        0.0000, // network_failed_accounts
        2.7842, // unknown_account
        0.4793, // campaign_from_new_source
        1.1902, // stuffing_wave_from_new_source
        0.5496, // fast_travel_to_new_anonymising
    ],
};

/// The model's inputs for one login.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RiskInputs {
    pub values: [f64; INPUTS],
}

impl RiskInputs {
    /// The inputs from a login's features; the population detectors' scores are added later
    /// ([`Self::with_population`]), when they are known.
    pub fn from_features(features: &LoginFeatures) -> Self {
        let confidence = features.confidence;
        let [country, owner, prefix, address] = features.network_terms;
        let [device_type, os, browser, agent] = features.device_terms;
        let failed = features.success == Some(false);
        let succeeded = features.success == Some(true);
        let certain_travel = features
            .travel
            .as_ref()
            .filter(|travel| {
                !travel.uncertain && !travel.to_familiar_network && !travel.to_shared_network
            })
            .map_or(0.0, |travel| (travel.speed_kmh / 1000.0).ln_1p());
        let anonymising = features
            .network
            .is_some_and(|network| matches!(network, NetworkType::Hosting | NetworkType::Vpn));
        let new_anonymising = anonymising && features.new_asn.unwrap_or(features.new_prefix);
        // Travel to a server says little about where the person is (a VPN user appears to
        // jump), but a server new to the user, far from where they just were, is also where
        // intruders sign in from: the fit says how much it weighs.
        let travel_to_new_anonymising = features
            .travel
            .as_ref()
            .filter(|travel| new_anonymising && !travel.to_familiar_network)
            .map_or(0.0, |travel| (travel.speed_kmh / 1000.0).ln_1p());
        let foreign = f64::from(u8::from(features.foreign_source));
        let campaign = features
            .fingerprint
            .failed_accounts
            .max(features.network_owner.failed_accounts)
            .max(features.fingerprint.unknown_accounts)
            .max(features.network_owner.unknown_accounts);
        let ln = |count: u32| f64::from(count).ln_1p();
        let flag = |on: bool| f64::from(u8::from(on));
        let owner = confidence * owner.max(0.0);
        let owner_rarity = rarity(features.network_owner_popularity);
        let city = confidence * features.city_surprise;
        let city_rarity = rarity(features.city_popularity);
        let country = confidence * country.max(0.0);
        let country_rarity = rarity(features.country_popularity);
        Self {
            values: [
                country * country_rarity,
                country * (1.0 - country_rarity),
                owner * owner_rarity,
                owner * (1.0 - owner_rarity),
                confidence * prefix.max(0.0),
                confidence * address.max(0.0),
                city * city_rarity,
                city * (1.0 - city_rarity),
                confidence * device_type.max(0.0),
                confidence * os.max(0.0),
                confidence * browser.max(0.0),
                confidence * agent.max(0.0),
                features
                    .downgrade
                    .map_or(0.0, |downgrade| f64::from(downgrade.steps.min(4))),
                confidence * features.hour_surprise,
                confidence * features.weekday_surprise,
                confidence * (features.pace_z - 3.0).clamp(0.0, 10.0),
                flag(new_anonymising) * rarity(features.network_owner_share),
                flag(features.network == Some(NetworkType::Tor)),
                flag(features.scripted_client),
                flag(
                    features.browser_versions_behind >= OUTDATED_VERSIONS
                        && features.new_user_agent,
                ),
                certain_travel,
                0.0,
                0.0,
                flag(failed),
                ln(features.account_failures + features.account_unresolved),
                if succeeded {
                    ln(features.failures_before)
                } else {
                    0.0
                },
                ln(features.source.failed_accounts),
                ln(features.network_long.failed_accounts),
                // Only attempts: an account's first success is a new user, not an attack.
                flag(features.unknown_account && !succeeded && features.data_span_secs >= 86_400.0),
                foreign * ln(campaign),
                // A wave of never-seen names is tenant-wide context: it says something about
                // an attempt from a new source, but a success is tied to a campaign only by
                // what it shares with it (its client or network, the input before).
                if features.data_span_secs >= 86_400.0 && !succeeded {
                    foreign
                        * ln(features
                            .tenant_unknown
                            .failed_accounts
                            .max(features.tenant_unknown.unknown_accounts))
                } else {
                    0.0
                },
                travel_to_new_anonymising,
            ],
        }
    }

    /// How much per-user evidence there is, from 0 (none) towards 1: what corroborates a
    /// population outlier.
    pub fn user_evidence(&self) -> f64 {
        let nats: f64 = self.values[USER_NOVELTY].iter().sum();
        1.0 - (-nats / CORROBORATION_SCALE_NATS).exp()
    }

    /// The inputs with the population detectors' scores, each corroborated by the user-level
    /// evidence.
    pub fn with_population(mut self, forest: Option<f64>, dbscan: Option<f64>) -> Self {
        let corroboration = self.user_evidence();
        self.values[FOREST] = forest.unwrap_or(0.0) * corroboration;
        self.values[DBSCAN] = dbscan.unwrap_or(0.0) * corroboration;
        self
    }
}

impl Model {
    /// Log-odds of an attack, each family scaled by its weight relative to the default.
    pub fn logit(&self, inputs: &RiskInputs, params: &RiskParams) -> f64 {
        let defaults = RiskParams::default();
        let scale = |family: Family| match family {
            Family::Statistical => params.weight_statistical / defaults.weight_statistical,
            Family::IsolationForest => {
                params.weight_isolation_forest / defaults.weight_isolation_forest
            }
            Family::Dbscan => params.weight_dbscan / defaults.weight_dbscan,
            Family::Rules => 1.0,
        };
        self.intercept
            + inputs
                .values
                .iter()
                .zip(&self.coefficients)
                .zip(FAMILIES)
                .map(|((value, coefficient), family)| value * coefficient * scale(family))
                .sum::<f64>()
    }

    /// The log-odds in parts, each family scaled by its weight relative to the default:
    /// `[statistical, isolation forest, DBSCAN, rules]` (their sum plus the intercept is
    /// [`Self::logit`]).
    pub fn family_logits(&self, inputs: &RiskInputs, params: &RiskParams) -> [f64; 4] {
        let defaults = RiskParams::default();
        let mut parts = [0.0; 4];
        for ((value, coefficient), family) in
            inputs.values.iter().zip(&self.coefficients).zip(FAMILIES)
        {
            let (slot, scale) = match family {
                Family::Statistical => (0, params.weight_statistical / defaults.weight_statistical),
                Family::IsolationForest => (
                    1,
                    params.weight_isolation_forest / defaults.weight_isolation_forest,
                ),
                Family::Dbscan => (2, params.weight_dbscan / defaults.weight_dbscan),
                Family::Rules => (3, 1.0),
            };
            parts[slot] += value * coefficient * scale;
        }
        parts
    }

    pub fn probability(&self, inputs: &RiskInputs, params: &RiskParams) -> f64 {
        1.0 / (1.0 + (-self.logit(inputs, params)).exp())
    }

    /// The statistical family's evidence (log-odds units) mapped to 0–1 as S / (S + 4): the
    /// statistical detector's own score.
    pub fn statistical_score(&self, inputs: &RiskInputs) -> f64 {
        let evidence: f64 = inputs
            .values
            .iter()
            .zip(&self.coefficients)
            .zip(FAMILIES)
            .filter(|(_, family)| *family == Family::Statistical)
            .map(|((value, coefficient), _)| value * coefficient)
            .sum();
        evidence / (evidence + 4.0)
    }

    /// The inputs that contributed to the log-odds, largest first, in words with their
    /// contributions: what a combined score is made of.
    pub fn contributions(&self, inputs: &RiskInputs) -> Vec<(&'static str, f64)> {
        let mut parts: Vec<(&'static str, f64)> = inputs
            .values
            .iter()
            .zip(&self.coefficients)
            .zip(INPUT_DESCRIPTIONS)
            .map(|((value, coefficient), name)| (name, value * coefficient))
            .filter(|(_, contribution)| *contribution > 0.0)
            .collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_population_outlier_alone_adds_nothing() {
        let plain = RiskInputs::default();
        let outlier = plain.clone().with_population(Some(1.0), Some(1.0));
        let params = RiskParams::default();
        assert_eq!(
            FITTED.probability(&plain, &params),
            FITTED.probability(&outlier, &params)
        );
        let mut novel = RiskInputs::default();
        novel.values[1] = 3.0;
        let corroborated = novel.clone().with_population(Some(1.0), Some(1.0));
        assert!(FITTED.probability(&corroborated, &params) > FITTED.probability(&novel, &params));
    }

    #[test]
    fn weights_scale_their_family() {
        let mut inputs = RiskInputs::default();
        inputs.values[1] = 3.0;
        let inputs = inputs.with_population(Some(1.0), None);
        let defaults = RiskParams::default();
        let without_forest = RiskParams {
            weight_isolation_forest: 0.0,
            ..RiskParams::default()
        };
        let forest_part = FITTED.logit(&inputs, &defaults) - FITTED.logit(&inputs, &without_forest);
        assert!((forest_part - FITTED.coefficients[FOREST] * inputs.values[FOREST]).abs() < 1e-12);
    }

    #[test]
    fn the_family_parts_add_up_to_the_log_odds() {
        let mut inputs = RiskInputs::default();
        inputs.values[1] = 2.0;
        inputs.values[23] = 1.0;
        let inputs = inputs.with_population(Some(0.8), Some(0.5));
        let params = RiskParams {
            weight_isolation_forest: 0.8,
            ..RiskParams::default()
        };
        let parts = FITTED.family_logits(&inputs, &params);
        let sum = FITTED.intercept + parts.iter().sum::<f64>();
        assert!((sum - FITTED.logit(&inputs, &params)).abs() < 1e-9);
        assert!(parts.iter().all(|part| *part > 0.0), "{parts:?}");
    }

    #[test]
    fn every_coefficient_is_evidence_for_an_attack() {
        assert!(
            FITTED
                .coefficients
                .iter()
                .all(|c| c.is_finite() && *c >= 0.0)
        );
        assert_eq!(FAMILIES[FOREST], Family::IsolationForest);
        assert_eq!(FAMILIES[DBSCAN], Family::Dbscan);
        assert_eq!(INPUT_NAMES[FOREST], "isolation_forest_corroborated");
        assert_eq!(INPUT_NAMES[DBSCAN], "dbscan_corroborated");
        assert_eq!(INPUT_NAMES[FAST_TRAVEL], "fast_travel");
    }
}
