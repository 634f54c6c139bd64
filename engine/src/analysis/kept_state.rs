//! What an analyzer has learnt, as bytes: baselines, the population's counts, the attack windows
//! and the population models with their samples. A monitored source keeps it so its raw logins
//! can be purged while what was learnt from them stays ([`Analyzer::learnt_state`],
//! [`Analyzer::resume_shared`]).
//!
//! Settings are not kept: a resumed analyzer scores with the settings in force, its windows
//! span their current lengths and its models refit with their current parameters (the samples
//! keep the size they were drawn with). The addresses marked by verdicts are kept, but not the
//! allow-list and verdicts themselves: a resumed analyzer applies none until it is taught the
//! feedback in force ([`Analyzer::set_feedback`]), which also lets go of the marks whose verdicts
//! no longer stand.

use std::sync::Arc;

use jiff::tz::TimeZone;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::{Analyzer, Place, UserState};
use crate::baseline::Population;
use crate::check::ConfigError;
use crate::config::AnalysisConfig;
use crate::detectors::dbscan::PopulationClusters;
use crate::detectors::evidence::SourceInfo;
use crate::detectors::isolation_forest::PopulationForest;
use crate::enrich::{GeoLookup, UserAgentInfo};
use crate::features::{CLUSTER_DIMENSIONS, FOREST_DIMENSIONS};
use crate::feedback::FeedbackIndex;
use crate::windows::SourceWindows;

/// The layout of kept state; bumped whenever it changes, so older state is refused rather than
/// misread.
const FORMAT: u32 = 5;

/// Kept state that cannot be resumed from.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the learnt state was kept in format {found}; this version reads format {FORMAT}")]
    Format { found: u32 },
    #[error("the learnt state is damaged: {0}")]
    Damaged(#[from] postcard::Error),
}

// The two views below are written and read field by field in this order: keep them in step.

#[derive(Serialize)]
struct StateRef<'a> {
    user_ids: &'a HashMap<String, u32>,
    users: &'a [Arc<UserState>],
    source_ids: &'a HashMap<std::net::IpAddr, u32>,
    prefix_ids: &'a HashMap<u128, u32>,
    sources: &'a [Arc<SourceInfo>],
    agent_ids: &'a HashMap<String, u32>,
    agents: &'a [Arc<UserAgentInfo>],
    agent_descriptions: &'a [Arc<str>],
    source_places: &'a [Place],
    /// Time zones by name, in the order of their ids.
    zones: Vec<&'a str>,
    population: &'a Population,
    address_windows: &'a SourceWindows<u32>,
    network_windows: &'a SourceWindows<u128>,
    fingerprint_windows: &'a SourceWindows<u32>,
    network_owner_windows: &'a SourceWindows<u32>,
    tenant_unknown_window: &'a SourceWindows<()>,
    egress_accounts: &'a HashMap<u32, Vec<u32>>,
    forest: &'a PopulationForest<FOREST_DIMENSIONS>,
    clusters: &'a PopulationClusters<CLUSTER_DIMENSIONS>,
    last_timestamp_ms: i64,
    first_timestamp_ms: i64,
    feedback: &'a FeedbackIndex,
}

#[derive(Deserialize)]
struct State {
    user_ids: HashMap<String, u32>,
    users: Vec<Arc<UserState>>,
    source_ids: HashMap<std::net::IpAddr, u32>,
    prefix_ids: HashMap<u128, u32>,
    sources: Vec<Arc<SourceInfo>>,
    agent_ids: HashMap<String, u32>,
    agents: Vec<Arc<UserAgentInfo>>,
    agent_descriptions: Vec<Arc<str>>,
    source_places: Vec<Place>,
    zones: Vec<String>,
    population: Population,
    address_windows: SourceWindows<u32>,
    network_windows: SourceWindows<u128>,
    fingerprint_windows: SourceWindows<u32>,
    network_owner_windows: SourceWindows<u32>,
    tenant_unknown_window: SourceWindows<()>,
    egress_accounts: HashMap<u32, Vec<u32>>,
    forest: PopulationForest<FOREST_DIMENSIONS>,
    clusters: PopulationClusters<CLUSTER_DIMENSIONS>,
    last_timestamp_ms: i64,
    first_timestamp_ms: i64,
    feedback: FeedbackIndex,
}

impl Analyzer<'_> {
    /// Everything learnt so far, as bytes ([`Analyzer::resume_shared`] reads them back).
    pub fn learnt_state(&self) -> Vec<u8> {
        let mut names: Vec<(&str, u32)> = self
            .zone_ids
            .iter()
            .map(|(name, id)| (name.as_str(), *id))
            .collect();
        names.sort_by_key(|(_, id)| *id);
        let state = StateRef {
            user_ids: &self.user_ids,
            users: &self.users,
            source_ids: &self.source_ids,
            prefix_ids: &self.prefix_ids,
            sources: &self.sources,
            agent_ids: &self.agent_ids,
            agents: &self.agents,
            agent_descriptions: &self.agent_descriptions,
            source_places: &self.source_places,
            zones: names.into_iter().map(|(name, _)| name).collect(),
            population: &self.population,
            address_windows: &self.address_windows,
            network_windows: &self.network_windows,
            fingerprint_windows: &self.fingerprint_windows,
            network_owner_windows: &self.network_owner_windows,
            tenant_unknown_window: &self.tenant_unknown_window,
            egress_accounts: &self.egress_accounts,
            forest: &self.forest,
            clusters: &self.clusters,
            last_timestamp_ms: self.last_timestamp_ms,
            first_timestamp_ms: self.first_timestamp_ms,
            feedback: &self.feedback,
        };
        let mut bytes = postcard::to_stdvec(&FORMAT).expect("a number serializes");
        bytes.extend(postcard::to_stdvec(&state).expect("the state serializes to memory"));
        bytes
    }
}

impl Analyzer<'static> {
    /// An analyzer with these settings and geolocation that goes on from `learnt`
    /// ([`Analyzer::learnt_state`]) as if it had learnt those logins itself.
    pub fn resume_shared(
        config: AnalysisConfig,
        geo: Arc<dyn GeoLookup + Send>,
        learnt: &[u8],
    ) -> Result<Self, ResumeError> {
        let (format, rest) = postcard::take_from_bytes::<u32>(learnt)?;
        if format != FORMAT {
            return Err(ResumeError::Format { found: format });
        }
        let state: State = postcard::from_bytes(rest)?;
        let fresh = Analyzer::shared(config, geo)?;
        // A zone the time-zone data no longer knows keeps its id, in UTC.
        let zones: Vec<TimeZone> = state
            .zones
            .iter()
            .map(|name| TimeZone::get(name).unwrap_or(TimeZone::UTC))
            .collect();
        Ok(Analyzer {
            zone_ids: state
                .zones
                .into_iter()
                .enumerate()
                .map(|(id, name)| (name, id as u32))
                .collect(),
            zones,
            user_ids: state.user_ids,
            users: state.users,
            source_ids: state.source_ids,
            prefix_ids: state.prefix_ids,
            sources: state.sources,
            agent_ids: state.agent_ids,
            agents: state.agents,
            agent_descriptions: state.agent_descriptions,
            source_places: state.source_places,
            // Shared again from here on: what is read back holds a copy per address.
            places: Default::default(),
            population: state.population,
            address_windows: fresh.address_windows.holding(state.address_windows),
            network_windows: fresh.network_windows.holding(state.network_windows),
            fingerprint_windows: fresh.fingerprint_windows.holding(state.fingerprint_windows),
            network_owner_windows: fresh
                .network_owner_windows
                .holding(state.network_owner_windows),
            tenant_unknown_window: fresh
                .tenant_unknown_window
                .holding(state.tenant_unknown_window),
            egress_accounts: state.egress_accounts,
            forest: fresh.forest.holding(state.forest),
            clusters: fresh.clusters.holding(state.clusters),
            last_timestamp_ms: state.last_timestamp_ms,
            first_timestamp_ms: state.first_timestamp_ms,
            feedback: state.feedback,
            looked_up: Default::default(),
            config: fresh.config,
            model: fresh.model,
            geo: fresh.geo,
        })
    }
}
