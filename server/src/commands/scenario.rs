//! `skytrace generate` and `skytrace evaluate`: the labelled scenario generator, and the
//! engine's accuracy measured on it.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use engine::evaluation::{RankingMetrics, ranking_metrics};
use engine::{IngestOptions, RiskLevel};
use scenario::{self, GeneratedLogin, Label, ScenarioParams};
use serde::Serialize;

use super::analyze::{analyze_with_progress, load_config};
use crate::cli::{EvaluateArgs, GenerateArgs, Preset};

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
    let rows = scenario::generate(&params)?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    scenario::write_csv(&rows, &mut out, args.labels)?;
    out.flush()?;
    eprintln!("wrote {} logins to {}", rows.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Evaluation {
    preset: String,
    seed: u64,
    success_column: bool,
    logins: usize,
    overall: RankingMetrics,
    by_attack: BTreeMap<&'static str, RankingMetrics>,
    benign_high_or_above: f64,
    attacks_high_or_above: f64,
    levels_of_attacks: BTreeMap<&'static str, usize>,
    analysis_secs: f64,
}

pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let params = params(args.preset, args.seed);
    let rows = scenario::generate(&params)?;
    let report = evaluate_rows(&rows, args, &params)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} logins ({} preset, seed {}), success column {}; analysed in {:.2} s",
        report.logins,
        report.preset,
        report.seed,
        if report.success_column {
            "kept"
        } else {
            "removed"
        },
        report.analysis_secs
    );
    println!(
        "{:<24} {:>9} {:>8} {:>8} {:>14}",
        "attack", "positives", "ROC-AUC", "AP", "recall@1%FPR"
    );
    let line = |name: &str, metrics: &RankingMetrics| {
        println!(
            "{name:<24} {:>9} {:>8.4} {:>8.4} {:>14.4}",
            metrics.positives,
            metrics.roc_auc,
            metrics.average_precision,
            metrics.recall_at_1pct_fpr
        );
    };
    line("all attacks", &report.overall);
    for (name, metrics) in &report.by_attack {
        line(name, metrics);
    }
    println!(
        "benign logins at High or above: {:.2}%; attack logins at High or above: {:.2}%",
        report.benign_high_or_above * 100.0,
        report.attacks_high_or_above * 100.0
    );
    Ok(ExitCode::SUCCESS)
}

fn evaluate_rows(
    rows: &[GeneratedLogin],
    args: &EvaluateArgs,
    params: &ScenarioParams,
) -> anyhow::Result<Evaluation> {
    let config = load_config(args.config.as_deref())?;
    let mut csv = Vec::new();
    scenario::write_csv(rows, &mut csv, false)?;
    let started = Instant::now();
    let mut ingested = engine::read_slice(&csv, &IngestOptions::default())?;
    anyhow::ensure!(
        ingested.events.len() == rows.len(),
        "the generator wrote rows the engine rejected"
    );
    if args.without_success {
        for event in &mut ingested.events {
            event.success = None;
        }
    }
    let geo = super::lookup::open_for(&args.geo)?;
    let analysis = analyze_with_progress(&ingested, &config, geo.as_ref())?;
    let analysis_secs = started.elapsed().as_secs_f64();

    let scores: Vec<f64> = analysis
        .events
        .iter()
        .map(|event| event.risk_score)
        .collect();
    let attack: Vec<bool> = rows.iter().map(|row| row.label.is_attack()).collect();
    let overall = ranking_metrics(&scores, &attack).context("the scenario has no attacks")?;
    let mut by_attack = BTreeMap::new();
    for label in Label::ALL.into_iter().filter(|label| label.is_attack()) {
        let (subset_scores, subset_labels): (Vec<f64>, Vec<bool>) = rows
            .iter()
            .zip(&scores)
            .filter(|(row, _)| row.label == label || row.label == Label::Normal)
            .map(|(row, score)| (*score, row.label == label))
            .unzip();
        if let Some(metrics) = ranking_metrics(&subset_scores, &subset_labels) {
            by_attack.insert(label.as_str(), metrics);
        }
    }
    let share_high = |attacks: bool| {
        let (high, total) = rows
            .iter()
            .zip(&analysis.events)
            .filter(|(row, _)| row.label.is_attack() == attacks)
            .fold((0usize, 0usize), |(high, total), (_, event)| {
                (
                    high + usize::from(event.risk_level >= RiskLevel::High),
                    total + 1,
                )
            });
        high as f64 / total.max(1) as f64
    };
    let mut levels_of_attacks = BTreeMap::new();
    for (row, event) in rows.iter().zip(&analysis.events) {
        if row.label.is_attack() {
            *levels_of_attacks
                .entry(event.risk_level.as_str())
                .or_insert(0) += 1;
        }
    }
    Ok(Evaluation {
        preset: format!("{:?}", args.preset).to_lowercase(),
        seed: params.seed,
        success_column: !args.without_success,
        logins: rows.len(),
        overall,
        by_attack,
        benign_high_or_above: share_high(false),
        attacks_high_or_above: share_high(true),
        levels_of_attacks,
        analysis_secs,
    })
}
