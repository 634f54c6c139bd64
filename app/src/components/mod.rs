//! Pieces of the pages, most shared by several.

mod allow_list;
mod api_tokens;
mod charts;
mod chosen_log;
mod empty_state;
mod file_picker;
mod footer;
mod interactive_chart;
mod known_formats;
mod login_panel;
mod nav;
mod preview;
mod profile_view;
mod progress_bar;
mod reading_options;
mod report_download;
mod riskiest_users;
mod triage_grid;

pub use allow_list::AllowListEditor;
pub use api_tokens::ApiTokensEditor;
pub use charts::{BarList, LevelBadge, LevelPie, TrendChart, WorldMap};
pub use chosen_log::{ChosenLog, LogReading, ReadSummary, provide_chosen_log, use_chosen_log};
pub use empty_state::EmptyState;
pub use file_picker::{FilePicker, SelectedFile, chosen};
pub use footer::Footer;
pub use interactive_chart::{ECHARTS_PATH, InteractiveChart, THEME_CHANGE_EVENT, WORLD_MAP_PATH};
pub use known_formats::KnownFormats;
pub use login_panel::{LoginPanel, PanelStatus, took};
pub use nav::NavBar;
pub use preview::FilePreview;
pub use profile_view::{Analysed, ProfileOutcome, ProfileView};
pub use progress_bar::{Measure, Progress, ProgressBar};
pub use reading_options::ReadingOptions;
pub use report_download::ReportDownload;
pub use riskiest_users::RiskiestUsers;
pub use triage_grid::{GridRun, TriageGrid};
