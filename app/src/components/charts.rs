//! Charts drawn as SVG on the server (so they show before the WebAssembly loads, and without
//! it), styled by the theme's CSS; once the page is interactive, [`InteractiveChart`] draws the
//! ECharts version over each.

use engine::RiskLevel;
use engine::time::format_utc;
use leptos::prelude::*;
use reports::model::{CountRow, TrendPoint};

use super::InteractiveChart;
use crate::chart_options;
use service::dashboard::MapView;
use service::text::count;

#[component]
pub fn LevelBadge(level: RiskLevel) -> impl IntoView {
    view! { <span class=format!("level-badge level-{}", level.as_str().to_lowercase())>{level.as_str()}</span> }
}

/// Logins per level as a ring in the level colours, riskiest first, with the shares beside it.
#[component]
pub fn LevelPie(levels: Vec<(RiskLevel, u64)>) -> impl IntoView {
    const RADIUS: f64 = 60.0;
    let circumference = std::f64::consts::TAU * RADIUS;
    let total: u64 = levels.iter().map(|(_, number)| number).sum();
    let option = {
        let levels = levels.clone();
        move |palette| chart_options::level_pie(&levels, &palette)
    };
    let mut riskiest_first = levels;
    riskiest_first.sort_by_key(|&(level, _)| std::cmp::Reverse(level));
    let mut drawn = 0.0;
    let slices = riskiest_first
        .iter()
        .filter(|(_, number)| *number > 0)
        .map(|&(level, number)| {
            let length = circumference * number as f64 / total as f64;
            let offset = -drawn;
            drawn += length;
            view! {
                <circle
                    class=format!("slice level-{}", level.as_str().to_lowercase())
                    cx="80"
                    cy="80"
                    r=RADIUS
                    stroke-dasharray=format!("{length:.3} {:.3}", circumference - length)
                    stroke-dashoffset=format!("{offset:.3}")
                ></circle>
            }
        })
        .collect_view();
    let legend = riskiest_first
        .iter()
        .map(|&(level, number)| {
            let share = if total == 0 {
                0.0
            } else {
                100.0 * number as f64 / total as f64
            };
            view! {
                <li>
                    <span class=format!("swatch level-{}", level.as_str().to_lowercase())></span>
                    {format!("{} {} ({share:.1}%)", level.as_str(), count(number))}
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart pie" data-testid="level-pie">
            <InteractiveChart option label="Logins per level" />
            <svg viewBox="0 0 160 160" role="img" aria-label="Logins per level">
                <g transform="rotate(-90 80 80)">{slices}</g>
                <text class="pie-total" x="80" y="84" text-anchor="middle">{count(total)}</text>
            </svg>
            <ul class="pie-legend">{legend}</ul>
            <figcaption>"Logins per level"</figcaption>
        </figure>
    }
    .into_any()
}

/// Logins per period as bars (the High-or-above part in red) with the mean risk as a line on
/// its own 0–1 scale.
#[component]
pub fn TrendChart(points: Vec<TrendPoint>, unit: String) -> impl IntoView {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 160.0;
    let most = points
        .iter()
        .map(|point| point.logins)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let option = {
        let (points, unit) = (points.clone(), unit.clone());
        move |palette| chart_options::trend(&points, &unit, &palette)
    };
    let slot = WIDTH / points.len().max(1) as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let bars = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let x = index as f64 * slot;
            let height = point.logins as f64 / most * HEIGHT;
            let risky = point.high_or_above as f64 / most * HEIGHT;
            let label = format!(
                "{}: {} logins, {} High or above, mean risk {:.2}",
                format_utc(point.start_ms),
                count(point.logins),
                count(point.high_or_above),
                point.mean_risk
            );
            view! {
                <g>
                    <title>{label}</title>
                    <rect class="bar logins" x=x y=HEIGHT - height width=(slot - gap).max(0.5) height=height />
                    <rect class="bar high" x=x y=HEIGHT - risky width=(slot - gap).max(0.5) height=risky />
                </g>
            }
        })
        .collect_view();
    let line = points
        .iter()
        .enumerate()
        .filter(|(_, point)| point.logins > 0)
        .map(|(index, point)| {
            format!(
                "{:.1},{:.1}",
                (index as f64 + 0.5) * slot,
                HEIGHT - point.mean_risk * HEIGHT
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    // Days by their date; hours by date and hour.
    let stamp = |point: &TrendPoint| {
        let text = format_utc(point.start_ms);
        let shown = if unit == "day" { 10 } else { 16 };
        text.get(..shown).unwrap_or(&text).replace('T', " ")
    };
    let first = points.first().map(stamp).unwrap_or_default();
    let last = points.last().map(stamp).unwrap_or_default();
    view! {
        <figure class="chart trend" data-testid="trend">
            <InteractiveChart option label="Logins and mean risk over time" />
            <svg viewBox=format!("0 0 {WIDTH} {}", HEIGHT + 18.0) role="img"
                 aria-label=format!("Logins per {unit} and mean risk")>
                {bars}
                <polyline class="mean-risk" points=line />
                <text class="axis" x="0" y=HEIGHT + 14.0>{first}</text>
                <text class="axis" x=WIDTH text-anchor="end" y=HEIGHT + 14.0>{last}</text>
            </svg>
            <figcaption>
                {format!("Logins per {unit} (")}<span class="key high">"High or above"</span>
                ") and "<span class="key mean-risk">"mean risk"</span>" (0–1)"
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Counts as horizontal bars, largest first.
#[component]
pub fn BarList(title: &'static str, rows: Vec<CountRow>, testid: &'static str) -> impl IntoView {
    let most = rows.iter().map(|row| row.count).max().unwrap_or(1).max(1) as f64;
    view! {
        <figure class="chart bar-list" data-testid=testid>
            <figcaption>{title}</figcaption>
            <ul>
                {rows
                    .into_iter()
                    .map(|row| {
                        let share = format!("width: {:.1}%", row.count as f64 / most * 100.0);
                        view! {
                            <li>
                                <span class="name">{row.name}</span>
                                <span class="meter"><span class="fill" style=share></span></span>
                                <span class="number">{count(row.count)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </figure>
    }
    .into_any()
}

/// Logins by place on the world's land (equirectangular: x = longitude + 180, y = 90 −
/// latitude), each dot coloured by the highest level of its logins and sized by their number,
/// with the busiest impossible-travel routes as arcs (a route across the antimeridian runs to
/// the map's edges instead of across the world). The land is `/map/land.svg`, drawn by the
/// server from Natural Earth data; no map tiles. The interactive map draws the countries from
/// [`super::WORLD_MAP_PATH`], from the same data. The caption says what is shown of what.
#[component]
pub fn WorldMap(map: MapView, matching: u64) -> impl IntoView {
    let option = {
        let map = map.clone();
        move |palette| chart_options::world_map(&map, &palette)
    };
    let caption = map.describe(matching);
    let dots = map
        .places
        .iter()
        .map(|place| {
            let radius = (0.7 + (place.logins as f64).sqrt() * 0.25).min(4.0);
            let label = format!(
                "{}: {} logins, {} High or above, highest level {}",
                place.label,
                count(place.logins),
                count(place.high_or_above),
                place.worst.as_str()
            );
            view! {
                <circle class=format!("place level-{}", place.worst.as_str().to_lowercase())
                        cx=format!("{:.2}", place.longitude + 180.0) cy=format!("{:.2}", 90.0 - place.latitude) r=format!("{radius:.2}")>
                    <title>{label}</title>
                </circle>
            }
        })
        .collect_view();
    let arcs = map
        .routes
        .iter()
        .map(|route| {
            let (pieces, split) = route.pieces();
            let width = 0.4 + (route.trips as f64).ln_1p() * 0.35;
            let d: String = pieces
                .into_iter()
                .map(|(from, to)| {
                    let (x1, y1) = (from.1 + 180.0, 90.0 - from.0);
                    let (x2, y2) = (to.1 + 180.0, 90.0 - to.0);
                    if split {
                        format!("M{x1:.2} {y1:.2}L{x2:.2} {y2:.2}")
                    } else {
                        let length = ((x2 - x1).powi(2) + (y2 - y1).powi(2)).sqrt();
                        let (middle_x, middle_y) =
                            ((x1 + x2) / 2.0, (y1 + y2) / 2.0 - length * 0.25);
                        format!("M{x1:.2} {y1:.2}Q{middle_x:.2} {middle_y:.2} {x2:.2} {y2:.2}")
                    }
                })
                .collect();
            view! {
                <path class=format!("trip level-{}", route.worst.as_str().to_lowercase()) d=d stroke-width=format!("{width:.2}")>
                    <title>{route.label.clone()}</title>
                </path>
            }
        })
        .collect_view();
    let legend = RiskLevel::ALL
        .into_iter()
        .map(|level| {
            view! {
                <li><span class=format!("swatch dot level-{}", level.as_str().to_lowercase())></span>{level.as_str()}</li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart world-map" data-testid="world-map">
            <InteractiveChart option world_map=true label="Where the logins came from" />
            <svg viewBox="0 0 360 180" role="img" aria-label="Where the logins came from">
                <image class="land" href="/map/land.svg" x="0" y="0" width="360" height="180" />
                {dots}
                {arcs}
            </svg>
            <figcaption>
                <ul class="map-legend" aria-label="Highest level of a place's logins" data-testid="map-legend">
                    {legend}
                    <li><span class="swatch route"></span>"Impossible travel"</li>
                </ul>
                <span data-testid="map-caption">
                    {if map.located_logins == 0 {
                        "No login could be placed on the map: their addresses have no known location (private addresses, or a run analysed without geolocation).".to_owned()
                    } else {
                        caption
                    }}
                </span>
                " Land: Natural Earth."
            </figcaption>
        </figure>
    }
    .into_any()
}
