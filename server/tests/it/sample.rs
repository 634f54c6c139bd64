#[test]
fn the_bundled_sample_is_what_the_generator_writes() {
    let rows = scenario::generate(&scenario::ScenarioParams::sample()).unwrap();
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).unwrap();
    let bundled = include_bytes!("../../../public/sample/sample-logins.csv");
    assert!(
        csv == bundled,
        "public/sample/sample-logins.csv is stale: regenerate it with \
         `cargo run -p server -- generate --preset sample --out public/sample/sample-logins.csv`"
    );
}
