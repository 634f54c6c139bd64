//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "skytrace",
    version,
    about = "Find account takeovers and login attacks in sign-in logs",
    long_about = "Sky Trace scores sign-in logs for account takeover and login attacks. \
                  `skytrace serve` starts the web app; the other commands work on files from the terminal."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web app.
    Serve(ServeArgs),
    /// Read a sign-in CSV and print its profile: rows read, accepted and rejected (with line and
    /// reason), users, IP addresses, time range. Exits with status 2 when the file cannot be read
    /// as a sign-in log at all.
    Profile(ProfileArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SKYTRACE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory for the database and uploaded data (created if missing).
    #[arg(long, env = "SKYTRACE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory with the built site (pkg/ with the wasm and CSS, and the public assets).
    /// Default: `site` beside the binary's target directory (target/site), else ./target/site.
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Largest accepted upload, in megabytes (MiB).
    #[arg(long, env = "SKYTRACE_MAX_UPLOAD_MB", default_value_t = 100)]
    pub max_upload_mb: u64,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The CSV file (`timestamp,user_id,ip_address,user_agent[,success]`).
    pub file: PathBuf,
    /// Print the profile as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name, e.g. Europe/Oslo).
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
}
