//! Microsoft 365 unified audit records of the Entra ID workload, as the Office 365 Management
//! Activity API returns them (`GET …/activity/feed/subscriptions/content` for the
//! `Audit.AzureActiveDirectory` content type: a JSON array) or one record per line (Purview audit
//! search exports' `AuditData` column).
//!
//! Sign-ins are the operations `UserLoggedIn` and `UserLoginFailed` of the workload
//! `AzureActiveDirectory`; other operations and workloads are skipped by operation. `CreationTime`
//! is UTC even though it has no offset. The outcome follows `ErrorNumber` (the Entra error code:
//! interrupts such as 50074 or 50140 are their own outcome), else the operation; `LogonError`
//! (`InvalidUserNameOrPassword`, `UserStrongAuthClientAuthNRequiredInterrupt`, …) is the reason.
//! `ExtendedProperties` give the user agent and the request type; a `SAS:` request (Entra's
//! strong-authentication service) is an MFA step. Application and service-principal accounts
//! (`UserType` 5 and 6) are workload identities.

use jiff::tz::TimeZone;
use serde_json::Value;

use super::fields::{Core, Fields, finish};
use super::{Recognised, Record};
use crate::event::{IdentityKind, ReportedLocation};
use crate::ingest::values::{Outcome, entra_outcome};
use crate::ingest::{Format, IngestOptions, RejectReason};

const WORKLOAD: &str = "AzureActiveDirectory";

pub fn recognise(record: &Value) -> Option<Recognised> {
    let fields = Fields::new(record);
    let has = |key: &str| record.get(key).is_some();
    if !(has("CreationTime") && has("Operation") && has("Workload")) {
        return None;
    }
    match fields.text(&[&["Workload"]]) {
        Some(workload) if workload != WORKLOAD => Some(Recognised::LooksLike(format!(
            "a Microsoft 365 audit export of the {workload} workload, not its sign-ins \
             (Workload: {WORKLOAD})"
        ))),
        _ => Some(Recognised::Format(Format::M365)),
    }
}

pub fn read(value: &Value, _options: &IngestOptions) -> Record {
    let fields = Fields::new(value);
    let Some(operation) = fields.text(&[&["Operation"]]) else {
        return Record::Rejected(RejectReason::MissingField("Operation".to_owned()));
    };
    let workload = fields.text(&[&["Workload"]]).unwrap_or_default();
    let failed = match operation.as_str() {
        "UserLoggedIn" => false,
        "UserLoginFailed" => true,
        _ => return Record::Skipped(operation),
    };
    if workload != WORKLOAD {
        return Record::Skipped(format!("{workload}: {operation}"));
    }
    let core = Core {
        time: &[&["CreationTime"]],
        user: &[&["UserId"]],
        ip: &[&["ClientIP"], &["ActorIpAddress"]],
    };
    let mut event = match core.read(&fields, &TimeZone::UTC) {
        Ok(event) => event,
        Err(reason) => return Record::Rejected(reason),
    };
    let property = |name: &str| {
        let Some(Value::Array(properties)) = fields.get(&["ExtendedProperties"]) else {
            return None;
        };
        properties
            .iter()
            .find(|property| property.get("Name").and_then(Value::as_str) == Some(name))
            .and_then(|property| Fields::new(property).text(&[&["Value"]]))
    };
    let logon_error = fields
        .text(&[&["LogonError"]])
        .or_else(|| property("LogonError"));
    let code = fields
        .text(&[&["ErrorNumber"]])
        .and_then(|code| code.parse::<u32>().ok());
    let outcome = match code {
        Some(code) if code != 0 || !failed => entra_outcome(code).0,
        _ if logon_error
            .as_deref()
            .is_some_and(|error| error.ends_with("Interrupt")) =>
        {
            Outcome::Interrupted
        }
        _ if failed => Outcome::Failure,
        _ => Outcome::Success,
    };
    let reason = match (code.filter(|&code| code != 0), logon_error) {
        (Some(code), Some(error)) => Some(format!("{code}: {error}")),
        (Some(code), None) => Some(match entra_outcome(code).1 {
            Some(description) => format!("{code}: {description}"),
            None => format!("error {code}"),
        }),
        (None, error) => {
            error.or_else(|| property("ResultStatusDetail").filter(|_| outcome != Outcome::Success))
        }
    };
    event.user_agent = property("UserAgent").unwrap_or_default().into();
    let request = property("RequestType").unwrap_or_default();
    if request.starts_with("SAS:") {
        event.mfa = Some(true);
    }
    if matches!(fields.text(&[&["UserType"]]).as_deref(), Some("5" | "6")) {
        event.identity_kind = IdentityKind::ServicePrincipal;
    }
    finish(event, outcome, reason, ReportedLocation::default())
}
