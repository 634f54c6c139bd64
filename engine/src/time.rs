//! Timestamps as sign-in logs write them, turned into UTC epoch milliseconds.
//!
//! Accepted: RFC 3339 / ISO 8601 with an offset or `Z`; the same without an offset (`T` or a space
//! between date and time, optional fraction), read in the caller's time zone; Unix epoch seconds
//! (optionally with a fraction) and milliseconds. A bare number of 11 digits or more is taken as
//! milliseconds: as seconds it would lie after the year 5000.

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

/// Magnitude from which a bare epoch number is read as milliseconds rather than seconds.
const EPOCH_MILLIS_FROM: f64 = 1e11;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("empty timestamp")]
    Empty,
    #[error(
        "unrecognised timestamp {0:?} (expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds/milliseconds)"
    )]
    Unrecognised(String),
    #[error("timestamp {0:?} is out of range")]
    OutOfRange(String),
}

/// Parses one timestamp cell; naive date-times are read in `zone`.
pub fn parse_timestamp(text: &str, zone: &TimeZone) -> Result<i64, TimestampError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TimestampError::Empty);
    }
    if looks_like_epoch(text) {
        return parse_epoch(text);
    }
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant.as_millisecond());
    }
    let civil = text
        .parse::<DateTime>()
        .map_err(|_| TimestampError::Unrecognised(text.to_owned()))?;
    zone.to_ambiguous_timestamp(civil)
        .compatible()
        .map(|instant| instant.as_millisecond())
        .map_err(|_| TimestampError::OutOfRange(text.to_owned()))
}

fn looks_like_epoch(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut dots = 0;
    !digits.is_empty()
        && digits.chars().all(|c| {
            dots += usize::from(c == '.');
            c.is_ascii_digit() || c == '.'
        })
        && dots <= 1
        && digits.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn parse_epoch(text: &str) -> Result<i64, TimestampError> {
    let value: f64 = text
        .parse()
        .map_err(|_| TimestampError::Unrecognised(text.to_owned()))?;
    let millis = if value.abs() >= EPOCH_MILLIS_FROM {
        value
    } else {
        value * 1000.0
    };
    let millis = millis.round() as i64;
    Timestamp::from_millisecond(millis)
        .map(|instant| instant.as_millisecond())
        .map_err(|_| TimestampError::OutOfRange(text.to_owned()))
}

/// RFC 3339 in UTC (`2026-03-02T08:15:03Z`, with a fraction only when there is one).
pub fn format_utc(timestamp_ms: i64) -> String {
    match Timestamp::from_millisecond(timestamp_ms) {
        Ok(instant) => instant.to_string(),
        Err(_) => format!("{timestamp_ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Result<i64, TimestampError> {
        parse_timestamp(text, &TimeZone::UTC)
    }

    const T: i64 = 1_772_439_303_000; // 2026-03-02T08:15:03Z

    #[test]
    fn iso_with_offset_and_zulu() {
        assert_eq!(utc("2026-03-02T08:15:03Z"), Ok(T));
        assert_eq!(utc("2026-03-02T09:15:03+01:00"), Ok(T));
        assert_eq!(utc("2026-03-02T08:15:03.250Z"), Ok(T + 250));
    }

    #[test]
    fn naive_times_use_the_given_zone() {
        assert_eq!(utc("2026-03-02 08:15:03"), Ok(T));
        assert_eq!(utc("2026-03-02T08:15:03"), Ok(T));
        assert_eq!(utc("2026-03-02 08:15:03.5"), Ok(T + 500));
        let oslo = TimeZone::get("Europe/Oslo").unwrap();
        assert_eq!(parse_timestamp("2026-03-02 09:15:03", &oslo), Ok(T));
    }

    #[test]
    fn epoch_seconds_and_millis() {
        assert_eq!(utc("1772439303"), Ok(T));
        assert_eq!(utc("1772439303.25"), Ok(T + 250));
        assert_eq!(utc("1772439303000"), Ok(T));
    }

    #[test]
    fn garbage_is_rejected_with_the_text() {
        assert_eq!(utc(""), Err(TimestampError::Empty));
        assert!(
            matches!(utc("yesterday"), Err(TimestampError::Unrecognised(t)) if t == "yesterday")
        );
        assert!(utc("2026-13-45 10:00:00").is_err());
        assert!(utc("1.2.3").is_err());
        assert!(utc("99999999999999999999999").is_err());
    }

    #[test]
    fn formats_back_to_rfc3339() {
        assert_eq!(format_utc(T), "2026-03-02T08:15:03Z");
        assert_eq!(
            parse_timestamp(&format_utc(T + 7), &TimeZone::UTC),
            Ok(T + 7)
        );
    }
}
