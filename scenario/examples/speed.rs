//! Analysis speed on the evaluation preset with geolocation, one core.
//!
//! `cargo run --release -p scenario --example speed [-- RUNS]` prints the best of RUNS (5)
//! analyses in logins per second; ingest and generation are not timed.

use std::time::Instant;

use engine::{AnalysisConfig, IngestOptions};
use scenario::{AttackMix, ScenarioParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).map_or(Ok(5), |runs| runs.parse())?;
    let database = geolocation::open_optional(None, Vec::new())?.ok_or("no geolocation data")?;
    // The preset's original six attack kinds, so the figure compares with earlier versions.
    let params = ScenarioParams {
        attacks: AttackMix {
            stealthy_takeovers: 0,
            distributed_stuffing_campaigns: 0,
            slow_spraying_campaigns: 0,
            ..ScenarioParams::evaluation().attacks
        },
        ..ScenarioParams::evaluation()
    };
    let rows = scenario::generate(&params)?;
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false)?;
    let events = engine::read_slice(&csv, &IngestOptions::default())?.events;
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let started = Instant::now();
        let analysis = engine::analyze(&events, &AnalysisConfig::default(), &database, |_| {})?;
        best = best.min(started.elapsed().as_secs_f64());
        assert_eq!(analysis.events.len(), events.len());
    }
    println!(
        "{} logins, best of {runs}: {:.3} s, {:.0} logins/s",
        events.len(),
        best,
        events.len() as f64 / best
    );
    Ok(())
}
