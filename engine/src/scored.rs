//! A login as the pipeline leaves it: its score, level, each detector's score and the reasons.

use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::enrich::NetworkType;
use crate::explain::Explanation;
use crate::feedback::login_id;
use crate::risk::{Finding, RiskLevel};

/// One login with its score, level, detector scores and reasons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoredEvent {
    /// 1-based position of the data row in the input (header excluded).
    pub row: u64,
    pub line: u64,
    pub timestamp_ms: i64,
    pub user_id: Arc<str>,
    pub ip: IpAddr,
    pub success: Option<bool>,
    /// 0–1, to [`crate::SCORE_DECIMALS`] decimals, as every detector score here.
    pub risk_score: f64,
    pub risk_level: RiskLevel,
    /// Each detector's own 0–1 score; `None` when it abstained (disabled or warming up).
    pub isolation_forest: Option<f64>,
    pub dbscan: Option<f64>,
    pub statistical: f64,
    /// The strongest rule floor (0 when no rule fired).
    pub rules: f64,
    pub findings: Vec<Finding>,
    pub country: Option<Arc<str>>,
    pub city: Option<Arc<str>>,
    pub asn: Option<u32>,
    pub network: Option<NetworkType>,
    /// Distance and speed from the user's previous learnt login, when both are located.
    pub travel_km: Option<f64>,
    pub travel_kmh: Option<f64>,
    pub device: Arc<str>,
    /// How the score was made (each family's part, what made the login rare for the population
    /// models), for logins at Medium and above; `None` below, and in runs kept before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Box<Explanation>>,
}

impl ScoredEvent {
    /// The login's stable identifier ([`login_id`]), for verdicts.
    pub fn login_id(&self) -> String {
        login_id(&self.user_id, self.timestamp_ms, self.ip)
    }

    /// The reasons as one line, strongest first.
    pub fn reasons(&self) -> String {
        self.findings
            .iter()
            .map(Finding::explained)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// "Oslo, NO", or just the country when the city is unknown; `None` when not located.
    pub fn place(&self) -> Option<String> {
        match (self.city.as_deref(), self.country.as_deref()) {
            (Some(city), Some(country)) => Some(format!("{city}, {country}")),
            (None, Some(country)) => Some(country.to_owned()),
            _ => None,
        }
    }
}

/// "Oslo, NO · residential (AS2119)", with the parts that are known.
pub fn place(event: &ScoredEvent) -> String {
    let place = match (&event.city, &event.country) {
        (Some(city), Some(country)) => format!("{city}, {country}"),
        (None, Some(country)) => country.to_string(),
        (Some(city), None) => city.to_string(),
        (None, None) => "unknown location".to_owned(),
    };
    match (event.network, event.asn) {
        (Some(network), Some(asn)) => format!("{place} · {} (AS{asn})", network.as_str()),
        (Some(network), None) => format!("{place} · {}", network.as_str()),
        (None, Some(asn)) => format!("{place} · AS{asn}"),
        (None, None) => place,
    }
}
