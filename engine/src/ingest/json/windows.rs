//! Windows logon events from the Security log, as Winlogbeat (or Elastic Agent's Windows
//! integration) ships them: Elastic Common Schema documents with the event's own fields under
//! `winlog.event_data`, one per line (Winlogbeat's file output, `output.file`) or as an array
//! (an Elasticsearch export of the `_source` documents). Nested objects and dotted keys both work.
//!
//! | event | what | outcome |
//! |---|---|---|
//! | 4624 | an account logged on | success |
//! | 4625 | an account failed to log on | failure, `Status`/`SubStatus` named (0xC000006A wrong password, 0xC0000234 locked, …) |
//! | 4771 | Kerberos pre-authentication failed | failure, the Kerberos code named (0x18 wrong password, …) |
//! | 4776 | the domain controller validated NTLM credentials | `Status` 0x0 success, else failure |
//!
//! The user is `TargetUserName`; names ending in `$` are computer accounts
//! ([`IdentityKind::Machine`]). The address is `IpAddress` (or ECS `source.ip`); 4776 records
//! none, and logons without one (`-`, local console logons) are rejected as such. Logon types 2,
//! 7, 10 and 11 are interactive, the others not; service and system logons (types 5 and 0) and
//! every other event id are skipped. The computer logged on to is the resource.

use serde_json::Value;

use super::fields::{Fields, finish};
use super::{Recognised, Record};
use crate::LoginEvent;
use crate::event::{IdentityKind, ReportedLocation};
use crate::ingest::values::{Outcome, parse_ip};
use crate::ingest::{Format, IngestOptions, RejectReason};

const EVENT_IDS: [&str; 4] = ["4624", "4625", "4771", "4776"];

pub fn recognise(record: &Value) -> Option<Recognised> {
    Fields::dotted(record)
        .get(&["winlog", "event_id"])
        .map(|_| Recognised::Format(Format::Windows))
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::dotted(value);
    if !fields.is_object() {
        return Record::Rejected(RejectReason::Malformed(
            "the record is not a JSON object".to_owned(),
        ));
    }
    let Some(id) = fields.text(&[&["winlog", "event_id"], &["event", "code"]]) else {
        return Record::Rejected(RejectReason::MissingField("winlog.event_id".to_owned()));
    };
    if !EVENT_IDS.contains(&id.as_str()) {
        return Record::Skipped(id);
    }
    let data = |key: &str| fields.text(&[&["winlog", "event_data", key]]);
    let logon_type = data("LogonType").and_then(|text| text.parse::<u8>().ok());
    if matches!(logon_type, Some(0 | 5)) {
        return Record::Skipped(format!("{id} (service or system logon)"));
    }
    let timestamp_ms = match fields.timestamp(&[&["@timestamp"]], &options.timezone) {
        Ok(timestamp_ms) => timestamp_ms,
        Err(reason) => return Record::Rejected(reason),
    };
    let Some(user_id) = data("TargetUserName").or_else(|| fields.text(&[&["user", "name"]])) else {
        return Record::Rejected(RejectReason::EmptyUser);
    };
    let address = data("IpAddress")
        .filter(|address| address != "-")
        .or_else(|| fields.text(&[&["source", "ip"]]));
    let Some(address) = address else {
        let why = match id.as_str() {
            "4776" => "IpAddress (event 4776 records the workstation name only)",
            _ => "IpAddress (a local logon)",
        };
        return Record::Rejected(RejectReason::MissingField(why.to_owned()));
    };
    let Some(ip) = parse_ip(&address) else {
        return Record::Rejected(RejectReason::IpAddress(address));
    };
    let status = data("SubStatus")
        .filter(|code| !is_zero(code))
        .or_else(|| data("Status"));
    let outcome = match id.as_str() {
        "4624" => Outcome::Success,
        "4776" if status.as_deref().is_none_or(is_zero) => Outcome::Success,
        _ => Outcome::Failure,
    };
    let reason = status.filter(|code| !is_zero(code)).map(|code| {
        let described = if id == "4771" {
            kerberos_status(&code)
        } else {
            ntstatus(&code)
        };
        match described {
            Some(text) => format!("{code}: {text}"),
            None => code,
        }
    });
    let event = LoginEvent {
        timestamp_ms,
        identity_kind: if user_id.ends_with('$') {
            IdentityKind::Machine
        } else {
            IdentityKind::User
        },
        user_id,
        ip,
        interactive: logon_type.map(|kind| matches!(kind, 2 | 7 | 10 | 11)),
        resource: fields
            .text(&[&["winlog", "computer_name"], &["host", "name"]])
            .map(String::into_boxed_str),
        ..LoginEvent::default()
    };
    finish(event, outcome, reason, ReportedLocation::default())
}

fn is_zero(code: &str) -> bool {
    u64::from_str_radix(code.trim_start_matches("0x").trim_start_matches("0X"), 16) == Ok(0)
}

/// NTSTATUS codes of failed logons (4625 `Status`/`SubStatus`, 4776 `Status`).
fn ntstatus(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_uppercase().trim_start_matches("0X") {
        "C000006A" => "wrong password",
        "C0000064" => "no such user",
        "C000006D" => "bad user name or authentication information",
        "C000006E" => "account restriction",
        "C000006F" => "outside the allowed logon hours",
        "C0000070" => "workstation restriction",
        "C0000071" => "password expired",
        "C0000072" => "account disabled",
        "C0000193" => "account expired",
        "C0000224" => "password must be changed",
        "C0000234" => "account locked out",
        "C000015B" => "logon type not granted",
        "C0000133" => "clocks out of sync",
        "C0000413" => "authentication firewall",
        _ => return None,
    })
}

/// Kerberos result codes of 4771.
fn kerberos_status(code: &str) -> Option<&'static str> {
    let value = u64::from_str_radix(code.trim_start_matches("0x").trim_start_matches("0X"), 16);
    Some(match value.ok()? {
        0x6 => "no such user",
        0x12 => "account disabled, expired or locked out",
        0x17 => "password expired",
        0x18 => "wrong password",
        0x25 => "clocks out of sync",
        _ => return None,
    })
}
