//! Pieces shared by several pages.

mod empty_state;
mod file_picker;
mod footer;
mod nav;
mod profile_view;
mod reading_options;

pub use empty_state::EmptyState;
pub use file_picker::FilePicker;
pub use footer::Footer;
pub use nav::NavBar;
pub use profile_view::{Analysed, ProfileOutcome, ProfileView};
pub use reading_options::ReadingOptions;
