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
