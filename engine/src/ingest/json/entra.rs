//! Microsoft Entra ID sign-ins as JSON, in the three shapes Microsoft hands them out:
//!
//! - Microsoft Graph `signIn` resources (`GET /auditLogs/signIns`, `{"value": […]}`; the beta
//!   endpoint's service-principal and managed-identity sign-ins too);
//! - Log Analytics rows of `SigninLogs`, `AADNonInteractiveUserSignInLogs`,
//!   `AADServicePrincipalSignInLogs` and `AADManagedIdentitySignInLogs` (PascalCase columns, nested
//!   columns written as JSON text);
//! - Azure Monitor diagnostic-settings records of the categories `SignInLogs`,
//!   `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs` and `ManagedIdentitySignInLogs`,
//!   the sign-in under `properties` beside `time`, `category`, `resultType`, `callerIpAddress`:
//!   Azure portal → Entra ID → Diagnostic settings → archive to a storage account
//!   (`insights-logs-signinlogs/…/PT1H.json`, one record per line), stream to an Event Hub
//!   (`{"records": […]}` per message) or send to Log Analytics.
//!
//! Users are named by their UPN. Service principals and managed identities are read as their own
//! kind of identity ([`IdentityKind`]), named by the service principal's name (or app id), with
//! the resource they signed in to. Error code 0 is a success; interrupts (50074, 50076, 50140, …)
//! are their own outcome; any other code is a failure. Non-interactive sign-ins are marked. Other
//! diagnostic categories (`AuditLogs`, `RiskyUsers`, …) are skipped by category.

use serde_json::Value;

use super::fields::{Fields, coordinate, finish};
use super::{Recognised, Record, parse_strict};
use crate::LoginEvent;
use crate::event::{IdentityKind, ReportedLocation};
use crate::ingest::values::{
    Outcome, entra_outcome, parse_asn, parse_country, parse_ip, parse_mfa,
};
use crate::ingest::{Format, IngestOptions, RejectReason};

/// Diagnostic categories (and Log Analytics tables) of sign-ins all end so, in either case.
fn is_sign_in_category(category: &str) -> bool {
    category.to_ascii_lowercase().ends_with("signinlogs")
}

pub fn recognise(record: &Value) -> Option<Recognised> {
    let fields = Fields::new(record);
    let has = |key: &str| record.get(key).is_some();
    let category = fields.text(&[&["category"], &["Category"], &["Type"]]);
    let diagnostic = has("properties") && (has("operationName") || has("resourceId"));
    if let Some(category) = &category
        && (diagnostic || has("TimeGenerated"))
    {
        return Some(if is_sign_in_category(category) {
            Recognised::Format(Format::EntraJson)
        } else {
            Recognised::LooksLike(format!(
                "Azure Monitor records of the category {category}, not sign-ins (Sky Trace reads \
                 SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs and \
                 ManagedIdentitySignInLogs)"
            ))
        });
    }
    let identity = [
        "userPrincipalName",
        "UserPrincipalName",
        "servicePrincipalId",
        "ServicePrincipalId",
        "servicePrincipalName",
        "ServicePrincipalName",
    ];
    ((has("createdDateTime") || has("TimeGenerated")) && identity.iter().any(|key| has(key)))
        .then_some(Recognised::Format(Format::EntraJson))
}

pub fn read(value: &Value, options: &IngestOptions) -> Record {
    if !value.is_object() {
        return Record::Rejected(RejectReason::Malformed(
            "the record is not a JSON object".to_owned(),
        ));
    }
    let expanded;
    let value = if has_json_text(value) {
        match expand_json_text(value) {
            Ok(parsed) => {
                expanded = parsed;
                &expanded
            }
            Err(reason) => return Record::Rejected(reason),
        }
    } else {
        value
    };
    let top = Fields::new(value);
    // Diagnostic records hold the sign-in under `properties`; Graph resources and Log Analytics
    // rows are the sign-in themselves.
    let body = top.object(&["properties"]).unwrap_or(top);
    let category = top.text(&[&["category"], &["Category"]]);
    if let Some(category) = &category
        && !is_sign_in_category(category)
    {
        return Record::Skipped(category.clone());
    }
    let text = |camel: &str, pascal: &[&str]| {
        body.text(&[&[camel]])
            .or_else(|| pascal.iter().find_map(|key| top.text(&[&[key]])))
    };
    let kind = identity_kind(category.as_deref(), &body, &top);

    let timestamp_ms = if body.get(&["createdDateTime"]).is_some() {
        body.timestamp(&[&["createdDateTime"]], &options.timezone)
    } else {
        top.timestamp(
            &[&["createdDateTime"], &["TimeGenerated"], &["time"]],
            &options.timezone,
        )
    };
    let timestamp_ms = match timestamp_ms {
        Ok(timestamp_ms) => timestamp_ms,
        Err(reason) => return Record::Rejected(reason),
    };
    let user_id = match kind {
        IdentityKind::User => text("userPrincipalName", &["UserPrincipalName"])
            .or_else(|| text("userId", &["UserId"])),
        _ => text("servicePrincipalName", &["ServicePrincipalName"])
            .or_else(|| text("appId", &["AppId"]))
            .or_else(|| text("servicePrincipalId", &["ServicePrincipalId"])),
    };
    let Some(user_id) = user_id else {
        return Record::Rejected(RejectReason::EmptyUser);
    };
    let Some(ip_text) = text("ipAddress", &["IPAddress", "callerIpAddress"]) else {
        return Record::Rejected(RejectReason::MissingField(match kind {
            IdentityKind::ManagedIdentity => {
                "ipAddress (Entra often records none for managed identities)".to_owned()
            }
            _ => "ipAddress".to_owned(),
        }));
    };
    let Some(ip) = parse_ip(&ip_text) else {
        return Record::Rejected(RejectReason::IpAddress(ip_text));
    };

    let code = body
        .text(&[&["status", "errorCode"]])
        .or_else(|| top.text(&[&["Status", "errorCode"], &["ResultType"], &["resultType"]]));
    let (outcome, failure_reason) = match code.as_deref().map(str::parse::<u32>) {
        Some(Ok(code)) => {
            let (outcome, description) = entra_outcome(code);
            let written = body
                .text(&[&["status", "failureReason"]])
                .or_else(|| {
                    top.text(&[
                        &["Status", "failureReason"],
                        &["ResultDescription"],
                        &["resultDescription"],
                    ])
                })
                .filter(|text| text != "Other.")
                .or(description.map(str::to_owned));
            let reason = (code != 0).then(|| match written {
                Some(text) => format!("{code}: {text}"),
                None => format!("error {code}"),
            });
            (outcome, reason)
        }
        Some(Err(_)) => {
            return Record::Rejected(RejectReason::ErrorCode(code.unwrap_or_default()));
        }
        None => (Outcome::Unknown, None),
    };

    let place = |key: &str| {
        body.text(&[&["location", key]])
            .or_else(|| top.text(&[&["LocationDetails", key]]))
    };
    let degrees = |key: &str| {
        body.number(&[&["location", "geoCoordinates", key]])
            .or_else(|| top.number(&[&["LocationDetails", "geoCoordinates", key]]))
    };
    let location = ReportedLocation {
        country_code: place("countryOrRegion")
            .or_else(|| top.text(&[&["Location"]]))
            .and_then(|code| parse_country(&code)),
        region: place("state"),
        city: place("city"),
        latitude: coordinate(degrees("latitude"), 90.0),
        longitude: coordinate(degrees("longitude"), 180.0),
        asn: text("autonomousSystemNumber", &["AutonomousSystemNumber"])
            .and_then(|asn| parse_asn(&asn)),
    };
    let interactive = body
        .flag(&[&["isInteractive"]])
        .or_else(|| top.flag(&[&["IsInteractive"]]))
        .or_else(|| {
            let category = category.as_deref()?.to_ascii_lowercase();
            Some(category == "signinlogs")
        });
    let event = LoginEvent {
        timestamp_ms,
        user_id,
        ip,
        user_agent: text("userAgent", &["UserAgent"]).unwrap_or_default().into(),
        mfa: text("authenticationRequirement", &["AuthenticationRequirement"])
            .and_then(|text| parse_mfa(&text)),
        interactive: if kind == IdentityKind::User {
            interactive
        } else {
            Some(false)
        },
        identity_kind: kind,
        resource: text("resourceDisplayName", &["ResourceDisplayName"])
            .or_else(|| body.text(&[&["resourceId"]]))
            .map(String::into_boxed_str),
        ..LoginEvent::default()
    };
    finish(event, outcome, failure_reason, location)
}

/// A workload identity when the category (or Graph's `signInEventTypes`) says so, or when a
/// record without any user names a service principal.
fn identity_kind(category: Option<&str>, body: &Fields<'_>, top: &Fields<'_>) -> IdentityKind {
    let says = |text: &str| {
        let text = text.to_ascii_lowercase();
        if text.contains("managedidentity") {
            Some(IdentityKind::ManagedIdentity)
        } else if text.contains("serviceprincipal") {
            Some(IdentityKind::ServicePrincipal)
        } else {
            None
        }
    };
    if let Some(kind) = category.and_then(says) {
        return kind;
    }
    let event_types = body.texts(&["signInEventTypes"]);
    if let Some(kind) = event_types.iter().find_map(|kind| says(kind)) {
        return kind;
    }
    if let Some(kind) = top.text(&[&["Type"]]).and_then(|table| says(&table)) {
        return kind;
    }
    let any = |keys: &[&str]| {
        keys.iter().any(|key| {
            body.text(&[&[key]])
                .or_else(|| top.text(&[&[key]]))
                .is_some()
        })
    };
    if !any(&["userPrincipalName", "UserPrincipalName", "userId", "UserId"])
        && any(&["servicePrincipalName", "ServicePrincipalName"])
    {
        return IdentityKind::ServicePrincipal;
    }
    IdentityKind::User
}

/// Log Analytics writes nested columns (`Status`, `LocationDetails`, `DeviceDetail`, …) as JSON
/// text.
fn has_json_text(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        object.values().any(|field| {
            field
                .as_str()
                .is_some_and(|text| text.trim_start().starts_with('{'))
        })
    })
}

/// The record with its nested columns parsed (strictly: a repeated key rejects the record).
fn expand_json_text(value: &Value) -> Result<Value, RejectReason> {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        for (key, field) in object.iter_mut() {
            let Some(text) = field
                .as_str()
                .filter(|text| text.trim_start().starts_with('{'))
            else {
                continue;
            };
            if let Ok(parsed) = parse_strict(text.as_bytes()) {
                if let Some(repeated) = parsed.duplicate {
                    return Err(RejectReason::DuplicateKey(format!("{key}.{repeated}")));
                }
                *field = parsed.value;
            }
        }
    }
    Ok(value)
}
