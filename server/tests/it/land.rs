use serde_json::Value;
use server::web::land::*;

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
fn countries_become_named_geojson_features() {
    let topology = r#"{
        "type": "Topology",
        "arcs": [[[-10.004, -5], [0, -5], [0, 5]], [[-10.004, -5], [-10, 5], [0, 5]]],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, -2]], "properties": {"name": "Squareland"}},
            {"type": null, "properties": {"name": "Nowhere"}}
        ]}}
    }"#;
    let geojson: Value = serde_json::from_str(&countries_geojson(topology).unwrap()).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "a country without a shape is left out");
    assert_eq!(features[0]["properties"]["name"], "Squareland");
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        serde_json::json!([[[
            [-10.0, -5.0],
            [0.0, -5.0],
            [0.0, 5.0],
            [-10.0, 5.0],
            [-10.0, -5.0]
        ]]])
    );
    assert!(countries_geojson(r#"{"arcs": [], "objects": {}}"#).is_err());
}

#[test]
fn the_installed_countries_convert() {
    let Some(file) = locate_countries(None) else {
        eprintln!("no world-atlas data here; skipped");
        return;
    };
    let geojson: Value =
        serde_json::from_str(&countries_geojson(&std::fs::read_to_string(file).unwrap()).unwrap())
            .unwrap();
    let names: Vec<&str> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|feature| feature["properties"]["name"].as_str())
        .collect();
    assert!(names.len() > 170, "{} countries", names.len());
    assert!(names.contains(&"Norway") && names.contains(&"Brazil"));
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

/// Longest east–west step between consecutive points of any ring of a polygon.
fn widest_step(polygons: &[Polygon]) -> f64 {
    polygons
        .iter()
        .flatten()
        .flat_map(|ring| ring.windows(2).map(|pair| (pair[1].0 - pair[0].0).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn a_shape_across_the_antimeridian_is_cut_into_one_piece_per_side() {
    // Fiji-like: from 170°E east across 180° to 170°W and back.
    let square: Polygon = vec![vec![
        (170.0, 0.0),
        (-170.0, 0.0),
        (-170.0, 10.0),
        (170.0, 10.0),
        (170.0, 0.0),
    ]];
    let pieces = cut_at_antimeridian(square);
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert!(widest_step(&pieces) <= 20.0 + 1e-9, "{pieces:?}");
    let spans: Vec<(f64, f64)> = pieces
        .iter()
        .map(|piece| {
            piece[0]
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), point| {
                    (low.min(point.0), high.max(point.0))
                })
        })
        .collect();
    assert!(spans.contains(&(-180.0, -170.0)), "{spans:?}");
    assert!(spans.contains(&(170.0, 180.0)), "{spans:?}");
    // A shape that stays on one side is left alone.
    let plain: Polygon = vec![vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)]];
    assert_eq!(cut_at_antimeridian(plain.clone()), vec![plain]);
}

#[test]
fn a_ring_round_the_pole_is_closed_along_it() {
    // Antarctica-like: once round the south pole at 70°S, crossing 180° once.
    let ring: Line = vec![
        (0.0, -70.0),
        (90.0, -70.0),
        (179.0, -70.0),
        (-179.0, -70.0),
        (-90.0, -70.0),
        (0.0, -70.0),
    ];
    let pieces = cut_at_antimeridian(vec![ring]);
    assert!(!pieces.is_empty());
    assert!(widest_step(&pieces) <= 360.0, "{pieces:?}");
    let points: Vec<&(f64, f64)> = pieces.iter().flatten().flatten().collect();
    assert!(
        points.iter().any(|point| point.1 == -90.0),
        "closed along the pole"
    );
    assert!(
        points
            .iter()
            .all(|point| (-180.0..=180.0).contains(&point.0))
    );
    // No step of a ring crosses the map except along the pole's edge.
    for ring in pieces.iter().flatten() {
        for pair in ring.windows(2) {
            if (pair[1].0 - pair[0].0).abs() > 180.0 {
                assert_eq!((pair[0].1, pair[1].1), (-90.0, -90.0), "{ring:?}");
            }
        }
    }
}

#[test]
fn no_installed_shape_crosses_the_map() {
    let (Some(land), Some(countries)) = (locate(None), locate_countries(None)) else {
        eprintln!("no world-atlas data here; skipped");
        return;
    };
    // The land: no subpath step longer than 180° except along the poles' edges.
    let svg = land_svg(&std::fs::read_to_string(land).unwrap()).unwrap();
    let path = svg.split(" d=\"").nth(1).unwrap();
    for subpath in path
        .split('Z')
        .filter(|part| !part.trim_end_matches('"').is_empty())
    {
        let points: Vec<(f64, f64)> = subpath
            .split(['M', 'L'])
            .filter(|point| !point.is_empty())
            .map(|point| {
                let (x, y) = point.trim_end_matches('"').split_once(' ').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        for pair in points.windows(2) {
            let step = (pair[1].0 - pair[0].0).abs();
            assert!(
                step <= 180.0 || (pair[0].1 == 180.0 && pair[1].1 == 180.0),
                "a step of {step}° at {pair:?}"
            );
        }
    }
    let geojson: Value = serde_json::from_str(
        &countries_geojson(&std::fs::read_to_string(countries).unwrap()).unwrap(),
    )
    .unwrap();
    for feature in geojson["features"].as_array().unwrap() {
        let name = feature["properties"]["name"].as_str().unwrap();
        for polygon in feature["geometry"]["coordinates"].as_array().unwrap() {
            for ring in polygon.as_array().unwrap() {
                let ring = ring.as_array().unwrap();
                for pair in ring.windows(2) {
                    let (a, b) = (&pair[0], &pair[1]);
                    let step = (b[0].as_f64().unwrap() - a[0].as_f64().unwrap()).abs();
                    let along_pole = a[1].as_f64() == Some(-90.0) && b[1].as_f64() == Some(-90.0);
                    assert!(step <= 180.0 || along_pole, "{name}: a step of {step}°");
                }
            }
        }
    }
}
