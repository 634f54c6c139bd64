//! `skytrace`: parses the command line and runs the command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = server::cli::Cli::parse();
    server::commands::end_quietly_when_output_closes(&cli.command);
    server::init_logging();
    match server::commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("skytrace: {error:#}");
            ExitCode::FAILURE
        }
    }
}
