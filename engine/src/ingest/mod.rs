//! Sign-in logs → validated [`LoginEvent`]s, streamed, without side effects.
//!
//! An input may be gzipped, UTF-8 (with or without a byte-order mark) or UTF-16; its format is
//! sniffed from the first bytes ([`Format`]) unless the caller names one. A file that cannot be
//! read at all (empty, not text, unknown format, required columns missing) is an
//! [`IngestError`]. Anything wrong with a single record is a [`Rejection`] carrying its line (or
//! record number) and reason; records that are not sign-ins (other event types in JSON logs,
//! other programs in `auth.log`) are counted as skipped. Reading goes on, and
//! `rows_read == events + rejected + skipped` always. The first [`MAX_KEPT_REJECTIONS`] rejections
//! are kept in [`Ingested`]; a [`ReadObserver`] sees every one as it happens (to write them all to
//! a file), so a file of millions of bad records does not fill memory.
//!
//! [`preview()`] reads only the first bytes of a file (as a browser slices it) and shows its first
//! records, the engine's verdict on each, and where every field is read from.

mod columns;
mod csv_input;
mod detect;
mod json;
mod preview;
mod record;
mod reorder;
mod source;
mod syslog;
mod values;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;

use jiff::tz::TimeZone;

use crate::LoginEvent;
use crate::time::TimestampError;
pub use columns::{ColumnMap, ColumnMapping, Field, normalise, parse_mapping};
pub use csv_input::{MAX_RECORD_BYTES, MAX_RECORD_LINES};
pub use detect::{Format, sniff};
pub use preview::{
    Checked, FieldMapping, FieldSource, PREVIEW_BYTES, Preview, PreviewError, PreviewRow,
    RowOutcome, Sample, preview,
};

pub use record::{RecordOutcome, read_record};
pub use reorder::Reorder;
pub use source::{MAX_LINE_BYTES, TextEncoding};
pub use syslog::network_line;

#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Zone in which timestamps without an offset are read (UTC by default).
    pub timezone: TimeZone,
    /// `None` sniffs the format from the first bytes.
    pub format: Option<Format>,
    /// Explicit field → column choices for CSV input; they win over names and aliases.
    pub column_map: ColumnMapping,
    /// Year of year-less syslog lines (`auth.log`).
    pub syslog_year: Option<i16>,
    /// When the log was last written (the file's modification time, or now), to infer the year
    /// of year-less syslog lines when [`Self::syslog_year`] is not given.
    pub reference_ms: Option<i64>,
    /// How much the input may expand to; none by default (callers reading untrusted input set
    /// them).
    pub limits: ReadLimits,
}

/// Limits on what an input expands to, checked while it is read: the text after unpacking (gzip)
/// and the records in it. Past either, reading stops at once with [`IngestError::TooLarge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Bytes of text after unpacking (the bytes as given for uncompressed input).
    pub max_expanded_bytes: u64,
    /// Records read (accepted, rejected and skipped).
    pub max_rows: u64,
}

impl ReadLimits {
    pub const UNLIMITED: Self = Self {
        max_expanded_bytes: u64::MAX,
        max_rows: u64::MAX,
    };
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self::UNLIMITED
    }
}

/// Which read limit an input crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error(
        "the input unpacks to more than {} MiB of text (the limit on expanded size)",
        limit_bytes / (1024 * 1024)
    )]
    ExpandedBytes { limit_bytes: u64 },
    #[error("the input has more than {limit} records (the limit on rows)")]
    Rows { limit: u64 },
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            timezone: TimeZone::UTC,
            format: None,
            column_map: ColumnMapping::new(),
            syslog_year: None,
            reference_ms: None,
            limits: ReadLimits::UNLIMITED,
        }
    }
}

/// Why the input as a whole cannot be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    #[error("this is not a text log file (binary data at byte {offset})")]
    NotText { offset: usize },
    #[error("the header is not valid UTF-8 text")]
    HeaderNotUtf8,
    #[error("the file has a header but no data rows")]
    NoDataRows,
    #[error(
        "missing required column{plural}: {missing}; found: {found}; expected timestamp, user_id and ip_address (and optionally user_agent, success, …), or map them with --map field=column",
        plural = if missing.len() > 1 { "s" } else { "" },
        missing = missing.join(", "),
        found = if found.is_empty() { "(none)".to_owned() } else { found.join(", ") },
    )]
    MissingColumns {
        missing: Vec<&'static str>,
        found: Vec<String>,
    },
    #[error(
        "the header has a single column ({header:?}), so the delimiter is not one of , ; tab |, or the file is not a CSV; missing: {}",
        missing.join(", ")
    )]
    OneColumn {
        missing: Vec<&'static str>,
        header: String,
    },
    #[error("the mapping names column {column:?} for {field}, but the header has: {}", found.join(", "))]
    MappedColumnMissing {
        field: &'static str,
        column: String,
        found: Vec<String>,
    },
    #[error(
        "this JSON is not a sign-in log Sky Trace knows; it reads {}; name the format with --format",
        Format::json_labels()
    )]
    UnknownJson,
    #[error(
        "this looks like {looks_like}; Sky Trace reads {}; name the format with --format",
        Format::json_labels()
    )]
    NotSignIns { looks_like: String },
    #[error("the gzip data is damaged: {0}")]
    Gzip(String),
    #[error("cannot read the input: {0}")]
    Read(String),
    #[error("{0}")]
    TooLarge(LimitExceeded),
}

/// A record that was read but not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based record number (CSV data row, log line or JSON record; headers not counted).
    pub row: u64,
    /// 1-based line of the input where the record starts; `None` inside a JSON array.
    pub line: Option<u64>,
    pub reason: RejectReason,
}

impl Rejection {
    /// "line 12" or "record 7".
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}"),
            None => format!("record {}", self.row),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error(
        "a quote opened on this line {}; the lines after it are read as records of their own",
        match cause {
            QuoteProblem::EndOfInput => format!("is never closed (lines {first_line}–{last_line} run to the end of the input)"),
            QuoteProblem::TooLong => format!(
                "is not closed within {} lines or {} KB (lines {first_line}–{last_line})",
                MAX_RECORD_LINES, MAX_RECORD_BYTES / 1024
            ),
            QuoteProblem::NotOneRecord => format!(
                "closes only on line {last_line}, and lines {first_line}–{last_line} do not make one record"
            ),
        }
    )]
    UnclosedQuote {
        first_line: u64,
        last_line: u64,
        cause: QuoteProblem,
    },
    #[error("the line is longer than {} KB; it is not read", limit_bytes / 1024)]
    LineTooLong { limit_bytes: usize },
    #[error("the key {0:?} is given twice (which one counts depends on the reader)")]
    DuplicateKey(String),
    #[error("the record is not valid UTF-8 text")]
    NotUtf8,
    #[error("empty user_id")]
    EmptyUser,
    #[error("bad timestamp: {0}")]
    Timestamp(#[from] TimestampError),
    #[error("bad ip_address {0:?}: not an IPv4 or IPv6 address")]
    IpAddress(String),
    #[error("bad success value {0:?} (expected true/false, 1/0, yes/no, success/failure)")]
    Success(String),
    #[error("bad error code {0:?} (expected a number)")]
    ErrorCode(String),
    #[error("missing {0}")]
    MissingField(String),
    #[error("not a syslog line (expected 'Mon DD HH:MM:SS host program[pid]: message')")]
    NotSyslog,
    #[error("the line has no year and none was given (--year)")]
    NoYear,
    #[error("'message repeated {0} times' is beyond any real syslog repeat count")]
    Repeats(u32),
    #[error("unreadable record: {0}")]
    Malformed(String),
    #[error("the input stops being readable here: {0}")]
    Unreadable(String),
    #[error(
        "{} s earlier than a login already scored: further out of time order than the reorder \
         window of {window} logins allows (sort the log by time, or widen the window)",
        (late_by_ms + 999) / 1000
    )]
    TooLate { window: usize, late_by_ms: i64 },
}

/// Why a quoted CSV field that spans lines was not read as one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteProblem {
    /// The input ends inside the quotes.
    EndOfInput,
    /// Longer than [`MAX_RECORD_LINES`] lines or [`MAX_RECORD_BYTES`] bytes.
    TooLong,
    /// The lines joined have the wrong number of fields, or one of them is a whole record by
    /// itself: a stray quote, not a field that spans lines.
    NotOneRecord,
}

/// Everything read from one input.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub format: Format,
    pub encoding: TextEncoding,
    pub gzip: bool,
    /// The accepted logins, unless the [`ReadObserver`] took them.
    pub events: Vec<LoginEvent>,
    /// Logins accepted (kept in [`Self::events`] or taken by the observer).
    pub accepted: u64,
    /// The first [`MAX_KEPT_REJECTIONS`] rejected records, in input order.
    pub rejections: Vec<Rejection>,
    /// All rejected records (also those beyond the kept list).
    pub rejected: u64,
    /// Records that are not sign-ins, by event type or program.
    pub skipped: BTreeMap<String, u64>,
    /// Records read (CSV header excluded; blank lines are not records):
    /// `accepted + rejected + skipped`.
    pub rows_read: u64,
    /// Lines of the (decoded) input, the header and blank lines included; a last line without a
    /// line break counts.
    pub physical_lines: u64,
    /// The CSV header as written in the file (empty for other formats).
    pub columns: Vec<String>,
    /// Header names of the columns passed through in [`LoginEvent::extra`].
    pub extra_columns: Vec<String>,
}

impl Ingested {
    fn new(format: Format, encoding: TextEncoding, gzip: bool) -> Self {
        Self {
            format,
            encoding,
            gzip,
            events: Vec::new(),
            accepted: 0,
            rejections: Vec::new(),
            rejected: 0,
            skipped: BTreeMap::new(),
            rows_read: 0,
            physical_lines: 0,
            columns: Vec::new(),
            extra_columns: Vec::new(),
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

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

/// How far reading has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadProgress {
    /// Bytes taken from the input as given (compressed bytes for gzip).
    pub bytes_read: u64,
    pub records: u64,
}

/// Records between progress reports.
const PROGRESS_EVERY_RECORDS: u64 = 16_384;
/// Rejected records kept in [`Ingested::rejections`]; the rest are counted (and seen by the
/// [`ReadObserver`]).
pub const MAX_KEPT_REJECTIONS: usize = 100_000;

/// Sees the reading as it goes: progress, every rejected record, and every accepted login.
pub trait ReadObserver {
    fn progress(&mut self, _progress: ReadProgress) {}
    fn rejected(&mut self, _rejection: &Rejection) {}
    /// The names of the CSV columns passed through ([`Ingested::extra_columns`]), once the
    /// header is read, before the first login.
    fn extra_columns(&mut self, _names: &[String]) {}
    /// An accepted login (its row and line set): handed back to be kept in
    /// [`Ingested::events`], taken (`None`: a reader that analyses as it reads keeps nothing),
    /// or refused after all (counted and reported as rejected).
    fn accepted(&mut self, login: LoginEvent) -> Result<Option<LoginEvent>, RejectReason> {
        Ok(Some(login))
    }
}

/// Nobody watching.
impl ReadObserver for () {}

/// Progress reports only.
impl<F: FnMut(ReadProgress)> ReadObserver for F {
    fn progress(&mut self, progress: ReadProgress) {
        self(progress)
    }
}

/// Where the parsers put what they read; keeps the counts and tells the observer.
struct Collector<'a> {
    ingested: Ingested,
    max_rows: u64,
    exceeded: source::Exceeded,
    observer: &'a mut dyn ReadObserver,
    consumed: std::rc::Rc<std::cell::Cell<u64>>,
    next_report_at: u64,
    /// One copy of each user agent the accepted logins carry (the first
    /// [`MAX_SHARED_AGENTS`]; a log of ever-new agents keeps each in its login instead).
    agents: rustc_hash::FxHashSet<std::sync::Arc<str>>,
}

/// Distinct user agents shared between logins while reading: real logs have hundreds.
const MAX_SHARED_AGENTS: usize = 65_536;

impl Collector<'_> {
    /// Whether one more record fits within the row limit; past it, the reader stops too.
    fn admit(&mut self) -> bool {
        if self.exceeded.get().is_some() {
            return false;
        }
        if self.ingested.rows_read >= self.max_rows {
            self.exceeded.set(Some(LimitExceeded::Rows {
                limit: self.max_rows,
            }));
            return false;
        }
        true
    }

    fn push(&mut self, record: Result<LoginEvent, RejectReason>, line: Option<u64>) {
        if !self.admit() {
            return;
        }
        let ingested = &mut self.ingested;
        ingested.rows_read += 1;
        let row = ingested.rows_read;
        let record = record.and_then(|mut event| {
            event.row = row;
            event.line = line.unwrap_or(0);
            if let Some(shared) = self.agents.get(&event.user_agent) {
                event.user_agent = std::sync::Arc::clone(shared);
            } else if self.agents.len() < MAX_SHARED_AGENTS {
                self.agents.insert(std::sync::Arc::clone(&event.user_agent));
            }
            self.observer.accepted(event)
        });
        match record {
            Ok(kept) => {
                ingested.accepted += 1;
                ingested.events.extend(kept);
            }
            Err(reason) => {
                ingested.rejected += 1;
                let rejection = Rejection { row, line, reason };
                self.observer.rejected(&rejection);
                if ingested.rejections.len() < MAX_KEPT_REJECTIONS {
                    ingested.rejections.push(rejection);
                }
            }
        }
        self.tick();
    }

    fn skip(&mut self, kind: String) {
        if !self.admit() {
            return;
        }
        self.ingested.rows_read += 1;
        *self.ingested.skipped.entry(kind).or_default() += 1;
        self.tick();
    }

    /// The rest of the input cannot be read (truncated, broken JSON, I/O error): what was read
    /// is kept and the rest is one rejected record.
    fn stop_early(&mut self, line: Option<u64>, reason: String) {
        self.push(Err(RejectReason::Unreadable(reason)), line);
    }

    fn tick(&mut self) {
        if self.ingested.rows_read >= self.next_report_at {
            self.next_report_at = self.ingested.rows_read + PROGRESS_EVERY_RECORDS;
            self.report();
        }
    }

    fn report(&mut self) {
        self.observer.progress(ReadProgress {
            bytes_read: self.consumed.get(),
            records: self.ingested.rows_read,
        });
    }
}

/// Reads a whole log from memory.
pub fn read_slice(input: &[u8], options: &IngestOptions) -> Result<Ingested, IngestError> {
    read(input, options, &mut ())
}

/// Reads a log in one pass with bounded memory beyond the events kept, telling `observer` how far
/// it has got and every record it rejects. Crossing one of `options.limits` stops the reading
/// there: [`IngestError::TooLarge`].
pub fn read(
    input: impl Read,
    options: &IngestOptions,
    observer: &mut dyn ReadObserver,
) -> Result<Ingested, IngestError> {
    let exceeded = source::Exceeded::default();
    let result = read_within(input, options, observer, &exceeded);
    match exceeded.get() {
        Some(limit) => Err(IngestError::TooLarge(limit)),
        None => result,
    }
}

fn read_within(
    input: impl Read,
    options: &IngestOptions,
    observer: &mut dyn ReadObserver,
    exceeded: &source::Exceeded,
) -> Result<Ingested, IngestError> {
    let (input, consumed) = source::CountingReader::new(input);
    let text = source::open(input, options.limits.max_expanded_bytes, exceeded)?;
    let (mut reader, lines) = source::LineCounter::new(text.reader);
    let format = match options.format {
        Some(format) => format,
        None => sniff(&text.head)?,
    };
    let mut out = Collector {
        ingested: Ingested::new(format, text.encoding, text.gzip),
        max_rows: options.limits.max_rows,
        exceeded: exceeded.clone(),
        observer,
        consumed,
        next_report_at: 0,
        agents: Default::default(),
    };
    if format.is_csv() {
        let head = String::from_utf8_lossy(&text.head);
        let delimiter = detect::delimiter(head.lines().next().unwrap_or_default());
        csv_input::read(&mut reader, delimiter, format, options, &mut out)?;
    } else if format == Format::AuthLog {
        syslog::read(&mut reader, options, &mut out);
    } else {
        json::read(&mut reader, &text.head, format, options, &mut out)?;
    }
    // A reader that stopped early (broken JSON) leaves lines unread; they are still counted.
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
    out.report();
    let mut ingested = out.ingested;
    ingested.physical_lines = lines.get();
    if ingested.rows_read == 0 {
        return Err(IngestError::NoDataRows);
    }
    Ok(ingested)
}

#[cfg(test)]
mod tests;
