//! Google Workspace login audit: the Admin SDK Reports API's
//! `activities.list(userKey=all, applicationName=login)` answer
//! (`{"kind": "admin#reports#activities", "items": […]}`), or one activity per line. In the Admin
//! console the same events are under Reporting → Audit and investigation → Login log events.
//!
//! An activity is one record: its time (`id.time`), its actor (`actor.email`), its address
//! (`ipAddress`) and the first of its `events` that is a sign-in:
//!
//! | event | outcome |
//! |---|---|
//! | `login_success` | success; MFA when `login_challenge_method` names a second factor |
//! | `login_failure` | failure, `login_failure_type` as the reason |
//! | `login_challenge`, `login_verification` | interrupted (asked for more), or a failure when `login_challenge_status` says the challenge failed |
//! | `suspicious_login`, `suspicious_login_less_secure_app`, `suspicious_programmatic_login`, `gov_attack_warning` | unknown, Google's warning as the reason |
//!
//! `logout` and every other event (password changes, 2-step enrolment, account disabled, …) are
//! skipped by name. The login log records no user agent.

use serde_json::Value;

use super::fields::{Core, Fields, finish};
use super::{Recognised, Record};
use crate::event::ReportedLocation;
use crate::ingest::values::Outcome;
use crate::ingest::{Format, IngestOptions, RejectReason};

/// Challenge methods that are not a second factor.
const FIRST_FACTORS: [&str; 3] = ["password", "none", "other"];

pub fn recognise(record: &Value) -> Option<Recognised> {
    let fields = Fields::new(record);
    let kind = fields.text(&[&["kind"]]).unwrap_or_default();
    let activity = kind.starts_with("admin#reports#activit")
        || (fields.get(&["id", "applicationName"]).is_some() && record.get("events").is_some());
    if !activity {
        return None;
    }
    match fields.text(&[&["id", "applicationName"]]).as_deref() {
        Some("login") | None => Some(Recognised::Format(Format::GoogleWorkspace)),
        Some(other) => Some(Recognised::LooksLike(format!(
            "a Google Workspace admin activity export, but not its login application \
             (applicationName={other})"
        ))),
    }
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    let fields = Fields::new(value);
    let application = fields.text(&[&["id", "applicationName"]]);
    let events = match fields.get(&["events"]) {
        Some(Value::Array(events)) => events.as_slice(),
        _ => return Record::Rejected(RejectReason::MissingField("events".to_owned())),
    };
    let name_of = |event: &Value| Fields::new(event).text(&[&["name"]]).unwrap_or_default();
    let sign_in = events
        .iter()
        .find(|event| outcome_of(&name_of(event)).is_some());
    let (Some(event), Some("login") | None) = (sign_in, application.as_deref()) else {
        let first = events.first().map(name_of).unwrap_or_default();
        return Record::Skipped(match application.as_deref() {
            Some(other) if other != "login" => format!("{other}: {first}"),
            _ => first,
        });
    };
    let name = name_of(event);
    let core = Core {
        time: &[&["id", "time"]],
        user: &[&["actor", "email"], &["actor", "profileId"]],
        ip: &[&["ipAddress"]],
    };
    let mut login = match core.read(&fields, &options.timezone) {
        Ok(login) => login,
        Err(reason) => return Record::Rejected(reason),
    };
    let parameters = Parameters(Fields::new(event));
    let methods = parameters.texts("login_challenge_method");
    let mut outcome = outcome_of(&name).unwrap_or(Outcome::Unknown);
    let mut reason = None;
    match name.as_str() {
        "login_success" => {}
        "login_failure" => reason = parameters.text("login_failure_type").or(Some(name.clone())),
        "login_challenge" | "login_verification" => {
            let status = parameters
                .text("login_challenge_status")
                .unwrap_or_default();
            if status.to_ascii_lowercase().contains("fail") {
                outcome = Outcome::Failure;
            }
            reason = Some(match status.is_empty() {
                true => name.clone(),
                false => format!("{name}: {status}"),
            });
        }
        _ => reason = Some(name.clone()),
    }
    if !methods.is_empty() {
        login.mfa = Some(
            methods
                .iter()
                .any(|method| !FIRST_FACTORS.contains(&method.as_str())),
        );
    }
    if parameters.flag("is_suspicious") == Some(true) && reason.is_none() {
        reason = Some("flagged suspicious by Google".to_owned());
    }
    finish(login, outcome, reason, ReportedLocation::default())
}

/// The outcome a sign-in event stands for; `None` for events that are not sign-ins.
fn outcome_of(name: &str) -> Option<Outcome> {
    Some(match name {
        "login_success" => Outcome::Success,
        "login_failure" => Outcome::Failure,
        "login_challenge" | "login_verification" => Outcome::Interrupted,
        "suspicious_login"
        | "suspicious_login_less_secure_app"
        | "suspicious_programmatic_login"
        | "gov_attack_warning" => Outcome::Unknown,
        _ => return None,
    })
}

/// An event's `parameters`: `[{"name": …, "value" | "boolValue" | "multiValue" | …: …}]`.
struct Parameters<'v>(Fields<'v>);

impl Parameters<'_> {
    fn find(&self, name: &str) -> Option<Fields<'_>> {
        let Some(Value::Array(parameters)) = self.0.get(&["parameters"]) else {
            return None;
        };
        parameters
            .iter()
            .find(|parameter| parameter.get("name").and_then(Value::as_str) == Some(name))
            .map(Fields::new)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.find(name)?
            .text(&[&["value"], &["intValue"], &["boolValue"]])
    }

    fn texts(&self, name: &str) -> Vec<String> {
        let Some(parameter) = self.find(name) else {
            return Vec::new();
        };
        let mut values = parameter.texts(&["multiValue"]);
        values.extend(parameter.text(&[&["value"]]));
        values
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.find(name)?.flag(&[&["boolValue"], &["value"]])
    }
}
