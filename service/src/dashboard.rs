//! What the dashboard shows of a kept analysis, computed on the server from its scored logins.
//!
//! The filters choose which logins are counted and listed; they never change how a user or an
//! incident was scored: a user's risk, the accounts' verdicts and the run's incidents are the
//! run's own conclusions, computed once over every login ([`RunFacts`]), and every count is the
//! run's [`engine::figures::Figures`] for the filters, as the reports and the API count them.

use crate::text::{count, counted, query_value};
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
    /// The run's first and last login, whatever the filters.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// Logins of the analysis, and those matching the filters (everything below counts these).
    pub total: u64,
    pub matching: u64,
    pub users: u64,
    pub high_or_above: u64,
    pub failures: u64,
    pub countries: u64,
    /// The run's incidents with a login the filters select.
    pub incidents: u64,
    pub travel_incidents: u64,
    /// Verdicts of the accounts with a matching login.
    #[serde(default)]
    pub accounts: engine::figures::AccountCounts,
    pub levels: Vec<(RiskLevel, u64)>,
    /// Logins, risky logins and mean risk per day (per hour under three days).
    pub trend: Vec<TrendPoint>,
    pub trend_unit: String,
    /// Users with matching logins, by their risk in the run (riskiest first).
    pub top_users: Vec<UserRisk>,
    pub top_countries: Vec<CountryRow>,
    pub devices: Vec<CountRow>,
    pub browsers: Vec<CountRow>,
    pub systems: Vec<CountRow>,
    pub map: MapView,
    pub focus: Option<UserDetail>,
    /// Filters that could not be applied, each with why; the others are applied.
    pub problems: Vec<FilterProblem>,
    /// The user filter, when no user of the run has a name containing it.
    pub unknown_user: Option<String>,
    /// The live view's sources: what each has received since the server started.
    #[serde(default)]
    pub sources: Vec<SourceActivity>,
}

/// One monitored source's records since the server started, and its rate of the last minute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceActivity {
    pub source: String,
    pub per_second: f64,
    pub scored: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub skipped: u64,
    pub last_seen_ms: i64,
}

/// A filter the dashboard could not apply: which field (`from`, `to`, `level`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterProblem {
    pub field: String,
    pub message: String,
}

impl Dashboard {
    /// The problem with `field`, if any.
    pub fn problem(&self, field: &str) -> Option<&FilterProblem> {
        self.problems.iter().find(|problem| problem.field == field)
    }
}

/// Places drawn on the map at most: finer places are grouped on a coarser grid until they fit.
pub const MAP_PLACES: usize = 300;
/// Routes (impossible-travel trips between two places) drawn at most, the busiest.
pub const MAP_ROUTES: usize = 40;
/// The grids places are grouped on, finest first (degrees; 0.1° is about a town).
pub const MAP_GRIDS: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

/// Where the matching logins came from, grouped to fit the map, and the impossible-travel
/// routes between the places; with what was left out, so the map can say what it shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// Riskiest last (drawn on top).
    pub places: Vec<MapPlace>,
    /// The busiest routes, riskiest last.
    pub routes: Vec<MapRoute>,
    /// Matching logins on the map (the others have no known location).
    pub located_logins: u64,
    /// The grid the places are grouped on, in degrees.
    pub grid_degrees: f64,
    /// Distinct places (on the finest grid) before grouping.
    pub fine_places: u64,
    /// Impossible-travel trips among the matching logins with both ends located, and the
    /// distinct routes between places they make (of which `routes` are the busiest).
    pub trips: u64,
    pub routes_total: u64,
}

impl MapView {
    /// What the map shows, in a sentence: places (or areas, when grouped) and logins, the
    /// logins it could not place, and the routes shown of all.
    pub fn describe(&self, matching: u64) -> String {
        let shown = self.places.len() as u64;
        let mut text = if self.grid_degrees > MAP_GRIDS[0] {
            format!(
                "{} from {} ({} grouped on a {}° grid)",
                counted(shown, "area"),
                counted(self.located_logins, "login"),
                counted(self.fine_places, "place"),
                self.grid_degrees
            )
        } else {
            format!(
                "{} from {}",
                counted(shown, "place"),
                counted(self.located_logins, "login")
            )
        };
        if self.located_logins < matching {
            text.push_str(&format!(
                "; {} without a known location",
                counted(matching - self.located_logins, "login")
            ));
        }
        match (self.routes.len() as u64, self.routes_total) {
            (_, 0) => text.push_str("; no impossible travel."),
            (shown, total) if shown == total => text.push_str(&format!(
                "; impossible travel: {} ({}).",
                counted(total, "route"),
                counted(self.trips, "trip")
            )),
            (shown, total) => text.push_str(&format!(
                "; impossible travel: the {shown} busiest routes of {} shown ({}).",
                count(total),
                counted(self.trips, "trip")
            )),
        }
        text
    }
}

/// Logins from one place, or from a grid cell's places grouped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapPlace {
    /// The logins' mean position.
    pub latitude: f64,
    pub longitude: f64,
    /// "Oslo, NO", or "Oslo, NO and 3 more places" for a group.
    pub label: String,
    pub logins: u64,
    pub high_or_above: u64,
    /// The highest level of a login from here.
    pub worst: RiskLevel,
}

/// A position: latitude and longitude in degrees.
pub type Point = (f64, f64);
/// A line on the map from one point to another.
pub type Segment = (Point, Point);

/// Impossible-travel trips from one place to another (their previous login's, and theirs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapRoute {
    /// Latitude and longitude of both ends.
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub label: String,
    pub trips: u64,
    pub users: u64,
    pub worst: RiskLevel,
}

impl MapRoute {
    /// The route as drawn on a flat map, ends as (latitude, longitude): one piece, or two when
    /// the short way crosses the antimeridian (each piece then runs to the map's edge), so no
    /// route is drawn across the whole world. The second value says whether it was split.
    pub fn pieces(&self) -> (Vec<Segment>, bool) {
        let (from, to) = (self.from, self.to);
        let step = to.1 - from.1;
        if step.abs() <= 180.0 {
            return (vec![(from, to)], false);
        }
        // The other way round: `to` one turn east or west of where it is drawn.
        let shifted = if step > 0.0 {
            to.1 - 360.0
        } else {
            to.1 + 360.0
        };
        let edge = if step > 0.0 { -180.0 } else { 180.0 };
        let t = (edge - from.1) / (shifted - from.1);
        let latitude = from.0 + t * (to.0 - from.0);
        (
            vec![
                ((from.0, from.1), (latitude, edge)),
                ((latitude, -edge), to),
            ],
            true,
        )
    }
}

/// One user's logins within the filters: where from, on what, what was found, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user_id: String,
    /// Their risk in the run (all their logins, whatever the filters).
    pub risk: Option<UserRisk>,
    /// Their logins in the whole run; 0 when the run has none of theirs.
    pub in_run: u64,
    /// Their logins matching the filters (what is listed below).
    pub logins: u64,
    pub places: Vec<CountRow>,
    pub devices: Vec<CountRow>,
    pub findings: Vec<CountRow>,
    /// Newest first, at most [`TIMELINE_ROWS`].
    pub timeline: Vec<ScoredEvent>,
}

/// The `run` of the live dashboard: the monitored logins of a source, not one analysis.
pub const LIVE: &str = "live";
/// Latest monitored logins the live dashboard shows at most.
pub const LIVE_LOGINS: usize = 200_000;
/// Longest span of days the live dashboard reads.
pub const LIVE_MAX_DAYS: i64 = 31;

/// The monitored logins the live dashboard reads: by their own time, `from_ms` until before
/// `to_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSpan {
    pub from_ms: i64,
    pub to_ms: i64,
    pub described: String,
}

#[cfg(feature = "runtime")]
pub use build::{RunFacts, build, live_span, live_span_between};

#[cfg(feature = "runtime")]
mod build {
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
    use std::net::IpAddr;

    use engine::AnalysisConfig;
    use engine::enrich::described_parts;
    use engine::figures::Selection;
    use engine::figures::{Conclusions, Figures};
    use engine::incidents::kind_title;
    use engine::{FindingKind, ScoredEvent};
    use reports::filter::{Filter, parse_level};
    use reports::model::{countries, sorted_counts, trend};

    use super::*;

    const DAY_MS: i64 = 86_400_000;
    /// Logins stamped a little ahead of this server's clock still show.
    const CLOCK_SKEW_MS: i64 = 5 * 60_000;

    /// The span of monitored logins the live dashboard reads at `now_ms` for `query`: the days
    /// `from`–`to` when given (one open end reaching to now; at most [`LIVE_MAX_DAYS`]), else the
    /// last 24 hours. Dates that cannot be applied are explained by [`build`] and read as absent.
    pub fn live_span(query: &DashboardQuery, now_ms: i64) -> LiveSpan {
        let (filter, _) = read_filters(query);
        live_span_between(filter.from_ms, filter.to_ms, now_ms)
    }

    /// [`live_span`] of the bounds a filter read (the REST API's `from` and `to`).
    pub fn live_span_between(from_ms: Option<i64>, to_ms: Option<i64>, now_ms: i64) -> LiveSpan {
        let latest_ms = now_ms + CLOCK_SKEW_MS;
        match (from_ms, to_ms) {
            (None, None) => LiveSpan {
                from_ms: now_ms - DAY_MS,
                to_ms: latest_ms,
                described: "the last 24 hours, updated as logins arrive".to_owned(),
            },
            (from_ms, given_to_ms) => {
                let to_ms = given_to_ms.unwrap_or(latest_ms);
                let earliest_ms = to_ms - LIVE_MAX_DAYS * DAY_MS;
                let from_ms = from_ms.unwrap_or(earliest_ms).max(earliest_ms);
                let day = |ms: i64| {
                    let mut text = engine::time::format_utc(ms);
                    text.truncate(10);
                    text
                };
                let until = given_to_ms.map_or_else(|| "now".to_owned(), |to_ms| day(to_ms - 1));
                LiveSpan {
                    from_ms,
                    to_ms,
                    described: format!("{} to {until} (UTC days)", day(from_ms)),
                }
            }
        }
    }

    /// What is computed once per run, whatever the filters: what the run concluded (users'
    /// risk, accounts' verdicts, campaigns, incidents) and where each address is.
    pub struct RunFacts {
        pub conclusions: Conclusions,
        pub located: HashMap<IpAddr, (f64, f64)>,
    }

    impl RunFacts {
        /// The facts of `events` with what the run concluded from them; `locate` gives an
        /// address's latitude and longitude, when known.
        pub fn of(
            events: &[ScoredEvent],
            conclusions: Conclusions,
            locate: &dyn Fn(IpAddr) -> Option<(f64, f64)>,
        ) -> Self {
            let mut located = HashMap::new();
            let mut tried = HashSet::new();
            for event in events {
                if tried.insert(event.ip)
                    && let Some(point) = locate(event.ip)
                {
                    located.insert(event.ip, point);
                }
            }
            Self {
                conclusions,
                located,
            }
        }
    }

    /// The filters that parse, and a problem for each that does not.
    fn read_filters(query: &DashboardQuery) -> (Filter, Vec<FilterProblem>) {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FilterProblem {
                field: field.to_owned(),
                message,
            })
        };
        let level = match query.level.trim() {
            "" => None,
            text => match parse_level(text) {
                Ok(level) => Some(level),
                Err(_) => {
                    problem(
                        "level",
                        format!(
                            "There is no level {text:?}; choose Medium, High or Critical. All levels are shown."
                        ),
                    );
                    None
                }
            },
        };
        let date = |field: &str, text: &str, problem: &mut dyn FnMut(&str, String)| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = if field == "from" {
                Filter::parse(None, Some(text), None).map(|filter| filter.from_ms)
            } else {
                Filter::parse(None, None, Some(text)).map(|filter| filter.to_ms)
            };
            match parsed {
                Ok(ms) => ms,
                Err(_) => {
                    problem(
                        field,
                        format!(
                            "{text:?} is not a date; use YYYY-MM-DD (such as 2026-03-01). This date is not applied."
                        ),
                    );
                    None
                }
            }
        };
        let mut from_ms = date("from", &query.from, &mut problem);
        let mut to_ms = date("to", &query.to, &mut problem);
        if let (Some(from), Some(to)) = (from_ms, to_ms)
            && from >= to
        {
            problem(
                "to",
                format!(
                    "“To” ({}) is before “From” ({}): no day is in between. Both dates are not applied until one is changed.",
                    query.to.trim(),
                    query.from.trim()
                ),
            );
            (from_ms, to_ms) = (None, None);
        }
        (
            Filter {
                min_level: level,
                from_ms,
                to_ms,
            },
            problems,
        )
    }

    /// The dashboard of `events` (one analysis, with its [`RunFacts`]) for `query`. Filters that
    /// cannot be applied are left out and explained in [`Dashboard::problems`].
    pub fn build(
        run_id: &str,
        file_name: &str,
        events: &[ScoredEvent],
        config: &AnalysisConfig,
        facts: &RunFacts,
        query: &DashboardQuery,
    ) -> Dashboard {
        let (filter, problems) = read_filters(query);
        let needle = query.user.trim().to_lowercase();
        let user_matches = |user: &str| needle.is_empty() || user.to_lowercase().contains(&needle);
        // Each distinct name is compared once (a run has far fewer users than logins).
        let mut names: HashMap<&str, bool> = HashMap::new();
        let mut matching: Vec<&ScoredEvent> = Vec::new();
        let mut matching_users: BTreeSet<&str> = BTreeSet::new();
        let mut any_user_named = needle.is_empty();
        for event in events {
            let named = *names
                .entry(&event.user_id)
                .or_insert_with(|| user_matches(&event.user_id));
            any_user_named |= named;
            if named && filter.in_range(event.timestamp_ms) && filter.at_level(event.risk_level) {
                matching.push(event);
                matching_users.insert(&event.user_id);
            }
        }
        let selection = Selection {
            user: (!needle.is_empty()).then(|| needle.clone()),
            ..filter.selection()
        };
        let figures = Figures::of(events, &facts.conclusions, config, &selection);
        let (trend, unit) = trend(&matching);
        let mut top_countries = countries(&matching);
        top_countries.truncate(TOP_ROWS);
        let (devices, browsers, systems) = agents(&matching);
        let map = map(events, &matching, &facts.located);
        let focus = (!query.focus.trim().is_empty()).then(|| {
            user_detail(
                query.focus.trim(),
                events,
                &matching,
                &facts.conclusions.users,
            )
        });
        Dashboard {
            sources: Vec::new(),
            run_id: run_id.to_owned(),
            file_name: file_name.to_owned(),
            first_ms: events.iter().map(|event| event.timestamp_ms).min(),
            last_ms: events.iter().map(|event| event.timestamp_ms).max(),
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
            top_users: facts
                .conclusions
                .users
                .iter()
                .filter(|risk| matching_users.contains(risk.user_id.as_str()))
                .take(TOP_ROWS)
                .cloned()
                .collect(),
            top_countries,
            devices,
            browsers,
            systems,
            map,
            focus,
            problems,
            unknown_user: (!any_user_named).then(|| query.user.trim().to_owned()),
        }
    }

    fn place_label(event: &ScoredEvent) -> String {
        event.place().unwrap_or_else(|| event.ip.to_string())
    }

    /// A grid cell: latitude and longitude in grid steps.
    type Cell = (i64, i64);

    /// A point's cell on a grid of `degrees`.
    fn cell(point: Point, degrees: f64) -> Cell {
        (
            (point.0 / degrees).floor() as i64,
            (point.1 / degrees).floor() as i64,
        )
    }

    /// Places on the finest grid: logins, High-or-above logins, highest level, the position's
    /// sums (for the mean) and the label of the first login seen there.
    struct Fine {
        logins: u64,
        high: u64,
        worst: RiskLevel,
        latitude: f64,
        longitude: f64,
        label: String,
    }

    fn map(
        events: &[ScoredEvent],
        matching: &[&ScoredEvent],
        located: &HashMap<IpAddr, (f64, f64)>,
    ) -> MapView {
        let mut fine: HashMap<Cell, Fine> = HashMap::new();
        let mut located_logins = 0;
        for event in matching {
            let Some(&point) = located.get(&event.ip) else {
                continue;
            };
            located_logins += 1;
            let place = fine
                .entry(cell(point, MAP_GRIDS[0]))
                .or_insert_with(|| Fine {
                    logins: 0,
                    high: 0,
                    worst: RiskLevel::Low,
                    latitude: 0.0,
                    longitude: 0.0,
                    label: place_label(event),
                });
            place.logins += 1;
            place.high += u64::from(event.risk_level >= RiskLevel::High);
            place.worst = place.worst.max(event.risk_level);
            place.latitude += point.0;
            place.longitude += point.1;
        }
        // The finest grid on which the places fit.
        let fine_cells: Vec<Cell> = fine.keys().copied().collect();
        let grid = MAP_GRIDS
            .iter()
            .copied()
            .find(|&degrees| {
                let cells: HashSet<Cell> = fine
                    .values()
                    .map(|place| {
                        let mean = (
                            place.latitude / place.logins as f64,
                            place.longitude / place.logins as f64,
                        );
                        cell(mean, degrees)
                    })
                    .collect();
                cells.len() <= MAP_PLACES
            })
            .unwrap_or(MAP_GRIDS[MAP_GRIDS.len() - 1]);
        // Group the fine places by their cell on that grid.
        struct Group<'a> {
            members: Vec<&'a Fine>,
        }
        let mut groups: BTreeMap<Cell, Group<'_>> = BTreeMap::new();
        for key in &fine_cells {
            let place = &fine[key];
            let mean = (
                place.latitude / place.logins as f64,
                place.longitude / place.logins as f64,
            );
            groups
                .entry(cell(mean, grid))
                .or_insert_with(|| Group {
                    members: Vec::new(),
                })
                .members
                .push(place);
        }
        let mut centres: HashMap<Cell, (Point, String)> = HashMap::new();
        let mut places: Vec<MapPlace> = groups
            .into_iter()
            .map(|(key, mut group)| {
                group
                    .members
                    .sort_by(|a, b| b.logins.cmp(&a.logins).then_with(|| a.label.cmp(&b.label)));
                let logins: u64 = group.members.iter().map(|place| place.logins).sum();
                let latitude: f64 = group.members.iter().map(|place| place.latitude).sum();
                let longitude: f64 = group.members.iter().map(|place| place.longitude).sum();
                let busiest = &group.members[0].label;
                let label = match group.members.len() - 1 {
                    0 => busiest.clone(),
                    more => format!("{busiest} and {}", counted(more as u64, "more place")),
                };
                let centre = (latitude / logins as f64, longitude / logins as f64);
                centres.insert(key, (centre, label.clone()));
                MapPlace {
                    latitude: centre.0,
                    longitude: centre.1,
                    label,
                    logins,
                    high_or_above: group.members.iter().map(|place| place.high).sum(),
                    worst: group
                        .members
                        .iter()
                        .map(|place| place.worst)
                        .max()
                        .unwrap_or(RiskLevel::Low),
                }
            })
            .collect();
        // Drawn in this order: the riskiest last, on top.
        places.sort_by(|a, b| {
            a.worst
                .cmp(&b.worst)
                .then(a.logins.cmp(&b.logins))
                .then_with(|| a.label.cmp(&b.label))
        });
        let (routes, trips, routes_total) = routes(events, matching, located, grid, &centres);
        MapView {
            places,
            routes,
            located_logins,
            grid_degrees: grid,
            fine_places: fine.len() as u64,
            trips,
            routes_total,
        }
    }

    /// Impossible-travel logins among `matching`, each from its user's previous login (in all of
    /// `events`), as routes between the grid's places: the busiest [`MAP_ROUTES`], how many
    /// trips could be placed, and how many distinct routes they make.
    fn routes(
        events: &[ScoredEvent],
        matching: &[&ScoredEvent],
        located: &HashMap<IpAddr, (f64, f64)>,
        grid: f64,
        centres: &HashMap<Cell, (Point, String)>,
    ) -> (Vec<MapRoute>, u64, u64) {
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
            return (Vec::new(), 0, 0);
        }
        let travellers: HashSet<&str> = travelled.iter().map(|event| &*event.user_id).collect();
        let mut by_user: HashMap<&str, Vec<&ScoredEvent>> = HashMap::new();
        for event in events {
            if travellers.contains(&*event.user_id) {
                by_user.entry(&event.user_id).or_default().push(event);
            }
        }
        for logins in by_user.values_mut() {
            logins.sort_by_key(|event| (event.timestamp_ms, event.row));
        }
        struct Route<'a> {
            from: ((f64, f64), String),
            to: ((f64, f64), String),
            trips: u64,
            users: BTreeSet<&'a str>,
            worst: RiskLevel,
            fastest: Option<f64>,
        }
        let end = |point: (f64, f64), event: &ScoredEvent| {
            centres
                .get(&cell(point, grid))
                .cloned()
                .unwrap_or_else(|| (point, place_label(event)))
        };
        let mut routes: HashMap<(Cell, Cell), Route<'_>> = HashMap::new();
        let mut trips = 0;
        for event in travelled {
            let logins = &by_user[&*event.user_id];
            let Some(at) = logins.iter().position(|login| std::ptr::eq(*login, event)) else {
                continue;
            };
            let Some(previous) = at.checked_sub(1).map(|index| logins[index]) else {
                continue;
            };
            let (Some(&from), Some(&to)) = (located.get(&previous.ip), located.get(&event.ip))
            else {
                continue;
            };
            let key = (cell(from, grid), cell(to, grid));
            if key.0 == key.1 {
                // Both ends in one place at this scale: nothing to draw.
                continue;
            }
            trips += 1;
            let route = routes.entry(key).or_insert_with(|| Route {
                from: end(from, previous),
                to: end(to, event),
                trips: 0,
                users: BTreeSet::new(),
                worst: RiskLevel::Low,
                fastest: None,
            });
            route.trips += 1;
            route.users.insert(&event.user_id);
            route.worst = route.worst.max(event.risk_level);
            if let Some(speed) = event.travel_kmh {
                route.fastest = Some(route.fastest.map_or(speed, |fastest| fastest.max(speed)));
            }
        }
        let total = routes.len() as u64;
        let mut ranked: Vec<Route<'_>> = routes.into_values().collect();
        ranked.sort_by(|a, b| {
            b.trips
                .cmp(&a.trips)
                .then(b.worst.cmp(&a.worst))
                .then_with(|| a.from.1.cmp(&b.from.1))
                .then_with(|| a.to.1.cmp(&b.to.1))
        });
        ranked.truncate(MAP_ROUTES);
        let mut shown: Vec<MapRoute> = ranked
            .into_iter()
            .map(|route| {
                let users: Vec<&str> = route.users.iter().copied().collect();
                let who = match users.len() {
                    1..=3 => users.join(", "),
                    more => format!("{} and {} more", users[..2].join(", "), more - 2),
                };
                let speed = route
                    .fastest
                    .map(|speed| format!(", up to {} km/h", count(speed.round() as u64)))
                    .unwrap_or_default();
                MapRoute {
                    from: route.from.0,
                    to: route.to.0,
                    label: format!(
                        "{} → {}: {} by {who}{speed}, highest level {}",
                        route.from.1,
                        route.to.1,
                        counted(route.trips, "trip"),
                        route.worst.as_str()
                    ),
                    trips: route.trips,
                    users: users.len() as u64,
                    worst: route.worst,
                }
            })
            .collect();
        shown.sort_by(|a, b| a.worst.cmp(&b.worst).then(a.trips.cmp(&b.trips)));
        (shown, trips, total)
    }

    fn top(counts: BTreeMap<String, u64>) -> Vec<CountRow> {
        let mut rows = sorted_counts(counts);
        rows.truncate(TOP_ROWS);
        rows
    }

    /// Device types, browsers and operating systems of the logins.
    fn agents(events: &[&ScoredEvent]) -> (Vec<CountRow>, Vec<CountRow>, Vec<CountRow>) {
        // Counted per distinct description first: a run has few devices and many logins.
        let mut per_device: HashMap<&str, u64> = HashMap::new();
        for event in events {
            *per_device.entry(&event.device).or_default() += 1;
        }
        let (mut devices, mut browsers, mut systems) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (description, logins) in per_device {
            let (browser, os, device) =
                described_parts(description).unwrap_or(("Unknown", "Unknown", "unknown"));
            *devices.entry(device.to_owned()).or_default() += logins;
            *browsers.entry(browser.to_owned()).or_default() += logins;
            *systems.entry(os.to_owned()).or_default() += logins;
        }
        (top(devices), top(browsers), top(systems))
    }

    fn user_detail(
        name: &str,
        events: &[ScoredEvent],
        matching: &[&ScoredEvent],
        risks: &[UserRisk],
    ) -> UserDetail {
        let in_run = events
            .iter()
            .filter(|event| event.user_id.eq_ignore_ascii_case(name))
            .count() as u64;
        let theirs: Vec<&ScoredEvent> = matching
            .iter()
            .copied()
            .filter(|event| event.user_id.eq_ignore_ascii_case(name))
            .collect();
        let mut places = BTreeMap::new();
        let mut devices = BTreeMap::new();
        let mut findings: BTreeMap<String, u64> = BTreeMap::new();
        for event in &theirs {
            let place = event.place().unwrap_or_else(|| "unknown place".to_owned());
            *places.entry(place).or_default() += 1;
            *devices.entry(event.device.to_string()).or_default() += 1;
            for finding in event.findings.iter().filter(|finding| finding.is_active()) {
                *findings
                    .entry(kind_title(finding.kind).to_owned())
                    .or_default() += 1;
            }
        }
        let mut timeline: Vec<ScoredEvent> = theirs.iter().map(|&event| event.clone()).collect();
        timeline.sort_by(|a, b| b.timestamp_ms.cmp(&a.timestamp_ms).then(b.row.cmp(&a.row)));
        timeline.truncate(TIMELINE_ROWS);
        let risk = risks
            .iter()
            .find(|risk| risk.user_id.eq_ignore_ascii_case(name))
            .cloned();
        UserDetail {
            user_id: risk
                .as_ref()
                .map_or_else(|| name.to_owned(), |risk| risk.user_id.clone()),
            risk,
            in_run,
            logins: theirs.len() as u64,
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

    #[cfg(feature = "runtime")]
    #[test]
    fn the_live_dashboard_reads_the_last_day_or_the_days_asked_for() {
        // 2026-03-10T12:00:00Z
        let now_ms = 1_773_144_000_000;
        let day_ms = 86_400_000;
        let live = |from: &str, to: &str| {
            live_span(
                &DashboardQuery {
                    run: LIVE.to_owned(),
                    from: from.to_owned(),
                    to: to.to_owned(),
                    ..DashboardQuery::default()
                },
                now_ms,
            )
        };
        let last_day = live("", "");
        assert_eq!(last_day.from_ms, now_ms - day_ms);
        assert!(last_day.to_ms > now_ms);
        assert!(last_day.described.contains("last 24 hours"));
        // Dates that cannot apply read as absent.
        assert_eq!(live("soon", ""), last_day);
        assert_eq!(live("2026-03-09", "2026-03-01"), last_day);
        // 2026-03-01T00:00Z to the end of 2026-03-02.
        let days = live("2026-03-01", "2026-03-02");
        assert_eq!(
            (days.from_ms, days.to_ms),
            (1_772_323_200_000, 1_772_496_000_000)
        );
        assert_eq!(days.described, "2026-03-01 to 2026-03-02 (UTC days)");
        // One open end reaches to now; a span past the longest is cut to its latest days.
        let since = live("2026-03-09", "");
        assert_eq!(since.described, "2026-03-09 to now (UTC days)");
        assert_eq!(
            (since.from_ms, since.to_ms),
            (now_ms - day_ms - 12 * 3_600_000, last_day.to_ms)
        );
        let year = live("2025-01-01", "2026-03-02");
        assert_eq!(year.from_ms, year.to_ms - LIVE_MAX_DAYS * day_ms);
    }

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

    fn route(from: (f64, f64), to: (f64, f64)) -> MapRoute {
        MapRoute {
            from,
            to,
            label: String::new(),
            trips: 1,
            users: 1,
            worst: RiskLevel::High,
        }
    }

    #[test]
    fn a_route_across_the_antimeridian_runs_to_the_edges() {
        // Tokyo to Los Angeles: the short way crosses 180°.
        let (pieces, split) = route((35.7, 139.7), (34.1, -118.2)).pieces();
        assert!(split);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].0, (35.7, 139.7));
        assert_eq!(pieces[0].1.1, 180.0);
        assert_eq!(pieces[1].0.1, -180.0);
        assert_eq!(pieces[1].1, (34.1, -118.2));
        assert_eq!(
            pieces[0].1.0, pieces[1].0.0,
            "both pieces meet at one latitude"
        );
        assert!((34.1..=35.7).contains(&pieces[0].1.0));
        // And back the other way.
        let (pieces, _) = route((34.1, -118.2), (35.7, 139.7)).pieces();
        assert_eq!((pieces[0].1.1, pieces[1].0.1), (-180.0, 180.0));
        // Oslo to São Paulo stays one piece.
        let (pieces, split) = route((59.9, 10.7), (-23.5, -46.6)).pieces();
        assert!(!split);
        assert_eq!(pieces, vec![((59.9, 10.7), (-23.5, -46.6))]);
    }

    #[test]
    fn the_map_says_what_it_shows() {
        let view = MapView {
            places: vec![
                MapPlace {
                    latitude: 0.0,
                    longitude: 0.0,
                    label: "x".to_owned(),
                    logins: 10,
                    high_or_above: 0,
                    worst: RiskLevel::Low,
                };
                3
            ],
            routes: vec![route((0.0, 0.0), (10.0, 10.0)); 2],
            located_logins: 1_000,
            grid_degrees: 1.0,
            fine_places: 812,
            trips: 57,
            routes_total: 9,
        };
        assert_eq!(
            view.describe(1_200),
            "3 areas from 1,000 logins (812 places grouped on a 1° grid); 200 logins without a \
             known location; impossible travel: the 2 busiest routes of 9 shown (57 trips)."
        );
    }
}
