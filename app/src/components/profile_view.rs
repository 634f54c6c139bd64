use std::fmt::Write as _;

use engine::ingest::MAX_KEPT_REJECTIONS;
use engine::{DataProfile, RejectedRow, time::format_utc};
use leptos::prelude::*;
use reports::csv_safety::neutralise;

use crate::browser::download_text;
use service::text::count;

/// Where a profile was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Analysed {
    OnServer,
    InBrowser,
}

/// The answer to "profile this file", from either place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileOutcome {
    pub file_name: String,
    pub analysed: Analysed,
    pub result: Result<DataProfile, String>,
}

#[component]
pub fn ProfileView(outcome: ProfileOutcome) -> impl IntoView {
    let badge = match outcome.analysed {
        Analysed::OnServer => {
            view! { <span class="badge" data-testid="analysed-where">"Analysed on the server"</span> }
        }
        Analysed::InBrowser => view! {
            <span class="badge local" data-testid="analysed-where">"Analysed locally — nothing left your browser"</span>
        },
    };
    let ProfileOutcome {
        file_name,
        analysed,
        result,
    } = outcome;
    match result {
        Err(message) => view! {
            <section class="result error" role="alert" data-testid="profile-error">
                <h2>"Cannot analyse " {file_name}</h2>
                <p>{message}</p>
                {badge}
            </section>
        }
        .into_any(),
        Ok(profile) => view! {
            <section class="result" data-testid="profile">
                <header class="result-header">
                    <h2>"Profile of " {file_name.clone()}</h2>
                    {badge}
                </header>
                <ProfileStats profile=profile.clone() />
                <RejectedRows profile file_name analysed />
            </section>
        }
        .into_any(),
    }
}

#[component]
fn ProfileStats(profile: DataProfile) -> impl IntoView {
    let time_or_dash = |ms: Option<i64>| ms.map(format_utc).unwrap_or_else(|| "—".to_owned());
    let mut format = profile.format.label().to_owned();
    if profile.gzip {
        format.push_str(", gzip");
    }
    if profile.encoding != engine::ingest::TextEncoding::Utf8 {
        format = format!("{format}, {}", profile.encoding.as_str());
    }
    let stats = [
        ("format", "Format", format),
        ("lines", "Physical lines", count(profile.physical_lines)),
        ("rows-read", "Records read", count(profile.rows_read)),
        ("accepted", "Accepted", count(profile.accepted)),
        ("rejected", "Rejected", count(profile.rejected)),
        (
            "skipped",
            "Skipped (not sign-ins)",
            count(profile.skipped_total()),
        ),
        ("users", "Distinct users", count(profile.distinct_users)),
        ("ips", "Distinct IP addresses", count(profile.distinct_ips)),
        ("successes", "Successful logins", count(profile.successes)),
        ("failures", "Failed logins", count(profile.failures)),
        (
            "interrupted",
            "Interrupted (asked for more)",
            count(profile.interrupted),
        ),
        (
            "first-seen",
            "First login",
            time_or_dash(profile.first_timestamp_ms),
        ),
        (
            "last-seen",
            "Last login",
            time_or_dash(profile.last_timestamp_ms),
        ),
    ];
    view! {
        <dl class="stats">
            {stats
                .into_iter()
                .map(|(id, label, value)| {
                    view! {
                        <div class="stat">
                            <dt>{label}</dt>
                            <dd data-testid=id>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
        {(!profile.columns.is_empty())
            .then(|| {
                view! {
                    <p class="muted">
                        "Columns: " {profile.columns.join(", ")}
                        {(!profile.extra_columns.is_empty())
                            .then(|| {
                                format!(" (passed through: {})", profile.extra_columns.join(", "))
                            })}
                    </p>
                }
            })}
        {(!profile.skipped.is_empty())
            .then(|| {
                let kinds = profile
                    .skipped
                    .iter()
                    .map(|(kind, number)| format!("{kind} ({})", count(*number)))
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <p class="muted" data-testid="skipped-kinds">
                        "Skipped, by event type: " {kinds}
                    </p>
                }
            })}
    }
}

#[component]
fn RejectedRows(profile: DataProfile, file_name: String, analysed: Analysed) -> impl IntoView {
    if profile.rejected == 0 {
        return view! { <p class="ok" data-testid="no-rejections">"Every record was accepted."</p> }
            .into_any();
    }
    let shown = profile.rejected_rows.len() as u64;
    let known = profile.known_rejected_rows().count() as u64;
    let rejected = profile.rejected;
    let listed = if shown < rejected {
        format!(
            "The first {} of {} rejected records:",
            count(shown),
            count(rejected)
        )
    } else {
        format!("All {} rejected records:", count(rejected))
    };
    let download_holds = match analysed {
        _ if known == rejected => format!("The download has all {}.", count(rejected)),
        Analysed::OnServer => format!(
            "The server sends only the first {}, so the download has those; \"Check locally\" reads the whole file in your browser and downloads every one.",
            count(known)
        ),
        Analysed::InBrowser => format!(
            "Sky Trace keeps the first {} rejected records of a file, so the download has those {}.",
            count(MAX_KEPT_REJECTIONS as u64),
            count(known)
        ),
    };
    let rows = profile.rejected_rows.clone();
    let failed = RwSignal::new(None::<String>);
    let download = move |_| {
        let csv = rejections_csv(profile.known_rejected_rows());
        failed.set(download_text(&rejections_file_name(&file_name), "text/csv", &csv).err());
    };
    view! {
        <h3>"Rejected records"</h3>
        <div class="actions">
            <button type="button" class="button" data-testid="download-rejections" on:click=download>
                "Download rejected rows (CSV)"
            </button>
            <span class="muted" data-testid="download-rejections-note">{download_holds}</span>
            <span class="error-text" role="status">
                {move || failed.get().map(|error| format!("Cannot download: {error}"))}
            </span>
        </div>
        <p class="muted">{listed}</p>
        <div class="table-scroll" tabindex="0">
            <table class="rejections" data-testid="rejections">
                <thead>
                    <tr>
                        <th scope="col">"Where"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    <td>{row.location()}</td>
                                    <td>{row.reason}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Rejected rows as CSV, `row,line,reason`: quoted where a cell needs it, and a reason that a
/// spreadsheet could run as a formula neutralised. The line is empty inside a JSON array.
pub fn rejections_csv<'a>(rows: impl IntoIterator<Item = &'a RejectedRow>) -> String {
    let mut csv = String::from("row,line,reason\n");
    for row in rows {
        let line = row.line.map(|line| line.to_string()).unwrap_or_default();
        let reason = csv_cell(&neutralise(&row.reason));
        let _ = writeln!(csv, "{},{line},{reason}", row.row);
    }
    csv
}

fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// `logins.csv.gz` → `logins-rejected.csv`.
fn rejections_file_name(file_name: &str) -> String {
    let name = file_name.strip_suffix(".gz").unwrap_or(file_name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = if stem.is_empty() { "log" } else { stem };
    format!("{stem}-rejected.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(row: u64, line: Option<u64>, reason: &str) -> RejectedRow {
        RejectedRow {
            row,
            line,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn rejections_are_quoted_as_csv() {
        let rows = [
            rejected(
                2,
                Some(3),
                "bad timestamp: \"soon\" (expected ISO 8601, epoch)",
            ),
            rejected(5, None, "empty user_id"),
            rejected(7, Some(9), "unreadable record: line one\nline two"),
            rejected(8, Some(10), "=HYPERLINK(\"x\")"),
        ];
        assert_eq!(
            rejections_csv(&rows),
            "row,line,reason\n\
             2,3,\"bad timestamp: \"\"soon\"\" (expected ISO 8601, epoch)\"\n\
             5,,empty user_id\n\
             7,9,\"unreadable record: line one\nline two\"\n\
             8,10,\"'=HYPERLINK(\"\"x\"\")\"\n"
        );
        assert_eq!(rejections_csv(&[]), "row,line,reason\n");
    }

    #[test]
    fn the_download_is_named_after_the_file() {
        assert_eq!(rejections_file_name("logins.csv.gz"), "logins-rejected.csv");
        assert_eq!(
            rejections_file_name("vpn.export.tsv"),
            "vpn.export-rejected.csv"
        );
        assert_eq!(rejections_file_name("auth"), "auth-rejected.csv");
        assert_eq!(rejections_file_name(".csv"), "log-rejected.csv");
    }
}
