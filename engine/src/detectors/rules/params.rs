//! The rules' thresholds and floors.

use serde::{Deserialize, Serialize};

use crate::check::{ConfigError, require};

/// Known attack patterns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleParams {
    /// Window for per-account and per-source attempt counts.
    pub window_secs: i64,
    /// Failures on one account within the window that make a brute-force attack (OWASP's
    /// Authentication Cheat Sheet suggests locking out after 5–10; 10 stays clear of typos).
    pub brute_force_failures: u32,
    /// Distinct accounts failing from one source within `spray_window_secs` for password spraying.
    pub spray_accounts: u32,
    /// Spraying is low and slow: a long window.
    pub spray_window_secs: i64,
    /// Distinct accounts, most of them unknown, tried from one source within the window for
    /// credential stuffing.
    pub stuffing_accounts: u32,
    /// Window for campaigns spread over many addresses: attempts from sources new to their
    /// account that share a client fingerprint (the exact user agent) or a network owner (ASN).
    /// A day, since low-and-slow spraying spreads over days.
    pub campaign_window_secs: i64,
    /// Distinct accounts failing, and distinct source addresses, that make such a campaign.
    /// Elastic's "Potential Okta Password Spray (Multi-Source)" rule alerts from 8 users and 5
    /// source addresses.
    pub campaign_accounts: u32,
    pub campaign_sources: u32,
    /// Window and distinct never-seen account names (from at least `campaign_sources`
    /// addresses) across the whole tenant that make a stuffing wave, whatever the addresses
    /// and clients.
    pub wave_window_secs: i64,
    pub wave_accounts: u32,
    /// Failures just before a success that make "failures followed by success".
    pub failures_before_success: u32,
    /// Speed above which travel between two logins is impossible; 1000 km/h as the original app
    /// (airliners cruise at about 900).
    pub max_speed_kmh: f64,
    /// Shorter jumps are treated as geolocation jitter, not travel.
    pub min_travel_km: f64,
    /// Least risk of an attempt in a brute-force run (on one account) or a password spray (from
    /// one network), and of a success that ends either: High and Critical, since the account or
    /// the source is under attack even if nothing got in yet, and a success means a password was
    /// found.
    pub brute_force_floor: f64,
    pub brute_force_success_floor: f64,
    pub spray_floor: f64,
    pub spray_success_floor: f64,
    /// Credential stuffing is one step surer than spraying (many unknown names from one
    /// address): its attempts and its hits rank just above.
    pub stuffing_floor: f64,
    pub stuffing_success_floor: f64,
    /// Least risk of a success after `failures_before_success` failures (fewer than a
    /// brute-force run) from a network or device new for a user whose baseline is trusted
    /// (High), and otherwise (Medium: a forgotten password looks like this).
    pub failures_then_success_floor: f64,
    pub failures_then_success_familiar_floor: f64,
    /// Least risk of impossible travel between two located, non-anonymising, unfamiliar places.
    pub impossible_travel_floor: f64,
    /// Least risk of a login an analyst confirmed compromised (Critical by default).
    pub confirmed_compromised_floor: f64,
    /// Least risk of a later login from the address of a confirmed compromise (High by default:
    /// the address may be shared, e.g. a hotel or carrier NAT).
    pub known_compromised_source_floor: f64,
}

impl Default for RuleParams {
    fn default() -> Self {
        Self {
            window_secs: 3600,
            brute_force_failures: 10,
            spray_accounts: 10,
            spray_window_secs: 86_400,
            stuffing_accounts: 20,
            campaign_window_secs: 86_400,
            campaign_accounts: 8,
            campaign_sources: 5,
            wave_window_secs: 3600,
            wave_accounts: 8,
            failures_before_success: 3,
            max_speed_kmh: 1000.0,
            min_travel_km: 500.0,
            brute_force_floor: 0.65,
            brute_force_success_floor: 0.9,
            spray_floor: 0.65,
            spray_success_floor: 0.9,
            stuffing_floor: 0.7,
            stuffing_success_floor: 0.95,
            failures_then_success_floor: 0.6,
            failures_then_success_familiar_floor: 0.4,
            impossible_travel_floor: 0.7,
            confirmed_compromised_floor: 0.95,
            known_compromised_source_floor: 0.75,
        }
    }
}

impl RuleParams {
    pub fn check(&self) -> Result<(), ConfigError> {
        require(
            self.window_secs > 0,
            "rules.window_secs",
            "must be positive",
        )?;
        require(
            self.spray_window_secs >= self.window_secs,
            "rules.spray_window_secs",
            "must be at least rules.window_secs",
        )?;
        require(
            self.campaign_window_secs > 0,
            "rules.campaign_window_secs",
            "must be positive",
        )?;
        require(
            self.wave_window_secs > 0,
            "rules.wave_window_secs",
            "must be positive",
        )?;
        for (count, name) in [
            (self.campaign_accounts, "rules.campaign_accounts"),
            (self.campaign_sources, "rules.campaign_sources"),
            (self.wave_accounts, "rules.wave_accounts"),
        ] {
            require(count >= 2, name, "must be at least 2")?;
        }
        require(
            self.brute_force_failures >= 2,
            "rules.brute_force_failures",
            "must be at least 2",
        )?;
        require(
            self.spray_accounts >= 2,
            "rules.spray_accounts",
            "must be at least 2",
        )?;
        require(
            self.stuffing_accounts >= 2,
            "rules.stuffing_accounts",
            "must be at least 2",
        )?;
        require(
            self.failures_before_success >= 1,
            "rules.failures_before_success",
            "must be at least 1",
        )?;
        require(
            self.max_speed_kmh.is_finite() && self.max_speed_kmh > 0.0,
            "rules.max_speed_kmh",
            "must be a positive number",
        )?;
        require(
            self.min_travel_km.is_finite() && self.min_travel_km >= 0.0,
            "rules.min_travel_km",
            "must be zero or more",
        )?;
        for (floor, name) in [
            (self.brute_force_floor, "rules.brute_force_floor"),
            (
                self.brute_force_success_floor,
                "rules.brute_force_success_floor",
            ),
            (self.spray_floor, "rules.spray_floor"),
            (self.spray_success_floor, "rules.spray_success_floor"),
            (self.stuffing_floor, "rules.stuffing_floor"),
            (self.stuffing_success_floor, "rules.stuffing_success_floor"),
            (
                self.failures_then_success_floor,
                "rules.failures_then_success_floor",
            ),
            (
                self.failures_then_success_familiar_floor,
                "rules.failures_then_success_familiar_floor",
            ),
            (
                self.impossible_travel_floor,
                "rules.impossible_travel_floor",
            ),
            (
                self.confirmed_compromised_floor,
                "rules.confirmed_compromised_floor",
            ),
            (
                self.known_compromised_source_floor,
                "rules.known_compromised_source_floor",
            ),
        ] {
            require(
                (0.0..=1.0).contains(&floor),
                name,
                "must be between 0 and 1",
            )?;
        }
        Ok(())
    }
}
