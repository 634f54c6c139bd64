//! The engine's accuracy on labelled scenarios: generate, analyse as a user would (CSV in, the
//! engine's own ingest, the caller's geolocation), and measure per login, per attack type and
//! per account, across several independent families and seeds.
//!
//! Families vary the organisation (size, office/remote mix, mobile use, travel, VPNs), the
//! attack volume and its stealth; `markov` is built by a separate generator with its own
//! assumptions ([`crate::markov`]). Nothing in the engine is fitted on the seeds reported here:
//! the calibration uses [`CALIBRATION_SEEDS`], the reports [`REPORT_SEEDS`].
//!
//! `skytrace evaluate --seeds 1,2,3 --family all`

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use engine::enrich::GeoLookup;
use engine::evaluation::{RankingMetrics, ranking_metrics};
use engine::{AccountStatus, AnalysisConfig, IngestOptions, RiskLevel, ScoredEvent};
use serde::Serialize;

use crate::markov::MarkovParams;
use crate::{AttackMix, GeneratedLogin, Label, ScenarioError, ScenarioParams, Workforce};

/// Seeds the published figures use.
pub const REPORT_SEEDS: [u64; 3] = [1, 2, 3];
/// Seeds the engine's calibration is fitted on (never reported).
pub const CALIBRATION_SEEDS: [u64; 4] = [101, 102, 103, 104];

/// A family of scenarios: one way an organisation can look, any seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The evaluation preset: 400 staff over 60 days in fifteen office cities.
    Office,
    /// 1,000 staff over 45 days, more travel and mobile use, a company VPN on a cloud provider,
    /// carrier switches and weekends elsewhere in the country, many stealthy takeovers.
    Hybrid,
    /// 150 mostly remote staff over 45 days, phones everywhere, a company VPN, carrier switches
    /// and weekends away, few attacks.
    Remote,
    /// The independent generator ([`crate::markov`]): 600 staff over 45 days.
    Markov,
}

impl Family {
    pub const ALL: [Family; 4] = [Self::Office, Self::Hybrid, Self::Remote, Self::Markov];

    pub fn name(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Hybrid => "hybrid",
            Self::Remote => "remote",
            Self::Markov => "markov",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|family| family.name() == name)
    }

    /// The family's logins for `seed`, and how many staff it has.
    pub fn generate(self, seed: u64) -> Result<(Vec<GeneratedLogin>, usize), ScenarioError> {
        match self {
            Self::Markov => {
                let params = MarkovParams::preset(seed);
                Ok((crate::markov::generate(&params)?, params.users))
            }
            _ => {
                let params = self.params(seed);
                Ok((crate::generate(&params)?, params.users))
            }
        }
    }

    fn params(self, seed: u64) -> ScenarioParams {
        let evaluation = ScenarioParams::evaluation();
        match self {
            Self::Office | Self::Markov => ScenarioParams { seed, ..evaluation },
            Self::Hybrid => ScenarioParams {
                seed,
                users: 1000,
                days: 45,
                attacks: AttackMix {
                    credential_stuffing_campaigns: 2,
                    password_spraying_campaigns: 2,
                    brute_force_incidents: 10,
                    account_takeovers: 15,
                    impossible_travel_events: 15,
                    tor_or_hosting_logins: 10,
                    stealthy_takeovers: 25,
                    distributed_stuffing_campaigns: 3,
                    slow_spraying_campaigns: 2,
                },
                workforce: Workforce {
                    office_pattern_weights: [0.3, 0.1, 0.6],
                    mobile_use: 1.5,
                    frequent_traveller_share: 0.3,
                    personal_vpn_share: 0.06,
                    corporate_vpn_share: 0.25,
                    second_home_share: 0.3,
                    phone_replacement_share: 0.1,
                    carrier_switch_share: 0.1,
                    domestic_getaway_share: 0.15,
                    ..Workforce::default()
                },
                ..evaluation
            },
            Self::Remote => ScenarioParams {
                seed,
                users: 150,
                days: 45,
                attacks: AttackMix {
                    credential_stuffing_campaigns: 1,
                    password_spraying_campaigns: 1,
                    brute_force_incidents: 3,
                    account_takeovers: 4,
                    impossible_travel_events: 4,
                    tor_or_hosting_logins: 3,
                    stealthy_takeovers: 8,
                    distributed_stuffing_campaigns: 1,
                    slow_spraying_campaigns: 1,
                },
                workforce: Workforce {
                    office_pattern_weights: [0.8, 0.0, 0.2],
                    phone_share: 0.95,
                    mobile_use: 2.0,
                    frequent_traveller_share: 0.1,
                    personal_vpn_share: 0.1,
                    corporate_vpn_share: 0.5,
                    carrier_switch_share: 0.1,
                    domestic_getaway_share: 0.2,
                    ..Workforce::default()
                },
                ..evaluation
            },
        }
    }
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("writing the scenario as CSV failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("the engine could not read the scenario: {0}")]
    Ingest(#[from] engine::IngestError),
    #[error("the engine rejected {rejected} of the scenario's rows")]
    Rejected { rejected: usize },
    #[error(transparent)]
    Config(#[from] engine::config::ConfigError),
    #[error("the scenario has no {0}")]
    MissingClass(&'static str),
}

/// Ranking and level figures over logins.
#[derive(Clone, Debug, Serialize)]
pub struct EventFigures {
    pub overall: RankingMetrics,
    /// Account takeovers of both kinds against normal logins.
    pub takeover_roc_auc: Option<f64>,
    pub stealthy_takeover_roc_auc: Option<f64>,
    /// Each attack type against normal logins.
    pub by_attack: BTreeMap<&'static str, RankingMetrics>,
    /// Share of normal logins at High or above, and how many.
    pub benign_high_or_above: f64,
    pub benign_high_or_above_count: usize,
    /// Share of attack logins at High or above, per type.
    pub attack_high_or_above: BTreeMap<&'static str, f64>,
}

/// How one attack type's compromised accounts fared.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccountsOfAttack {
    pub compromised: usize,
    pub flagged: usize,
}

/// Accounts flagged against accounts compromised (≥ 1 successful attack login).
#[derive(Clone, Debug, Serialize)]
pub struct AccountFigures {
    /// What "flagged" means here.
    pub definition: &'static str,
    pub compromised: usize,
    pub flagged: usize,
    pub true_positives: usize,
    pub precision: f64,
    pub recall: f64,
    /// By the attack type of the account's first successful attack login.
    pub by_attack: BTreeMap<&'static str, AccountsOfAttack>,
}

/// Everything measured on one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub family: &'static str,
    pub seed: u64,
    pub users: usize,
    pub logins: usize,
    pub attack_logins: usize,
    pub events: EventFigures,
    /// Accounts whose verdict is compromised.
    pub accounts: AccountFigures,
    /// Accounts whose verdict is suspicious (to confirm with the user).
    pub suspicious_accounts: usize,
    /// Accounts with a High-or-above successful login (the reading before verdicts).
    pub accounts_with_risky_success: AccountFigures,
    /// Campaigns found.
    pub campaigns: usize,
    pub incidents: usize,
    pub incidents_per_1000_users: f64,
    /// Normal logins at High or above by the findings that drove them ("dbscan_noise",
    /// "new_device+unusual_time"), most common first.
    pub benign_high_drivers: Vec<(String, usize)>,
    /// The same log with the success column removed.
    pub without_success: Option<EventFigures>,
    pub analysis_secs: f64,
    pub logins_per_sec: f64,
}

/// Generates `family` with `seed` and measures the engine on it.
pub fn evaluate(
    family: Family,
    seed: u64,
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    without_success: bool,
) -> Result<Run, EvaluationError> {
    let (rows, users) = family.generate(seed)?;
    let mut run = evaluate_rows(&rows, users, config, geo, without_success)?;
    run.family = family.name();
    run.seed = seed;
    Ok(run)
}

/// Measures the engine on labelled `rows` of an organisation of `users` staff.
pub fn evaluate_rows(
    rows: &[GeneratedLogin],
    users: usize,
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    without_success: bool,
) -> Result<Run, EvaluationError> {
    let mut csv = Vec::new();
    crate::write_csv(rows, &mut csv, false)?;
    let ingested = engine::read_slice(&csv, &IngestOptions::default())?;
    if ingested.events.len() != rows.len() {
        return Err(EvaluationError::Rejected {
            rejected: rows.len() - ingested.events.len(),
        });
    }
    let started = Instant::now();
    let analysis = engine::analyze(&ingested.events, config, geo, |_| {})?;
    let analysis_secs = started.elapsed().as_secs_f64();
    let events = event_figures(rows, &analysis.events)?;
    let incidents = analysis.incidents(&engine::IncidentParams::default()).len();
    let without_success = if without_success {
        let mut blind = ingested.events.clone();
        for event in &mut blind {
            event.success = None;
        }
        let analysis = engine::analyze(&blind, config, geo, |_| {})?;
        Some(event_figures(rows, &analysis.events)?)
    } else {
        None
    };
    Ok(Run {
        family: "",
        seed: 0,
        users,
        logins: rows.len(),
        attack_logins: rows.iter().filter(|row| row.label.is_attack()).count(),
        accounts: account_figures(
            rows,
            "verdict: compromised",
            &analysis
                .accounts_with(AccountStatus::Compromised)
                .map(|verdict| verdict.user_id.clone())
                .collect(),
        ),
        suspicious_accounts: analysis.accounts_with(AccountStatus::Suspicious).count(),
        campaigns: analysis.campaigns.len(),
        accounts_with_risky_success: account_figures(
            rows,
            "a successful login at High or above",
            &analysis
                .events
                .iter()
                .filter(|event| event.success == Some(true) && event.risk_level >= RiskLevel::High)
                .map(|event| event.user_id.to_string())
                .collect(),
        ),
        events,
        incidents,
        incidents_per_1000_users: incidents as f64 * 1000.0 / users.max(1) as f64,
        benign_high_drivers: benign_drivers(rows, &analysis.events),
        without_success,
        analysis_secs,
        logins_per_sec: rows.len() as f64 / analysis_secs.max(1e-9),
    })
}

fn event_figures(
    rows: &[GeneratedLogin],
    events: &[ScoredEvent],
) -> Result<EventFigures, EvaluationError> {
    let scores: Vec<f64> = events.iter().map(|event| event.risk_score).collect();
    let attack: Vec<bool> = rows.iter().map(|row| row.label.is_attack()).collect();
    let overall = ranking_metrics(&scores, &attack).ok_or(EvaluationError::MissingClass(
        "attack logins, or no normal logins",
    ))?;
    let against_normal = |labels: &[Label]| {
        let (subset, truth): (Vec<f64>, Vec<bool>) = rows
            .iter()
            .zip(&scores)
            .filter(|(row, _)| row.label == Label::Normal || labels.contains(&row.label))
            .map(|(row, score)| (*score, row.label != Label::Normal))
            .unzip();
        ranking_metrics(&subset, &truth)
    };
    let mut by_attack = BTreeMap::new();
    let mut attack_high_or_above = BTreeMap::new();
    for label in Label::ALL.into_iter().filter(|label| label.is_attack()) {
        if let Some(metrics) = against_normal(&[label]) {
            by_attack.insert(label.as_str(), metrics);
        }
        let (high, total) = rows
            .iter()
            .zip(events)
            .filter(|(row, _)| row.label == label)
            .fold((0, 0), |(high, total), (_, event)| {
                (
                    high + usize::from(event.risk_level >= RiskLevel::High),
                    total + 1,
                )
            });
        if total > 0 {
            attack_high_or_above.insert(label.as_str(), high as f64 / f64::from(total));
        }
    }
    let normal = rows.iter().filter(|row| !row.label.is_attack()).count();
    let benign_high = rows
        .iter()
        .zip(events)
        .filter(|(row, event)| !row.label.is_attack() && event.risk_level >= RiskLevel::High)
        .count();
    Ok(EventFigures {
        overall,
        takeover_roc_auc: against_normal(&[Label::AccountTakeover, Label::StealthyTakeover])
            .map(|metrics| metrics.roc_auc),
        stealthy_takeover_roc_auc: against_normal(&[Label::StealthyTakeover])
            .map(|metrics| metrics.roc_auc),
        by_attack,
        benign_high_or_above: benign_high as f64 / normal.max(1) as f64,
        benign_high_or_above_count: benign_high,
        attack_high_or_above,
    })
}

/// The attack type of each compromised account: that of its first successful attack login.
fn compromised_accounts(rows: &[GeneratedLogin]) -> BTreeMap<&str, Label> {
    let mut compromised = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|row| row.label.is_attack() && row.success)
    {
        compromised.entry(row.user_id.as_str()).or_insert(row.label);
    }
    compromised
}

fn account_figures(
    rows: &[GeneratedLogin],
    definition: &'static str,
    flagged: &BTreeSet<String>,
) -> AccountFigures {
    let compromised = compromised_accounts(rows);
    let true_positives = flagged
        .iter()
        .filter(|user| compromised.contains_key(user.as_str()))
        .count();
    let mut by_attack: BTreeMap<&'static str, AccountsOfAttack> = BTreeMap::new();
    for (user, label) in &compromised {
        let entry = by_attack.entry(label.as_str()).or_default();
        entry.compromised += 1;
        entry.flagged += usize::from(flagged.contains(*user));
    }
    AccountFigures {
        definition,
        compromised: compromised.len(),
        flagged: flagged.len(),
        true_positives,
        precision: true_positives as f64 / flagged.len().max(1) as f64,
        recall: true_positives as f64 / compromised.len().max(1) as f64,
        by_attack,
    }
}

/// Normal logins at High or above, counted by the set of active findings that explain them.
fn benign_drivers(rows: &[GeneratedLogin], events: &[ScoredEvent]) -> Vec<(String, usize)> {
    let mut drivers: BTreeMap<String, usize> = BTreeMap::new();
    for (_, event) in rows
        .iter()
        .zip(events)
        .filter(|(row, event)| !row.label.is_attack() && event.risk_level >= RiskLevel::High)
    {
        let mut kinds: Vec<&str> = event
            .findings
            .iter()
            .filter(|finding| finding.is_active())
            .map(|finding| finding.kind.as_str())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let key = if kinds.is_empty() {
            "no finding".to_owned()
        } else {
            kinds.join("+")
        };
        *drivers.entry(key).or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = drivers.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// Runs of several families and seeds, with the spread of each headline figure per family.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub runs: Vec<Run>,
    pub spread: Vec<FamilySpread>,
}

/// Minimum, median and maximum over a family's seeds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Option<Self> {
        values.retain(|value| value.is_finite());
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 {
            values[middle]
        } else {
            (values[middle - 1] + values[middle]) / 2.0
        };
        Some(Self {
            min: values[0],
            median,
            max: values[values.len() - 1],
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FamilySpread {
    pub family: &'static str,
    pub seeds: usize,
    pub figures: BTreeMap<&'static str, Spread>,
}

/// The headline figures of a run, by name.
pub fn headline(run: &Run) -> Vec<(&'static str, f64)> {
    let mut figures = vec![
        ("event_roc_auc", run.events.overall.roc_auc),
        (
            "takeover_roc_auc",
            run.events.takeover_roc_auc.unwrap_or(f64::NAN),
        ),
        (
            "stealthy_roc_auc",
            run.events.stealthy_takeover_roc_auc.unwrap_or(f64::NAN),
        ),
        ("benign_high_pct", run.events.benign_high_or_above * 100.0),
        ("account_precision", run.accounts.precision),
        ("account_recall", run.accounts.recall),
        ("incidents_per_1000_users", run.incidents_per_1000_users),
        ("logins_per_sec", run.logins_per_sec),
    ];
    if let Some(blind) = &run.without_success {
        figures.push(("without_success_roc_auc", blind.overall.roc_auc));
    }
    figures
}

/// Evaluates every family on every seed.
pub fn evaluate_all(
    families: &[Family],
    seeds: &[u64],
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    without_success: bool,
    mut progress: impl FnMut(&Run),
) -> Result<Report, EvaluationError> {
    let mut runs = Vec::new();
    for family in families {
        for seed in seeds {
            let run = evaluate(*family, *seed, config, geo, without_success)?;
            progress(&run);
            runs.push(run);
        }
    }
    let spread = families
        .iter()
        .map(|family| {
            let of_family: Vec<&Run> = runs
                .iter()
                .filter(|run| run.family == family.name())
                .collect();
            let mut figures = BTreeMap::new();
            if let Some(first) = of_family.first() {
                for (index, (name, _)) in headline(first).into_iter().enumerate() {
                    let values = of_family.iter().map(|run| headline(run)[index].1).collect();
                    if let Some(spread) = Spread::of(values) {
                        figures.insert(name, spread);
                    }
                }
            }
            FamilySpread {
                family: family.name(),
                seeds: of_family.len(),
                figures,
            }
        })
        .collect();
    Ok(Report { runs, spread })
}
