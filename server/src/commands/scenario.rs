//! `skytrace generate` and `skytrace evaluate`: the labelled scenario generator, and the
//! engine's accuracy measured on it.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use scenario::evaluation::{Family, Report, Run, evaluate_all, evaluate_rows, headline};
use scenario::{self, ScenarioParams};

use super::analyze::load_config;
use crate::cli::{EvaluateArgs, EvaluatedScenario, GenerateArgs, Preset};

fn params(preset: Preset, seed: Option<u64>) -> ScenarioParams {
    let mut params = match preset {
        Preset::Sample => ScenarioParams::sample(),
        Preset::Evaluation => ScenarioParams::evaluation(),
    };
    if let Some(seed) = seed {
        params.seed = seed;
    }
    params
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let mut params = params(args.preset, args.seed);
    if let Some(users) = args.users {
        params.users = users;
    }
    if let Some(days) = args.days {
        params.days = days;
    }
    let rows = scenario::generate(&params)?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    scenario::write_csv(&rows, &mut out, args.labels)?;
    out.flush()?;
    eprintln!("wrote {} logins to {}", rows.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    let geo = super::lookup::open_for(&args.geo)?;
    let mut families = Vec::new();
    let mut sample = false;
    for choice in &args.family {
        match choice {
            EvaluatedScenario::Family(family) => families.push(*family),
            EvaluatedScenario::All => families.extend(Family::ALL),
            EvaluatedScenario::Sample => sample = true,
        }
    }
    families.dedup();
    let json = args.json;
    if !json {
        print_header();
    }
    let mut runs = Vec::new();
    if sample {
        for seed in &args.seeds {
            let mut params = ScenarioParams::sample();
            params.seed = *seed;
            let rows = scenario::generate(&params)?;
            let mut run = evaluate_rows(
                &rows,
                params.users,
                &config,
                geo.as_ref(),
                args.without_success,
            )?;
            run.family = "sample";
            run.seed = *seed;
            if !json {
                print_run(&run, args.details);
            }
            runs.push(run);
        }
    }
    let report = evaluate_all(
        &families,
        &args.seeds,
        &config,
        geo.as_ref(),
        args.without_success,
        |run| {
            if !json {
                print_run(run, args.details);
            }
        },
    )?;
    let report = Report {
        spread: report.spread,
        runs: runs.into_iter().chain(report.runs).collect(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.seeds.len() > 1 && !report.spread.is_empty() {
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
    }
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: [(&str, &str, &str); 11] = [
    ("users", "", "users"),
    ("event", "ROC-AUC", "event_roc_auc"),
    ("takeover", "ROC-AUC", "takeover_roc_auc"),
    ("stealthy", "ROC-AUC", "stealthy_roc_auc"),
    ("benign", "High+ %", "benign_high_pct"),
    ("account", "prec.", "account_precision"),
    ("account", "recall", "account_recall"),
    ("incidents", "/1k users", "incidents_per_1000_users"),
    ("no-succ.", "ROC-AUC", "without_success_roc_auc"),
    ("logins/s", "", "logins_per_sec"),
    ("secs", "", "analysis_secs"),
];

fn print_header() {
    let mut first = format!("{:<8} {:>4}", "family", "seed");
    let mut second = format!("{:<8} {:>4}", "", "");
    for (top, bottom, _) in COLUMNS {
        first.push_str(&format!(" {top:>9}"));
        second.push_str(&format!(" {bottom:>9}"));
    }
    println!("{first}\n{second}");
}

fn print_run(run: &Run, details: bool) {
    let figures = headline(run);
    let figure = |name: &str| match name {
        "users" => run.users as f64,
        "analysis_secs" => run.analysis_secs,
        _ => figures
            .iter()
            .find(|(key, _)| *key == name)
            .map_or(f64::NAN, |(_, value)| *value),
    };
    let mut line = format!("{:<8} {:>4}", run.family, run.seed);
    for (_, _, name) in COLUMNS {
        let value = figure(name);
        let cell = if value.is_nan() {
            "-".to_owned()
        } else if matches!(name, "users" | "logins_per_sec") {
            format!("{value:.0}")
        } else if matches!(name, "incidents_per_1000_users" | "analysis_secs") {
            format!("{value:.1}")
        } else {
            format!("{value:.4}")
        };
        line.push_str(&format!(" {cell:>9}"));
    }
    println!("{line}");
    if !details {
        return;
    }
    for (name, metrics) in &run.events.by_attack {
        println!(
            "    {name:<22} n={:<5} ROC-AUC {:.4}  AP {:.4}  High+ {:.2}",
            metrics.positives,
            metrics.roc_auc,
            metrics.average_precision,
            run.events
                .attack_high_or_above
                .get(name)
                .copied()
                .unwrap_or(0.0)
        );
    }
    for accounts in [&run.accounts, &run.accounts_with_risky_success] {
        println!(
            "    accounts ({}): flagged {}, compromised {}, caught {}",
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
    if run.benign_high_drivers.is_empty() {
        return;
    }
    println!(
        "    benign logins at High or above: {}, by the findings that drove them:",
        run.events.benign_high_or_above_count
    );
    for (key, count) in run.benign_high_drivers.iter().take(8) {
        println!("      {count:>6} {key}");
    }
}
