//! Seeded, deterministic generator of realistic, labelled sign-in logs.
//!
//! The output serves two purposes: the sample CSV bundled with the web app
//! ([`ScenarioParams::sample`]) and the labelled evaluation set for the
//! detection engine ([`ScenarioParams::evaluation`]), against which precision,
//! recall and ROC-AUC are measured per attack type. Every row carries the
//! ground-truth [`Label`]; [`write_csv`] can leave it out.
//!
//! The same [`ScenarioParams`] always give the same rows, byte for byte, on
//! every platform: all randomness comes from `Xoshiro256PlusPlus` streams
//! derived from the seed, floating-point maths avoids platform `libm`
//! functions (see `math.rs`), and nothing reads the clock or the environment.
//! The module only needs `std`, `jiff` (with its bundled time-zone database),
//! `csv`, `rand_core`/`rand_xoshiro` and `thiserror`, and compiles for
//! `wasm32-unknown-unknown`.
//!
//! # The normal population
//!
//! Staff live in fifteen cities on five continents (Oslo, London, Berlin,
//! Paris, Madrid, New York, Chicago, San Francisco, Toronto, São Paulo,
//! Sydney, Tokyo, Singapore, Mumbai and Johannesburg), weighted by office
//! size. For each employee the generator draws:
//!
//! * a home connection from one of the city's consumer ISPs — a fixed /24
//!   (IPv4) or /64 (IPv6, for users of the dual-stack ISPs listed in the
//!   catalog) in which the address changes now and then (DHCP lease churn,
//!   sometimes to another /24 of the same ISP; IPv6 privacy addresses rotate
//!   daily); a quarter also have a second home (partner's flat, weekend
//!   house) on another ISP;
//! * a mobile carrier (every mobile sign-in gets a fresh carrier-grade-NAT
//!   address from the carrier's pool) and the city office's egress IPs, which
//!   many colleagues share;
//! * one to three devices (laptop, usually a phone, sometimes a home
//!   desktop) with browser/OS combinations weighted by market share. The
//!   browsers auto-update, so the user-agent string moves from Chrome 146 to
//!   147 and so on as the stable releases come out; some users replace their
//!   phone mid-period;
//! * working hours in the city's *local* time zone (DST transitions
//!   included), a hybrid office pattern, an activity level that is
//!   log-normally distributed across users (a few heavy users, many light
//!   ones), fewer sign-ins at weekends, some night owls, and occasional
//!   vacations.
//!
//! Sign-ins happen mostly at the start of the working day and during work
//! hours from the office, from home in the evening, and from the phone's
//! carrier network in between. About 4% of sign-ins are preceded by a
//! mistyped password a few seconds earlier, and a few users forget their
//! password altogether (several failures, then success after a reset).
//!
//! ## Hard cases in the normal traffic (labelled `normal`)
//!
//! * **Business travel**: some staff fly to another office city. Sign-ins
//!   stop for the flight (great-circle distance at 800 km/h plus taxiing,
//!   layovers and airport time), then come from a hotel's business line and
//!   the local office in the destination's time zone: a new country and new
//!   ASN, but at a plausible speed. While abroad their phone roams, and
//!   roaming data is home-routed, so phone sign-ins still come from the home
//!   carrier's IP — an apparent jump back home that is perfectly legitimate.
//! * **Legitimate VPN users**: a few employees route most home sign-ins
//!   through a commercial VPN (Mullvad, Proton VPN, or exits on M247 and
//!   Datacamp), i.e. hosting/VPN ASNs in another country.
//! * **Shared office NAT**: many users behind the same few office addresses.
//! * **Forgotten passwords**: short bursts of failures from a known device.
//!
//! # Attacks
//!
//! Each attack gets its own random stream, so changing one count in
//! [`AttackMix`] does not reshuffle the others (nor the normal traffic).
//!
//! * **Credential stuffing** ([`Label::CredentialStuffing`]): a burst of
//!   80–200 attempts within roughly ten to thirty minutes from one to three
//!   hosting, VPN or residential-proxy IPs, each trying a different user name
//!   from a leaked list — mostly names that do not exist here, plus 12–30%
//!   real users. One or two attempts succeed because a real user reused a
//!   leaked password; those successes are the compromise and are labelled
//!   too. The tool sends one fixed or a few rotating user agents.
//! * **Password spraying** ([`Label::PasswordSpraying`]): low and slow. One
//!   or two passwords are tried once against a quarter to half of all real
//!   users (and some guessed names) over several hours, from addresses that
//!   rotate every few attempts inside one hosting provider's range. Rarely,
//!   a weak password falls.
//! * **Brute force** ([`Label::BruteForce`]): 20–80 failures against one
//!   real user from one IP within minutes; about 30% end in a success. One in
//!   five comes from a residential address in the victim's own city.
//! * **Account takeover** ([`Label::AccountTakeover`]): a real account
//!   signs in successfully from a country the user has never been to, on a
//!   new ASN (foreign residential or hosting), with a new user agent
//!   (scripting library, outdated browser or another OS), at an hour when the
//!   user is normally asleep, one to five times over a day. A quarter come
//!   from the user's own country (residential proxy), which makes them hard.
//! * **Impossible travel** ([`Label::ImpossibleTravel`]): 5–60 minutes
//!   after a genuine sign-in at home, the account signs in from at least
//!   1,500 km away at an implied speed above 2,000 km/h. Half replay the
//!   victim's own user agent (stolen session or adversary-in-the-middle
//!   phishing). Only the far-away sign-ins are labelled.
//! * **Tor or hosting sign-in** ([`Label::TorOrHostingLogin`]): a real
//!   account is accessed through a Tor exit (with Tor Browser's user agent)
//!   or a cloud server, sometimes after a failed attempt.
//!
//! # Sources
//!
//! Every IP prefix in [`catalog`] is a real allocation of the operator named
//! next to it. Each was checked against the DB-IP Lite city database and the
//! RouteViews/DB-IP ASN table (both CC BY 4.0, via the `@ip-location-db`
//! npm packages, June 2026 builds) so that lookups by a detector agree with
//! the scenario's story: the right country and city, and an AS organisation
//! of the right kind (consumer ISP, mobile carrier, business carrier,
//! hosting, VPN or Tor exit operator). City coordinates are public
//! geographic data. Browser versions follow the published Chrome, Edge,
//! Firefox and Safari release cadences of early 2026.

pub mod catalog;
pub mod evaluation;
pub mod markov;

mod attacks;
mod math;
mod names;
mod normal;
mod random;

use std::cmp::Ordering;
use std::fmt;
use std::io::Write;
use std::net::IpAddr;

use jiff::Timestamp;

/// Ground truth for one sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    Normal,
    CredentialStuffing,
    PasswordSpraying,
    BruteForce,
    AccountTakeover,
    ImpossibleTravel,
    TorOrHostingLogin,
    /// A takeover that avoids every classic tell: the victim's own country, a residential
    /// network, the victim's browser family, working hours.
    StealthyTakeover,
    /// Credential stuffing spread over many residential addresses, one or two tries each.
    DistributedStuffing,
    /// Password spraying spread over days and over many addresses.
    SlowSpraying,
}

impl Label {
    /// Every label, in declaration order.
    pub const ALL: [Label; 10] = [
        Label::Normal,
        Label::CredentialStuffing,
        Label::PasswordSpraying,
        Label::BruteForce,
        Label::AccountTakeover,
        Label::ImpossibleTravel,
        Label::TorOrHostingLogin,
        Label::StealthyTakeover,
        Label::DistributedStuffing,
        Label::SlowSpraying,
    ];

    /// The snake_case name used in CSV files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::Normal => "normal",
            Label::CredentialStuffing => "credential_stuffing",
            Label::PasswordSpraying => "password_spraying",
            Label::BruteForce => "brute_force",
            Label::AccountTakeover => "account_takeover",
            Label::ImpossibleTravel => "impossible_travel",
            Label::TorOrHostingLogin => "tor_or_hosting_login",
            Label::StealthyTakeover => "stealthy_takeover",
            Label::DistributedStuffing => "distributed_stuffing",
            Label::SlowSpraying => "slow_spraying",
        }
    }

    /// Parses a name produced by [`Label::as_str`].
    pub fn from_name(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|label| label.as_str() == name)
    }

    pub const fn is_attack(self) -> bool {
        !matches!(self, Label::Normal)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One generated sign-in event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedLogin {
    pub timestamp: Timestamp,
    pub user_id: String,
    pub ip: IpAddr,
    pub user_agent: String,
    pub success: bool,
    pub label: Label,
}

impl GeneratedLogin {
    /// Total order used for the output: by time, then by the other fields,
    /// so that ties are broken deterministically.
    fn output_order(&self, other: &Self) -> Ordering {
        self.timestamp
            .cmp(&other.timestamp)
            .then_with(|| self.user_id.cmp(&other.user_id))
            .then_with(|| self.ip.cmp(&other.ip))
            .then_with(|| self.user_agent.cmp(&other.user_agent))
            .then_with(|| self.success.cmp(&other.success))
            .then_with(|| self.label.cmp(&other.label))
    }
}

/// How many attacks of each kind to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttackMix {
    /// Bursts of 80–200 attempts with leaked user names.
    pub credential_stuffing_campaigns: u32,
    /// Slow campaigns trying one or two passwords against many users.
    pub password_spraying_campaigns: u32,
    /// Rapid guessing against one user from one IP.
    pub brute_force_incidents: u32,
    /// Accounts used by an attacker with valid credentials.
    pub account_takeovers: u32,
    /// Sign-ins too far from the previous one to be travelled in time.
    pub impossible_travel_events: u32,
    /// Sign-ins through Tor exits or cloud servers.
    pub tor_or_hosting_logins: u32,
    /// Takeovers from the victim's country, on a residential network, with the victim's
    /// browser a few versions old, in working hours.
    pub stealthy_takeovers: u32,
    /// Stuffing campaigns through residential proxies, one or two tries per address.
    pub distributed_stuffing_campaigns: u32,
    /// Spraying campaigns spread over days and rotating addresses.
    pub slow_spraying_campaigns: u32,
}

impl AttackMix {
    /// No attacks at all.
    pub const NONE: AttackMix = AttackMix {
        credential_stuffing_campaigns: 0,
        password_spraying_campaigns: 0,
        brute_force_incidents: 0,
        account_takeovers: 0,
        impossible_travel_events: 0,
        tor_or_hosting_logins: 0,
        stealthy_takeovers: 0,
        distributed_stuffing_campaigns: 0,
        slow_spraying_campaigns: 0,
    };

    fn counts(&self) -> [(&'static str, u32); 9] {
        [
            (
                "credential_stuffing_campaigns",
                self.credential_stuffing_campaigns,
            ),
            (
                "password_spraying_campaigns",
                self.password_spraying_campaigns,
            ),
            ("brute_force_incidents", self.brute_force_incidents),
            ("account_takeovers", self.account_takeovers),
            ("impossible_travel_events", self.impossible_travel_events),
            ("tor_or_hosting_logins", self.tor_or_hosting_logins),
            ("stealthy_takeovers", self.stealthy_takeovers),
            (
                "distributed_stuffing_campaigns",
                self.distributed_stuffing_campaigns,
            ),
            ("slow_spraying_campaigns", self.slow_spraying_campaigns),
        ]
    }
}

/// How the staff live and work: the knobs the evaluation families turn. The defaults are those
/// of the bundled sample and the evaluation preset.
#[derive(Debug, Clone, PartialEq)]
pub struct Workforce {
    /// Relative weights of fully remote, fully in-office and hybrid staff.
    pub office_pattern_weights: [f64; 3],
    /// Share of staff with a smartphone they sign in from.
    pub phone_share: f64,
    /// How often staff sign in over the mobile network, relative to the defaults (12% of
    /// sign-ins in working time, about 30% outside it).
    pub mobile_use: f64,
    /// Share of staff who travel about once a month; the others travel about once a year.
    pub frequent_traveller_share: f64,
    /// Share of staff who route most home sign-ins through a commercial VPN.
    pub personal_vpn_share: f64,
    /// Share of staff whose sign-ins from home and from hotels mostly go through the company's
    /// VPN, which egresses from a cloud provider (a hosting network shared by all its users).
    pub corporate_vpn_share: f64,
    /// Share of staff with a second home on another ISP.
    pub second_home_share: f64,
    /// Share of phone owners who replace their phone during the period.
    pub phone_replacement_share: f64,
    /// Share of phone owners who switch mobile carrier during the period (carrier churn: a
    /// new network owner, often placed in another city, in a familiar country).
    pub carrier_switch_share: f64,
    /// Share of staff who spend a weekend or two in another city of their country (a friend's
    /// home, a holiday rental: a new city and a new residential network in a familiar country,
    /// with their own, current devices).
    pub domestic_getaway_share: f64,
}

impl Default for Workforce {
    fn default() -> Self {
        Self {
            office_pattern_weights: [0.2, 0.2, 0.6],
            phone_share: 0.85,
            mobile_use: 1.0,
            frequent_traveller_share: 0.18,
            personal_vpn_share: 0.04,
            corporate_vpn_share: 0.0,
            second_home_share: 0.25,
            phone_replacement_share: 0.06,
            carrier_switch_share: 0.0,
            domestic_getaway_share: 0.0,
        }
    }
}

// `check` rejects NaN, so equality is an equivalence on every value that can be generated.
impl Eq for Workforce {}

impl Workforce {
    fn check(&self) -> Result<(), ScenarioError> {
        let share = |value: f64| (0.0..=1.0).contains(&value);
        let shares = [
            ("phone_share", self.phone_share),
            ("frequent_traveller_share", self.frequent_traveller_share),
            ("personal_vpn_share", self.personal_vpn_share),
            ("corporate_vpn_share", self.corporate_vpn_share),
            ("second_home_share", self.second_home_share),
            ("phone_replacement_share", self.phone_replacement_share),
            ("carrier_switch_share", self.carrier_switch_share),
            ("domestic_getaway_share", self.domestic_getaway_share),
        ];
        if let Some((name, _)) = shares.iter().find(|(_, value)| !share(*value)) {
            return Err(ScenarioError::InvalidWorkforce {
                name,
                reason: "must be a share between 0 and 1",
            });
        }
        let weights = self.office_pattern_weights;
        if !weights.iter().all(|w| w.is_finite() && *w >= 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return Err(ScenarioError::InvalidWorkforce {
                name: "office_pattern_weights",
                reason: "must be zero or more, and not all zero",
            });
        }
        if !(0.0..=5.0).contains(&self.mobile_use) {
            return Err(ScenarioError::InvalidWorkforce {
                name: "mobile_use",
                reason: "must be between 0 and 5",
            });
        }
        Ok(())
    }
}

/// Everything that determines a generated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioParams {
    pub seed: u64,
    /// Number of employees (real accounts).
    pub users: usize,
    /// Length of the simulated period in days.
    pub days: u32,
    /// Start of the period; events fall in `[start, start + days)`.
    /// Sub-second precision is ignored.
    pub start: Timestamp,
    pub attacks: AttackMix,
    pub workforce: Workforce,
}

/// Largest accepted [`ScenarioParams::users`].
pub const MAX_USERS: usize = 250_000;
/// Largest accepted [`ScenarioParams::days`].
pub const MAX_DAYS: u32 = 3_660;
/// Largest accepted count for each kind of attack.
pub const MAX_ATTACKS_PER_KIND: u32 = 10_000;

/// Why [`ScenarioParams`] cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("the scenario needs at least one user")]
    NoUsers,
    #[error("the scenario needs at least one day")]
    NoDays,
    #[error("{users} users requested, at most {max} are supported")]
    TooManyUsers { users: usize, max: usize },
    #[error("{days} days requested, at most {max} are supported")]
    TooManyDays { days: u32, max: u32 },
    #[error("{count} {kind} requested, at most {max} are supported")]
    TooManyAttacks {
        kind: &'static str,
        count: u32,
        max: u32,
    },
    #[error(
        "the period starting at {start} and lasting {days} days is outside the supported years 1900-9000"
    )]
    PeriodOutOfRange { start: Timestamp, days: u32 },
    #[error("workforce setting {name} {reason}")]
    InvalidWorkforce {
        name: &'static str,
        reason: &'static str,
    },
}

/// 2026-03-02T00:00:00Z, a Monday.
const PRESET_START_SECOND: i64 = 1_772_409_600;

impl ScenarioParams {
    /// The bundled sample: 60 users over 30 days, about 4,000 rows with a
    /// handful of each attack.
    pub fn sample() -> Self {
        Self {
            seed: 20_260_302,
            users: 60,
            days: 30,
            start: preset_start(),
            attacks: AttackMix {
                credential_stuffing_campaigns: 1,
                password_spraying_campaigns: 1,
                brute_force_incidents: 2,
                account_takeovers: 2,
                impossible_travel_events: 3,
                tor_or_hosting_logins: 2,
                stealthy_takeovers: 0,
                distributed_stuffing_campaigns: 0,
                slow_spraying_campaigns: 0,
            },
            workforce: Workforce::default(),
        }
    }

    /// The evaluation set: 400 users over 60 days, about 50,000 rows of
    /// which a few percent are attacks, with enough of every kind for
    /// per-type precision and recall.
    pub fn evaluation() -> Self {
        Self {
            seed: 0x54B7_2ACE,
            users: 400,
            days: 60,
            start: preset_start(),
            attacks: AttackMix {
                credential_stuffing_campaigns: 4,
                password_spraying_campaigns: 3,
                brute_force_incidents: 12,
                account_takeovers: 20,
                impossible_travel_events: 30,
                tor_or_hosting_logins: 20,
                stealthy_takeovers: 12,
                distributed_stuffing_campaigns: 2,
                slow_spraying_campaigns: 2,
            },
            workforce: Workforce::default(),
        }
    }

    /// Validates the parameters.
    pub fn check(&self) -> Result<(), ScenarioError> {
        if self.users == 0 {
            return Err(ScenarioError::NoUsers);
        }
        if self.users > MAX_USERS {
            return Err(ScenarioError::TooManyUsers {
                users: self.users,
                max: MAX_USERS,
            });
        }
        if self.days == 0 {
            return Err(ScenarioError::NoDays);
        }
        if self.days > MAX_DAYS {
            return Err(ScenarioError::TooManyDays {
                days: self.days,
                max: MAX_DAYS,
            });
        }
        self.workforce.check()?;
        for (kind, count) in self.attacks.counts() {
            if count > MAX_ATTACKS_PER_KIND {
                return Err(ScenarioError::TooManyAttacks {
                    kind,
                    count,
                    max: MAX_ATTACKS_PER_KIND,
                });
            }
        }
        // Keep well inside jiff's range so that local-time arithmetic near the
        // edges of the period can never fail.
        const EARLIEST: i64 = -2_208_988_800; // 1900-01-01
        const LATEST: i64 = 221_845_392_000; // 9000-01-01
        let start = self.start.as_second();
        let end = start + i64::from(self.days) * SECONDS_PER_DAY;
        if start < EARLIEST || end > LATEST {
            return Err(ScenarioError::PeriodOutOfRange {
                start: self.start,
                days: self.days,
            });
        }
        Ok(())
    }

    fn window(&self) -> Window {
        let start = self.start.as_second();
        Window {
            start,
            end: start + i64::from(self.days) * SECONDS_PER_DAY,
        }
    }
}

fn preset_start() -> Timestamp {
    Timestamp::from_second(PRESET_START_SECOND).expect("preset start is a valid timestamp")
}

const SECONDS_PER_DAY: i64 = 86_400;

/// The simulated period as Unix seconds, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    end: i64,
}

impl Window {
    fn contains(&self, second: i64) -> bool {
        (self.start..self.end).contains(&second)
    }
}

/// Generates the scenario: all sign-ins sorted by time, ties broken by the
/// remaining fields.
pub fn generate(params: &ScenarioParams) -> Result<Vec<GeneratedLogin>, ScenarioError> {
    params.check()?;
    let window = params.window();
    let mut traffic = normal::simulate(params.seed, params.users, window, &params.workforce);
    let attack_rows = attacks::inject(params.seed, &params.attacks, window, &traffic);
    traffic.rows.extend(attack_rows);
    let mut rows = traffic.rows;
    rows.retain(|row| window.contains(row.timestamp.as_second()));
    rows.sort_by(GeneratedLogin::output_order);
    Ok(rows)
}

/// Columns written by [`write_csv`]; a `label` column follows when requested.
pub const CSV_HEADER: [&str; 5] = [
    "timestamp",
    "user_id",
    "ip_address",
    "user_agent",
    "success",
];

/// Writes rows as CSV: `timestamp,user_id,ip_address,user_agent,success`
/// plus `label` when `include_label` is set. Timestamps are RFC 3339 in UTC
/// with second precision (`2026-03-02T08:15:00Z`); success is `true` or
/// `false`.
pub fn write_csv<W: Write>(
    rows: &[GeneratedLogin],
    writer: W,
    include_label: bool,
) -> Result<(), csv::Error> {
    let mut csv = csv::Writer::from_writer(writer);
    if include_label {
        csv.write_record(CSV_HEADER.iter().chain(&["label"]))?;
    } else {
        csv.write_record(CSV_HEADER)?;
    }
    let mut timestamp = String::new();
    let mut ip = String::new();
    for row in rows {
        timestamp.clear();
        ip.clear();
        use fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = write!(
            timestamp,
            "{}",
            row.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        );
        let _ = write!(ip, "{}", row.ip);
        let success = if row.success { "true" } else { "false" };
        let fields = [
            timestamp.as_str(),
            row.user_id.as_str(),
            ip.as_str(),
            row.user_agent.as_str(),
            success,
        ];
        if include_label {
            csv.write_record(fields.iter().chain(&[row.label.as_str()]))?;
        } else {
            csv.write_record(fields)?;
        }
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests;
