//! CSV and JSON exports. Every CSV cell a spreadsheet could run as a formula is neutralised.

use std::io::Write;

use engine::ScoredEvent;
use engine::time::format_utc;
use serde::Serialize;

use crate::csv_safety::neutralise;
use crate::model::{ExecutiveReport, IncidentReport, TechnicalReport};
use crate::{Filter, ReportError};

/// Columns of a scored-login row, as [`event_record`] fills them.
pub const EVENT_COLUMNS: [&str; 19] = [
    "row",
    "timestamp",
    "user_id",
    "ip_address",
    "success",
    "risk_score",
    "risk_level",
    "isolation_forest",
    "dbscan",
    "statistical",
    "rules",
    "country",
    "city",
    "asn",
    "network_type",
    "travel_km",
    "travel_kmh",
    "device",
    "reasons",
];

/// One scored login as CSV cells (neutralised).
pub fn event_record(event: &ScoredEvent) -> Vec<String> {
    let optional = |score: Option<f64>| score.map(|s| format!("{s:.4}")).unwrap_or_default();
    vec![
        event.row.to_string(),
        format_utc(event.timestamp_ms),
        neutralise(&event.user_id),
        event.ip.to_string(),
        event.success.map(|s| s.to_string()).unwrap_or_default(),
        format!("{:.4}", event.risk_score),
        event.risk_level.to_string(),
        optional(event.isolation_forest),
        optional(event.dbscan),
        format!("{:.4}", event.statistical),
        format!("{:.4}", event.rules),
        neutralise(event.country.as_deref().unwrap_or_default()),
        neutralise(event.city.as_deref().unwrap_or_default()),
        event.asn.map(|asn| asn.to_string()).unwrap_or_default(),
        event
            .network
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        event
            .travel_km
            .map(|km| format!("{km:.0}"))
            .unwrap_or_default(),
        event
            .travel_kmh
            .map(|kmh| format!("{kmh:.0}"))
            .unwrap_or_default(),
        neutralise(&event.device),
        neutralise(&event.reasons()),
    ]
}

/// The logins matching `filter` (level and dates), in input order.
pub fn selected_events<'a>(events: &'a [ScoredEvent], filter: &Filter) -> Vec<&'a ScoredEvent> {
    let mut selected: Vec<&ScoredEvent> = events
        .iter()
        .filter(|e| filter.in_range(e.timestamp_ms) && filter.at_level(e.risk_level))
        .collect();
    selected.sort_by_key(|event| event.row);
    selected
}

pub fn events_csv(events: &[&ScoredEvent], out: impl Write) -> Result<(), ReportError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(EVENT_COLUMNS)?;
    for event in events {
        writer.write_record(event_record(event))?;
    }
    writer.flush()?;
    Ok(())
}

pub fn json(value: &impl Serialize, mut out: impl Write) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// The executive summary's figures as `section,item,value` rows.
pub fn executive_csv(report: &ExecutiveReport, out: impl Write) -> Result<(), ReportError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["section", "item", "value"])?;
    let mut row = |section: &str, item: &str, value: String| {
        writer.write_record([section, &neutralise(item), &neutralise(&value)])
    };
    row("source", "file", report.meta.source_name.clone())?;
    row(
        "source",
        "period",
        period(report.meta.first_ms, report.meta.last_ms),
    )?;
    row("posture", "level", report.posture.level.as_str().to_owned())?;
    row("posture", "rule", report.posture.rule.clone())?;
    row("totals", "logins", report.logins.to_string())?;
    row("totals", "users", report.users.to_string())?;
    row("totals", "countries", report.countries.to_string())?;
    row("totals", "incidents", report.incident_count.to_string())?;
    for (level, count) in &report.levels {
        row("logins by level", level.as_str(), count.to_string())?;
    }
    for incident in &report.top_incidents {
        row(
            "top incidents",
            &incident.id,
            format!("{} — {}", incident.severity, incident.title),
        )?;
    }
    for user in &report.top_users {
        row(
            "top users",
            &user.user_id,
            format!("{:.2} {}", user.risk_score, user.risk_level),
        )?;
    }
    for country in &report.top_countries {
        row(
            "top countries",
            &country.country,
            format!(
                "{} logins, {} High or above",
                country.logins, country.high_or_above
            ),
        )?;
    }
    for (index, advice) in report.recommendations.iter().enumerate() {
        row("recommendations", &(index + 1).to_string(), advice.clone())?;
    }
    writer.flush()?;
    Ok(())
}

/// The technical report's per-user risk table.
pub fn technical_csv(report: &TechnicalReport, out: impl Write) -> Result<(), ReportError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "user_id",
        "risk_score",
        "risk_level",
        "logins",
        "high_or_above",
        "last_login",
    ])?;
    for user in &report.users {
        writer.write_record([
            neutralise(&user.user_id),
            format!("{:.4}", user.risk_score),
            user.risk_level.to_string(),
            user.logins.to_string(),
            user.high_or_above.to_string(),
            format_utc(user.last_timestamp_ms),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// One row per incident with its evidence and response.
pub fn incidents_csv(report: &IncidentReport, out: impl Write) -> Result<(), ReportError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "incident_id",
        "kind",
        "severity",
        "peak_score",
        "title",
        "first_seen",
        "last_seen",
        "logins",
        "successes",
        "failures",
        "users",
        "source_ips",
        "places",
        "devices",
        "findings",
        "previous_login",
        "response",
    ])?;
    let joined = |items: Vec<String>| neutralise(&items.join("; "));
    for incident in &report.incidents {
        writer.write_record([
            incident.id.clone(),
            incident.kind.as_str().to_owned(),
            incident.severity.to_string(),
            format!("{:.4}", incident.peak_score),
            neutralise(&incident.title),
            format_utc(incident.first_ms),
            format_utc(incident.last_ms),
            incident.event_count.to_string(),
            incident.successes.to_string(),
            incident.failures.to_string(),
            joined(incident.users.clone()),
            joined(incident.ips.iter().map(ToString::to_string).collect()),
            joined(incident.places.clone()),
            joined(incident.devices.clone()),
            joined(incident.findings.iter().map(|f| f.reason.clone()).collect()),
            neutralise(
                &incident
                    .previous_login
                    .as_ref()
                    .map_or_else(String::new, |login| {
                        format!(
                            "{} from {} ({})",
                            format_utc(login.timestamp_ms),
                            login.ip,
                            login.place
                        )
                    }),
            ),
            joined(incident.response.clone()),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// "2026-03-01T08:00:00Z to 2026-03-08T17:12:00Z", or "no logins".
pub fn period(first_ms: Option<i64>, last_ms: Option<i64>) -> String {
    match (first_ms, last_ms) {
        (Some(first), Some(last)) => format!("{} to {}", format_utc(first), format_utc(last)),
        _ => "no logins".to_owned(),
    }
}
