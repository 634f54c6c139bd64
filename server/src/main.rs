//! `skytrace`: the Sky Trace web server and command-line interface.

mod accounts;
mod analyze;
mod auth;
mod bench;
mod cli;
mod config_file;
mod geo;
mod input;
mod notify;
mod outliers;
mod profile;
mod report;
mod scenario;
mod store;
mod web;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let outcome = match cli.command {
        Command::Serve(args) => web::serve(args),
        Command::Profile(args) => profile::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Outliers(args) => outliers::run(&args),
        Command::Config(args) => print_config(&args),
        Command::Lookup(args) => geo::lookup_command(&args),
        Command::Generate(args) => scenario::generate(&args),
        Command::Evaluate(args) => scenario::evaluate(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Report(args) => report::run(&args),
        Command::NotifyTest(args) => notify::notify_test(&args),
        Command::User(args) => accounts::user(&args),
        Command::Token(args) => accounts::token(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("skytrace: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_config(args: &cli::ConfigArgs) -> anyhow::Result<ExitCode> {
    let config = analyze::load_config(args.config.as_deref())?;
    print!("{}", toml::to_string_pretty(&config)?);
    Ok(ExitCode::SUCCESS)
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: info).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
