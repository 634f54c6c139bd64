//! How to read an uploaded log: the format and column mapping a person chose on the upload page,
//! turned into the engine's options the same way on the server and in the browser.

use engine::ingest::{Format, parse_mapping};
use engine::{IngestOptions, LimitExceeded, ReadLimits};

/// The choice "auto" in the format menu.
pub const AUTO: &str = "auto";

/// Default limit on the text an input unpacks to, in MiB (`--max-expanded-mb`).
pub const DEFAULT_MAX_EXPANDED_MB: u64 = 1024;
/// Default limit on the records of one input (`--max-rows`): a million logins, as many as a new
/// analysis learns from.
pub const DEFAULT_MAX_ROWS: u64 = 1_000_000;

/// The read limits from `--max-expanded-mb` and `--max-rows`.
pub fn read_limits(max_expanded_mb: u64, max_rows: u64) -> ReadLimits {
    ReadLimits {
        max_expanded_bytes: max_expanded_mb.saturating_mul(1024 * 1024),
        max_rows,
    }
}

/// The `skytrace` flag and the environment variable of `skytrace serve` that raise a read limit.
pub fn raised_by(limit: LimitExceeded) -> (&'static str, &'static str) {
    match limit {
        LimitExceeded::ExpandedBytes { .. } => ("--max-expanded-mb", "SKYTRACE_MAX_EXPANDED_MB"),
        LimitExceeded::Rows { .. } => ("--max-rows", "SKYTRACE_MAX_ROWS"),
    }
}

/// `format` is `auto` or a format name; `mapping` is `field=Column, …` (may be empty).
/// `reference_ms` dates year-less auth.log lines (the file's modification time, or now).
pub fn ingest_options(
    format: &str,
    mapping: &str,
    reference_ms: Option<i64>,
) -> Result<IngestOptions, String> {
    let format = match format.trim() {
        "" | AUTO => None,
        name => Some(Format::from_name(name).ok_or_else(|| format!("unknown format {name:?}"))?),
    };
    let column_map = parse_mapping(mapping).map_err(|error| format!("column mapping: {error}"))?;
    Ok(IngestOptions {
        format,
        column_map,
        reference_ms,
        ..IngestOptions::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_become_options() {
        let options = ingest_options("okta", "user_id=Login, ip_address=Addr", Some(5)).unwrap();
        assert_eq!(options.format, Some(Format::Okta));
        assert_eq!(options.column_map.len(), 2);
        assert_eq!(options.reference_ms, Some(5));
        assert_eq!(ingest_options(AUTO, "", None).unwrap().format, None);
        assert!(ingest_options("syslog", "", None).is_err());
        assert!(
            ingest_options(AUTO, "who=Login", None)
                .unwrap_err()
                .contains("unknown field")
        );
    }
}
