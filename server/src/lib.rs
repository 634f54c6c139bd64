//! The `skytrace` program as a library: the command line ([`cli`]), each command
//! ([`commands`]), and the web server ([`web`]: the Leptos pages, the REST API and sign-in on
//! axum). The binary only parses the command line and dispatches.

mod activity_relay;
pub mod cli;
pub mod commands;
pub mod config_file;
pub mod event_log;
mod input;
pub mod lines;
pub mod memory;
pub mod syslog;
pub mod web;

/// Logs go to stderr, filtered by `RUST_LOG` (default: info).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
