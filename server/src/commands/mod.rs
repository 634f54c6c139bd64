//! One module per subcommand; [`run`] dispatches.

use std::process::ExitCode;

use crate::cli::Command;

pub mod accounts;
mod analysis_output;
pub mod analyze;
mod analyze_stream;
pub mod bench;
pub mod bench_ingest;
pub mod bench_scale;
pub mod health;
pub mod loadtest;
pub mod lookup;
pub mod notify;
pub mod outliers;
pub mod profile;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod watch;
pub mod worker;

pub use analyze::load_config;

/// Runs one command; its error is the message printed before exiting with status 1.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(args),
        Command::Profile(args) => profile::run(&args),
        Command::Analyze(args) if args.stream => analyze_stream::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Outliers(args) => outliers::run(&args),
        Command::Config(args) => print_config(&args),
        Command::Lookup(args) => lookup::run(&args),
        Command::Generate(args) => scenario::generate(&args),
        Command::Evaluate(args) => scenario::evaluate(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchIngest(args) => match (&args.file, &args.database, &args.nats) {
            (Some(file), Some(database), Some(nats)) => {
                bench_scale::run_blocking(&args, file, database, nats)
            }
            _ => bench_ingest::run(&args),
        },
        Command::Report(args) => report::run(&args),
        Command::NotifyTest(args) => notify::notify_test(&args),
        Command::User(args) => accounts::user(&args),
        Command::Token(args) => accounts::token(&args),
        Command::Loadtest(args) => loadtest::run(&args),
        Command::Health(args) => health::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Worker(args) => worker::run(args),
    }
}

/// Commands whose output is read by another program (`skytrace analyze LOG | head`) end quietly
/// when it stops reading, as Unix tools do, instead of failing on the write. The others keep the
/// signal ignored: a server or a client must not stop because a peer closed a connection.
pub fn end_quietly_when_output_closes(command: &Command) {
    if matches!(
        command,
        Command::Analyze(_)
            | Command::Profile(_)
            | Command::Outliers(_)
            | Command::Config(_)
            | Command::Lookup(_)
            | Command::Evaluate(_)
    ) {
        #[cfg(unix)]
        // SAFETY: puts SIGPIPE back to its default action, before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

/// `skytrace config`: the settings (defaults, or the file's) as TOML.
fn print_config(args: &crate::cli::ConfigArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    print!("{}", toml::to_string_pretty(&config)?);
    Ok(ExitCode::SUCCESS)
}

/// A runtime for a command that needs the database or the network once.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
