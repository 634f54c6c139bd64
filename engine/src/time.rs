//! Timestamps as sign-in logs write them, turned into UTC epoch milliseconds.
//!
//! Accepted: RFC 3339 / ISO 8601 with an offset or `Z`; the same without an offset (`T` or a space
//! between date and time, optional fraction), read in the caller's time zone; Unix epoch numbers
//! (optionally with a fraction).
//!
//! Every instant, written as text or as a number, must lie in [`EARLIEST_MS`, `LATEST_MS`)
//! (1990-01-01 to 2100-01-01 UTC): no sign-in log holds anything earlier, and a later one is a
//! damaged or forged value. The unit of an epoch number is told by its magnitude, the integer part
//! taken without sign (see [`EpochUnit::of`]):
//!
//! | integer part | unit |
//! |---|---|
//! | below 10¹¹ (up to 11 digits) | seconds |
//! | 10¹¹ to below 10¹⁴ (12–14 digits) | milliseconds |
//! | 10¹⁴ to below 10¹⁷ (15–17 digits) | microseconds |
//! | 10¹⁷ and above | nanoseconds |
//!
//! Each unit's share of the accepted range lies well inside its band, so no instant in the range
//! can be read in two units; a number outside the range in its unit is rejected, never re-read in
//! another (`253402300799`, 9999-12-31 in seconds, is 1978 as milliseconds: rejected).

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

/// The first accepted instant: 1990-01-01T00:00:00Z.
pub const EARLIEST_MS: i64 = 631_152_000_000;
/// The end of the accepted range (excluded): 2100-01-01T00:00:00Z.
pub const LATEST_MS: i64 = 4_102_444_800_000;

/// The unit of a bare epoch number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl EpochUnit {
    /// The unit of an epoch number by its magnitude (the module's table).
    pub fn of(value: f64) -> Self {
        let magnitude = value.abs().trunc();
        if magnitude < 1e11 {
            Self::Seconds
        } else if magnitude < 1e14 {
            Self::Milliseconds
        } else if magnitude < 1e17 {
            Self::Microseconds
        } else {
            Self::Nanoseconds
        }
    }

    fn per_millisecond(self) -> f64 {
        match self {
            Self::Seconds => 1e-3,
            Self::Milliseconds => 1.0,
            Self::Microseconds => 1e3,
            Self::Nanoseconds => 1e6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "epoch seconds",
            Self::Milliseconds => "epoch milliseconds",
            Self::Microseconds => "epoch microseconds",
            Self::Nanoseconds => "epoch nanoseconds",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("empty timestamp")]
    Empty,
    #[error(
        "unrecognised timestamp {0:?} (expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds/milliseconds)"
    )]
    Unrecognised(String),
    #[error(
        "timestamp {text:?}{} is outside the accepted range 1990-01-01 to 2100-01-01 UTC",
        read_as.as_ref().map(|read| format!(" (read as {read})")).unwrap_or_default()
    )]
    OutOfRange {
        text: String,
        /// How the text was understood ("epoch milliseconds: 1978-01-11T21:31:40.799Z"), when
        /// it was.
        read_as: Option<String>,
    },
}

impl TimestampError {
    fn out_of_range(text: &str, read_as: Option<String>) -> Self {
        Self::OutOfRange {
            text: text.to_owned(),
            read_as,
        }
    }
}

/// Whether an instant lies in the accepted range.
pub fn in_range(timestamp_ms: i64) -> bool {
    (EARLIEST_MS..LATEST_MS).contains(&timestamp_ms)
}

/// `timestamp_ms` if it lies in the accepted range; `text` names the value in the error.
pub fn check_range(timestamp_ms: i64, text: &str) -> Result<i64, TimestampError> {
    if in_range(timestamp_ms) {
        Ok(timestamp_ms)
    } else {
        Err(TimestampError::out_of_range(
            text,
            Some(format_utc(timestamp_ms)),
        ))
    }
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
        return check_range(instant.as_millisecond(), text);
    }
    let civil = text
        .parse::<DateTime>()
        .map_err(|_| TimestampError::Unrecognised(text.to_owned()))?;
    let instant = zone
        .to_ambiguous_timestamp(civil)
        .compatible()
        .map_err(|_| TimestampError::out_of_range(text, None))?;
    check_range(instant.as_millisecond(), text)
}

/// An epoch number as a JSON log writes it (a number, not text), in the unit its magnitude says.
pub fn epoch_number(value: f64) -> Result<i64, TimestampError> {
    epoch_millis(value, &value.to_string())
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
    epoch_millis(value, text)
}

fn epoch_millis(value: f64, text: &str) -> Result<i64, TimestampError> {
    if !value.is_finite() {
        return Err(TimestampError::Unrecognised(text.to_owned()));
    }
    let unit = EpochUnit::of(value);
    let millis = (value / unit.per_millisecond()).round();
    let read_as = || {
        let instant = if millis.abs() < 1e17 {
            Timestamp::from_millisecond(millis as i64).ok()
        } else {
            None
        };
        match instant {
            Some(instant) => format!("{}: {instant}", unit.as_str()),
            None => unit.as_str().to_owned(),
        }
    };
    if !(EARLIEST_MS as f64..LATEST_MS as f64).contains(&millis) {
        return Err(TimestampError::out_of_range(text, Some(read_as())));
    }
    Ok(millis as i64)
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
    fn micro_and_nanoseconds_are_told_apart_by_magnitude() {
        assert_eq!(utc("1772439303000250"), Ok(T));
        assert_eq!(utc("1772439303000250000"), Ok(T));
        assert_eq!(epoch_number(1_772_439_303_123.0), Ok(T + 123));
        assert_eq!(EpochUnit::of(99_999_999_999.0), EpochUnit::Seconds);
        assert_eq!(EpochUnit::of(100_000_000_000.0), EpochUnit::Milliseconds);
        assert_eq!(EpochUnit::of(1e14), EpochUnit::Microseconds);
        assert_eq!(EpochUnit::of(1e17), EpochUnit::Nanoseconds);
    }

    #[test]
    fn instants_outside_1990_to_2100_are_rejected_naming_the_range() {
        let out_of_range = |text: &str| match utc(text) {
            Err(error @ TimestampError::OutOfRange { .. }) => error.to_string(),
            other => panic!("{text}: {other:?}"),
        };
        // 9999-12-31 in seconds is 12 digits: milliseconds, 1978.
        let message = out_of_range("253402300799");
        assert!(
            message.contains("epoch milliseconds: 1978-01-11T21:31:40.799Z"),
            "{message}"
        );
        assert!(
            message.ends_with("is outside the accepted range 1990-01-01 to 2100-01-01 UTC"),
            "{message}"
        );
        // 11 digits are seconds: the year 5138.
        assert!(out_of_range("99999999999").contains("epoch seconds: 5138-"));
        assert!(out_of_range("2126-01-01T00:00:00Z").contains("2126-01-01T00:00:00Z"));
        out_of_range("2126-01-01 00:00:00");
        out_of_range("1989-12-31T23:59:59.999Z");
        out_of_range("2100-01-01T00:00:00Z");
        out_of_range("0");
        out_of_range("-1772439303");
        assert_eq!(utc("1990-01-01T00:00:00Z"), Ok(EARLIEST_MS));
        assert_eq!(utc("2099-12-31T23:59:59.999Z"), Ok(LATEST_MS - 1));
        assert!(epoch_number(f64::NAN).is_err());
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
