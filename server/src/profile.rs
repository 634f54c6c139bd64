//! `skytrace profile FILE`: the upload page's profile, on the terminal.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use app::format::count;
use engine::{DataProfile, IngestOptions, time::format_utc};

use crate::cli::ProfileArgs;

/// Exit status for input that cannot be analysed at all.
pub const EXIT_UNUSABLE_INPUT: u8 = 2;

pub fn run(args: &ProfileArgs) -> anyhow::Result<ExitCode> {
    let timezone = jiff::tz::TimeZone::get(&args.timezone)
        .with_context(|| format!("unknown time zone {:?}", args.timezone))?;
    let content = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let profile = match engine::profile_csv(&content, &IngestOptions { timezone }) {
        Ok(profile) => profile,
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
    let rows = [
        ("rows read", count(profile.rows_read)),
        ("accepted", count(profile.accepted)),
        ("rejected", count(profile.rejected)),
        ("users", count(profile.distinct_users)),
        ("IP addresses", count(profile.distinct_ips)),
        ("successful logins", count(profile.successes)),
        ("failed logins", count(profile.failures)),
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
            "rejected rows (showing {} of {}):",
            count(profile.rejected_rows.len() as u64),
            count(profile.rejected)
        );
        for row in &profile.rejected_rows {
            let _ = writeln!(out, "  line {}: {}", row.line, row.reason);
        }
    }
    out
}
