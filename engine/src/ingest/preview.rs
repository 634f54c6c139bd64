//! A first look at a log from its first bytes, before it is read in full: the format, the first
//! records, what the engine makes of each, and where every field of a login is read from (the
//! column mapping).
//!
//! The bytes are usually a slice of the file, so they may stop anywhere: mid-line, mid-record, or
//! mid-way through a gzip stream. The text is cut after its last complete line, and a record the
//! cut itself broke (an unterminated quote, a JSON document that stops) is left out rather than
//! shown as the file's fault. Everything else goes through the very same reader the full read
//! uses, so a verdict shown here is the verdict the file will get.

use std::io::Read;

use serde::{Deserialize, Serialize};

use super::columns::{ColumnMap, ColumnMapping, Field, normalise};
use super::csv_input::{self, CsvRecord};
use super::{
    Format, IngestError, IngestOptions, Ingested, RejectReason, TextEncoding, detect, read_slice,
    sniff, source,
};
use crate::LoginEvent;
use crate::time::format_utc;

/// How much of a file a preview reads: room for the header and many records of any format.
pub const PREVIEW_BYTES: usize = 64 * 1024;
/// Decoded text looked at, at most: a gzip slice can unpack to far more than its size.
const MAX_TEXT_BYTES: usize = 256 * 1024;

/// The fields a login event carries, in the order JSON and syslog previews show them. The error
/// code and the one-cell location exist only as CSV columns: the JSON readers fold them into the
/// outcome, the failure reason and the place fields.
const EVENT_FIELDS: [Field; 13] = [
    Field::Timestamp,
    Field::UserId,
    Field::IpAddress,
    Field::UserAgent,
    Field::Success,
    Field::FailureReason,
    Field::Country,
    Field::Region,
    Field::City,
    Field::Asn,
    Field::Latitude,
    Field::Longitude,
    Field::Mfa,
];

/// Whether the bytes given are the whole file or only its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    WholeFile,
    Start,
}

/// The first records of a log and how they will be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub format: Format,
    /// `true` when the format was recognised from the content, `false` when it was chosen.
    pub recognised: bool,
    pub encoding: TextEncoding,
    pub gzip: bool,
    /// Headings of [`Self::rows`]: the CSV header as written; for JSON the fields read from each
    /// record; for syslog the one column `line`.
    pub columns: Vec<String>,
    pub rows: Vec<PreviewRow>,
    /// Every field a login can have, in [`Field::ALL`] order, and where it is read from. For
    /// JSON and syslog, the fields their readers fill.
    pub fields: Vec<FieldMapping>,
    /// Indexes into [`Self::columns`] of the columns passed through untouched (plain CSV only).
    pub extra_columns: Vec<usize>,
    /// Why the engine cannot read the file as a whole with these options (a required column
    /// missing, a mapped column absent, …); the rows are then not checked.
    pub problem: Option<String>,
    /// What the engine made of the records in the bytes given, when it could read them.
    pub checked: Option<Checked>,
}

/// Records of the bytes given, counted the way a full read counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// `false` when only the start of the file was looked at.
    pub whole_file: bool,
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub skipped: u64,
}

/// One record as the file has it (CSV, syslog) or as the engine read it (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    /// 1-based record number (syslog: the line number).
    pub row: u64,
    /// Line where the record starts, when the engine reported it.
    pub line: Option<u64>,
    /// One cell per column; empty for JSON records that were rejected or skipped.
    pub cells: Vec<String>,
    pub outcome: RowOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Accepted,
    Rejected {
        reason: String,
    },
    /// Not a sign-in (another event type or program); counted, not analysed.
    Skipped,
    /// The file cannot be read as a whole (see [`Preview::problem`]), so rows are not checked.
    Unchecked,
}

/// Where one field of a login comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub field: Field,
    /// Without it no row is a login ([`Field::REQUIRED`]).
    pub required: bool,
    pub source: FieldSource,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSource {
    /// Found by its name, an alias, or the name a known export gives it; an index into
    /// [`Preview::columns`].
    Found { column: usize },
    /// Named in the column mapping.
    Mapped { column: usize },
    /// The column mapping names a column the header does not have.
    MappedColumnAbsent { column: String },
    /// No column holds it.
    Missing,
    /// Read from each record by the format's own reader (JSON, syslog; the column mapping does
    /// not apply): the column showing it, if any, and how many of the accepted rows shown have it.
    FromRecord {
        column: Option<usize>,
        with_value: usize,
    },
}

impl FieldSource {
    /// The column of [`Preview::columns`] the field is read from.
    pub fn column(&self) -> Option<usize> {
        match self {
            Self::Found { column } | Self::Mapped { column } => Some(*column),
            Self::FromRecord { column, .. } => *column,
            Self::MappedColumnAbsent { .. } | Self::Missing => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Unreadable(#[from] IngestError),
    #[error("the first line is longer than the {bytes} bytes read for the preview")]
    NoCompleteLine { bytes: usize },
}

/// Previews a log from `bytes` (the whole file, or its first bytes as `sample` says), showing
/// at most `max_rows` records.
pub fn preview(
    bytes: &[u8],
    sample: Sample,
    options: &IngestOptions,
    max_rows: usize,
) -> Result<Preview, PreviewError> {
    // The preview looks at PREVIEW_BYTES of text at most (`decoded_text`).
    let mut text = source::open(bytes, u64::MAX, &source::Exceeded::default())?;
    let recognised = options.format.is_none();
    let format = match options.format {
        Some(format) => format,
        None => sniff(&text.head)?,
    };
    let (content, cut) = decoded_text(&mut text.reader, sample);
    let content = if cut {
        complete_records(content, format)?
    } else {
        content
    };
    let options = IngestOptions {
        format: Some(format),
        ..options.clone()
    };
    let read = read_slice(&content, &options);
    let problem = match &read {
        Err(IngestError::NoDataRows) if cut => None,
        Err(error) => Some(error.to_string()),
        Ok(_) => None,
    };
    let ingested = read.ok();
    let broken_by_cut = ingested
        .as_ref()
        .filter(|_| cut)
        .and_then(record_broken_by_cut);
    let mut preview = Preview {
        format,
        recognised,
        encoding: text.encoding,
        gzip: text.gzip,
        columns: Vec::new(),
        rows: Vec::new(),
        fields: Vec::new(),
        extra_columns: Vec::new(),
        problem,
        checked: ingested.as_ref().map(|ingested| Checked {
            whole_file: !cut,
            records: ingested
                .rows_read
                .saturating_sub(u64::from(broken_by_cut.is_some())),
            accepted: ingested.events.len() as u64,
            rejected: ingested
                .rejected
                .saturating_sub(u64::from(broken_by_cut.is_some())),
            skipped: ingested.skipped_total(),
        }),
    };
    let ingested = ingested.as_ref();
    let shown = Shown {
        ingested,
        broken_by_cut,
        max_rows,
    };
    if format.is_csv() {
        csv_preview(&mut preview, &content, &options.column_map, shown)?
    } else if format == Format::AuthLog {
        // Syslog records are whole lines, so the cut (at a line break) breaks none.
        syslog_preview(&mut preview, &content, ingested, max_rows)
    } else {
        json_preview(&mut preview, shown)
    }
    Ok(preview)
}

/// The decoded text (at most [`MAX_TEXT_BYTES`]) and whether it stops before the file's end: a
/// slice, a gzip stream that breaks off, or more text than is looked at.
fn decoded_text(reader: &mut dyn Read, sample: Sample) -> (Vec<u8>, bool) {
    let mut text = Vec::new();
    // On an error, what was read before it is in `text`.
    let read_to_end = reader
        .take(MAX_TEXT_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .is_ok();
    let longer = text.len() > MAX_TEXT_BYTES;
    text.truncate(MAX_TEXT_BYTES);
    (text, sample == Sample::Start || !read_to_end || longer)
}

/// The text of a cut file up to its last complete record: up to its last line break, and for CSV
/// before a last record that spans lines (the cut may have fallen inside its quotes, which the
/// CSV reader would then close by itself). A JSON document may have no line break at all
/// (minified); its reader stops cleanly at the record the cut broke.
fn complete_records(mut text: Vec<u8>, format: Format) -> Result<Vec<u8>, PreviewError> {
    match text.iter().rposition(|&byte| byte == b'\n') {
        Some(end) => text.truncate(end + 1),
        None if format.is_json() => {}
        None => return Err(PreviewError::NoCompleteLine { bytes: text.len() }),
    }
    if format.is_csv()
        && let Some(start) = csv_input::open_at_end(&text, delimiter_of(&text))
    {
        text.truncate(start);
    }
    Ok(text)
}

/// The last record when the cut broke it: a JSON document that stops mid-way.
fn record_broken_by_cut(ingested: &Ingested) -> Option<u64> {
    let last = ingested.rejections.last()?;
    let broken = matches!(last.reason, RejectReason::Unreadable(_));
    (broken && last.row == ingested.rows_read).then_some(last.row)
}

/// The delimiter the full read uses: the one of the header line.
fn delimiter_of(content: &[u8]) -> u8 {
    let first_line = content
        .split(|&byte| byte == b'\n')
        .next()
        .unwrap_or_default();
    detect::delimiter(&String::from_utf8_lossy(first_line))
}

/// Which records to show and what the engine made of them.
struct Shown<'a> {
    /// `None` when the engine cannot read the file as a whole.
    ingested: Option<&'a Ingested>,
    broken_by_cut: Option<u64>,
    max_rows: usize,
}

impl Shown<'_> {
    /// The accepted event of record `row`, if it was accepted.
    fn event(&self, row: u64) -> Option<&LoginEvent> {
        let events = &self.ingested?.events;
        let index = events.binary_search_by_key(&row, |event| event.row).ok()?;
        events.get(index)
    }

    /// Where record `row` starts and the engine's verdict on it.
    fn verdict(&self, row: u64) -> (Option<u64>, RowOutcome) {
        let Some(ingested) = self.ingested else {
            return (None, RowOutcome::Unchecked);
        };
        if let Some(event) = self.event(row) {
            return (
                Some(event.line).filter(|&line| line > 0),
                RowOutcome::Accepted,
            );
        }
        match ingested
            .rejections
            .binary_search_by_key(&row, |rejection| rejection.row)
        {
            Ok(index) => {
                let rejection = &ingested.rejections[index];
                let reason = rejection.reason.to_string();
                (rejection.line, RowOutcome::Rejected { reason })
            }
            Err(_) => (None, RowOutcome::Skipped),
        }
    }
}

fn csv_preview(
    preview: &mut Preview,
    content: &[u8],
    mapping: &ColumnMapping,
    shown: Shown<'_>,
) -> Result<(), PreviewError> {
    let mut bytes = content;
    let mut reader = csv_input::RecordReader::new(&mut bytes, delimiter_of(content));
    let mut header = CsvRecord::default();
    if let Ok(true) = reader.read(&mut header, None) {
        preview.columns = header
            .iter()
            .map(|name| lossy(name).trim().to_owned())
            .collect();
    }
    let width = Some(preview.columns.len());
    let (fields, extra_columns) = resolve_fields(&preview.columns, preview.format, mapping)?;
    preview.fields = fields;
    preview.extra_columns = extra_columns;
    let mut record = CsvRecord::default();
    let mut row = 0;
    while preview.rows.len() < shown.max_rows && matches!(reader.read(&mut record, width), Ok(true))
    {
        row += 1;
        if shown.broken_by_cut == Some(row) {
            break;
        }
        let (line, outcome) = shown.verdict(row);
        preview.rows.push(PreviewRow {
            row,
            line,
            cells: record.iter().map(lossy).collect(),
            outcome,
        });
    }
    Ok(())
}

/// Where each field is read from in a CSV header, as [`ColumnMap::resolve`] decides it for the
/// full read, and the columns passed through.
fn resolve_fields(
    header: &[String],
    format: Format,
    mapping: &ColumnMapping,
) -> Result<(Vec<FieldMapping>, Vec<usize>), IngestError> {
    let names: Vec<String> = header.iter().map(|name| normalise(name)).collect();
    let (usable, absent): (ColumnMapping, ColumnMapping) = mapping
        .iter()
        .cloned()
        .partition(|(_, column)| names.contains(&normalise(column)));
    let mut padded = header.to_vec();
    let mut choices = usable.clone();
    let map = match ColumnMap::resolve(&padded, format, &choices) {
        Ok(map) => map,
        // `resolve` refuses a header that lacks a required field; a stand-in column for each
        // missing one lets it say where the other fields are found.
        Err(IngestError::MissingColumns { missing, .. }) => {
            for field in Field::REQUIRED {
                if missing.contains(&field.name()) {
                    let stand_in = format!("\u{0}{}", field.name());
                    padded.push(stand_in.clone());
                    choices.push((field, stand_in));
                }
            }
            ColumnMap::resolve(&padded, format, &choices)?
        }
        Err(error) => return Err(error),
    };
    let in_header = |column: &usize| *column < header.len();
    let chosen = |field: Field, mapping: &ColumnMapping| {
        mapping
            .iter()
            .find(|(chosen, _)| *chosen == field)
            .map(|(_, column)| column.clone())
    };
    let fields = Field::ALL
        .into_iter()
        .map(|field| {
            let source = match map.get(field).filter(in_header) {
                Some(column) if chosen(field, &usable).is_some() => FieldSource::Mapped { column },
                Some(column) => FieldSource::Found { column },
                None => match chosen(field, &absent) {
                    Some(column) => FieldSource::MappedColumnAbsent { column },
                    None => FieldSource::Missing,
                },
            };
            FieldMapping {
                field,
                required: Field::REQUIRED.contains(&field),
                source,
            }
        })
        .collect();
    let extra = map.extra.iter().copied().filter(in_header).collect();
    Ok((fields, extra))
}

/// One row per record, with the fields the format's reader took from it.
fn json_preview(preview: &mut Preview, shown: Shown<'_>) {
    preview.columns = EVENT_FIELDS
        .iter()
        .map(|field| field.name().to_owned())
        .collect();
    let mut with_value = [0; EVENT_FIELDS.len()];
    let records = shown.ingested.map_or(0, |ingested| ingested.rows_read);
    for row in (1..=records)
        .filter(|&row| shown.broken_by_cut != Some(row))
        .take(shown.max_rows)
    {
        let (line, outcome) = shown.verdict(row);
        let cells = match shown.event(row) {
            Some(event) => EVENT_FIELDS
                .iter()
                .zip(&mut with_value)
                .map(|(&field, count)| {
                    let value = event_value(event, field);
                    *count += usize::from(value.is_some());
                    value.unwrap_or_default()
                })
                .collect(),
            None => Vec::new(),
        };
        preview.rows.push(PreviewRow {
            row,
            line,
            cells,
            outcome,
        });
    }
    preview.fields = from_record(Some, with_value);
}

/// One row per non-blank line, as written.
fn syslog_preview(
    preview: &mut Preview,
    content: &[u8],
    ingested: Option<&Ingested>,
    max_rows: usize,
) {
    preview.columns = vec!["line".to_owned()];
    let mut with_value = [0; EVENT_FIELDS.len()];
    let lines = content
        .split(|&byte| byte == b'\n')
        .zip(1u64..)
        .filter(|(text, _)| !text.iter().all(u8::is_ascii_whitespace))
        .take(max_rows);
    for (text, line) in lines {
        let event =
            ingested.and_then(|ingested| ingested.events.iter().find(|event| event.line == line));
        let outcome = match (ingested, event) {
            (None, _) => RowOutcome::Unchecked,
            (Some(_), Some(event)) => {
                for (&field, count) in EVENT_FIELDS.iter().zip(&mut with_value) {
                    *count += usize::from(event_value(event, field).is_some());
                }
                RowOutcome::Accepted
            }
            (Some(ingested), None) => ingested
                .rejections
                .iter()
                .find(|rejection| rejection.line == Some(line))
                .map_or(RowOutcome::Skipped, |rejection| RowOutcome::Rejected {
                    reason: rejection.reason.to_string(),
                }),
        };
        preview.rows.push(PreviewRow {
            row: line,
            line: Some(line),
            cells: vec![lossy(text).trim_end_matches('\r').to_owned()],
            outcome,
        });
    }
    preview.fields = from_record(|_| None, with_value);
}

/// The fields of [`EVENT_FIELDS`], read by the format's reader; `column` gives the column of the
/// field at an index, if the preview shows one.
fn from_record(
    column: impl Fn(usize) -> Option<usize>,
    with_value: [usize; EVENT_FIELDS.len()],
) -> Vec<FieldMapping> {
    EVENT_FIELDS
        .iter()
        .zip(with_value)
        .enumerate()
        .map(|(index, (&field, with_value))| FieldMapping {
            field,
            required: Field::REQUIRED.contains(&field),
            source: FieldSource::FromRecord {
                column: column(index),
                with_value,
            },
        })
        .collect()
}

/// A field of an accepted login as text, `None` when the record did not have it.
fn event_value(event: &LoginEvent, field: Field) -> Option<String> {
    let place = event.reported_location.as_deref();
    match field {
        Field::Timestamp => Some(format_utc(event.timestamp_ms)),
        Field::UserId => Some(event.user_id.clone()),
        Field::IpAddress => Some(event.ip.to_string()),
        Field::UserAgent => (!event.user_agent.is_empty()).then(|| event.user_agent.to_string()),
        Field::Success if event.interrupted => Some("interrupted".to_owned()),
        Field::Success => event.success.map(|success| success.to_string()),
        Field::FailureReason => event.failure_reason.as_deref().map(str::to_owned),
        Field::Mfa => event.mfa.map(|mfa| mfa.to_string()),
        Field::Country => place?.country_code.clone(),
        Field::Region => place?.region.clone(),
        Field::City => place?.city.clone(),
        Field::Asn => place?.asn.map(|asn| asn.to_string()),
        Field::Latitude => place?.latitude.map(|latitude| latitude.to_string()),
        Field::Longitude => place?.longitude.map(|longitude| longitude.to_string()),
        Field::ErrorCode | Field::Location => None,
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::ingest::parse_mapping;

    const ROWS: usize = 10;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../fixtures/formats/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn whole(bytes: &[u8], options: &IngestOptions) -> Preview {
        preview(bytes, Sample::WholeFile, options, ROWS).unwrap()
    }

    fn source_of(preview: &Preview, field: Field) -> &FieldSource {
        let mapping = preview.fields.iter().find(|mapping| mapping.field == field);
        &mapping.unwrap().source
    }

    fn outcomes(preview: &Preview) -> Vec<&RowOutcome> {
        preview.rows.iter().map(|row| &row.outcome).collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn csv_columns_are_found_by_alias_and_the_rest_passed_through() {
        let csv = "Event Time,Account,Source IP,Client,Result,Ticket\n\
                   2026-03-02T08:15:03Z,alice,84.208.20.17,AnyConnect,Accepted,T-1\n\
                   soon,bob,84.208.20.18,AnyConnect,Accepted,T-2\n\
                   2026-03-02T08:17:03Z,carol,10.0.0.1,AnyConnect,Denied,T-3\n";
        let preview = whole(csv.as_bytes(), &IngestOptions::default());
        assert_eq!((preview.format, preview.recognised), (Format::Csv, true));
        assert_eq!(preview.columns[2], "Source IP");
        assert_eq!(
            source_of(&preview, Field::Timestamp),
            &FieldSource::Found { column: 0 }
        );
        assert_eq!(
            source_of(&preview, Field::UserId),
            &FieldSource::Found { column: 1 }
        );
        assert_eq!(
            source_of(&preview, Field::IpAddress),
            &FieldSource::Found { column: 2 }
        );
        assert_eq!(
            source_of(&preview, Field::Success),
            &FieldSource::Found { column: 4 }
        );
        assert_eq!(source_of(&preview, Field::UserAgent), &FieldSource::Missing);
        assert_eq!(preview.fields.len(), Field::ALL.len());
        assert!(preview.fields[..3].iter().all(|mapping| mapping.required));
        assert_eq!(preview.extra_columns, vec![3, 5]);
        assert_eq!(preview.problem, None);
        assert_eq!(preview.rows.len(), 3);
        assert_eq!(preview.rows[0].cells[1], "alice");
        assert_eq!(preview.rows[1].line, Some(3));
        assert!(matches!(
            &preview.rows[1].outcome,
            RowOutcome::Rejected { reason } if reason.contains("soon")
        ));
        assert_eq!(preview.rows[2].outcome, RowOutcome::Accepted);
        let checked = preview.checked.unwrap();
        assert!(checked.whole_file);
        assert_eq!(
            (checked.records, checked.accepted, checked.rejected),
            (3, 2, 1)
        );
    }

    #[test]
    fn an_explicit_mapping_wins_and_a_missing_required_field_is_flagged() {
        let csv = "When,Who,Where,Browser\n\
                   2026-03-02T08:15:03Z,alice,84.208.20.17,Mozilla/5.0\n";
        let unmapped = whole(csv.as_bytes(), &IngestOptions::default());
        for field in Field::REQUIRED {
            assert_eq!(source_of(&unmapped, field), &FieldSource::Missing);
        }
        assert!(
            unmapped
                .problem
                .as_deref()
                .unwrap()
                .contains("missing required")
        );
        assert_eq!(unmapped.checked, None);
        assert_eq!(outcomes(&unmapped), vec![&RowOutcome::Unchecked]);
        assert_eq!(unmapped.rows[0].cells[1], "alice");

        let options = IngestOptions {
            column_map: parse_mapping("timestamp=When, user_id=who, user_agent=Browser").unwrap(),
            ..IngestOptions::default()
        };
        let partly = whole(csv.as_bytes(), &options);
        assert_eq!(
            source_of(&partly, Field::UserId),
            &FieldSource::Mapped { column: 1 }
        );
        assert_eq!(source_of(&partly, Field::IpAddress), &FieldSource::Missing);
        assert!(partly.problem.as_deref().unwrap().contains("ip_address"));

        let options = IngestOptions {
            column_map: parse_mapping("timestamp=When,user_id=Who,ip_address=Where,mfa=Second")
                .unwrap(),
            ..IngestOptions::default()
        };
        let mapped = whole(csv.as_bytes(), &options);
        assert_eq!(
            source_of(&mapped, Field::IpAddress),
            &FieldSource::Mapped { column: 2 }
        );
        assert_eq!(
            source_of(&mapped, Field::Mfa),
            &FieldSource::MappedColumnAbsent {
                column: "Second".into()
            }
        );
        assert!(mapped.problem.as_deref().unwrap().contains("\"Second\""));

        let options = IngestOptions {
            column_map: parse_mapping("timestamp=When,user_id=Who,ip_address=Where").unwrap(),
            ..IngestOptions::default()
        };
        let complete = whole(csv.as_bytes(), &options);
        assert_eq!(complete.problem, None);
        assert_eq!(outcomes(&complete), vec![&RowOutcome::Accepted]);
        assert_eq!(
            source_of(&complete, Field::UserAgent),
            &FieldSource::Found { column: 3 }
        );
    }

    #[test]
    fn tsv_is_split_on_tabs_and_mapped() {
        let bytes = fixture("vpn-export.tsv");
        let options = IngestOptions {
            column_map: parse_mapping("ip_address=Client Address").unwrap(),
            ..IngestOptions::default()
        };
        let preview = whole(&bytes, &options);
        assert_eq!(preview.columns.len(), 6);
        assert_eq!(preview.columns[2], "Client Address");
        assert_eq!(
            source_of(&preview, Field::IpAddress),
            &FieldSource::Mapped { column: 2 }
        );
        assert_eq!(
            source_of(&preview, Field::Timestamp),
            &FieldSource::Found { column: 0 }
        );
        assert_eq!(preview.rows.len(), 5);
        assert_eq!(preview.rows[2].cells[5], "bad password");
        assert_eq!(preview.rows[4].line, Some(6));
        assert!(matches!(
            preview.rows[4].outcome,
            RowOutcome::Rejected { .. }
        ));
    }

    #[test]
    fn an_entra_export_uses_its_own_column_names() {
        let preview = whole(&fixture("entra-signins.csv"), &IngestOptions::default());
        assert_eq!(preview.format, Format::EntraCsv);
        let column = |field| {
            let index = source_of(&preview, field).column().unwrap();
            preview.columns[index].as_str()
        };
        assert_eq!(column(Field::Timestamp), "Date (UTC)");
        assert_eq!(column(Field::UserId), "Username");
        assert_eq!(column(Field::ErrorCode), "Sign-in error code");
        assert!(preview.extra_columns.is_empty());
        assert_eq!(preview.rows.len(), 8);
    }

    #[test]
    fn json_records_show_the_fields_the_reader_takes() {
        let entra = whole(&fixture("entra-graph.json"), &IngestOptions::default());
        assert_eq!(entra.format, Format::EntraJson);
        assert_eq!(entra.columns.len(), EVENT_FIELDS.len());
        assert_eq!(entra.columns[1], "user_id");
        assert_eq!(entra.rows[0].cells[0], "2026-03-02T08:15:03Z");
        assert_eq!(entra.rows[0].cells[1], "alice@contoso.com");
        assert_eq!(entra.rows[0].line, None);
        assert_eq!(
            source_of(&entra, Field::UserId),
            &FieldSource::FromRecord {
                column: Some(1),
                with_value: entra.checked.unwrap().accepted as usize,
            }
        );
        assert!(
            entra
                .fields
                .iter()
                .all(|mapping| mapping.field != Field::ErrorCode)
        );

        let okta = whole(&fixture("okta-systemlog.jsonl"), &IngestOptions::default());
        assert_eq!(okta.format, Format::Okta);
        let checked = okta.checked.unwrap();
        assert_eq!(
            (
                checked.records,
                checked.accepted,
                checked.rejected,
                checked.skipped
            ),
            (10, 5, 2, 3)
        );
        assert_eq!(okta.rows.len(), 10);
        assert_eq!(okta.rows[0].line, Some(1));
        let count = |wanted: fn(&RowOutcome) -> bool| {
            okta.rows.iter().filter(|row| wanted(&row.outcome)).count()
        };
        assert_eq!(count(|outcome| *outcome == RowOutcome::Accepted), 5);
        assert_eq!(count(|outcome| *outcome == RowOutcome::Skipped), 3);
        assert!(
            okta.rows
                .iter()
                .filter(|row| row.outcome != RowOutcome::Accepted)
                .all(|row| row.cells.is_empty())
        );
    }

    #[test]
    fn syslog_lines_are_shown_as_written_with_the_verdict() {
        let options = IngestOptions {
            syslog_year: Some(2026),
            ..IngestOptions::default()
        };
        let preview = whole(&fixture("auth.log"), &options);
        assert_eq!(preview.format, Format::AuthLog);
        assert_eq!(preview.columns, vec!["line"]);
        assert!(preview.rows[0].cells[0].contains("CRON[2201]"));
        assert_eq!(preview.rows[0].outcome, RowOutcome::Skipped);
        assert!(preview.rows[1].cells[0].contains("Accepted publickey for alice"));
        assert_eq!(preview.rows[1].outcome, RowOutcome::Accepted);
        assert_eq!(preview.rows[1].line, Some(2));
        let FieldSource::FromRecord { with_value, .. } = source_of(&preview, Field::UserId) else {
            panic!("syslog fields come from the record");
        };
        assert!(*with_value >= 1);
        assert_eq!(
            source_of(&preview, Field::UserAgent),
            &FieldSource::FromRecord {
                column: None,
                with_value: 0
            }
        );
    }

    /// A CSV of `rows` valid logins.
    fn many_logins(rows: usize) -> String {
        let mut csv = String::from("timestamp,user_id,ip_address,user_agent\n");
        for row in 0..rows {
            csv.push_str(&format!(
                "2026-03-02T08:{:02}:{:02}Z,user{row},10.0.{}.{},Mozilla/5.0 (X11; Linux x86_64)\n",
                row / 60 % 60,
                row % 60,
                row / 250 % 250,
                row % 250
            ));
        }
        csv
    }

    #[test]
    fn a_slice_cut_mid_line_ignores_the_partial_line() {
        let csv = many_logins(2_000);
        let cut = &csv.as_bytes()[..5_000];
        let preview = preview(cut, Sample::Start, &IngestOptions::default(), ROWS).unwrap();
        let checked = preview.checked.unwrap();
        assert!(!checked.whole_file);
        let complete_lines = cut.iter().filter(|&&byte| byte == b'\n').count() as u64;
        assert_eq!(checked.records, complete_lines - 1);
        assert_eq!(checked.rejected, 0);
        assert_eq!(preview.rows.len(), ROWS);
        assert!(
            outcomes(&preview)
                .iter()
                .all(|outcome| **outcome == RowOutcome::Accepted)
        );
    }

    #[test]
    fn a_gzip_slice_cut_mid_stream_is_previewed() {
        let packed = gzip(many_logins(20_000).as_bytes());
        assert!(packed.len() > 8_000);
        let preview = preview(
            &packed[..8_000],
            Sample::Start,
            &IngestOptions::default(),
            ROWS,
        )
        .unwrap();
        assert!(preview.gzip);
        assert_eq!(preview.format, Format::Csv);
        assert_eq!(preview.problem, None);
        let checked = preview.checked.unwrap();
        assert!(checked.records > ROWS as u64);
        assert_eq!(checked.rejected, 0);
        assert_eq!(preview.rows.len(), ROWS);
        assert_eq!(preview.rows[0].cells[1], "user0");
    }

    #[test]
    fn a_json_document_cut_mid_record_shows_the_whole_records_only() {
        let bytes = fixture("entra-graph.json");
        let full = whole(&bytes, &IngestOptions::default());
        let cut = preview(
            &bytes[..3_000],
            Sample::Start,
            &IngestOptions::default(),
            ROWS,
        )
        .unwrap();
        let checked = cut.checked.unwrap();
        assert!(checked.records >= 1);
        assert_eq!(checked.rejected, 0);
        assert!(
            outcomes(&cut)
                .iter()
                .all(|outcome| **outcome == RowOutcome::Accepted)
        );
        assert_eq!(cut.rows[..], full.rows[..cut.rows.len()]);

        let minified =
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&bytes).unwrap())
                .unwrap();
        assert!(!minified.contains(&b'\n'));
        let cut = preview(
            &minified[..2_500],
            Sample::Start,
            &IngestOptions::default(),
            ROWS,
        )
        .unwrap();
        assert_eq!(cut.rows[0], full.rows[0]);
        assert_eq!(cut.checked.unwrap().rejected, 0);
    }

    #[test]
    fn a_quote_the_cut_leaves_open_is_not_a_rejection() {
        let csv = "timestamp,user_id,ip_address,user_agent\n\
                   2026-03-02T08:15:03Z,alice,84.208.20.17,Mozilla/5.0\n\
                   2026-03-02T08:16:03Z,bob,84.208.20.18,\"Mozilla/5.0\n(wrapped";
        for text in [csv.to_owned(), csv.replace('\n', "\r\n")] {
            let preview = preview(
                text.as_bytes(),
                Sample::Start,
                &IngestOptions::default(),
                ROWS,
            )
            .unwrap();
            assert_eq!(outcomes(&preview), vec![&RowOutcome::Accepted]);
            assert_eq!(preview.rows[0].cells[3], "Mozilla/5.0");
            let checked = preview.checked.unwrap();
            assert_eq!((checked.records, checked.rejected), (1, 0));
        }
    }

    #[test]
    fn the_whole_file_keeps_its_last_line_without_a_line_break() {
        let csv = "timestamp,user_id,ip_address\n2026-03-02T08:15:03Z,alice,84.208.20.17";
        assert_eq!(
            whole(csv.as_bytes(), &IngestOptions::default()).rows.len(),
            1
        );
        let start = preview(
            csv.as_bytes(),
            Sample::Start,
            &IngestOptions::default(),
            ROWS,
        )
        .unwrap();
        assert_eq!((start.rows.len(), start.problem), (0, None));
    }

    #[test]
    fn utf16_is_decoded_even_when_cut_between_bytes() {
        let bytes = fixture("entra-signins-excel.txt");
        let preview = preview(
            &bytes[..4_001],
            Sample::Start,
            &IngestOptions::default(),
            ROWS,
        )
        .unwrap();
        assert_eq!(preview.encoding, TextEncoding::Utf16Le);
        assert_eq!(preview.format, Format::EntraCsv);
        assert!(preview.columns.iter().any(|column| column == "Date (UTC)"));
        assert!(!preview.rows.is_empty());
    }

    #[test]
    fn unreadable_input_is_an_error() {
        let options = IngestOptions::default();
        let error = |bytes: &[u8]| preview(bytes, Sample::Start, &options, ROWS).unwrap_err();
        assert_eq!(error(b""), PreviewError::Unreadable(IngestError::Empty));
        assert!(matches!(
            error(b"PK\x03\x04\x00\x00"),
            PreviewError::Unreadable(IngestError::NotText { .. })
        ));
        assert_eq!(
            error(br#"[{"a": 1}]"#),
            PreviewError::Unreadable(IngestError::UnknownJson)
        );
        assert!(matches!(
            error(&[0x1f, 0x8b, 0x08]),
            PreviewError::Unreadable(IngestError::Gzip(_))
        ));
        assert_eq!(
            error(b"timestamp,user_id,ip_address"),
            PreviewError::NoCompleteLine { bytes: 28 }
        );
    }

    #[test]
    fn a_chosen_format_is_not_sniffed() {
        let options = IngestOptions {
            format: Some(Format::Okta),
            ..IngestOptions::default()
        };
        let preview = whole(&fixture("skytrace.csv"), &options);
        assert_eq!((preview.format, preview.recognised), (Format::Okta, false));
        assert!(
            preview
                .rows
                .iter()
                .all(|row| row.outcome != RowOutcome::Accepted)
        );
    }

    #[test]
    fn round_trips_through_json() {
        let preview = whole(&fixture("vpn-export.tsv"), &IngestOptions::default());
        let json = serde_json::to_string(&preview).unwrap();
        assert_eq!(serde_json::from_str::<Preview>(&json).unwrap(), preview);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_any_slice_of_any_fixture(
            name in proptest::sample::select(vec![
                "auth.log", "cloudtrail-consolelogin.json", "cloudtrail-consolelogin.json.gz",
                "entra-graph.json", "entra-loganalytics.json", "entra-signins-excel.txt",
                "entra-signins.csv", "okta-systemlog.json", "okta-systemlog.jsonl",
                "rba-sample.csv", "skytrace.csv", "vpn-export.tsv", "entra-diagnostic.jsonl",
                "entra-diagnostic-workloads.json", "google-workspace-login.json",
                "auth0-stream-batch.json", "m365-audit-aad.json", "okta-eventhook.json",
                "windows-winlogbeat.jsonl", "ecs-authentication-dotted.json",
                "ocsf-authentication.jsonl",
            ]),
            cut in 0.0f64..=1.0,
            format in proptest::option::of(proptest::sample::select(Format::ALL.to_vec())),
        ) {
            let bytes = fixture(name);
            let end = (bytes.len() as f64 * cut) as usize;
            let options = IngestOptions { format, ..IngestOptions::default() };
            let _ = preview(&bytes[..end], Sample::Start, &options, ROWS);
        }

        #[test]
        fn never_panics_on_garbage(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2_000),
            format in proptest::option::of(proptest::sample::select(Format::ALL.to_vec())),
            mapping in proptest::option::of("[a-z_]{1,12}=[ -~]{0,8}"),
        ) {
            let options = IngestOptions {
                format,
                column_map: mapping
                    .and_then(|text| parse_mapping(&text).ok())
                    .unwrap_or_default(),
                ..IngestOptions::default()
            };
            for sample in [Sample::Start, Sample::WholeFile] {
                let _ = preview(&bytes, sample, &options, ROWS);
            }
        }
    }
}
