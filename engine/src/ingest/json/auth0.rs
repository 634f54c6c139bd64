//! Auth0 tenant logs: what the Management API's `GET /api/v2/logs` returns (a JSON array of log
//! events), and what Auth0 log streams deliver (Dashboard → Monitoring → Streams): custom webhook
//! batches, arrays of `{"log_id": …, "data": {…}}`, and one event per line.
//!
//! An event's `type` code says what happened (Auth0's "Log Event Type Codes"):
//!
//! | codes | outcome |
//! |---|---|
//! | `s` login, `scoa` cross-origin, `sepft` password grant, `seoobft` / `seotpft` / `sercft` MFA grants, `gd_auth_succeed` MFA | success |
//! | `ssa` silent authentication, `seacft` code exchange, `sertft` refresh token | success, non-interactive |
//! | `seccft` client-credentials exchange | success of a machine-to-machine client (a workload identity) |
//! | `f`, `fp`, `fu`, `fc`, `fco`, `fcoa`, `fens`, `fepft`, `feoobft`, `feotpft`, `fercft`, `gd_auth_failed`, `gd_auth_rejected`, `gd_otp_rate_limit_exceed` | failure |
//! | `fsa`, `feacft`, `fertft` | failure, non-interactive |
//! | `feccft` | failure of a machine-to-machine client |
//! | `limit_wc` (account blocked), `limit_mu` (IP blocked), `pwd_leak` (breached password) | failure: the attempt was refused |
//! | `mfar` (MFA required), `gd_start_auth` | interrupted |
//!
//! Everything else (`sapi` API operations, `slo` logouts, `ss` sign-ups, `scp` password changes,
//! …) is skipped by code. The user is `user_name` (the email or username typed), else `user_id`;
//! `location_info` gives the place Auth0 saw.

use serde_json::Value;

use super::fields::{Core, Fields, coordinate, finish};
use super::{Recognised, Record};
use crate::event::{IdentityKind, ReportedLocation};
use crate::ingest::values::{Outcome, parse_country};
use crate::ingest::{Format, IngestOptions, RejectReason};

pub fn recognise(record: &Value) -> Option<Recognised> {
    let record = event_of(record);
    let has = |key: &str| record.get(key).is_some();
    let auth0 =
        has("type") && has("date") && (has("log_id") || has("client_id") || has("hostname"));
    auth0.then_some(Recognised::Format(Format::Auth0))
}

/// A log-stream entry holds the event under `data`.
fn event_of(record: &Value) -> &Value {
    match record.get("data") {
        Some(data @ Value::Object(_)) if record.get("log_id").is_some() => data,
        _ => record,
    }
}

/// What an event type code says: its outcome, whether a person signed in, and whether a
/// machine-to-machine client did. `None` for codes that are not sign-ins.
fn classify(code: &str) -> Option<(Outcome, Option<bool>, IdentityKind)> {
    use IdentityKind::{ServicePrincipal, User};
    use Outcome::{Failure, Interrupted, Success};
    Some(match code {
        "s" | "scoa" | "sepft" | "seoobft" | "seotpft" | "sercft" | "gd_auth_succeed" => {
            (Success, Some(true), User)
        }
        "ssa" | "seacft" | "sertft" => (Success, Some(false), User),
        "seccft" => (Success, Some(false), ServicePrincipal),
        "f"
        | "fp"
        | "fu"
        | "fc"
        | "fco"
        | "fcoa"
        | "fens"
        | "fepft"
        | "feoobft"
        | "feotpft"
        | "fercft"
        | "gd_auth_failed"
        | "gd_auth_rejected"
        | "gd_otp_rate_limit_exceed"
        | "limit_wc"
        | "limit_mu"
        | "pwd_leak" => (Failure, Some(true), User),
        "fsa" | "feacft" | "fertft" => (Failure, Some(false), User),
        "feccft" => (Failure, Some(false), ServicePrincipal),
        "mfar" | "gd_start_auth" => (Interrupted, Some(true), User),
        _ => return None,
    })
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::new(event_of(value));
    let Some(code) = fields.text(&[&["type"]]) else {
        return Record::Rejected(RejectReason::MissingField("type".to_owned()));
    };
    let Some((outcome, interactive, kind)) = classify(&code) else {
        return Record::Skipped(code);
    };
    let users: &[&[&str]] = match kind {
        IdentityKind::User => &[&["user_name"], &["details", "username"], &["user_id"]],
        _ => &[&["client_name"], &["client_id"]],
    };
    let core = Core {
        time: &[&["date"]],
        user: users,
        ip: &[&["ip"]],
    };
    let mut event = match core.read(&fields, &options.timezone) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    event.user_agent = fields.text(&[&["user_agent"]]).unwrap_or_default().into();
    event.interactive = interactive;
    event.identity_kind = kind;
    event.mfa = (code.starts_with("gd_")
        || matches!(code.as_str(), "seoobft" | "seotpft" | "sercft" | "mfar"))
    .then_some(true);
    event.resource = match kind {
        IdentityKind::User => fields.text(&[&["client_name"], &["client_id"]]),
        _ => fields.text(&[&["audience"], &["details", "request", "body", "audience"]]),
    }
    .map(String::into_boxed_str);
    let place = |key: &str| fields.text(&[&["location_info", key]]);
    let location = ReportedLocation {
        country_code: place("country_code").and_then(|code| parse_country(&code)),
        region: place("subdivision_name"),
        city: place("city_name"),
        latitude: coordinate(fields.number(&[&["location_info", "latitude"]]), 90.0),
        longitude: coordinate(fields.number(&[&["location_info", "longitude"]]), 180.0),
        asn: None,
    };
    let reason = Some(match fields.text(&[&["description"]]) {
        Some(description) => format!("{code}: {description}"),
        None => code.clone(),
    });
    finish(event, outcome, reason, location)
}
