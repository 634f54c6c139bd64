//! Fits the engine's calibrated risk model ([`engine::calibration`]) on scenario data.
//!
//! `cargo run --release -p scenario --example calibrate [-- --write]`
//!
//! Data: the calibration seeds ([`scenario::evaluation::CALIBRATION_SEEDS`]) of the main
//! generator's families (office, hybrid, remote), never the seeds the evaluation reports and
//! never the independent `markov` family; each analysed with geolocation, with and without the
//! success column. Labels: attack or not. Each attack type gets the same total weight (so the
//! thousands of spraying attempts do not drown the few dozen takeovers), the attack logins
//! together keep their real share. Model: logistic regression with non-negative coefficients
//! and an L2 penalty, fitted by cyclic coordinate Newton steps projected onto the constraint.
//! Because baselines learn only from logins the model finds ordinary, the inputs depend on the
//! model: the fit is repeated from the shipped model until the coefficients settle.
//!
//! `--write` puts the new constants into `engine/src/calibration.rs`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use engine::calibration::{FITTED, INPUT_NAMES, INPUTS, Model, RiskInputs};
use engine::enrich::{GeoLookup, NoGeolocation};
use engine::{AnalysisConfig, IngestOptions};
use scenario::evaluation::{CALIBRATION_SEEDS, Family};
use scenario::{GeneratedLogin, Label};

/// L2 penalty on the coefficients (not the intercept), in units of total sample weight.
const L2: f64 = 1e-4;
const ITERATIONS: usize = 5;
/// Share of each iteration's fit taken into the next model.
const DAMPING: f64 = 0.5;
const SWEEPS: usize = 300;

struct Sample {
    inputs: Vec<[f64; INPUTS]>,
    labels: Vec<bool>,
    weights: Vec<f64>,
}

fn main() -> ExitCode {
    let write = std::env::args().any(|arg| arg == "--write");
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
    let mut scenarios = Vec::new();
    for family in [Family::Office, Family::Hybrid, Family::Remote] {
        for seed in CALIBRATION_SEEDS {
            match family.generate(seed) {
                Ok((rows, _)) => scenarios.push(rows),
                Err(error) => {
                    eprintln!("{error}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let mut model = FITTED;
    for iteration in 0..ITERATIONS {
        let sample = match collect(&scenarios, geo, &model) {
            Ok(sample) => sample,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        };
        // Damped: the inputs depend on the model through what baselines learn, and a full
        // step can overshoot into a model that learns too little (or too much).
        let fitted = damp(&fit(&sample, &model), &model, DAMPING);
        let change = fitted
            .coefficients
            .iter()
            .zip(&model.coefficients)
            .map(|(a, b)| (a - b).abs())
            .fold((fitted.intercept - model.intercept).abs(), f64::max);
        eprintln!(
            "iteration {iteration}: {} logins, log loss {:.5}, largest change {change:.4}",
            sample.labels.len(),
            log_loss(&sample, &fitted)
        );
        model = fitted;
    }
    let constants = constants(&model);
    println!("{constants}");
    for (name, coefficient) in INPUT_NAMES.iter().zip(&model.coefficients) {
        eprintln!("  {name:<32} {coefficient:>8.4}");
    }
    if write {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../engine/src/calibration.rs");
        let result = std::fs::read_to_string(path).and_then(|text| {
            let start = text
                .find("pub const FITTED: Model = Model {")
                .ok_or_else(|| std::io::Error::other("no FITTED constant"))?;
            let end = start
                + text[start..]
                    .find("\n};\n")
                    .ok_or_else(|| std::io::Error::other("no end of FITTED"))?
                + 4;
            std::fs::write(
                path,
                format!("{}{constants}{}", &text[..start], &text[end..]),
            )
        });
        if let Err(error) = result {
            eprintln!("cannot write {path}: {error}");
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {path}");
    }
    ExitCode::SUCCESS
}

fn collect(
    scenarios: &[Vec<GeneratedLogin>],
    geo: &dyn GeoLookup,
    model: &Model,
) -> Result<Sample, Box<dyn std::error::Error>> {
    let config = AnalysisConfig::default();
    let mut sample = Sample {
        inputs: Vec::new(),
        labels: Vec::new(),
        weights: Vec::new(),
    };
    let mut kinds: Vec<Label> = Vec::new();
    for rows in scenarios {
        let mut csv = Vec::new();
        scenario::write_csv(rows, &mut csv, false)?;
        let events = engine::read_slice(&csv, &IngestOptions::default())?.events;
        let mut blind = events.clone();
        for event in &mut blind {
            event.success = None;
        }
        for version in [&events, &blind] {
            let inputs: Vec<RiskInputs> =
                engine::analysis::calibration_inputs(version, &config, geo, model)?;
            for (row, inputs) in rows.iter().zip(inputs) {
                sample.inputs.push(inputs.values);
                sample.labels.push(row.label.is_attack());
                kinds.push(row.label);
            }
        }
    }
    let mut per_kind: BTreeMap<Label, usize> = BTreeMap::new();
    for kind in &kinds {
        *per_kind.entry(*kind).or_default() += 1;
    }
    let attacks: usize = per_kind
        .iter()
        .filter(|(kind, _)| kind.is_attack())
        .map(|(_, count)| count)
        .sum();
    let attack_kinds = per_kind.keys().filter(|kind| kind.is_attack()).count();
    sample.weights = kinds
        .iter()
        .map(|kind| {
            if kind.is_attack() {
                attacks as f64 / attack_kinds as f64 / per_kind[kind] as f64
            } else {
                1.0
            }
        })
        .collect();
    Ok(sample)
}

fn damp(fitted: &Model, previous: &Model, share: f64) -> Model {
    let mix = |new: f64, old: f64| share * new + (1.0 - share) * old;
    let mut coefficients = previous.coefficients;
    for (coefficient, new) in coefficients.iter_mut().zip(&fitted.coefficients) {
        *coefficient = mix(*new, *coefficient);
    }
    Model {
        intercept: mix(fitted.intercept, previous.intercept),
        coefficients,
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn log_loss(sample: &Sample, model: &Model) -> f64 {
    let (mut loss, mut total) = (0.0, 0.0);
    for ((x, label), weight) in sample
        .inputs
        .iter()
        .zip(&sample.labels)
        .zip(&sample.weights)
    {
        let z = model.intercept
            + x.iter()
                .zip(&model.coefficients)
                .map(|(a, b)| a * b)
                .sum::<f64>();
        let p = sigmoid(z).clamp(1e-12, 1.0 - 1e-12);
        loss -= weight * if *label { p.ln() } else { (1.0 - p).ln() };
        total += weight;
    }
    loss / total
}

/// Cyclic coordinate Newton steps on the weighted, L2-penalised log loss, each coefficient
/// projected onto [0, ∞); the intercept is free.
fn fit(sample: &Sample, start: &Model) -> Model {
    let total_weight: f64 = sample.weights.iter().sum();
    let penalty = L2 * total_weight;
    let mut model = start.clone();
    let mut margins: Vec<f64> = sample
        .inputs
        .iter()
        .map(|x| {
            model.intercept
                + x.iter()
                    .zip(&model.coefficients)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
        })
        .collect();
    for _ in 0..SWEEPS {
        let mut largest_step: f64 = 0.0;
        for coordinate in 0..=INPUTS {
            let value = |inputs: &[f64; INPUTS]| {
                if coordinate == INPUTS {
                    1.0
                } else {
                    inputs[coordinate]
                }
            };
            let (mut gradient, mut curvature) = (0.0, 0.0);
            for (((inputs, margin), label), weight) in sample
                .inputs
                .iter()
                .zip(&margins)
                .zip(&sample.labels)
                .zip(&sample.weights)
            {
                let x = value(inputs);
                if x == 0.0 {
                    continue;
                }
                let p = sigmoid(*margin);
                let y = f64::from(u8::from(*label));
                gradient += weight * (p - y) * x;
                curvature += weight * p * (1.0 - p) * x * x;
            }
            let (current, step) = if coordinate == INPUTS {
                let current = model.intercept;
                (current, -gradient / curvature.max(1e-9))
            } else {
                let current = model.coefficients[coordinate];
                let gradient = gradient + penalty * current;
                let curvature = curvature + penalty;
                (current, -gradient / curvature.max(1e-9))
            };
            let mut next = current + step.clamp(-2.0, 2.0);
            if coordinate < INPUTS {
                next = next.max(0.0);
            }
            let delta = next - current;
            if delta == 0.0 {
                continue;
            }
            largest_step = largest_step.max(delta.abs());
            if coordinate == INPUTS {
                model.intercept = next;
            } else {
                model.coefficients[coordinate] = next;
            }
            for (margin, inputs) in margins.iter_mut().zip(&sample.inputs) {
                *margin += delta * value(inputs);
            }
        }
        if largest_step < 1e-5 {
            break;
        }
    }
    model
}

fn constants(model: &Model) -> String {
    let coefficients: Vec<String> = model
        .coefficients
        .iter()
        .zip(INPUT_NAMES)
        .map(|(value, name)| format!("        {value:.4}, // {name}"))
        .collect();
    format!(
        "pub const FITTED: Model = Model {{\n    intercept: {:.4},\n    coefficients: [\n{}\n    ],\n}};\n",
        model.intercept,
        coefficients.join("\n")
    )
}
