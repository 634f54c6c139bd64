//! Scratch diagnostics (not committed).
use engine::{AnalysisConfig, IngestOptions, RiskLevel};
use scenario::evaluation::Family;
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let family = Family::from_name(&args[1]).unwrap();
    let seed: u64 = args[2].parse().unwrap();
    let mode = args.get(3).cloned().unwrap_or_default();
    let db = geolocation::open_optional(None, Vec::new())
        .unwrap()
        .unwrap();
    let (rows, _) = family.generate(seed).unwrap();
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).unwrap();
    let events = engine::read_slice(&csv, &IngestOptions::default())
        .unwrap()
        .events;
    let analysis = engine::analyze(&events, &AnalysisConfig::default(), &db, |_| {}).unwrap();
    if mode == "user" {
        let who = &args[4];
        let from = args.get(5).cloned().unwrap_or_default();
        for (i, r) in rows
            .iter()
            .enumerate()
            .filter(|(_, r)| &r.user_id == who && r.timestamp.to_string() >= from)
            .take(40)
        {
            let e = &analysis.events[i];
            println!(
                "   {} {:?} {} {:.3} {:?} {} {:?}/{:?} asn={:?} net={:?} dev={} km/h={:?} | {}",
                r.timestamp,
                r.label,
                r.success,
                e.risk_score,
                e.risk_level,
                e.ip,
                e.city,
                e.country,
                e.asn,
                e.network,
                e.device,
                e.travel_kmh.map(|v| v as i64),
                e.reasons()
            );
        }
        return;
    }
    let inputs = engine::analysis::calibration_inputs(
        &events,
        &AnalysisConfig::default(),
        &db,
        &engine::calibration::FITTED,
    )
    .unwrap();
    let mut compromised: BTreeMap<&str, scenario::Label> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.label.is_attack() && r.success) {
        compromised.entry(r.user_id.as_str()).or_insert(r.label);
    }
    if mode == "rules" {
        // candidate account rules
        let mut by_user: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            by_user.entry(r.user_id.as_str()).or_default().push(i);
        }
        let rules: Vec<(&str, Box<dyn Fn(&[usize]) -> bool>)> = vec![
            (
                "any High success",
                Box::new(|idx: &[usize]| {
                    idx.iter().any(|&i| {
                        analysis.events[i].success == Some(true)
                            && analysis.events[i].risk_score >= 0.6
                    })
                }),
            ),
            (
                "any Critical success",
                Box::new(|idx: &[usize]| {
                    idx.iter().any(|&i| {
                        analysis.events[i].success == Some(true)
                            && analysis.events[i].risk_score >= 0.8
                    })
                }),
            ),
            (
                "any >=0.9 success",
                Box::new(|idx: &[usize]| {
                    idx.iter().any(|&i| {
                        analysis.events[i].success == Some(true)
                            && analysis.events[i].risk_score >= 0.9
                    })
                }),
            ),
            (
                "crit or 2 high ctx 7d",
                Box::new(|idx: &[usize]| {
                    let s: Vec<usize> = idx
                        .iter()
                        .copied()
                        .filter(|&i| {
                            analysis.events[i].success == Some(true)
                                && analysis.events[i].risk_score >= 0.6
                        })
                        .collect();
                    if s.iter().any(|&i| analysis.events[i].risk_score >= 0.8) {
                        return true;
                    }
                    s.iter().any(|&a| {
                        s.iter().any(|&b| {
                            let (ea, eb) = (&analysis.events[a], &analysis.events[b]);
                            (ea.ip != eb.ip)
                                && (eb.timestamp_ms - ea.timestamp_ms).abs() < 7 * 86_400_000
                                && (ea.asn != eb.asn || ea.device != eb.device)
                        })
                    })
                }),
            ),
            (
                "crit or high+failures",
                Box::new(|idx: &[usize]| {
                    let s: Vec<usize> = idx
                        .iter()
                        .copied()
                        .filter(|&i| {
                            analysis.events[i].success == Some(true)
                                && analysis.events[i].risk_score >= 0.6
                        })
                        .collect();
                    if s.iter().any(|&i| analysis.events[i].risk_score >= 0.8) {
                        return true;
                    }
                    s.iter().any(|&a| {
                        idx.iter().any(|&b| {
                            let (ea, eb) = (&analysis.events[a], &analysis.events[b]);
                            eb.success == Some(false)
                                && eb.risk_score >= 0.6
                                && (ea.timestamp_ms - eb.timestamp_ms) >= 0
                                && (ea.timestamp_ms - eb.timestamp_ms) < 86_400_000
                        })
                    })
                }),
            ),
        ];
        for (name, rule) in &rules {
            let (mut flagged, mut tp) = (0, 0);
            let mut missed: BTreeMap<String, usize> = BTreeMap::new();
            for (user, idx) in &by_user {
                let f = rule(idx);
                flagged += usize::from(f);
                if f && compromised.contains_key(user) {
                    tp += 1;
                }
                if !f {
                    if let Some(l) = compromised.get(user) {
                        *missed.entry(l.to_string()).or_default() += 1;
                    }
                }
            }
            println!(
                "{name:<26} flagged {flagged:>4} tp {tp:>4} of {:>4}  precision {:.3} recall {:.3}  missed {missed:?}",
                compromised.len(),
                tp as f64 / flagged.max(1) as f64,
                tp as f64 / compromised.len() as f64
            );
        }
        return;
    }
    let mut by_user: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_user.entry(r.user_id.as_str()).or_default().push(i);
    }
    for (user, idx) in &by_user {
        let truth = compromised.get(user);
        let high: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| {
                analysis.events[i].success == Some(true)
                    && analysis.events[i].risk_level >= RiskLevel::High
            })
            .collect();
        let show = match mode.as_str() {
            "fp" => truth.is_none() && !high.is_empty(),
            "fn" => truth.is_some() && high.is_empty(),
            "tp" => truth.is_some(),
            _ => false,
        };
        if !show {
            continue;
        }
        println!("== {user} truth={truth:?} high_success={}", high.len());
        let list: Vec<usize> = if mode == "fn" || mode == "tp" {
            idx.iter()
                .copied()
                .filter(|&i| rows[i].label.is_attack())
                .collect()
        } else {
            high.clone()
        };
        for i in list.iter().take(8) {
            let e = &analysis.events[*i];
            println!(
                "   {} {:?} {} {:.3} {:?} {} {:?}/{:?} asn={:?} dev={} | {}",
                rows[*i].timestamp,
                rows[*i].label,
                rows[*i].success,
                e.risk_score,
                e.risk_level,
                e.ip,
                e.city,
                e.country,
                e.asn,
                e.device,
                e.reasons().chars().take(150).collect::<String>()
            );
            let c: Vec<String> = engine::calibration::INPUT_NAMES
                .iter()
                .zip(inputs[*i].values.iter())
                .zip(engine::calibration::FITTED.coefficients.iter())
                .filter(|((_, v), c)| **v * **c > 0.05)
                .map(|((n, v), c)| format!("{n}={v:.2}*{c:.2}"))
                .collect();
            println!("      {}", c.join(" "));
        }
    }
}
#[allow(dead_code)]
fn unused() {}
