//! JSON logs, streamed: a top-level array, a wrapper object holding the array (`{"value": […]}`
//! from Microsoft Graph, `{"Records": […]}` from CloudTrail, `{"records": […]}` from Azure
//! diagnostic exports), or one object per line. Only one record is in memory at a time.
//!
//! Inside an array a broken record stops the parser (JSON cannot resynchronise); the records
//! before it are kept and the rest is reported as one rejected record with the parser's line.
//! With one object per line, a broken line is rejected and reading goes on.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::values::{entra_outcome, parse_asn, parse_country, parse_ip, parse_mfa, present};
use super::{Collector, Format, IngestError, IngestOptions, RejectReason};
use crate::LoginEvent;
use crate::event::ReportedLocation;
use crate::time::parse_timestamp;

/// Keys of wrapper objects whose array holds the records.
const CONTAINER_KEYS: [&str; 3] = ["value", "Records", "records"];

/// What one JSON record turned out to be.
enum Record {
    Login(Box<LoginEvent>),
    /// Not a sign-in; counted under its event type.
    Skipped(String),
    Rejected(RejectReason),
}

type Mapper = fn(&Value, &IngestOptions) -> Record;

pub fn read(
    reader: &mut dyn BufRead,
    head: &[u8],
    format: Format,
    options: &IngestOptions,
    out: &mut Collector<'_>,
) -> Result<(), IngestError> {
    let mapper: Mapper = match format {
        Format::EntraJson => entra,
        Format::Okta => okta,
        Format::CloudTrail => cloudtrail,
        _ => return Err(IngestError::UnknownJson),
    };
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

/// One object per line: the first line is a whole JSON object that is not a wrapper.
fn is_json_lines(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start();
    let Some(first_line) = text.split_once('\n').map(|(line, _)| line) else {
        return false;
    };
    match serde_json::from_str::<Value>(first_line) {
        Ok(Value::Object(object)) => !CONTAINER_KEYS
            .iter()
            .any(|key| object.get(*key).is_some_and(Value::is_array)),
        _ => false,
    }
}

fn read_lines(reader: &mut dyn BufRead, sink: &mut Sink<'_, '_>) {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                sink.out.stop_early(Some(number + 1), error.to_string());
                break;
            }
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(&line) {
            Ok(value) => sink.accept(&value, Some(number)),
            Err(error) => {
                let reason = RejectReason::Malformed(format!("invalid JSON: {error}"));
                sink.out.push(Err(reason), Some(number));
            }
        }
    }
}

struct Sink<'s, 'p> {
    mapper: Mapper,
    options: &'s IngestOptions,
    out: &'s mut Collector<'p>,
}

impl Sink<'_, '_> {
    fn accept(&mut self, value: &Value, line: Option<u64>) {
        match (self.mapper)(value, self.options) {
            Record::Login(event) => self.out.push(Ok(*event), line),
            Record::Rejected(reason) => self.out.push(Err(reason), line),
            Record::Skipped(kind) => self.out.skip(kind),
        }
    }
}

/// The whole document: an array of records, or an object that holds one (or is one).
struct TopLevel<'a, 's, 'p>(&'a mut Sink<'s, 'p>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of records or an object holding one")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Records(self.0).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = serde_json::Map::new();
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if !found && CONTAINER_KEYS.contains(&key.as_str()) {
                map.next_value_seed(Records(&mut *self.0))?;
                found = true;
            } else if found {
                map.next_value::<IgnoredAny>()?;
            } else {
                fields.insert(key, map.next_value()?);
            }
        }
        if !found {
            self.0.accept(&Value::Object(fields), None);
        }
        Ok(())
    }
}

struct Records<'a, 's, 'p>(&'a mut Sink<'s, 'p>);

impl<'de> DeserializeSeed<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.0.accept(&value, None);
        }
        Ok(())
    }
}

/// The value at a path of keys; nested objects that an export wrote as JSON text (Log Analytics
/// does this for `Status`, `LocationDetails`, …) are parsed on the way.
fn at<'v>(value: &'v Value, path: &[&str]) -> Option<Cow<'v, Value>> {
    let mut current = Cow::Borrowed(value);
    for key in path {
        current = match current {
            Cow::Borrowed(Value::String(text)) if text.trim_start().starts_with('{') => {
                Cow::Owned(serde_json::from_str::<Value>(text).ok()?.get(*key)?.clone())
            }
            Cow::Borrowed(value) => Cow::Borrowed(value.get(*key)?),
            Cow::Owned(Value::String(text)) => Cow::Owned(
                serde_json::from_str::<Value>(&text)
                    .ok()?
                    .get(*key)?
                    .clone(),
            ),
            Cow::Owned(value) => Cow::Owned(value.get(*key)?.clone()),
        };
    }
    (!current.is_null()).then_some(current)
}

/// The text at the first path that has one; numbers are written out.
fn text(value: &Value, paths: &[&[&str]]) -> Option<String> {
    paths
        .iter()
        .find_map(|path| match at(value, path)?.as_ref() {
            Value::String(text) => present(text).map(str::to_owned),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        })
}

fn number(value: &Value, paths: &[&[&str]]) -> Option<f64> {
    paths
        .iter()
        .find_map(|path| match at(value, path)?.as_ref() {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
}

/// Time, user and address, which every format needs, or the reason the record is rejected.
fn required(
    value: &Value,
    options: &IngestOptions,
    time: &[&[&str]],
    user: &[&[&str]],
    ip: &[&[&str]],
) -> Result<(i64, String, std::net::IpAddr), RejectReason> {
    if !value.is_object() {
        return Err(RejectReason::Malformed(
            "the record is not a JSON object".to_owned(),
        ));
    }
    let missing = |paths: &[&[&str]]| RejectReason::MissingField(paths[0].join("."));
    let timestamp = text(value, time).ok_or_else(|| missing(time))?;
    let timestamp_ms = parse_timestamp(&timestamp, &options.timezone)?;
    let user_id = text(value, user).ok_or(RejectReason::EmptyUser)?;
    let ip_text = text(value, ip).ok_or_else(|| missing(ip))?;
    let ip = parse_ip(&ip_text).ok_or(RejectReason::IpAddress(ip_text))?;
    Ok((timestamp_ms, user_id, ip))
}

fn login(
    (timestamp_ms, user_id, ip): (i64, String, std::net::IpAddr),
    user_agent: Option<String>,
    success: Option<bool>,
    failure_reason: Option<String>,
    mfa: Option<bool>,
    location: ReportedLocation,
) -> Record {
    Record::Login(Box::new(LoginEvent {
        row: 0,
        line: 0,
        timestamp_ms,
        user_id,
        ip,
        user_agent: user_agent.unwrap_or_default(),
        success,
        failure_reason: if success == Some(true) {
            None
        } else {
            failure_reason.map(String::into_boxed_str)
        },
        mfa,
        reported_location: (!location.is_empty()).then(|| Box::new(location)),
        extra: Vec::new(),
    }))
}

/// Microsoft Graph `signIn` resources and Log Analytics `SigninLogs` rows.
fn entra(value: &Value, options: &IngestOptions) -> Record {
    if let Some(category) = text(value, &[&["Category"], &["category"]])
        && (category.contains("ServicePrincipal") || category.contains("ManagedIdentity"))
    {
        return Record::Skipped(category);
    }
    let core = match required(
        value,
        options,
        &[&["createdDateTime"], &["TimeGenerated"], &["time"]],
        &[
            &["userPrincipalName"],
            &["UserPrincipalName"],
            &["userId"],
            &["UserId"],
        ],
        &[&["ipAddress"], &["IPAddress"], &["callerIpAddress"]],
    ) {
        Ok(core) => core,
        Err(reason) => return Record::Rejected(reason),
    };
    let code = text(
        value,
        &[
            &["status", "errorCode"],
            &["Status", "errorCode"],
            &["ResultType"],
        ],
    );
    let (success, reason) = match code.as_deref().map(str::parse::<u32>) {
        Some(Ok(code)) => {
            let (outcome, description) = entra_outcome(code);
            let text = text(
                value,
                &[
                    &["status", "failureReason"],
                    &["Status", "failureReason"],
                    &["ResultDescription"],
                ],
            )
            .filter(|text| text != "Other.")
            .or(description.map(str::to_owned));
            let reason = (code != 0).then(|| match text {
                Some(text) => format!("{code}: {text}"),
                None => format!("error {code}"),
            });
            (outcome, reason)
        }
        Some(Err(_)) => return Record::Rejected(RejectReason::ErrorCode(code.unwrap_or_default())),
        None => (None, None),
    };
    let place = |key: &str| -> Option<String> {
        text(value, &[&["location", key], &["LocationDetails", key]])
    };
    let coordinate = |key: &str| {
        number(
            value,
            &[
                &["location", "geoCoordinates", key],
                &["LocationDetails", "geoCoordinates", key],
            ],
        )
    };
    let location = ReportedLocation {
        country_code: place("countryOrRegion")
            .or_else(|| text(value, &[&["Location"]]))
            .and_then(|code| parse_country(&code)),
        region: place("state"),
        city: place("city"),
        latitude: coordinate("latitude").filter(|lat| lat.abs() <= 90.0),
        longitude: coordinate("longitude").filter(|lon| lon.abs() <= 180.0),
        asn: text(
            value,
            &[&["autonomousSystemNumber"], &["AutonomousSystemNumber"]],
        )
        .and_then(|asn| parse_asn(&asn)),
    };
    let mfa = text(
        value,
        &[
            &["authenticationRequirement"],
            &["AuthenticationRequirement"],
        ],
    )
    .and_then(|text| parse_mfa(&text));
    login(
        core,
        text(value, &[&["userAgent"], &["UserAgent"]]),
        success,
        reason,
        mfa,
        location,
    )
}

/// Okta System Log events: sign-ins (`user.session.start`), authentication steps
/// (`user.authentication.*`) and MFA challenges (`user.mfa.*` except factor lifecycle changes).
fn okta(value: &Value, options: &IngestOptions) -> Record {
    let Some(event_type) = text(value, &[&["eventType"]]) else {
        return Record::Rejected(RejectReason::MissingField("eventType".to_owned()));
    };
    let sign_in = event_type == "user.session.start"
        || event_type.starts_with("user.authentication.")
        || (event_type.starts_with("user.mfa.") && !event_type.starts_with("user.mfa.factor."));
    if !sign_in {
        return Record::Skipped(event_type);
    }
    let core = match required(
        value,
        options,
        &[&["published"]],
        &[&["actor", "alternateId"], &["actor", "displayName"]],
        &[&["client", "ipAddress"]],
    ) {
        Ok(core) => core,
        Err(reason) => return Record::Rejected(reason),
    };
    let result = text(value, &[&["outcome", "result"]]).unwrap_or_default();
    let success = match result.to_ascii_uppercase().as_str() {
        "SUCCESS" | "ALLOW" => Some(true),
        "FAILURE" | "DENY" => Some(false),
        _ => None,
    };
    let mfa = (event_type.starts_with("user.mfa.") || event_type.ends_with("auth_via_mfa"))
        .then_some(true);
    let location = ReportedLocation {
        asn: text(value, &[&["securityContext", "asNumber"]]).and_then(|asn| parse_asn(&asn)),
        ..ReportedLocation::default()
    };
    login(
        core,
        text(value, &[&["client", "userAgent", "rawUserAgent"]]),
        success,
        text(value, &[&["outcome", "reason"]])
            .or_else(|| (success == Some(false)).then(|| result.clone())),
        mfa,
        location,
    )
}

/// CloudTrail records; `ConsoleLogin` is the sign-in, everything else is counted and skipped.
fn cloudtrail(value: &Value, options: &IngestOptions) -> Record {
    let Some(event_name) = text(value, &[&["eventName"]]) else {
        return Record::Rejected(RejectReason::MissingField("eventName".to_owned()));
    };
    if event_name != "ConsoleLogin" {
        return Record::Skipped(event_name);
    }
    let core = match required(
        value,
        options,
        &[&["eventTime"]],
        &[
            &["userIdentity", "userName"],
            &["userIdentity", "arn"],
            &["userIdentity", "principalId"],
        ],
        &[&["sourceIPAddress"]],
    ) {
        Ok(core) => core,
        Err(reason) => return Record::Rejected(reason),
    };
    let result = text(value, &[&["responseElements", "ConsoleLogin"]]);
    let success = match result.as_deref() {
        Some("Success") => Some(true),
        Some("Failure") => Some(false),
        _ => text(value, &[&["errorMessage"]]).map(|_| false),
    };
    login(
        core,
        text(value, &[&["userAgent"]]),
        success,
        text(value, &[&["errorMessage"]]),
        text(value, &[&["additionalEventData", "MFAUsed"]]).and_then(|used| parse_mfa(&used)),
        ReportedLocation::default(),
    )
}
