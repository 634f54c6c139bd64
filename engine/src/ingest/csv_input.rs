//! CSV and TSV: Sky Trace's own columns, any CSV with a column mapping, Entra's portal download
//! and the RBA dataset. Read record by record with one reused buffer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use super::columns::{ColumnMap, Field};
use super::values::{
    entra_outcome, parse_asn, parse_coordinate, parse_country, parse_ip, parse_mfa, parse_success,
    present,
};
use super::{Collector, Format, IngestError, IngestOptions, RejectReason};
use crate::LoginEvent;
use crate::event::ReportedLocation;
use crate::time::parse_timestamp;

/// Where the lines start, for numbering records: the csv crate's own line count skips the header's
/// line break when lines end in CRLF, so lines are counted here from the bytes read.
struct LineIndex<R> {
    inner: R,
    read: u64,
    breaks: Rc<RefCell<VecDeque<u64>>>,
}

impl<R: Read> Read for LineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (offset, _) in buf[..count]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
        {
            breaks.push_back(self.read + offset as u64);
        }
        self.read += count as u64;
        Ok(count)
    }
}

/// Line numbers of record starts, asked for in increasing order. With CRLF the csv crate puts a
/// record's start on the `\n` that ends the line before, so a break at the offset itself counts.
struct LineCounter {
    breaks: Rc<RefCell<VecDeque<u64>>>,
    passed: u64,
}

impl LineCounter {
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut breaks = self.breaks.borrow_mut();
        while breaks.front().is_some_and(|&offset| offset <= byte) {
            breaks.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

pub fn read(
    reader: &mut dyn BufRead,
    delimiter: u8,
    format: Format,
    options: &IngestOptions,
    out: &mut Collector<'_>,
) -> Result<(), IngestError> {
    let breaks = Rc::new(RefCell::new(VecDeque::new()));
    let mut lines = LineCounter {
        breaks: Rc::clone(&breaks),
        passed: 0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(LineIndex {
            inner: reader,
            read: 0,
            breaks,
        });
    let header = reader
        .byte_headers()
        .map_err(|error| IngestError::Read(error.to_string()))?
        .clone();
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
    out.ingested.columns = columns;

    let mut record = csv::ByteRecord::new();
    loop {
        let result = reader.read_byte_record(&mut record);
        match result {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_at(record.position().map_or(0, |position| position.byte()));
                let parsed = parse_row(&record, &map, options);
                let parsed = parsed.map_err(|reason| match reason {
                    RejectReason::FieldCount { expected, found }
                        if record.iter().any(|field| field.contains(&b'\n')) =>
                    {
                        RejectReason::UnclosedQuote { expected, found }
                    }
                    reason => reason,
                });
                out.push(parsed, Some(line));
            }
            Err(error) => {
                let line = lines.line_at(error.position().map_or(0, |position| position.byte()));
                if let csv::ErrorKind::Io(io) = error.kind() {
                    out.stop_early(Some(line), io.to_string());
                    break;
                }
                out.push(Err(RejectReason::Malformed(error.to_string())), Some(line));
            }
        }
    }
    Ok(())
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
    let field = |field: Field| -> Result<Option<&str>, RejectReason> {
        map.get(field)
            .map(|index| std::str::from_utf8(&record[index]).map_err(|_| RejectReason::NotUtf8))
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
    let mut success = match field(Field::Success)? {
        Some(text) => parse_success(text)?,
        None => None,
    };
    let mut failure_reason = field(Field::FailureReason)?
        .and_then(present)
        .map(str::to_owned);
    if let Some(code) = field(Field::ErrorCode)?.and_then(present) {
        let code: u32 = code
            .parse()
            .map_err(|_| RejectReason::ErrorCode(code.to_owned()))?;
        let (outcome, description) = entra_outcome(code);
        if field(Field::Success)?.and_then(present).is_none() {
            success = outcome;
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
            std::str::from_utf8(&record[index])
                .map(str::to_owned)
                .map_err(|_| RejectReason::NotUtf8)
        })
        .collect::<Result<_, _>>()?;
    Ok(LoginEvent {
        row: 0,
        line: 0,
        timestamp_ms,
        user_id: user_id.to_owned(),
        ip,
        user_agent: field(Field::UserAgent)?
            .unwrap_or_default()
            .trim()
            .to_owned(),
        success,
        failure_reason: if success == Some(true) {
            None
        } else {
            failure_reason.map(String::into_boxed_str)
        },
        mfa: field(Field::Mfa)?.and_then(parse_mfa),
        reported_location: (!location.is_empty()).then(|| Box::new(location)),
        extra,
    })
}
