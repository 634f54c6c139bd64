//! The world's land for the dashboard's map: Natural Earth's 1:110m land (public domain), as
//! TopoJSON in the `world-atlas` npm package (ISC) that `./dev` fetches beside the geolocation
//! data, drawn as one SVG path in the equirectangular projection the map's points use
//! (x = longitude + 180, y = 90 − latitude, in degrees).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

/// Where `./dev` installs the land outline, relative to the geolocation packages' directory.
const LAND_FILE: &str = "../world-atlas/land-110m.json";

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

/// The land outline beside the geolocation data found by [`super::locate`], if installed.
pub fn locate(geo_dir: Option<&Path>) -> Option<PathBuf> {
    let file = super::locate(geo_dir)?.join(LAND_FILE);
    file.is_file().then_some(file)
}

/// The SVG document of a TopoJSON topology's polygons (all objects), 360 × 180 units.
pub fn land_svg(topology_json: &str) -> anyhow::Result<String> {
    let topology: Topology =
        serde_json::from_str(topology_json).context("not a TopoJSON topology")?;
    let arcs: Vec<Vec<(f64, f64)>> = topology
        .arcs
        .iter()
        .map(|arc| decode_arc(arc, topology.transform.as_ref()))
        .collect();
    let mut path = String::new();
    for object in topology.objects.values() {
        draw_geometry(object, &arcs, &mut path)?;
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180"><path fill="#8a94a6" fill-opacity="0.4" d="{path}"/></svg>"##
    ))
}

/// Longitude/latitude points of an arc (delta-encoded when the topology is quantized).
fn decode_arc(arc: &[Vec<f64>], transform: Option<&Transform>) -> Vec<(f64, f64)> {
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

fn draw_geometry(
    geometry: &Value,
    arcs: &[Vec<(f64, f64)>],
    path: &mut String,
) -> anyhow::Result<()> {
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("GeometryCollection") => {
            for member in geometry["geometries"].as_array().into_iter().flatten() {
                draw_geometry(member, arcs, path)?;
            }
            return Ok(());
        }
        Some("Polygon") => vec![&geometry["arcs"]],
        Some("MultiPolygon") => geometry["arcs"].as_array().into_iter().flatten().collect(),
        _ => return Ok(()),
    };
    for polygon in polygons {
        for ring in polygon.as_array().into_iter().flatten() {
            draw_ring(ring, arcs, path)?;
        }
    }
    Ok(())
}

/// One closed ring: its arcs joined (each arc's first point is the previous arc's last).
fn draw_ring(ring: &Value, arcs: &[Vec<(f64, f64)>], path: &mut String) -> anyhow::Result<()> {
    let mut points: Vec<(f64, f64)> = Vec::new();
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
        let walked: Vec<(f64, f64)> = if reversed {
            arc.iter().rev().copied().collect()
        } else {
            arc.clone()
        };
        let skip = usize::from(!points.is_empty());
        points.extend(walked.into_iter().skip(skip));
    }
    let mut previous_longitude: Option<f64> = None;
    for (longitude, latitude) in &points {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantized_topology_is_drawn_in_degrees() {
        // A unit square from two arcs, the second walked backwards, quantized and delta-encoded.
        let topology = r#"{
            "type": "Topology",
            "transform": {"scale": [1, 1], "translate": [-10, -5]},
            "arcs": [[[0, 0], [10, 0], [0, 10]], [[0, 0], [0, 10], [10, 0]]],
            "objects": {"land": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, -2]]}
            ]}}
        }"#;
        let svg = land_svg(topology).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(r#"viewBox="0 0 360 180""#));
        // (-10,-5) (0,-5) (0,5) then arc 1 backwards: (-10,5) (-10,-5).
        assert!(
            svg.contains(r#"d="M170.0 95.0L180.0 95.0L180.0 85.0L170.0 85.0L170.0 95.0Z""#),
            "{svg}"
        );
        assert!(land_svg("{}").is_err());
    }

    #[test]
    fn the_installed_land_outline_draws() {
        // Installed by ./dev with the geolocation data; CI always has it.
        let Some(file) = locate(None) else {
            eprintln!("no world-atlas data here; skipped");
            return;
        };
        let svg = land_svg(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert!(svg.len() > 20_000, "{} bytes", svg.len());
        assert!(svg.matches('Z').count() > 100, "many land masses");
    }
}
