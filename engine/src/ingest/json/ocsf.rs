//! Authentication events in the Open Cybersecurity Schema Framework (class `Authentication`,
//! `class_uid` 3002), as Amazon Security Lake stores them (its Parquet converted to JSON, e.g. by
//! an Athena query's JSON output) and as other OCSF producers write them: one event per line or an
//! array.
//!
//! Sign-ins are `activity_id` 1 (logon), 3 (authentication ticket), 6 (pre-authentication), 0 and
//! 99 (unknown, other); logoffs (2) and service tickets (4, 5) are skipped, as are events of other
//! classes (by class). `status_id` (1 success, 2 failure) or `status` is the outcome and
//! `status_detail` the reason; `time` is epoch milliseconds (or `time_dt`). The user is
//! `user.name`, else `user.email_addr`, else `user.uid`; the address `src_endpoint.ip`, its place
//! `src_endpoint.location` (coordinates are longitude, latitude). `is_mfa`,
//! `http_request.user_agent` and the service signed in to (`service.name`, else
//! `dst_endpoint.svc_name`) are read.

use serde_json::Value;

use super::fields::{Core, Fields, coordinate, finish};
use super::{Recognised, Record};
use crate::event::ReportedLocation;
use crate::ingest::values::{Outcome, parse_asn, parse_country};
use crate::ingest::{Format, IngestOptions, RejectReason};

const AUTHENTICATION: &str = "3002";

pub fn recognise(record: &Value) -> Option<Recognised> {
    let fields = Fields::new(record);
    let class = fields.text(&[&["class_uid"]])?;
    if record.get("activity_id").is_none() && record.get("metadata").is_none() {
        return None;
    }
    Some(if class == AUTHENTICATION {
        Recognised::Format(Format::Ocsf)
    } else {
        Recognised::LooksLike(format!(
            "OCSF events of class {class}{}, not Authentication (3002)",
            fields
                .text(&[&["class_name"]])
                .map(|name| format!(" ({name})"))
                .unwrap_or_default()
        ))
    })
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::new(value);
    let Some(class) = fields.text(&[&["class_uid"]]) else {
        return Record::Rejected(RejectReason::MissingField("class_uid".to_owned()));
    };
    if class != AUTHENTICATION {
        return Record::Skipped(
            fields
                .text(&[&["class_name"]])
                .unwrap_or_else(|| format!("class {class}")),
        );
    }
    let activity = fields.text(&[&["activity_id"]]).unwrap_or_default();
    if matches!(activity.as_str(), "2" | "4" | "5") {
        return Record::Skipped(
            fields
                .text(&[&["activity_name"]])
                .unwrap_or_else(|| format!("activity {activity}")),
        );
    }
    let core = Core {
        time: &[&["time"], &["time_dt"]],
        user: &[&["user", "name"], &["user", "email_addr"], &["user", "uid"]],
        ip: &[&["src_endpoint", "ip"]],
    };
    let mut event = match core.read(&fields, &options.timezone) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    let status = fields.text(&[&["status"]]).unwrap_or_default();
    let outcome = match fields.text(&[&["status_id"]]).as_deref() {
        Some("1") => Outcome::Success,
        Some("2") => Outcome::Failure,
        _ => match status.to_ascii_lowercase().as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            _ => Outcome::Unknown,
        },
    };
    event.user_agent = fields
        .text(&[&["http_request", "user_agent"]])
        .unwrap_or_default()
        .into();
    event.mfa = fields.flag(&[&["is_mfa"]]);
    event.resource = fields
        .text(&[&["service", "name"], &["dst_endpoint", "svc_name"]])
        .map(String::into_boxed_str);
    let place = |key: &str| fields.text(&[&["src_endpoint", "location", key]]);
    let coordinates = match fields.get(&["src_endpoint", "location", "coordinates"]) {
        Some(Value::Array(pair)) if pair.len() == 2 => (pair[0].as_f64(), pair[1].as_f64()),
        _ => (None, None),
    };
    let location = ReportedLocation {
        country_code: place("country").and_then(|code| parse_country(&code)),
        region: place("region"),
        city: place("city"),
        latitude: coordinate(coordinates.1, 90.0),
        longitude: coordinate(coordinates.0, 180.0),
        asn: fields
            .text(&[&["src_endpoint", "autonomous_system", "number"]])
            .and_then(|asn| parse_asn(&asn)),
    };
    let reason = fields
        .text(&[&["status_detail"], &["status_code"]])
        .or_else(|| (outcome == Outcome::Failure).then(|| status.clone()));
    finish(event, outcome, reason, location)
}
