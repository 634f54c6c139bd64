//! The engine's accuracy across scenario families and seeds.
//!
//! `cargo run --release -p scenario --example evaluate -- --seeds 1,2,3 --families all
//! [--without-success] [--json] [--details]`
//!
//! Geolocation comes from `geodata/` (run from the repository root).

use std::process::ExitCode;

use engine::AnalysisConfig;
use engine::enrich::{GeoLookup, NoGeolocation};
use scenario::evaluation::{Family, REPORT_SEEDS, Run, evaluate_all, headline};

struct Options {
    seeds: Vec<u64>,
    families: Vec<Family>,
    without_success: bool,
    json: bool,
    details: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        seeds: REPORT_SEEDS.to_vec(),
        families: Family::ALL.to_vec(),
        without_success: false,
        json: false,
        details: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seeds" => {
                let list = args.next().ok_or("--seeds needs a list")?;
                options.seeds = list
                    .split(',')
                    .map(|seed| seed.trim().parse().map_err(|_| format!("bad seed {seed}")))
                    .collect::<Result<_, _>>()?;
            }
            "--families" => {
                let list = args.next().ok_or("--families needs a list")?;
                if list != "all" {
                    options.families = list
                        .split(',')
                        .map(|name| {
                            Family::from_name(name.trim())
                                .ok_or_else(|| format!("unknown family {name}"))
                        })
                        .collect::<Result<_, _>>()?;
                }
            }
            "--without-success" => options.without_success = true,
            "--json" => options.json = true,
            "--details" => options.details = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let database = match geolocation::open_optional(None, Vec::new()) {
        Ok(database) => database,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let geo: &dyn GeoLookup = match &database {
        Some(database) => database,
        None => &NoGeolocation,
    };
    if !options.json {
        println!(
            "{:<8} {:>4} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>9} {:>9}",
            "family",
            "seed",
            "users",
            "event",
            "takeover",
            "stealthy",
            "benign",
            "account",
            "account",
            "incidents",
            "no-succ.",
            "logins/s"
        );
        println!(
            "{:<8} {:>4} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>9} {:>9}",
            "",
            "",
            "",
            "ROC-AUC",
            "ROC-AUC",
            "ROC-AUC",
            "High+ %",
            "prec.",
            "recall",
            "/1k users",
            "ROC-AUC",
            ""
        );
    }
    let details = options.details;
    let json = options.json;
    let report = evaluate_all(
        &options.families,
        &options.seeds,
        &AnalysisConfig::default(),
        geo,
        options.without_success,
        |run| {
            if !json {
                print_run(run, details);
            }
        },
    );
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    if options.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    println!("\nspread over seeds (min / median / max)");
    for family in &report.spread {
        println!("{} ({} seeds)", family.family, family.seeds);
        for (name, spread) in &family.figures {
            println!(
                "  {name:<26} {:>10.4} {:>10.4} {:>10.4}",
                spread.min, spread.median, spread.max
            );
        }
    }
    ExitCode::SUCCESS
}

fn print_run(run: &Run, details: bool) {
    let figure = |name: &str| {
        headline(run)
            .into_iter()
            .find(|(key, _)| *key == name)
            .map_or(f64::NAN, |(_, value)| value)
    };
    println!(
        "{:<8} {:>4} {:>6} {:>8.4} {:>8.4} {:>8.4} {:>8.3} {:>8.3} {:>8.3} {:>10.1} {:>9.4} {:>9.0}",
        run.family,
        run.seed,
        run.users,
        figure("event_roc_auc"),
        figure("takeover_roc_auc"),
        figure("stealthy_roc_auc"),
        figure("benign_high_pct"),
        figure("account_precision"),
        figure("account_recall"),
        figure("incidents_per_1000_users"),
        figure("without_success_roc_auc"),
        figure("logins_per_sec"),
    );
    if !details {
        return;
    }
    for (name, metrics) in &run.events.by_attack {
        println!(
            "    {name:<22} n={:<5} ROC-AUC {:.4}  High+ {:.2}",
            metrics.positives,
            metrics.roc_auc,
            run.events
                .attack_high_or_above
                .get(name)
                .copied()
                .unwrap_or(0.0)
        );
    }
    for accounts in [&run.accounts, &run.accounts_with_risky_success] {
        println!(
            "    accounts ({}): flagged {} compromised {} caught {}",
            accounts.definition, accounts.flagged, accounts.compromised, accounts.true_positives
        );
        for (name, of_attack) in &accounts.by_attack {
            println!(
                "      {name:<22} {} of {}",
                of_attack.flagged, of_attack.compromised
            );
        }
    }
    println!(
        "    suspicious accounts {}, campaigns {}, incidents {}",
        run.suspicious_accounts, run.campaigns, run.incidents
    );
    println!(
        "    benign High+ ({}) by findings:",
        run.events.benign_high_or_above_count
    );
    for (key, count) in run.benign_high_drivers.iter().take(8) {
        println!("      {count:>6} {key}");
    }
}
