//! The normal population: employees, their habits, networks, devices and
//! trips, and the legitimate sign-ins that follow from them.

use std::collections::BTreeSet;
use std::net::IpAddr;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::catalog::{
    Browser, BrowserInstall, DESKTOP_BROWSERS, DOMESTIC_RESIDENTIAL, HOME_CITIES, HOSTING,
    HomeCity, IpPrefix, NetworkBlock, OTHER_CARRIERS, PHONE_BROWSERS, Platform, SAMSUNG_MODELS,
    VPN,
};
use super::names;
use super::random::{Random, Stream};
use super::{GeneratedLogin, Label, SECONDS_PER_DAY, Window, Workforce};

/// An employee with a real account, as far as the attack generators need
/// to know them.
pub(super) struct Employee {
    pub user_id: String,
    pub city: &'static HomeCity,
    pub time_zone: TimeZone,
    pub night_owl: bool,
    /// Platforms of all devices the employee ever uses.
    pub platforms: BTreeSet<Platform>,
    /// The ISP of the main home connection.
    pub home_asn: u32,
    /// Countries the account legitimately signed in from.
    pub countries_seen: BTreeSet<&'static str>,
    /// The laptop's browser (the device used for work).
    pub laptop: BrowserInstall,
    /// Local working hours, in minutes past midnight.
    pub work_start_minute: i64,
    pub work_end_minute: i64,
}

/// The legitimate traffic and the population behind it.
pub(super) struct NormalTraffic {
    pub rows: Vec<GeneratedLogin>,
    pub employees: Vec<Employee>,
    /// For each employee, indices into `rows` of successful sign-ins made
    /// in the home city without a VPN (anchors for impossible travel).
    pub home_sign_ins: Vec<Vec<usize>>,
}

/// Simulates `users` employees over `window`.
pub(super) fn simulate(
    seed: u64,
    users: usize,
    window: Window,
    workforce: &Workforce,
) -> NormalTraffic {
    let time_zones: Vec<TimeZone> = HOME_CITIES
        .iter()
        .map(|city| TimeZone::get(city.time_zone).expect("time zone is in the bundled database"))
        .collect();
    let office_egress = office_egress_addresses(seed);
    let corporate_vpn = corporate_vpn_egress(seed, workforce);
    let mut traffic = NormalTraffic {
        rows: Vec::new(),
        employees: Vec::with_capacity(users),
        home_sign_ins: Vec::with_capacity(users),
    };
    let mut user_ids = BTreeSet::new();
    for index in 0..users {
        let mut random = Random::new(seed, Stream::User, index as u64);
        let city_index = random.weighted(&city_weights());
        let user_id = unique_user_id(&mut random, &HOME_CITIES[city_index], &mut user_ids);
        let mut person = Person::draw(
            &mut random,
            user_id,
            city_index,
            &time_zones,
            &office_egress[city_index],
            window,
            workforce,
        );
        if workforce.corporate_vpn_share > 0.0 && random.chance(workforce.corporate_vpn_share) {
            person.corporate_vpn = Some(corporate_vpn.for_city(person.city));
        }
        if workforce.carrier_switch_share > 0.0
            && person.phone.is_some()
            && random.chance(workforce.carrier_switch_share)
        {
            person.switch_carrier(&mut random, window);
        }
        if workforce.domestic_getaway_share > 0.0 && random.chance(workforce.domestic_getaway_share)
        {
            person.plan_getaways(&mut random, window);
        }
        let mut anchors = Vec::new();
        person.live(&mut random, window, &mut traffic.rows, &mut anchors);
        traffic.employees.push(person.into_employee());
        traffic.home_sign_ins.push(anchors);
    }
    traffic
}

fn city_weights() -> Vec<f64> {
    HOME_CITIES
        .iter()
        .map(|city| f64::from(city.staff_weight))
        .collect()
}

/// Each office NATs its staff behind a few fixed public addresses.
fn office_egress_addresses(seed: u64) -> Vec<Vec<IpAddr>> {
    HOME_CITIES
        .iter()
        .enumerate()
        .map(|(index, city)| {
            let mut random = Random::new(seed, Stream::Population, index as u64);
            (0..3)
                .map(|_| random.pick(city.office).prefix.random_host(&mut random))
                .collect()
        })
        .collect()
}

/// The company VPN's egress addresses, one per region, in cloud data centres (hosting
/// networks): Europe and Africa leave through AWS Dublin, the Americas through AWS Ashburn,
/// Asia and Oceania through AWS Singapore. No draws at all when nobody uses it.
struct CorporateVpn {
    egress: [IpAddr; 3],
}

impl CorporateVpn {
    fn for_city(&self, city: &HomeCity) -> IpAddr {
        match city.site.longitude {
            longitude if longitude < -30.0 => self.egress[1],
            longitude if longitude > 60.0 => self.egress[2],
            _ => self.egress[0],
        }
    }
}

fn corporate_vpn_egress(seed: u64, workforce: &Workforce) -> CorporateVpn {
    let unused = IpAddr::from([0, 0, 0, 0]);
    if workforce.corporate_vpn_share <= 0.0 {
        return CorporateVpn {
            egress: [unused; 3],
        };
    }
    let mut random = Random::new(seed, Stream::CorporateVpn, 0);
    let mut in_region = |site_name: &str| {
        let block = HOSTING
            .iter()
            .find(|block| block.site.name == site_name && matches!(block.asn, 16509 | 14618))
            .expect("the catalogue has AWS blocks in each region");
        block.prefix.random_host(&mut random)
    };
    CorporateVpn {
        egress: [
            in_region("Dublin"),
            in_region("Ashburn"),
            in_region("Singapore"),
        ],
    }
}

/// `first.last`, with a number appended if the name is taken.
fn unique_user_id(random: &mut Random, city: &HomeCity, taken: &mut BTreeSet<String>) -> String {
    let pool = names::pool_for_country(city.site.country);
    let given = random.pick(pool.given);
    let family: String = random
        .pick(pool.family)
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    let base = format!("{given}.{family}");
    let mut candidate = base.clone();
    let mut suffix = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}{suffix}");
        suffix += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// A home internet connection: a fixed subnet in which the public address
/// changes now and then.
struct HomeLine {
    block: &'static NetworkBlock,
    /// The household's /24 (IPv4) or /64 (IPv6).
    subnet: IpPrefix,
    address: IpAddr,
    mean_days_between_changes: f64,
    next_change_day: i64,
    /// IPv6 privacy addresses rotate daily: (day, address) of the current one.
    privacy_address: Option<(i64, IpAddr)>,
}

impl HomeLine {
    fn new(random: &mut Random, block: &'static NetworkBlock, first_day: i64) -> Self {
        let subnet = household_subnet(random, block);
        let mean_days_between_changes = random.uniform(5.0, 45.0);
        Self {
            block,
            subnet,
            address: subnet.random_host(random),
            mean_days_between_changes,
            next_change_day: first_day
                + random.exponential(mean_days_between_changes).round() as i64,
            privacy_address: None,
        }
    }

    fn address_on(&mut self, day: i64, random: &mut Random) -> IpAddr {
        while day >= self.next_change_day {
            // A new DHCP lease: usually in the same /24, sometimes elsewhere
            // in the ISP's pool.
            if random.chance(0.25) {
                self.subnet = household_subnet(random, self.block);
            }
            self.address = self.subnet.random_host(random);
            self.privacy_address = None;
            self.next_change_day +=
                1 + random.exponential(self.mean_days_between_changes).round() as i64;
        }
        if self.address.is_ipv4() {
            return self.address;
        }
        match self.privacy_address {
            Some((cached_day, address)) if cached_day == day => address,
            _ => {
                let address = self.subnet.random_host(random);
                self.privacy_address = Some((day, address));
                address
            }
        }
    }
}

fn household_subnet(random: &mut Random, block: &NetworkBlock) -> IpPrefix {
    let length = if block.prefix.network().is_ipv4() {
        24
    } else {
        64
    };
    block.prefix.random_subnet(length, random)
}

/// A business trip to another office city.
struct Trip {
    destination: &'static HomeCity,
    time_zone: TimeZone,
    /// Leaves for the airport / first possible sign-in at the destination.
    unavailable_from: i64,
    available_at_destination: i64,
    /// Leaves for the airport home / first possible sign-in back home.
    unavailable_again: i64,
    available_at_home: i64,
    hotel_address: IpAddr,
}

enum Whereabouts {
    Home,
    InTransit,
    Away(usize),
}

/// Where a sign-in comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Home,
    SecondHome,
    /// A weekend elsewhere in the country.
    Getaway(IpAddr),
    Office,
    Mobile,
    Hotel,
    VisitedOffice,
}

#[derive(Clone, Copy)]
enum Device {
    Laptop,
    Phone,
    HomeDesktop,
}

/// An employee and everything that drives their sign-ins.
struct Person<'a> {
    user_id: String,
    city: &'static HomeCity,
    time_zone: TimeZone,
    office_egress: &'a [IpAddr],
    all_time_zones: &'a [TimeZone],
    // Habits.
    night_owl: bool,
    work_start_minute: i64,
    work_end_minute: i64,
    weekday_rate: f64,
    weekend_factor: f64,
    office_days: [bool; 5],
    preferred_egress: usize,
    vacation: Option<(Date, Date)>,
    // Networks.
    home: HomeLine,
    second_home: Option<HomeLine>,
    mobile_block: &'static NetworkBlock,
    vpn: Option<(&'static NetworkBlock, f64)>,
    /// The company VPN's egress for this person, if they use it.
    corporate_vpn: Option<IpAddr>,
    /// Another carrier from this day on.
    carrier_switch: Option<(i64, &'static NetworkBlock)>,
    /// Weekends (the Saturday's local date) spent elsewhere in the country, and the address
    /// of the place.
    getaways: Vec<(Date, IpAddr)>,
    mobile_use: f64,
    // Devices.
    laptop: BrowserInstall,
    phone: Option<BrowserInstall>,
    home_desktop: Option<BrowserInstall>,
    /// A new phone from this day on.
    phone_replacement: Option<(i64, BrowserInstall)>,
    trips: Vec<Trip>,
    countries_seen: BTreeSet<&'static str>,
}

impl<'a> Person<'a> {
    fn draw(
        random: &mut Random,
        user_id: String,
        city_index: usize,
        all_time_zones: &'a [TimeZone],
        office_egress: &'a [IpAddr],
        window: Window,
        workforce: &Workforce,
    ) -> Self {
        let city = &HOME_CITIES[city_index];
        let time_zone = all_time_zones[city_index].clone();
        let first_day = window.start.div_euclid(SECONDS_PER_DAY);
        let days = (window.end - window.start).div_euclid(SECONDS_PER_DAY);

        let night_owl = random.chance(0.07);
        let mut work_start_minute = random.normal(510.0, 45.0).clamp(390.0, 630.0) as i64;
        if night_owl {
            work_start_minute += 240;
        }
        let work_end_minute = work_start_minute + random.between(480, 570);
        let weekday_rate = random.log_normal(2.1, 0.55).clamp(0.2, 12.0);
        let weekend_factor = random.uniform(0.08, 0.45);
        let office_days = match random.weighted(&workforce.office_pattern_weights) {
            0 => [false; 5],
            1 => [true; 5],
            _ => {
                let mut days = [false; 5];
                for _ in 0..random.between(2, 3) {
                    days[random.index(5)] = true;
                }
                days
            }
        };
        let vacation = random.chance(0.12).then(|| {
            let local_start = local_date(&time_zone, window.start);
            let first = local_start
                .checked_add(jiff::Span::new().days(random.between(0, (days - 1).max(0))))
                .unwrap_or(local_start);
            let last = first
                .checked_add(jiff::Span::new().days(random.between(3, 8)))
                .unwrap_or(first);
            (first, last)
        });

        let home_block = random.pick(city.residential);
        let home = HomeLine::new(random, home_block, first_day);
        let second_home = random.chance(workforce.second_home_share).then(|| {
            let other = random.pick(city.residential);
            HomeLine::new(random, other, first_day)
        });
        let mobile_block = random.pick(city.mobile);
        let vpn = random
            .chance(workforce.personal_vpn_share)
            .then(|| (random.pick(VPN), random.uniform(0.4, 0.9)));

        let laptop = draw_browser(random, DESKTOP_BROWSERS);
        let phone = random
            .chance(workforce.phone_share)
            .then(|| draw_browser(random, PHONE_BROWSERS));
        let home_desktop = random
            .chance(0.2)
            .then(|| draw_browser(random, DESKTOP_BROWSERS));
        let phone_replacement =
            (phone.is_some() && random.chance(workforce.phone_replacement_share)).then(|| {
                (
                    first_day + random.between(1, days),
                    draw_browser(random, PHONE_BROWSERS),
                )
            });

        let mut countries_seen = BTreeSet::from([city.site.country]);
        if let Some((vpn_block, _)) = vpn {
            countries_seen.insert(vpn_block.site.country);
        }

        let mut person = Person {
            user_id,
            city,
            time_zone,
            office_egress,
            all_time_zones,
            night_owl,
            work_start_minute,
            work_end_minute,
            weekday_rate,
            weekend_factor,
            office_days,
            preferred_egress: random.index(office_egress.len()),
            vacation,
            home,
            second_home,
            mobile_block,
            vpn,
            corporate_vpn: None,
            carrier_switch: None,
            getaways: Vec::new(),
            mobile_use: workforce.mobile_use,
            laptop,
            phone,
            home_desktop,
            phone_replacement,
            trips: Vec::new(),
            countries_seen,
        };
        person.plan_trips(random, window, workforce.frequent_traveller_share);
        person
    }

    /// Business trips: most staff never travel in the period, a few do so
    /// regularly.
    fn plan_trips(&mut self, random: &mut Random, window: Window, frequent_share: f64) {
        let days = (window.end - window.start) as f64 / SECONDS_PER_DAY as f64;
        let trips_per_month = if random.chance(frequent_share) {
            0.9
        } else {
            0.04
        };
        let count = random.poisson(trips_per_month * days / 30.0);
        for _ in 0..count {
            // Prefer nearer offices.
            let weights: Vec<f64> = HOME_CITIES
                .iter()
                .map(|city| {
                    if std::ptr::eq(city, self.city) {
                        0.0
                    } else {
                        1.0 / (1.0 + self.city.site.distance_km(city.site) / 3000.0)
                    }
                })
                .collect();
            let destination_index = random.weighted(&weights);
            let destination = &HOME_CITIES[destination_index];
            let destination_tz = self.all_time_zones[destination_index].clone();
            let distance = self.city.site.distance_km(destination.site);
            // Gate to gate: cruise at 800 km/h plus taxiing and climb, and a
            // layover on long-haul routes; then 90 minutes at the airport
            // before and 45 minutes to the hotel after.
            let flight_seconds = |random: &mut Random| {
                let layover = if distance > 9000.0 {
                    random.uniform(1.5, 4.0)
                } else {
                    0.0
                };
                ((distance / 800.0 + 0.75 + layover) * 3600.0) as i64
            };
            let departure_day = random.between(0, (days as i64 - 3).max(0));
            let nights = random.between(2, 5);
            let departure = local_instant(
                &self.time_zone,
                window.start + departure_day * SECONDS_PER_DAY,
                random.between(7 * 60, 19 * 60),
            );
            let arrival = departure + flight_seconds(random);
            let return_departure = local_instant(
                &destination_tz,
                arrival + nights * SECONDS_PER_DAY,
                random.between(8 * 60, 20 * 60),
            );
            let return_arrival = return_departure + flight_seconds(random);
            let trip = Trip {
                destination,
                time_zone: destination_tz,
                unavailable_from: departure - 90 * 60,
                available_at_destination: arrival + 45 * 60,
                unavailable_again: return_departure - 90 * 60,
                available_at_home: return_arrival + 45 * 60,
                hotel_address: random.pick(destination.hotel).prefix.random_host(random),
            };
            let overlaps = self.trips.iter().any(|other| {
                trip.unavailable_from < other.available_at_home + SECONDS_PER_DAY
                    && other.unavailable_from < trip.available_at_home + SECONDS_PER_DAY
            });
            if !overlaps && trip.unavailable_again > trip.available_at_destination {
                self.countries_seen.insert(destination.site.country);
                self.trips.push(trip);
            }
        }
    }

    /// Switches to another mobile carrier of the same country on a day in the period.
    fn switch_carrier(&mut self, random: &mut Random, window: Window) {
        let country = self.city.site.country;
        let current = self.mobile_block.asn;
        let others: Vec<&'static NetworkBlock> = HOME_CITIES
            .iter()
            .flat_map(|city| city.mobile)
            .chain(OTHER_CARRIERS)
            .filter(|block| block.site.country == country && block.asn != current)
            .collect();
        if others.is_empty() {
            return;
        }
        let first_day = window.start.div_euclid(SECONDS_PER_DAY);
        let days = (window.end - window.start).div_euclid(SECONDS_PER_DAY);
        let day = first_day + random.between(days / 5, days - 1);
        self.carrier_switch = Some((day, random.pick_copy(&others)));
    }

    /// One to three weekends in another city of the country, on a residential network there.
    fn plan_getaways(&mut self, random: &mut Random, window: Window) {
        let country = self.city.site.country;
        let places: Vec<&'static NetworkBlock> = HOME_CITIES
            .iter()
            .filter(|city| !std::ptr::eq(*city, self.city))
            .flat_map(|city| city.residential)
            .chain(DOMESTIC_RESIDENTIAL)
            .filter(|block| block.site.country == country && block.site.name != self.city.site.name)
            .collect();
        if places.is_empty() {
            return;
        }
        let first = local_date(&self.time_zone, window.start);
        let weeks = (window.end - window.start).div_euclid(7 * SECONDS_PER_DAY);
        for _ in 0..random.between(1, 3) {
            let week = random.between(0, (weeks - 1).max(0));
            let mut saturday = first
                .checked_add(jiff::Span::new().days(week * 7))
                .unwrap_or(first);
            while saturday.weekday() != Weekday::Saturday {
                saturday = saturday.tomorrow().unwrap_or(saturday);
            }
            let place = random.pick_copy(&places).prefix.random_host(random);
            self.getaways.push((saturday, place));
        }
    }

    /// The place of a weekend away that `date` falls in.
    fn getaway_on(&self, date: Date) -> Option<IpAddr> {
        self.getaways.iter().find_map(|(saturday, place)| {
            (date == *saturday || date.yesterday().ok() == Some(*saturday)).then_some(*place)
        })
    }

    /// The mobile carrier on `day`.
    fn mobile_block_on(&self, day: i64) -> &'static NetworkBlock {
        match self.carrier_switch {
            Some((from, carrier)) if day >= from => carrier,
            _ => self.mobile_block,
        }
    }

    fn whereabouts(&self, second: i64) -> Whereabouts {
        for (index, trip) in self.trips.iter().enumerate() {
            if second < trip.unavailable_from || second >= trip.available_at_home {
                continue;
            }
            if (trip.available_at_destination..trip.unavailable_again).contains(&second) {
                return Whereabouts::Away(index);
            }
            return Whereabouts::InTransit;
        }
        Whereabouts::Home
    }

    /// Generates every sign-in of the period.
    fn live(
        &mut self,
        random: &mut Random,
        window: Window,
        rows: &mut Vec<GeneratedLogin>,
        anchors: &mut Vec<usize>,
    ) {
        let first_date = local_date(&self.time_zone, window.start);
        let last_date = local_date(&self.time_zone, window.end - 1);
        let mut date = first_date;
        while date <= last_date {
            self.live_day(random, date, window, rows, anchors);
            date = date
                .tomorrow()
                .expect("dates stay within the checked range");
        }
    }

    fn live_day(
        &mut self,
        random: &mut Random,
        date: Date,
        window: Window,
        rows: &mut Vec<GeneratedLogin>,
        anchors: &mut Vec<usize>,
    ) {
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        let on_vacation = self
            .vacation
            .is_some_and(|(first, last)| first <= date && date <= last);
        let noon = local_instant_on(&self.time_zone, date, 12 * 60);
        let trip_index = match self.whereabouts(noon) {
            Whereabouts::Away(index) => Some(index),
            _ => None,
        };
        let time_zone = match trip_index {
            Some(index) => self.trips[index].time_zone.clone(),
            None => self.time_zone.clone(),
        };
        let mut rate = if weekend {
            self.weekday_rate * self.weekend_factor
        } else {
            self.weekday_rate * random.uniform(0.6, 1.4)
        };
        if on_vacation {
            rate *= 0.1;
        }
        let count = random.poisson(rate);
        if count == 0 {
            return;
        }
        let getaway = if weekend { self.getaway_on(date) } else { None };
        let at_second_home =
            getaway.is_none() && weekend && self.second_home.is_some() && random.chance(0.35);
        let minutes = self.sign_in_minutes(random, count, weekend);
        let office_day = !weekend
            && !on_vacation
            && self.office_days[date.weekday().to_monday_zero_offset() as usize];
        for minute in minutes {
            let second = local_instant_on(&time_zone, date, minute) + random.between(0, 59);
            if !window.contains(second) {
                continue;
            }
            match self.whereabouts(second) {
                Whereabouts::InTransit => {}
                Whereabouts::Away(index) => {
                    self.sign_in_away(random, second, index, weekend, minute, rows);
                }
                Whereabouts::Home => {
                    let work_time = !weekend
                        && !on_vacation
                        && (self.work_start_minute..self.work_end_minute).contains(&minute);
                    let place = self.choose_home_place(random, work_time, office_day, weekend);
                    let place = match (place, getaway) {
                        (Place::Home, Some(address)) => Place::Getaway(address),
                        (Place::Home, None) if at_second_home => Place::SecondHome,
                        _ => place,
                    };
                    self.sign_in_at_home_city(random, second, place, rows, anchors);
                }
            }
        }
    }

    /// Local minutes of the day (0..1440) of `count` sign-ins, sorted.
    fn sign_in_minutes(&self, random: &mut Random, count: u32, weekend: bool) -> Vec<i64> {
        let shift = if self.night_owl { 240 } else { 0 };
        let mut minutes: Vec<i64> = (0..count)
            .map(|n| {
                let minute = if weekend {
                    if random.chance(0.85) {
                        random.between(9 * 60, 23 * 60) + shift
                    } else {
                        random.between(0, 24 * 60 - 1)
                    }
                } else if n == 0 {
                    // The morning sign-in.
                    self.work_start_minute + random.normal(0.0, 20.0) as i64
                } else {
                    match random.weighted(&[0.62, 0.25, 0.08, 0.05]) {
                        0 => random.between(self.work_start_minute + 30, self.work_end_minute),
                        1 => random.between(18 * 60, 23 * 60 + 30) + shift,
                        2 => random.between(6 * 60 + shift, self.work_start_minute),
                        _ => random.between(0, 24 * 60 - 1),
                    }
                };
                minute.rem_euclid(24 * 60)
            })
            .collect();
        minutes.sort_unstable();
        minutes.dedup();
        minutes
    }

    fn choose_home_place(
        &self,
        random: &mut Random,
        work_time: bool,
        office_day: bool,
        weekend: bool,
    ) -> Place {
        let [home, office, mobile] = match (work_time, office_day, weekend) {
            (true, true, _) => [0.06, 0.82, 0.12],
            (true, false, _) => [0.88, 0.0, 0.12],
            (false, _, false) => [0.72, 0.0, 0.28],
            (false, _, true) => [0.68, 0.0, 0.32],
        };
        match random.weighted(&[home, office, mobile * self.mobile_use]) {
            0 => Place::Home,
            1 => Place::Office,
            _ => Place::Mobile,
        }
    }

    fn sign_in_at_home_city(
        &mut self,
        random: &mut Random,
        second: i64,
        place: Place,
        rows: &mut Vec<GeneratedLogin>,
        anchors: &mut Vec<usize>,
    ) {
        let day = second.div_euclid(SECONDS_PER_DAY);
        let device = self.choose_device(random, place);
        let mut via_vpn = false;
        let ip = match place {
            Place::Office => {
                if random.chance(0.85) {
                    self.office_egress[self.preferred_egress]
                } else {
                    *random.pick(self.office_egress)
                }
            }
            Place::Mobile => self.mobile_block_on(day).prefix.random_host(random),
            Place::Getaway(address) => address,
            Place::Home | Place::SecondHome => match (self.corporate_vpn, self.vpn) {
                (Some(egress), _) if random.chance(CORPORATE_VPN_AT_HOME) => {
                    via_vpn = true;
                    egress
                }
                (_, Some((vpn_block, share))) if random.chance(share) => {
                    via_vpn = true;
                    vpn_block.prefix.random_host(random)
                }
                _ => match (place, self.second_home.as_mut()) {
                    (Place::SecondHome, Some(line)) => line.address_on(day, random),
                    _ => self.home.address_on(day, random),
                },
            },
            Place::Hotel | Place::VisitedOffice => unreachable!("not in the home city"),
        };
        let user_agent = self.user_agent(device, day);
        let success_index = self.emit(random, second, ip, user_agent, place == Place::Mobile, rows);
        if let Some(index) = success_index
            && !via_vpn
            && !matches!(place, Place::Getaway(_))
        {
            anchors.push(index);
        }
    }

    fn sign_in_away(
        &mut self,
        random: &mut Random,
        second: i64,
        trip_index: usize,
        weekend: bool,
        minute: i64,
        rows: &mut Vec<GeneratedLogin>,
    ) {
        let day = second.div_euclid(SECONDS_PER_DAY);
        let work_time = !weekend && (9 * 60..17 * 60).contains(&minute);
        let place = match random.weighted(&[0.55, if work_time { 0.35 } else { 0.0 }, 0.12]) {
            0 => Place::Hotel,
            1 => Place::VisitedOffice,
            _ => Place::Mobile,
        };
        let trip = &self.trips[trip_index];
        let via_corporate_vpn = match place {
            Place::Hotel | Place::VisitedOffice => self
                .corporate_vpn
                .filter(|_| random.chance(CORPORATE_VPN_AWAY)),
            _ => None,
        };
        let ip = match (via_corporate_vpn, place) {
            (Some(egress), _) => egress,
            (None, Place::Hotel) => trip.hotel_address,
            (None, Place::VisitedOffice) => random
                .pick(trip.destination.office)
                .prefix
                .random_host(random),
            // Roaming data is routed through the home carrier.
            (None, _) => self.mobile_block_on(day).prefix.random_host(random),
        };
        let device = self.choose_device(random, place);
        let user_agent = self.user_agent(device, day);
        self.emit(random, second, ip, user_agent, place == Place::Mobile, rows);
    }

    fn choose_device(&self, random: &mut Random, place: Place) -> Device {
        match place {
            // Without a smartphone, a mobile connection means tethering.
            Place::Mobile => {
                if self.phone.is_some() {
                    Device::Phone
                } else {
                    Device::Laptop
                }
            }
            Place::Office | Place::VisitedOffice => Device::Laptop,
            Place::Hotel | Place::Getaway(_) => {
                if self.phone.is_some() && random.chance(0.3) {
                    Device::Phone
                } else {
                    Device::Laptop
                }
            }
            Place::Home | Place::SecondHome => {
                let weights = [
                    0.6,
                    if self.phone.is_some() { 0.3 } else { 0.0 },
                    if self.home_desktop.is_some() {
                        0.25
                    } else {
                        0.0
                    },
                ];
                match random.weighted(&weights) {
                    0 => Device::Laptop,
                    1 => Device::Phone,
                    _ => Device::HomeDesktop,
                }
            }
        }
    }

    fn user_agent(&self, device: Device, day: i64) -> String {
        let install = match device {
            Device::Laptop => self.laptop,
            Device::HomeDesktop => self.home_desktop.unwrap_or(self.laptop),
            Device::Phone => match self.phone_replacement {
                Some((from_day, replacement)) if day >= from_day => replacement,
                _ => self.phone.unwrap_or(self.laptop),
            },
        };
        install.user_agent(day)
    }

    /// Pushes one sign-in, possibly preceded by genuine mistakes, and
    /// returns the index of the successful row if there is one.
    fn emit(
        &self,
        random: &mut Random,
        second: i64,
        ip: IpAddr,
        user_agent: String,
        on_phone_network: bool,
        rows: &mut Vec<GeneratedLogin>,
    ) -> Option<usize> {
        let typo_rate = if on_phone_network { 0.055 } else { 0.035 };
        let roll = random.unit();
        let mut push = |second: i64, success: bool| {
            rows.push(GeneratedLogin {
                timestamp: Timestamp::from_second(second).expect("second is in range"),
                user_id: self.user_id.clone(),
                ip,
                user_agent: user_agent.clone(),
                success,
                label: Label::Normal,
            });
            rows.len() - 1
        };
        if roll < 0.002 {
            // Gave up after one failed attempt.
            push(second, false);
            return None;
        }
        if roll < 0.008 {
            // Forgot the password: a few failures, then a reset and success.
            let failures = random.between(2, 4);
            let reset_delay = random.between(180, 720);
            let mut failure_second = second - reset_delay - failures * 40;
            for _ in 0..failures {
                push(failure_second, false);
                failure_second += random.between(10, 60);
            }
        } else if roll < 0.008 + typo_rate {
            push(second - random.between(4, 40), false);
        }
        Some(push(second, true))
    }

    fn into_employee(self) -> Employee {
        let mut platforms = BTreeSet::from([self.laptop.platform]);
        platforms.extend(self.phone.map(|install| install.platform));
        platforms.extend(self.home_desktop.map(|install| install.platform));
        platforms.extend(self.phone_replacement.map(|(_, install)| install.platform));
        Employee {
            user_id: self.user_id,
            city: self.city,
            time_zone: self.time_zone,
            night_owl: self.night_owl,
            platforms,
            home_asn: self.home.block.asn,
            countries_seen: self.countries_seen,
            laptop: self.laptop,
            work_start_minute: self.work_start_minute,
            work_end_minute: self.work_end_minute,
        }
    }
}

/// Shares of home and travel sign-ins that go through the company VPN, for those who use it.
const CORPORATE_VPN_AT_HOME: f64 = 0.7;
const CORPORATE_VPN_AWAY: f64 = 0.6;

/// A browser install drawn from a popularity table.
pub(super) fn draw_browser(
    random: &mut Random,
    table: &[(Platform, Browser, f64)],
) -> BrowserInstall {
    let weights: Vec<f64> = table.iter().map(|(_, _, weight)| *weight).collect();
    let (platform, browser, _) = table[random.weighted(&weights)];
    BrowserInstall {
        platform,
        browser,
        // Most browsers update within days; some lag for weeks.
        update_lag_days: if random.chance(0.85) {
            random.between(0, 10)
        } else {
            random.between(11, 45)
        },
        android_model: random.pick_copy(SAMSUNG_MODELS),
    }
}

fn local_date(time_zone: &TimeZone, second: i64) -> Date {
    time_zone
        .to_datetime(Timestamp::from_second(second).expect("second is in range"))
        .date()
}

/// The instant of `minute` past local midnight on `date` (in DST gaps the
/// later offset is used, in overlaps the earlier one).
pub(super) fn local_instant_on(time_zone: &TimeZone, date: Date, minute: i64) -> i64 {
    let minute = minute.clamp(0, 24 * 60 - 1);
    let datetime = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    time_zone
        .to_ambiguous_timestamp(datetime)
        .compatible()
        .expect("local time is in range")
        .as_second()
}

/// The local weekday of `second`.
pub(super) fn local_weekday(time_zone: &TimeZone, second: i64) -> Weekday {
    local_date(time_zone, second).weekday()
}

/// The instant of `minute` past local midnight on the local date of `second`.
pub(super) fn local_instant(time_zone: &TimeZone, second: i64, minute: i64) -> i64 {
    local_instant_on(time_zone, local_date(time_zone, second), minute)
}
