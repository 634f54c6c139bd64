//! Scoring a log of any length with memory bounded by its users, not its logins: logins arrive
//! in blocks in time order and leave scored, a block later. What is held is the analyzer's
//! per-user and per-source state, the population models' samples, and three blocks.
//! [`crate::ingest::Reorder`] puts a log that is only roughly in time order back in order first.

use super::{
    Analyzer, ConfigError, Observed, OutOfOrder, ScoredEvent, UserRisk, finish_while,
    look_up_ahead, sort_users,
};
use crate::calibration::Model;
use crate::config::AnalysisConfig;
use crate::enrich::GeoLookup;
use crate::event::LoginEvent;
use crate::feedback::Feedback;

/// A login and its score, handed back together so that the caller can write both.
pub type Scored = (LoginEvent, ScoredEvent);

/// What a streamed analysis knows at its end beside the scored logins.
#[derive(Clone, Debug, Default)]
pub struct StreamEnd {
    /// Riskiest first, as [`super::Analysis::users`].
    pub users: Vec<UserRisk>,
    pub forest_fits: u32,
    pub cluster_fits: u32,
    pub cluster_eps: Option<f64>,
    pub geo_data: Option<String>,
}

/// Scores blocks of logins given in time order. Each [`Self::push`] observes the block before
/// while the one before that is finished (the population models' scores, the explanations)
/// and the addresses of the new block are looked up, as [`super::analyze`] does: the scores
/// are the same as a whole analysis of the same logins.
pub struct StreamingAnalysis<'g> {
    analyzer: Analyzer<'g>,
    model: Model,
    /// Next to observe; its addresses are already looked up.
    queued: Vec<LoginEvent>,
    /// Observed, not finished, with their logins.
    observed: Vec<Observed>,
    observed_logins: Vec<LoginEvent>,
}

impl<'g> StreamingAnalysis<'g> {
    pub fn new(
        config: AnalysisConfig,
        geo: &'g dyn GeoLookup,
        feedback: Option<&Feedback>,
    ) -> Result<Self, ConfigError> {
        let mut analyzer = Analyzer::new(config, geo)?;
        if let Some(feedback) = feedback {
            analyzer.set_feedback(feedback);
        }
        let model = analyzer.model().clone();
        Ok(Self {
            analyzer,
            model,
            queued: Vec::new(),
            observed: Vec::new(),
            observed_logins: Vec::new(),
        })
    }

    /// Takes `block` (in time order, none before what came before) and hands back the logins
    /// finished meanwhile, in time order: those of two pushes before.
    pub fn push(&mut self, block: Vec<LoginEvent>) -> Result<Vec<Scored>, OutOfOrder> {
        let latest_ms = self
            .queued
            .last()
            .map_or(self.analyzer.last_timestamp_ms, |login| login.timestamp_ms);
        let mut previous_ms = latest_ms;
        for login in &block {
            if login.timestamp_ms < previous_ms {
                return Err(OutOfOrder {
                    timestamp_ms: login.timestamp_ms,
                    latest_ms: previous_ms,
                });
            }
            previous_ms = login.timestamp_ms;
        }
        if block.is_empty() {
            return Ok(Vec::new());
        }
        let geo = self.analyzer.geo.clone();
        let geo = geo.lookup();
        if self.queued.is_empty() && self.observed.is_empty() {
            let looked_up = look_up_ahead(geo, block.iter());
            self.analyzer.take_looked_up(looked_up);
            self.queued = block;
            return Ok(Vec::new());
        }
        let to_observe = std::mem::take(&mut self.queued);
        let finished = self.step(to_observe, || look_up_ahead(geo, block.iter()));
        self.queued = block;
        Ok(finished)
    }

    /// Finishes what is observed while `to_observe` is observed and `look_ahead` runs.
    fn step(
        &mut self,
        to_observe: Vec<LoginEvent>,
        look_ahead: impl FnOnce() -> Vec<(std::net::IpAddr, Option<crate::enrich::GeoInfo>)> + Send,
    ) -> Vec<Scored> {
        let observed = std::mem::take(&mut self.observed);
        let logins = std::mem::take(&mut self.observed_logins);
        let users: Vec<u32> = observed.iter().map(Observed::user).collect();
        let risk_params = self.analyzer.config().risk.clone();
        let analyzer = &mut self.analyzer;
        let (done, looked_up, next) =
            finish_while(observed, &risk_params, &self.model, look_ahead, || {
                to_observe
                    .iter()
                    .map(|login| {
                        analyzer
                            .observe(login)
                            .expect("blocks are checked to be in time order")
                    })
                    .collect()
            });
        self.analyzer.take_looked_up(looked_up);
        for (&user, scored) in users.iter().zip(&done) {
            self.analyzer.record_user_risk(user, scored);
        }
        self.observed = next;
        self.observed_logins = to_observe;
        logins.into_iter().zip(done).collect()
    }

    /// Scores what is still held and hands it back, in time order, with what the analysis
    /// knows at its end.
    pub fn finish(mut self) -> (Vec<Scored>, StreamEnd) {
        let to_observe = std::mem::take(&mut self.queued);
        let mut finished = self.step(to_observe, Vec::new);
        // Nothing more to observe: this step only finishes the last block.
        finished.extend(self.step(Vec::new(), Vec::new));
        let mut users = self.analyzer.user_risks();
        sort_users(&mut users);
        let (forest_fits, cluster_fits) = self.analyzer.model_fits();
        let end = StreamEnd {
            users,
            forest_fits,
            cluster_fits,
            cluster_eps: self.analyzer.cluster_eps(),
            geo_data: self.analyzer.geo.lookup().data_version(),
        };
        (finished, end)
    }
}
