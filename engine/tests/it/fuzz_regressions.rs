//! Inputs that once broke a parser (found by fuzzing or review, kept in `fuzz/regressions/`),
//! replayed through every format: no panic, no runaway memory, counts that add up.

use engine::ingest::Format;
use engine::{IngestOptions, read_slice};

#[test]
fn regression_inputs_are_read_safely_as_every_format() {
    let dir = format!("{}/../fuzz/regressions", env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        for format in Format::ALL.map(Some).into_iter().chain([None]) {
            let options = IngestOptions {
                format,
                syslog_year: Some(2026),
                ..IngestOptions::default()
            };
            if let Ok(ingested) = read_slice(&input, &options) {
                let kept = ingested.events.len() as u64 + ingested.rejected;
                assert_eq!(
                    ingested.rows_read,
                    kept + ingested.skipped_total(),
                    "{} as {format:?}",
                    path.display()
                );
                assert!(ingested.events.len() < 1_000_000, "{}", path.display());
            }
        }
        replayed += 1;
    }
    assert!(
        replayed >= 4,
        "the regression inputs are missing from {dir}"
    );
}

#[test]
fn an_absurd_repeat_count_is_rejected_not_expanded() {
    let input = std::fs::read(format!(
        "{}/../fuzz/regressions/auth-log-huge-repeat-count.log",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let options = IngestOptions {
        syslog_year: Some(2026),
        ..IngestOptions::default()
    };
    let ingested = read_slice(&input, &options).unwrap();
    // The first line's count is rejected; the second overflows u32 and is not an attempt at all.
    assert_eq!(ingested.rejections.len(), 1);
    assert_eq!(ingested.events.len(), 3);
}
