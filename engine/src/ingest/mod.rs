//! Raw CSV bytes → validated [`LoginEvent`]s, without side effects.
//!
//! A file that cannot be read at all (empty, not text, no data rows, required columns missing) is
//! an [`IngestError`]. Anything wrong with a single row is a [`Rejection`] carrying the row's line
//! number and reason; reading goes on, and `rows_read == events.len() + rejections.len()` always.

mod columns;

use std::collections::HashSet;
use std::net::IpAddr;

use jiff::tz::TimeZone;

use crate::LoginEvent;
use crate::time::{TimestampError, parse_timestamp};
pub use columns::{ColumnMap, RequiredColumn};

/// How many leading bytes are checked for NUL bytes to tell binary input from text.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Zone in which timestamps without an offset are read (UTC by default).
    pub timezone: TimeZone,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            timezone: TimeZone::UTC,
        }
    }
}

/// Why the input as a whole cannot be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    #[error("this is not a text CSV file (binary data at byte {offset})")]
    NotText { offset: usize },
    #[error("the header is not valid UTF-8 text")]
    HeaderNotUtf8,
    #[error("the file has a header but no data rows")]
    NoDataRows,
    #[error(
        "missing required column{plural}: {missing}; found: {found}; expected timestamp, user_id, ip_address, user_agent (and optionally success)",
        plural = if missing.len() > 1 { "s" } else { "" },
        missing = missing.join(", "),
        found = if found.is_empty() { "(none)".to_owned() } else { found.join(", ") },
    )]
    MissingColumns {
        missing: Vec<&'static str>,
        found: Vec<String>,
    },
    #[error("cannot read the CSV: {0}")]
    Csv(String),
}

/// A data row that was read but not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based data row (header excluded), as in [`LoginEvent::row`].
    pub row: u64,
    /// 1-based line of the input where the record starts.
    pub line: u64,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("the row is not valid UTF-8 text")]
    NotUtf8,
    #[error("empty user_id")]
    EmptyUser,
    #[error("bad timestamp: {0}")]
    Timestamp(#[from] TimestampError),
    #[error("bad ip_address {0:?}: not an IPv4 or IPv6 address")]
    IpAddress(String),
    #[error("bad success value {0:?} (expected true/false, 1/0, yes/no, success/failure)")]
    Success(String),
    #[error("unreadable record: {0}")]
    Malformed(String),
}

/// Everything read from one input.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    pub events: Vec<LoginEvent>,
    pub rejections: Vec<Rejection>,
    /// Data rows read (header excluded; blank lines are not rows).
    pub rows_read: u64,
    /// The header as written in the file.
    pub columns: Vec<String>,
    /// Header names of the columns passed through in [`LoginEvent::extra`].
    pub extra_columns: Vec<String>,
}

impl Ingested {
    pub fn distinct_users(&self) -> usize {
        self.events
            .iter()
            .map(|event| event.user_id.as_str())
            .collect::<HashSet<_>>()
            .len()
    }

    pub fn distinct_ips(&self) -> usize {
        self.events
            .iter()
            .map(|event| event.ip)
            .collect::<HashSet<_>>()
            .len()
    }
}

/// Reads a CSV in Sky Trace's format (`timestamp,user_id,ip_address,user_agent[,success]`, common
/// aliases accepted, extra columns kept).
pub fn read_csv(input: &[u8], options: &IngestOptions) -> Result<Ingested, IngestError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    let sniffed = &input[..input.len().min(BINARY_SNIFF_BYTES)];
    if let Some(offset) = sniffed.iter().position(|&byte| byte == 0) {
        return Err(IngestError::NotText { offset });
    }

    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let header = reader
        .byte_headers()
        .map_err(|error| IngestError::Csv(error.to_string()))?
        .clone();
    let columns = header
        .iter()
        .map(|name| std::str::from_utf8(name).map(|name| name.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| IngestError::HeaderNotUtf8)?;
    let map = ColumnMap::from_header(&columns)?;

    let mut ingested = Ingested {
        extra_columns: map.extra.iter().map(|&i| columns[i].clone()).collect(),
        columns,
        ..Ingested::default()
    };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                ingested.rows_read += 1;
                let row = ingested.rows_read;
                let line = record.position().map_or(0, |position| position.line());
                match parse_row(&record, &map, options) {
                    Ok(mut event) => {
                        event.row = row;
                        event.line = line;
                        ingested.events.push(event);
                    }
                    Err(reason) => ingested.rejections.push(Rejection { row, line, reason }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, |position| position.line());
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    return Err(IngestError::Csv(error.to_string()));
                }
                ingested.rows_read += 1;
                ingested.rejections.push(Rejection {
                    row: ingested.rows_read,
                    line,
                    reason: RejectReason::Malformed(error.to_string()),
                });
            }
        }
    }
    if ingested.rows_read == 0 {
        return Err(IngestError::NoDataRows);
    }
    Ok(ingested)
}

fn parse_row(
    record: &csv::ByteRecord,
    map: &ColumnMap,
    options: &IngestOptions,
) -> Result<LoginEvent, RejectReason> {
    if record.len() != map.width {
        return Err(RejectReason::FieldCount {
            expected: map.width,
            found: record.len(),
        });
    }
    let field =
        |index: usize| std::str::from_utf8(&record[index]).map_err(|_| RejectReason::NotUtf8);

    let user_id = field(map.user_id)?.trim();
    if user_id.is_empty() {
        return Err(RejectReason::EmptyUser);
    }
    let timestamp_ms = parse_timestamp(field(map.timestamp)?, &options.timezone)?;
    let ip_text = field(map.ip_address)?.trim();
    let ip = parse_ip(ip_text).ok_or_else(|| RejectReason::IpAddress(ip_text.to_owned()))?;
    let success = match map.success {
        Some(index) => parse_success(field(index)?)?,
        None => None,
    };
    let extra = map
        .extra
        .iter()
        .map(|&index| field(index).map(str::to_owned))
        .collect::<Result<_, _>>()?;
    Ok(LoginEvent {
        row: 0,
        line: 0,
        timestamp_ms,
        user_id: user_id.to_owned(),
        ip,
        user_agent: field(map.user_agent)?.trim().to_owned(),
        success,
        extra,
    })
}

/// IPv4, IPv6, and the bracketed or zone-suffixed forms some exporters write (`[2001:db8::1]`,
/// `fe80::1%eth0`).
fn parse_ip(text: &str) -> Option<IpAddr> {
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    let without_zone = unbracketed.split('%').next().unwrap_or(unbracketed);
    without_zone.parse().ok()
}

fn parse_success(text: &str) -> Result<Option<bool>, RejectReason> {
    let value = text.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" | "success" | "succeeded" | "successful" | "ok"
        | "pass" | "passed" | "allowed" => Ok(Some(true)),
        "false" | "f" | "0" | "no" | "n" | "failure" | "failed" | "fail" | "error" | "denied"
        | "blocked" => Ok(Some(false)),
        _ => Err(RejectReason::Success(value.to_owned())),
    }
}

#[cfg(test)]
mod tests;
