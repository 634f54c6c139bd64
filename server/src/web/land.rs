//! The world for the dashboard's map: Natural Earth's 1:110m land and countries (public
//! domain), as TopoJSON in the `world-atlas` npm package (ISC) that `./dev` fetches beside the
//! geolocation data. The land is drawn as one SVG path in the equirectangular projection the
//! server-rendered map's points use (x = longitude + 180, y = 90 − latitude, in degrees); the
//! countries become GeoJSON for the interactive map (ECharts).
//!
//! world-atlas keeps its shapes on the sphere: Russia's and Fiji's outlines cross the
//! antimeridian and Antarctica's goes round the pole. Drawn flat as they are, their rings jump
//! from one edge of the map to the other, and the fill and the borders become lines across the
//! whole world. Each ring is therefore cut at ±180° ([`cut_at_antimeridian`]) before it is drawn
//! or written out: pieces on either side become polygons of their own, and a ring round a pole
//! is closed along the pole.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

/// Where `./dev` installs the land outline and the countries, relative to the geolocation
/// packages' directory.
const LAND_FILE: &str = "../world-atlas/land-110m.json";
const COUNTRIES_FILE: &str = "../world-atlas/countries-110m.json";

#[derive(Deserialize)]
struct Topology {
    transform: Option<Transform>,
    arcs: Vec<Vec<Vec<f64>>>,
    objects: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

/// The land outline beside the geolocation data found by [`geolocation::locate`], if installed.
pub fn locate(geo_dir: Option<&Path>) -> Option<PathBuf> {
    let file = geolocation::locate(geo_dir)?.join(LAND_FILE);
    file.is_file().then_some(file)
}

/// The countries beside the geolocation data found by [`geolocation::locate`], if installed.
pub fn locate_countries(geo_dir: Option<&Path>) -> Option<PathBuf> {
    let file = geolocation::locate(geo_dir)?.join(COUNTRIES_FILE);
    file.is_file().then_some(file)
}

/// The SVG document of a TopoJSON topology's polygons (all objects), 360 × 180 units.
pub fn land_svg(topology_json: &str) -> anyhow::Result<String> {
    let (topology, arcs) = read_topology(topology_json)?;
    let mut path = String::new();
    for object in topology.objects.values() {
        for polygon in polygons(object, &arcs)? {
            for piece in cut_at_antimeridian(polygon) {
                piece.iter().for_each(|ring| draw_ring(ring, &mut path));
            }
        }
    }
    // A mid grey that reads on both themes' map backgrounds; the page brightens it in the dark
    // theme (style/main.css).
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180"><path fill="#8a94a6" fill-opacity="0.6" fill-rule="evenodd" d="{path}"/></svg>"##
    ))
}

/// A GeoJSON FeatureCollection of the topology's `countries` object: one MultiPolygon feature
/// per country, named by its `name` property, coordinates to 0.01° (about 1 km).
pub fn countries_geojson(topology_json: &str) -> anyhow::Result<String> {
    let (topology, arcs) = read_topology(topology_json)?;
    let countries = topology
        .objects
        .get("countries")
        .context("the topology has no countries")?;
    let round = |degrees: f64| (degrees * 100.0).round() / 100.0;
    let mut features = Vec::new();
    for country in countries["geometries"].as_array().into_iter().flatten() {
        let coordinates: Vec<Vec<Vec<[f64; 2]>>> = polygons(country, &arcs)?
            .into_iter()
            .flat_map(cut_at_antimeridian)
            .map(|polygon| {
                polygon
                    .into_iter()
                    .map(|ring| {
                        ring.into_iter()
                            .map(|(longitude, latitude)| [round(longitude), round(latitude)])
                            .collect()
                    })
                    .collect()
            })
            .collect();
        if coordinates.is_empty() {
            continue;
        }
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"name": country["properties"]["name"].as_str().unwrap_or("")},
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        }));
    }
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}).to_string())
}

/// Longitude/latitude points in order: an arc, or a ring joined from arcs.
pub type Line = Vec<(f64, f64)>;

/// The topology and its arcs in longitude/latitude.
fn read_topology(topology_json: &str) -> anyhow::Result<(Topology, Vec<Line>)> {
    let topology: Topology =
        serde_json::from_str(topology_json).context("not a TopoJSON topology")?;
    let arcs = topology
        .arcs
        .iter()
        .map(|arc| decode_arc(arc, topology.transform.as_ref()))
        .collect();
    Ok((topology, arcs))
}

/// Longitude/latitude points of an arc (delta-encoded when the topology is quantized).
fn decode_arc(arc: &[Vec<f64>], transform: Option<&Transform>) -> Line {
    let (mut x, mut y) = (0.0, 0.0);
    arc.iter()
        .filter(|position| position.len() >= 2)
        .map(|position| match transform {
            Some(transform) => {
                x += position[0];
                y += position[1];
                (
                    x * transform.scale[0] + transform.translate[0],
                    y * transform.scale[1] + transform.translate[1],
                )
            }
            None => (position[0], position[1]),
        })
        .collect()
}

/// One polygon's rings (the outline, then any holes), as longitude/latitude points.
pub type Polygon = Vec<Line>;

/// The polygons of a Polygon or MultiPolygon geometry, or of every member of a collection.
fn polygons(geometry: &Value, arcs: &[Line]) -> anyhow::Result<Vec<Polygon>> {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("GeometryCollection") => {
            let mut all = Vec::new();
            for member in geometry["geometries"].as_array().into_iter().flatten() {
                all.extend(polygons(member, arcs)?);
            }
            return Ok(all);
        }
        Some("Polygon") => vec![&geometry["arcs"]],
        Some("MultiPolygon") => geometry["arcs"].as_array().into_iter().flatten().collect(),
        _ => return Ok(Vec::new()),
    };
    polygons
        .into_iter()
        .map(|polygon| {
            polygon
                .as_array()
                .into_iter()
                .flatten()
                .map(|ring| join_ring(ring, arcs))
                .collect()
        })
        .collect()
}

/// One closed ring: its arcs joined (each arc's first point is the previous arc's last).
fn join_ring(ring: &Value, arcs: &[Line]) -> anyhow::Result<Line> {
    let mut points: Line = Vec::new();
    for index in ring.as_array().into_iter().flatten() {
        let index = index.as_i64().context("an arc index is not a number")?;
        // A negative index names arc !index, walked backwards.
        let (arc, reversed) = if index >= 0 {
            (index, false)
        } else {
            (!index, true)
        };
        let arc = arcs
            .get(usize::try_from(arc)?)
            .with_context(|| format!("no arc {arc}"))?;
        let walked: Line = if reversed {
            arc.iter().rev().copied().collect()
        } else {
            arc.clone()
        };
        let skip = usize::from(!points.is_empty());
        points.extend(walked.into_iter().skip(skip));
    }
    Ok(points)
}

/// One closed ring as an SVG subpath (rings are cut at the antimeridian first, so no step of
/// one crosses the map).
fn draw_ring(points: &[(f64, f64)], path: &mut String) {
    for (index, (longitude, latitude)) in points.iter().enumerate() {
        let command = if index == 0 { 'M' } else { 'L' };
        path.push_str(&format!(
            "{command}{:.1} {:.1}",
            longitude + 180.0,
            90.0 - latitude
        ));
    }
    if !points.is_empty() {
        path.push('Z');
    }
}

/// A polygon on the sphere as flat polygons within −180°..180°: unchanged when no step of its
/// outline crosses the antimeridian, otherwise one polygon per side of it. A ring that goes
/// round a pole (Antarctica) is closed along that pole's edge of the map.
pub fn cut_at_antimeridian(polygon: Polygon) -> Vec<Polygon> {
    let crosses = |ring: &Line| {
        ring.windows(2)
            .any(|pair| (pair[1].0 - pair[0].0).abs() > 180.0)
    };
    if !polygon.iter().any(crosses) {
        return vec![polygon];
    }
    let unwrapped: Vec<Line> = polygon.iter().map(unwrapped).collect();
    let (low, high) = unwrapped
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), point| {
            (low.min(point.0), high.max(point.0))
        });
    let mut pieces = Vec::new();
    // The copies of the world the unwrapped outline reaches: −540..−180, −180..180, 180..540.
    for shift in [-360.0, 0.0, 360.0] {
        let (west, east) = (-180.0 + shift, 180.0 + shift);
        if high <= west || low >= east {
            continue;
        }
        let mut rings = unwrapped
            .iter()
            .map(|ring| clipped(ring, west, east))
            .map(|ring| -> Line { ring.into_iter().map(|(x, y)| (x - shift, y)).collect() });
        let Some(outline) = rings.next().filter(|ring| ring.len() >= 4) else {
            continue;
        };
        let mut piece = vec![outline];
        piece.extend(rings.filter(|ring| ring.len() >= 4));
        pieces.push(piece);
    }
    pieces
}

/// The ring with its longitudes made continuous (a step of more than 180° is the short way
/// round, across the antimeridian); a ring that ends a full turn from where it started went
/// round a pole and is closed along it.
fn unwrapped(ring: &Line) -> Line {
    let mut out: Line = Vec::with_capacity(ring.len() + 3);
    let mut shift = 0.0;
    for (index, &(longitude, latitude)) in ring.iter().enumerate() {
        if index > 0 {
            let step = longitude - ring[index - 1].0;
            if step > 180.0 {
                shift -= 360.0;
            } else if step < -180.0 {
                shift += 360.0;
            }
        }
        out.push((longitude + shift, latitude));
    }
    if shift != 0.0
        && let (Some(&first), Some(&last)) = (out.first(), out.last())
    {
        let mean = out.iter().map(|point| point.1).sum::<f64>() / out.len() as f64;
        let pole = if mean < 0.0 { -90.0 } else { 90.0 };
        out.extend([(last.0, pole), (first.0, pole), first]);
    }
    out
}

/// Sutherland–Hodgman: the part of a closed ring between two meridians, closed again.
fn clipped(ring: &Line, west: f64, east: f64) -> Line {
    let keep_side = |ring: Line, edge: f64, inside: &dyn Fn(f64) -> bool| -> Line {
        let mut out = Vec::with_capacity(ring.len() + 4);
        for (index, &current) in ring.iter().enumerate() {
            let previous = ring[(index + ring.len() - 1) % ring.len()];
            let crossing = || {
                let t = (edge - previous.0) / (current.0 - previous.0);
                (edge, previous.1 + t * (current.1 - previous.1))
            };
            match (inside(previous.0), inside(current.0)) {
                (true, true) => out.push(current),
                (true, false) => out.push(crossing()),
                (false, true) => {
                    out.push(crossing());
                    out.push(current);
                }
                (false, false) => {}
            }
        }
        out
    };
    // Open the ring (its last point repeats the first), clip, and close it again.
    let mut open = ring.clone();
    if open.len() > 1 && open.first() == open.last() {
        open.pop();
    }
    let open = keep_side(open, west, &|x| x >= west);
    let mut open = keep_side(open, east, &|x| x <= east);
    if let Some(&first) = open.first() {
        open.push(first);
    }
    open
}
