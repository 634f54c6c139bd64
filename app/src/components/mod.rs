//! Pieces shared by several pages.

mod empty_state;
mod footer;
mod nav;
mod profile_view;

pub use empty_state::EmptyState;
pub use footer::Footer;
pub use nav::NavBar;
pub use profile_view::{Analysed, ProfileOutcome, ProfileView};
