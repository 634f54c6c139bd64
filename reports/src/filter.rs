//! Which logins and incidents a report or export covers.

use engine::RiskLevel;
use engine::figures::Selection;
use serde::{Deserialize, Serialize};

use crate::ReportError;

/// A level floor and a date range (UTC, inclusive of `from`, exclusive of `to`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Only logins and incidents at or above this level (exports); incidents start here.
    pub min_level: Option<RiskLevel>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl Filter {
    /// From the words people type: a level name (`high`, any case) and dates as `YYYY-MM-DD`
    /// or RFC 3339 times. A bare `to` date includes that whole day.
    pub fn parse(
        min_level: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, ReportError> {
        let min_level = min_level
            .filter(|text| !text.trim().is_empty())
            .map(parse_level)
            .transpose()?;
        let from_ms = from
            .filter(|text| !text.trim().is_empty())
            .map(|text| parse_date(text, false))
            .transpose()?;
        let to_ms = to
            .filter(|text| !text.trim().is_empty())
            .map(|text| parse_date(text, true))
            .transpose()?;
        if let (Some(from), Some(to)) = (from_ms, to_ms)
            && from >= to
        {
            return Err(ReportError::Filter(
                "the date range is empty: `from` must be before `to`".to_owned(),
            ));
        }
        Ok(Self {
            min_level,
            from_ms,
            to_ms,
        })
    }

    pub fn in_range(&self, timestamp_ms: i64) -> bool {
        self.from_ms.is_none_or(|from| timestamp_ms >= from)
            && self.to_ms.is_none_or(|to| timestamp_ms < to)
    }

    /// The logins this filter covers and selects: its date range and level.
    pub fn selection(&self) -> Selection {
        Selection {
            min_level: self.min_level,
            ..self.range()
        }
    }

    /// The logins this filter covers: its date range, every level.
    pub fn range(&self) -> Selection {
        Selection {
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            ..Selection::default()
        }
    }

    pub fn at_level(&self, level: RiskLevel) -> bool {
        self.min_level.is_none_or(|min| level >= min)
    }

    /// "High and above, 2026-03-01 to 2026-03-08", or "all logins".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(level) = self.min_level {
            parts.push(format!("{level} and above"));
        }
        let day = |ms: i64| engine::time::format_utc(ms);
        match (self.from_ms, self.to_ms) {
            (Some(from), Some(to)) => parts.push(format!("from {} to {}", day(from), day(to))),
            (Some(from), None) => parts.push(format!("from {}", day(from))),
            (None, Some(to)) => parts.push(format!("before {}", day(to))),
            (None, None) => {}
        }
        if parts.is_empty() {
            "all logins".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

pub fn parse_level(text: &str) -> Result<RiskLevel, ReportError> {
    RiskLevel::ALL
        .into_iter()
        .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            ReportError::Filter(format!(
                "unknown level {text:?}; expected low, medium, high or critical"
            ))
        })
}

fn parse_date(text: &str, end_of_day: bool) -> Result<i64, ReportError> {
    let text = text.trim();
    let error = || {
        ReportError::Filter(format!(
            "cannot read the date {text:?}; use YYYY-MM-DD or an RFC 3339 time such as 2026-03-01T08:00:00Z"
        ))
    };
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        let date = if end_of_day {
            date.tomorrow().map_err(|_| error())?
        } else {
            date
        };
        let zoned = date
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|_| error())?;
        return Ok(zoned.timestamp().as_millisecond());
    }
    text.parse::<jiff::Timestamp>()
        .map(|timestamp| timestamp.as_millisecond())
        .map_err(|_| error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_levels_and_ranges() {
        let filter = Filter::parse(Some("HIGH"), Some("2026-03-01"), Some("2026-03-01")).unwrap();
        assert_eq!(filter.min_level, Some(RiskLevel::High));
        assert_eq!(filter.from_ms, Some(1_772_323_200_000));
        assert_eq!(filter.to_ms, Some(1_772_323_200_000 + 86_400_000));
        assert!(filter.in_range(1_772_323_200_000));
        assert!(!filter.in_range(1_772_323_200_000 + 86_400_000));
        assert!(filter.at_level(RiskLevel::Critical) && !filter.at_level(RiskLevel::Medium));
        let exact = Filter::parse(None, Some("2026-03-01T08:00:00Z"), None).unwrap();
        assert_eq!(exact.from_ms, Some(1_772_352_000_000));
        assert!(Filter::parse(Some("severe"), None, None).is_err());
        assert!(Filter::parse(None, Some("01/03/2026"), None).is_err());
        assert!(Filter::parse(None, Some("2026-03-02"), Some("2026-03-01")).is_err());
        assert_eq!(Filter::default().describe(), "all logins");
    }
}
