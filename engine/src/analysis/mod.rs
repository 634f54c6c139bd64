//! The analysis pipeline: enriched events → causal features → detectors → findings → risk.
//!
//! [`Analyzer`] is incremental: it keeps what it has learnt (baselines, population counts,
//! attempt windows, population models) and scores each login against the past only. Events must
//! be fed in time order; [`analyze`] sorts a batch (stable, by timestamp then row) and returns
//! the scores in input order.

use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use jiff::tz::TimeZone;

use serde::{Deserialize, Serialize};

use crate::accounts::{AccountStatus, AccountVerdict, Campaign, account_verdicts_in, campaigns};
pub use crate::baseline::{BaselineSnapshot, Counted};
use crate::baseline::{Key, LastLogin, Population, UserBaseline, city_key, hierarchy_terms};
use crate::calibration::{FITTED, Model, RiskInputs};
pub use crate::config::{
    AnalysisConfig, BaselineParams, ConfigError, DbscanParams, ForestParams, RiskParams, RuleParams,
};
use crate::detectors::dbscan::{ClusterIndex, PopulationClusters};
use crate::detectors::evidence::{Evidence, SourceInfo};
use crate::detectors::isolation_forest::{ForestSnapshot, PopulationForest};
use crate::detectors::{rules, statistical};
use crate::enrich::{
    DeviceType, GeoInfo, GeoLookup, NetworkType, UserAgentInfo, haversine_km, network_prefix,
    parse_user_agent, with_reported,
};
use crate::event::{LoginEvent, ReportedLocation};
use crate::explain::{self, Explanation};
use crate::features::{
    CLUSTER_DIMENSIONS, CLUSTER_FEATURE_NAMES, FOREST_DIMENSIONS, FOREST_FEATURE_NAMES,
    LoginFeatures, SHARED_EGRESS_ACCOUNTS, Travel,
};
use crate::feedback::{
    CompromisedSource, Feedback, FeedbackIndex, SourceFacts, Verdict, VerdictKind,
    allow_list_covers,
};
use crate::risk::{Finding, FindingKind, RiskLevel, combine};
pub use crate::scored::ScoredEvent;
use crate::windows::{AccountFailures, SourceWindows};

/// Other users with a /24 in their baseline that make it a network the organisation shares.
const SHARED_NETWORK_USERS: u32 = 10;

/// Gaps kept per user for the robust pace statistics.
const PACE_HISTORY: usize = 32;

/// A login after the sequential stage: everything but the population models' scores.
pub struct Observed {
    forest: Option<ForestSnapshot>,
    clusters: Option<Arc<ClusterIndex<CLUSTER_DIMENSIONS>>>,
    forest_row: [f64; FOREST_DIMENSIONS],
    cluster_row: [f64; CLUSTER_DIMENSIONS],
    inputs: RiskInputs,
    findings: Vec<Finding>,
    user: u32,
    /// The allow-list entry vouching for the source ("office VPN 198.51.100.0/24").
    allowed_by: Option<Arc<str>>,
    confirmed_safe: bool,
    event: ScoredEvent,
}

impl Observed {
    /// The risk model's inputs, with the population detectors' scores from the snapshots
    /// taken when the login arrived.
    pub fn inputs(&self) -> RiskInputs {
        let forest_score = self
            .forest
            .as_ref()
            .map(|forest| forest.score(&self.forest_row));
        let cluster_score = self
            .clusters
            .as_ref()
            .map(|index| index.noise_score(&self.cluster_row));
        self.inputs
            .clone()
            .with_population(forest_score, cluster_score)
    }

    /// Scores with the model snapshots taken when the login arrived, combines with `model`,
    /// and explains.
    pub fn finish(self, risk_params: &RiskParams, model: &Model) -> ScoredEvent {
        let forest_score = self
            .forest
            .as_ref()
            .map(|forest| forest.score(&self.forest_row));
        self.finish_with(forest_score, risk_params, model)
    }

    /// [`Self::finish`] with the Isolation Forest's score of this login's row already worked
    /// out (by [`forest_scores`], for many logins at once).
    fn finish_with(
        self,
        forest_score: Option<f64>,
        risk_params: &RiskParams,
        model: &Model,
    ) -> ScoredEvent {
        let Observed {
            forest,
            clusters,
            forest_row,
            cluster_row,
            inputs,
            mut findings,
            allowed_by,
            confirmed_safe,
            mut event,
            ..
        } = self;
        let forest_score = forest_score.map(quantised);
        let cluster_score = clusters
            .as_ref()
            .map(|index| quantised(index.noise_score(&cluster_row)));
        let inputs = inputs.with_population(forest_score, cluster_score);
        // What made the login rare for the population models, where they score it at all;
        // worked out only for a finding or an explanation (one more walk down every tree).
        let forest_features = || match (&forest, forest_score) {
            (Some(forest), Some(score)) if score > 0.0 => {
                explain::named(&forest.attribution(&forest_row), &FOREST_FEATURE_NAMES)
            }
            _ => Vec::new(),
        };
        let mut forest_explained = None;
        let nearest_cluster = || {
            clusters
                .as_ref()
                .and_then(|index| index.nearest(&cluster_row))
                .map(|(radii, shares)| {
                    let mut ranked: Vec<(usize, f64)> = shares.into_iter().enumerate().collect();
                    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                    let features = if radii > 1.0 {
                        explain::named(&ranked, &CLUSTER_FEATURE_NAMES)
                    } else {
                        Vec::new()
                    };
                    (explain::round(radii, 1e2), features)
                })
        };
        let mut cluster_explained = None;
        // A population outlier is a reason only where the user's own history agrees.
        let corroborated = inputs.user_evidence() >= CORROBORATED;
        if let Some(score) = forest_score.filter(|score| *score >= 0.5 && corroborated) {
            let partial = Explanation {
                forest_features: forest_explained
                    .get_or_insert_with(&forest_features)
                    .clone(),
                ..Explanation::default()
            };
            findings.push(Finding {
                kind: FindingKind::Outlier,
                floor: 0.0,
                reason: match partial.forest_summary() {
                    Some(features) => format!(
                        "Isolation Forest: rare among all logins, mainly for {features} (score {score:.2}), and unusual for this user too"
                    ),
                    None => format!(
                        "Isolation Forest: isolated faster than most logins (score {score:.2}), and unusual for this user too"
                    ),
                },
                suppressed: None,
            });
        }
        if let Some(score) = cluster_score.filter(|score| *score >= 0.5 && corroborated) {
            let (radii, features) = cluster_explained
                .get_or_insert_with(&nearest_cluster)
                .clone()
                .unzip();
            let partial = Explanation {
                cluster_radii: radii,
                cluster_features: features.unwrap_or_default(),
                ..Explanation::default()
            };
            findings.push(Finding {
                kind: FindingKind::OutsideClusters,
                floor: 0.0,
                reason: match partial.cluster_summary() {
                    Some(distance) => format!(
                        "DBSCAN: {distance} (score {score:.2}), and unusual for this user too"
                    ),
                    None => format!(
                        "DBSCAN: far from every usual pattern of logins (score {score:.2}), and unusual for this user too"
                    ),
                },
                suppressed: None,
            });
        }
        if let Some(entry) = &allowed_by {
            suppress(
                &mut findings,
                allow_list_covers,
                &format!("allow-list: {entry}"),
            );
        }
        if confirmed_safe {
            suppress(&mut findings, |_| true, "an analyst: confirmed safe");
        }
        let probability = model.probability(&inputs, risk_params);
        let risk_score = if confirmed_safe {
            0.0
        } else {
            quantised(combine(probability, &findings))
        };
        let risk_level = RiskLevel::from_score(risk_score, risk_params);
        if risk_level >= RiskLevel::Medium {
            let [statistical, isolation_forest, dbscan, rules] =
                model.family_logits(&inputs, risk_params);
            let (cluster_radii, cluster_features) =
                cluster_explained.unwrap_or_else(nearest_cluster).unzip();
            let logit = |value: f64| explain::round(value, 1e4);
            event.explanation = Some(Box::new(Explanation {
                intercept: logit(model.intercept),
                statistical: logit(statistical),
                isolation_forest: logit(isolation_forest),
                dbscan: logit(dbscan),
                rules: logit(rules),
                probability: logit(probability),
                corroboration: explain::round(inputs.user_evidence(), 1e3),
                forest_features: forest_explained.unwrap_or_else(&forest_features),
                cluster_radii,
                cluster_features: cluster_features.unwrap_or_default(),
            }));
        }
        if risk_level >= RiskLevel::Medium && !findings.iter().any(Finding::is_active) {
            findings.push(unusual_combination(model, &inputs));
        }
        findings.sort_by(|a, b| {
            b.is_active()
                .cmp(&a.is_active())
                .then(b.floor.total_cmp(&a.floor))
        });
        event.rules = findings
            .iter()
            .filter(|finding| finding.is_active())
            .map(|finding| finding.floor)
            .fold(0.0, f64::max);
        if risk_level < RiskLevel::Medium {
            // Reasons are promised for Medium and above; below that they would be noise, except
            // the suppressed ones, which explain why the login is not higher.
            findings.retain(|finding| !finding.is_active());
        }
        event.risk_score = risk_score;
        event.risk_level = risk_level;
        event.isolation_forest = forest_score;
        event.dbscan = cluster_score;
        event.findings = findings;
        event
    }

    pub fn user(&self) -> u32 {
        self.user
    }
}

/// Decimals of every score a login is given.
pub const SCORE_DECIMALS: i32 = 4;

/// `score` to [`SCORE_DECIMALS`] decimals. Scores carry no more precision than that, and a
/// verdict that moves later logins' scores by far less (what one more login learnt by the
/// population does) then leaves them as they were: a re-score writes only what it changed.
fn quantised(score: f64) -> f64 {
    explain::round(score, 10f64.powi(SCORE_DECIMALS))
}

/// User-level evidence (see [`RiskInputs::user_evidence`]) from which a population outlier is
/// named among the reasons.
const CORROBORATED: f64 = 0.3;

/// The reason for a login the model scores Medium or above without any single finding: the
/// signals that added up.
fn unusual_combination(model: &Model, inputs: &RiskInputs) -> Finding {
    let parts: Vec<&str> = model
        .contributions(inputs)
        .into_iter()
        .take(3)
        .map(|(description, _)| description)
        .collect();
    Finding {
        kind: FindingKind::UnusualCombination,
        floor: 0.0,
        reason: format!(
            "several weak signals together: {}",
            if parts.is_empty() {
                "none stands out".to_owned()
            } else {
                parts.join(", ")
            }
        ),
        suppressed: None,
    }
}

/// Marks the active findings `applies` to as suppressed by `by`.
fn suppress(findings: &mut [Finding], applies: impl Fn(FindingKind) -> bool, by: &str) {
    for finding in findings
        .iter_mut()
        .filter(|finding| finding.is_active() && applies(finding.kind))
    {
        finding.suppressed = Some(by.to_owned());
    }
}

/// A user's aggregated risk: the decayed maximum of their logins' scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRisk {
    pub user_id: String,
    pub risk_score: f64,
    pub risk_level: RiskLevel,
    pub logins: u32,
    pub high_or_above: u32,
    pub last_timestamp_ms: i64,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct UserState {
    id: Arc<str>,
    /// The user's usual time zone: that of their first learnt login with a located source.
    /// Hour and weekday histograms are kept in it (UTC until it is known).
    zone: Option<u32>,
    baseline: UserBaseline,
    failures: AccountFailures,
    gaps: Pace,
    risk: f64,
    risk_at_ms: i64,
    scored: u32,
    high_or_above: u32,
}

/// Scores logins one at a time, learning as it goes.
#[derive(Clone)]
pub struct Analyzer<'g> {
    config: AnalysisConfig,
    /// The calibrated risk model ([`FITTED`] unless calibrating a new one).
    model: Model,
    geo: Geo<'g>,
    user_ids: HashMap<String, u32>,
    /// Shared until changed: a copy of an analyzer (what a later analysis starts from) costs
    /// one pointer per user until a login of theirs arrives.
    users: Vec<Arc<UserState>>,
    source_ids: HashMap<IpAddr, u32>,
    /// Ids of the /24 (/48) networks of the sources, in order of first sight.
    prefix_ids: HashMap<u128, u32>,
    /// Shared with copies of the analyzer, as `users`.
    sources: Vec<Arc<SourceInfo>>,
    agent_ids: HashMap<String, u32>,
    agents: Vec<Arc<UserAgentInfo>>,
    /// `UserAgentInfo::describe` of each agent, and country/city of each source, shared by all
    /// scored events instead of copied into each.
    agent_descriptions: Vec<Arc<str>>,
    source_places: Vec<Place>,
    /// One copy of each distinct geolocation answer and place name the sources share.
    places: SharedPlaces,
    zone_ids: HashMap<String, u32>,
    zones: Vec<TimeZone>,
    population: Population,
    address_windows: SourceWindows<u32>,
    network_windows: SourceWindows<u128>,
    /// Attempts from sources new to their account, by exact user agent and by network owner;
    /// attempts on never-seen account names across the tenant.
    fingerprint_windows: SourceWindows<u32>,
    network_owner_windows: SourceWindows<u32>,
    tenant_unknown_window: SourceWindows<()>,
    /// Accounts that signed in successfully from each address of an anonymising network, by
    /// source: up to one more than [`SHARED_EGRESS_ACCOUNTS`], so that as many *others* are
    /// counted for any of them.
    egress_accounts: HashMap<u32, Vec<u32>>,
    forest: PopulationForest<FOREST_DIMENSIONS>,
    clusters: PopulationClusters<CLUSTER_DIMENSIONS>,
    last_timestamp_ms: i64,
    first_timestamp_ms: i64,
    feedback: FeedbackIndex,
    /// Places of addresses the next logins come from, looked up ahead on another thread
    /// ([`look_up_ahead`]); taken when the address is first seen.
    looked_up: LookedUp,
}

/// One copy of each distinct geolocation answer and of each country and city name: a tenant's
/// hundreds of thousands of addresses come from some thousands of places and networks, and an
/// answer with its names takes about 500 bytes.
#[derive(Clone, Default)]
struct SharedPlaces {
    answers: rustc_hash::FxHashSet<SharedGeo>,
    names: rustc_hash::FxHashSet<Arc<str>>,
}

impl SharedPlaces {
    fn geo(&mut self, geo: GeoInfo) -> Arc<GeoInfo> {
        let answer = SharedGeo(Arc::new(geo));
        if let Some(shared) = self.answers.get(&answer) {
            return Arc::clone(&shared.0);
        }
        let shared = Arc::clone(&answer.0);
        self.answers.insert(answer);
        shared
    }

    fn name(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.names.get(name) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        self.names.insert(Arc::clone(&shared));
        shared
    }
}

/// A geolocation answer compared and hashed by value, its coordinates bit for bit (an answer
/// with a NaN coordinate equals no other, and is kept unshared).
#[derive(Clone)]
struct SharedGeo(Arc<GeoInfo>);

impl SharedGeo {
    fn numbers(&self) -> [u64; 3] {
        let geo = &self.0;
        [
            geo.latitude.map_or(u64::MAX, f64::to_bits),
            geo.longitude.map_or(u64::MAX, f64::to_bits),
            geo.accuracy_km.to_bits(),
        ]
    }
}

impl PartialEq for SharedGeo {
    fn eq(&self, other: &Self) -> bool {
        self.numbers() == other.numbers() && self.0 == other.0
    }
}

impl Eq for SharedGeo {}

impl std::hash::Hash for SharedGeo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.numbers().hash(state);
        self.0.asn.hash(state);
        self.0.city.hash(state);
    }
}

/// Places looked up ahead of the logins that need them. A copy of an analyzer (a kept point
/// of a run) starts without them and looks its addresses up when it meets them: the same places.
#[derive(Default)]
struct LookedUp(HashMap<IpAddr, Option<GeoInfo>>);

impl Clone for LookedUp {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Country code and city of a source, shared by the events from it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Place {
    country: Option<Arc<str>>,
    city: Option<Arc<str>>,
}

/// Where an [`Analyzer`] looks sources up: borrowed for one analysis, or shared by one that
/// lives as long as a server (monitoring).
#[derive(Clone)]
enum Geo<'g> {
    Borrowed(&'g dyn GeoLookup),
    Shared(Arc<dyn GeoLookup + Send>),
}

impl Geo<'_> {
    fn lookup(&self) -> &dyn GeoLookup {
        match self {
            Self::Borrowed(geo) => *geo,
            Self::Shared(geo) => geo.as_ref(),
        }
    }
}

/// Fed an event older than one already scored.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("events must arrive in time order: {timestamp_ms} is before {latest_ms}")]
pub struct OutOfOrder {
    pub timestamp_ms: i64,
    pub latest_ms: i64,
}

impl Analyzer<'static> {
    /// An analyzer that owns its share of the geolocation, to keep for as long as it is fed.
    pub fn shared(
        config: AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
    ) -> Result<Self, ConfigError> {
        Analyzer::with_geo(config, Geo::Shared(geo))
    }
}

impl<'g> Analyzer<'g> {
    pub fn new(config: AnalysisConfig, geo: &'g dyn GeoLookup) -> Result<Self, ConfigError> {
        Self::with_geo(config, Geo::Borrowed(geo))
    }

    fn with_geo(config: AnalysisConfig, geo: Geo<'g>) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Self {
            model: FITTED,
            forest: PopulationForest::new(&config.isolation_forest),
            clusters: PopulationClusters::new(&config.dbscan),
            address_windows: SourceWindows::new(config.rules.window_secs),
            network_windows: SourceWindows::new(config.rules.spray_window_secs),
            fingerprint_windows: SourceWindows::counting_sources(config.rules.campaign_window_secs),
            network_owner_windows: SourceWindows::counting_sources(
                config.rules.campaign_window_secs,
            ),
            tenant_unknown_window: SourceWindows::counting_sources(config.rules.wave_window_secs),
            egress_accounts: HashMap::default(),
            config,
            geo,
            user_ids: HashMap::default(),
            users: Vec::new(),
            source_ids: HashMap::default(),
            prefix_ids: HashMap::default(),
            sources: Vec::new(),
            agent_ids: HashMap::default(),
            agents: Vec::new(),
            agent_descriptions: Vec::new(),
            source_places: Vec::new(),
            places: SharedPlaces::default(),
            zone_ids: HashMap::default(),
            zones: Vec::new(),
            population: Population::default(),
            last_timestamp_ms: i64::MIN,
            first_timestamp_ms: i64::MIN,
            feedback: FeedbackIndex::default(),
            looked_up: LookedUp::default(),
        })
    }

    /// Applies what analysts have taught (allow-list entries in force and verdicts on logins).
    pub fn with_feedback(mut self, feedback: &Feedback) -> Self {
        self.set_feedback(feedback);
        self
    }

    /// Applies `feedback` to the logins scored from now on, in place of what was taught before
    /// (a monitored source's analyzer, taught again as analysts change the allow-list and
    /// verdicts). What was learnt stays: baselines are not taught again, and addresses marked
    /// by verdicts stay marked while those verdicts stand.
    pub fn set_feedback(&mut self, feedback: &Feedback) {
        self.feedback.retaught(FeedbackIndex::new(feedback));
    }

    /// Marks the address of `login` for the logins after it (from any account) when the verdict
    /// in force on it says it was compromised or an attack attempt, as scoring it with that
    /// verdict does: for a login scored before its verdict was given, or by another analyzer
    /// (another partition's). Any other login changes nothing. Of several marked logins from one
    /// address the earliest is named (the first given, of those as early).
    pub fn mark_verdict_source(&mut self, login: &LoginEvent) {
        let Some(verdict) = self.feedback.verdict(login.login_key()) else {
            return;
        };
        let attempt = match verdict.kind {
            VerdictKind::ConfirmedCompromised => false,
            VerdictKind::AttackAttempt => true,
            VerdictKind::ConfirmedSafe | VerdictKind::Dismissed => return,
        };
        self.feedback.remember_compromised(
            login.ip,
            CompromisedSource {
                user_id: login.user_id.clone(),
                timestamp_ms: login.timestamp_ms,
                attempt,
            },
        );
    }

    pub fn config(&self) -> &AnalysisConfig {
        &self.config
    }

    /// Scores with `model` instead of the shipped one (for calibrating a new one).
    pub fn with_model(mut self, model: Model) -> Self {
        self.model = model;
        self
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Scores one login against everything seen before it, then learns from it.
    pub fn score(&mut self, event: &LoginEvent) -> Result<ScoredEvent, OutOfOrder> {
        let observed = self.observe(event)?;
        let user = observed.user;
        let scored = observed.finish(&self.config.risk, &self.model);
        self.record_user_risk(user, &scored);
        Ok(scored)
    }

    /// The sequential part of scoring: features, the statistical detector and the rules
    /// against the state so far, then learning. The population models' scores are left to
    /// [`Observed::finish`], which needs only the model snapshots and can run in parallel.
    pub fn observe(&mut self, event: &LoginEvent) -> Result<Observed, OutOfOrder> {
        if event.timestamp_ms < self.last_timestamp_ms {
            return Err(OutOfOrder {
                timestamp_ms: event.timestamp_ms,
                latest_ms: self.last_timestamp_ms,
            });
        }
        self.last_timestamp_ms = event.timestamp_ms;
        if self.first_timestamp_ms == i64::MIN {
            self.first_timestamp_ms = event.timestamp_ms;
        }
        let user = self.intern_user(&event.user_id);
        let source = self.intern_source(event.ip, event.reported_location.as_deref());
        let agent = self.intern_agent(&event.user_agent);

        let features = self.features(user, source, agent, event);
        let (allowed_by, verdict) = self.feedback_for(user, source, event);
        let mut findings = Vec::new();
        {
            let state = &self.users[user as usize];
            let evidence = Evidence {
                timestamp_ms: event.timestamp_ms,
                user_id: &state.id,
                user: &state.baseline,
                source: &self.sources[source as usize],
                agent: &self.agents[agent as usize],
                sources: &self.sources,
                agents: &self.agents,
                user_zone: state.zone.and_then(|zone| self.zones.get(zone as usize)),
            };
            rules::evaluate(&features, &self.config.rules, &evidence, &mut findings);
            statistical::explain(&features, &evidence, &mut findings);
        }
        self.apply_verdicts(event, verdict.as_ref(), &mut findings);
        let confirmed_safe =
            verdict.is_some_and(|verdict| verdict.kind == VerdictKind::ConfirmedSafe);
        // Findings explain what was seen; an allow-listed source is scored as familiar.
        let scored_features = if allowed_by.is_some() {
            features.with_vouched_network()
        } else {
            features.clone()
        };
        let forest_row = scored_features.forest_vector();
        let cluster_row = scored_features.cluster_vector();
        let inputs = RiskInputs::from_features(&scored_features);
        let statistical_score = quantised(statistical::score(&inputs));
        if let Some(entry) = &allowed_by {
            suppress(
                &mut findings,
                allow_list_covers,
                &format!("allow-list: {entry}"),
            );
        }
        // Learning is gated on the per-user evidence and the rules, which are known now; the
        // population models only add corroborated weight to the final score.
        let behavioural_risk = if confirmed_safe {
            0.0
        } else {
            combine(
                self.model.probability(&inputs, &self.config.risk),
                &findings,
            )
        };
        let observed = Observed {
            forest: self.forest.snapshot(),
            clusters: self.clusters.snapshot(),
            forest_row,
            cluster_row,
            inputs,
            findings,
            user,
            allowed_by,
            confirmed_safe,
            event: ScoredEvent {
                row: event.row,
                line: event.line,
                timestamp_ms: event.timestamp_ms,
                user_id: Arc::clone(&self.users[user as usize].id),
                ip: event.ip,
                success: event.success,
                risk_score: 0.0,
                risk_level: RiskLevel::Low,
                isolation_forest: None,
                dbscan: None,
                statistical: statistical_score,
                rules: 0.0,
                findings: Vec::new(),
                country: self.source_places[source as usize].country.clone(),
                city: self.source_places[source as usize].city.clone(),
                asn: self.sources[source as usize]
                    .geo
                    .as_ref()
                    .and_then(|geo| geo.asn),
                network: self.sources[source as usize]
                    .geo
                    .as_ref()
                    .map(|geo| geo.network),
                travel_km: features.travel.as_ref().map(|travel| travel.distance_km),
                travel_kmh: features.travel.as_ref().map(|travel| travel.speed_kmh),
                device: Arc::clone(&self.agent_descriptions[agent as usize]),
                explanation: None,
            },
        };
        self.learn(
            user,
            source,
            agent,
            event,
            &scored_features,
            behavioural_risk,
        );
        self.forest.observe(forest_row);
        self.clusters.observe(cluster_row);
        Ok(observed)
    }

    /// The allow-list entry covering this login's source, and the analyst's verdict on it.
    fn feedback_for(
        &self,
        user: u32,
        source: u32,
        event: &LoginEvent,
    ) -> (Option<Arc<str>>, Option<Verdict>) {
        if self.feedback.is_empty() {
            return (None, None);
        }
        let geo = self.sources[source as usize].geo.as_ref();
        let facts = SourceFacts {
            user_id: &self.users[user as usize].id,
            ip: event.ip,
            country: self.source_places[source as usize].country.as_deref(),
            asn: geo.and_then(|geo| geo.asn),
        };
        let allowed_by = self.feedback.allowed_by(&facts).map(Arc::from);
        let verdict = self.feedback.verdict(event.login_key()).cloned();
        (allowed_by, verdict)
    }

    /// Findings from verdicts: this login confirmed compromised, or an earlier compromise from
    /// the same address.
    fn apply_verdicts(
        &mut self,
        event: &LoginEvent,
        verdict: Option<&Verdict>,
        findings: &mut Vec<Finding>,
    ) {
        if self.feedback.is_empty() {
            return;
        }
        let confirmed = verdict.and_then(|verdict| match verdict.kind {
            VerdictKind::ConfirmedCompromised => Some((
                verdict,
                FindingKind::ConfirmedCompromised,
                self.config.rules.confirmed_compromised_floor,
                "confirmed compromised by an analyst",
            )),
            VerdictKind::AttackAttempt => Some((
                verdict,
                FindingKind::ConfirmedAttackAttempt,
                self.config.rules.known_compromised_source_floor,
                "an attack attempt, confirmed by an analyst",
            )),
            VerdictKind::ConfirmedSafe | VerdictKind::Dismissed => None,
        });
        if let Some((verdict, kind, floor, what)) = confirmed {
            let comment = verdict.comment.trim();
            findings.push(Finding {
                kind,
                floor,
                reason: if comment.is_empty() {
                    what.to_owned()
                } else {
                    format!("{what}: {comment}")
                },
                suppressed: None,
            });
            self.feedback.remember_compromised(
                event.ip,
                CompromisedSource {
                    user_id: event.user_id.clone(),
                    timestamp_ms: event.timestamp_ms,
                    attempt: verdict.kind == VerdictKind::AttackAttempt,
                },
            );
        } else if let Some(earlier) = self
            .feedback
            .compromised_source(event.ip, event.timestamp_ms)
        {
            findings.push(Finding {
                kind: FindingKind::KnownCompromisedSource,
                floor: self.config.rules.known_compromised_source_floor,
                reason: format!(
                    "from {}, the address of {} on {}'s account ({})",
                    event.ip,
                    if earlier.attempt {
                        "an attack attempt confirmed by an analyst"
                    } else {
                        "a login confirmed compromised"
                    },
                    earlier.user_id,
                    crate::time::format_utc(earlier.timestamp_ms)
                ),
                suppressed: None,
            });
        }
    }

    /// Folds a finished login into its user's aggregated risk (in time order).
    fn record_user_risk(&mut self, user: u32, scored: &ScoredEvent) {
        let half_life_ms = self.config.risk.user_risk_half_life_secs as f64 * 1000.0;
        let state = Arc::make_mut(&mut self.users[user as usize]);
        state.risk = decayed_max(state.risk, state.risk_at_ms, scored, half_life_ms);
        state.risk_at_ms = scored.timestamp_ms;
        state.scored += 1;
        state.high_or_above += u32::from(scored.risk_level >= RiskLevel::High);
    }

    /// Per-user risk: each login's score decays with the configured half-life towards the
    /// user's latest login; the maximum is kept.
    pub fn user_risks(&self) -> Vec<UserRisk> {
        self.users
            .iter()
            .map(|state| UserRisk {
                user_id: state.id.to_string(),
                risk_score: state.risk,
                risk_level: RiskLevel::from_score(state.risk, &self.config.risk),
                logins: state.scored,
                high_or_above: state.high_or_above,
                last_timestamp_ms: state.risk_at_ms,
            })
            .collect()
    }

    /// Fits so far of the population models (for the summary).
    pub fn model_fits(&self) -> (u32, u32) {
        (self.forest.fits(), self.clusters.fits())
    }

    pub fn cluster_eps(&self) -> Option<f64> {
        self.clusters.eps()
    }

    /// What has been learnt about `user_id` (matched exactly, else ignoring ASCII case), if any
    /// login of theirs was seen.
    pub fn baseline_of(&self, user_id: &str) -> Option<BaselineSnapshot> {
        let id = self.user_ids.get(user_id).copied().or_else(|| {
            self.users
                .iter()
                .position(|user| user.id.eq_ignore_ascii_case(user_id))
                .map(|index| index as u32)
        })?;
        let state = &self.users[id as usize];
        let zone = state
            .zone
            .and_then(|zone| self.zones.get(zone as usize))
            .and_then(|zone| zone.iana_name().map(str::to_owned));
        Some(state.baseline.snapshot(&state.id, zone, |id| {
            self.sources
                .get(id as usize)
                .map(|source| source.ip.to_string())
                .unwrap_or_default()
        }))
    }

    fn intern_user(&mut self, user_id: &str) -> u32 {
        if let Some(&id) = self.user_ids.get(user_id) {
            return id;
        }
        let id = self.users.len() as u32;
        self.users.push(Arc::new(UserState {
            id: Arc::from(user_id),
            risk_at_ms: i64::MIN,
            ..UserState::default()
        }));
        self.user_ids.insert(user_id.to_owned(), id);
        id
    }

    /// The source's id; its place comes from the first login that uses it.
    fn intern_source(&mut self, ip: IpAddr, reported: Option<&ReportedLocation>) -> u32 {
        if let Some(&id) = self.source_ids.get(&ip) {
            return id;
        }
        let id = self.sources.len() as u32;
        let found = match self.looked_up.0.remove(&ip) {
            Some(found) => found,
            None => self.geo.lookup().lookup(ip),
        };
        let geo = with_reported(found, reported).map(|geo| self.places.geo(geo));
        let place = Place {
            country: geo
                .as_ref()
                .and_then(|geo| geo.country_code.as_deref())
                .map(|name| self.places.name(name)),
            city: geo
                .as_ref()
                .and_then(|geo| geo.city.as_deref())
                .map(|name| self.places.name(name)),
        };
        self.source_places.push(place);
        let zone = geo
            .as_ref()
            .and_then(|geo| geo.timezone.as_deref())
            .and_then(|name| self.intern_zone(name));
        let prefix = network_prefix(ip);
        let next_prefix_id = self.prefix_ids.len() as u32;
        let prefix_id = *self.prefix_ids.entry(prefix).or_insert(next_prefix_id);
        self.sources.push(Arc::new(SourceInfo {
            ip,
            prefix,
            prefix_id,
            geo,
            zone,
        }));
        self.source_ids.insert(ip, id);
        id
    }

    /// Keeps the places [`look_up_ahead`] found for addresses not seen yet.
    fn take_looked_up(&mut self, looked_up: Vec<(IpAddr, Option<GeoInfo>)>) {
        self.looked_up.0.clear();
        for (ip, found) in looked_up {
            if !self.source_ids.contains_key(&ip) {
                self.looked_up.0.insert(ip, found);
            }
        }
    }

    /// A time zone by IANA name, once per name; unknown names are ignored (UTC is used).
    fn intern_zone(&mut self, name: &str) -> Option<u32> {
        if let Some(&id) = self.zone_ids.get(name) {
            return Some(id);
        }
        let zone = TimeZone::get(name).ok()?;
        let id = self.zones.len() as u32;
        self.zones.push(zone);
        self.zone_ids.insert(name.to_owned(), id);
        Some(id)
    }

    /// Hour of day and weekday of `timestamp_ms` on the user's usual clock.
    fn user_clock(&self, zone: Option<u32>, timestamp_ms: i64) -> (usize, usize) {
        zone.and_then(|zone| self.zones.get(zone as usize))
            .and_then(|zone| local_hour_and_weekday(timestamp_ms, zone))
            .unwrap_or_else(|| hour_and_weekday(timestamp_ms))
    }

    fn intern_agent(&mut self, user_agent: &str) -> u32 {
        if let Some(&id) = self.agent_ids.get(user_agent) {
            return id;
        }
        let id = self.agents.len() as u32;
        let info = parse_user_agent(user_agent);
        self.agent_descriptions.push(Arc::from(info.describe()));
        self.agents.push(Arc::new(info));
        self.agent_ids.insert(user_agent.to_owned(), id);
        id
    }

    fn network_levels(&self, source: u32) -> Vec<(Key, f64)> {
        let info = &self.sources[source as usize];
        let mut levels = Vec::with_capacity(4);
        if let Some(geo) = &info.geo {
            if let Some(code) = country_key(geo.country_code.as_deref()) {
                levels.push((Key::Country(code), 1.0));
            }
            if let Some(asn) = geo.asn {
                levels.push((Key::Asn(asn), 0.8));
            }
        }
        levels.push((Key::Prefix(info.prefix_id), 0.6));
        levels.push((Key::Ip(source), 0.25));
        levels
    }

    fn device_levels(&self, agent: u32) -> [(Key, f64); 4] {
        let info = &self.agents[agent as usize];
        [
            (Key::Device(info.device), 1.0),
            (Key::Os(info.os), 0.8),
            (Key::Browser(info.browser), 0.6),
            (Key::Agent(agent), 0.15),
        ]
    }

    fn features(
        &mut self,
        user: u32,
        source: u32,
        agent: u32,
        event: &LoginEvent,
    ) -> LoginFeatures {
        let now_ms = event.timestamp_ms;
        let params = &self.config;
        let window_ms = params.rules.window_secs.saturating_mul(1000);
        let network_levels = self.network_levels(source);
        let device_levels = self.device_levels(agent);
        let source_counts = self.address_windows.counts(source, now_ms);
        let info = &self.sources[source as usize];
        let network_counts = self.network_windows.counts(info.prefix, now_ms);
        let fingerprint = self.fingerprint_windows.counts(agent, now_ms);
        let network_owner = info
            .geo
            .as_ref()
            .filter(|geo| geo.network.hides_location())
            .and_then(|geo| geo.asn)
            .map(|asn| self.network_owner_windows.counts(asn, now_ms))
            .unwrap_or_default();
        let tenant_unknown = self.tenant_unknown_window.counts((), now_ms);
        let (hour, weekday) = self.user_clock(self.users[user as usize].zone, now_ms);
        let state = Arc::make_mut(&mut self.users[user as usize]);
        let (account_failures, account_unresolved) = state.failures.in_window(now_ms, window_ms);
        let baseline = &state.baseline;
        let smoothing = params.baseline.smoothing_weight;

        let by_logins = f64::from(baseline.logins) / f64::from(params.baseline.learning_logins);
        let by_days = if params.baseline.learning_days > 0.0 {
            baseline.first_learnt_ms.map_or(0.0, |first| {
                (now_ms - first) as f64 / 86_400_000.0 / params.baseline.learning_days
            })
        } else {
            1.0
        };
        let confidence = by_logins.min(by_days).clamp(0.0, 1.0);
        let prior_hours = 2.0;
        let hour_surprise = (-baseline.hour_likelihood(hour, prior_hours).ln()).max(0.0);
        let weekday_surprise = (-baseline.weekday_likelihood(weekday, prior_hours).ln()).max(0.0);

        let previous = baseline.last.as_ref();
        let secs_since_previous =
            previous.map(|last| (now_ms - last.timestamp_ms).max(0) as f64 / 1000.0);
        let pace_z = secs_since_previous.map_or(0.0, |gap| state.gaps.robust_z((gap + 1.0).ln()));
        let travel_from = |last: &LastLogin| {
            let from = self.sources.get(last.source as usize)?.geo.as_ref()?;
            let to = info.geo.as_ref()?;
            let distance_km = haversine_km(from.coordinates()?, to.coordinates()?);
            let elapsed_secs = (now_ms - last.timestamp_ms).max(0) as f64 / 1000.0;
            // A minute's floor: simultaneous logins are not "infinitely fast".
            let speed_kmh = distance_km / (elapsed_secs.max(60.0) / 3600.0);
            let uncertainty_km = from.accuracy_km + to.accuracy_km;
            Some(Travel {
                from_source: last.source,
                from_ms: last.timestamp_ms,
                distance_km,
                elapsed_secs,
                speed_kmh,
                uncertain: !reliably_located(from, &baseline.spread)
                    || to.network.hides_location()
                    || to.trusted
                    || uncertainty_km >= distance_km / 2.0,
                to_shared_network: self
                    .population
                    .prefix_users(info.prefix)
                    .saturating_sub(u32::from(baseline.prefixes.count(&info.prefix_id) > 0))
                    >= SHARED_NETWORK_USERS,
                to_familiar_network: baseline.prefixes.count(&info.prefix_id) > 0
                    || (to.asn.is_some_and(|asn| baseline.asns.count(&asn) > 0)
                        && country_key(to.country_code.as_deref())
                            .is_some_and(|code| baseline.countries.count(&code) > 0)),
            })
        };
        // When the previous login's place says little (a VPN, a roaming phone), the latest
        // reliably located one still bounds where the person can be now.
        let travel = match (previous.and_then(&travel_from), &baseline.last_fixed) {
            (Some(travel), Some(fixed)) if travel.uncertain => travel_from(fixed)
                .filter(|from_fixed| !from_fixed.uncertain)
                .or(Some(travel)),
            (travel, _) => travel,
        };
        let geo = info.geo.as_ref();
        let agent_info = &self.agents[agent as usize];
        let network_terms =
            hierarchy_terms::<4>(baseline, &self.population, &network_levels, smoothing);
        let device_terms =
            hierarchy_terms::<4>(baseline, &self.population, &device_levels, smoothing);
        let city = info.city_key();
        let city_popularity = city.map_or(0.0, |(country, city)| {
            self.population.city_conditional(&country, city)
        });
        let country_popularity = geo
            .and_then(|geo| country_key(geo.country_code.as_deref()))
            .map_or(0.0, |country| {
                self.population.conditional(&Key::Country(country), None)
            });
        let network_owner_popularity = match (
            geo.and_then(|geo| country_key(geo.country_code.as_deref())),
            geo.and_then(|geo| geo.asn),
        ) {
            (Some(country), Some(asn)) => self
                .population
                .conditional(&Key::Asn(asn), Some(&Key::Country(country))),
            _ => 0.0,
        };
        let city_surprise = city.map_or(0.0, |(country, city)| {
            let population_p = self.population.city_conditional(&country, city);
            let user_p = (f64::from(baseline.cities.count(&city)) + smoothing * population_p)
                / (f64::from(baseline.countries.count(&country)) + smoothing);
            (population_p / user_p).ln().max(0.0)
        });
        let downgrade = agent_info.browser_major.and_then(|major| {
            baseline.releases.downgrade(
                agent_info.browser,
                agent_info.os,
                (major, agent_info.browser_minor.unwrap_or(0)),
                now_ms,
                params.baseline.release_recency_ms(),
            )
        });
        // Without outcomes, "unknown" can only mean never seen before.
        let unknown_account = if event.success.is_some() {
            baseline.successes == 0
        } else {
            baseline.attempts == 0
        };
        let foreign_source = unknown_account
            || geo
                .and_then(|geo| geo.asn)
                .map_or(baseline.prefixes.count(&info.prefix_id) == 0, |asn| {
                    baseline.asns.count(&asn) == 0
                });
        LoginFeatures {
            prior_logins: baseline.logins,
            confidence,
            network_surprise: network_terms.iter().sum::<f64>().max(0.0),
            network_terms,
            city_surprise,
            network_owner_popularity,
            city_popularity,
            country_popularity,
            new_city: city.map(|(_, city)| baseline.cities.count(&city) == 0),
            device_surprise: device_terms.iter().sum::<f64>().max(0.0),
            device_terms,
            downgrade,
            hour_surprise,
            weekday_surprise,
            local_hour: hour,
            local_weekday: weekday,
            pace_z,
            secs_since_previous,
            travel,
            new_country: geo
                .and_then(|geo| country_key(geo.country_code.as_deref()))
                .map(|code| baseline.countries.count(&code) == 0),
            new_asn: geo
                .and_then(|geo| geo.asn)
                .map(|asn| baseline.asns.count(&asn) == 0),
            new_prefix: baseline.prefixes.count(&info.prefix_id) == 0,
            new_ip: baseline.ips.count(&source) == 0,
            new_device_type: baseline.devices.count(&agent_info.device) == 0,
            new_os: baseline.oses.count(&agent_info.os) == 0,
            new_browser: baseline.browsers.count(&agent_info.browser) == 0,
            new_user_agent: baseline.agents.count(&agent) == 0,
            network: geo.map(|geo| geo.network),
            agent_logins: self.population.count(&Key::Agent(agent)),
            network_owner_share: geo.and_then(|geo| geo.asn).map_or(0.0, |asn| {
                f64::from(self.population.count(&Key::Asn(asn)))
                    / f64::from(self.population.logins.max(1))
            }),
            scripted_client: agent_info.device == DeviceType::Script,
            browser_versions_behind: self
                .population
                .versions_behind(agent_info.browser, agent_info.browser_major),
            unknown_account,
            account_failures,
            account_unresolved,
            data_span_secs: (now_ms - self.first_timestamp_ms) as f64 / 1000.0,
            failures_before: state.failures.consecutive_from(source),
            source: source_counts,
            egress_accounts: self.egress_accounts.get(&source).map_or(0, |accounts| {
                accounts.iter().filter(|account| **account != user).count() as u32
            }),
            network_long: network_counts,
            foreign_source,
            fingerprint,
            network_owner,
            tenant_unknown,
            success: event.success,
        }
    }

    fn learn(
        &mut self,
        user: u32,
        source: u32,
        agent: u32,
        event: &LoginEvent,
        features: &LoginFeatures,
        risk_score: f64,
    ) {
        let now_ms = event.timestamp_ms;
        let failed = event.success == Some(false);
        let (prefix, prefix_id) = {
            let info = &self.sources[source as usize];
            (info.prefix, info.prefix_id)
        };
        let unknown = features.unknown_account;
        self.address_windows
            .record(source, now_ms, user, source, failed, unknown);
        self.network_windows
            .record(prefix, now_ms, user, source, failed, unknown);
        // Campaigns are counted by network owner only where owners are attack infrastructure
        // (hosting, VPN, Tor); residential proxies spread over the big consumer ISPs that
        // everyone uses, and are found by their client fingerprint and the names they try.
        let attack_infrastructure = self.sources[source as usize]
            .geo
            .as_ref()
            .filter(|geo| geo.network.hides_location())
            .and_then(|geo| geo.asn);
        if features.foreign_source {
            self.fingerprint_windows
                .record(agent, now_ms, user, source, failed, unknown);
            if let Some(asn) = attack_infrastructure {
                self.network_owner_windows
                    .record(asn, now_ms, user, source, failed, unknown);
            }
        }
        if unknown {
            self.tenant_unknown_window
                .record((), now_ms, user, source, failed, unknown);
        }
        if event.success == Some(true) {
            if attack_infrastructure.is_some() {
                let accounts = self.egress_accounts.entry(source).or_default();
                if accounts.len() < SHARED_EGRESS_ACCOUNTS as usize + 1 && !accounts.contains(&user)
                {
                    accounts.push(user);
                }
            }
            self.fingerprint_windows.forgive(agent, user, source);
            if let Some(asn) = attack_infrastructure {
                self.network_owner_windows.forgive(asn, user, source);
            }
            self.tenant_unknown_window.forgive((), user, source);
        }

        let learn_below = self.config.baseline.learn_below_risk;
        // A login teaches the baseline when it is clearly ordinary, or when it is only somewhat
        // unusual and keeps one anchor — a known network, or the user's current browser and OS
        // on a network that does not hide its users. An intruder on a new network with a new
        // device, or with an old copy of the user's browser, does not become familiar by
        // logging in again.
        let new_hidden_network = features.network.is_some_and(NetworkType::hides_location)
            && features.new_asn.unwrap_or(features.new_prefix);
        let anchored = !features.new_prefix
            || (!(features.new_os || features.new_browser)
                && features.downgrade.is_none()
                && !new_hidden_network);
        let ordinary = risk_score < self.config.baseline.learn_freely_below_risk
            || (risk_score < learn_below && anchored);
        let network = crate::baseline::Probation::key(
            self.sources[source as usize]
                .geo
                .as_ref()
                .and_then(|geo| geo.asn),
            prefix,
        );
        let baseline_params = &self.config.baseline;
        let teaches = event.success != Some(false)
            && (ordinary
                || (event.success == Some(true)
                    && Arc::make_mut(&mut self.users[user as usize])
                        .baseline
                        .probation
                        .admit(
                            network,
                            now_ms,
                            baseline_params.probation_days,
                            baseline_params.probation_span_days,
                        )));
        let network_levels = if teaches {
            self.network_levels(source)
        } else {
            Vec::new()
        };
        let device_levels = self.device_levels(agent);

        let state = Arc::make_mut(&mut self.users[user as usize]);
        state.failures.record(now_ms, source, event.success);
        state.baseline.attempts += 1;
        state.baseline.successes += u32::from(event.success == Some(true));
        // Every sign-in's release is remembered, also a risky one's: the user's second device
        // with an older browser stops being a downgrade once it has been in use for a while.
        let agent_info = &self.agents[agent as usize];
        if event.success != Some(false)
            && let Some(major) = agent_info.browser_major
        {
            state.baseline.releases.learn(
                agent_info.browser,
                agent_info.os,
                (major, agent_info.browser_minor.unwrap_or(0)),
                now_ms,
                teaches,
                self.config.baseline.release_recency_ms(),
            );
        }
        if !teaches {
            return;
        }
        if let Some(gap) = features.secs_since_previous {
            state.gaps.push((gap + 1.0).ln());
        }
        let (hour, weekday) = match (state.zone, self.sources[source as usize].zone) {
            (None, Some(zone)) => {
                // The first located login sets the user's clock.
                state.zone = Some(zone);
                self.user_clock(Some(zone), now_ms)
            }
            _ => (features.local_hour, features.local_weekday),
        };
        let state = Arc::make_mut(&mut self.users[user as usize]);
        let baseline = &mut state.baseline;
        baseline.logins += 1;
        baseline.first_learnt_ms.get_or_insert(now_ms);
        baseline.hours[hour] += 1;
        baseline.weekdays[weekday] += 1;
        if let Some(asn) = self.sources[source as usize]
            .geo
            .as_ref()
            .and_then(|geo| geo.asn)
        {
            baseline.spread.learn(asn, prefix);
        }
        if let Some((country, city)) = self.sources[source as usize].city_key() {
            baseline.cities.add(&city);
            self.population.learn_city(&country, city);
        }
        baseline.last = Some(LastLogin {
            timestamp_ms: now_ms,
            ip: event.ip,
            source,
            agent,
        });
        if self.sources[source as usize]
            .geo
            .as_ref()
            .is_some_and(|geo| reliably_located(geo, &baseline.spread))
        {
            baseline.last_fixed = baseline.last.clone();
        }
        self.population.logins += 1;
        let agent_info = &self.agents[agent as usize];
        self.population
            .learn_browser(agent_info.browser, agent_info.browser_major);
        if baseline.prefixes.count(&prefix_id) == 0 {
            self.population.learn_prefix_user(prefix);
        }
        for levels in [&network_levels[..], &device_levels[..]] {
            let mut parent = None;
            for (key, _) in levels {
                baseline.learn(key);
                self.population.learn(key, parent.as_ref());
                parent = Some(*key);
            }
        }
    }
}

/// Whether a source's place is where the person is: not a network that hides it (hosting, VPN,
/// Tor), not allow-listed (its location is not evidence), not country-level, and not a carrier
/// that hands this user addresses all over its pool.
fn reliably_located(geo: &crate::enrich::GeoInfo, spread: &crate::baseline::AddressSpread) -> bool {
    !geo.network.hides_location()
        && !geo.trusted
        && geo.accuracy_km < crate::enrich::COUNTRY_ACCURACY_KM
        && !geo.asn.is_some_and(|asn| spread.scattered(asn))
}

pub(crate) fn country_key(code: Option<&str>) -> Option<[u8; 2]> {
    let bytes = code?.as_bytes();
    (bytes.len() == 2).then(|| [bytes[0].to_ascii_uppercase(), bytes[1].to_ascii_uppercase()])
}

impl SourceInfo {
    /// The country and [`city_key`] of the source's city, when located to one.
    fn city_key(&self) -> Option<([u8; 2], u32)> {
        let geo = self.geo.as_ref()?;
        let country = country_key(geo.country_code.as_deref())?;
        Some((country, city_key(&country, geo.city.as_deref()?)))
    }
}

/// Hour of day (0–23) and weekday (0 = Monday) on a local clock (daylight saving included).
fn local_hour_and_weekday(timestamp_ms: i64, zone: &TimeZone) -> Option<(usize, usize)> {
    let local = zone.to_datetime(jiff::Timestamp::from_millisecond(timestamp_ms).ok()?);
    Some((
        usize::try_from(local.hour()).ok()?,
        usize::try_from(local.weekday().to_monday_zero_offset()).ok()?,
    ))
}

/// Hour of day (0–23) and weekday (0 = Monday) in UTC.
fn hour_and_weekday(timestamp_ms: i64) -> (usize, usize) {
    let secs = timestamp_ms.div_euclid(1000);
    let day = secs.div_euclid(86_400);
    let hour = secs.rem_euclid(86_400) / 3600;
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    let weekday = (day + 3).rem_euclid(7);
    (hour as usize, weekday as usize)
}

/// A user's latest [`PACE_HISTORY`] gaps between learnt logins (ln of seconds + 1), in the
/// order they came and sorted: the robust z-score of each login's gap then needs no sorting.
/// Kept (serialized) as the gaps in order.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "Vec<f64>", into = "Vec<f64>")]
struct Pace {
    latest: Vec<f64>,
    sorted: Vec<f64>,
}

impl From<Vec<f64>> for Pace {
    fn from(mut latest: Vec<f64>) -> Self {
        latest.drain(..latest.len().saturating_sub(PACE_HISTORY));
        let mut sorted = latest.clone();
        sorted.sort_by(f64::total_cmp);
        Self { latest, sorted }
    }
}

impl From<Pace> for Vec<f64> {
    fn from(pace: Pace) -> Self {
        pace.latest
    }
}

impl Pace {
    fn push(&mut self, gap: f64) {
        if self.latest.len() == PACE_HISTORY {
            let oldest = self.latest.remove(0);
            let at = self
                .sorted
                .partition_point(|kept| kept.total_cmp(&oldest).is_lt());
            self.sorted.remove(at);
        }
        self.latest.push(gap);
        let at = self
            .sorted
            .partition_point(|kept| kept.total_cmp(&gap).is_lt());
        self.sorted.insert(at, gap);
    }

    /// |x − median| / (1.4826 · MAD), with a floor on the spread so a very regular user's first
    /// irregularity is not infinite. 0 with fewer than 8 gaps. The deviations from the median
    /// come in order by walking outwards from the middle of the sorted gaps.
    fn robust_z(&self, value: f64) -> f64 {
        let sorted = &self.sorted;
        let count = sorted.len();
        if count < 8 {
            return 0.0;
        }
        let middle = count / 2;
        let odd = count % 2 == 1;
        let median = if odd {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        // Below `middle` the gaps are at most the median, from it on at least.
        let (mut below, mut above) = (middle, middle);
        let (mut previous, mut current) = (0.0, 0.0);
        for _ in 0..=middle {
            let from_below = below.checked_sub(1).map(|index| median - sorted[index]);
            let from_above = sorted.get(above).map(|gap| gap - median);
            previous = current;
            current = match (from_below, from_above) {
                (Some(low), Some(high)) if low <= high => {
                    below -= 1;
                    low
                }
                (Some(low), None) => {
                    below -= 1;
                    low
                }
                (_, Some(high)) => {
                    above += 1;
                    high
                }
                (None, None) => break,
            };
        }
        let mad = if odd {
            current
        } else {
            (previous + current) / 2.0
        };
        (value - median).abs() / (1.4826 * mad).max(0.5)
    }
}

/// Logins per block in the batch pipeline.
const FINISH_BLOCK: usize = 32_768;

/// Logins whose Isolation Forest scores are worked out together (runs of one snapshot).
const FOREST_SCORE_CHUNK: usize = 1_024;

/// The Isolation Forest's score of each login of `block` with its own snapshot: consecutive
/// logins scored by the same fit go through the trees together, which overlaps their memory
/// loads (several times faster than one login at a time, and the same scores bit for bit).
fn forest_scores(block: &[Observed]) -> Vec<Option<f64>> {
    let chunk_scores = |chunk: &[Observed]| {
        let mut scores = Vec::with_capacity(chunk.len());
        let mut rows = Vec::new();
        let mut start = 0;
        while start < chunk.len() {
            let Some(forest) = &chunk[start].forest else {
                scores.push(None);
                start += 1;
                continue;
            };
            let run = chunk[start..]
                .iter()
                .take_while(|login| {
                    login
                        .forest
                        .as_ref()
                        .is_some_and(|other| other.same_as(forest))
                })
                .count();
            rows.clear();
            for login in &chunk[start..start + run] {
                rows.extend_from_slice(&login.forest_row);
            }
            scores.extend(forest.score_many(&rows).into_iter().map(Some));
            start += run;
        }
        scores
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        block
            .par_chunks(FOREST_SCORE_CHUNK)
            .flat_map_iter(chunk_scores)
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        block
            .chunks(FOREST_SCORE_CHUNK)
            .flat_map(chunk_scores)
            .collect()
    }
}

fn finish_all(block: Vec<Observed>, risk_params: &RiskParams, model: &Model) -> Vec<ScoredEvent> {
    let forest_scores = forest_scores(&block);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        block
            .into_par_iter()
            .zip(forest_scores)
            .map(|(login, score)| login.finish_with(score, risk_params, model))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        block
            .into_iter()
            .zip(forest_scores)
            .map(|(login, score)| login.finish_with(score, risk_params, model))
            .collect()
    }
}

/// Finishes `block`, then runs `look_ahead`, while `observe_next` runs (on another thread when
/// `parallel` is on).
fn finish_while<T: Send>(
    block: Vec<Observed>,
    risk_params: &RiskParams,
    model: &Model,
    look_ahead: impl FnOnce() -> T + Send,
    observe_next: impl FnOnce() -> Vec<Observed> + Send,
) -> (Vec<ScoredEvent>, T, Vec<Observed>) {
    #[cfg(feature = "parallel")]
    {
        let ((done, ahead), next) = rayon::join(
            || (finish_all(block, risk_params, model), look_ahead()),
            observe_next,
        );
        (done, ahead, next)
    }
    #[cfg(not(feature = "parallel"))]
    {
        (
            finish_all(block, risk_params, model),
            look_ahead(),
            observe_next(),
        )
    }
}

/// The places of the distinct addresses of `logins`, looked up off the sequential pass: with
/// `parallel`, on the threads that are not observing (a tenth of the sequential work was these
/// lookups). Without it there is no other thread, and nothing is looked up twice.
fn look_up_ahead<'e>(
    geo: &dyn GeoLookup,
    logins: impl Iterator<Item = &'e LoginEvent>,
) -> Vec<(IpAddr, Option<GeoInfo>)> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let mut seen = rustc_hash::FxHashSet::default();
        let addresses: Vec<IpAddr> = logins
            .map(|login| login.ip)
            .filter(|ip| seen.insert(*ip))
            .collect();
        addresses
            .into_par_iter()
            .map(|ip| (ip, geo.lookup(ip)))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let _ = (geo, logins);
        Vec::new()
    }
}

/// The result of analysing a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// One per accepted event, in input order.
    pub events: Vec<ScoredEvent>,
    /// Riskiest first.
    pub users: Vec<UserRisk>,
    /// One verdict per account (compromised, suspicious, clean) with its evidence chain:
    /// compromised first. The unit an analyst acts on; see [`crate::accounts`].
    #[serde(default)]
    pub accounts: Vec<AccountVerdict>,
    /// Attacking campaigns (brute force, spraying, stuffing), largest first.
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    pub config: AnalysisConfig,
    pub geo_data: Option<String>,
    pub forest_fits: u32,
    pub cluster_fits: u32,
    pub cluster_eps: Option<f64>,
}

impl Analysis {
    pub fn count_at(&self, level: RiskLevel) -> usize {
        self.events
            .iter()
            .filter(|event| event.risk_level == level)
            .count()
    }

    /// Accounts whose verdict is `status`.
    pub fn accounts_with(&self, status: AccountStatus) -> impl Iterator<Item = &AccountVerdict> {
        self.accounts
            .iter()
            .filter(move |verdict| verdict.status == status)
    }

    /// One incident per compromised account and per campaign
    /// ([`crate::incidents::incidents_from`]).
    pub fn incidents(&self, params: &crate::IncidentParams) -> Vec<crate::Incident> {
        crate::incidents::incidents_from(&self.events, &self.accounts, &self.campaigns, params)
    }
}

/// A user's risk after `scored`: the risk so far (at `risk_at_ms`, `i64::MIN` for none) halved
/// every half-life, or the new login's score when higher.
fn decayed_max(risk: f64, risk_at_ms: i64, scored: &ScoredEvent, half_life_ms: f64) -> f64 {
    let decayed = if risk_at_ms == i64::MIN {
        0.0
    } else {
        risk * 0.5f64.powf((scored.timestamp_ms - risk_at_ms) as f64 / half_life_ms)
    };
    decayed.max(scored.risk_score)
}

/// Per-user risk recomputed from scored logins (any order), as [`analyze`] reports it: riskiest
/// first. For results read back from storage, which keep the logins but not the users.
pub fn user_risks(events: &[ScoredEvent], params: &RiskParams) -> Vec<UserRisk> {
    let half_life_ms = params.user_risk_half_life_secs as f64 * 1000.0;
    let mut order: Vec<&ScoredEvent> = events.iter().collect();
    order.sort_by_key(|event| (event.timestamp_ms, event.row));
    let mut users: rustc_hash::FxHashMap<&str, UserRisk> = rustc_hash::FxHashMap::default();
    for event in order {
        let user = users.entry(&event.user_id).or_insert_with(|| UserRisk {
            user_id: event.user_id.to_string(),
            risk_score: 0.0,
            risk_level: RiskLevel::Low,
            logins: 0,
            high_or_above: 0,
            last_timestamp_ms: i64::MIN,
        });
        user.risk_score = decayed_max(user.risk_score, user.last_timestamp_ms, event, half_life_ms);
        user.last_timestamp_ms = event.timestamp_ms;
        user.logins += 1;
        user.high_or_above += u32::from(event.risk_level >= RiskLevel::High);
    }
    let mut users: Vec<UserRisk> = users
        .into_values()
        .map(|mut user| {
            user.risk_level = RiskLevel::from_score(user.risk_score, params);
            user
        })
        .collect();
    sort_users(&mut users);
    users
}

pub(crate) fn sort_users(users: &mut [UserRisk]) {
    users.sort_by(|a, b| {
        b.risk_score
            .total_cmp(&a.risk_score)
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
}

/// Analyses a batch of accepted events (as ingested, in input order).
pub fn analyze(
    events: &[LoginEvent],
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    progress: impl FnMut(usize),
) -> Result<Analysis, ConfigError> {
    analyze_with(events, &History::default(), config, geo, progress)
}

/// What the engine learns about `user_id` from `logins` (any order; replayed in time order, with
/// `feedback` applied), without scoring them: the baseline their next login is compared with.
pub fn learnt_baseline<'a>(
    logins: impl IntoIterator<Item = &'a LoginEvent>,
    feedback: Option<&Feedback>,
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    user_id: &str,
) -> Result<Option<BaselineSnapshot>, ConfigError> {
    let mut analyzer = Analyzer::new(config.clone(), geo)?;
    if let Some(feedback) = feedback {
        analyzer = analyzer.with_feedback(feedback);
    }
    let mut order: Vec<&LoginEvent> = logins.into_iter().collect();
    order.sort_by_key(|login| login.timestamp_ms);
    for login in order {
        analyzer
            .observe(login)
            .expect("logins are fed in time order after sorting");
    }
    Ok(analyzer.baseline_of(user_id))
}

/// The risk model's inputs for each of `events` (in input order), analysed in time order with
/// `model` gating what baselines learn: what the calibration fits a new model on
/// (`cargo run --release -p scenario --example calibrate`).
pub fn calibration_inputs(
    events: &[LoginEvent],
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    model: &Model,
) -> Result<Vec<RiskInputs>, ConfigError> {
    let mut analyzer = Analyzer::new(config.clone(), geo)?.with_model(model.clone());
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&index| (events[index].timestamp_ms, index));
    let mut inputs = vec![RiskInputs::default(); events.len()];
    for index in order {
        let observed = analyzer
            .observe(&events[index])
            .expect("events are fed in time order after sorting");
        inputs[index] = observed.inputs();
    }
    Ok(inputs)
}

/// What an analysis starts from besides its own events.
#[derive(Clone, Copy, Debug, Default)]
pub struct History<'a> {
    /// Earlier logins (from kept analyses), learnt from in time order but not scored, so a new
    /// upload for the same users is scored against what was learnt before. Ties in time keep
    /// this order.
    pub earlier: &'a [&'a LoginEvent],
    /// Allow-list entries in force and analysts' verdicts.
    pub feedback: Option<&'a Feedback>,
}

/// Analyses a batch after learning from `history`, applying its feedback to both.
pub fn analyze_with(
    events: &[LoginEvent],
    history: &History<'_>,
    config: &AnalysisConfig,
    geo: &dyn GeoLookup,
    progress: impl FnMut(usize),
) -> Result<Analysis, ConfigError> {
    let analyzer = fresh_analyzer(config, geo, history.feedback)?;
    let along = Along::default();
    let (analysis, _) = analyze_reusing(analyzer, events, history.earlier, along, progress);
    Ok(analysis)
}

fn fresh_analyzer<'g>(
    config: &AnalysisConfig,
    geo: &'g dyn GeoLookup,
    feedback: Option<&Feedback>,
) -> Result<Analyzer<'g>, ConfigError> {
    let analyzer = Analyzer::new(config.clone(), geo)?;
    Ok(match feedback {
        Some(feedback) => analyzer.with_feedback(feedback),
        None => analyzer,
    })
}

/// What an analysis learnt from earlier logins before scoring any of its own: a later analysis
/// of the same source, with the same settings and feedback, starts from it
/// ([`analyze_after`]) instead of learning those logins again.
#[derive(Clone)]
pub struct Learnt {
    analyzer: Analyzer<'static>,
    feedback: Feedback,
    logins: usize,
}

impl Learnt {
    /// Nothing learnt yet, with these settings, geolocation and feedback.
    pub fn fresh(
        config: &AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
        feedback: &Feedback,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            analyzer: Analyzer::shared(config.clone(), geo)?.with_feedback(feedback),
            feedback: feedback.clone(),
            logins: 0,
        })
    }

    /// How many logins were learnt.
    pub fn logins(&self) -> usize {
        self.logins
    }

    /// The instant of the latest login learnt (`i64::MIN` before any): later analyses start
    /// from here only with logins at or after it.
    pub fn through_ms(&self) -> i64 {
        self.analyzer.last_timestamp_ms
    }

    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }

    pub fn config(&self) -> &AnalysisConfig {
        &self.analyzer.config
    }
}

/// What an analysis keeps of its learning besides its result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Keep {
    /// What is learnt once the logins of the history before this instant are, as far as they
    /// come before every scored login ([`Kept::learnt`]).
    pub learnt_before_ms: Option<i64>,
    /// What is learnt at this many points at most ([`Kept::waypoints`]), evenly spread over
    /// the logins in time order from the first scored one (0: none).
    pub waypoints: usize,
}

/// What an analysis kept of its learning, as asked by [`Keep`].
#[derive(Clone, Default)]
pub struct Kept {
    pub learnt: Option<Learnt>,
    pub waypoints: Option<Waypoints>,
}

/// What an analysis had learnt at points along its way (evenly spread from its first scored
/// login, history included), so that scoring the same logins again after a verdict on a later one
/// starts from the last point before it instead of from the beginning ([`Reuse::waypoints`]).
#[derive(Clone)]
pub struct Waypoints {
    points: Vec<Waypoint<'static>>,
    /// The user (in the analyzer's table) of each scored login, in time order.
    users: Vec<u32>,
}

impl Waypoints {
    /// How many points were kept.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[derive(Clone)]
struct Waypoint<'g> {
    /// Logins (history and scored, in time order, from the very first learnt) learnt before it.
    slot: usize,
    /// Shared: a re-analysis keeps the points before where it starts without copying them.
    analyzer: Arc<Analyzer<'g>>,
}

/// How an analysis goes along: where it may start from and what it keeps.
#[derive(Default)]
struct Along<'r> {
    reuse: Option<Reuse<'r>>,
    keep: Keep,
    /// Logins learnt before this analysis (by the analyzer it starts with).
    learnt_before: usize,
}

/// Scores `events` after learning `earlier` (in time order) on top of what `start` learnt, with
/// `start`'s settings, geolocation and feedback: the same analysis as [`analyze_with`] given
/// `start`'s logins followed by `earlier` as history. Every login of `earlier` and `events` must
/// be at or after [`Learnt::through_ms`]. It keeps what `keep` asks for.
pub fn analyze_after(
    start: &Learnt,
    events: &[LoginEvent],
    earlier: &[&LoginEvent],
    keep: Keep,
    progress: impl FnMut(usize),
) -> Result<(Analysis, Kept), OutOfOrder> {
    reanalyze_after(start, events, earlier, None, keep, progress)
}

/// [`analyze_after`] for logins scored before, after a change that leaves their scores before
/// `reuse.before_ms` as they were (a verdict on a later login): those logins are only learnt
/// from again (from the last of `reuse.waypoints` before that instant), not scored, and keep
/// their earlier scores, so the result equals a whole analysis at a fraction of its cost.
pub fn reanalyze_after(
    start: &Learnt,
    events: &[LoginEvent],
    earlier: &[&LoginEvent],
    reuse: Option<Reuse<'_>>,
    keep: Keep,
    progress: impl FnMut(usize),
) -> Result<(Analysis, Kept), OutOfOrder> {
    let latest_ms = start.through_ms();
    if let Some(timestamp_ms) = events
        .iter()
        .map(|event| event.timestamp_ms)
        .chain(earlier.iter().map(|login| login.timestamp_ms))
        .find(|&timestamp_ms| timestamp_ms < latest_ms)
    {
        return Err(OutOfOrder {
            timestamp_ms,
            latest_ms,
        });
    }
    let reuse = reuse.filter(|reuse| reuse.previous.len() == events.len());
    let along = Along {
        reuse,
        keep,
        learnt_before: start.logins,
    };
    let (analysis, kept) =
        analyze_reusing(start.analyzer.clone(), events, earlier, along, progress);
    let learnt = kept.learnt.map(|(analyzer, learnt)| Learnt {
        analyzer,
        feedback: start.feedback.clone(),
        logins: start.logins + learnt,
    });
    let waypoints = kept
        .waypoints
        .map(|(points, users)| Waypoints { points, users });
    Ok((analysis, Kept { learnt, waypoints }))
}

/// Scores of an earlier analysis of the same logins that still hold: those of the logins before
/// `before_ms`, when nothing the analysis depends on before that instant has changed (the
/// history, the settings, the allow-list; verdicts only on logins from `before_ms` on).
#[derive(Clone, Copy)]
pub struct Reuse<'a> {
    /// One per event, in input order, as [`Analysis::events`].
    pub previous: &'a [ScoredEvent],
    pub before_ms: i64,
    /// What that analysis had learnt along its way, if it kept it.
    pub waypoints: Option<&'a Waypoints>,
}

/// What [`analyze_reusing`] kept: the analyzer after the history learnt first (and how many
/// logins that was), and the waypoints with each scored login's user.
#[derive(Default)]
struct KeptAlong<'g> {
    learnt: Option<(Analyzer<'g>, usize)>,
    waypoints: Option<(Vec<Waypoint<'g>>, Vec<u32>)>,
}

/// The analysis of `events` by `analyzer` after it learns `earlier`, going `along` as asked.
/// Every login must be at or after what `analyzer` saw last.
fn analyze_reusing<'g>(
    mut analyzer: Analyzer<'g>,
    events: &[LoginEvent],
    earlier: &[&LoginEvent],
    along: Along<'_>,
    mut progress: impl FnMut(usize),
) -> (Analysis, KeptAlong<'g>) {
    let Along {
        reuse,
        keep,
        learnt_before,
    } = along;
    // History and new events in one time order (history first on ties); `Err` marks history.
    let mut order: Vec<Result<usize, usize>> = (0..events.len())
        .map(Ok)
        .chain((0..earlier.len()).map(Err))
        .collect();
    let login = |slot: &Result<usize, usize>| match *slot {
        Ok(index) => &events[index],
        Err(index) => earlier[index],
    };
    order.sort_by_key(|slot| {
        (
            login(slot).timestamp_ms,
            slot.is_ok(),
            slot.map_or_else(|i| i, |i| i),
        )
    });
    let mut finished: Vec<ScoredEvent> = Vec::with_capacity(events.len());
    let mut users_in_order: Vec<u32> = Vec::with_capacity(events.len());
    let mut scored_order: Vec<usize> = Vec::with_capacity(events.len());
    // Logins whose earlier scores hold keep them, and are learnt from again from the last
    // point kept before the first that changed.
    let reused = reuse.map_or(0, |reuse| {
        order.partition_point(|slot| login(slot).timestamp_ms < reuse.before_ms)
    });
    let mut along = Vec::new();
    let mut start_slot = 0;
    if let Some(reuse) = reuse
        && let Some(waypoints) = reuse.waypoints
        && let Some(waypoint) = waypoints
            .points
            .iter()
            .rev()
            .find(|waypoint| (learnt_before..=learnt_before + reused).contains(&waypoint.slot))
        && waypoints.users.len() == events.len()
    {
        // The waypoint's learning, with what analysts teach now (verdicts changed only on
        // logins after it).
        let taught = std::mem::take(&mut analyzer.feedback);
        analyzer = Analyzer::clone(&waypoint.analyzer);
        analyzer.feedback.retaught(taught);
        start_slot = waypoint.slot - learnt_before;
        along.extend(
            waypoints
                .points
                .iter()
                .filter(|earlier| earlier.slot < waypoint.slot)
                .cloned(),
        );
        for slot in &order[..start_slot] {
            if let Ok(index) = *slot {
                users_in_order.push(waypoints.users[scored_order.len()]);
                scored_order.push(index);
                finished.push(reuse.previous[index].clone());
            }
        }
    }
    let first_scored = order.iter().position(Result::is_ok);
    let every = first_scored
        .filter(|_| keep.waypoints > 0)
        .map(|first| (order.len() - first).div_ceil(keep.waypoints).max(1));
    // Before learning the login at `position` (in time order).
    let mut pass = |analyzer: &Analyzer<'g>, position: usize| {
        let slot = learnt_before + position;
        if let (Some(every), Some(first)) = (every, first_scored)
            && slot > 0
            && position >= first
            && (position - first).is_multiple_of(every)
        {
            along.push(Waypoint {
                slot,
                analyzer: Arc::new(analyzer.clone()),
            });
        }
    };
    // The history before the first event (and before `keep.learnt_before_ms`) is learnt first:
    // what a later analysis may start from.
    let learnt_first = match reuse {
        Some(_) => start_slot,
        None => order
            .iter()
            .take_while(|slot| {
                slot.is_err()
                    && keep
                        .learnt_before_ms
                        .is_none_or(|before| login(slot).timestamp_ms < before)
            })
            .count(),
    };
    for (position, slot) in order.iter().enumerate().take(learnt_first).skip(start_slot) {
        pass(&analyzer, position);
        analyzer
            .observe(login(slot))
            .expect("events are fed in time order after sorting");
    }
    let learnt = (keep.learnt_before_ms.is_some() && reuse.is_none() && learnt_first > 0)
        .then(|| (analyzer.clone(), learnt_first));
    // Logins are observed in blocks; while one block is finished (population-model scores,
    // in parallel), the next is observed. Memory for observed-but-unfinished logins stays
    // bounded by two blocks.
    let config = analyzer.config().clone();
    let risk_params = &config.risk;
    let model = analyzer.model().clone();
    let mut pending: Vec<Observed> = Vec::new();
    let reused = reused.max(learnt_first);
    if let Some(reuse) = reuse {
        for (position, slot) in order.iter().enumerate().take(reused).skip(learnt_first) {
            pass(&analyzer, position);
            let observed = analyzer
                .observe(login(slot))
                .expect("events are fed in time order after sorting");
            if let Ok(index) = *slot {
                users_in_order.push(observed.user());
                scored_order.push(index);
                finished.push(reuse.previous[index].clone());
            }
        }
        progress(finished.len());
    }
    let reused_events = finished.len();
    let lookahead_geo = analyzer.geo.clone();
    let lookahead_geo = lookahead_geo.lookup();
    let blocks: Vec<&[Result<usize, usize>]> = order[reused..].chunks(FINISH_BLOCK).collect();
    if let Some(first) = blocks.first() {
        analyzer.take_looked_up(look_up_ahead(lookahead_geo, first.iter().map(login)));
    }
    for (block, slots) in blocks.iter().copied().enumerate() {
        let first_position = reused + block * FINISH_BLOCK;
        let mut observe_block = |analyzer: &mut Analyzer<'g>| -> Vec<Observed> {
            slots
                .iter()
                .enumerate()
                .filter_map(|(offset, slot)| {
                    pass(analyzer, first_position + offset);
                    let observed = analyzer
                        .observe(login(slot))
                        .expect("events are fed in time order after sorting");
                    slot.is_ok().then_some(observed)
                })
                .collect()
        };
        scored_order.extend(slots.iter().filter_map(|slot| slot.ok()));
        let previous = std::mem::take(&mut pending);
        users_in_order.extend(previous.iter().map(Observed::user));
        let ahead = blocks.get(block + 1).copied().unwrap_or_default();
        let (done, looked_up, next) = finish_while(
            previous,
            risk_params,
            &model,
            || look_up_ahead(lookahead_geo, ahead.iter().map(login)),
            || observe_block(&mut analyzer),
        );
        analyzer.take_looked_up(looked_up);
        finished.extend(done);
        pending = next;
        progress((reused_events + block * FINISH_BLOCK).min(events.len()));
    }
    users_in_order.extend(pending.iter().map(Observed::user));
    finished.extend(finish_all(pending, risk_params, &model));
    for (&user, scored) in users_in_order.iter().zip(&finished) {
        analyzer.record_user_risk(user, scored);
    }
    let waypoints = every.map(|_| (along, users_in_order));
    progress(events.len());
    // Back to input order in place: finished[k] belongs at scored_order[k] (cycle-following
    // swaps, so a large result is never held twice).
    let mut target = scored_order;
    for start in 0..finished.len() {
        while target[start] != start {
            let destination = target[start];
            finished.swap(start, destination);
            target.swap(start, destination);
        }
    }
    let mut users = analyzer.user_risks();
    sort_users(&mut users);
    let (forest_fits, cluster_fits) = analyzer.model_fits();
    let campaigns = campaigns(&finished);
    let accounts = account_verdicts_in(&finished, &campaigns, &config.accounts, &config.risk);
    let analysis = Analysis {
        events: finished,
        users,
        accounts,
        campaigns,
        geo_data: analyzer.geo.lookup().data_version(),
        config,
        forest_fits,
        cluster_fits,
        cluster_eps: analyzer.cluster_eps(),
    };
    (analysis, KeptAlong { learnt, waypoints })
}

mod kept_state;
pub use kept_state::ResumeError;

mod stream;
pub use stream::{Scored, StreamEnd, StreamingAnalysis};

#[cfg(test)]
mod tests;
