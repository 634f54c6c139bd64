//! An independent scenario family, built on different assumptions from the main generator, so
//! that the engine is not only ever measured against the generator it was tuned with.
//!
//! **Where.** Its own organisation in Italy, Poland, the Netherlands, Sweden, Mexico and the
//! United States ([`places`]), with networks picked from the DB-IP data rather than the main
//! catalogue; a company VPN that egresses from cloud regions (hosting networks); mobile carriers
//! whose pools DB-IP places at their head office, whatever city the subscriber is in.
//!
//! **Who and when.** Activity is heavy-tailed (Pareto sessions per day: many light users and a
//! few very heavy ones). Each working day is a time-dependent Markov chain over places in
//! half-hour steps (home, commuting, office, out) rather than independent draws per sign-in; a
//! sign-in is a *session* of one to several logins minutes apart (token refreshes) from the same
//! device and address. Some staff work rotating night shifts; some share front-desk
//! workstations (one browser, one address, several accounts); some move house or change ISP in
//! the period (a first-seen ISP in a familiar city that is legitimate); some use two computers
//! whose browsers update at different times (an older version of the same browser that is
//! legitimate); managed machines update in jumps.
//!
//! **Attacks**, implemented afresh: adversary-in-the-middle phishing replaying the victim's own
//! browser from a server (takeover); a stealthy takeover from a residential network in another
//! city of the victim's country with the victim's browser some weeks old, in working hours;
//! session theft used from another continent shortly after a genuine login (impossible travel);
//! credential stuffing from one server in minutes; stuffing through residential proxies with one
//! address *and one browser string* per attempt; password spraying from one server in an hour;
//! spraying one password a day over one to two weeks from one hosting provider's addresses;
//! slow brute force with pauses; Tor sign-ins.

mod places;

pub use places::all_blocks;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use self::places::{ATTACK_SERVERS, COUNTRIES, Country, OFFICES, Office, PROXY_RESIDENTIAL};
use crate::catalog::{NetworkBlock, TOR_EXITS};
use crate::random::{Random, Stream};
use crate::{
    AttackMix, GeneratedLogin, Label, SECONDS_PER_DAY, ScenarioError, ScenarioParams, Window,
};

/// Everything that determines an independent-family scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovParams {
    pub seed: u64,
    pub users: usize,
    pub days: u32,
    pub start: Timestamp,
    pub attacks: AttackMix,
    /// Share of staff on rotating shifts (one week of nights in three).
    pub shift_worker_share: f64,
    /// Share of staff who mostly use a shared front-desk workstation at the office.
    pub shared_desk_share: f64,
    /// Share of staff whose laptop sign-ins from home and hotels go through the company VPN.
    pub corporate_vpn_share: f64,
    /// Share of staff who never go to an office.
    pub remote_share: f64,
}

impl MarkovParams {
    /// 600 staff over 45 days with every kind of attack.
    pub fn preset(seed: u64) -> Self {
        Self {
            seed,
            users: 600,
            days: 45,
            start: ScenarioParams::evaluation().start,
            attacks: AttackMix {
                credential_stuffing_campaigns: 2,
                password_spraying_campaigns: 2,
                brute_force_incidents: 8,
                account_takeovers: 14,
                impossible_travel_events: 14,
                tor_or_hosting_logins: 8,
                stealthy_takeovers: 14,
                distributed_stuffing_campaigns: 2,
                slow_spraying_campaigns: 2,
            },
            shift_worker_share: 0.1,
            shared_desk_share: 0.06,
            corporate_vpn_share: 0.3,
            remote_share: 0.25,
        }
    }

    fn check(&self) -> Result<Window, ScenarioError> {
        let common = ScenarioParams {
            seed: self.seed,
            users: self.users,
            days: self.days,
            start: self.start,
            attacks: self.attacks,
            workforce: crate::Workforce::default(),
        };
        common.check()?;
        for (name, share) in [
            ("shift_worker_share", self.shift_worker_share),
            ("shared_desk_share", self.shared_desk_share),
            ("corporate_vpn_share", self.corporate_vpn_share),
            ("remote_share", self.remote_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(ScenarioError::InvalidWorkforce {
                    name,
                    reason: "must be a share between 0 and 1",
                });
            }
        }
        Ok(common.window())
    }
}

/// Generates the scenario: all sign-ins sorted by time, ties broken by the other fields.
pub fn generate(params: &MarkovParams) -> Result<Vec<GeneratedLogin>, ScenarioError> {
    let window = params.check()?;
    let staff = hire(params, window);
    let mut rows = Vec::new();
    let mut genuine: Vec<Vec<usize>> = vec![Vec::new(); staff.len()];
    for (index, person) in staff.iter().enumerate() {
        let mut random = Random::new(params.seed, Stream::Independent, 1 << 40 | index as u64);
        person.live(
            params.seed,
            &mut random,
            window,
            &mut rows,
            &mut genuine[index],
        );
    }
    let context = Context {
        window,
        staff: &staff,
        names: staff.iter().map(|person| person.user_id.as_str()).collect(),
        rows: &rows,
        genuine: &genuine,
    };
    let attack_rows = attack(params.seed, &params.attacks, &context);
    rows.extend(attack_rows);
    rows.retain(|row| window.contains(row.timestamp.as_second()));
    rows.sort_by(GeneratedLogin::output_order);
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Browsers
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Chrome,
    Edge,
    Firefox,
    Safari,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Windows,
    Mac,
    Linux,
    Iphone,
    Android,
}

/// How a browser install follows releases.
#[derive(Debug, Clone, Copy)]
enum Updates {
    /// Takes each release `lag` days after it ships.
    Automatic { lag: i64 },
    /// IT rolls out releases in batches every `every` days.
    Managed { every: i64, phase: i64 },
}

#[derive(Debug, Clone, Copy)]
struct Browser {
    family: Family,
    system: System,
    updates: Updates,
}

/// 2026-03-10, when Chrome 146 shipped; the Chromium browsers release every four weeks.
const CHROMIUM_BASE_DAY: i64 = 20_522;
/// 2026-03-24, Firefox 149; also every four weeks.
const FIREFOX_BASE_DAY: i64 = 20_536;
/// 2026-01-27, Safari 26.3; a minor release about every eight weeks.
const SAFARI_BASE_DAY: i64 = 20_480;

impl Browser {
    /// The day whose release this install runs on `day`.
    fn release_day(&self, day: i64) -> i64 {
        match self.updates {
            Updates::Automatic { lag } => day - lag,
            Updates::Managed { every, phase } => (day - phase).div_euclid(every) * every + phase,
        }
    }

    fn user_agent(&self, day: i64) -> String {
        agent_string(self.family, self.system, self.release_day(day))
    }
}

/// The `User-Agent` a browser of `family` on `system` sends when running the release current on
/// `release_day`.
fn agent_string(family: Family, system: System, release_day: i64) -> String {
    let chromium = 146 + (release_day - CHROMIUM_BASE_DAY).div_euclid(28);
    let firefox = 149 + (release_day - FIREFOX_BASE_DAY).div_euclid(28);
    let safari_steps = 3 + (release_day - SAFARI_BASE_DAY).div_euclid(56);
    let (safari_major, safari_minor) =
        (26 + safari_steps.div_euclid(7), safari_steps.rem_euclid(7));
    let desktop = match system {
        System::Windows => "Windows NT 10.0; Win64; x64",
        System::Mac => "Macintosh; Intel Mac OS X 10_15_7",
        _ => "X11; Linux x86_64",
    };
    match (family, system) {
        (Family::Safari, System::Iphone) => format!(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Mobile/15E148 Safari/604.1"
        ),
        (Family::Safari, _) => format!(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Safari/605.1.15"
        ),
        (Family::Firefox, System::Mac) => format!(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:{firefox}.0) Gecko/20100101 Firefox/{firefox}.0"
        ),
        (Family::Firefox, _) => {
            format!("Mozilla/5.0 ({desktop}; rv:{firefox}.0) Gecko/20100101 Firefox/{firefox}.0")
        }
        (Family::Edge, _) => format!(
            "Mozilla/5.0 ({desktop}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chromium}.0.0.0 Safari/537.36 Edg/{chromium}.0.0.0"
        ),
        (Family::Chrome, System::Android) => format!(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chromium}.0.0.0 Mobile Safari/537.36"
        ),
        (Family::Chrome, System::Iphone) => format!(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/{chromium}.0.0.0 Mobile/15E148 Safari/604.1"
        ),
        (Family::Chrome, _) => format!(
            "Mozilla/5.0 ({desktop}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chromium}.0.0.0 Safari/537.36"
        ),
    }
}

fn computer_browser(random: &mut Random, managed: bool) -> Browser {
    let (family, system) = match random.weighted(&[30.0, 30.0, 8.0, 14.0, 12.0, 4.0, 2.0]) {
        0 => (Family::Edge, System::Windows),
        1 => (Family::Chrome, System::Windows),
        2 => (Family::Firefox, System::Windows),
        3 => (Family::Chrome, System::Mac),
        4 => (Family::Safari, System::Mac),
        5 => (Family::Firefox, System::Linux),
        _ => (Family::Chrome, System::Linux),
    };
    Browser {
        family,
        system,
        updates: updates(random, managed),
    }
}

fn phone_browser(random: &mut Random) -> Browser {
    let (family, system) = match random.weighted(&[48.0, 6.0, 46.0]) {
        0 => (Family::Safari, System::Iphone),
        1 => (Family::Chrome, System::Iphone),
        _ => (Family::Chrome, System::Android),
    };
    Browser {
        family,
        system,
        updates: updates(random, false),
    }
}

fn updates(random: &mut Random, managed: bool) -> Updates {
    if managed {
        Updates::Managed {
            every: random.between(42, 84),
            phase: random.between(0, 83),
        }
    } else if random.chance(0.8) {
        Updates::Automatic {
            lag: random.between(0, 6),
        }
    } else {
        Updates::Automatic {
            lag: random.between(14, 50),
        }
    }
}

// ---------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------

/// A home line: a fixed /24 of the ISP, the address inside it changing now and then; some
/// households switch ISP during the period.
#[derive(Debug, Clone)]
struct HomeLine {
    /// The household's /24.
    subnet: u32,
    /// From this day on, the household is with another ISP (or another part of the pool).
    switch: Option<(i64, u32)>,
}

impl HomeLine {
    fn address(&self, day: i64) -> IpAddr {
        let subnet = match self.switch {
            Some((from, subnet)) if day >= from => subnet,
            _ => self.subnet,
        };
        // A long DHCP lease: the host part changes with the week.
        let host = 2 + ((day.div_euclid(7) as u32).wrapping_mul(2_654_435_761) >> 8) % 250;
        IpAddr::V4(Ipv4Addr::from(subnet | host))
    }
}

fn subnet_in(random: &mut Random, block: &NetworkBlock) -> u32 {
    let IpAddr::V4(base) = block.prefix.network() else {
        unreachable!("the family's blocks are IPv4")
    };
    let spare_bits = 24 - u32::from(block.prefix.length());
    u32::from(base) + ((random.below(1 << spare_bits) as u32) << 8)
}

fn host_in(random: &mut Random, block: &NetworkBlock) -> IpAddr {
    let subnet = subnet_in(random, block);
    IpAddr::V4(Ipv4Addr::from(subnet | (1 + random.below(253) as u32)))
}

#[derive(Clone)]
struct Trip {
    first_day: i64,
    last_day: i64,
    office: &'static Office,
    zone: TimeZone,
    hotel: IpAddr,
}

struct Staff {
    user_id: String,
    office: &'static Office,
    country: &'static Country,
    zone: TimeZone,
    home: HomeLine,
    mobile: &'static NetworkBlock,
    laptop: Browser,
    phone: Option<Browser>,
    /// A second computer at home whose browser updates on its own schedule.
    home_computer: Option<Browser>,
    /// Index of the shared front-desk workstation, for those who use one.
    shared_desk: Option<usize>,
    /// Mean sessions on a working day (Pareto: heavy-tailed across staff).
    intensity: f64,
    start_minute: i64,
    /// Night shifts every third week, starting with week `phase`.
    shift_phase: Option<i64>,
    remote: bool,
    office_days: [bool; 5],
    corporate_vpn: bool,
    trips: Vec<Trip>,
}

/// A shared workstation: one browser at one office.
struct SharedDesk {
    browser: Browser,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    Home,
    Commute,
    Office,
    Out,
}

fn hire(params: &MarkovParams, window: Window) -> Vec<Staff> {
    let weights: Vec<f64> = OFFICES.iter().map(|office| office.staff_weight).collect();
    let mut taken = BTreeSet::new();
    let first_day = window.start.div_euclid(SECONDS_PER_DAY);
    let days = (window.end - window.start).div_euclid(SECONDS_PER_DAY);
    (0..params.users)
        .map(|index| {
            let mut random = Random::new(params.seed, Stream::Independent, index as u64);
            let office = &OFFICES[random.weighted(&weights)];
            let country = Country::of(office.site.country);
            let zone = TimeZone::get(office.time_zone).expect("bundled time zone");
            let user_id = staff_name(&mut random, &mut taken);
            let block = random.pick(office.residential);
            let switch = random.chance(0.04).then(|| {
                let other = random.pick(office.residential);
                (
                    first_day + random.between(3, days.max(4) - 1),
                    subnet_in(&mut random, other),
                )
            });
            let home = HomeLine {
                subnet: subnet_in(&mut random, block),
                switch,
            };
            let remote = random.chance(params.remote_share);
            let mut office_days = [false; 5];
            for day in office_days.iter_mut() {
                *day = !remote && random.chance(0.6);
            }
            let trips = plan_trips(&mut random, office, window);
            Staff {
                user_id,
                office,
                country,
                zone,
                home,
                mobile: random.pick(country.mobile),
                laptop: {
                    let managed = random.chance(0.3);
                    computer_browser(&mut random, managed)
                },
                phone: random.chance(0.8).then(|| phone_browser(&mut random)),
                home_computer: random
                    .chance(0.15)
                    .then(|| computer_browser(&mut random, false)),
                shared_desk: (!remote && random.chance(params.shared_desk_share))
                    .then(|| random.index(SHARED_DESKS)),
                intensity: (1.2 / (1.0 - random.unit()).powf(1.0 / 1.6)).min(25.0),
                start_minute: random.normal(8.5 * 60.0, 50.0).clamp(360.0, 660.0) as i64,
                shift_phase: random
                    .chance(params.shift_worker_share)
                    .then(|| random.between(0, 2)),
                remote,
                office_days,
                corporate_vpn: random.chance(params.corporate_vpn_share),
                trips,
            }
        })
        .collect()
}

/// Shared front-desk workstations per office.
const SHARED_DESKS: usize = 3;

fn shared_desk(seed: u64, office: &Office, desk: usize) -> SharedDesk {
    let office_index = OFFICES
        .iter()
        .position(|other| std::ptr::eq(other, office))
        .unwrap_or(0);
    let mut random = Random::new(
        seed,
        Stream::Independent,
        2 << 40 | (office_index * SHARED_DESKS + desk) as u64,
    );
    SharedDesk {
        browser: computer_browser(&mut random, true),
    }
}

fn staff_name(random: &mut Random, taken: &mut BTreeSet<String>) -> String {
    const GIVEN: &[&str] = &[
        "giulia",
        "marco",
        "anna",
        "piotr",
        "kasia",
        "tomasz",
        "daan",
        "sanne",
        "lars",
        "ebba",
        "sofia",
        "diego",
        "lucia",
        "javier",
        "emily",
        "jacob",
        "chloe",
        "noah",
        "ava",
        "mateo",
        "francesca",
        "luca",
        "agnieszka",
        "bram",
        "elin",
        "oskar",
        "valeria",
        "carlos",
        "grace",
        "owen",
    ];
    const FAMILY: &[&str] = &[
        "rossi",
        "bianchi",
        "ferrari",
        "kowalski",
        "nowak",
        "wisniewska",
        "dejong",
        "bakker",
        "visser",
        "lindqvist",
        "andersson",
        "nilsson",
        "hernandez",
        "garcia",
        "lopez",
        "martinez",
        "johnson",
        "miller",
        "davis",
        "wilson",
        "romano",
        "colombo",
        "lewandowski",
        "mulder",
        "berg",
        "sanchez",
        "ramirez",
        "moore",
        "taylor",
        "brooks",
    ];
    let base = format!("{}{}", &random.pick(GIVEN)[..1], random.pick(FAMILY));
    let mut name = base.clone();
    let mut number = 1;
    while !taken.insert(name.clone()) {
        number += 1;
        name = format!("{base}{number}");
    }
    name
}

fn plan_trips(random: &mut Random, home: &'static Office, window: Window) -> Vec<Trip> {
    let mut trips = Vec::new();
    if !random.chance(0.12) {
        return trips;
    }
    let first_day = window.start.div_euclid(SECONDS_PER_DAY);
    let days = (window.end - window.start).div_euclid(SECONDS_PER_DAY);
    for _ in 0..random.between(1, 2) {
        let office = loop {
            let candidate = random.pick(OFFICES);
            if !std::ptr::eq(candidate, home) {
                break candidate;
            }
        };
        let start = first_day + random.between(2, (days - 8).max(3));
        let trip = Trip {
            first_day: start,
            last_day: start + random.between(2, 4),
            office,
            zone: TimeZone::get(office.time_zone).expect("bundled time zone"),
            hotel: {
                let block = random.pick(office.residential);
                host_in(random, block)
            },
        };
        if trips.iter().all(|other: &Trip| {
            trip.first_day > other.last_day + 3 || trip.last_day + 3 < other.first_day
        }) {
            trips.push(trip);
        }
    }
    trips
}

fn local_date(zone: &TimeZone, second: i64) -> Date {
    zone.to_datetime(Timestamp::from_second(second).expect("in range"))
        .date()
}

fn local_instant(zone: &TimeZone, date: Date, minute: i64) -> i64 {
    let minute = minute.rem_euclid(24 * 60);
    zone.to_ambiguous_timestamp(date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0))
        .compatible()
        .expect("local time in range")
        .as_second()
}

fn day_of(second: i64) -> i64 {
    second.div_euclid(SECONDS_PER_DAY)
}

impl Staff {
    fn trip_on(&self, day: i64) -> Option<&Trip> {
        self.trips
            .iter()
            .find(|trip| (trip.first_day..=trip.last_day).contains(&day))
    }

    /// Travel days: the day before a trip and the last day of it see no sign-ins after the
    /// morning (flights), so no legitimate move is faster than an airliner.
    fn travelling(&self, day: i64) -> bool {
        self.trips
            .iter()
            .any(|trip| day == trip.first_day - 1 || day == trip.last_day)
    }

    fn live(
        &self,
        seed: u64,
        random: &mut Random,
        window: Window,
        rows: &mut Vec<GeneratedLogin>,
        genuine: &mut Vec<usize>,
    ) {
        let desk = self
            .shared_desk
            .map(|desk| shared_desk(seed, self.office, desk));
        let first = window.start.div_euclid(SECONDS_PER_DAY);
        let last = (window.end - 1).div_euclid(SECONDS_PER_DAY);
        let vacation = random.chance(0.15).then(|| {
            let start = random.between(first, last);
            (start, start + random.between(4, 12))
        });
        for day in first..=last {
            if vacation.is_some_and(|(from, to)| (from..=to).contains(&day)) && !random.chance(0.1)
            {
                continue;
            }
            let trip = self
                .trip_on(day)
                .filter(|trip| day != trip.last_day)
                .cloned();
            let zone = trip.as_ref().map_or(&self.zone, |trip| &trip.zone);
            let date = local_date(zone, day * SECONDS_PER_DAY + 12 * 3600);
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let night_week = self
                .shift_phase
                .is_some_and(|phase| (day.div_euclid(7) + phase).rem_euclid(3) == 0);
            let start = if night_week {
                21 * 60 + random.between(-30, 30)
            } else {
                self.start_minute + random.between(-25, 25)
            };
            let mean = if weekend {
                self.intensity * 0.12
            } else {
                self.intensity * random.uniform(0.5, 1.5)
            };
            let sessions = random.poisson(mean);
            if sessions == 0 {
                continue;
            }
            let in_office = !weekend
                && trip.is_none()
                && !self.remote
                && self.office_days[date.weekday().to_monday_zero_offset() as usize];
            let plan = day_plan(random, in_office || trip.is_some(), weekend);
            let travelling = self.travelling(day);
            let mut minutes: Vec<i64> = (0..sessions)
                .map(|_| {
                    if weekend {
                        random.between(9 * 60, 22 * 60)
                    } else if random.chance(0.85) {
                        start + random.between(-60, 9 * 60 + 30)
                    } else {
                        start + random.between(10 * 60, 14 * 60)
                    }
                })
                .filter(|minute| !travelling || (*minute < 8 * 60 && *minute >= 0))
                .collect();
            minutes.sort_unstable();
            for minute in minutes {
                let slot = ((minute - start + 60).clamp(0, 47 * 30) / 30) as usize;
                let place = plan[slot.min(plan.len() - 1)];
                let second = local_instant(zone, date, minute) + random.between(0, 59);
                let (ip, agent) = self.source(random, place, trip.as_ref(), desk.as_ref(), day);
                self.session(
                    random,
                    second,
                    ip,
                    &agent,
                    rows,
                    genuine,
                    place == Place::Home,
                );
            }
        }
    }

    fn source(
        &self,
        random: &mut Random,
        place: Place,
        trip: Option<&Trip>,
        desk: Option<&SharedDesk>,
        day: i64,
    ) -> (IpAddr, String) {
        let phone_or_laptop = self.phone.unwrap_or(self.laptop);
        match (place, trip) {
            (Place::Commute | Place::Out, _) => (
                host_in(random, self.mobile),
                phone_or_laptop.user_agent(day),
            ),
            (Place::Office, Some(trip)) => (
                host_in(random, &trip.office.office),
                self.laptop.user_agent(day),
            ),
            (Place::Home, Some(trip)) => {
                let ip = if self.corporate_vpn && random.chance(0.6) {
                    host_in(random, &self.country.vpn_egress)
                } else {
                    trip.hotel
                };
                (ip, self.laptop.user_agent(day))
            }
            (Place::Office, None) => {
                let agent = match desk {
                    Some(desk) if random.chance(0.8) => desk.browser.user_agent(day),
                    _ => self.laptop.user_agent(day),
                };
                let IpAddr::V4(base) = self.office.office.prefix.network() else {
                    unreachable!("IPv4 offices")
                };
                let egress = u32::from(base) + 10 + random.below(2) as u32;
                (IpAddr::V4(Ipv4Addr::from(egress)), agent)
            }
            (Place::Home, None) => {
                let browser = match random.weighted(&[
                    0.55,
                    if self.phone.is_some() { 0.3 } else { 0.0 },
                    if self.home_computer.is_some() {
                        0.35
                    } else {
                        0.0
                    },
                ]) {
                    0 => self.laptop,
                    1 => phone_or_laptop,
                    _ => self.home_computer.unwrap_or(self.laptop),
                };
                let on_laptop = matches!(
                    browser.system,
                    System::Windows | System::Mac | System::Linux
                );
                let ip = if self.corporate_vpn && on_laptop && random.chance(0.7) {
                    host_in(random, &self.country.vpn_egress)
                } else {
                    self.home.address(day)
                };
                (ip, browser.user_agent(day))
            }
        }
    }

    /// One session: a first login (sometimes after a typo, rarely after a lock-out and a
    /// reset), then token refreshes a few minutes apart.
    #[allow(clippy::too_many_arguments)]
    fn session(
        &self,
        random: &mut Random,
        second: i64,
        ip: IpAddr,
        agent: &str,
        rows: &mut Vec<GeneratedLogin>,
        genuine: &mut Vec<usize>,
        at_home: bool,
    ) {
        let push = |rows: &mut Vec<GeneratedLogin>, at: i64, success: bool| {
            rows.push(GeneratedLogin {
                timestamp: Timestamp::from_second(at).expect("in range"),
                user_id: self.user_id.clone(),
                ip,
                user_agent: agent.to_owned(),
                success,
                label: Label::Normal,
            });
        };
        let roll = random.unit();
        let mut at = second;
        if roll < 0.004 {
            for _ in 0..random.between(3, 7) {
                push(rows, at, false);
                at += random.between(20, 90);
            }
            at += random.between(600, 2400);
        } else if roll < 0.034 {
            push(rows, at, false);
            at += random.between(5, 30);
        }
        push(rows, at, true);
        if at_home {
            genuine.push(rows.len() - 1);
        }
        while random.chance(0.45) {
            at += random.between(120, 1200);
            push(rows, at, true);
        }
    }
}

/// Where the person is in each half hour of a working day, from an hour before their start:
/// a time-dependent Markov chain. Office days: home, a commute, the office with a chance of
/// lunch out, a commute back, then home with short outings. Other days: home, with outings.
fn day_plan(random: &mut Random, office_day: bool, weekend: bool) -> Vec<Place> {
    const SLOTS: usize = 48;
    let mut plan = Vec::with_capacity(SLOTS);
    let mut place = Place::Home;
    for slot in 0..SLOTS {
        let work = (2..20).contains(&slot);
        place = match place {
            Place::Home if office_day && slot == 1 => Place::Commute,
            Place::Home if random.chance(if weekend { 0.08 } else { 0.04 }) => Place::Out,
            Place::Home => Place::Home,
            Place::Commute if office_day && work => Place::Office,
            Place::Commute => Place::Home,
            Place::Office if slot == 20 => Place::Commute,
            Place::Office if (8..11).contains(&slot) && random.chance(0.1) => Place::Out,
            Place::Office => Place::Office,
            Place::Out if random.chance(0.5) => {
                if office_day && work {
                    Place::Office
                } else {
                    Place::Home
                }
            }
            Place::Out => Place::Out,
        };
        plan.push(place);
    }
    plan
}

// ---------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------

struct Context<'a> {
    window: Window,
    staff: &'a [Staff],
    names: BTreeSet<&'a str>,
    rows: &'a [GeneratedLogin],
    /// Per person, indices of genuine successful sign-ins from home.
    genuine: &'a [Vec<usize>],
}

type Attack = fn(&mut Random, &Context<'_>, &mut Vec<GeneratedLogin>);

fn attack(seed: u64, mix: &AttackMix, context: &Context<'_>) -> Vec<GeneratedLogin> {
    let kinds: [(u32, Attack); 9] = [
        (mix.credential_stuffing_campaigns, server_stuffing),
        (mix.password_spraying_campaigns, server_spraying),
        (mix.brute_force_incidents, slow_brute_force),
        (mix.account_takeovers, phishing_proxy_takeover),
        (mix.impossible_travel_events, stolen_session),
        (mix.tor_or_hosting_logins, tor_sign_in),
        (mix.stealthy_takeovers, stealthy_takeover),
        (mix.distributed_stuffing_campaigns, proxy_stuffing),
        (mix.slow_spraying_campaigns, daily_spraying),
    ];
    let mut rows = Vec::new();
    for (kind, (count, attack)) in kinds.into_iter().enumerate() {
        for index in 0..count {
            let mut random = Random::new(
                seed,
                Stream::Independent,
                3 << 40 | (kind as u64) << 20 | u64::from(index),
            );
            attack(&mut random, context, &mut rows);
        }
    }
    rows
}

fn attempt(
    second: i64,
    user: &str,
    ip: IpAddr,
    agent: &str,
    success: bool,
    label: Label,
) -> GeneratedLogin {
    GeneratedLogin {
        timestamp: Timestamp::from_second(second).expect("in range"),
        user_id: user.to_owned(),
        ip,
        user_agent: agent.to_owned(),
        success,
        label,
    }
}

impl Context<'_> {
    fn start(&self, random: &mut Random, duration: i64) -> i64 {
        random.between(
            self.window.start,
            (self.window.end - duration).max(self.window.start),
        )
    }

    fn victim(&self, random: &mut Random) -> &Staff {
        random.pick(self.staff)
    }

    /// Leaked user names: the organisation's naming pattern applied to other people, and
    /// generic mailboxes.
    fn leaked_name(&self, random: &mut Random) -> String {
        const GENERIC: &[&str] = &["admin", "info", "helpdesk", "test", "reception", "sales"];
        loop {
            let name = if random.chance(0.1) {
                random.pick(GENERIC).to_string()
            } else {
                let letter = (b'a' + random.below(26) as u8) as char;
                let surname = random.pick(&[
                    "conti", "greco", "marino", "wojcik", "kaminski", "smit", "meijer", "karlsson",
                    "jonsson", "torres", "flores", "clark", "lewis", "walker", "hall",
                ]);
                format!("{letter}{surname}{}", random.between(1, 99))
            };
            if !self.names.contains(name.as_str()) {
                return name;
            }
        }
    }

    fn real_names(&self, random: &mut Random, count: usize) -> Vec<&str> {
        let mut names: Vec<&str> = self.names.iter().copied().collect();
        random.shuffle(&mut names);
        names.truncate(count.clamp(1, names.len()));
        names
    }
}

fn stale_browser_string(random: &mut Random, day: i64) -> String {
    let family = *random.pick(&[Family::Chrome, Family::Edge, Family::Firefox]);
    let system = *random.pick(&[System::Windows, System::Mac]);
    agent_string(family, system, day - random.between(30, 300))
}

const SCRIPTS: &[&str] = &[
    "python-requests/2.31.0",
    "Go-http-client/2.0",
    "curl/8.7.1",
    "Java/17.0.10",
];

/// Stuffing from one rented server: a leaked list in a few minutes, a script's user agent.
fn server_stuffing(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let ip = {
        let block = random.pick(ATTACK_SERVERS);
        host_in(random, block)
    };
    let agent = random.pick(SCRIPTS).to_string();
    let attempts = random.between(50, 150) as usize;
    let real = {
        let divisor = random.between(5, 10) as usize;
        context.real_names(random, attempts / divisor)
    };
    let hits: BTreeSet<&str> = real
        .iter()
        .take(random.between(1, 2) as usize)
        .copied()
        .collect();
    let mut names: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    while names.len() < attempts {
        names.push(context.leaked_name(random));
    }
    random.shuffle(&mut names);
    let mut second = context.start(random, 3600);
    for name in names {
        second += random.between(1, 8);
        rows.push(attempt(
            second,
            &name,
            ip,
            &agent,
            hits.contains(name.as_str()),
            Label::CredentialStuffing,
        ));
    }
}

/// Spraying from one server within an hour: one password, many real accounts.
fn server_spraying(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let ip = {
        let block = random.pick(ATTACK_SERVERS);
        host_in(random, block)
    };
    let agent = stale_browser_string(random, day_of(context.window.start));
    let targets = {
        let divisor = random.between(3, 6) as usize;
        context.real_names(random, context.staff.len() / divisor)
    };
    let mut second = context.start(random, 2 * 3600);
    let mut successes = 0;
    for name in targets {
        second += random.between(5, 60);
        let success = successes == 0 && random.chance(0.02);
        successes += u32::from(success);
        rows.push(attempt(
            second,
            name,
            ip,
            &agent,
            success,
            Label::PasswordSpraying,
        ));
    }
}

/// Brute force with pauses to stay under lock-out thresholds: bursts of three to six guesses
/// every ten to thirty minutes from one foreign residential address.
fn slow_brute_force(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let victim = context.victim(random);
    let ip = {
        let block = random.pick(PROXY_RESIDENTIAL);
        host_in(random, block)
    };
    let agent = stale_browser_string(random, day_of(context.window.start));
    let mut second = context.start(random, 6 * 3600);
    for _ in 0..random.between(3, 8) {
        for _ in 0..random.between(3, 6) {
            second += random.between(3, 20);
            rows.push(attempt(
                second,
                &victim.user_id,
                ip,
                &agent,
                false,
                Label::BruteForce,
            ));
        }
        second += random.between(600, 1800);
    }
    if random.chance(0.4) {
        rows.push(attempt(
            second,
            &victim.user_id,
            ip,
            &agent,
            true,
            Label::BruteForce,
        ));
    }
}

/// Adversary-in-the-middle phishing: the proxy relays the victim's own browser string from a
/// server, then the attacker comes back a few times over a day or two.
fn phishing_proxy_takeover(
    random: &mut Random,
    context: &Context<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let victim = context.victim(random);
    let ip = {
        let block = random.pick(ATTACK_SERVERS);
        host_in(random, block)
    };
    let mut second = context.start(random, 2 * SECONDS_PER_DAY);
    let agent = victim.laptop.user_agent(day_of(second));
    for _ in 0..random.between(1, 6) {
        rows.push(attempt(
            second,
            &victim.user_id,
            ip,
            &agent,
            true,
            Label::AccountTakeover,
        ));
        second += random.between(1800, 12 * 3600);
    }
}

/// A stolen session cookie used from another continent minutes after a genuine home login.
fn stolen_session(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let candidates: Vec<usize> = (0..context.staff.len())
        .filter(|&index| !context.genuine[index].is_empty())
        .collect();
    if candidates.is_empty() {
        return;
    }
    let victim_index = *random.pick(&candidates);
    let anchor = &context.rows[*random.pick(&context.genuine[victim_index])];
    let victim = &context.staff[victim_index];
    let far: Vec<&NetworkBlock> = PROXY_RESIDENTIAL
        .iter()
        .chain(ATTACK_SERVERS)
        .filter(|block| block.site.distance_km(victim.office.site) > 3000.0)
        .collect();
    let block = random.pick_copy(&far);
    let ip = host_in(random, block);
    let second = anchor.timestamp.as_second() + random.between(10 * 60, 90 * 60);
    rows.push(attempt(
        second,
        &victim.user_id,
        ip,
        &anchor.user_agent,
        true,
        Label::ImpossibleTravel,
    ));
}

/// Tor Browser sign-ins.
fn tor_sign_in(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let victim = context.victim(random);
    let ip = TOR_EXITS[random.index(TOR_EXITS.len())].prefix.network();
    let IpAddr::V4(base) = ip else { return };
    let ip = IpAddr::V4(Ipv4Addr::from(
        u32::from(base) + 1 + random.below(200) as u32,
    ));
    let agent = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0";
    let second = context.start(random, 3600);
    rows.push(attempt(
        second,
        &victim.user_id,
        ip,
        agent,
        random.chance(0.7),
        Label::TorOrHostingLogin,
    ));
}

/// A takeover that looks like the victim: a residential network in another city of the
/// victim's country, the victim's laptop browser three to eight weeks out of date, a weekday
/// during the victim's working hours.
fn stealthy_takeover(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let victim = context.victim(random);
    let elsewhere: Vec<&NetworkBlock> = victim
        .country
        .elsewhere
        .iter()
        .chain(
            OFFICES
                .iter()
                .filter(|office| office.site.country == victim.country.code)
                .flat_map(|office| office.residential),
        )
        .filter(|block| block.site.name != victim.office.site.name)
        .collect();
    let block = if elsewhere.is_empty() {
        random.pick(victim.office.residential)
    } else {
        random.pick_copy(&elsewhere)
    };
    let ip = host_in(random, block);
    let mut base = context.start(random, 4 * SECONDS_PER_DAY);
    while matches!(
        local_date(&victim.zone, base).weekday(),
        Weekday::Saturday | Weekday::Sunday
    ) {
        base += SECONDS_PER_DAY;
    }
    let minute = victim.start_minute + random.between(30, 7 * 60);
    let mut second = local_instant(&victim.zone, local_date(&victim.zone, base), minute);
    let day = day_of(second);
    let current = victim.laptop.user_agent(day);
    let mut weeks = random.between(3, 8);
    let mut agent = agent_string(
        victim.laptop.family,
        victim.laptop.system,
        victim.laptop.release_day(day) - weeks * 7,
    );
    while agent == current && weeks < 40 {
        weeks += 4;
        agent = agent_string(
            victim.laptop.family,
            victim.laptop.system,
            victim.laptop.release_day(day) - weeks * 7,
        );
    }
    for _ in 0..random.between(1, 4) {
        rows.push(attempt(
            second,
            &victim.user_id,
            ip,
            &agent,
            true,
            Label::StealthyTakeover,
        ));
        second += random.between(15 * 60, 4 * 3600);
    }
}

/// Stuffing through residential proxies: every attempt from its own address with its own
/// browser string, over several hours.
fn proxy_stuffing(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let attempts = random.between(100, 300) as usize;
    let real = {
        let divisor = random.between(4, 8) as usize;
        context.real_names(random, attempts / divisor)
    };
    let hits: BTreeSet<&str> = real
        .iter()
        .take(random.between(1, 3) as usize)
        .copied()
        .collect();
    let mut names: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    while names.len() < attempts {
        names.push(context.leaked_name(random));
    }
    random.shuffle(&mut names);
    let duration = random.between(2 * 3600, 10 * 3600);
    let start = context.start(random, duration);
    let exits: Vec<&NetworkBlock> = PROXY_RESIDENTIAL
        .iter()
        .chain(COUNTRIES.iter().flat_map(|country| country.elsewhere))
        .collect();
    for name in names {
        let second = start + random.between(0, duration);
        let ip = {
            let block = random.pick_copy(&exits);
            host_in(random, block)
        };
        let agent = stale_browser_string(random, day_of(second));
        rows.push(attempt(
            second,
            &name,
            ip,
            &agent,
            hits.contains(name.as_str()),
            Label::DistributedStuffing,
        ));
    }
}

/// One password a day against a slice of the staff, for one to two weeks, from addresses all
/// over one hosting provider.
fn daily_spraying(random: &mut Random, context: &Context<'_>, rows: &mut Vec<GeneratedLogin>) {
    let provider = random.pick(ATTACK_SERVERS);
    let agent = random.pick(SCRIPTS).to_string();
    let days = random.between(7, 14);
    let start = context.start(random, days * SECONDS_PER_DAY);
    let mut successes = 0;
    for day in 0..days {
        let targets = {
            let divisor = random.between(4, 10) as usize;
            context.real_names(random, context.staff.len() / divisor)
        };
        for name in targets {
            let second = start + day * SECONDS_PER_DAY + random.between(0, SECONDS_PER_DAY - 1);
            let ip = host_in(random, provider);
            let success = successes < 2 && random.chance(0.004);
            successes += u32::from(success);
            rows.push(attempt(
                second,
                name,
                ip,
                &agent,
                success,
                Label::SlowSpraying,
            ));
        }
    }
}
