//! Attack traffic injected on top of the normal population. See the module
//! documentation in `mod.rs` for what each attack looks like.

use std::collections::BTreeSet;
use std::net::IpAddr;

use jiff::Timestamp;

use super::catalog::{
    BrowserInstall, DESKTOP_BROWSERS, DOMESTIC_RESIDENTIAL, FOREIGN_RESIDENTIAL, HOME_CITIES,
    HOSTING, NetworkBlock, OUTDATED_USER_AGENTS, Platform, SCRIPTED_USER_AGENTS,
    TOR_BROWSER_USER_AGENTS, TOR_EXITS, VPN,
};
use super::names::{GENERIC_ACCOUNT_NAMES, LEAKED_LIST_FAMILY, LEAKED_LIST_GIVEN};
use super::normal::{self, Employee, NormalTraffic};
use super::random::{Random, Stream};
use super::{AttackMix, GeneratedLogin, Label, SECONDS_PER_DAY, Window};

/// Generates all attack rows for `mix` against `traffic`'s population.
pub(super) fn inject(
    seed: u64,
    mix: &AttackMix,
    window: Window,
    traffic: &NormalTraffic,
) -> Vec<GeneratedLogin> {
    let context = AttackContext {
        window,
        employees: &traffic.employees,
        real_user_ids: traffic
            .employees
            .iter()
            .map(|employee| employee.user_id.as_str())
            .collect(),
        traffic,
    };
    let mut rows = Vec::new();
    let kinds: [(u32, Stream, AttackFn); 9] = [
        (
            mix.credential_stuffing_campaigns,
            Stream::CredentialStuffing,
            credential_stuffing,
        ),
        (
            mix.password_spraying_campaigns,
            Stream::PasswordSpraying,
            password_spraying,
        ),
        (mix.brute_force_incidents, Stream::BruteForce, brute_force),
        (
            mix.account_takeovers,
            Stream::AccountTakeover,
            account_takeover,
        ),
        (
            mix.impossible_travel_events,
            Stream::ImpossibleTravel,
            impossible_travel,
        ),
        (
            mix.tor_or_hosting_logins,
            Stream::AnonymizerLogin,
            tor_or_hosting_login,
        ),
        (
            mix.stealthy_takeovers,
            Stream::StealthyTakeover,
            stealthy_takeover,
        ),
        (
            mix.distributed_stuffing_campaigns,
            Stream::DistributedStuffing,
            distributed_stuffing,
        ),
        (
            mix.slow_spraying_campaigns,
            Stream::SlowSpraying,
            slow_spraying,
        ),
    ];
    for (count, stream, attack) in kinds {
        for index in 0..count {
            let mut random = Random::new(seed, stream, u64::from(index));
            attack(&mut random, &context, &mut rows);
        }
    }
    rows
}

type AttackFn = fn(&mut Random, &AttackContext<'_>, &mut Vec<GeneratedLogin>);

struct AttackContext<'a> {
    window: Window,
    employees: &'a [Employee],
    real_user_ids: BTreeSet<&'a str>,
    traffic: &'a NormalTraffic,
}

impl AttackContext<'_> {
    /// A start time leaving `duration` seconds before the end of the window.
    fn start_time(&self, random: &mut Random, duration: i64) -> i64 {
        let latest = (self.window.end - duration).max(self.window.start);
        random.between(self.window.start, latest)
    }

    fn victim<'e>(&'e self, random: &mut Random) -> &'e Employee {
        random.pick(self.employees)
    }
}

fn login(
    second: i64,
    user_id: &str,
    ip: IpAddr,
    user_agent: &str,
    success: bool,
    label: Label,
) -> GeneratedLogin {
    GeneratedLogin {
        timestamp: Timestamp::from_second(second).expect("attack time is in range"),
        user_id: user_id.to_owned(),
        ip,
        user_agent: user_agent.to_owned(),
        success,
        label,
    }
}

/// A current-looking desktop browser, optionally avoiding some platforms.
fn modern_user_agent(random: &mut Random, day: i64, avoid: &BTreeSet<Platform>) -> String {
    let candidates: Vec<_> = DESKTOP_BROWSERS
        .iter()
        .copied()
        .filter(|(platform, _, _)| !avoid.contains(platform))
        .collect();
    let table = if candidates.is_empty() {
        DESKTOP_BROWSERS.to_vec()
    } else {
        candidates
    };
    let install: BrowserInstall = normal::draw_browser(random, &table);
    install.user_agent(day)
}

/// The user agent of attack tooling: a scripting library, an outdated
/// browser string or (rarely) a current one.
fn tool_user_agent(random: &mut Random, day: i64) -> String {
    match random.weighted(&[0.45, 0.4, 0.15]) {
        0 => random.pick(SCRIPTED_USER_AGENTS).to_string(),
        1 => random.pick(OUTDATED_USER_AGENTS).to_string(),
        _ => {
            let stale_day = day - random.between(0, 120);
            modern_user_agent(random, stale_day, &BTreeSet::new())
        }
    }
}

/// A network block by origin weights: hosting, VPN, foreign residential.
fn attacker_block(random: &mut Random, weights: [f64; 3]) -> &'static NetworkBlock {
    match random.weighted(&weights) {
        0 => random.pick(HOSTING),
        1 => random.pick(VPN),
        _ => random.pick(FOREIGN_RESIDENTIAL),
    }
}

/// A residential block in the victim's own city but on another ISP, as a
/// residential proxy service would provide.
fn same_city_block(random: &mut Random, victim: &Employee) -> &'static NetworkBlock {
    let others: Vec<&'static NetworkBlock> = victim
        .city
        .residential
        .iter()
        .filter(|block| block.asn != victim.home_asn)
        .collect();
    if others.is_empty() {
        random.pick(victim.city.residential)
    } else {
        random.pick_copy(&others)
    }
}

/// A user name from a leaked list that belongs to nobody here.
fn unknown_user_name(random: &mut Random, real: &BTreeSet<&str>) -> String {
    loop {
        let given = random.pick(LEAKED_LIST_GIVEN);
        let family = random.pick(LEAKED_LIST_FAMILY);
        let name = match random.weighted(&[0.45, 0.15, 0.15, 0.1, 0.1, 0.05]) {
            0 => format!("{given}.{family}"),
            1 => format!("{given}{family}"),
            2 => format!("{}{family}", &given[..1]),
            3 => format!("{given}_{family}"),
            4 => format!("{given}.{family}{}", random.between(1, 99)),
            _ => random.pick(GENERIC_ACCOUNT_NAMES).to_string(),
        };
        if !real.contains(name.as_str()) {
            return name;
        }
    }
}

fn day_of(second: i64) -> i64 {
    second.div_euclid(SECONDS_PER_DAY)
}

/// Many user names, mostly unknown, from a few IPs in a short burst.
fn credential_stuffing(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let attempts = random.between(80, 200) as usize;
    let start = context.start_time(random, 45 * 60);
    let day = day_of(start);
    let sources: Vec<IpAddr> = (0..random.between(1, 3))
        .map(|_| {
            attacker_block(random, [0.5, 0.2, 0.3])
                .prefix
                .random_host(random)
        })
        .collect();
    let rotating_agents: Vec<String> = if random.chance(0.5) {
        vec![tool_user_agent(random, day)]
    } else {
        (0..4)
            .map(|_| {
                let stale_day = day - random.between(30, 400);
                modern_user_agent(random, stale_day, &BTreeSet::new())
            })
            .collect()
    };

    // Real users whose addresses happen to be in the leaked list.
    let real_share = random.uniform(0.12, 0.3);
    let mut real: Vec<&str> = context.real_user_ids.iter().copied().collect();
    random.shuffle(&mut real);
    real.truncate(((attempts as f64 * real_share) as usize).clamp(1, real.len()));
    let reused_passwords = if random.chance(0.4) { 2 } else { 1 };
    let compromised: BTreeSet<&str> = real.iter().take(reused_passwords).copied().collect();

    let mut targets: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    while targets.len() < attempts {
        targets.push(unknown_user_name(random, &context.real_user_ids));
    }
    random.shuffle(&mut targets);

    let mut second = start;
    for (attempt, user_id) in targets.iter().enumerate() {
        second += 1 + random.exponential(6.0) as i64;
        let ip = sources[attempt % sources.len()];
        let user_agent = random.pick(&rotating_agents);
        let success = compromised.contains(user_id.as_str());
        rows.push(login(
            second,
            user_id,
            ip,
            user_agent,
            success,
            Label::CredentialStuffing,
        ));
    }
}

/// One or two common passwords against many users, low and slow, from
/// rotating addresses of one hosting provider.
fn password_spraying(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let provider = random.pick(HOSTING);
    let provider_blocks: Vec<&NetworkBlock> = HOSTING
        .iter()
        .filter(|block| block.asn == provider.asn)
        .collect();
    let mut real: Vec<&str> = context.real_user_ids.iter().copied().collect();
    random.shuffle(&mut real);
    let share = random.uniform(0.25, 0.5);
    real.truncate(((real.len() as f64 * share).ceil() as usize).max(1));
    let guessed = (real.len() as f64 * random.uniform(0.05, 0.1)).ceil() as usize;
    let mut targets: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    for _ in 0..guessed {
        targets.push(unknown_user_name(random, &context.real_user_ids));
    }

    let rounds = if random.chance(0.5) { 2 } else { 1 };
    let round_hours = random.uniform(2.0, 6.0);
    let pause_hours = random.uniform(2.0, 6.0);
    let total = ((round_hours * f64::from(rounds) + pause_hours) * 3600.0) as i64;
    let start = context.start_time(random, total);
    let user_agent = tool_user_agent(random, day_of(start));
    let mut successes = 0;
    for round in 0..rounds {
        random.shuffle(&mut targets);
        let round_start = start + (f64::from(round) * (round_hours + pause_hours) * 3600.0) as i64;
        let spacing = round_hours * 3600.0 / targets.len() as f64;
        let mut ip = random.pick(&provider_blocks).prefix.random_host(random);
        let mut uses_left = random.between(2, 4);
        for (position, user_id) in targets.iter().enumerate() {
            if uses_left == 0 {
                ip = random.pick(&provider_blocks).prefix.random_host(random);
                uses_left = random.between(2, 4);
            }
            uses_left -= 1;
            let second =
                round_start + (position as f64 * spacing + random.uniform(0.0, spacing)) as i64;
            let is_real = context.real_user_ids.contains(user_id.as_str());
            let success = is_real && successes < 2 && random.chance(0.012);
            successes += u32::from(success);
            rows.push(login(
                second,
                user_id,
                ip,
                &user_agent,
                success,
                Label::PasswordSpraying,
            ));
        }
    }
}

/// Rapid guessing against one user from one address.
fn brute_force(random: &mut Random, context: &AttackContext<'_>, rows: &mut Vec<GeneratedLogin>) {
    let victim = context.victim(random);
    let block = if random.chance(0.2) {
        same_city_block(random, victim)
    } else {
        attacker_block(random, [0.45, 0.1, 0.45])
    };
    let ip = block.prefix.random_host(random);
    let failures = random.between(20, 80);
    let start = context.start_time(random, 30 * 60);
    let user_agent = tool_user_agent(random, day_of(start));
    let mut second = start;
    for _ in 0..failures {
        second += 2 + random.exponential(5.0) as i64;
        rows.push(login(
            second,
            &victim.user_id,
            ip,
            &user_agent,
            false,
            Label::BruteForce,
        ));
    }
    if random.chance(0.3) {
        second += 2 + random.exponential(5.0) as i64;
        rows.push(login(
            second,
            &victim.user_id,
            ip,
            &user_agent,
            true,
            Label::BruteForce,
        ));
    }
}

/// Successful sign-ins with stolen credentials from somewhere new, on a new
/// device, at an hour when the victim is normally asleep.
fn account_takeover(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let victim = context.victim(random);
    let block = if random.chance(0.25) {
        same_city_block(random, victim)
    } else {
        // A country the victim has never signed in from.
        loop {
            let candidate = attacker_block(random, [0.6, 0.0, 0.4]);
            if !victim.countries_seen.contains(candidate.site.country) {
                break candidate;
            }
        }
    };
    let mut ip = block.prefix.random_host(random);

    let first_day_start = context.start_time(random, 2 * SECONDS_PER_DAY);
    let sleeping_minute = if victim.night_owl {
        random.between(7 * 60, 10 * 60)
    } else {
        random.between(60, 5 * 60)
    };
    let mut second = normal::local_instant(&victim.time_zone, first_day_start, sleeping_minute)
        + random.between(0, 59);
    let day = day_of(second);
    let user_agent = match random.weighted(&[0.25, 0.25, 0.5]) {
        0 => random.pick(SCRIPTED_USER_AGENTS).to_string(),
        1 => random.pick(OUTDATED_USER_AGENTS).to_string(),
        _ => modern_user_agent(random, day, &victim.platforms),
    };
    if random.chance(0.2) {
        let mistyped = second - random.between(10, 60);
        rows.push(login(
            mistyped,
            &victim.user_id,
            ip,
            &user_agent,
            false,
            Label::AccountTakeover,
        ));
    }
    let sessions = random.between(1, 5);
    let last_allowed = second + SECONDS_PER_DAY;
    for session in 0..sessions {
        if session > 0 {
            second += 600 + random.exponential(3.0 * 3600.0) as i64;
            if second > last_allowed {
                break;
            }
            if random.chance(0.25) {
                ip = block.prefix.random_host(random);
            }
        }
        rows.push(login(
            second,
            &victim.user_id,
            ip,
            &user_agent,
            true,
            Label::AccountTakeover,
        ));
    }
}

/// A sign-in shortly after a genuine one at home, from too far away to have
/// travelled there.
fn impossible_travel(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let candidates: Vec<usize> = (0..context.employees.len())
        .filter(|&index| !context.traffic.home_sign_ins[index].is_empty())
        .collect();
    if candidates.is_empty() {
        return;
    }
    let victim_index = *random.pick(&candidates);
    let victim = &context.employees[victim_index];
    let anchor = &context.traffic.rows[*random.pick(&context.traffic.home_sign_ins[victim_index])];
    let gap = random.between(5 * 60, 60 * 60);
    let second = anchor.timestamp.as_second() + gap;
    let hours = gap as f64 / 3600.0;
    let home = victim.city.site;
    let far_away: Vec<&'static NetworkBlock> = FOREIGN_RESIDENTIAL
        .iter()
        .chain(HOSTING)
        .chain(HOME_CITIES.iter().flat_map(|city| city.residential))
        .filter(|block| {
            let distance = home.distance_km(block.site);
            distance >= 1500.0 && distance / hours >= 2000.0
        })
        .collect();
    if far_away.is_empty() {
        return;
    }
    let block = random.pick(&far_away);
    let ip = block.prefix.random_host(random);
    let user_agent = if random.chance(0.5) {
        anchor.user_agent.clone()
    } else {
        modern_user_agent(random, day_of(second), &BTreeSet::new())
    };
    rows.push(login(
        second,
        &victim.user_id,
        ip,
        &user_agent,
        true,
        Label::ImpossibleTravel,
    ));
    if random.chance(0.3) {
        let again = second + random.between(2 * 60, 20 * 60);
        rows.push(login(
            again,
            &victim.user_id,
            ip,
            &user_agent,
            true,
            Label::ImpossibleTravel,
        ));
    }
}

/// Access to a real account through a Tor exit or a cloud server.
fn tor_or_hosting_login(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let victim = context.victim(random);
    let start = context.start_time(random, 3600);
    let day = day_of(start);
    let (ip, user_agent) = if random.chance(0.7) {
        (
            random.pick(TOR_EXITS).prefix.random_host(random),
            random.pick(TOR_BROWSER_USER_AGENTS).to_string(),
        )
    } else {
        let user_agent = if random.chance(0.5) {
            random.pick(SCRIPTED_USER_AGENTS).to_string()
        } else {
            modern_user_agent(random, day, &BTreeSet::new())
        };
        (random.pick(HOSTING).prefix.random_host(random), user_agent)
    };
    let mut second = start;
    for _ in 0..random.between(0, 2) {
        rows.push(login(
            second,
            &victim.user_id,
            ip,
            &user_agent,
            false,
            Label::TorOrHostingLogin,
        ));
        second += random.between(15, 120);
    }
    let success = random.chance(0.85);
    rows.push(login(
        second,
        &victim.user_id,
        ip,
        &user_agent,
        success,
        Label::TorOrHostingLogin,
    ));
}

/// Residential blocks of `country` outside `city`: other home cities and the second cities.
fn residential_elsewhere_in(country: &str, city: &str) -> Vec<&'static NetworkBlock> {
    HOME_CITIES
        .iter()
        .flat_map(|home| home.residential)
        .chain(DOMESTIC_RESIDENTIAL)
        .filter(|block| block.site.country == country && block.site.name != city)
        .collect()
}

/// Every consumer network in the catalogue: the exits a residential proxy service rents out.
fn residential_proxy_blocks() -> Vec<&'static NetworkBlock> {
    HOME_CITIES
        .iter()
        .flat_map(|home| home.residential)
        .chain(DOMESTIC_RESIDENTIAL)
        .chain(FOREIGN_RESIDENTIAL)
        .collect()
}

/// A successful sign-in with the victim's password that avoids the classic tells: from a
/// residential network in the victim's own country (another city when the catalogue has one,
/// else another ISP of the home city), with the victim's own laptop browser a few weeks out of
/// date, on a weekday during the victim's working hours. What Entra ID Protection calls
/// unfamiliar sign-in properties.
fn stealthy_takeover(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let victim = context.victim(random);
    let elsewhere = residential_elsewhere_in(victim.city.site.country, victim.city.site.name);
    let block = if elsewhere.is_empty() {
        same_city_block(random, victim)
    } else {
        random.pick_copy(&elsewhere)
    };
    let ip = block.prefix.random_host(random);
    let mut day_start = context.start_time(random, 4 * SECONDS_PER_DAY);
    // The next working day in the victim's time zone.
    while matches!(
        normal::local_weekday(&victim.time_zone, day_start),
        jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
    ) {
        day_start += SECONDS_PER_DAY;
    }
    let minute = random.between(
        victim.work_start_minute + 30,
        (victim.work_end_minute - 60).max(victim.work_start_minute + 31),
    );
    let mut second =
        normal::local_instant(&victim.time_zone, day_start, minute) + random.between(0, 59);
    let day = day_of(second);
    let current = victim.laptop.user_agent(day);
    let mut weeks_behind = random.between(4, 10);
    let mut user_agent = victim.laptop.user_agent(day - weeks_behind * 7);
    while user_agent == current && weeks_behind < 40 {
        weeks_behind += 4;
        user_agent = victim.laptop.user_agent(day - weeks_behind * 7);
    }
    if random.chance(0.15) {
        rows.push(login(
            second - random.between(8, 40),
            &victim.user_id,
            ip,
            &user_agent,
            false,
            Label::StealthyTakeover,
        ));
    }
    let sessions = random.between(1, 3);
    for session in 0..sessions {
        if session > 0 {
            second += random.between(20 * 60, 3 * 3600);
        }
        rows.push(login(
            second,
            &victim.user_id,
            ip,
            &user_agent,
            true,
            Label::StealthyTakeover,
        ));
    }
}

/// Credential stuffing through a residential proxy network: hundreds of leaked user names over
/// a few hours, each address trying one or two of them, so no address stands out. The tool
/// sends one current-looking browser string or rotates a handful; the few real users who reused
/// a leaked password get in.
fn distributed_stuffing(
    random: &mut Random,
    context: &AttackContext<'_>,
    rows: &mut Vec<GeneratedLogin>,
) {
    let attempts = random.between(120, 400) as usize;
    let duration = random.between(3600, 8 * 3600);
    let start = context.start_time(random, duration);
    let day = day_of(start);
    let agents: Vec<String> = (0..if random.chance(0.5) {
        1
    } else {
        random.between(3, 8)
    })
        .map(|_| {
            let stale_day = day - random.between(20, 200);
            modern_user_agent(random, stale_day, &BTreeSet::new())
        })
        .collect();
    let exits = residential_proxy_blocks();

    let real_share = random.uniform(0.1, 0.3);
    let mut real: Vec<&str> = context.real_user_ids.iter().copied().collect();
    random.shuffle(&mut real);
    real.truncate(((attempts as f64 * real_share) as usize).clamp(1, real.len()));
    let reused_passwords = random.between(1, 3) as usize;
    let compromised: BTreeSet<&str> = real.iter().take(reused_passwords).copied().collect();
    let mut targets: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    while targets.len() < attempts {
        targets.push(unknown_user_name(random, &context.real_user_ids));
    }
    random.shuffle(&mut targets);

    let mut times: Vec<i64> = (0..targets.len())
        .map(|_| start + random.between(0, duration))
        .collect();
    times.sort_unstable();
    let mut ip = random.pick_copy(&exits).prefix.random_host(random);
    let mut uses_left = 0;
    for (user_id, second) in targets.iter().zip(times) {
        if uses_left == 0 {
            ip = random.pick_copy(&exits).prefix.random_host(random);
            uses_left = if random.chance(0.35) { 2 } else { 1 };
        }
        uses_left -= 1;
        let user_agent = random.pick(&agents).clone();
        rows.push(login(
            second,
            user_id,
            ip,
            &user_agent,
            compromised.contains(user_id.as_str()),
            Label::DistributedStuffing,
        ));
    }
}

/// Password spraying spread over days: one or two common passwords against most real users
/// (and some guessed names), a few attempts a hour around the clock, each address (residential
/// proxies, or several hosting providers) used for one to three attempts.
fn slow_spraying(random: &mut Random, context: &AttackContext<'_>, rows: &mut Vec<GeneratedLogin>) {
    let mut real: Vec<&str> = context.real_user_ids.iter().copied().collect();
    random.shuffle(&mut real);
    let share = random.uniform(0.4, 1.0);
    real.truncate(((real.len() as f64 * share).ceil() as usize).max(1));
    let guessed = (real.len() as f64 * random.uniform(0.03, 0.08)).ceil() as usize;
    let mut targets: Vec<String> = real.iter().map(|name| name.to_string()).collect();
    for _ in 0..guessed {
        targets.push(unknown_user_name(random, &context.real_user_ids));
    }
    let days = random.between(3, 10);
    let passwords = if random.chance(0.5) { 2 } else { 1 };
    let start = context.start_time(random, days * SECONDS_PER_DAY);
    let pass_seconds = days * SECONDS_PER_DAY / passwords;
    let exits: Vec<&'static NetworkBlock> = if random.chance(0.6) {
        residential_proxy_blocks()
    } else {
        HOSTING.iter().collect()
    };
    let user_agent = tool_user_agent(random, day_of(start));
    let mut successes = 0;
    for pass in 0..passwords {
        random.shuffle(&mut targets);
        let mut times: Vec<i64> = (0..targets.len())
            .map(|_| start + pass * pass_seconds + random.between(0, pass_seconds - 1))
            .collect();
        times.sort_unstable();
        let mut ip = random.pick_copy(&exits).prefix.random_host(random);
        let mut uses_left = 0;
        for (user_id, second) in targets.iter().zip(times) {
            if uses_left == 0 {
                ip = random.pick_copy(&exits).prefix.random_host(random);
                uses_left = random.between(1, 3);
            }
            uses_left -= 1;
            let is_real = context.real_user_ids.contains(user_id.as_str());
            let success = is_real && successes < 2 && random.chance(0.01);
            successes += u32::from(success);
            rows.push(login(
                second,
                user_id,
                ip,
                &user_agent,
                success,
                Label::SlowSpraying,
            ));
        }
    }
}
