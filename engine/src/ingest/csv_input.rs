//! CSV and TSV: Sky Trace's own columns, any CSV with a column mapping, Entra's portal download
//! and the RBA dataset. Read record by record with reused buffers.
//!
//! Fields follow RFC 4180 as spreadsheets write it: a field that starts with `"` is quoted, `""`
//! inside it is a quote, and it may hold the delimiter and line breaks; a quote elsewhere is an
//! ordinary character. Empty lines are not records.
//!
//! Every physical line is accounted for. A quoted field may span at most [`MAX_RECORD_LINES`]
//! lines and [`MAX_RECORD_BYTES`] bytes: a quote that stays open longer, or to the end of the
//! input, rejects the line it opened on ([`QuoteProblem`]) and reading resumes on the next line,
//! so one stray quote cannot swallow the rest of the file. Lines joined by a quote that closes
//! within the limit must make one record: when they have the wrong number of fields, or one of
//! the lines after the first is a whole record by itself, the quote was a stray one (a second
//! stray quote closed it); the first line is rejected and the others are read again one by one.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::columns::{ColumnMap, Field};
use super::source::{MAX_LINE_BYTES, read_line};
use super::values::{
    Outcome, entra_outcome, parse_asn, parse_coordinate, parse_country, parse_ip, parse_mfa,
    parse_success, present,
};
use super::{Collector, Format, IngestError, IngestOptions, QuoteProblem, RejectReason};
use crate::LoginEvent;
use crate::event::ReportedLocation;
use crate::time::parse_timestamp;

/// Most physical lines one record (a quoted field with line breaks) may span.
pub const MAX_RECORD_LINES: u64 = 8;
/// Most bytes a record spanning several lines may have.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

const QUOTE: u8 = b'"';

/// One record's fields, unquoted, in one buffer.
#[derive(Clone, Debug, Default)]
pub struct CsvRecord {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Line of the input on which the record starts (1-based), and the last line it spans.
    pub first_line: u64,
    pub last_line: u64,
    /// Byte offset of the record's first line in the text.
    pub offset: u64,
    /// Why the lines from `first_line` to `last_line` were not read as one record: the fields
    /// are then those of the first line alone.
    pub problem: Option<QuoteProblem>,
    /// The line is longer than [`MAX_LINE_BYTES`]; the fields are those of its start.
    pub cut: bool,
}

impl CsvRecord {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let end = *self.ends.get(index)?;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.bytes.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// Splits `text` (one record, line breaks inside quotes included, its own line end not) into
    /// fields; `true` when it ends inside a quoted field.
    fn split(&mut self, text: &[u8], delimiter: u8) -> bool {
        self.bytes.clear();
        self.ends.clear();
        let mut rest = text;
        loop {
            if let Some(mut quoted) = rest.strip_prefix(&[QUOTE]) {
                loop {
                    let Some(at) = quoted.iter().position(|&byte| byte == QUOTE) else {
                        self.bytes.extend_from_slice(quoted);
                        self.ends.push(self.bytes.len());
                        return true;
                    };
                    self.bytes.extend_from_slice(&quoted[..at]);
                    quoted = &quoted[at + 1..];
                    match quoted.strip_prefix(&[QUOTE]) {
                        Some(after) => {
                            self.bytes.push(QUOTE);
                            quoted = after;
                        }
                        None => break,
                    }
                }
                // After the closing quote, anything up to the delimiter is taken as written.
                rest = quoted;
            }
            match rest.iter().position(|&byte| byte == delimiter) {
                Some(at) => {
                    self.bytes.extend_from_slice(&rest[..at]);
                    self.ends.push(self.bytes.len());
                    rest = &rest[at + 1..];
                }
                None => {
                    self.bytes.extend_from_slice(rest);
                    self.ends.push(self.bytes.len());
                    return false;
                }
            }
        }
    }
}

/// A physical line read ahead, to be read again as a record of its own.
struct Line {
    text: Vec<u8>,
    number: u64,
    offset: u64,
    /// Longer than [`MAX_LINE_BYTES`]: `text` is its start.
    cut: bool,
}

/// Records of a CSV text, every physical line accounted for (see the module's documentation).
pub struct RecordReader<'r> {
    reader: &'r mut dyn BufRead,
    delimiter: u8,
    pending: VecDeque<Line>,
    lines_read: u64,
    bytes_read: u64,
    text: Vec<u8>,
    scratch: CsvRecord,
}

/// The line without its line break (`\n` or `\r\n`).
fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<'r> RecordReader<'r> {
    pub fn new(reader: &'r mut dyn BufRead, delimiter: u8) -> Self {
        Self {
            reader,
            delimiter,
            pending: VecDeque::new(),
            lines_read: 0,
            bytes_read: 0,
            text: Vec::new(),
            scratch: CsvRecord::default(),
        }
    }

    /// The line after the last one handed out (0 before the first).
    pub fn line(&self) -> u64 {
        self.pending
            .front()
            .map_or(self.lines_read, |line| line.number - 1)
    }

    /// The next physical line into `buffer` (its line break kept, at most [`MAX_LINE_BYTES`]),
    /// with its number, offset and whether it was cut.
    fn next_line(&mut self, buffer: &mut Vec<u8>) -> io::Result<Option<(u64, u64, bool)>> {
        buffer.clear();
        if let Some(line) = self.pending.pop_front() {
            buffer.extend_from_slice(&line.text);
            return Ok(Some((line.number, line.offset, line.cut)));
        }
        let (length, cut) = read_line(self.reader, buffer)?;
        if length == 0 {
            return Ok(None);
        }
        self.lines_read += 1;
        let offset = self.bytes_read;
        self.bytes_read += length;
        Ok(Some((self.lines_read, offset, cut)))
    }

    /// Reads the next record into `record`; `false` at the end of the input. `width` is the
    /// number of fields a record must have (`None` for the header).
    pub fn read(&mut self, record: &mut CsvRecord, width: Option<usize>) -> io::Result<bool> {
        let mut text = std::mem::take(&mut self.text);
        let result = self.read_into(record, width, &mut text);
        self.text = text;
        result
    }

    fn read_into(
        &mut self,
        record: &mut CsvRecord,
        width: Option<usize>,
        text: &mut Vec<u8>,
    ) -> io::Result<bool> {
        let (number, offset, cut) = loop {
            match self.next_line(text)? {
                None => return Ok(false),
                Some(_) if content(text).is_empty() => continue,
                Some(position) => break position,
            }
        };
        record.first_line = number;
        record.last_line = number;
        record.offset = offset;
        record.problem = None;
        record.cut = cut;
        if !record.split(content(text), self.delimiter) || cut {
            return Ok(true);
        }
        let first_line_length = text.len();
        let mut continued: Vec<Line> = Vec::new();
        let mut problem = loop {
            if continued.len() as u64 + 1 >= MAX_RECORD_LINES || text.len() > MAX_RECORD_BYTES {
                break Some(QuoteProblem::TooLong);
            }
            let mut line = Vec::new();
            let Some((number, offset, cut)) = self.next_line(&mut line)? else {
                break Some(QuoteProblem::EndOfInput);
            };
            text.extend_from_slice(&line);
            continued.push(Line {
                text: line,
                number,
                offset,
                cut,
            });
            if cut {
                break Some(QuoteProblem::TooLong);
            }
            if !record.split(content(text), self.delimiter) {
                break None;
            }
        };
        record.last_line = continued.last().map_or(number, |line| line.number);
        if problem.is_none()
            && let Some(width) = width
            && (record.len() != width
                || (width > 1 && continued.iter().any(|line| self.is_whole(line, width))))
        {
            problem = Some(QuoteProblem::NotOneRecord);
        }
        if problem.is_some() {
            record.problem = problem;
            text.truncate(first_line_length);
            record.split(content(text), self.delimiter);
            for line in continued.into_iter().rev() {
                self.pending.push_front(line);
            }
        }
        Ok(true)
    }

    /// Whether a line alone is a record of `width` fields.
    fn is_whole(&mut self, line: &Line, width: usize) -> bool {
        !self.scratch.split(content(&line.text), self.delimiter) && self.scratch.len() == width
    }
}

/// Where the first record that a quote leaves open to the end of `text` starts, if one does: when
/// `text` is the start of a file, that record is the one the cut broke.
pub fn open_at_end(text: &[u8], delimiter: u8) -> Option<usize> {
    let mut bytes = text;
    let mut reader = RecordReader::new(&mut bytes, delimiter);
    let mut record = CsvRecord::default();
    while let Ok(true) = reader.read(&mut record, None) {
        if record.problem == Some(QuoteProblem::EndOfInput) {
            return usize::try_from(record.offset).ok();
        }
    }
    None
}

pub fn read(
    reader: &mut dyn BufRead,
    delimiter: u8,
    format: Format,
    options: &IngestOptions,
    out: &mut Collector<'_>,
) -> Result<(), IngestError> {
    let mut records = RecordReader::new(reader, delimiter);
    let mut header = CsvRecord::default();
    records
        .read(&mut header, None)
        .map_err(|error| IngestError::Read(error.to_string()))?;
    let columns = header
        .iter()
        .map(|name| std::str::from_utf8(name).map(|name| name.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| IngestError::HeaderNotUtf8)?;
    let map =
        ColumnMap::resolve(&columns, format, &options.column_map).map_err(|error| match error {
            IngestError::MissingColumns { missing, found } if columns.len() == 1 => {
                IngestError::OneColumn {
                    missing,
                    header: found.join(""),
                }
            }
            error => error,
        })?;
    out.ingested.extra_columns = map.extra.iter().map(|&i| columns[i].clone()).collect();
    out.observer.extra_columns(&out.ingested.extra_columns);
    out.ingested.columns = columns;

    let mut record = CsvRecord::default();
    loop {
        match records.read(&mut record, Some(map.width)) {
            Ok(false) => break,
            Ok(true) => {
                let parsed = match record.problem {
                    Some(cause) => Err(RejectReason::UnclosedQuote {
                        first_line: record.first_line,
                        last_line: record.last_line,
                        cause,
                    }),
                    None if record.cut => Err(RejectReason::LineTooLong {
                        limit_bytes: MAX_LINE_BYTES,
                    }),
                    None => parse_row(&record, &map, options),
                };
                out.push(parsed, Some(record.first_line));
            }
            Err(error) => {
                out.stop_early(Some(records.line() + 1), error.to_string());
                break;
            }
        }
    }
    Ok(())
}

fn parse_row(
    record: &CsvRecord,
    map: &ColumnMap,
    options: &IngestOptions,
) -> Result<LoginEvent, RejectReason> {
    if record.len() != map.width {
        return Err(RejectReason::FieldCount {
            expected: map.width,
            found: record.len(),
        });
    }
    let field = |field: Field| -> Result<Option<&str>, RejectReason> {
        map.get(field)
            .and_then(|index| record.get(index))
            .map(|cell| std::str::from_utf8(cell).map_err(|_| RejectReason::NotUtf8))
            .transpose()
    };
    let required = |name: Field| field(name).map(Option::unwrap_or_default);

    let user_id = required(Field::UserId)?.trim();
    if user_id.is_empty() {
        return Err(RejectReason::EmptyUser);
    }
    let timestamp_ms = parse_timestamp(required(Field::Timestamp)?, &options.timezone)?;
    let ip_text = required(Field::IpAddress)?.trim();
    let ip = parse_ip(ip_text).ok_or_else(|| RejectReason::IpAddress(ip_text.to_owned()))?;
    let mut outcome = match field(Field::Success)? {
        Some(text) => parse_success(text)?,
        None => Outcome::Unknown,
    };
    let mut failure_reason = field(Field::FailureReason)?
        .and_then(present)
        .map(str::to_owned);
    if let Some(code) = field(Field::ErrorCode)?.and_then(present) {
        let code: u32 = code
            .parse()
            .map_err(|_| RejectReason::ErrorCode(code.to_owned()))?;
        let (coded, description) = entra_outcome(code);
        if field(Field::Success)?.and_then(present).is_none() {
            outcome = coded;
        }
        if code != 0 {
            let text = failure_reason.take().or(description.map(str::to_owned));
            failure_reason = Some(match text {
                Some(text) => format!("{code}: {text}"),
                None => format!("error {code}"),
            });
        }
    }
    let mut location = ReportedLocation::default();
    if let Some(text) = field(Field::Location)?.and_then(present) {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if let Some((country, rest)) = parts.split_last() {
            location.country_code = parse_country(country);
            location.city = rest
                .first()
                .and_then(|city| present(city))
                .map(str::to_owned);
            location.region = rest
                .get(1)
                .and_then(|region| present(region))
                .map(str::to_owned);
        }
    }
    if let Some(country) = field(Field::Country)?.and_then(parse_country) {
        location.country_code = Some(country);
    }
    if let Some(region) = field(Field::Region)?.and_then(present) {
        location.region = Some(region.to_owned());
    }
    if let Some(city) = field(Field::City)?.and_then(present) {
        location.city = Some(city.to_owned());
    }
    location.asn = field(Field::Asn)?.and_then(parse_asn);
    location.latitude = field(Field::Latitude)?.and_then(|text| parse_coordinate(text, 90.0));
    location.longitude = field(Field::Longitude)?.and_then(|text| parse_coordinate(text, 180.0));
    let extra = map
        .extra
        .iter()
        .map(|&index| {
            std::str::from_utf8(record.get(index).unwrap_or_default())
                .map(str::to_owned)
                .map_err(|_| RejectReason::NotUtf8)
        })
        .collect::<Result<_, _>>()?;
    let success = outcome.success();
    Ok(LoginEvent {
        timestamp_ms,
        user_id: user_id.to_owned(),
        ip,
        user_agent: field(Field::UserAgent)?.unwrap_or_default().trim().into(),
        success,
        interrupted: outcome == Outcome::Interrupted,
        failure_reason: if success == Some(true) {
            None
        } else {
            failure_reason.map(String::into_boxed_str)
        },
        mfa: field(Field::Mfa)?.and_then(parse_mfa),
        reported_location: (!location.is_empty()).then(|| Box::new(location)),
        extra,
        ..LoginEvent::default()
    })
}
