//! One record at a time, as log shippers send them: a JSON object in any format [`read`](super::read)
//! knows (Entra, Okta, CloudTrail, Auth0, ECS, OCSF, …), or an object with the CSV field names
//! (`timestamp`, `user_id`, `ip_address`, `user_agent`, `success`, … and their aliases), read by
//! the CSV reader so both shapes accept the same fields and values.

use super::{Format, IngestError, IngestOptions, read_slice};
use crate::LoginEvent;

/// What one record is.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordOutcome {
    /// A valid sign-in.
    Event(Box<LoginEvent>),
    /// A record of a known format that is not a sign-in (another event type), by its type.
    Skipped(String),
    /// Why the record cannot be read as a sign-in.
    Rejected(String),
}

/// Reads one JSON record (the bytes of one object).
pub fn read_record(record: &[u8], options: &IngestOptions) -> RecordOutcome {
    if record.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return RecordOutcome::Rejected(format!(
            "a record must be a JSON object, not {}",
            json_kind(record)
        ));
    }
    let vendor = IngestOptions {
        format: None,
        ..options.clone()
    };
    match read_slice(record, &vendor) {
        Ok(ingested) if ingested.format.is_json() => return one(ingested),
        Ok(_) | Err(IngestError::UnknownJson) => {}
        Err(IngestError::NotSignIns { looks_like }) => {
            return RecordOutcome::Skipped(looks_like);
        }
        Err(error) => return RecordOutcome::Rejected(error.to_string()),
    }
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(record) else {
        return RecordOutcome::Rejected("not a JSON object".to_owned());
    };
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header = fields.keys().map(String::as_str);
    let values = fields.values().map(|value| match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    let written = csv
        .write_record(header)
        .and_then(|()| csv.write_record(values))
        .map_err(|error| error.to_string())
        .and_then(|()| csv.into_inner().map_err(|error| error.to_string()));
    let table = match written {
        Ok(table) => table,
        Err(error) => return RecordOutcome::Rejected(error),
    };
    let as_csv = IngestOptions {
        format: Some(Format::Csv),
        ..options.clone()
    };
    match read_slice(&table, &as_csv) {
        Ok(ingested) => one(ingested),
        Err(
            IngestError::MissingColumns { missing, .. } | IngestError::OneColumn { missing, .. },
        ) => RecordOutcome::Rejected(format!(
            "not a sign-in record Sky Trace knows ({}), nor an object with the fields \
                 timestamp, user_id and ip_address: missing {}",
            Format::json_labels(),
            missing.join(", ")
        )),
        Err(error) => RecordOutcome::Rejected(error.to_string()),
    }
}

/// The single record of a one-record read.
fn one(mut ingested: super::Ingested) -> RecordOutcome {
    if let Some(rejection) = ingested.rejections.first() {
        return RecordOutcome::Rejected(rejection.reason.to_string());
    }
    if let Some(kind) = ingested.skipped.keys().next() {
        return RecordOutcome::Skipped(kind.clone());
    }
    match ingested.events.len() {
        1 => RecordOutcome::Event(Box::new(ingested.events.remove(0))),
        0 => RecordOutcome::Rejected("the record holds no sign-in".to_owned()),
        count => RecordOutcome::Rejected(format!(
            "the record holds {count} sign-ins; send each as a record of its own"
        )),
    }
}

/// What a JSON value that is not an object is, for a rejection.
fn json_kind(record: &[u8]) -> &'static str {
    match serde_json::from_slice::<serde_json::Value>(record) {
        Ok(serde_json::Value::Null) => "null",
        Ok(serde_json::Value::Bool(_)) => "a boolean",
        Ok(serde_json::Value::Number(_)) => "a number",
        Ok(serde_json::Value::String(_)) => "a string",
        Ok(serde_json::Value::Array(_)) => "an array",
        Ok(serde_json::Value::Object(_)) => "an object",
        Err(_) => "text that does not parse as JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> RecordOutcome {
        read_record(text.as_bytes(), &IngestOptions::default())
    }

    fn event(text: &str) -> LoginEvent {
        match read(text) {
            RecordOutcome::Event(event) => *event,
            other => panic!("expected a sign-in from {text}, got {other:?}"),
        }
    }

    #[test]
    fn csv_field_names_make_a_sign_in() {
        let login = event(
            r#"{"timestamp":"2026-03-01T10:00:00Z","user_id":"ana","ip_address":"198.51.100.7","user_agent":"curl/8","success":false}"#,
        );
        assert_eq!(login.user_id, "ana");
        assert_eq!(login.ip.to_string(), "198.51.100.7");
        assert_eq!(login.timestamp_ms, 1_772_359_200_000);
        assert_eq!(login.success, Some(false));
    }

    #[test]
    fn csv_field_names_keep_the_csv_reader_checks() {
        let bad_ip =
            read(r#"{"timestamp":"2026-03-01T10:00:00Z","user_id":"ana","ip_address":"nowhere"}"#);
        assert!(
            matches!(&bad_ip, RecordOutcome::Rejected(reason) if reason.contains("nowhere")),
            "{bad_ip:?}"
        );
        let missing = read(r#"{"timestamp":"2026-03-01T10:00:00Z","user":"ana","x":1}"#);
        assert!(
            matches!(&missing, RecordOutcome::Rejected(reason) if reason.contains("ip_address")),
            "{missing:?}"
        );
    }

    #[test]
    fn a_record_that_is_not_an_object_says_what_it_is() {
        for (text, kind) in [
            ("null", "null"),
            (" 42", "a number"),
            ("[1]", "an array"),
            ("\"ana\"", "a string"),
            ("hello", "text that does not parse as JSON"),
        ] {
            let outcome = read(text);
            assert!(
                matches!(&outcome, RecordOutcome::Rejected(reason)
                    if *reason == format!("a record must be a JSON object, not {kind}")),
                "{text}: {outcome:?}"
            );
        }
    }

    #[test]
    fn vendor_records_are_read_by_their_format() {
        let okta = event(
            r#"{"uuid":"u1","published":"2026-03-01T10:00:00.000Z","eventType":"user.session.start","actor":{"alternateId":"ana@example.com","type":"User"},"client":{"ipAddress":"198.51.100.7","userAgent":{"rawUserAgent":"Mozilla/5.0"}},"outcome":{"result":"SUCCESS"}}"#,
        );
        assert_eq!(okta.user_id, "ana@example.com");
        assert_eq!(okta.success, Some(true));
    }

    #[test]
    fn not_json_objects_are_rejected_with_a_reason() {
        for text in ["[1, 2]", "\"text\"", "{\"broken\": "] {
            assert!(
                matches!(read(text), RecordOutcome::Rejected(_)),
                "{text} should be rejected"
            );
        }
    }
}
