//! Authentication events in the Elastic Common Schema, from any shipper that writes it (Filebeat
//! and Elastic Agent integrations, Logstash, an Elasticsearch export of `_source` documents): one
//! document per line, or an array. Nested objects and dotted keys (`"source.ip"`) both work.
//!
//! Sign-ins are documents whose `event.category` (a string or an array) includes
//! `authentication`, except logoffs (`event.type` `end`); other documents are skipped by
//! `event.action` (else their category). `event.outcome` is the outcome (`success`, `failure`,
//! `unknown`), `event.reason` the reason. The user is `user.name`, else `user.email`, else
//! `user.id`; the address `source.ip`, else `client.ip`; `user_agent.original`,
//! `source.geo.*` and `source.as.number` are read. Windows logons shipped by Winlogbeat are ECS
//! documents too and read here as well (the `windows` format reads their event data more
//! closely).

use serde_json::Value;

use super::fields::{Core, Fields, coordinate, finish};
use super::{Recognised, Record};
use crate::event::ReportedLocation;
use crate::ingest::values::{Outcome, parse_asn, parse_country};
use crate::ingest::{Format, IngestOptions, RejectReason};

pub fn recognise(record: &Value) -> Option<Recognised> {
    let fields = Fields::dotted(record);
    fields.get(&["@timestamp"])?;
    let categories = fields.texts(&["event", "category"]);
    if categories.is_empty() {
        return None;
    }
    Some(
        if categories
            .iter()
            .any(|category| category == "authentication")
        {
            Recognised::Format(Format::Ecs)
        } else {
            Recognised::LooksLike(format!(
                "Elastic Common Schema documents of the category {}, not authentication events",
                categories.join(", ")
            ))
        },
    )
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::dotted(value);
    if !fields.is_object() {
        return Record::Rejected(RejectReason::Malformed(
            "the record is not a JSON object".to_owned(),
        ));
    }
    let categories = fields.texts(&["event", "category"]);
    let kind = || {
        fields
            .text(&[&["event", "action"]])
            .unwrap_or_else(|| match categories.is_empty() {
                true => "no event.category".to_owned(),
                false => categories.join(", "),
            })
    };
    if !categories
        .iter()
        .any(|category| category == "authentication")
    {
        return Record::Skipped(kind());
    }
    if fields
        .texts(&["event", "type"])
        .iter()
        .any(|kind| kind == "end")
    {
        return Record::Skipped(format!("{} (logoff)", kind()));
    }
    let core = Core {
        time: &[&["@timestamp"]],
        user: &[&["user", "name"], &["user", "email"], &["user", "id"]],
        ip: &[&["source", "ip"], &["client", "ip"]],
    };
    let mut event = match core.read(&fields, &options.timezone) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    let outcome = match fields.text(&[&["event", "outcome"]]).as_deref() {
        Some("success") => Outcome::Success,
        Some("failure") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    event.user_agent = fields
        .text(&[&["user_agent", "original"]])
        .unwrap_or_default()
        .into();
    let geo = |key: &[&str]| {
        let path: Vec<&str> = ["source", "geo"].iter().chain(key).copied().collect();
        fields.text(&[&path])
    };
    let degrees = |key: &str| {
        fields.number(&[
            &["source", "geo", "location", key],
            &["client", "geo", "location", key],
        ])
    };
    let location = ReportedLocation {
        country_code: geo(&["country_iso_code"]).and_then(|code| parse_country(&code)),
        region: geo(&["region_name"]),
        city: geo(&["city_name"]),
        latitude: coordinate(degrees("lat"), 90.0),
        longitude: coordinate(degrees("lon"), 180.0),
        asn: fields
            .text(&[&["source", "as", "number"], &["client", "as", "number"]])
            .and_then(|asn| parse_asn(&asn)),
    };
    event.resource = fields
        .text(&[&["service", "name"], &["host", "name"]])
        .map(String::into_boxed_str);
    finish(
        event,
        outcome,
        fields.text(&[&["event", "reason"]]),
        location,
    )
}
