//! AWS CloudTrail records (`{"Records": […]}`, as delivered to S3 as `.json.gz`, or a lookup's
//! array). `ConsoleLogin` is the sign-in; other events are skipped by name.

use serde_json::Value;

use super::fields::{Core, Fields, finish};
use super::{Recognised, Record};
use crate::event::ReportedLocation;
use crate::ingest::values::{Outcome, parse_mfa};
use crate::ingest::{Format, IngestOptions, RejectReason};

pub fn recognise(record: &Value) -> Option<Recognised> {
    let has = |key: &str| record.get(key).is_some();
    (has("eventName") && has("eventTime") && (has("eventSource") || has("eventVersion")))
        .then_some(Recognised::Format(Format::CloudTrail))
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::new(value);
    let Some(event_name) = fields.text(&[&["eventName"]]) else {
        return Record::Rejected(RejectReason::MissingField("eventName".to_owned()));
    };
    if event_name != "ConsoleLogin" {
        return Record::Skipped(event_name);
    }
    let core = Core {
        time: &[&["eventTime"]],
        user: &[
            &["userIdentity", "userName"],
            &["userIdentity", "arn"],
            &["userIdentity", "principalId"],
        ],
        ip: &[&["sourceIPAddress"]],
    };
    let mut event = match core.read(&fields, &options.timezone) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    let error = fields.text(&[&["errorMessage"]]);
    let outcome = match fields
        .text(&[&["responseElements", "ConsoleLogin"]])
        .as_deref()
    {
        Some("Success") => Outcome::Success,
        Some("Failure") => Outcome::Failure,
        _ if error.is_some() => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    event.user_agent = fields.text(&[&["userAgent"]]).unwrap_or_default().into();
    event.mfa = fields
        .text(&[&["additionalEventData", "MFAUsed"]])
        .and_then(|used| parse_mfa(&used));
    finish(event, outcome, error, ReportedLocation::default())
}
