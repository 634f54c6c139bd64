//! JSON logs, streamed: a top-level array, a wrapper object holding the array (`{"value": […]}`
//! from Microsoft Graph, `{"Records": […]}` from CloudTrail, `{"records": […]}` from Azure
//! diagnostic settings, `{"items": […]}` from the Google Admin SDK), or one object per line (a
//! line may itself be such a wrapper, as Event Hub captures write them). Only one record is in
//! memory at a time. Deliveries that wrap their events are unwrapped: Okta event hooks
//! (`data.events`) and Auth0 log-stream batches (`[{"log_id": …, "data": {…}}]`).
//!
//! A record that gives a key twice, at any depth, is rejected naming the key: serde_json's own
//! `Value` keeps the last one silently, which is how two parsers of one log are made to disagree
//! (`"user":"bob","user":"mallory"`). Records are built by [`StrictValue`], which notices.
//!
//! Inside an array a broken record stops the parser (JSON cannot resynchronise); the records
//! before it are kept and the rest is reported as one rejected record with the parser's line.
//! With one object per line, a broken line is rejected and reading goes on.

mod auth0;
mod cloudtrail;
mod ecs;
mod entra;
mod fields;
mod google_workspace;
mod m365;
mod ocsf;
mod okta;
mod windows;

use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{Collector, Format, IngestError, IngestOptions, RejectReason};
use crate::LoginEvent;

/// Keys of wrapper objects whose array holds the records.
const CONTAINER_KEYS: [&str; 4] = ["value", "Records", "records", "items"];
/// Records looked at to tell the format.
const SNIFF_RECORDS: usize = 16;

/// What one JSON record turned out to be.
pub enum Record {
    Login(Box<LoginEvent>),
    /// Not a sign-in; counted under its event type.
    Skipped(String),
    Rejected(RejectReason),
}

type Mapper = fn(&Value, &IngestOptions) -> Record;

fn mapper(format: Format) -> Option<Mapper> {
    Some(match format {
        Format::EntraJson => entra::read,
        Format::Okta => okta::read,
        Format::CloudTrail => cloudtrail::read,
        Format::GoogleWorkspace => google_workspace::read,
        Format::Auth0 => auth0::read,
        Format::M365 => m365::read,
        Format::Windows => windows::read,
        Format::Ecs => ecs::read,
        Format::Ocsf => ocsf::read,
        Format::Csv | Format::EntraCsv | Format::Rba | Format::AuthLog => return None,
    })
}

/// What the records at the start of a JSON input say about its format: the format whose records
/// they are, or what they look like when they are not sign-ins Sky Trace reads.
pub enum Recognised {
    Format(Format),
    LooksLike(String),
}

/// Tells the format of a JSON input from its first records; `None` when they cannot be read.
pub fn recognise(head: &[u8]) -> Option<Result<Format, String>> {
    let records = first_records(head);
    let mut looks_like = None;
    for record in &records {
        let verdict = [
            cloudtrail::recognise,
            okta::recognise,
            google_workspace::recognise,
            auth0::recognise,
            m365::recognise,
            ocsf::recognise,
            windows::recognise,
            ecs::recognise,
            entra::recognise,
        ]
        .iter()
        .find_map(|recognise| recognise(record));
        match verdict {
            Some(Recognised::Format(format)) => return Some(Ok(format)),
            Some(Recognised::LooksLike(what)) => {
                looks_like.get_or_insert(what);
            }
            None => {}
        }
    }
    match looks_like {
        Some(what) => Some(Err(what)),
        None if records.is_empty() => None,
        None => Some(Err(String::new())),
    }
}

pub fn read(
    reader: &mut dyn BufRead,
    head: &[u8],
    format: Format,
    options: &IngestOptions,
    out: &mut Collector<'_>,
) -> Result<(), IngestError> {
    let mapper = mapper(format).ok_or(IngestError::UnknownJson)?;
    let mut sink = Sink {
        mapper,
        options,
        out,
    };
    if is_json_lines(head) {
        read_lines(reader, &mut sink);
        return Ok(());
    }
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = TopLevel(&mut sink)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    if let Err(error) = result {
        let line = (error.line() > 0).then_some(error.line() as u64);
        let reason = if error.is_eof() {
            format!("the input ends inside a JSON value (truncated?): {error}")
        } else if error.is_io() {
            format!("cannot read further: {error}")
        } else {
            format!("invalid JSON, the rest of the input cannot be read: {error}")
        };
        sink.out.stop_early(line, reason);
    }
    Ok(())
}

/// One record per line: the first line is a whole JSON object that is not a wrapper, or a
/// wrapper or an array followed by another of its kind (a file of batches, one per line, as Event
/// Hub captures and log-stream webhooks deliver them).
fn is_json_lines(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start();
    let Some((first_line, rest)) = text.split_once('\n') else {
        return false;
    };
    let rest = rest.trim_start();
    match serde_json::from_str::<Value>(first_line) {
        Ok(Value::Object(object)) => {
            !CONTAINER_KEYS
                .iter()
                .any(|key| object.get(*key).is_some_and(Value::is_array))
                || rest.starts_with('{')
        }
        Ok(Value::Array(_)) => rest.starts_with('['),
        _ => false,
    }
}

fn read_lines(reader: &mut dyn BufRead, sink: &mut Sink<'_, '_>) {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match super::source::read_line(reader, &mut line) {
            Ok((0, _)) => break,
            Ok((_, false)) => {}
            Ok((_, true)) => {
                number += 1;
                let limit_bytes = super::MAX_LINE_BYTES;
                sink.out
                    .push(Err(RejectReason::LineTooLong { limit_bytes }), Some(number));
                continue;
            }
            Err(error) => {
                sink.out.stop_early(Some(number + 1), error.to_string());
                break;
            }
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_strict(&line) {
            Ok(parsed) => {
                sink.record(parsed, Some(number));
            }
            Err(error) => {
                let reason = RejectReason::Malformed(format!("invalid JSON: {error}"));
                sink.out.push(Err(reason), Some(number));
            }
        }
    }
}

/// One whole JSON document, with the first key any of its objects repeats.
pub fn parse_strict(bytes: &[u8]) -> Result<Strict, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let mut duplicate = None;
    let value = StrictValue(&mut duplicate).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Strict { value, duplicate })
}

/// A parsed record and the first key one of its objects gives twice (its path, `actor.id`).
pub struct Strict {
    pub value: Value,
    pub duplicate: Option<String>,
}

/// Where records go as they are parsed: `false` stops the reading.
trait RecordSink {
    fn record(&mut self, record: Strict, line: Option<u64>) -> bool;
}

struct Sink<'s, 'p> {
    mapper: Mapper,
    options: &'s IngestOptions,
    out: &'s mut Collector<'p>,
}

impl RecordSink for Sink<'_, '_> {
    fn record(&mut self, record: Strict, line: Option<u64>) -> bool {
        if let Some(key) = record.duplicate {
            self.out.push(Err(RejectReason::DuplicateKey(key)), line);
            return true;
        }
        for_each_record(
            &record.value,
            &mut |value| match (self.mapper)(value, self.options) {
                Record::Login(event) => self.out.push(Ok(*event), line),
                Record::Rejected(reason) => self.out.push(Err(reason), line),
                Record::Skipped(kind) => self.out.skip(kind),
            },
        );
        true
    }
}

/// The records a value holds: those of a batch (an array, an array under a container key, an
/// Okta event hook's `data.events`), or the value itself.
fn for_each_record(value: &Value, each: &mut dyn FnMut(&Value)) {
    let wrapped = value
        .as_array()
        .or_else(|| {
            CONTAINER_KEYS
                .iter()
                .find_map(|key| value.get(*key).and_then(Value::as_array))
        })
        .or_else(|| okta::hook_events(value));
    match wrapped {
        Some(records) => records.iter().for_each(each),
        None => each(value),
    }
}

/// The first records of a (possibly cut) JSON input, unwrapped.
fn first_records(head: &[u8]) -> Vec<Value> {
    struct Collect(Vec<Value>);
    impl RecordSink for Collect {
        fn record(&mut self, record: Strict, _line: Option<u64>) -> bool {
            for_each_record(&record.value, &mut |value| self.0.push(value.clone()));
            self.0.len() < SNIFF_RECORDS
        }
    }
    let mut collect = Collect(Vec::new());
    if is_json_lines(head) {
        let lines = head.split(|&byte| byte == b'\n');
        for line in lines.filter(|line| !line.iter().all(u8::is_ascii_whitespace)) {
            let Ok(parsed) = parse_strict(line) else {
                continue;
            };
            if !collect.record(parsed, None) {
                break;
            }
        }
    } else {
        let mut deserializer = serde_json::Deserializer::from_slice(head);
        // A cut head or a stop after enough records ends in an error; what was read is kept.
        let _ = TopLevel(&mut collect).deserialize(&mut deserializer);
    }
    collect.0
}

/// The whole document: an array of records, or an object that holds one (or is one).
struct TopLevel<'a, S>(&'a mut S);

impl<'de, S: RecordSink> DeserializeSeed<'de> for TopLevel<'_, S> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for TopLevel<'_, S> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of records or an object holding one")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Records(self.0).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = Map::new();
        let mut duplicate = None;
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "the key {key:?} appears twice in the top-level object"
                )));
            }
            if !found && CONTAINER_KEYS.contains(&key.as_str()) {
                map.next_value_seed(Records(&mut *self.0))?;
                found = true;
                fields.insert(key, Value::Null);
            } else if found {
                map.next_value::<IgnoredAny>()?;
                fields.insert(key, Value::Null);
            } else {
                let value = map.next_value_seed(StrictValue(&mut duplicate))?;
                fields.insert(key, value);
            }
        }
        if !found {
            let record = Strict {
                value: Value::Object(fields),
                duplicate,
            };
            if !self.0.record(record, None) {
                return Err(A::Error::custom("enough records"));
            }
        }
        Ok(())
    }
}

struct Records<'a, S>(&'a mut S);

impl<'de, S: RecordSink> DeserializeSeed<'de> for Records<'_, S> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for Records<'_, S> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let mut duplicate = None;
            let Some(value) = seq.next_element_seed(StrictValue(&mut duplicate))? else {
                return Ok(());
            };
            if !self.0.record(Strict { value, duplicate }, None) {
                return Err(A::Error::custom("enough records"));
            }
        }
    }
}

/// A JSON value, as serde_json builds it, that also notes the first key an object gives twice
/// (the value is then incomplete and only good for the rejection).
struct StrictValue<'a>(&'a mut Option<String>);

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let clean = self.0.is_none();
            let Some(item) = seq.next_element_seed(StrictValue(&mut *self.0))? else {
                return Ok(Value::Array(items));
            };
            if clean && let Some(path) = self.0.as_mut() {
                *path = format!("[{}].{path}", items.len());
            }
            items.push(item);
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let clean = self.0.is_none();
            let value = map.next_value_seed(StrictValue(&mut *self.0))?;
            if clean && let Some(path) = self.0.as_mut() {
                *path = format!("{key}.{path}");
            }
            match object.entry(key) {
                serde_json::map::Entry::Vacant(entry) => {
                    entry.insert(value);
                }
                serde_json::map::Entry::Occupied(entry) => {
                    if self.0.is_none() {
                        *self.0 = Some(entry.key().clone());
                    }
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(json: &str) -> Option<String> {
        parse_strict(json.as_bytes()).unwrap().duplicate
    }

    #[test]
    fn repeated_keys_are_named_with_their_path() {
        assert_eq!(
            duplicate(r#"{"user":"bob","user":"mallory"}"#),
            Some("user".into())
        );
        assert_eq!(
            duplicate(r#"{"actor":{"id":"1","alternateId":"a","alternateId":"b"}}"#),
            Some("actor.alternateId".into())
        );
        assert_eq!(
            duplicate(r#"{"events":[{"a":1},{"name":"x","name":"y"}]}"#),
            Some("events.[1].name".into())
        );
        assert_eq!(duplicate(r#"{"a":{"b":1},"c":{"b":2}}"#), None);
        assert_eq!(
            parse_strict(br#"{"a":1,"b":[1,2.5,null,true,"x"]}"#)
                .unwrap()
                .value,
            serde_json::json!({"a":1,"b":[1,2.5,null,true,"x"]})
        );
    }
}
