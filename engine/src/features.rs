//! Per-login features. Every value is computed from the user's and the population's history
//! *before* this login (causal), so a login scores the same whatever follows it in the file.

use crate::baseline::Downgrade;
use crate::enrich::NetworkType;
use crate::windows::WindowCounts;

/// Movement from the user's previous login (or, when that one's location is unreliable, from
/// their latest login at a reliably located place).
#[derive(Clone, Debug, PartialEq)]
pub struct Travel {
    /// Where and when the movement starts: the source's index in the analysis' table of
    /// addresses, and the login's time.
    pub from_source: u32,
    pub from_ms: i64,
    pub distance_km: f64,
    pub elapsed_secs: f64,
    pub speed_kmh: f64,
    /// Either end is only known to country level, or hides the person's location (hosting, VPN,
    /// Tor), or is allow-listed, or the start is a network that hands this user addresses all
    /// over its pool (a mobile carrier, whose roaming traffic comes home): the speed is not
    /// evidence on its own.
    pub uncertain: bool,
    /// The destination is a network (/24 or ASN in a known country) the user already uses, as
    /// when a roaming phone's traffic comes home through its carrier: not a new place.
    pub to_familiar_network: bool,
    /// The destination /24 is regularly used by others here (an office, a carrier's pool, the
    /// company VPN): Entra ID Protection's atypical travel likewise ignores "locations
    /// regularly used by other users in the organization".
    pub to_shared_network: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoginFeatures {
    /// Learnt logins of this user before this one.
    pub prior_logins: u32,
    /// 0 for a new user, rising to 1 once the baseline has `learning_logins` logins.
    pub confidence: f64,
    /// Freeman-style surprise (nats) of the source along country → ASN → /24 → IP (or /24 → IP
    /// without geolocation).
    pub network_surprise: f64,
    /// Its terms, one per level: country, network owner (ASN), /24, address (without
    /// geolocation: /24, address, 0, 0).
    pub network_terms: [f64; 4],
    /// Freeman term of the city given the country (0 when the city is unknown).
    pub city_surprise: f64,
    /// How common the network owner is in the country, and the city in the country, among all
    /// learnt logins (smoothed shares): a new carrier everyone here uses is not a stranger's.
    pub network_owner_popularity: f64,
    pub city_popularity: f64,
    /// Same for the country among all learnt logins: a country nobody here signs in from is
    /// not a business trip to a colleague's office.
    pub country_popularity: f64,
    /// The city is new for the user (`None` when not located to a city).
    pub new_city: Option<bool>,
    /// Same along device type → OS → browser → exact user agent.
    pub device_surprise: f64,
    pub device_terms: [f64; 4],
    /// An older release of a browser the user has since used a newer one of on the same OS,
    /// not itself in use lately: an out-of-date copy of the user's own browser.
    pub downgrade: Option<Downgrade>,
    /// −ln of the smoothed relative likelihood of this hour / weekday for the user (0 = usual).
    pub hour_surprise: f64,
    pub weekday_surprise: f64,
    /// Hour (0–23) and weekday (0 = Monday) on the user's usual clock.
    pub local_hour: usize,
    pub local_weekday: usize,
    /// Robust z-score (median/MAD) of ln(time since previous login) against the user's gaps.
    pub pace_z: f64,
    pub secs_since_previous: Option<f64>,
    pub travel: Option<Travel>,
    pub new_country: Option<bool>,
    pub new_asn: Option<bool>,
    pub new_prefix: bool,
    pub new_ip: bool,
    pub new_device_type: bool,
    pub new_os: bool,
    pub new_browser: bool,
    /// This exact user-agent string is new for the user.
    pub new_user_agent: bool,
    pub network: Option<NetworkType>,
    /// Learnt (legitimate-looking) logins anyone made with this exact user agent: a campaign
    /// is told by its client only if the client is the campaign's, not a browser release many
    /// staff still run.
    pub agent_logins: u32,
    /// Share of all learnt logins that came from this network owner (0 when unknown): a
    /// company VPN in a cloud region is common, an attacker's server is not.
    pub network_owner_share: f64,
    pub scripted_client: bool,
    /// Major versions this browser is behind the newest one seen in the population (outdated
    /// browsers are typical of attack tooling and old stolen-session kits).
    pub browser_versions_behind: u32,
    /// The account had no successful login before this attempt.
    pub unknown_account: bool,
    /// Failures on this account within the rule window, and consecutive failures just before
    /// from this login's address (an attacker's run does not end in the owner's success from
    /// home).
    pub account_failures: u32,
    pub failures_before: u32,
    /// Attempts on this account within the rule window whose outcome the log does not record.
    pub account_unresolved: u32,
    /// How much history the analysis has seen before this login.
    pub data_span_secs: f64,
    /// Attempts from this address within the rule window.
    pub source: WindowCounts,
    /// Attempts from this /24 (/48) within the spray window.
    pub network_long: WindowCounts,
    /// Other accounts that signed in successfully from this address before (any time; up to
    /// [`SHARED_EGRESS_ACCOUNTS`], counted on anonymising networks only): a
    /// company VPN's egress in a cloud region, used by colleagues day after day.
    pub egress_accounts: u32,
    /// The source's network (the ASN when located, else the /24) was never used in a learnt
    /// login of this account, or the account is unknown: what campaigns are made of.
    pub foreign_source: bool,
    /// Attempts from sources new to their accounts within the campaign window that share this
    /// login's exact user agent (a client fingerprint) / its network owner (ASN).
    pub fingerprint: WindowCounts,
    pub network_owner: WindowCounts,
    /// Attempts on never-seen account names across the tenant within the wave window.
    pub tenant_unknown: WindowCounts,
    pub success: Option<bool>,
}

/// Other accounts signing in from one address, mostly successfully, that make it a shared
/// egress (a company VPN in a cloud region, a hotel) rather than a campaign's address.
pub const SHARED_EGRESS_ACCOUNTS: u32 = 3;

/// Number of columns of [`LoginFeatures::forest_vector`].
pub const FOREST_DIMENSIONS: usize = 11;
/// Number of columns of [`LoginFeatures::cluster_vector`].
pub const CLUSTER_DIMENSIONS: usize = 5;

/// What each column of [`LoginFeatures::forest_vector`] measures, in words (for explanations).
pub const FOREST_FEATURE_NAMES: [&str; FOREST_DIMENSIONS] = [
    "network",
    "device",
    "hour of day",
    "weekday",
    "failures on the account",
    "accounts failing from the address",
    "accounts tried from the address",
    "unknown account",
    "travel speed",
    "anonymising network or script",
    "outcome",
];

/// What each column of [`LoginFeatures::cluster_vector`] measures, in words.
pub const CLUSTER_FEATURE_NAMES: [&str; CLUSTER_DIMENSIONS] = [
    "network",
    "device",
    "hour of day",
    "accounts failing from the address",
    "failures on the account",
];

impl LoginFeatures {
    /// The same login with its source treated as familiar: an allow-list entry vouches for the
    /// network, so where it comes from is no evidence (how it behaves still is).
    pub fn with_vouched_network(&self) -> Self {
        Self {
            network_surprise: 0.0,
            network_terms: [0.0; 4],
            city_surprise: 0.0,
            new_city: self.new_city.map(|_| false),
            foreign_source: self.unknown_account,
            travel: None,
            new_country: self.new_country.map(|_| false),
            new_asn: self.new_asn.map(|_| false),
            new_prefix: false,
            new_ip: false,
            network: None,
            ..self.clone()
        }
    }

    /// Behavioural features for the Isolation Forest (no scaling needed: splits are per column).
    pub fn forest_vector(&self) -> [f64; FOREST_DIMENSIONS] {
        let travel = self
            .travel
            .as_ref()
            .filter(|travel| !travel.uncertain)
            .map_or(0.0, |travel| (travel.speed_kmh / 100.0).ln_1p());
        [
            self.network_surprise * self.confidence,
            self.device_surprise * self.confidence,
            self.hour_surprise * self.confidence,
            self.weekday_surprise * self.confidence,
            f64::from(self.account_failures).ln_1p(),
            f64::from(self.source.failed_accounts).ln_1p(),
            f64::from(self.source.accounts).ln_1p(),
            f64::from(u8::from(self.unknown_account)),
            travel,
            f64::from(u8::from(
                self.network.is_some_and(NetworkType::hides_location) || self.scripted_client,
            )),
            match self.success {
                Some(true) => 1.0,
                Some(false) => 0.0,
                None => 0.5,
            },
        ]
    }

    /// A low-dimensional, fixed-scale view for density clustering (units chosen so that 1.0 is
    /// "clearly unusual" on every axis; fixed, not fitted per batch, so distances mean the same
    /// in every run).
    pub fn cluster_vector(&self) -> [f64; CLUSTER_DIMENSIONS] {
        [
            (self.network_surprise * self.confidence / 4.0).min(2.0),
            (self.device_surprise * self.confidence / 4.0).min(2.0),
            (self.hour_surprise * self.confidence / 3.0).min(2.0),
            (f64::from(self.source.failed_accounts).ln_1p() / 3.0).min(2.0),
            (f64::from(self.account_failures).ln_1p() / 3.0).min(2.0),
        ]
    }
}
