//! The log a person chose, shared by the Upload and Detection pages so that upload → profile →
//! analyse needs one pick of the file (in the browser, across client-side navigation), and the
//! fold that tucks its picker, reading options and preview away once the file has been read.

use engine::DataProfile;
use leptos::prelude::*;

use super::{FilePicker, FilePreview, ReadingOptions, SelectedFile};
use service::reading::AUTO;
use service::text::count;

/// The chosen file, how to read it, and how it was last read.
#[derive(Clone, Copy)]
pub struct ChosenLog {
    pub file: SelectedFile,
    pub format: RwSignal<String>,
    pub mapping: RwSignal<String>,
    /// How the chosen file was last read (profiled or analysed), for the folded summary.
    pub read: RwSignal<Option<ReadSummary>>,
}

impl ChosenLog {
    pub fn new() -> Self {
        Self {
            file: RwSignal::new(None),
            format: RwSignal::new(AUTO.to_owned()),
            mapping: RwSignal::new(String::new()),
            read: RwSignal::new(None),
        }
    }

    /// The name of the chosen file, if any.
    pub fn file_name(&self) -> Option<String> {
        self.file.with(|file| file.as_ref().map(|file| file.name()))
    }
}

impl Default for ChosenLog {
    fn default() -> Self {
        Self::new()
    }
}

/// Shares one chosen log with every page (called once, by the app).
pub fn provide_chosen_log() {
    provide_context(ChosenLog::new());
}

/// The app's chosen log (a fresh one where none is provided).
pub fn use_chosen_log() -> ChosenLog {
    use_context::<ChosenLog>().unwrap_or_default()
}

/// How a file was read: what the folded summary says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSummary {
    pub file_name: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub format: String,
}

impl ReadSummary {
    pub fn of(file_name: &str, profile: &DataProfile) -> Self {
        Self {
            file_name: file_name.to_owned(),
            rows_read: profile.rows_read,
            accepted: profile.accepted,
            rejected: profile.rejected,
            format: profile.format.label().to_owned(),
        }
    }

    /// "Read 4,519 rows of sample-logins.csv as CSV; 2 rejected".
    pub fn sentence(&self) -> String {
        format!(
            "Read {} rows of {} as {}; {} rejected",
            count(self.rows_read),
            self.file_name,
            self.format,
            count(self.rejected)
        )
    }
}

/// The file picker, the reading options and the preview with its column mapping; folded into
/// one line (which opens them again) when `folded` says the file has been read.
#[component]
pub fn LogReading(
    chosen: ChosenLog,
    busy: RwSignal<Option<&'static str>>,
    #[prop(into)] on_choose: Callback<()>,
    #[prop(into)] on_error: Callback<String>,
    /// Whether to fold: the file was read and its results are shown.
    #[prop(into)]
    folded: Signal<bool>,
) -> impl IntoView {
    let ChosenLog {
        file,
        format,
        mapping,
        read,
    } = chosen;
    let summary = move || {
        if !folded.get() {
            return "The log and how to read it".to_owned();
        }
        let chosen_name = chosen.file_name();
        match read.get() {
            Some(read) if chosen_name.as_deref() == Some(read.file_name.as_str()) => {
                format!(
                    "{} — show the file, reading options and preview",
                    read.sentence()
                )
            }
            _ => "Analyse another log — choose a file".to_owned(),
        }
    };
    view! {
        <details class="log-reading" open=move || !folded.get() data-testid="log-reading">
            <summary data-testid="log-summary">{summary}</summary>
            {view! {
                <FilePicker selected=file busy on_choose on_error />
                <ReadingOptions format mapping />
                <FilePreview selected=file format mapping />
            }
                .into_any()}
        </details>
    }
}
