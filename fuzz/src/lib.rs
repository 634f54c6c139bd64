//! What every fuzz target checks: arbitrary bytes read as one format (or sniffed) never panic,
//! every record read is accepted, rejected or skipped, and every accepted instant lies in the
//! accepted range.

use engine::ingest::Format;
use engine::{IngestOptions, read_slice};

pub fn read_as(data: &[u8], format: Option<Format>) {
    let options = IngestOptions {
        format,
        syslog_year: Some(2026),
        ..IngestOptions::default()
    };
    if let Ok(ingested) = read_slice(data, &options) {
        let kept = ingested.events.len() as u64 + ingested.rejected;
        assert_eq!(ingested.rows_read, kept + ingested.skipped_total());
        assert!(
            ingested
                .events
                .iter()
                .all(|event| engine::time::in_range(event.timestamp_ms))
        );
    }
}
