//! What a notification says: email subject, text and HTML parts, and webhook payloads, for one
//! alert, a digest of alerts over the rate limit, or a test notification.

use std::fmt::Write as _;

use engine::time::format_utc;
use serde_json::{Value, json};

use crate::alert::Alert;
use crate::config::WebhookStyle;

/// Alerts listed in a digest's text; generic webhooks get all of them as JSON.
const DIGEST_LINES: usize = 50;

/// One message to deliver.
#[derive(Clone, Copy, Debug)]
pub enum Notice<'a> {
    Alert(&'a Alert),
    /// Alerts over a channel's hourly limit, summarised in one message.
    Digest(&'a [Alert]),
    /// Sent by `skytrace notify-test`; says so everywhere.
    Test {
        sent_at_ms: i64,
    },
}

/// A rendered email.
#[derive(Clone, Debug, PartialEq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Notice<'_> {
    pub fn subject(&self) -> String {
        match self {
            Notice::Alert(alert) => format!("[Sky Trace] {} — {}", alert.severity, alert.title),
            Notice::Digest(alerts) => format!(
                "[Sky Trace] {} more alerts over the hourly limit",
                alerts.len()
            ),
            Notice::Test { .. } => "[Sky Trace] Test notification".to_owned(),
        }
    }

    pub fn email(&self) -> Email {
        Email {
            subject: self.subject(),
            text: self.text(),
            html: self.html(),
        }
    }

    /// The plain-text body (also the `text` of Slack and Teams payloads).
    pub fn text(&self) -> String {
        let mut out = String::new();
        match self {
            Notice::Alert(alert) => alert_text(&mut out, alert),
            Notice::Digest(alerts) => {
                let _ = writeln!(
                    out,
                    "{} alerts arrived after this channel's hourly limit was reached:\n",
                    alerts.len()
                );
                for alert in alerts.iter().take(DIGEST_LINES) {
                    let _ = writeln!(out, "- {}", one_line(alert));
                }
                if alerts.len() > DIGEST_LINES {
                    let _ = writeln!(out, "- … and {} more", alerts.len() - DIGEST_LINES);
                }
            }
            Notice::Test { sent_at_ms } => {
                let _ = writeln!(
                    out,
                    "This is a test notification from Sky Trace, sent at {}.\n\
                     No action is needed: it only checks that this channel works.",
                    format_utc(*sent_at_ms)
                );
            }
        }
        out
    }

    pub fn html(&self) -> String {
        let mut body = String::new();
        match self {
            Notice::Alert(alert) => alert_html(&mut body, alert),
            Notice::Digest(alerts) => {
                let _ = write!(
                    body,
                    "<p style=\"margin:0 0 12px\">{} alerts arrived after this channel's hourly \
                     limit was reached:</p><ul style=\"margin:0;padding-left:20px\">",
                    alerts.len()
                );
                for alert in alerts.iter().take(DIGEST_LINES) {
                    let _ = write!(body, "<li>{}</li>", escape(&one_line(alert)));
                }
                if alerts.len() > DIGEST_LINES {
                    let _ = write!(body, "<li>… and {} more</li>", alerts.len() - DIGEST_LINES);
                }
                body.push_str("</ul>");
            }
            Notice::Test { sent_at_ms } => {
                let _ = write!(
                    body,
                    "<p style=\"margin:0\">This is a <strong>test notification</strong> from Sky \
                     Trace, sent at {}. No action is needed: it only checks that this channel \
                     works.</p>",
                    escape(&format_utc(*sent_at_ms))
                );
            }
        }
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,\
             Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328\">\
             <div style=\"max-width:640px;margin:0 auto;background:#ffffff;border:1px solid \
             #d0d7de;border-radius:8px;padding:24px\">\
             <h1 style=\"font-size:18px;margin:0 0 16px\">{title}</h1>{body}\
             <p style=\"margin:24px 0 0;font-size:12px;color:#59636e\">Sent by Sky Trace.</p>\
             </div></body></html>",
            title = escape(&self.subject()),
        )
    }

    /// The JSON body for a webhook of the given style.
    pub fn webhook_payload(&self, style: WebhookStyle) -> Value {
        match style {
            WebhookStyle::Slack | WebhookStyle::Teams => {
                json!({ "text": format!("*{}*\n{}", self.subject(), self.text()) })
            }
            WebhookStyle::Generic => match self {
                Notice::Alert(alert) => json!({ "type": "alert", "alert": alert }),
                Notice::Digest(alerts) => json!({ "type": "digest", "alerts": alerts }),
                Notice::Test { sent_at_ms } => {
                    json!({ "type": "test", "sent_at_ms": sent_at_ms, "text": self.text() })
                }
            },
        }
    }
}

fn one_line(alert: &Alert) -> String {
    format!(
        "{}: {} for {} ({})",
        alert.severity,
        alert.title,
        alert.users.join(", "),
        time_range(alert)
    )
}

fn time_range(alert: &Alert) -> String {
    if alert.first_ms == alert.last_ms {
        format_utc(alert.first_ms)
    } else {
        format!(
            "{} – {}",
            format_utc(alert.first_ms),
            format_utc(alert.last_ms)
        )
    }
}

fn fields(alert: &Alert) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Severity", alert.severity.to_string()),
        ("Who", alert.users.join(", ")),
        ("Source IPs", alert.source_ips.join(", ")),
        ("Where", alert.locations.join("; ")),
        (
            "Previous login",
            alert
                .previous_login
                .clone()
                .unwrap_or_else(|| "none on record".to_owned()),
        ),
    ];
    let when = if alert.first_ms == alert.last_ms {
        format_utc(alert.first_ms)
    } else {
        format!(
            "{} – {}",
            format_utc(alert.first_ms),
            format_utc(alert.last_ms)
        )
    };
    rows.push(("When", when));
    rows
}

fn alert_text(out: &mut String, alert: &Alert) {
    for (name, value) in fields(alert) {
        let _ = writeln!(out, "{name}: {value}");
    }
    let _ = writeln!(out, "\nReasons:");
    for reason in &alert.reasons {
        let _ = writeln!(out, "- {reason}");
    }
    if let Some(link) = &alert.link {
        let _ = writeln!(out, "\nIncident: {link}");
    }
    let _ = writeln!(out, "\nAlert key: {}", alert.key);
}

/// Text colour for a severity, readable on white.
fn severity_colour(level: engine::RiskLevel) -> &'static str {
    match level {
        engine::RiskLevel::Critical => "#cf222e",
        engine::RiskLevel::High => "#bc4c00",
        engine::RiskLevel::Medium => "#9a6700",
        engine::RiskLevel::Low => "#59636e",
    }
}

fn alert_html(out: &mut String, alert: &Alert) {
    let _ = write!(
        out,
        "<p style=\"margin:0 0 16px\"><span style=\"display:inline-block;padding:2px 10px;\
         border-radius:12px;border:1px solid {0};color:{0};font-weight:600;font-size:13px\">{1}\
         </span></p>",
        severity_colour(alert.severity),
        alert.severity
    );
    out.push_str("<table style=\"border-collapse:collapse;width:100%;font-size:14px\">");
    for (name, value) in fields(alert) {
        let _ = write!(
            out,
            "<tr><th style=\"text-align:left;vertical-align:top;padding:4px 12px 4px 0;\
             color:#59636e;white-space:nowrap\">{}</th><td style=\"padding:4px 0\">{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</table><h2 style=\"font-size:15px;margin:20px 0 8px\">Reasons</h2><ul style=\"margin:0;padding-left:20px\">");
    for reason in &alert.reasons {
        let _ = write!(out, "<li style=\"margin:0 0 4px\">{}</li>", escape(reason));
    }
    out.push_str("</ul>");
    if let Some(link) = &alert.link {
        let _ = write!(
            out,
            "<p style=\"margin:20px 0 0\"><a href=\"{0}\" style=\"display:inline-block;\
             background:#0969da;color:#ffffff;padding:8px 14px;border-radius:6px;\
             text-decoration:none\">Open the incident</a></p>",
            escape(link)
        );
    }
    let _ = write!(
        out,
        "<p style=\"margin:16px 0 0;font-size:12px;color:#59636e\">Alert key: {}</p>",
        escape(&alert.key)
    );
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use engine::RiskLevel;

    use super::*;

    fn alert() -> Alert {
        Alert {
            key: "INC-000000000001".to_owned(),
            kind: crate::AlertKind::Incident,
            severity: RiskLevel::High,
            title: "Impossible travel: <script>alert(1)</script>@example.com signed in".to_owned(),
            users: vec!["<script>alert(1)</script>@example.com".to_owned()],
            source_ips: vec!["203.0.113.9".to_owned()],
            locations: vec!["Lagos, NG · hosting".to_owned()],
            previous_login: Some("2026-03-01T08:00:00Z from 198.51.100.7 (Oslo, NO)".to_owned()),
            reasons: vec!["9,000 km from \"Oslo\" in 1 h & <fast>".to_owned()],
            first_ms: 1_772_439_303_000,
            last_ms: 1_772_439_303_000,
            link: Some("https://sky.example/incidents/1?a=1&b=\"2\"".to_owned()),
        }
    }

    #[test]
    fn html_escapes_user_data() {
        let html = Notice::Alert(&alert()).html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;@example.com"));
        assert!(html.contains("9,000 km from &quot;Oslo&quot; in 1 h &amp; &lt;fast&gt;"));
        assert!(html.contains("href=\"https://sky.example/incidents/1?a=1&amp;b=&quot;2&quot;\""));
    }

    #[test]
    fn text_carries_the_enrichment() {
        let text = Notice::Alert(&alert()).text();
        for needle in [
            "Severity: High",
            "Where: Lagos, NG · hosting",
            "Previous login: 2026-03-01T08:00:00Z from 198.51.100.7 (Oslo, NO)",
            "When: 2026-03-02T08:15:03Z",
            "Incident: https://sky.example/incidents/1",
            "- 9,000 km from \"Oslo\"",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in {text}");
        }
        assert_eq!(
            Notice::Alert(&alert()).subject(),
            "[Sky Trace] High — Impossible travel: <script>alert(1)</script>@example.com signed in"
        );
    }

    #[test]
    fn slack_payload_is_text_only() {
        let payload = Notice::Alert(&alert()).webhook_payload(WebhookStyle::Slack);
        let object = payload.as_object().expect("object");
        assert_eq!(object.len(), 1);
        assert!(
            object["text"]
                .as_str()
                .expect("text")
                .contains("Impossible travel")
        );
    }
}
