//! `skytrace profile FILE`: the upload page's profile, on the terminal.

use std::fmt::Write as _;
use std::process::ExitCode;

use engine::{DataProfile, time::format_utc};
use service::text::count;

use crate::cli::ProfileArgs;

/// Exit status for input that cannot be analysed at all.
pub const EXIT_UNUSABLE_INPUT: u8 = 2;

pub fn run(args: &ProfileArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::config_file::input(args.config.as_deref())?;
    let profile = match crate::input::read(&args.input, &settings, &args.file)? {
        Ok(ingested) => DataProfile::of(&ingested),
        Err(error) => {
            eprintln!("skytrace: cannot analyse {}: {error}", args.file.display());
            return Ok(ExitCode::from(EXIT_UNUSABLE_INPUT));
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&profile)?);
    } else {
        print!("{}", render(&args.file.display().to_string(), &profile));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(name: &str, profile: &DataProfile) -> String {
    let time = |ms: Option<i64>| ms.map(format_utc).unwrap_or_else(|| "—".into());
    let mut format = profile.format.name().to_owned();
    if profile.gzip {
        format.push_str(", gzip");
    }
    if profile.encoding != engine::ingest::TextEncoding::Utf8 {
        format = format!("{format}, {}", profile.encoding.as_str());
    }
    let rows = [
        ("format", format),
        ("physical lines", count(profile.physical_lines)),
        ("records read", count(profile.rows_read)),
        ("accepted", count(profile.accepted)),
        ("rejected", count(profile.rejected)),
        ("skipped", count(profile.skipped_total())),
        ("users", count(profile.distinct_users)),
        ("IP addresses", count(profile.distinct_ips)),
        ("successful logins", count(profile.successes)),
        ("failed logins", count(profile.failures)),
        ("interrupted", count(profile.interrupted)),
        ("outcome unknown", count(profile.outcome_unknown())),
        ("first login", time(profile.first_timestamp_ms)),
        ("last login", time(profile.last_timestamp_ms)),
    ];
    let mut out = format!("{name}\n");
    for (label, value) in rows {
        let _ = writeln!(out, "  {label:<18} {value:>20}");
    }
    if !profile.rejected_rows.is_empty() {
        let _ = writeln!(
            out,
            "rejected records (showing {} of {}):",
            count(profile.rejected_rows.len() as u64),
            count(profile.rejected)
        );
        for row in &profile.rejected_rows {
            let _ = writeln!(out, "  {}: {}", row.location(), row.reason);
        }
    }
    if !profile.skipped.is_empty() {
        let _ = writeln!(out, "skipped records (not sign-ins), by type:");
        for (kind, number) in &profile.skipped {
            let _ = writeln!(out, "  {kind:<40} {:>12}", count(*number));
        }
    }
    out
}
