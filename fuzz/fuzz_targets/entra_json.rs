//! Arbitrary bytes read as `Some(Format::EntraJson)`: never a panic, and the counts always add up.
#![no_main]

use engine::ingest::Format;
use engine::{IngestOptions, read_slice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = IngestOptions {
        format: Some(Format::EntraJson),
        syslog_year: Some(2026),
        ..IngestOptions::default()
    };
    if let Ok(ingested) = read_slice(data, &options) {
        let kept = ingested.events.len() as u64 + ingested.rejected;
        assert_eq!(ingested.rows_read, kept + ingested.skipped_total());
    }
});
