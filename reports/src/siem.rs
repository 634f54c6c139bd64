//! Scored logins for SIEMs, so they can take Sky Trace's verdicts back in: one JSON document per
//! line (NDJSON), as Elastic Common Schema alerts ([`ecs_document`]) or as OCSF Authentication
//! events, class 3002 ([`ocsf_event`]).
//!
//! A [`ScoredEvent`] carries the verdict; the [`LoginEvent`] it was scored from (matched by row)
//! adds what the log said beyond it: the user agent, MFA, the interrupt, the kind of identity and
//! the resource. Without it those fields are left out.

use std::io::Write;

use engine::time::format_utc;
use engine::{IdentityKind, LoginEvent, RiskLevel, ScoredEvent};
use serde_json::{Map, Value, json};

use crate::ReportError;

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";
/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.3.0";
const PRODUCT: &str = "Sky Trace";

/// The login a scored event came from, if `logins` (in input order) has it.
pub fn login_of<'a>(event: &ScoredEvent, logins: &'a [LoginEvent]) -> Option<&'a LoginEvent> {
    let index = logins
        .binary_search_by_key(&event.row, |login| login.row)
        .ok()?;
    logins.get(index)
}

/// Elastic's severity numbers for the four levels (its detection rules use the same).
fn ecs_severity(level: RiskLevel) -> u8 {
    match level {
        RiskLevel::Low => 21,
        RiskLevel::Medium => 47,
        RiskLevel::High => 73,
        RiskLevel::Critical => 99,
    }
}

/// OCSF `risk_level_id` (1 Low … 4 Critical) and `severity_id` (2 Low … 5 Critical).
fn ocsf_levels(level: RiskLevel) -> (u8, u8) {
    match level {
        RiskLevel::Low => (1, 2),
        RiskLevel::Medium => (2, 3),
        RiskLevel::High => (3, 4),
        RiskLevel::Critical => (4, 5),
    }
}

/// The active findings' rule names, strongest first as the analysis orders them.
fn rule_names(event: &ScoredEvent) -> Vec<&'static str> {
    event
        .findings
        .iter()
        .filter(|finding| finding.is_active())
        .map(|finding| finding.kind.as_str())
        .collect()
}

/// Sky Trace's own scores, which no common field holds.
fn scores(event: &ScoredEvent, login: Option<&LoginEvent>) -> Value {
    let mut scores = json!({
        "row": event.row,
        "line": event.line,
        "login_id": event.login_id(),
        "risk_level": event.risk_level.as_str(),
        "isolation_forest": event.isolation_forest,
        "dbscan": event.dbscan,
        "statistical": event.statistical,
        "rules": event.rules,
        "network_type": event.network.map(|network| network.as_str()),
        "travel_km": event.travel_km,
        "travel_kmh": event.travel_kmh,
        "device": &*event.device,
        "findings": event.findings,
    });
    if let (Some(login), Value::Object(object)) = (login, &mut scores) {
        object.insert("interrupted".into(), login.interrupted.into());
        object.insert("identity_kind".into(), login.identity_kind.as_str().into());
    }
    scores
}

/// Drops nulls and empty objects, so absent values are absent rather than `null`.
fn pruned(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| (key, pruned(value)))
                .filter(|(_, value)| {
                    !value.is_null() && value.as_object().is_none_or(|object| !object.is_empty())
                })
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// One scored login as an ECS alert document (`event.kind: alert`,
/// `event.category: authentication`).
pub fn ecs_document(event: &ScoredEvent, login: Option<&LoginEvent>) -> Value {
    let outcome = match event.success {
        Some(true) => "success",
        Some(false) => "failure",
        None => "unknown",
    };
    let reasons = event.reasons();
    let user = &*event.user_id;
    let document = json!({
        "@timestamp": format_utc(event.timestamp_ms),
        "message": format!(
            "{} risk ({:.2}) sign-in by {user} from {}{}",
            event.risk_level,
            event.risk_score,
            event.ip,
            if reasons.is_empty() { String::new() } else { format!(": {reasons}") }
        ),
        "ecs": {"version": ECS_VERSION},
        "event": {
            "kind": "alert",
            "category": ["authentication"],
            "type": ["start"],
            "outcome": outcome,
            "action": "sign-in-scored",
            "id": event.login_id(),
            "module": "skytrace",
            "dataset": "skytrace.scored_login",
            "provider": PRODUCT,
            "severity": ecs_severity(event.risk_level),
            "risk_score": event.risk_score,
            "risk_score_norm": (event.risk_score * 100.0).clamp(0.0, 100.0),
            "reason": (!reasons.is_empty()).then_some(reasons),
        },
        "rule": {
            "name": rule_names(event),
            "ruleset": PRODUCT,
        },
        "observer": {"vendor": PRODUCT, "product": PRODUCT, "type": "ueba"},
        "user": {"name": user},
        "source": {
            "ip": event.ip.to_string(),
            "geo": {
                "country_iso_code": event.country.as_deref(),
                "city_name": event.city.as_deref(),
            },
            "as": {"number": event.asn},
        },
        "user_agent": {
            "original": login.map(|login| &*login.user_agent).filter(|agent| !agent.is_empty()),
        },
        "service": {"name": login.and_then(|login| login.resource.as_deref())},
        "related": {"ip": [event.ip.to_string()], "user": [user]},
        "labels": {"risk_level": event.risk_level.as_str()},
        "skytrace": scores(event, login),
    });
    pruned(document)
}

/// OCSF `user.type_id`: 1 user, 3 system (a computer account), 99 other (workloads).
fn ocsf_user_type(kind: IdentityKind) -> (u8, &'static str) {
    match kind {
        IdentityKind::User => (1, "User"),
        IdentityKind::Machine => (3, "System"),
        IdentityKind::ServicePrincipal | IdentityKind::ManagedIdentity => (99, "Other"),
    }
}

/// One scored login as an OCSF Authentication event (class 3002, activity Logon) with its risk
/// (`risk_level_id`, `risk_score` 0–100, `risk_details`).
pub fn ocsf_event(event: &ScoredEvent, login: Option<&LoginEvent>) -> Value {
    let interrupted = login.is_some_and(|login| login.interrupted);
    let (status_id, status) = match event.success {
        Some(true) => (1, "Success"),
        Some(false) => (2, "Failure"),
        None if interrupted => (99, "Interrupted"),
        None => (0, "Unknown"),
    };
    let (risk_level_id, severity_id) = ocsf_levels(event.risk_level);
    let reasons = event.reasons();
    let user_type = login.map(|login| ocsf_user_type(login.identity_kind));
    let document = json!({
        "class_uid": 3002,
        "class_name": "Authentication",
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "activity_id": 1,
        "activity_name": "Logon",
        "type_uid": 300_201,
        "type_name": "Authentication: Logon",
        "time": event.timestamp_ms,
        "time_dt": format_utc(event.timestamp_ms),
        "severity_id": severity_id,
        "severity": event.risk_level.as_str(),
        "status_id": status_id,
        "status": status,
        "status_detail": login.and_then(|login| login.failure_reason.as_deref()),
        "user": {
            "name": &*event.user_id,
            "type_id": user_type.map(|(id, _)| id),
            "type": user_type.map(|(_, name)| name),
        },
        "src_endpoint": {
            "ip": event.ip.to_string(),
            "location": {
                "country": event.country.as_deref(),
                "city": event.city.as_deref(),
            },
            "autonomous_system": {"number": event.asn},
        },
        "http_request": {
            "user_agent": login.map(|login| &*login.user_agent).filter(|agent| !agent.is_empty()),
        },
        "is_mfa": login.and_then(|login| login.mfa),
        "service": {"name": login.and_then(|login| login.resource.as_deref())},
        "risk_level_id": risk_level_id,
        "risk_level": event.risk_level.as_str(),
        "risk_score": (event.risk_score * 100.0).round().clamp(0.0, 100.0) as u8,
        "risk_details": (!reasons.is_empty()).then_some(reasons),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": event.login_id(),
            "log_name": "scored logins",
            "product": {
                "name": PRODUCT,
                "vendor_name": PRODUCT,
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "unmapped": {"skytrace": scores(event, login)},
    });
    pruned(document)
}

fn ndjson(
    events: &[&ScoredEvent],
    logins: &[LoginEvent],
    document: fn(&ScoredEvent, Option<&LoginEvent>) -> Value,
    mut out: impl Write,
) -> Result<(), ReportError> {
    for event in events {
        serde_json::to_writer(&mut out, &document(event, login_of(event, logins)))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The scored logins as ECS alert documents, one per line; `logins` (in input order, may be
/// empty) add what the log said beyond the verdict.
pub fn ecs_ndjson(
    events: &[&ScoredEvent],
    logins: &[LoginEvent],
    out: impl Write,
) -> Result<(), ReportError> {
    ndjson(events, logins, ecs_document, out)
}

/// The scored logins as OCSF Authentication events, one per line.
pub fn ocsf_ndjson(
    events: &[&ScoredEvent],
    logins: &[LoginEvent],
    out: impl Write,
) -> Result<(), ReportError> {
    ndjson(events, logins, ocsf_event, out)
}

#[cfg(test)]
mod tests {
    use engine::{Finding, FindingKind};

    use super::*;

    fn scored(row: u64, success: Option<bool>) -> ScoredEvent {
        ScoredEvent {
            row,
            line: row + 1,
            timestamp_ms: 1_772_439_303_000,
            user_id: "alice@contoso.com".into(),
            ip: "185.220.101.4".parse().unwrap(),
            success,
            risk_score: 0.8234,
            risk_level: RiskLevel::High,
            isolation_forest: Some(0.61),
            dbscan: None,
            statistical: 0.4,
            rules: 0.8,
            findings: vec![
                Finding {
                    kind: FindingKind::AnonymisingNetwork,
                    floor: 0.8,
                    reason: "Tor exit node".to_owned(),
                    suppressed: None,
                },
                Finding {
                    kind: FindingKind::NewLocation,
                    floor: 0.0,
                    reason: "first sign-in from DE".to_owned(),
                    suppressed: Some("allow-list: travel".to_owned()),
                },
            ],
            country: Some("DE".into()),
            city: Some("Berlin".into()),
            asn: Some(60729),
            network: None,
            travel_km: Some(836.4),
            travel_kmh: None,
            device: "python-requests".into(),
            explanation: None,
        }
    }

    fn login(row: u64) -> LoginEvent {
        LoginEvent {
            row,
            timestamp_ms: 1_772_439_303_000,
            user_id: "alice@contoso.com".to_owned(),
            ip: "185.220.101.4".parse().unwrap(),
            user_agent: "python-requests/2.31.0".into(),
            interrupted: true,
            failure_reason: Some("50074: Strong Authentication is required.".into()),
            mfa: Some(true),
            identity_kind: IdentityKind::User,
            resource: Some("Office 365 Exchange Online".into()),
            ..LoginEvent::default()
        }
    }

    #[test]
    fn ecs_alert_carries_the_verdict() {
        let event = scored(3, Some(false));
        let document = ecs_document(&event, Some(&login(3)));
        assert_eq!(document["@timestamp"], "2026-03-02T08:15:03Z");
        assert_eq!(document["event"]["kind"], "alert");
        assert_eq!(document["event"]["category"], json!(["authentication"]));
        assert_eq!(document["event"]["outcome"], "failure");
        assert_eq!(document["event"]["risk_score"], 0.8234);
        assert_eq!(document["event"]["risk_score_norm"], 82.34);
        assert_eq!(document["event"]["severity"], 73);
        assert_eq!(
            document["event"]["reason"],
            "Tor exit node; first sign-in from DE (suppressed by allow-list: travel)"
        );
        assert_eq!(document["rule"]["name"], json!(["anonymising_network"]));
        assert_eq!(document["user"]["name"], "alice@contoso.com");
        assert_eq!(document["source"]["ip"], "185.220.101.4");
        assert_eq!(document["source"]["geo"]["country_iso_code"], "DE");
        assert_eq!(document["source"]["as"]["number"], 60729);
        assert_eq!(document["user_agent"]["original"], "python-requests/2.31.0");
        assert_eq!(document["service"]["name"], "Office 365 Exchange Online");
        assert_eq!(document["skytrace"]["interrupted"], true);
        assert_eq!(document["skytrace"]["isolation_forest"], 0.61);
        assert!(document["skytrace"].get("dbscan").is_none());
        assert!(
            document["message"].as_str().unwrap().starts_with(
                "High risk (0.82) sign-in by alice@contoso.com from 185.220.101.4: Tor"
            )
        );
    }

    #[test]
    fn ocsf_authentication_carries_the_risk() {
        let event = scored(3, None);
        let document = ocsf_event(&event, Some(&login(3)));
        assert_eq!(document["class_uid"], 3002);
        assert_eq!(document["activity_id"], 1);
        assert_eq!(document["type_uid"], 300_201);
        assert_eq!(document["time"], 1_772_439_303_000_i64);
        assert_eq!(
            (document["status_id"].clone(), document["status"].clone()),
            (json!(99), json!("Interrupted"))
        );
        assert_eq!(
            document["status_detail"],
            "50074: Strong Authentication is required."
        );
        assert_eq!(document["risk_level_id"], 3);
        assert_eq!(document["risk_level"], "High");
        assert_eq!(document["risk_score"], 82);
        assert_eq!(document["severity_id"], 4);
        assert!(
            document["risk_details"]
                .as_str()
                .unwrap()
                .starts_with("Tor exit node")
        );
        assert_eq!(document["user"]["type_id"], 1);
        assert_eq!(document["is_mfa"], true);
        assert_eq!(document["src_endpoint"]["location"]["city"], "Berlin");
        assert_eq!(
            document["http_request"]["user_agent"],
            "python-requests/2.31.0"
        );
        assert_eq!(document["metadata"]["product"]["name"], "Sky Trace");
        assert_eq!(document["unmapped"]["skytrace"]["rules"], 0.8);
    }

    #[test]
    fn without_the_login_the_verdict_alone_is_written() {
        let event = scored(1, Some(true));
        let ecs = ecs_document(&event, None);
        assert_eq!(ecs["event"]["outcome"], "success");
        assert!(ecs.get("user_agent").is_none());
        assert!(ecs.get("service").is_none());
        let ocsf = ocsf_event(&event, None);
        assert_eq!(ocsf["status_id"], 1);
        assert!(ocsf["user"].get("type_id").is_none());
        assert!(ocsf.get("is_mfa").is_none());
    }

    #[test]
    fn one_document_per_line_matched_to_its_login_by_row() {
        let events = [scored(1, Some(true)), scored(2, Some(false))];
        let selected: Vec<&ScoredEvent> = events.iter().collect();
        let mut machine = login(2);
        machine.identity_kind = IdentityKind::ServicePrincipal;
        machine.user_agent = "".into();
        let logins = [login(1), machine];
        type Writer = fn(&[&ScoredEvent], &[LoginEvent], &mut Vec<u8>) -> Result<(), ReportError>;
        let writers: [Writer; 2] = [
            |events, logins, out| ecs_ndjson(events, logins, out),
            |events, logins, out| ocsf_ndjson(events, logins, out),
        ];
        for write in writers {
            let mut out = Vec::new();
            write(&selected, &logins, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let documents: Vec<Value> = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            assert_eq!(documents.len(), 2);
            assert!(text.ends_with('\n'));
        }
        let mut out = Vec::new();
        ocsf_ndjson(&selected, &logins, &mut out).unwrap();
        let second: Value =
            serde_json::from_str(String::from_utf8(out).unwrap().lines().nth(1).unwrap()).unwrap();
        assert_eq!(second["user"]["type_id"], 99);
        assert!(second.get("http_request").is_none());
    }
}
