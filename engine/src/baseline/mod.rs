//! What the engine has learnt so far: each user's own history, and the population of all users
//! (the "attacker" distribution of Freeman et al. 2016: an intruder looks like a random member
//! of the population, not like this user).

mod counts;
mod params;

use rustc_hash::FxHashMap as HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use crate::enrich::DeviceType;
pub use counts::CountMap;
pub use params::BaselineParams;

/// One level of a categorical hierarchy, as a compact key (interned ids and packed values).
// Equal keys hash alike: names are hashed by their text, and compared by it too, after a quick
// look at whether they are the same `&'static str` (they nearly always are).
#[allow(clippy::derived_hash_with_manual_eq)]
#[derive(Clone, Copy, Debug, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Key {
    Country([u8; 2]),
    Asn(u32),
    /// A /24 (IPv4) or /48 (IPv6) network, by its id in the analysis's table of networks.
    Prefix(u32),
    /// An address, by its id in the analysis's table of source addresses.
    Ip(u32),
    Device(DeviceType),
    Os(#[serde(deserialize_with = "crate::interned::name")] crate::interned::Name),
    Browser(#[serde(deserialize_with = "crate::interned::name")] crate::interned::Name),
    Agent(u32),
    /// A city, by [`city_key`] (its parent is the country).
    City(u32),
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Country(a), Self::Country(b)) => a == b,
            (Self::Asn(a), Self::Asn(b))
            | (Self::Agent(a), Self::Agent(b))
            | (Self::City(a), Self::City(b))
            | (Self::Prefix(a), Self::Prefix(b))
            | (Self::Ip(a), Self::Ip(b)) => a == b,
            (Self::Device(a), Self::Device(b)) => a == b,
            (Self::Os(a), Self::Os(b)) | (Self::Browser(a), Self::Browser(b)) => {
                std::ptr::eq(*a, *b) || a == b
            }
            _ => false,
        }
    }
}

/// A user's learnt behaviour. Only logins that were accepted as legitimate (successful or of
/// unknown outcome, and not themselves judged risky) are learnt.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct UserBaseline {
    /// Learnt logins.
    pub logins: u32,
    pub countries: CountMap<[u8; 2]>,
    pub asns: CountMap<u32>,
    /// By network id (the analysis's table; ids, not prefixes, keep a user's tables small).
    pub prefixes: CountMap<u32>,
    /// By source address id.
    pub ips: CountMap<u32>,
    pub devices: CountMap<DeviceType>,
    #[serde(deserialize_with = "interned_counts")]
    pub oses: CountMap<&'static str>,
    #[serde(deserialize_with = "interned_counts")]
    pub browsers: CountMap<&'static str>,
    pub agents: CountMap<u32>,
    /// By [`city_key`] of country and city.
    pub cities: CountMap<u32>,
    /// Browser releases used, for telling an out-of-date copy of the user's browser from an
    /// update.
    pub releases: BrowserReleases,
    /// When the first learnt login happened (the learning period runs from it).
    pub first_learnt_ms: Option<i64>,
    /// How many /24s of each network owner the user's addresses came from.
    pub spread: AddressSpread,
    /// New networks that keep coming back, on their way to becoming the user's own.
    pub probation: Probation,
    /// Logins per hour of day and weekday (UTC); compared circularly and smoothed.
    pub hours: [u32; 24],
    pub weekdays: [u32; 7],
    /// The latest learnt login, for travel and gaps.
    pub last: Option<LastLogin>,
    /// The latest learnt login from a reliably located place (not a VPN, hosting or Tor
    /// network, an allow-listed one, or a carrier that scatters the user's addresses), where
    /// travel is measured from when the latest login's place says little.
    pub last_fixed: Option<LastLogin>,
    /// Every attempt seen, learnt or not (so an unknown account name is recognised as such).
    pub attempts: u32,
    pub successes: u32,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LastLogin {
    pub timestamp_ms: i64,
    pub ip: IpAddr,
    /// Index into the analysis' table of distinct source addresses, for place and network.
    pub source: u32,
    pub agent: u32,
}

impl UserBaseline {
    pub fn count(&self, key: &Key) -> u32 {
        match key {
            Key::Country(code) => self.countries.count(code),
            Key::Asn(asn) => self.asns.count(asn),
            Key::Prefix(prefix) => self.prefixes.count(prefix),
            Key::Ip(ip) => self.ips.count(ip),
            Key::Device(device) => self.devices.count(device),
            Key::Os(os) => self.oses.count(os),
            Key::Browser(browser) => self.browsers.count(browser),
            Key::Agent(agent) => self.agents.count(agent),
            Key::City(city) => self.cities.count(city),
        }
    }

    pub fn learn(&mut self, key: &Key) {
        match key {
            Key::Country(code) => self.countries.add(code),
            Key::Asn(asn) => self.asns.add(asn),
            Key::Prefix(prefix) => self.prefixes.add(prefix),
            Key::Ip(ip) => self.ips.add(ip),
            Key::Device(device) => self.devices.add(device),
            Key::Os(os) => self.oses.add(os),
            Key::Browser(browser) => self.browsers.add(browser),
            Key::Agent(agent) => self.agents.add(agent),
            Key::City(city) => self.cities.add(city),
        }
    }

    /// Smoothed share of this user's logins at `hour`, relative to a uniform day (1.0 = as
    /// likely as any hour). The histogram is smoothed with a circular kernel (weights 1-2-1 over
    /// neighbouring hours), so 08:59 and 09:01 are alike and a daylight-saving shift is not news.
    pub fn hour_likelihood(&self, hour: usize, prior_weight: f64) -> f64 {
        circular_likelihood(&self.hours, hour, prior_weight)
    }

    pub fn weekday_likelihood(&self, weekday: usize, prior_weight: f64) -> f64 {
        circular_likelihood(&self.weekdays, weekday, prior_weight)
    }
}

fn circular_likelihood<const N: usize>(
    histogram: &[u32; N],
    index: usize,
    prior_weight: f64,
) -> f64 {
    let total: u32 = histogram.iter().sum();
    let at = |offset: isize| {
        let position = (index as isize + offset).rem_euclid(N as isize) as usize;
        f64::from(histogram[position])
    };
    // Kernel mass around `index`, as a share of all logins; the prior spreads `prior_weight`
    // logins uniformly, so a new user's hours are all ordinary.
    let smoothed = (at(-1) + 2.0 * at(0) + at(1)) / 4.0;
    let share = (smoothed + prior_weight / N as f64) / (f64::from(total) + prior_weight);
    share * N as f64
}

/// Counts over everyone, for the population side of the likelihood ratio.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Population {
    counts: HashMap<Key, u32>,
    /// Distinct children seen under each parent key (e.g. IPs within a /24), for smoothing.
    children: HashMap<Key, u32>,
    roots: u32,
    pub logins: u32,
    /// Newest major version seen per browser family, to recognise outdated browsers.
    #[serde(deserialize_with = "interned_keys")]
    newest_browser: HashMap<&'static str, u32>,
    /// Logins per city (by [`city_key`]) and, per country, logins located to a city and the
    /// distinct cities seen: the population side of the city term.
    cities: HashMap<u32, u32>,
    countries_with_cities: HashMap<[u8; 2], (u32, u32)>,
    /// Distinct users who learnt each /24 (/48).
    prefix_users: HashMap<u128, u32>,
}

impl Population {
    pub fn count(&self, key: &Key) -> u32 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// Probability of `key` given its parent (or among all logins at the root), add-one smoothed
    /// over the parent's known children plus one unseen.
    pub fn conditional(&self, key: &Key, parent: Option<&Key>) -> f64 {
        let (parent_count, siblings) = match parent {
            Some(parent) => (
                self.count(parent),
                self.children.get(parent).copied().unwrap_or(0),
            ),
            None => (self.logins, self.roots),
        };
        (f64::from(self.count(key)) + 1.0) / (f64::from(parent_count) + f64::from(siblings) + 1.0)
    }

    /// How many major versions `major` is behind the newest seen for the family.
    pub fn versions_behind(&self, browser: &'static str, major: Option<u32>) -> u32 {
        match (self.newest_browser.get(browser), major) {
            (Some(newest), Some(major)) => newest.saturating_sub(major),
            _ => 0,
        }
    }

    /// Probability of `city` among the located logins of `country`, add-one smoothed over the
    /// country's known cities plus one unseen.
    pub fn city_conditional(&self, country: &[u8; 2], city: u32) -> f64 {
        let (logins, cities) = self
            .countries_with_cities
            .get(country)
            .copied()
            .unwrap_or((0, 0));
        let count = self.cities.get(&city).copied().unwrap_or(0);
        (f64::from(count) + 1.0) / (f64::from(logins) + f64::from(cities) + 1.0)
    }

    pub fn learn_city(&mut self, country: &[u8; 2], city: u32) {
        let count = self.cities.entry(city).or_insert(0);
        let in_country = self.countries_with_cities.entry(*country).or_insert((0, 0));
        in_country.0 += 1;
        in_country.1 += u32::from(*count == 0);
        *count += 1;
    }

    /// How many users have this /24 (/48) in their baseline.
    pub fn prefix_users(&self, prefix: u128) -> u32 {
        self.prefix_users.get(&prefix).copied().unwrap_or(0)
    }

    /// A user learnt `prefix` for the first time.
    pub fn learn_prefix_user(&mut self, prefix: u128) {
        *self.prefix_users.entry(prefix).or_default() += 1;
    }

    pub fn learn_browser(&mut self, browser: &'static str, major: Option<u32>) {
        if let Some(major) = major {
            let newest = self.newest_browser.entry(browser).or_insert(major);
            *newest = (*newest).max(major);
        }
    }

    pub fn learn(&mut self, key: &Key, parent: Option<&Key>) {
        let count = self.counts.entry(*key).or_insert(0);
        if *count == 0 {
            match parent {
                Some(parent) => *self.children.entry(*parent).or_insert(0) += 1,
                None => self.roots += 1,
            }
        }
        *count += 1;
    }
}

fn interned_counts<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<CountMap<&'static str>, D::Error> {
    let counts: CountMap<String> = serde::Deserialize::deserialize(deserializer)?;
    Ok(counts.map_keys(|name| crate::interned::intern(&name)))
}

fn interned_keys<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<HashMap<&'static str, u32>, D::Error> {
    let names: HashMap<String, u32> = serde::Deserialize::deserialize(deserializer)?;
    Ok(names
        .into_iter()
        .map(|(name, value)| (crate::interned::intern(&name), value))
        .collect())
}

/// A stable small key for a city of a country (FNV-1a over "CC/City"); collisions only merge
/// two cities' counts.
pub fn city_key(country: &[u8; 2], city: &str) -> u32 {
    // DB-IP names districts in parentheses ("Berlin (Bezirk Pankow)"): the same city.
    let city = city.split(" (").next().unwrap_or(city).trim();
    country
        .iter()
        .chain(b"/")
        .chain(city.as_bytes())
        .fold(0x811c_9dc5u32, |hash, byte| {
            (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
        })
}

/// Distinct /24s (up to [`SPREAD_PREFIXES`]) the user's learnt logins came from, per network
/// owner, and how often consecutive logins from the owner changed /24: a carrier that hands the
/// user a new address from all over its pool at almost every session (mobile carrier-grade NAT,
/// roaming routed home) places them where the carrier is, not where they are. A home line that
/// is renumbered once a day keeps its address for the day's logins and stays a place.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AddressSpread {
    owners: Vec<OwnerSpread>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct OwnerSpread {
    asn: u32,
    prefixes: Vec<u128>,
    logins: u32,
    /// Logins from another /24 than the owner's previous one for this user.
    changes: u32,
    last: u128,
}

/// Distinct /24s of one owner that, with [`POOL_TURNOVER`], make its locations unreliable for
/// a user.
pub const SPREAD_PREFIXES: usize = 3;
/// Share of a user's consecutive logins from one owner that changed /24, from which the owner
/// hands out addresses from a pool rather than a line.
pub const POOL_TURNOVER: f64 = 0.6;
/// Network owners remembered per user.
const SPREAD_OWNERS: usize = 8;

impl AddressSpread {
    pub fn learn(&mut self, asn: u32, prefix: u128) {
        match self.owners.iter_mut().find(|owner| owner.asn == asn) {
            Some(owner) => {
                if owner.prefixes.len() < SPREAD_PREFIXES && !owner.prefixes.contains(&prefix) {
                    owner.prefixes.push(prefix);
                }
                owner.logins = owner.logins.saturating_add(1);
                owner.changes = owner
                    .changes
                    .saturating_add(u32::from(owner.last != prefix));
                owner.last = prefix;
            }
            None => {
                if self.owners.len() == SPREAD_OWNERS {
                    self.owners.remove(0);
                }
                self.owners.push(OwnerSpread {
                    asn,
                    prefixes: vec![prefix],
                    logins: 1,
                    changes: 0,
                    last: prefix,
                });
            }
        }
    }

    /// The user's addresses from `asn` come from a pool: many /24s, a new one at most logins.
    pub fn scattered(&self, asn: u32) -> bool {
        self.owners.iter().any(|owner| {
            owner.asn == asn
                && owner.prefixes.len() >= SPREAD_PREFIXES
                && f64::from(owner.changes)
                    >= POOL_TURNOVER * f64::from(owner.logins.saturating_sub(1))
        })
    }
}

/// Networks new to a user that the risk gate kept out of the baseline but that keep coming
/// back: a new phone carrier, a new home ISP, a second home. One used on enough different days
/// over long enough becomes the user's own, however unusual it looked (an attacker's sessions
/// rarely span a week; staff keep using their new carrier), and from then on its logins teach.
/// Bounded: the least recently seen is forgotten when full.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Probation {
    entries: Vec<OnProbation>,
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct OnProbation {
    network: u128,
    first_ms: i64,
    last_day: i64,
    days: u32,
    admitted: bool,
}

/// Networks kept on probation per user.
const PROBATION_ENTRIES: usize = 8;

impl Probation {
    /// A successful login from `network` (see [`Probation::key`]); whether the network has
    /// earned its place: used on `days` different days spanning at least `span_days`.
    pub fn admit(&mut self, network: u128, now_ms: i64, days: u32, span_days: f64) -> bool {
        let day = now_ms.div_euclid(86_400_000);
        let index = match self
            .entries
            .iter()
            .position(|entry| entry.network == network)
        {
            Some(index) => index,
            None => {
                if self.entries.len() == PROBATION_ENTRIES
                    && let Some(stalest) = self
                        .entries
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, entry)| entry.last_day)
                        .map(|(index, _)| index)
                {
                    self.entries.swap_remove(stalest);
                }
                self.entries.push(OnProbation {
                    network,
                    first_ms: now_ms,
                    last_day: day,
                    days: 1,
                    admitted: false,
                });
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        if entry.last_day != day {
            entry.days += 1;
            entry.last_day = day;
        }
        entry.admitted |=
            entry.days >= days && (now_ms - entry.first_ms) as f64 >= span_days * 86_400_000.0;
        entry.admitted
    }

    /// The key of a network: its owner (ASN) when known, else its /24 (/48).
    pub fn key(asn: Option<u32>, prefix: u128) -> u128 {
        asn.map_or(prefix, |asn| (1u128 << 127) | u128::from(asn))
    }
}

/// A browser release as (major, minor) ("Safari 26.3" is (26, 3), "Chrome 147" is (147, 0)).
pub type Release = (u32, u32);

/// The browser releases a user signed in with, per browser and operating system, and when each
/// was last seen. Bounded: the least recently seen entry is forgotten when full.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct BrowserReleases {
    entries: Vec<ReleaseSeen>,
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct ReleaseSeen {
    #[serde(deserialize_with = "crate::interned::name")]
    browser: crate::interned::Name,
    #[serde(deserialize_with = "crate::interned::name")]
    os: crate::interned::Name,
    release: Release,
    /// When a login the baseline learnt from last used it (`None`: only risky ones did).
    taught_ms: Option<i64>,
    /// The start of the current stretch of sign-ins with it (no break of the recency window).
    seen_since_ms: i64,
    last_ms: i64,
}

impl ReleaseSeen {
    fn in_use(&self, now_ms: i64, recent_ms: i64) -> bool {
        self.taught_ms
            .is_some_and(|taught| now_ms - taught < recent_ms)
            || (now_ms - self.last_ms < recent_ms && now_ms - self.seen_since_ms >= IN_USE_AFTER_MS)
    }
}

/// How long a release must have been signed in with before it counts as a device in use: an
/// intruder's out-of-date copy signs in for a few hours, a second device of the user's keeps
/// coming back.
const IN_USE_AFTER_MS: i64 = 12 * 3_600_000;

/// Releases remembered per user (a few devices, each with a few recent releases).
const MAX_RELEASES: usize = 12;

/// A login with an older release of a browser the user has since used a newer one of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Downgrade {
    /// The newest release of this browser and OS the user has signed in with.
    pub newest: Release,
    /// Releases between: major versions, or minor ones when the major is the same.
    pub steps: u32,
}

impl BrowserReleases {
    /// Remembers a sign-in with `release` at `at_ms`. Only a `taught` one (a login the baseline
    /// learnt from) can become the newest release a downgrade is measured from: an intruder's
    /// newer browser string must not make the user's own look old.
    pub fn learn(
        &mut self,
        browser: &'static str,
        os: &'static str,
        release: Release,
        at_ms: i64,
        taught: bool,
        recent_ms: i64,
    ) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.browser == browser && entry.os == os && entry.release == release)
        {
            if taught {
                entry.taught_ms = Some(at_ms);
            } else if at_ms - entry.last_ms >= recent_ms {
                entry.seen_since_ms = at_ms;
            }
            entry.last_ms = entry.last_ms.max(at_ms);
            return;
        }
        if self.entries.len() == MAX_RELEASES
            && let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, entry)| (entry.taught_ms.is_some(), entry.last_ms))
                .map(|(index, _)| index)
        {
            self.entries.swap_remove(oldest);
        }
        self.entries.push(ReleaseSeen {
            browser,
            os,
            release,
            taught_ms: taught.then_some(at_ms),
            seen_since_ms: at_ms,
            last_ms: at_ms,
        });
    }

    /// Whether `release` is older than the newest the baseline learnt of the same browser on
    /// the same OS, and is not itself in use: taught within `recent_ms`, or signed in with
    /// without a break of `recent_ms` for at least 12 hours (a second device that
    /// updates later is in use all along; an attacker's out-of-date copy is not).
    pub fn downgrade(
        &self,
        browser: &'static str,
        os: &'static str,
        release: Release,
        now_ms: i64,
        recent_ms: i64,
    ) -> Option<Downgrade> {
        let mut newest: Option<Release> = None;
        for entry in self
            .entries
            .iter()
            .filter(|entry| entry.browser == browser && entry.os == os)
        {
            if entry.release == release && entry.in_use(now_ms, recent_ms) {
                return None;
            }
            if entry.taught_ms.is_some() {
                newest = Some(newest.map_or(entry.release, |newest| newest.max(entry.release)));
            }
        }
        let newest = newest.filter(|newest| *newest > release)?;
        let steps = if newest.0 > release.0 {
            newest.0 - release.0
        } else {
            newest.1 - release.1
        };
        Some(Downgrade { newest, steps })
    }
}

/// Freeman et al. (2016)-style surprise of one login along a hierarchy (coarse to fine, e.g.
/// country → ASN → /24 → IP): the sum over levels of ln(p_population / p_user), where the user's
/// probability of each level given its parent is smoothed towards the population's. A new
/// country costs about ln(1 + n/α) for a user with n learnt logins; the finer levels under a new
/// parent cost nothing more, so one novelty is not counted four times. Each level's term is
/// weighted (a new IP inside a known /24 matters less than a new country).
pub fn hierarchy_surprise(
    user: &UserBaseline,
    population: &Population,
    levels: &[(Key, f64)],
    smoothing_weight: f64,
) -> f64 {
    hierarchy_terms::<4>(user, population, levels, smoothing_weight)
        .iter()
        .sum::<f64>()
        .max(0.0)
}

/// The weighted terms of [`hierarchy_surprise`], one per level (the first `N` levels), each
/// ln(p_population / p_user) of the level given its parent: how much of the surprise is the
/// country, the network, the address. The user's estimate is smoothed towards the population's
/// with `smoothing_weight` pseudo-logins; the population's is add-one smoothed over the parent's
/// known children plus one unseen ([`Population::conditional`]).
pub fn hierarchy_terms<const N: usize>(
    user: &UserBaseline,
    population: &Population,
    levels: &[(Key, f64)],
    smoothing_weight: f64,
) -> [f64; N] {
    let mut terms = [0.0; N];
    // A level's parent is the level before it, whose counts were just looked up: this runs for
    // every login, and each lookup is a likely cache miss.
    let mut parent: Option<(&Key, u32, u32)> = None;
    for ((key, weight), term) in levels.iter().zip(terms.iter_mut()) {
        let population_count = population.count(key);
        let user_count = user.count(key);
        let (population_parent, siblings, user_parent) = match parent {
            Some((parent, population_parent, user_parent)) => (
                population_parent,
                population.children.get(parent).copied().unwrap_or(0),
                user_parent,
            ),
            None => (population.logins, population.roots, user.logins),
        };
        let population_p = (f64::from(population_count) + 1.0)
            / (f64::from(population_parent) + f64::from(siblings) + 1.0);
        let user_p = (f64::from(user_count) + smoothing_weight * population_p)
            / (f64::from(user_parent) + smoothing_weight);
        *term = weight * (population_p / user_p).ln();
        parent = Some((key, population_count, user_count));
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_the_same_name_are_equal_wherever_the_name_is_kept() {
        let kept: &'static str = Box::leak(String::from("Firefox").into_boxed_str());
        assert_eq!(Key::Browser("Firefox"), Key::Browser(kept));
        assert_ne!(Key::Browser("Firefox"), Key::Os("Firefox"));
        assert_ne!(Key::Browser("Firefox"), Key::Browser("Chrome"));
        let mut counts: HashMap<Key, u32> = HashMap::default();
        counts.insert(Key::Browser("Firefox"), 3);
        assert_eq!(counts.get(&Key::Browser(kept)), Some(&3));
    }

    #[test]
    fn a_pool_scatters_a_line_renumbered_daily_does_not() {
        let mut spread = AddressSpread::default();
        // A home line renumbered once a day: three logins on each day's address.
        for day in 0..5u128 {
            for _ in 0..3 {
                spread.learn(3320, day);
            }
        }
        assert!(!spread.scattered(3320));
        // A carrier's pool: a new /24 at almost every session.
        for session in 0..6u128 {
            spread.learn(6805, 100 + session % 4);
        }
        assert!(spread.scattered(6805));
        // Two /24s are not yet a spread.
        for session in 0..6u128 {
            spread.learn(12929, 200 + session % 2);
        }
        assert!(!spread.scattered(12929));
    }

    fn learn_all(user: &mut UserBaseline, population: &mut Population, levels: &[Key]) {
        user.logins += 1;
        population.logins += 1;
        let mut parent = None;
        for key in levels {
            user.learn(key);
            population.learn(key, parent.as_ref());
            parent = Some(*key);
        }
    }

    #[test]
    fn novelty_costs_once_per_hierarchy() {
        let mut alice = UserBaseline::default();
        let mut population = Population::default();
        let home = [
            Key::Country(*b"NO"),
            Key::Asn(2119),
            Key::Prefix(1),
            Key::Ip(17),
        ];
        for _ in 0..40 {
            learn_all(&mut alice, &mut population, &home);
        }
        let other = [
            Key::Country(*b"BR"),
            Key::Asn(28573),
            Key::Prefix(2),
            Key::Ip(3),
        ];
        for _ in 0..40 {
            learn_all(&mut UserBaseline::default(), &mut population, &other);
        }
        let weights = |keys: &[Key; 4]| keys.map(|key| (key, 1.0));
        let familiar = hierarchy_surprise(&alice, &population, &weights(&home), 1.0);
        let foreign = hierarchy_surprise(&alice, &population, &weights(&other), 1.0);
        assert!(familiar < 0.1, "{familiar}");
        assert!((foreign - (41.0f64).ln()).abs() < 0.7, "{foreign}");
        let new_ip_same_prefix = [home[0], home[1], home[2], Key::Ip(99)];
        let churn = hierarchy_surprise(&alice, &population, &weights(&new_ip_same_prefix), 1.0);
        assert!(churn > 0.5 && churn < foreign, "{churn}");
    }

    #[test]
    fn an_older_copy_of_the_users_browser_is_a_downgrade_an_update_is_not() {
        const DAY: i64 = 86_400_000;
        let mut releases = BrowserReleases::default();
        let recent = 21 * DAY;
        releases.learn("Chrome", "Windows", (146, 0), 0, true, recent);
        releases.learn("Chrome", "Windows", (147, 0), 30 * DAY, true, recent);
        // The update itself, and the release in use until recently, are not downgrades.
        assert_eq!(
            releases.downgrade("Chrome", "Windows", (148, 0), 31 * DAY, recent),
            None
        );
        assert_eq!(
            releases.downgrade("Chrome", "Windows", (146, 0), 10 * DAY, recent),
            None
        );
        // Weeks later, the old release is.
        assert_eq!(
            releases.downgrade("Chrome", "Windows", (145, 0), 60 * DAY, recent),
            Some(Downgrade {
                newest: (147, 0),
                steps: 2
            })
        );
        assert_eq!(
            releases.downgrade("Chrome", "Windows", (146, 0), 60 * DAY, recent),
            Some(Downgrade {
                newest: (147, 0),
                steps: 1
            })
        );
        // Another browser or OS is a new device, not a downgrade.
        assert_eq!(
            releases.downgrade("Chrome", "macOS", (140, 0), 60 * DAY, recent),
            None
        );
        let mut safari = BrowserReleases::default();
        safari.learn("Safari", "macOS", (26, 4), 0, true, recent);
        assert_eq!(
            safari
                .downgrade("Safari", "macOS", (26, 3), 40 * DAY, recent)
                .map(|downgrade| downgrade.steps),
            Some(1)
        );
    }

    #[test]
    fn a_second_device_stops_being_a_downgrade_once_in_use_an_intruders_copy_does_not() {
        const DAY: i64 = 86_400_000;
        const HOUR: i64 = 3_600_000;
        let recent = 21 * DAY;
        let mut releases = BrowserReleases::default();
        releases.learn("Edge", "Windows", (143, 0), 0, true, recent);
        releases.learn("Edge", "Windows", (145, 0), 40 * DAY, true, recent);
        let older = |releases: &BrowserReleases, at_ms| {
            releases
                .downgrade("Edge", "Windows", (143, 0), at_ms, recent)
                .is_some()
        };
        // Weeks after the user last taught it, 143 is a downgrade again; sign-ins with it that
        // the baseline does not learn from (they score high) keep it one for half a day...
        let start = 50 * DAY;
        assert!(older(&releases, start));
        releases.learn("Edge", "Windows", (143, 0), start, false, recent);
        releases.learn("Edge", "Windows", (143, 0), start + 3 * HOUR, false, recent);
        assert!(older(&releases, start + 6 * HOUR));
        // ...after which it is a device in use, not a copy an intruder signs in with.
        releases.learn(
            "Edge",
            "Windows",
            (143, 0),
            start + 11 * HOUR,
            false,
            recent,
        );
        assert!(!older(&releases, start + 13 * HOUR));

        // A newer release seen only on risky sign-ins does not make the user's own look old.
        let mut releases = BrowserReleases::default();
        releases.learn("Chrome", "Windows", (145, 0), 0, true, recent);
        releases.learn("Chrome", "Windows", (148, 0), DAY, false, recent);
        assert_eq!(
            releases.downgrade("Chrome", "Windows", (145, 0), 30 * DAY, recent),
            None
        );
        assert_eq!(
            releases
                .downgrade("Chrome", "Windows", (144, 0), 30 * DAY, recent)
                .map(|downgrade| downgrade.newest),
            Some((145, 0))
        );
    }

    #[test]
    fn a_new_network_used_for_a_week_becomes_the_users_own() {
        const DAY: i64 = 86_400_000;
        let mut probation = Probation::default();
        let carrier = Probation::key(Some(1267), 0);
        // Three logins on one day: not yet.
        for hour in 0..3 {
            assert!(!probation.admit(carrier, hour * 3_600_000, 3, 7.0));
        }
        assert!(!probation.admit(carrier, 2 * DAY, 3, 7.0));
        // Three days, but within a week: not yet; a week later: admitted.
        assert!(!probation.admit(carrier, 5 * DAY, 3, 7.0));
        assert!(probation.admit(carrier, 8 * DAY, 3, 7.0));
        // An attacker's two-day session is not.
        let server = Probation::key(Some(14061), 0);
        assert!(!probation.admit(server, 0, 3, 7.0));
        assert!(!probation.admit(server, DAY, 3, 7.0));
    }

    #[test]
    fn districts_are_the_same_city() {
        assert_eq!(
            city_key(b"DE", "Berlin"),
            city_key(b"DE", "Berlin (Bezirk Pankow)")
        );
        assert_ne!(city_key(b"DE", "Berlin"), city_key(b"US", "Berlin"));
    }

    #[test]
    fn hours_are_smoothed_circularly() {
        let mut user = UserBaseline::default();
        for _ in 0..30 {
            user.hours[23] += 1;
        }
        let midnight = user.hour_likelihood(0, 1.0);
        let noon = user.hour_likelihood(12, 1.0);
        assert!(midnight > 3.0, "{midnight}");
        assert!(noon < 0.1, "{noon}");
        let newcomer = UserBaseline::default();
        assert!((newcomer.hour_likelihood(3, 1.0) - 1.0).abs() < 1e-9);
    }
}

/// A value of a user's history with how many learnt logins had it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counted {
    pub value: String,
    pub logins: u32,
}

fn counted<K: PartialEq + Clone>(map: &CountMap<K>, name: impl Fn(&K) -> String) -> Vec<Counted> {
    map.ranked()
        .into_iter()
        .map(|(key, logins)| Counted {
            value: name(key),
            logins,
        })
        .collect()
}

/// What the engine has learnt about one user, as their next login is compared with it: the
/// places, networks, addresses and devices of their learnt logins (at most the
/// [`MAX_DISTINCT`](super::counts::MAX_DISTINCT) most frequent of each), and their hours.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineSnapshot {
    pub user_id: String,
    /// Logins learnt: successful (or of unknown outcome) and not themselves judged risky, or
    /// confirmed safe by an analyst.
    pub learnt_logins: u32,
    /// Every attempt seen, learnt or not, and the successful ones.
    pub attempts: u32,
    pub successes: u32,
    /// Most frequent first.
    pub countries: Vec<Counted>,
    /// `AS13335`-style.
    pub networks: Vec<Counted>,
    pub addresses: Vec<Counted>,
    pub devices: Vec<Counted>,
    pub operating_systems: Vec<Counted>,
    pub browsers: Vec<Counted>,
    /// Learnt logins per hour of the day (0–23) and weekday (Monday first) in `time_zone`.
    pub hours: [u32; 24],
    pub weekdays: [u32; 7],
    /// The user's usual time zone (that of their first located login); UTC until known.
    pub time_zone: Option<String>,
    /// The latest learnt login: where travel to the next one is measured from.
    pub last_learnt_ms: Option<i64>,
    pub last_learnt_ip: Option<String>,
}

impl UserBaseline {
    /// What the baseline holds, with `address` naming a source address id.
    pub fn snapshot(
        &self,
        user_id: &str,
        time_zone: Option<String>,
        address: impl Fn(u32) -> String,
    ) -> BaselineSnapshot {
        BaselineSnapshot {
            user_id: user_id.to_owned(),
            learnt_logins: self.logins,
            attempts: self.attempts,
            successes: self.successes,
            countries: counted(&self.countries, |code| {
                String::from_utf8_lossy(code).into_owned()
            }),
            networks: counted(&self.asns, |asn| format!("AS{asn}")),
            addresses: counted(&self.ips, |&id| address(id)),
            devices: counted(&self.devices, |device| device.as_str().to_owned()),
            operating_systems: counted(&self.oses, |os| (*os).to_owned()),
            browsers: counted(&self.browsers, |browser| (*browser).to_owned()),
            hours: self.hours,
            weekdays: self.weekdays,
            time_zone,
            last_learnt_ms: self.last.as_ref().map(|last| last.timestamp_ms),
            last_learnt_ip: self.last.as_ref().map(|last| last.ip.to_string()),
        }
    }
}
