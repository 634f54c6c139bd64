//! Okta System Log events: what `GET /api/v1/logs` returns (a JSON array), one event per line
//! (as log shippers write them), and Okta event hook deliveries
//! (`{"eventType": "com.okta.event_hook", "data": {"events": […]}}`, as an endpoint registered
//! under Admin Console → Workflow → Event Hooks receives them), whose events are read one by one.
//!
//! Sign-ins are `user.session.start`, the authentication steps `user.authentication.*` and MFA
//! challenges `user.mfa.*` (not `user.mfa.factor.*`, factor lifecycle changes); other event types
//! are skipped by type. The outcome is `outcome.result`: `SUCCESS`/`ALLOW`, `FAILURE`/`DENY`;
//! `CHALLENGE` (more was asked for) is an interrupt; others are unknown.

use serde_json::Value;

use super::fields::{Core, Fields, finish};
use super::{Recognised, Record};
use crate::event::ReportedLocation;
use crate::ingest::values::{Outcome, parse_asn};
use crate::ingest::{Format, IngestOptions, RejectReason};

const HOOK_EVENT_TYPE: &str = "com.okta.event_hook";

pub fn recognise(record: &Value) -> Option<Recognised> {
    let has = |key: &str| record.get(key).is_some();
    (has("eventType") && has("published") && has("actor"))
        .then_some(Recognised::Format(Format::Okta))
}

/// The events of an event hook delivery.
pub fn hook_events(value: &Value) -> Option<&Vec<Value>> {
    if value.get("eventType")?.as_str()? != HOOK_EVENT_TYPE {
        return None;
    }
    value.get("data")?.get("events")?.as_array()
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::new(value);
    let Some(event_type) = fields.text(&[&["eventType"]]) else {
        return Record::Rejected(RejectReason::MissingField("eventType".to_owned()));
    };
    let sign_in = event_type == "user.session.start"
        || event_type.starts_with("user.authentication.")
        || (event_type.starts_with("user.mfa.") && !event_type.starts_with("user.mfa.factor."));
    if !sign_in {
        return Record::Skipped(event_type);
    }
    let core = Core {
        time: &[&["published"]],
        user: &[&["actor", "alternateId"], &["actor", "displayName"]],
        ip: &[&["client", "ipAddress"]],
    };
    let mut event = match core.read(&fields, &options.timezone) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    let result = fields.text(&[&["outcome", "result"]]).unwrap_or_default();
    let outcome = match result.to_ascii_uppercase().as_str() {
        "SUCCESS" | "ALLOW" => Outcome::Success,
        "FAILURE" | "DENY" => Outcome::Failure,
        "CHALLENGE" => Outcome::Interrupted,
        _ => Outcome::Unknown,
    };
    event.mfa = (event_type.starts_with("user.mfa.") || event_type.ends_with("auth_via_mfa"))
        .then_some(true);
    event.user_agent = fields
        .text(&[&["client", "userAgent", "rawUserAgent"]])
        .unwrap_or_default()
        .into();
    let location = ReportedLocation {
        asn: fields
            .text(&[&["securityContext", "asNumber"]])
            .and_then(|asn| parse_asn(&asn)),
        ..ReportedLocation::default()
    };
    let reason = fields
        .text(&[&["outcome", "reason"]])
        .or_else(|| (outcome == Outcome::Failure).then(|| result.clone()));
    finish(event, outcome, reason, location)
}
