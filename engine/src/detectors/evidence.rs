//! What detectors may quote in their reasons: the login, its source, and the user's history.

use std::net::IpAddr;
use std::sync::Arc;

use jiff::tz::TimeZone;

use crate::baseline::UserBaseline;
use crate::enrich::{GeoInfo, UserAgentInfo};

/// A distinct source address and what is known about it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    pub ip: IpAddr,
    pub prefix: u128,
    /// The prefix's id in the analysis's table of networks.
    pub prefix_id: u32,
    /// Shared by the addresses of one place and network (one copy per distinct answer).
    pub geo: Option<Arc<GeoInfo>>,
    /// Index of the location's time zone in the analysis' zone table.
    pub zone: Option<u32>,
}

impl SourceInfo {
    /// "84.208.20.17 (Oslo, NO)" or the bare address.
    pub fn describe(&self) -> String {
        match &self.geo {
            Some(geo) => format!("{} ({})", self.ip, geo.place()),
            None => self.ip.to_string(),
        }
    }

    /// "84.208.20.0/24", "2001:db8:1234::/48".
    pub fn network(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", segments[0], segments[1], segments[2])
            }
        }
    }
}

/// Everything a reason can refer to, borrowed from the analyzer's state.
pub struct Evidence<'a> {
    pub timestamp_ms: i64,
    pub user_id: &'a str,
    pub user: &'a UserBaseline,
    pub source: &'a SourceInfo,
    pub agent: &'a UserAgentInfo,
    pub sources: &'a [Arc<SourceInfo>],
    pub agents: &'a [Arc<UserAgentInfo>],
    /// The user's usual time zone, in which their hour histogram is kept (UTC when unknown).
    pub user_zone: Option<&'a TimeZone>,
}

impl Evidence<'_> {
    /// Name of the clock the user's hour histogram uses: an IANA zone, or "UTC".
    pub fn user_clock_name(&self) -> &str {
        self.user_zone
            .and_then(TimeZone::iana_name)
            .unwrap_or("UTC")
    }

    /// "02:30 Europe/Oslo": this login's time on the user's usual clock.
    pub fn local_clock(&self) -> String {
        let Some(zone) = self.user_zone else {
            return clock_utc(self.timestamp_ms);
        };
        match jiff::Timestamp::from_millisecond(self.timestamp_ms) {
            Ok(instant) => {
                let local = zone.to_datetime(instant);
                format!(
                    "{:02}:{:02} {}",
                    local.hour(),
                    local.minute(),
                    self.user_clock_name()
                )
            }
            Err(_) => clock_utc(self.timestamp_ms),
        }
    }

    pub fn previous_source(&self) -> Option<&SourceInfo> {
        let last = self.user.last.as_ref()?;
        self.sources.get(last.source as usize).map(AsRef::as_ref)
    }
}

/// "38 min", "2 h 5 min", "3 d".
pub fn duration(secs: f64) -> String {
    let secs = secs.max(0.0).round() as i64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => match (secs % 3600) / 60 {
            0 => format!("{} h", secs / 3600),
            minutes => format!("{} h {minutes} min", secs / 3600),
        },
        _ => format!("{} d", secs / 86_400),
    }
}

/// "09:02 UTC" for a timestamp in milliseconds.
pub fn clock_utc(timestamp_ms: i64) -> String {
    let secs_of_day = timestamp_ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{:02}:{:02} UTC",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60
    )
}

/// 16500 → "16,500" (rounded to a whole number; exact for integers below 2^53).
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < -0.5 {
        grouped.insert(0, '-');
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_people() {
        assert_eq!(duration(2280.0), "38 min");
        assert_eq!(duration(7500.0), "2 h 5 min");
        assert_eq!(duration(7200.0), "2 h");
        assert_eq!(duration(12.0), "12 s");
        assert_eq!(duration(3.0 * 86_400.0), "3 d");
        assert_eq!(clock_utc(1_700_000_000_000), "22:13 UTC");
        assert_eq!(thousands(16_500.0), "16,500");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
