//! What the dashboard shows of a kept analysis, computed on the server from its scored logins.

use crate::text::query_value;
use engine::{RiskLevel, ScoredEvent, UserRisk};
use reports::model::{CountRow, CountryRow, TrendPoint};
use serde::{Deserialize, Serialize};

/// The dashboard's address: which analysis, which logins, whose details. Empty fields mean "all"
/// (and an empty `run`, the latest kept analysis).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardQuery {
    /// The source whose latest analysis is shown when `run` is empty (any source when empty).
    #[serde(default)]
    pub source: String,
    pub run: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    /// Only logins at or above this level (`medium`, `high`, …).
    pub level: String,
    /// Only users whose name contains this (any case).
    pub user: String,
    /// The user whose details are open.
    pub focus: String,
}

impl DashboardQuery {
    /// This query as a dashboard address.
    pub fn href(&self) -> String {
        let pairs = [
            ("source", &self.source),
            ("run", &self.run),
            ("from", &self.from),
            ("to", &self.to),
            ("level", &self.level),
            ("user", &self.user),
            ("focus", &self.focus),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", query_value(value)))
            .collect();
        if query.is_empty() {
            "/dashboard".to_owned()
        } else {
            format!("/dashboard?{}", query.join("&"))
        }
    }

    /// The same logins with `user`'s details open (or closed, for an empty name).
    pub fn focused_on(&self, user: &str) -> Self {
        Self {
            focus: user.to_owned(),
            ..self.clone()
        }
    }
}

/// Top rows kept for each list.
pub const TOP_ROWS: usize = 10;
/// Latest logins listed in a user's timeline.
pub const TIMELINE_ROWS: usize = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub run_id: String,
    pub file_name: String,
    /// Logins of the analysis, and those matching the filters (everything below counts these).
    pub total: u64,
    pub matching: u64,
    pub users: u64,
    pub high_or_above: u64,
    pub failures: u64,
    pub countries: u64,
    pub incidents: u64,
    pub travel_incidents: u64,
    /// Verdicts of the accounts with a matching login.
    #[serde(default)]
    pub accounts: engine::figures::AccountCounts,
    pub levels: Vec<(RiskLevel, u64)>,
    /// Logins, risky logins and mean risk per day (per hour under three days).
    pub trend: Vec<TrendPoint>,
    pub trend_unit: String,
    pub top_users: Vec<UserRisk>,
    pub top_countries: Vec<CountryRow>,
    pub devices: Vec<CountRow>,
    pub browsers: Vec<CountRow>,
    pub systems: Vec<CountRow>,
    /// Where the logins came from (located ones, at most [`MAP_PLACES`]), and the trips that
    /// were impossible travel (at most [`MAP_TRIPS`]).
    pub places: Vec<MapPlace>,
    pub trips: Vec<MapTrip>,
    pub focus: Option<UserDetail>,
}

/// Places and trips drawn on the map at most (the riskiest first).
pub const MAP_PLACES: usize = 500;
pub const MAP_TRIPS: usize = 200;

/// Logins from one place (coordinates rounded to 0.1°).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapPlace {
    pub latitude: f64,
    pub longitude: f64,
    pub label: String,
    pub logins: u64,
    /// The highest level of a login from here.
    pub worst: RiskLevel,
}

/// A login flagged as impossible travel, from the place of the user's previous login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapTrip {
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub label: String,
    pub level: RiskLevel,
}

/// One user's logins within the filters: where from, on what, what was found, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user_id: String,
    pub risk: Option<UserRisk>,
    pub logins: u64,
    pub places: Vec<CountRow>,
    pub devices: Vec<CountRow>,
    pub findings: Vec<CountRow>,
    /// Newest first, at most [`TIMELINE_ROWS`].
    pub timeline: Vec<ScoredEvent>,
}

#[cfg(feature = "runtime")]
pub use build::build;

#[cfg(feature = "runtime")]
mod build {
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::net::IpAddr;

    use engine::AnalysisConfig;
    use engine::enrich::described_parts;
    use engine::figures::{Conclusions, Figures, selected_users};
    use engine::incidents::kind_title;
    use engine::{FindingKind, ScoredEvent};
    use reports::filter::Filter;
    use reports::model::{countries, sorted_counts, trend};

    use super::*;

    /// The dashboard of `events` (one analysis, with what it concluded and its settings) for
    /// `query`; `Err` names a bad filter. Its counts are the run's [`Figures`] for the filters,
    /// as the reports and the API count them. `locate` gives an address's latitude and longitude,
    /// when known.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        run_id: &str,
        file_name: &str,
        events: &[ScoredEvent],
        conclusions: &Conclusions,
        config: &AnalysisConfig,
        query: &DashboardQuery,
        locate: &dyn Fn(IpAddr) -> Option<(f64, f64)>,
    ) -> Result<Dashboard, String> {
        let filter = Filter::parse(
            Some(query.level.as_str()),
            Some(query.from.as_str()),
            Some(query.to.as_str()),
        )
        .map_err(|error| error.to_string())?;
        let user = query.user.trim();
        let selection = engine::figures::Selection {
            user: (!user.is_empty()).then(|| user.to_owned()),
            ..filter.selection()
        };
        let matching: Vec<&ScoredEvent> = events
            .iter()
            .filter(|event| selection.contains(event))
            .collect();
        let figures = Figures::of(events, conclusions, config, &selection);
        let user_risks: Vec<UserRisk> = selected_users(&conclusions.users, events, &selection)
            .into_iter()
            .cloned()
            .collect();
        let (trend, unit) = trend(&matching);
        let mut top_countries = countries(&matching);
        top_countries.truncate(TOP_ROWS);
        let (devices, browsers, systems) = agents(&matching);
        let located = located(&matching, locate);
        let places = places(&matching, &located);
        let trips = trips(events, &matching, &located);
        let focus = (!query.focus.is_empty()).then(|| {
            let theirs: Vec<&ScoredEvent> = matching
                .iter()
                .copied()
                .filter(|event| event.user_id.eq_ignore_ascii_case(&query.focus))
                .collect();
            user_detail(&query.focus, &theirs, &conclusions.users)
        });
        Ok(Dashboard {
            run_id: run_id.to_owned(),
            file_name: file_name.to_owned(),
            total: figures.total,
            matching: figures.logins,
            users: figures.users,
            high_or_above: figures.risky,
            failures: figures.outcomes.failed,
            countries: figures.countries,
            incidents: figures.incidents.total,
            travel_incidents: figures.incidents.impossible_travel,
            accounts: figures.accounts,
            levels: figures.levels,
            trend,
            trend_unit: unit.to_owned(),
            top_users: user_risks.into_iter().take(TOP_ROWS).collect(),
            top_countries,
            devices,
            browsers,
            systems,
            places,
            trips,
            focus,
        })
    }

    fn place_label(event: &ScoredEvent) -> String {
        event.place().unwrap_or_else(|| event.ip.to_string())
    }

    /// Coordinates of each distinct address among `events` that has them.
    fn located(
        events: &[&ScoredEvent],
        locate: &dyn Fn(IpAddr) -> Option<(f64, f64)>,
    ) -> HashMap<IpAddr, (f64, f64)> {
        let mut located = HashMap::new();
        let mut tried = HashSet::new();
        for event in events {
            if tried.insert(event.ip)
                && let Some(point) = locate(event.ip)
            {
                located.insert(event.ip, point);
            }
        }
        located
    }

    fn places(events: &[&ScoredEvent], located: &HashMap<IpAddr, (f64, f64)>) -> Vec<MapPlace> {
        let mut by_point: BTreeMap<(i64, i64), MapPlace> = BTreeMap::new();
        for event in events {
            let Some(&(latitude, longitude)) = located.get(&event.ip) else {
                continue;
            };
            let key = (
                (latitude * 10.0).round() as i64,
                (longitude * 10.0).round() as i64,
            );
            let place = by_point.entry(key).or_insert_with(|| MapPlace {
                latitude: key.0 as f64 / 10.0,
                longitude: key.1 as f64 / 10.0,
                label: place_label(event),
                logins: 0,
                worst: RiskLevel::Low,
            });
            place.logins += 1;
            place.worst = place.worst.max(event.risk_level);
        }
        let mut places: Vec<MapPlace> = by_point.into_values().collect();
        places.sort_by(|a, b| b.worst.cmp(&a.worst).then(b.logins.cmp(&a.logins)));
        places.truncate(MAP_PLACES);
        // Drawn in this order: the riskiest last, on top.
        places.reverse();
        places
    }

    /// Impossible-travel logins among `matching`, each from its user's previous login (in all
    /// of `events`).
    fn trips(
        events: &[ScoredEvent],
        matching: &[&ScoredEvent],
        located: &HashMap<IpAddr, (f64, f64)>,
    ) -> Vec<MapTrip> {
        let travelled: Vec<&ScoredEvent> = matching
            .iter()
            .copied()
            .filter(|event| {
                event.findings.iter().any(|finding| {
                    finding.kind == FindingKind::ImpossibleTravel && finding.is_active()
                })
            })
            .collect();
        if travelled.is_empty() {
            return Vec::new();
        }
        let mut by_user: HashMap<&str, Vec<&ScoredEvent>> = HashMap::new();
        for event in events {
            by_user.entry(&event.user_id).or_default().push(event);
        }
        for logins in by_user.values_mut() {
            logins.sort_by_key(|event| (event.timestamp_ms, event.row));
        }
        let mut trips: Vec<MapTrip> = travelled
            .into_iter()
            .filter_map(|event| {
                let logins = &by_user[&*event.user_id];
                let at = logins
                    .iter()
                    .position(|login| std::ptr::eq(*login, event))?;
                let previous = logins[..at].last()?;
                let from = *located.get(&previous.ip)?;
                let to = *located.get(&event.ip)?;
                Some(MapTrip {
                    from,
                    to,
                    label: format!(
                        "{}: {} → {}{}",
                        event.user_id,
                        place_label(previous),
                        place_label(event),
                        event
                            .travel_kmh
                            .map(|speed| format!(" ({speed:.0} km/h)"))
                            .unwrap_or_default()
                    ),
                    level: event.risk_level,
                })
            })
            .collect();
        trips.sort_by_key(|trip| std::cmp::Reverse(trip.level));
        trips.truncate(MAP_TRIPS);
        trips
    }

    fn top(counts: BTreeMap<String, u64>) -> Vec<CountRow> {
        let mut rows = sorted_counts(counts);
        rows.truncate(TOP_ROWS);
        rows
    }

    /// Device types, browsers and operating systems of the logins.
    fn agents(events: &[&ScoredEvent]) -> (Vec<CountRow>, Vec<CountRow>, Vec<CountRow>) {
        let (mut devices, mut browsers, mut systems) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for event in events {
            let (browser, os, device) =
                described_parts(&event.device).unwrap_or(("Unknown", "Unknown", "unknown"));
            *devices.entry(device.to_owned()).or_default() += 1;
            *browsers.entry(browser.to_owned()).or_default() += 1;
            *systems.entry(os.to_owned()).or_default() += 1;
        }
        (top(devices), top(browsers), top(systems))
    }

    fn user_detail(name: &str, events: &[&ScoredEvent], risks: &[UserRisk]) -> UserDetail {
        let mut places = BTreeMap::new();
        let mut devices = BTreeMap::new();
        let mut findings: BTreeMap<String, u64> = BTreeMap::new();
        for event in events {
            let place = event.place().unwrap_or_else(|| "unknown place".to_owned());
            *places.entry(place).or_default() += 1;
            *devices.entry(event.device.to_string()).or_default() += 1;
            for finding in event.findings.iter().filter(|finding| finding.is_active()) {
                *findings
                    .entry(kind_title(finding.kind).to_owned())
                    .or_default() += 1;
            }
        }
        let mut timeline: Vec<ScoredEvent> = events.iter().map(|&event| event.clone()).collect();
        timeline.sort_by(|a, b| b.timestamp_ms.cmp(&a.timestamp_ms).then(b.row.cmp(&a.row)));
        timeline.truncate(TIMELINE_ROWS);
        UserDetail {
            user_id: events
                .first()
                .map_or_else(|| name.to_owned(), |event| event.user_id.to_string()),
            risk: risks
                .iter()
                .find(|risk| risk.user_id.eq_ignore_ascii_case(name))
                .cloned(),
            logins: events.len() as u64,
            places: sorted_counts(places),
            devices: sorted_counts(devices),
            findings: sorted_counts(findings),
            timeline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_has_an_address() {
        assert_eq!(DashboardQuery::default().href(), "/dashboard");
        let query = DashboardQuery {
            run: "abc".to_owned(),
            level: "high".to_owned(),
            user: "o'brien & co".to_owned(),
            ..DashboardQuery::default()
        };
        assert_eq!(
            query.href(),
            "/dashboard?run=abc&level=high&user=o%27brien%20%26%20co"
        );
        assert_eq!(
            query.focused_on("ava").href(),
            "/dashboard?run=abc&level=high&user=o%27brien%20%26%20co&focus=ava"
        );
    }
}
