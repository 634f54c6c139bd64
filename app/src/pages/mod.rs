//! One file per page.

mod dashboard;
mod detect;
mod home;
mod login;
mod not_found;
mod reports;
mod settings;
mod upload;

pub use dashboard::DashboardPage;
pub use detect::DetectPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use reports::ReportsPage;
pub use settings::SettingsPage;
pub use upload::UploadPage;
