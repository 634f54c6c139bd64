//! The world for the dashboard's map: Natural Earth's 1:110m land and countries (public
//! domain), as TopoJSON in the `world-atlas` npm package (ISC) that `./dev` fetches beside the
//! geolocation data. The land is drawn as one SVG path in the equirectangular projection the
//! server-rendered map's points use (x = longitude + 180, y = 90 − latitude, in degrees); the
//! countries become GeoJSON for the interactive map (ECharts).

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
            polygon.iter().for_each(|ring| draw_ring(ring, &mut path));
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180"><path fill="#8a94a6" fill-opacity="0.4" d="{path}"/></svg>"##
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
type Line = Vec<(f64, f64)>;

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
type Polygon = Vec<Line>;

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

fn draw_ring(points: &[(f64, f64)], path: &mut String) {
    let mut previous_longitude: Option<f64> = None;
    for (longitude, latitude) in points {
        // A ring that wraps across the antimeridian jumps from one edge to the other; lift the
        // pen there instead of drawing a line across the whole map.
        let command = match previous_longitude {
            Some(previous) if (longitude - previous).abs() <= 180.0 => 'L',
            _ => 'M',
        };
        previous_longitude = Some(*longitude);
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
