//! A first look at the chosen log before it is analysed, from its first 64 KiB read in the
//! browser (nothing is sent anywhere): the format, the first records with the engine's verdict
//! on each, and the column mapping. The mapping's menus write the same `field=Column, …` text as
//! the mapping field of [`super::ReadingOptions`], so the server and the browser analysis read
//! the file the way the preview shows it.

use std::sync::Arc;

use engine::ingest::{
    ColumnMapping, Field, FieldMapping, FieldSource, PREVIEW_BYTES, Preview, PreviewRow,
    RowOutcome, Sample, parse_mapping, preview,
};
use leptos::{prelude::*, task::spawn_local};

use super::SelectedFile;
use crate::browser::read_head;
use service::reading::ingest_options;
use service::text::{bytes, count};

/// Records shown.
const PREVIEW_ROWS: usize = 10;

/// The start of the chosen file, as read for the preview.
#[derive(Clone)]
struct FileStart {
    bytes: Arc<[u8]>,
    sample: Sample,
    modified_ms: i64,
}

type Shown = Memo<Option<Result<Preview, String>>>;

/// The preview of the chosen file, and its column mapping as menus.
#[component]
pub fn FilePreview(
    selected: SelectedFile,
    format: RwSignal<String>,
    mapping: RwSignal<String>,
) -> AnyView {
    let start = RwSignal::new(None::<Result<FileStart, String>>);
    let reads = StoredValue::new(0u64);
    Effect::new(move |_| {
        let file = selected.with(|file| file.as_deref().cloned());
        // A slow read of an earlier choice must not replace a later one.
        let read = reads.get_value() + 1;
        reads.set_value(read);
        start.set(None);
        let Some(file) = file else {
            return;
        };
        spawn_local(async move {
            let sample = if file.size() <= PREVIEW_BYTES as f64 {
                Sample::WholeFile
            } else {
                Sample::Start
            };
            let result = read_head(&file, PREVIEW_BYTES)
                .await
                .map(|head| FileStart {
                    bytes: head.into(),
                    sample,
                    modified_ms: file.last_modified() as i64,
                })
                .map_err(|error| format!("cannot read the file: {error}"));
            if reads.get_value() == read {
                start.set(Some(result));
            }
        });
    });
    // Text being typed may not parse yet; the preview keeps the last mapping that did.
    let valid_mapping = Memo::new(move |last: Option<&ColumnMapping>| {
        parse_mapping(&mapping.get()).unwrap_or_else(|_| last.cloned().unwrap_or_default())
    });
    let mapping_error = Memo::new(move |_| parse_mapping(&mapping.get()).err());
    let shown: Shown = Memo::new(move |_| {
        start.with(|start| {
            let start = start.as_ref()?;
            Some(start.clone().and_then(|start| {
                let mut options = ingest_options(&format.get(), "", Some(start.modified_ms))?;
                options.column_map = valid_mapping.get();
                preview(&start.bytes, start.sample, &options, PREVIEW_ROWS)
                    .map_err(|error| error.to_string())
            }))
        })
    });
    let choose = Callback::new(move |(field, column): (Field, Option<String>)| {
        let next = with_choice(&valid_mapping.get_untracked(), field, column);
        mapping.set(mapping_text(&next));
    });
    // The mapping table is rebuilt only when the file's columns change, not when a choice is
    // made, so a menu keeps the keyboard focus.
    let layout = Memo::new(move |_| {
        shown.with(|shown| match shown {
            Some(Ok(preview)) => Some((
                preview.format.is_csv(),
                preview.columns.clone(),
                preview.fields.iter().map(|mapping| mapping.field).collect(),
            )),
            _ => None,
        })
    });
    let failure = move || shown.with(|shown| shown.as_ref()?.as_ref().err().cloned());
    let current = move || shown.with(|shown| shown.as_ref()?.as_ref().ok().cloned());

    view! {
        {move || {
            failure()
                .map(|message| {
                    view! {
                        <section class="preview error" data-testid="preview" role="status">
                            <h2>"Preview"</h2>
                            <p data-testid="preview-error">"Cannot preview this file: " {message}</p>
                        </section>
                    }
                })
        }}
        {move || {
            layout
                .get()
                .map(|(is_csv, columns, fields): (bool, Vec<String>, Vec<Field>)| {
                    view! {
                        <section class="preview" data-testid="preview" aria-labelledby="preview-heading">
                            <h2 id="preview-heading">"Preview"</h2>
                            {move || current().map(|preview| view! { <PreviewSummary preview /> })}
                            {move || {
                                mapping_error
                                    .get()
                                    .map(|error| {
                                        view! {
                                            <p class="preview-note">
                                                "The column mapping text is not valid yet (" {error}
                                                "); the preview uses the last valid mapping."
                                            </p>
                                        }
                                    })
                            }}
                            <h3>"First records"</h3>
                            {move || current().map(|preview| view! { <RecordsTable preview /> })}
                            <h3>"Column mapping"</h3>
                            <MappingTable is_csv columns fields shown choose />
                        </section>
                    }
                    .into_any()
                })
        }}
    }
    // Type-erased: the pages that hold it are already near the compiler's type-depth limit.
    .into_any()
}

/// The format, what the engine made of the records read, and why it cannot read the file.
#[component]
fn PreviewSummary(preview: Preview) -> impl IntoView {
    let mut format = format!(
        "{} {}",
        if preview.recognised {
            "Recognised as"
        } else {
            "Read as"
        },
        preview.format.label()
    );
    if preview.gzip {
        format.push_str(", gzip");
    }
    if preview.encoding != engine::ingest::TextEncoding::Utf8 {
        format = format!("{format}, {}", preview.encoding.as_str());
    }
    let checked = preview.checked.map(|checked| {
        let part = if checked.whole_file {
            "The whole file".to_owned()
        } else if preview.gzip {
            format!("The first {} (compressed)", bytes(PREVIEW_BYTES as u64))
        } else {
            format!("The first {}", bytes(PREVIEW_BYTES as u64))
        };
        format!(
            "{part}: {} records, {} accepted, {} rejected, {} skipped (not sign-ins).",
            count(checked.records),
            count(checked.accepted),
            count(checked.rejected),
            count(checked.skipped)
        )
    });
    let missing: Vec<&str> = preview
        .fields
        .iter()
        .filter(|mapping| mapping.required && mapping.source.column().is_none())
        .map(|mapping| mapping.field.name())
        .collect();
    view! {
        <p data-testid="preview-format"><strong>{format}</strong></p>
        {checked.map(|checked| view! { <p class="muted" data-testid="preview-checked">{checked}</p> })}
        {(!missing.is_empty())
            .then(|| {
                view! {
                    <p class="preview-problem" data-testid="preview-missing">
                        "Required but not found: " {missing.join(", ")}
                        ". Choose the column that holds it in the column mapping below."
                    </p>
                }
            })}
        {preview
            .problem
            .filter(|_| missing.is_empty())
            .map(|problem| view! { <p class="preview-problem" data-testid="preview-problem">{problem}</p> })}
    }
    .into_any()
}

/// The first records, each column headed by the field it is read as.
#[component]
fn RecordsTable(preview: Preview) -> impl IntoView {
    if preview.rows.is_empty() {
        return view! { <p class="muted">"No complete record in the part read."</p> }.into_any();
    }
    let width = preview.columns.len();
    let headings = preview
        .columns
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let (mark, class) = column_mark(&preview, index);
            view! {
                <th scope="col">
                    <span class="preview-column">{name.clone()}</span>
                    {mark.map(|mark| view! { <span class=class>{mark}</span> })}
                </th>
            }
        })
        .collect_view();
    let rows = preview
        .rows
        .into_iter()
        .map(|row| record_row(row, width))
        .collect_view();
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="First records of the file">
            <table class="preview-table" data-testid="preview-table">
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Verdict"</th>
                        {headings}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// What a CSV column is read as: the field(s), passed through, or not read.
fn column_mark(preview: &Preview, column: usize) -> (Option<String>, &'static str) {
    if !preview.format.is_csv() {
        return (None, "");
    }
    let fields: Vec<&str> = preview
        .fields
        .iter()
        .filter(|mapping| mapping.source.column() == Some(column))
        .map(|mapping| mapping.field.name())
        .collect();
    if !fields.is_empty() {
        (Some(format!("→ {}", fields.join(", "))), "preview-maps-to")
    } else if preview.extra_columns.contains(&column) {
        (Some("passed through".to_owned()), "preview-maps-to unused")
    } else {
        (Some("not read".to_owned()), "preview-maps-to unused")
    }
}

fn record_row(row: PreviewRow, width: usize) -> impl IntoView {
    let (class, verdict) = match row.outcome {
        RowOutcome::Accepted => ("accepted", "accepted".to_owned()),
        RowOutcome::Rejected { reason } => ("rejected", format!("rejected: {reason}")),
        RowOutcome::Skipped => ("skipped", "skipped: not a sign-in".to_owned()),
        RowOutcome::Unchecked => ("unchecked", "not checked".to_owned()),
    };
    let place = row
        .line
        .map(|line| line.to_string())
        .unwrap_or_else(|| format!("#{}", row.row));
    let cells = if row.cells.is_empty() {
        view! { <td colspan=width.to_string() class="muted">"—"</td> }.into_any()
    } else {
        let padding = width.saturating_sub(row.cells.len());
        row.cells
            .into_iter()
            .chain(std::iter::repeat_n(String::new(), padding))
            .map(|cell| {
                let full = cell.clone();
                view! { <td title=full>{cell}</td> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <tr class=class>
            <td>{place}</td>
            <td class="preview-verdict">{verdict}</td>
            {cells}
        </tr>
    }
}

/// Field → column, as menus for CSV; for other formats, which fields the records gave.
#[component]
fn MappingTable(
    is_csv: bool,
    columns: Vec<String>,
    fields: Vec<Field>,
    shown: Shown,
    choose: Callback<(Field, Option<String>)>,
) -> impl IntoView {
    let columns = Arc::new(columns);
    let rows = fields
        .into_iter()
        .map(|field| {
            let source = move || {
                shown.with(|shown| {
                    let preview = shown.as_ref()?.as_ref().ok()?;
                    preview
                        .fields
                        .iter()
                        .find(|mapping| mapping.field == field)
                        .cloned()
                })
            };
            let accepted = move || {
                shown.with(|shown| {
                    shown.as_ref().and_then(|shown| shown.as_ref().ok()).map_or(0, |preview| {
                        preview
                            .rows
                            .iter()
                            .filter(|row| row.outcome == RowOutcome::Accepted)
                            .count()
                    })
                })
            };
            let flagged = move || source().is_some_and(|mapping| is_flagged(&mapping));
            let name = field.name();
            let id = format!("mapping-{name}");
            let choice = is_csv.then(|| {
                let columns = Arc::clone(&columns);
                let chosen = move || source().and_then(|mapping| mapping.source.column());
                let found_by_name = move || {
                    source()
                        .is_some_and(|mapping| matches!(mapping.source, FieldSource::Found { .. }))
                };
                let options = columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| {
                        let usable = can_be_mapped(column);
                        view! {
                            <option
                                value=column.clone()
                                disabled=!usable
                                prop:selected=move || chosen() == Some(index)
                            >
                                {column.clone()}
                                {(!usable).then_some(" (cannot be named in a mapping)")}
                            </option>
                        }
                    })
                    .collect_view();
                view! {
                    <select
                        id=id.clone()
                        data-testid=id.clone()
                        aria-invalid=move || flagged().then_some("true")
                        on:change=move |event| {
                            let column = event_target_value(&event);
                            choose.run((field, (!column.is_empty()).then_some(column)));
                        }
                    >
                        <option value="" disabled=found_by_name prop:selected=move || chosen().is_none()>
                            "— not used —"
                        </option>
                        {options}
                    </select>
                }
            });
            view! {
                <tr class:missing=flagged>
                    <th scope="row">
                        {if is_csv {
                            view! { <label for=id>{name}</label> }.into_any()
                        } else {
                            view! { <span>{name}</span> }.into_any()
                        }}
                        {Field::REQUIRED
                            .contains(&field)
                            .then(|| view! { <span class="muted">" (required)"</span> })}
                    </th>
                    {choice.map(|choice| view! { <td>{choice}</td> })}
                    <td class="mapping-status" class:missing=flagged>
                        {move || source().map(|mapping| status(&mapping, accepted()))}
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect_view();
    view! {
        {(!is_csv)
            .then(|| {
                view! {
                    <p class="muted">
                        "This format's fields are read from each record by Sky Trace's own reader; "
                        "the column mapping applies to CSV and TSV files."
                    </p>
                }
            })}
        <div class="table-scroll mapping-scroll" tabindex="0" role="region" aria-label="Column mapping">
            <table class="mapping-table" data-testid="mapping-table">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        {is_csv.then(|| view! { <th scope="col">"Column"</th> })}
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A required field with no column.
fn is_flagged(mapping: &FieldMapping) -> bool {
    mapping.required && mapping.source.column().is_none()
}

/// Where a field comes from, in words; `accepted` is the number of accepted records shown.
fn status(mapping: &FieldMapping, accepted: usize) -> String {
    match &mapping.source {
        FieldSource::Found { .. } => "found by its name".to_owned(),
        FieldSource::Mapped { .. } => "chosen in the mapping".to_owned(),
        FieldSource::MappedColumnAbsent { column } => {
            format!("the mapping names {column:?}, which this file does not have")
        }
        FieldSource::Missing if mapping.required => "required: choose its column".to_owned(),
        FieldSource::Missing => "not in this file".to_owned(),
        FieldSource::FromRecord { with_value, .. } => {
            format!("in {with_value} of the {accepted} accepted records shown")
        }
    }
}

/// Whether [`parse_mapping`] can read a column name back: it splits pairs on commas and trims
/// quotes and spaces from names.
fn can_be_mapped(column: &str) -> bool {
    let name = column.trim();
    !name.is_empty() && !name.contains(',') && !name.starts_with('"') && !name.ends_with('"')
}

/// `mapping` with `field` read from `column`, or left to be found by name when `None`; other
/// choices keep their place.
fn with_choice(mapping: &ColumnMapping, field: Field, column: Option<String>) -> ColumnMapping {
    let mut next = mapping.clone();
    match (next.iter().position(|(chosen, _)| *chosen == field), column) {
        (Some(index), Some(column)) => next[index].1 = column,
        (Some(index), None) => {
            next.remove(index);
        }
        (None, Some(column)) => next.push((field, column)),
        (None, None) => {}
    }
    next
}

/// The mapping as the text [`parse_mapping`] reads: `field=Column, …`.
fn mapping_text(mapping: &ColumnMapping) -> String {
    mapping
        .iter()
        .map(|(field, column)| format!("{}={column}", field.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_choices_become_text_that_parses_back() {
        let typed = parse_mapping("user_id=Login, timestamp=\"When (UTC)\"").unwrap();
        let chosen = with_choice(&typed, Field::IpAddress, Some("Client Address".into()));
        let chosen = with_choice(&chosen, Field::UserId, Some("User = Name".into()));
        let chosen = with_choice(&chosen, Field::Timestamp, None);
        let text = mapping_text(&chosen);
        assert_eq!(text, "user_id=User = Name, ip_address=Client Address");
        assert_eq!(parse_mapping(&text).unwrap(), chosen);
        assert_eq!(with_choice(&chosen, Field::Mfa, None), chosen);
        assert_eq!(mapping_text(&Vec::new()), "");
        assert_eq!(parse_mapping("").unwrap(), Vec::new());
    }

    #[test]
    fn every_mappable_column_survives_the_text() {
        for column in ["Event Time", "IP (source)", "a=b", "Ünïcode", "x.y-z"] {
            assert!(can_be_mapped(column), "{column}");
            let mapping = vec![(Field::UserAgent, column.to_owned())];
            assert_eq!(parse_mapping(&mapping_text(&mapping)).unwrap(), mapping);
        }
        for column in ["City, Country", "\"quoted\"", "  ", ""] {
            assert!(!can_be_mapped(column), "{column}");
        }
    }
}
