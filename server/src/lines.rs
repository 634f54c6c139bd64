//! Sign-in records from lines of text, as files and shippers carry them (`skytrace watch`, the
//! syslog listener, the HEC collector's raw endpoint): a line starting with `{` is one JSON
//! record, in any format the file reader knows; the other lines of one look are read together
//! as a piece of `auth.log`.

use engine::ingest::{Format, IngestOptions, RecordOutcome, read_record};

/// A line's record: a JSON record as written (the reader judges it), or what was read from
/// `auth.log` lines.
#[derive(Clone)]
pub enum LineRecord {
    Json(String),
    Read(RecordOutcome),
}

impl LineRecord {
    /// The record as the monitor takes it.
    pub fn read(&self) -> RecordOutcome {
        match self {
            Self::Json(text) => read_record(text.as_bytes(), &IngestOptions::default()),
            Self::Read(outcome) => outcome.clone(),
        }
    }
}

/// The records of `lines`, each with its line number, in line order: a JSON line is one record;
/// the other lines are read together as a piece of `auth.log`, so sshd's `Invalid user` notice
/// and the guess after it count once and `message repeated N times` gives N sign-ins.
pub fn records_of_lines(lines: &[(u64, String)]) -> Vec<(u64, LineRecord)> {
    let mut records: Vec<(u64, LineRecord)> = Vec::new();
    let mut auth_log = String::new();
    let mut auth_log_lines = Vec::new();
    for (number, line) in lines {
        if line.starts_with('{') {
            records.push((*number, LineRecord::Json(line.clone())));
        } else {
            auth_log.push_str(line);
            auth_log.push('\n');
            auth_log_lines.push(*number);
        }
    }
    if auth_log_lines.is_empty() {
        return records;
    }
    let options = IngestOptions {
        format: Some(Format::AuthLog),
        reference_ms: Some(jiff::Timestamp::now().as_millisecond()),
        ..IngestOptions::default()
    };
    let number_of = |line: u64| {
        auth_log_lines
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or_default()
    };
    let mut answered = std::collections::BTreeSet::new();
    match engine::read_slice(auth_log.as_bytes(), &options) {
        Ok(ingested) => {
            for login in ingested.events {
                answered.insert(login.line);
                records.push((
                    number_of(login.line),
                    LineRecord::Read(RecordOutcome::Event(Box::new(login))),
                ));
            }
            for rejection in ingested.rejections {
                let line = rejection.line.unwrap_or(rejection.row);
                answered.insert(line);
                records.push((
                    number_of(line),
                    LineRecord::Read(RecordOutcome::Rejected(rejection.reason.to_string())),
                ));
            }
        }
        Err(error) => {
            let reason = error.to_string();
            for number in &auth_log_lines {
                records.push((
                    *number,
                    LineRecord::Read(RecordOutcome::Rejected(reason.clone())),
                ));
            }
            records.sort_by_key(|(number, _)| *number);
            return records;
        }
    }
    for (at, number) in auth_log_lines.iter().enumerate() {
        if !answered.contains(&(at as u64 + 1)) {
            records.push((
                *number,
                LineRecord::Read(RecordOutcome::Skipped("not a sign-in".to_owned())),
            ));
        }
    }
    // In line order; the sign-ins of one line in the order they were read.
    records.sort_by_key(|(number, _)| *number);
    records
}
