//! Everything a request may need, built once by `skytrace serve` (or a test) and handed to every
//! route; each handler takes only its part (`State<Arc<DetectionService>>`, …).

use std::sync::Arc;

use app::ServerSettings;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use service::DetectionService;
use service::monitor::Monitor;

use super::auth::AuthMode;
use super::files::PageFiles;
use super::hec_channels::HecChannels;
use super::ingest_rate::IngestRates;
use super::limits::Limits;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub detection: Arc<DetectionService>,
    pub auth: Arc<AuthMode>,
    pub settings: ServerSettings,
    pub files: Arc<PageFiles>,
    pub limits: Limits,
    /// Scores the logins `POST /api/v1/events` and the HEC endpoint receive.
    pub monitor: Monitor,
    /// Tokens the Splunk HEC–compatible endpoint takes (`--hec-token`).
    pub hec_tokens: Arc<HecTokens>,
    /// The collector's acknowledgement ids by channel.
    pub hec_channels: Arc<HecChannels>,
    /// How many events each token may send (`--ingest-rate-per-token`).
    pub ingest_rates: Arc<IngestRates>,
    /// The Authorization header value Okta's event hook sends (`--okta-hook-secret`).
    pub okta_hook_secret: Arc<OktaHookSecret>,
}

/// The tokens shippers present to the HEC collector as `Authorization: Splunk <token>`
/// (`--hec-token`). Without any, a local server takes events from anyone on this machine and a
/// hosted one takes API tokens of the ingest scope.
#[derive(Clone, Debug, Default)]
pub struct HecTokens(pub Vec<String>);

/// The `Authorization` header value Okta sends with every request of the event hook
/// (`--okta-hook-secret`); none turns the hook off.
#[derive(Clone, Debug, Default)]
pub struct OktaHookSecret(pub Option<String>);
