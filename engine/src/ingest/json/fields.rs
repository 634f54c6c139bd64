//! Reading the fields of one JSON record: paths of keys, tried in order, with the few value
//! shapes logs use for the same thing (a number as text, an address with its port, …).

use std::net::IpAddr;

use jiff::tz::TimeZone;
use serde_json::Value;

use super::Record;
use crate::LoginEvent;
use crate::event::ReportedLocation;
use crate::ingest::RejectReason;
use crate::ingest::values::{Outcome, parse_ip, present};
use crate::time::{epoch_number, parse_timestamp};

/// A path of keys into a record.
pub type Path<'a> = &'a [&'a str];

/// One record's fields.
#[derive(Clone, Copy)]
pub struct Fields<'v> {
    value: &'v Value,
    /// Whether a key may also be written with dots (`"source.ip"` as well as `source` → `ip`), as
    /// flattened Elastic documents have them.
    dotted: bool,
}

impl<'v> Fields<'v> {
    pub fn new(value: &'v Value) -> Self {
        Self {
            value,
            dotted: false,
        }
    }

    /// Keys may be nested objects, dotted names, or a mix (`{"source.geo": {"city_name": …}}`).
    pub fn dotted(value: &'v Value) -> Self {
        Self {
            value,
            dotted: true,
        }
    }

    pub fn is_object(&self) -> bool {
        self.value.is_object()
    }

    /// The fields of the object at `path`.
    pub fn object(&self, path: Path<'_>) -> Option<Fields<'v>> {
        self.get(path)
            .filter(|value| value.is_object())
            .map(|value| Self {
                value,
                dotted: self.dotted,
            })
    }

    /// The value at `path`, unless it is absent or null.
    pub fn get(&self, path: Path<'_>) -> Option<&'v Value> {
        let found = if self.dotted {
            dotted_lookup(self.value, path)
        } else {
            path.iter()
                .try_fold(self.value, |value, key| value.get(*key))
        };
        found.filter(|value| !value.is_null())
    }

    /// The text at the first path that has some; numbers and booleans are written out.
    pub fn text(&self, paths: &[Path<'_>]) -> Option<String> {
        paths.iter().find_map(|path| match self.get(path)? {
            Value::String(text) => present(text).map(str::to_owned),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        })
    }

    pub fn number(&self, paths: &[Path<'_>]) -> Option<f64> {
        paths.iter().find_map(|path| match self.get(path)? {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
    }

    /// A boolean, or the text `true`/`false`.
    pub fn flag(&self, paths: &[Path<'_>]) -> Option<bool> {
        paths.iter().find_map(|path| match self.get(path)? {
            Value::Bool(flag) => Some(*flag),
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// The texts of an array of strings (or one string) at `path`.
    pub fn texts(&self, path: Path<'_>) -> Vec<String> {
        match self.get(path) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(present)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(text)) => present(text).map(str::to_owned).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The instant at the first path that has one: text in any accepted form, or an epoch number.
    pub fn timestamp(&self, paths: &[Path<'_>], zone: &TimeZone) -> Result<i64, RejectReason> {
        let value = paths
            .iter()
            .find_map(|path| self.get(path))
            .ok_or_else(|| missing(paths))?;
        Ok(match value {
            Value::Number(number) => epoch_number(number.as_f64().unwrap_or(f64::NAN))?,
            Value::String(text) => parse_timestamp(text, zone)?,
            other => parse_timestamp(&other.to_string(), zone)?,
        })
    }

    /// The address at the first path that has one.
    pub fn ip(&self, paths: &[Path<'_>]) -> Result<IpAddr, RejectReason> {
        let text = self.text(paths).ok_or_else(|| missing(paths))?;
        parse_ip(&text).ok_or(RejectReason::IpAddress(text))
    }
}

fn dotted_lookup<'v>(value: &'v Value, path: Path<'_>) -> Option<&'v Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value);
    };
    let object = value.as_object()?;
    if let Some(found) = object
        .get(*first)
        .and_then(|child| dotted_lookup(child, rest))
    {
        return Some(found);
    }
    let mut key = (*first).to_owned();
    for (taken, next) in rest.iter().enumerate() {
        key.push('.');
        key.push_str(next);
        if let Some(found) = object
            .get(&key)
            .and_then(|child| dotted_lookup(child, &rest[taken + 1..]))
        {
            return Some(found);
        }
    }
    None
}

/// The reason for a field none of `paths` has, named by the first.
pub fn missing(paths: &[Path<'_>]) -> RejectReason {
    RejectReason::MissingField(paths.first().map(|path| path.join(".")).unwrap_or_default())
}

/// Time, user and address, which every sign-in needs, in the order they are checked.
pub struct Core<'p> {
    pub time: &'p [Path<'p>],
    pub user: &'p [Path<'p>],
    pub ip: &'p [Path<'p>],
}

impl Core<'_> {
    /// A login with the three required fields, or the reason the record is rejected.
    pub fn read(&self, fields: &Fields<'_>, zone: &TimeZone) -> Result<LoginEvent, RejectReason> {
        if !fields.is_object() {
            return Err(RejectReason::Malformed(
                "the record is not a JSON object".to_owned(),
            ));
        }
        let timestamp_ms = fields.timestamp(self.time, zone)?;
        let user_id = fields.text(self.user).ok_or(RejectReason::EmptyUser)?;
        let ip = fields.ip(self.ip)?;
        Ok(LoginEvent {
            timestamp_ms,
            user_id,
            ip,
            ..LoginEvent::default()
        })
    }
}

/// The login with its outcome and place; a success keeps no failure reason, and a city or region
/// is kept only with its country (a place name alone would be mixed with the offline data's).
pub fn finish(
    mut event: LoginEvent,
    outcome: Outcome,
    failure_reason: Option<String>,
    mut location: ReportedLocation,
) -> Record {
    if location.country_code.is_none() {
        location.city = None;
        location.region = None;
    }
    event.success = outcome.success();
    event.interrupted = outcome == Outcome::Interrupted;
    event.failure_reason = failure_reason
        .filter(|_| outcome != Outcome::Success)
        .map(String::into_boxed_str);
    event.reported_location = (!location.is_empty()).then(|| Box::new(location));
    Record::Login(Box::new(event))
}

/// A latitude or longitude within `limit` degrees.
pub fn coordinate(value: Option<f64>, limit: f64) -> Option<f64> {
    value.filter(|degrees| degrees.is_finite() && degrees.abs() <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_nested_keys_mix() {
        let value = serde_json::json!({
            "source.ip": "192.0.2.1",
            "source": {"geo": {"city_name": "Oslo"}},
            "user": {"name": "ann"},
            "event.category": ["authentication"],
            "a.b": {"c.d": 1}
        });
        let fields = Fields::dotted(&value);
        assert_eq!(fields.text(&[&["source", "ip"]]), Some("192.0.2.1".into()));
        assert_eq!(
            fields.text(&[&["source", "geo", "city_name"]]),
            Some("Oslo".into())
        );
        assert_eq!(fields.text(&[&["user", "name"]]), Some("ann".into()));
        assert_eq!(fields.texts(&["event", "category"]), vec!["authentication"]);
        assert_eq!(fields.number(&[&["a", "b", "c", "d"]]), Some(1.0));
        assert_eq!(Fields::new(&value).text(&[&["source", "ip"]]), None);
    }
}
