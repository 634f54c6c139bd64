use std::net::IpAddr;

use super::*;
use crate::calibration::{FITTED, RiskInputs};
use crate::enrich::{GeoInfo, NetworkType, NoGeolocation};
use crate::feedback::{AllowEntry, AllowScope, Verdict};

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-03-02 00:00 UTC, a Monday.
const START_MS: i64 = 1_772_409_600_000;

fn login(at_ms: i64, user: &str, ip: &str, agent: &str, success: Option<bool>) -> LoginEvent {
    LoginEvent {
        row: 0,
        line: 0,
        timestamp_ms: at_ms,
        user_id: user.to_owned(),
        ip: ip.parse().unwrap(),
        user_agent: agent.into(),
        success,
        failure_reason: None,
        mfa: None,
        reported_location: None,
        extra: Vec::new(),
        ..LoginEvent::default()
    }
}

fn numbered(mut events: Vec<LoginEvent>) -> Vec<LoginEvent> {
    for (index, event) in events.iter_mut().enumerate() {
        event.row = index as u64 + 1;
        event.line = index as u64 + 2;
    }
    events
}

/// Thirty working days of ordinary logins for a handful of users in Oslo.
fn routine(users: usize) -> Vec<LoginEvent> {
    let mut events = Vec::new();
    for day in 0..30 {
        for user in 0..users {
            let at =
                START_MS + day * DAY_MS + (8 + (user as i64 % 3)) * HOUR_MS + user as i64 * 60_000;
            let ip = format!("84.208.{}.{}", 20 + user, 10 + (day % 3));
            events.push(login(
                at,
                &format!("user{user}"),
                &ip,
                CHROME_WINDOWS,
                Some(true),
            ));
        }
    }
    events
}

fn run(events: &[LoginEvent], geo: &dyn GeoLookup) -> Analysis {
    analyze(events, &AnalysisConfig::default(), geo, |_| {}).unwrap()
}

fn kinds(event: &ScoredEvent) -> Vec<FindingKind> {
    event.findings.iter().map(|finding| finding.kind).collect()
}

#[test]
fn routine_logins_stay_low() {
    let analysis = run(&numbered(routine(8)), &NoGeolocation);
    let high = analysis
        .events
        .iter()
        .filter(|event| event.risk_level >= RiskLevel::High)
        .count();
    assert_eq!(high, 0);
    assert!(
        analysis
            .events
            .iter()
            .all(|event| (0.0..=1.0).contains(&event.risk_score))
    );
}

#[test]
fn output_keeps_input_order_and_rows() {
    let mut events = routine(3);
    events.reverse();
    let events = numbered(events);
    let analysis = run(&events, &NoGeolocation);
    let rows: Vec<u64> = analysis.events.iter().map(|event| event.row).collect();
    assert_eq!(rows, (1..=events.len() as u64).collect::<Vec<_>>());
}

#[test]
fn same_input_same_scores() {
    let events = numbered(routine(6));
    assert_eq!(run(&events, &NoGeolocation), run(&events, &NoGeolocation));
}

#[test]
fn scores_do_not_depend_on_later_events() {
    let mut events = routine(20);
    events.sort_by_key(|event| event.timestamp_ms);
    let events = numbered(events);
    let half = events.len() / 2;
    let whole = run(&events, &NoGeolocation);
    let prefix = run(&events[..half], &NoGeolocation);
    assert_eq!(&whole.events[..half], &prefix.events[..]);
}

#[test]
fn new_device_and_network_for_a_known_user_is_explained() {
    let mut events = routine(4);
    events.push(login(
        START_MS + 30 * DAY_MS + 3 * HOUR_MS,
        "user1",
        "45.33.10.20",
        "python-requests/2.32.3",
        Some(true),
    ));
    let analysis = run(&numbered(events), &NoGeolocation);
    let takeover = analysis.events.last().unwrap();
    assert!(takeover.risk_level >= RiskLevel::Medium, "{takeover:?}");
    let found = kinds(takeover);
    assert!(found.contains(&FindingKind::NewNetwork), "{found:?}");
    assert!(found.contains(&FindingKind::NewDevice), "{found:?}");
    assert!(found.contains(&FindingKind::ScriptedClient), "{found:?}");
    assert!(
        takeover.reasons().contains("45.33.10.0/24"),
        "{}",
        takeover.reasons()
    );
}

#[test]
fn brute_force_then_success_is_critical() {
    let mut events = routine(4);
    let attack_at = START_MS + 30 * DAY_MS + 2 * HOUR_MS;
    for attempt in 0..12 {
        events.push(login(
            attack_at + attempt * 20_000,
            "user2",
            "203.0.113.9",
            CHROME_WINDOWS,
            Some(false),
        ));
    }
    events.push(login(
        attack_at + 12 * 20_000,
        "user2",
        "203.0.113.9",
        CHROME_WINDOWS,
        Some(true),
    ));
    let analysis = run(&numbered(events), &NoGeolocation);
    let attack: Vec<&ScoredEvent> = analysis.events.iter().rev().take(13).collect();
    let success = attack[0];
    assert_eq!(success.risk_level, RiskLevel::Critical, "{success:?}");
    assert!(
        success
            .reasons()
            .contains("after 12 consecutive failed attempts")
    );
    let tenth_failure = attack[3];
    assert!(kinds(tenth_failure).contains(&FindingKind::BruteForce));
    assert!(tenth_failure.risk_level >= RiskLevel::High);
    // The first failures are not yet brute force.
    assert!(!kinds(attack[12]).contains(&FindingKind::BruteForce));
}

#[test]
fn credential_stuffing_flags_the_source_and_its_hit() {
    let mut events = routine(4);
    let attack_at = START_MS + 30 * DAY_MS + HOUR_MS;
    for attempt in 0..40 {
        let user = format!("leaked{attempt}@example.com");
        events.push(login(
            attack_at + attempt * 5_000,
            &user,
            "198.51.100.77",
            "python-requests/2.31.0",
            Some(false),
        ));
    }
    events.push(login(
        attack_at + 41 * 5_000,
        "user3",
        "198.51.100.77",
        "python-requests/2.31.0",
        Some(true),
    ));
    let analysis = run(&numbered(events), &NoGeolocation);
    let hit = analysis.events.last().unwrap();
    assert_eq!(hit.risk_level, RiskLevel::Critical, "{hit:?}");
    assert!(kinds(hit).contains(&FindingKind::CredentialStuffing));
    let late_attempt = &analysis.events[analysis.events.len() - 2];
    assert!(kinds(late_attempt).contains(&FindingKind::CredentialStuffing));
    assert!(late_attempt.risk_level >= RiskLevel::High);
}

#[test]
fn password_spray_is_low_and_slow() {
    let mut events = routine(14);
    let attack_at = START_MS + 30 * DAY_MS;
    for (attempt, user) in (0..14).enumerate() {
        let ip = format!("192.0.2.{}", 10 + attempt % 4);
        events.push(login(
            attack_at + attempt as i64 * 40 * 60_000,
            &format!("user{user}"),
            &ip,
            CHROME_WINDOWS,
            Some(false),
        ));
    }
    let analysis = run(&numbered(events), &NoGeolocation);
    let last = analysis.events.last().unwrap();
    assert!(
        kinds(last).contains(&FindingKind::PasswordSpray),
        "{last:?}"
    );
    assert!(last.reasons().contains("192.0.2.0/24"));
}

#[test]
fn a_typo_then_success_at_home_is_not_an_alarm() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 8 * HOUR_MS;
    events.push(login(
        at,
        "user0",
        "84.208.20.10",
        CHROME_WINDOWS,
        Some(false),
    ));
    events.push(login(
        at + 20_000,
        "user0",
        "84.208.20.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    let analysis = run(&numbered(events), &NoGeolocation);
    assert!(
        analysis
            .events
            .iter()
            .rev()
            .take(2)
            .all(|event| event.risk_level == RiskLevel::Low)
    );
}

/// Fixture geolocation: two cities and a hosting range.
struct FixtureGeo;

impl GeoLookup for FixtureGeo {
    fn lookup(&self, ip: IpAddr) -> Option<GeoInfo> {
        let text = ip.to_string();
        let (country, city, latitude, longitude, asn, network) = if text.starts_with("46.15.") {
            (
                "NO",
                "Trondheim",
                63.4305,
                10.3951,
                25400,
                NetworkType::Residential,
            )
        } else if text.starts_with("77.16.") {
            (
                "NO",
                "Fornebu",
                59.8999,
                10.6265,
                12929,
                NetworkType::Residential,
            )
        } else if text.starts_with("84.209.") {
            (
                "NO",
                "Bergen",
                60.3913,
                5.3221,
                2119,
                NetworkType::Residential,
            )
        } else if text.starts_with("84.208.") {
            (
                "NO",
                "Oslo",
                59.9139,
                10.7522,
                2119,
                NetworkType::Residential,
            )
        } else if text.starts_with("177.") {
            (
                "BR",
                "São Paulo",
                -23.5505,
                -46.6333,
                28573,
                NetworkType::Residential,
            )
        } else if text.starts_with("45.33.") {
            (
                "US",
                "Fremont",
                37.5485,
                -121.9886,
                63949,
                NetworkType::Hosting,
            )
        } else {
            return None;
        };
        Some(GeoInfo {
            country_code: Some(country.to_owned()),
            region: None,
            city: Some(city.to_owned()),
            latitude: Some(latitude),
            longitude: Some(longitude),
            accuracy_km: 20.0,
            asn: Some(asn),
            as_org: None,
            network,
            network_source: (network == NetworkType::Hosting)
                .then(|| "fixture hosting list".to_owned()),
            lists: Vec::new(),
            trusted: false,
            timezone: Some(
                match country {
                    "NO" => "Europe/Oslo",
                    "BR" => "America/Sao_Paulo",
                    _ => "America/Los_Angeles",
                }
                .to_owned(),
            ),
        })
    }

    fn data_version(&self) -> Option<String> {
        Some("fixture".to_owned())
    }
}

#[test]
fn impossible_travel_names_both_logins() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.push(login(
        at + 38 * 60_000,
        "user1",
        "177.10.20.30",
        SAFARI_IPHONE,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    assert_eq!(analysis.geo_data.as_deref(), Some("fixture"));
    let jump = analysis.events.last().unwrap();
    assert!(jump.risk_level >= RiskLevel::High, "{jump:?}");
    let reasons = jump.reasons();
    assert!(reasons.contains("impossible travel: 84.208.21.10 (Oslo, NO) at 09:00 UTC → 177.10.20.30 (São Paulo, BR) at 09:38 UTC"), "{reasons}");
    assert!(
        reasons.contains("new country for this user: São Paulo, BR (last 31 logins: NO 31)"),
        "{reasons}"
    );
    assert_eq!(jump.country.as_deref(), Some("BR"));
}

#[test]
fn travel_through_a_hosting_network_is_only_uncertain() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.push(login(
        at + 10 * 60_000,
        "user1",
        "45.33.10.20",
        CHROME_WINDOWS,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let jump = analysis.events.last().unwrap();
    // The hosting end hides where the person is: no impossible-travel floor and no Critical;
    // the calibrated model weighs the jump to a server new to the user with the rest of its
    // evidence (a new country).
    assert!(jump.travel_kmh.is_some_and(|speed| speed > 10_000.0));
    assert_eq!(jump.rules, 0.0, "{jump:?}");
    assert!(kinds(jump).contains(&FindingKind::FastTravel), "{jump:?}");
    assert!(
        !kinds(jump).contains(&FindingKind::ImpossibleTravel),
        "{jump:?}"
    );
    assert!(jump.risk_level < RiskLevel::Critical, "{jump:?}");
}

#[test]
fn per_user_risk_ranks_the_victim_first() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 3 * HOUR_MS;
    events.push(login(
        at,
        "user2",
        "177.10.20.30",
        "python-requests/2.32.3",
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    assert_eq!(analysis.users[0].user_id, "user2");
    assert!(analysis.users[0].risk_score > analysis.users[1].risk_score);
}

#[test]
fn out_of_order_events_are_refused_by_the_incremental_analyzer() {
    let geo = NoGeolocation;
    let mut analyzer = Analyzer::new(AnalysisConfig::default(), &geo).unwrap();
    analyzer
        .score(&login(START_MS, "a", "192.0.2.1", "", Some(true)))
        .unwrap();
    let error = analyzer
        .score(&login(START_MS - 1, "a", "192.0.2.1", "", Some(true)))
        .unwrap_err();
    assert_eq!(error.latest_ms, START_MS);
}

#[test]
fn robust_z_uses_median_and_mad() {
    let history: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i % 2)).collect();
    let pace = Pace::from(history.clone());
    assert!(pace.robust_z(10.5) < 1.0);
    assert!(pace.robust_z(20.0) > 5.0);
    assert_eq!(Pace::from(history[..3].to_vec()).robust_z(20.0), 0.0);
}

/// The median and MAD of the gaps, by sorting them: what [`Pace::robust_z`] must equal, bit for
/// bit, however the gaps came.
fn robust_z_by_sorting(value: f64, history: &[f64]) -> f64 {
    if history.len() < 8 {
        return 0.0;
    }
    let median_of = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        if values.len() % 2 == 1 {
            values[middle]
        } else {
            (values[middle - 1] + values[middle]) / 2.0
        }
    };
    let median = median_of(&mut history.to_vec());
    let mad = median_of(&mut history.iter().map(|gap| (gap - median).abs()).collect());
    (value - median).abs() / (1.4826 * mad).max(0.5)
}

#[test]
fn the_pace_keeps_the_latest_gaps_and_scores_them_as_sorting_would() {
    use rand_core::{Rng, SeedableRng};
    let mut random = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let mut pace = Pace::default();
    let mut gaps = Vec::new();
    for step in 0..200 {
        // Repeats and ties too: gaps drawn from few values at times.
        let raw = random.next_u32();
        let gap = if step % 3 == 0 {
            f64::from(raw % 4)
        } else {
            f64::from(raw % 100_000).ln_1p()
        };
        pace.push(gap);
        gaps.push(gap);
        let latest = &gaps[gaps.len().saturating_sub(PACE_HISTORY)..];
        assert_eq!(pace.latest, latest);
        for value in [0.0, 3.5, gap, 12.0] {
            assert_eq!(
                pace.robust_z(value).to_bits(),
                robust_z_by_sorting(value, latest).to_bits(),
                "step {step}, value {value}"
            );
        }
    }
    let kept: Vec<f64> = pace.clone().into();
    let restored = Pace::from(kept);
    assert_eq!(
        (restored.latest, restored.sorted),
        (pace.latest, pace.sorted)
    );
}

#[test]
fn weekday_is_computed_from_the_epoch() {
    assert_eq!(hour_and_weekday(START_MS), (0, 0));
    assert_eq!(
        hour_and_weekday(START_MS + 6 * DAY_MS + 23 * HOUR_MS),
        (23, 6)
    );
}

fn travel_findings(event: &ScoredEvent) -> Vec<&Finding> {
    event
        .findings
        .iter()
        .filter(|finding| finding.kind == FindingKind::ImpossibleTravel)
        .collect()
}

#[test]
fn a_flight_with_a_realistic_gap_is_not_impossible_travel() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    // Oslo to São Paulo is 10,600 km: a 14-hour gap is a plausible flight.
    events.push(login(
        at + 14 * HOUR_MS,
        "user1",
        "177.10.20.30",
        CHROME_WINDOWS,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let arrival = analysis.events.last().unwrap();
    assert!(travel_findings(arrival).is_empty(), "{arrival:?}");
    assert!(arrival.travel_kmh.unwrap() < 1000.0);
    assert!(arrival.risk_level < RiskLevel::High, "{arrival:?}");
}

#[test]
fn moving_within_a_country_is_not_travel() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        SAFARI_IPHONE,
        Some(true),
    ));
    // A carrier address that geolocates to Bergen half an hour later: 300 km, under the
    // minimum distance for travel.
    events.push(login(
        at + 30 * 60_000,
        "user1",
        "84.209.3.4",
        SAFARI_IPHONE,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let churn = analysis.events.last().unwrap();
    assert!(travel_findings(churn).is_empty(), "{churn:?}");
    assert!(churn.travel_km.unwrap() > 250.0);
}

#[test]
fn a_fast_jump_back_to_a_known_network_is_no_alarm() {
    let mut events = routine(4);
    let trip = START_MS + 30 * DAY_MS;
    // Earlier business trips made São Paulo familiar.
    for day in 0..3 {
        events.push(login(
            trip + day * DAY_MS + 12 * HOUR_MS,
            "user1",
            "177.10.20.30",
            CHROME_WINDOWS,
            Some(true),
        ));
    }
    let at = trip + 5 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.push(login(
        at + 20 * 60_000,
        "user1",
        "177.10.20.31",
        CHROME_WINDOWS,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let jump = analysis.events.last().unwrap();
    assert!(jump.travel_kmh.unwrap() > 10_000.0);
    assert_eq!(jump.rules, 0.0, "{jump:?}");
    assert!(jump.risk_level < RiskLevel::Medium, "{jump:?}");
}

#[test]
fn an_intruder_does_not_become_familiar_by_logging_in_again() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 3 * HOUR_MS;
    for hour in 0..4 {
        events.push(login(
            at + hour * HOUR_MS,
            "user2",
            "177.10.20.30",
            "python-requests/2.32.3",
            Some(true),
        ));
    }
    let analysis = run(&numbered(events), &FixtureGeo);
    let intruder: Vec<&ScoredEvent> = analysis.events.iter().rev().take(4).collect();
    assert!(
        intruder
            .iter()
            .all(|event| event.risk_level >= RiskLevel::High),
        "{intruder:?}"
    );
}

/// Settings whose population models fit after 64 logins, so short fixtures reach them.
fn warmed_up_early() -> AnalysisConfig {
    AnalysisConfig {
        isolation_forest: ForestParams {
            warmup_logins: 64,
            sample_size: 64,
            ..ForestParams::default()
        },
        dbscan: DbscanParams {
            warmup_logins: 64,
            ..DbscanParams::default()
        },
        ..AnalysisConfig::default()
    }
}

#[test]
fn the_incremental_analyzer_matches_the_batch_pipeline() {
    let mut events = routine(12);
    events.push(login(
        START_MS + 30 * DAY_MS + 3 * HOUR_MS,
        "user2",
        "177.10.20.30",
        "python-requests/2.32.3",
        Some(true),
    ));
    events.sort_by_key(|event| event.timestamp_ms);
    let events = numbered(events);
    let config = warmed_up_early();
    let batch = analyze(&events, &config, &FixtureGeo, |_| {}).unwrap();
    assert!(batch.forest_fits > 0 && batch.cluster_fits > 0);
    let mut analyzer = Analyzer::new(config, &FixtureGeo).unwrap();
    let one_by_one: Vec<ScoredEvent> = events
        .iter()
        .map(|event| analyzer.score(event).unwrap())
        .collect();
    assert_eq!(batch.events, one_by_one);
    assert_eq!(batch.users.len(), analyzer.user_risks().len());
}

fn without_outcomes(mut events: Vec<LoginEvent>) -> Vec<LoginEvent> {
    for event in &mut events {
        event.success = None;
    }
    events
}

#[test]
fn without_outcomes_volume_on_one_account_is_brute_force() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 2 * HOUR_MS;
    for attempt in 0..25 {
        events.push(login(
            at + attempt * 20_000,
            "user2",
            "192.0.2.50",
            CHROME_WINDOWS,
            None,
        ));
    }
    let analysis = run(&numbered(without_outcomes(events)), &NoGeolocation);
    let last = analysis.events.last().unwrap();
    assert!(kinds(last).contains(&FindingKind::BruteForce), "{last:?}");
    assert!(last.reasons().contains("outcomes not recorded"));
    // Ordinary logins without outcomes raise nothing.
    assert!(
        analysis.events[..analysis.events.len() - 25]
            .iter()
            .all(|event| event.rules == 0.0)
    );
}

#[test]
fn without_outcomes_many_new_names_from_one_source_is_stuffing() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + HOUR_MS;
    for attempt in 0..30 {
        let user = format!("leaked{attempt}@example.com");
        events.push(login(
            at + attempt * 5_000,
            &user,
            "192.0.2.77",
            "python-requests/2.31.0",
            None,
        ));
    }
    let analysis = run(&numbered(without_outcomes(events)), &NoGeolocation);
    let last = analysis.events.last().unwrap();
    assert!(
        kinds(last).contains(&FindingKind::CredentialStuffing),
        "{last:?}"
    );
    assert!(last.risk_level >= RiskLevel::High);
}

#[test]
fn without_outcomes_an_office_of_known_users_is_not_stuffing() {
    let mut events = Vec::new();
    for day in 0..5 {
        for user in 0..30 {
            let at = START_MS + day * DAY_MS + 8 * HOUR_MS + user * 60_000;
            events.push(login(
                at,
                &format!("user{user}"),
                "84.208.20.1",
                CHROME_WINDOWS,
                None,
            ));
        }
    }
    let analysis = run(&numbered(events), &NoGeolocation);
    assert!(analysis.events.iter().all(|event| event.rules == 0.0));
}

#[test]
fn hours_are_judged_on_the_users_local_clock() {
    // user1 logs in at 09:00 UTC: 10:00 in Oslo before 29 March, 11:00 after (daylight saving).
    // On 1 April, 01:30 UTC is 03:30 in Oslo. (From a new country and device, so that the
    // login is risky enough for its reasons to be shown.)
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + HOUR_MS + 30 * 60_000;
    events.push(login(
        at,
        "user1",
        "177.10.20.40",
        SAFARI_IPHONE,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let night = analysis.events.last().unwrap();
    let reasons = night.reasons();
    assert!(
        reasons.contains(
            "unusual time for this user: 03:30 Europe/Oslo (most logins at 10h, 11h Europe/Oslo)"
        ),
        "{reasons}"
    );
}

#[test]
fn user_risks_from_stored_logins_match_the_analysis() {
    let mut events = routine(6);
    events.push(login(
        events.last().unwrap().timestamp_ms + 60_000,
        "user0@example.com",
        "203.0.113.50",
        "curl/8.0",
        Some(true),
    ));
    let analysis = run(&numbered(events), &NoGeolocation);
    let mut shuffled = analysis.events.clone();
    shuffled.reverse();
    assert_eq!(user_risks(&shuffled, &analysis.config.risk), analysis.users);
}

fn run_with(events: &[LoginEvent], earlier: &[LoginEvent], feedback: &Feedback) -> Analysis {
    let earlier: Vec<&LoginEvent> = earlier.iter().collect();
    let history = History {
        earlier: &earlier,
        feedback: Some(feedback),
    };
    analyze_with(
        events,
        &history,
        &AnalysisConfig::default(),
        &FixtureGeo,
        |_| {},
    )
    .unwrap()
}

/// Routine Oslo logins, then user1 twice from São Paulo 38 minutes after Oslo (the trip).
fn trip_to_brazil() -> Vec<LoginEvent> {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.push(login(
        at + 38 * 60_000,
        "user1",
        "177.10.20.30",
        SAFARI_IPHONE,
        Some(true),
    ));
    events.push(login(
        at + 5 * HOUR_MS,
        "user1",
        "177.10.20.31",
        SAFARI_IPHONE,
        Some(true),
    ));
    numbered(events)
}

fn allow(kind: &str, value: &str, user: Option<&str>, reason: &str) -> AllowEntry {
    AllowEntry {
        scope: AllowScope::parse(kind, value, user).unwrap(),
        reason: reason.to_owned(),
    }
}

#[test]
fn an_allow_listed_source_suppresses_its_location_findings_and_says_so() {
    let events = trip_to_brazil();
    let before = run(&events, &FixtureGeo);
    let jump = &before.events[events.len() - 2];
    assert!(jump.risk_level >= RiskLevel::High, "{jump:?}");

    let feedback = Feedback {
        allow: vec![allow(
            "user_country",
            "BR",
            Some("User1"),
            "conference in São Paulo",
        )],
        verdicts: Vec::new(),
    };
    let after = run_with(&events, &[], &feedback);
    let jump = &after.events[events.len() - 2];
    assert!(jump.risk_level < RiskLevel::High, "{jump:?}");
    let travel = jump
        .findings
        .iter()
        .find(|finding| finding.kind == FindingKind::ImpossibleTravel)
        .expect("the suppressed travel finding is still shown");
    assert_eq!(
        travel.suppressed.as_deref(),
        Some("allow-list: conference in São Paulo user1 in BR")
    );
    assert!(
        jump.reasons()
            .contains("(suppressed by allow-list: conference in São Paulo user1 in BR)")
    );
    // Everyone else is untouched.
    assert_eq!(
        &before.events[..events.len() - 3],
        &after.events[..events.len() - 3]
    );
    // Another user's trip to Brazil is not covered by alice's entry.
    let other = Feedback {
        allow: vec![allow("user_country", "BR", Some("user2"), "trip")],
        verdicts: Vec::new(),
    };
    assert_eq!(run_with(&events, &[], &other).events, before.events);
}

#[test]
fn an_allow_list_never_vouches_for_an_attack() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    for attempt in 0..12 {
        events.push(login(
            at + attempt * 60_000,
            "user2",
            "198.51.100.7",
            CHROME_WINDOWS,
            Some(false),
        ));
    }
    let events = numbered(events);
    let feedback = Feedback {
        allow: vec![allow("cidr", "198.51.100.0/24", None, "office VPN")],
        verdicts: Vec::new(),
    };
    let analysis = run_with(&events, &[], &feedback);
    let last = analysis.events.last().unwrap();
    let brute = last
        .findings
        .iter()
        .find(|finding| finding.kind == FindingKind::BruteForce)
        .expect("guessing is still reported");
    assert!(brute.is_active());
    assert!(last.risk_level >= RiskLevel::High);
}

#[test]
fn a_login_confirmed_safe_teaches_the_baseline() {
    let events = trip_to_brazil();
    let before = run(&events, &FixtureGeo);
    let (jump, later) = (
        &before.events[events.len() - 2],
        &before.events[events.len() - 1],
    );
    assert!(jump.risk_level >= RiskLevel::High);
    assert!(
        kinds(later).contains(&FindingKind::NewDevice) || later.risk_level >= RiskLevel::Medium,
        "{later:?}"
    );

    let feedback = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: jump.login_id(),
            kind: VerdictKind::ConfirmedSafe,
            comment: "on a work trip".to_owned(),
        }],
    };
    let after = run_with(&events, &[], &feedback);
    let (jump, later) = (
        &after.events[events.len() - 2],
        &after.events[events.len() - 1],
    );
    assert_eq!(jump.risk_score, 0.0);
    assert!(!jump.findings.is_empty());
    assert!(
        jump.findings
            .iter()
            .all(|finding| finding.suppressed.as_deref() == Some("an analyst: confirmed safe"))
    );
    // The next login from Brazil on the same phone is now familiar.
    assert!(
        later.risk_score < before.events[events.len() - 1].risk_score,
        "{later:?}"
    );
    assert!(
        !kinds(later).contains(&FindingKind::NewLocation),
        "{later:?}"
    );
}

#[test]
fn a_confirmed_compromise_is_critical_and_marks_its_address() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.push(login(
        at + HOUR_MS,
        "user3",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    let events = numbered(events);
    let suspect = &events[events.len() - 2];
    let feedback = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: suspect.login_id(),
            kind: VerdictKind::ConfirmedCompromised,
            comment: "session token stolen".to_owned(),
        }],
    };
    let analysis = run_with(&events, &[], &feedback);
    let (hit, next) = (
        &analysis.events[events.len() - 2],
        &analysis.events[events.len() - 1],
    );
    assert_eq!(hit.risk_level, RiskLevel::Critical);
    assert!(
        hit.reasons()
            .contains("confirmed compromised by an analyst: session token stolen")
    );
    assert!(next.risk_level >= RiskLevel::High, "{next:?}");
    assert!(
        next.reasons().contains(
            "from 84.208.21.10, the address of a login confirmed compromised on user1's account"
        ),
        "{}",
        next.reasons()
    );
    let user1 = analysis
        .users
        .iter()
        .find(|user| user.user_id == "user1")
        .unwrap();
    assert_eq!(user1.risk_level, RiskLevel::Critical);
    // Dismissing changes nothing.
    let dismissed = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            kind: VerdictKind::Dismissed,
            ..feedback.verdicts[0].clone()
        }],
    };
    assert_eq!(
        run_with(&events, &[], &dismissed).events,
        run(&events, &FixtureGeo).events
    );
}

#[test]
fn a_confirmed_attack_attempt_stays_high_marks_its_address_and_compromises_nobody() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "203.0.113.66",
        "curl/8.5.0",
        Some(false),
    ));
    events.push(login(
        at + HOUR_MS,
        "user3",
        "203.0.113.66",
        CHROME_WINDOWS,
        Some(true),
    ));
    let events = numbered(events);
    let attempt = &events[events.len() - 2];
    let feedback = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: attempt.login_id(),
            kind: VerdictKind::AttackAttempt,
            comment: "password guessing".to_owned(),
        }],
    };
    let analysis = run_with(&events, &[], &feedback);
    let (hit, next) = (
        &analysis.events[events.len() - 2],
        &analysis.events[events.len() - 1],
    );
    assert!(hit.risk_level >= RiskLevel::High, "{hit:?}");
    assert!(
        hit.reasons()
            .contains("an attack attempt, confirmed by an analyst: password guessing"),
        "{}",
        hit.reasons()
    );
    assert!(next.risk_level >= RiskLevel::High, "{next:?}");
    assert!(
        next.reasons().contains(
            "from 203.0.113.66, the address of an attack attempt confirmed by an analyst on user1's account"
        ),
        "{}",
        next.reasons()
    );
    assert!(!kinds(hit).contains(&FindingKind::ConfirmedCompromised));
    let user1 = analysis
        .accounts
        .iter()
        .find(|account| account.user_id == "user1")
        .unwrap();
    assert_ne!(user1.status, crate::accounts::AccountStatus::Compromised);
}

#[test]
fn a_later_upload_is_scored_against_what_was_learnt_before() {
    let events = trip_to_brazil();
    let split = events.len() - 3;
    let (earlier, new) = (&events[..split], numbered(events[split..].to_vec()));
    let whole = run(&events, &FixtureGeo);
    let alone = run(&new, &FixtureGeo);
    let incremental = run_with(&new, earlier, &Feedback::default());
    assert_eq!(incremental.events.len(), 3);
    let scores = |analysis: &Analysis| -> Vec<(f64, RiskLevel)> {
        analysis
            .events
            .iter()
            .map(|event| (event.risk_score, event.risk_level))
            .collect()
    };
    assert_eq!(scores(&incremental), scores(&whole)[split..].to_vec());
    // Without the history the trip is not a trip: the first Brazil login has nothing to travel from.
    assert_ne!(scores(&alone), scores(&incremental));
    assert_eq!(incremental.events[0].row, 1);
}

#[test]
fn the_learnt_baseline_shows_what_the_next_login_is_compared_with() {
    let events = trip_to_brazil();
    let config = AnalysisConfig::default();
    let mut shuffled = events.clone();
    shuffled.reverse();
    let before = crate::learnt_baseline(&shuffled, None, &config, &FixtureGeo, "USER1")
        .unwrap()
        .expect("user1 logged in");
    assert_eq!(before.user_id, "user1", "matched ignoring case");
    let user1 = events.iter().filter(|e| &*e.user_id == "user1").count() as u32;
    assert_eq!(before.attempts, user1);
    assert_eq!(before.countries[0].value, "NO");
    assert!(
        before.countries.iter().all(|c| c.value != "BR"),
        "the unexplained jump to Brazil is not learnt: {before:?}"
    );
    assert_eq!(before.hours.iter().sum::<u32>(), before.learnt_logins);
    assert_eq!(before.time_zone.as_deref(), Some("Europe/Oslo"));
    assert!(before.devices.iter().any(|d| d.value == "desktop"));

    // Confirmed safe, the trip's first login teaches Brazil and the phone.
    let jump = run(&events, &FixtureGeo).events[events.len() - 2].login_id();
    let feedback = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: jump,
            kind: VerdictKind::ConfirmedSafe,
            comment: String::new(),
        }],
    };
    let after = crate::learnt_baseline(&events, Some(&feedback), &config, &FixtureGeo, "user1")
        .unwrap()
        .unwrap();
    assert!(after.countries.iter().any(|c| c.value == "BR"), "{after:?}");
    assert!(
        after.devices.iter().any(|d| d.value == "mobile"),
        "{after:?}"
    );
    assert!(after.learnt_logins > before.learnt_logins);
    assert_eq!(
        crate::learnt_baseline(&events, None, &config, &FixtureGeo, "nobody").unwrap(),
        None
    );
}

fn chrome(major: u32) -> String {
    format!(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"
    )
}

/// Six weeks of an Oslo office: each user signs in from home in the morning and from the
/// office (one shared address) at midday, on Chrome 146 and from day 14 on Chrome 147, and
/// from their phone on the carrier's pool (a new address each time) in the evening.
fn office_weeks(users: usize) -> Vec<LoginEvent> {
    let mut events = Vec::new();
    for day in 0..42 {
        if day % 7 >= 5 {
            continue;
        }
        let browser = chrome(if day < 14 { 146 } else { 147 });
        for user in 0..users {
            let name = format!("staff{user}");
            let morning = START_MS + day * DAY_MS + 7 * HOUR_MS + user as i64 * 60_000;
            let home = format!("84.208.{}.{}", 20 + user, 10 + day % 3);
            events.push(login(morning, &name, &home, &browser, Some(true)));
            let midday = morning + 4 * HOUR_MS;
            events.push(login(midday, &name, "84.208.200.1", &browser, Some(true)));
            let evening = morning + 11 * HOUR_MS;
            let phone = format!("77.16.{}.{}", (day * 7 + user as i64) % 40, 2 + user);
            events.push(login(evening, &name, &phone, SAFARI_IPHONE, Some(true)));
        }
    }
    events
}

/// Day 43, 10:30 in Oslo (08:30 UTC): working hours.
const AFTER_SIX_WEEKS_MS: i64 = START_MS + 43 * DAY_MS + 8 * HOUR_MS + 30 * 60_000;

#[test]
fn a_stealthy_takeover_in_the_users_country_is_caught() {
    // The user's own browser family, three releases old, from another city's residential
    // network in their own country, during working hours.
    let mut events = office_weeks(12);
    events.push(login(
        AFTER_SIX_WEEKS_MS,
        "staff3",
        "46.15.20.7",
        &chrome(144),
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let intruder = analysis.events.last().unwrap();
    assert!(intruder.risk_level >= RiskLevel::High, "{intruder:?}");
    let reasons = intruder.reasons();
    assert!(
        reasons.contains("older browser than this user now runs: Chrome 144 on Windows, 3 releases behind the 147 they have used"),
        "{reasons}"
    );
    assert!(
        reasons.contains("new city for this user: Trondheim, NO"),
        "{reasons}"
    );
    let verdict = analysis
        .accounts
        .iter()
        .find(|verdict| verdict.user_id == "staff3")
        .unwrap();
    assert_ne!(verdict.status, crate::AccountStatus::Clean, "{verdict:?}");
    assert_eq!(verdict.evidence[0].row, intruder.row);
}

#[test]
fn upgrades_new_phones_carrier_addresses_and_new_accounts_stay_below_high() {
    let mut events = office_weeks(12);
    let later = |minutes: i64| AFTER_SIX_WEEKS_MS + minutes * 60_000;
    // A browser update, at home.
    events.push(login(
        later(0),
        "staff1",
        "84.208.21.10",
        &chrome(148),
        Some(true),
    ));
    // A new phone (Android instead of the iPhone) on the usual carrier.
    events.push(login(
        later(1),
        "staff2",
        "77.16.7.99",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Mobile Safari/537.36",
        Some(true),
    ));
    // The carrier hands out an address from a /24 this user never had.
    events.push(login(
        later(2),
        "staff4",
        "77.16.99.201",
        SAFARI_IPHONE,
        Some(true),
    ));
    // A new hire's very first sign-in, at the office.
    events.push(login(
        later(3),
        "newhire",
        "84.208.200.1",
        &chrome(147),
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    for event in analysis.events.iter().rev().take(4) {
        assert!(event.risk_level < RiskLevel::High, "{event:?}");
    }
    let upgrade = &analysis.events[analysis.events.len() - 4];
    assert!(upgrade.risk_level < RiskLevel::Medium, "{upgrade:?}");
    assert!(
        analysis
            .accounts
            .iter()
            .all(|verdict| verdict.status != crate::AccountStatus::Compromised),
        "{:?}",
        analysis.accounts[0]
    );
}

#[test]
fn population_outliers_alone_never_make_a_login_high() {
    let lone_outlier = RiskInputs::default().with_population(Some(1.0), Some(1.0));
    let params = RiskParams::default();
    assert!(FITTED.probability(&lone_outlier, &params) < params.medium);
}

#[test]
fn stuffing_spread_over_many_addresses_is_found_and_its_hit_is_critical() {
    // One or two tries per address, each from a different consumer network, with a browser
    // string nobody here uses; then a real account gets in from yet another address.
    let mut events = routine(4);
    let tool = chrome(120);
    let start = START_MS + 30 * DAY_MS + 2 * HOUR_MS;
    for attempt in 0..40 {
        events.push(login(
            start + attempt * 90_000,
            &format!("leaked{attempt}@example.com"),
            &format!(
                "177.{}.{}.{}",
                20 + attempt / 2,
                3 + attempt % 7,
                10 + attempt
            ),
            &tool,
            Some(false),
        ));
    }
    events.push(login(
        start + 41 * 90_000,
        "user2",
        "177.99.1.1",
        &tool,
        Some(true),
    ));
    let analysis = run(&numbered(events), &FixtureGeo);
    let hit = analysis.events.last().unwrap();
    assert_eq!(hit.risk_level, RiskLevel::Critical, "{hit:?}");
    assert!(
        kinds(hit).contains(&FindingKind::CredentialStuffing),
        "{hit:?}"
    );
    assert!(
        hit.reasons().contains("distributed credential stuffing"),
        "{hit:?}"
    );
    let late_attempt = &analysis.events[analysis.events.len() - 2];
    assert!(
        late_attempt.risk_level >= RiskLevel::High,
        "{late_attempt:?}"
    );
    let campaign = &analysis.campaigns[0];
    assert_eq!(campaign.kind, crate::CampaignKind::CredentialStuffing);
    assert_eq!(campaign.succeeded, ["user2"]);
    let verdict = analysis
        .accounts
        .iter()
        .find(|verdict| verdict.user_id == "user2")
        .unwrap();
    assert_eq!(verdict.status, crate::AccountStatus::Compromised);
    assert!(verdict.campaigns.contains(&campaign.id));
}

#[test]
fn reanalysing_after_a_verdict_reuses_earlier_scores_and_equals_a_whole_analysis() {
    let events = trip_to_brazil();
    let earlier: Vec<LoginEvent> = routine(3)
        .into_iter()
        .map(|mut login| {
            login.timestamp_ms -= 31 * DAY_MS;
            login
        })
        .collect();
    let first = Feedback::default();
    let before = run_with(&events, &earlier, &first);
    // Verdicts on the trip's first Brazil login and on the one after it.
    let (jump, later) = (&events[events.len() - 2], &events[events.len() - 1]);
    let taught = Feedback {
        allow: Vec::new(),
        verdicts: vec![
            Verdict {
                login_id: jump.login_id(),
                kind: VerdictKind::ConfirmedCompromised,
                comment: "phished".to_owned(),
            },
            Verdict {
                login_id: later.login_id(),
                kind: VerdictKind::ConfirmedSafe,
                comment: String::new(),
            },
        ],
    };
    let whole = run_with(&events, &earlier, &taught);
    assert_ne!(whole.events, before.events, "the verdicts change scores");
    let earlier_logins = earlier.clone();
    let earlier: Vec<&LoginEvent> = earlier.iter().collect();
    let config = AnalysisConfig::default();
    let start =
        |feedback: &Feedback| Learnt::fresh(&config, Arc::new(FixtureGeo), feedback).unwrap();
    // The first analysis, keeping what it learnt at 16 points.
    let every = Keep {
        waypoints: 16,
        ..Keep::default()
    };
    let (first, kept) = analyze_after(&start(&first), &events, &earlier, every, |_| {}).unwrap();
    assert_eq!(first, before);
    let kept_waypoints = kept.waypoints.unwrap();
    let points = kept_waypoints.len();
    assert!((12..=16).contains(&points), "{points}");
    // A verdict halfway: the logins after it are scored again, from the last point before it.
    let halfway = &events[events.len() / 2];
    let compromised_halfway = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: halfway.login_id(),
            kind: VerdictKind::ConfirmedCompromised,
            comment: String::new(),
        }],
    };
    let whole_halfway = run_with(&events, &earlier_logins, &compromised_halfway);
    assert_ne!(whole_halfway.events, before.events);
    let reuse = crate::Reuse {
        previous: &before.events,
        before_ms: halfway.timestamp_ms,
        waypoints: Some(&kept_waypoints),
    };
    let (from_halfway, _) = crate::reanalyze_after(
        &start(&compromised_halfway),
        &events,
        &earlier,
        Some(reuse),
        Keep::default(),
        |_| {},
    )
    .unwrap();
    assert_eq!(from_halfway, whole_halfway);
    for waypoints in [None, Some(&kept_waypoints)] {
        let mut done = 0;
        let reuse = crate::Reuse {
            previous: &before.events,
            before_ms: jump.timestamp_ms,
            waypoints,
        };
        let (reanalysed, again) = crate::reanalyze_after(
            &start(&taught),
            &events,
            &earlier,
            Some(reuse),
            every,
            |progress| done = progress,
        )
        .unwrap();
        assert_eq!(reanalysed, whole);
        assert_eq!(done, events.len());
        // What it kept along its way serves the next re-analysis as well.
        let again = again.waypoints.unwrap();
        assert_eq!(again.len(), points);
        let reuse = crate::Reuse {
            previous: &reanalysed.events,
            before_ms: later.timestamp_ms,
            waypoints: Some(&again),
        };
        let (once_more, _) = crate::reanalyze_after(
            &start(&taught),
            &events,
            &earlier,
            Some(reuse),
            every,
            |_| {},
        )
        .unwrap();
        assert_eq!(once_more, whole);
        // Scores that no longer hold are never reused: an instant too late gives a different
        // result.
        let stale = crate::Reuse {
            previous: &before.events,
            before_ms: later.timestamp_ms + 1,
            waypoints,
        };
        let (stale, _) = crate::reanalyze_after(
            &start(&taught),
            &events,
            &earlier,
            Some(stale),
            Keep::default(),
            |_| {},
        )
        .unwrap();
        assert_ne!(stale.events, whole.events);
    }
}

#[test]
fn starting_from_what_was_learnt_equals_learning_it_again() {
    let mut logins: Vec<LoginEvent> = routine(12)
        .into_iter()
        .map(|mut login| {
            login.timestamp_ms -= 31 * DAY_MS;
            login
        })
        .chain(trip_to_brazil())
        .collect();
    logins.sort_by_key(|login| login.timestamp_ms);
    let third = logins.len() / 3;
    let (learnt_first, rest) = logins.split_at(third);
    let (next, last) = rest.split_at(third);
    let (next, last) = (numbered(next.to_vec()), numbered(last.to_vec()));
    let feedback = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: last[last.len() - 2].login_id(),
            kind: VerdictKind::ConfirmedCompromised,
            comment: String::new(),
        }],
    };
    let config = AnalysisConfig::default();
    let start = Learnt::fresh(&config, Arc::new(FixtureGeo), &feedback).unwrap();
    assert_eq!(start.through_ms(), i64::MIN);
    let before = |learnt_before_ms| Keep {
        learnt_before_ms: Some(learnt_before_ms),
        ..Keep::default()
    };

    let earlier: Vec<&LoginEvent> = learnt_first.iter().collect();
    let (first, learnt) = analyze_after(&start, &next, &earlier, before(i64::MAX), |_| {}).unwrap();
    assert_eq!(first, run_with(&next, learnt_first, &feedback));
    let learnt = learnt
        .learnt
        .expect("the history comes before every login scored");
    assert_eq!(learnt.logins(), learnt_first.len());
    assert_eq!(learnt.through_ms(), learnt_first[third - 1].timestamp_ms);

    let since: Vec<&LoginEvent> = next.iter().collect();
    let (second, _) = analyze_after(&learnt, &last, &since, Keep::default(), |_| {}).unwrap();
    let everything_before = [learnt_first, &next].concat();
    let whole = run_with(&last, &everything_before, &feedback);
    assert_eq!(second, whole);
    assert!(
        whole
            .events
            .iter()
            .any(|event| event.risk_level >= RiskLevel::High),
        "the trip is found from the start as from a replay"
    );

    // Logins before what was learnt cannot follow it.
    let too_early = analyze_after(
        &learnt,
        &numbered(learnt_first[..1].to_vec()),
        &[],
        Keep::default(),
        |_| {},
    );
    assert_eq!(
        too_early.err(),
        Some(OutOfOrder {
            timestamp_ms: learnt_first[0].timestamp_ms,
            latest_ms: learnt.through_ms(),
        })
    );
    // What is kept is what was learnt before every login scored, and before the instant asked.
    let later: Vec<&LoginEvent> = last.iter().take(1).collect();
    let (_, after_all) = analyze_after(&start, &next, &later, before(i64::MAX), |_| {}).unwrap();
    assert!(after_all.learnt.is_none());
    let halfway = learnt_first[third / 2].timestamp_ms;
    let (_, part) = analyze_after(&start, &next, &earlier, before(halfway), |_| {}).unwrap();
    let part = part.learnt.unwrap();
    let before_halfway = learnt_first
        .iter()
        .filter(|login| login.timestamp_ms < halfway)
        .count();
    assert_eq!(part.logins(), before_halfway);
    let rest: Vec<&LoginEvent> = learnt_first[before_halfway..].iter().chain(&next).collect();
    let (from_part, _) = analyze_after(&part, &last, &rest, Keep::default(), |_| {}).unwrap();
    assert_eq!(from_part, whole);
}

#[test]
fn an_analyzer_resumed_from_its_learnt_state_scores_as_one_that_never_stopped() {
    let mut events = routine(12);
    let attack_at = START_MS + 14 * DAY_MS + 2 * HOUR_MS;
    for attempt in 0..12 {
        events.push(login(
            attack_at + attempt * 30_000,
            "user3",
            "177.10.20.30",
            "python-requests/2.32.3",
            Some(attempt == 11),
        ));
    }
    events.push(login(
        START_MS + 29 * DAY_MS + 3 * HOUR_MS,
        "user5",
        "177.10.20.31",
        SAFARI_IPHONE,
        Some(true),
    ));
    events.sort_by_key(|event| event.timestamp_ms);
    let events = numbered(events);
    let config = warmed_up_early();
    let geo: Arc<dyn GeoLookup + Send> = Arc::new(FixtureGeo);
    let mut never_stopped = Analyzer::shared(config.clone(), Arc::clone(&geo)).unwrap();
    let expected: Vec<ScoredEvent> = events
        .iter()
        .map(|event| never_stopped.score(event).unwrap())
        .collect();

    let (first, second) = events.split_at(events.len() / 2);
    let mut before = Analyzer::shared(config.clone(), Arc::clone(&geo)).unwrap();
    for event in first {
        before.score(event).unwrap();
    }
    assert!(before.forest.fits() > 0 && before.clusters.fits() > 0);
    let learnt = before.learnt_state();
    drop(before);
    let mut resumed = Analyzer::resume_shared(config.clone(), Arc::clone(&geo), &learnt).unwrap();
    let after: Vec<ScoredEvent> = second
        .iter()
        .map(|event| resumed.score(event).unwrap())
        .collect();
    assert_eq!(after, expected[first.len()..]);
    assert!(
        after
            .iter()
            .any(|event| event.risk_level >= RiskLevel::High)
    );
    assert_eq!(resumed.user_risks(), never_stopped.user_risks());

    // State of another layout, or damaged, is refused rather than misread.
    let mut other_format = learnt.clone();
    other_format[0] = 0x7f;
    assert!(matches!(
        Analyzer::resume_shared(config.clone(), Arc::clone(&geo), &other_format),
        Err(ResumeError::Format { found: 0x7f })
    ));
    assert!(matches!(
        Analyzer::resume_shared(config, geo, &learnt[..learnt.len() / 2]),
        Err(ResumeError::Damaged(_))
    ));
}

#[test]
fn feedback_set_on_a_running_analyzer_applies_from_the_next_login() {
    let mut events = trip_to_brazil();
    events.sort_by_key(|event| event.timestamp_ms);
    let trip = Feedback {
        allow: vec![allow("user_country", "BR", Some("user1"), "conference")],
        verdicts: Vec::new(),
    };
    let (before_trip, on_trip) = events.split_at(events.len() - 2);
    let mut analyzer = Analyzer::new(AnalysisConfig::default(), &FixtureGeo).unwrap();
    for event in before_trip {
        analyzer.score(event).unwrap();
    }
    let mut untaught = analyzer.clone();

    // Taught before the trip, it scores the trip as a whole analysis with the entry does.
    analyzer.set_feedback(&trip);
    let taught: Vec<ScoredEvent> = on_trip
        .iter()
        .map(|event| analyzer.score(event).unwrap())
        .collect();
    assert_eq!(
        taught,
        run_with(&events, &[], &trip).events[before_trip.len()..]
    );
    assert!(
        taught[0]
            .findings
            .iter()
            .any(|finding| finding.suppressed.as_deref()
                == Some("allow-list: conference user1 in BR"))
    );

    // Taught and then untaught, it scores as one never taught.
    untaught.set_feedback(&trip);
    untaught.set_feedback(&Feedback::default());
    let never: Vec<ScoredEvent> = on_trip
        .iter()
        .map(|event| untaught.score(event).unwrap())
        .collect();
    assert_eq!(never, run(&events, &FixtureGeo).events[before_trip.len()..]);
    assert!(never[0].risk_level >= RiskLevel::High, "{:?}", never[0]);
}

#[test]
fn a_verdict_given_after_its_login_marks_its_address_while_it_stands() {
    let mut events = routine(4);
    let at = START_MS + 30 * DAY_MS + 9 * HOUR_MS;
    events.push(login(
        at,
        "user1",
        "84.208.21.10",
        CHROME_WINDOWS,
        Some(true),
    ));
    for (hours, user) in [(1, "user3"), (2, "user2"), (3, "user0")] {
        events.push(login(
            at + hours * HOUR_MS,
            user,
            "84.208.21.10",
            CHROME_WINDOWS,
            Some(true),
        ));
    }
    events.sort_by_key(|event| event.timestamp_ms);
    let events = numbered(events);
    let (through_suspect, later) = events.split_at(events.len() - 3);
    let suspect = through_suspect.last().unwrap();
    let compromised = Feedback {
        allow: Vec::new(),
        verdicts: vec![Verdict {
            login_id: suspect.login_id(),
            kind: VerdictKind::ConfirmedCompromised,
            comment: String::new(),
        }],
    };
    let marked = |event: &ScoredEvent| kinds(event).contains(&FindingKind::KnownCompromisedSource);
    let geo: Arc<dyn GeoLookup + Send> = Arc::new(FixtureGeo);
    let mut analyzer = Analyzer::shared(AnalysisConfig::default(), Arc::clone(&geo)).unwrap();
    for event in through_suspect {
        analyzer.score(event).unwrap();
    }
    analyzer.set_feedback(&compromised);
    analyzer.mark_verdict_source(suspect);
    let next = analyzer.score(&later[0]).unwrap();
    assert!(marked(&next), "{next:?}");
    assert!(
        next.reasons().contains(
            "from 84.208.21.10, the address of a login confirmed compromised on user1's account"
        ),
        "{}",
        next.reasons()
    );

    // Kept and resumed, the mark stays, applied once the feedback in force is taught again.
    let learnt = analyzer.learnt_state();
    let mut resumed =
        Analyzer::resume_shared(AnalysisConfig::default(), Arc::clone(&geo), &learnt).unwrap();
    let mut untaught = resumed.clone();
    assert!(!marked(&untaught.score(&later[1]).unwrap()));
    resumed.set_feedback(&compromised);
    assert!(marked(&resumed.clone().score(&later[1]).unwrap()));

    // A verdict that no longer stands lets go of the mark; given again, it must be marked again.
    let dismissed = Feedback {
        verdicts: vec![Verdict {
            kind: VerdictKind::Dismissed,
            ..compromised.verdicts[0].clone()
        }],
        ..Feedback::default()
    };
    resumed.set_feedback(&dismissed);
    assert!(!marked(&resumed.score(&later[1]).unwrap()));
    resumed.set_feedback(&compromised);
    assert!(!marked(&resumed.clone().score(&later[2]).unwrap()));
    resumed.mark_verdict_source(suspect);
    assert!(marked(&resumed.score(&later[2]).unwrap()));

    // Another analyzer that has not reached the login yet marks the address only after it.
    let mut behind = Analyzer::shared(AnalysisConfig::default(), geo).unwrap();
    behind.set_feedback(&compromised);
    behind.mark_verdict_source(suspect);
    let mut earlier = suspect.clone();
    earlier.user_id = "user2".to_owned();
    earlier.timestamp_ms -= HOUR_MS;
    assert!(!marked(&behind.score(&earlier).unwrap()));
    assert!(marked(&behind.score(&later[0]).unwrap()));
}

#[test]
fn a_company_vpn_egress_colleagues_use_is_not_a_campaigns_address() {
    // Twenty staff in Oslo; three of them sign in through the company VPN's egress in a
    // cloud region now and then.
    let mut events = routine(20);
    let egress = "45.33.1.1";
    for day in [3, 9, 15, 21] {
        for user in 0..3 {
            events.push(login(
                START_MS + day * DAY_MS + 14 * HOUR_MS + user * 60_000,
                &format!("user{user}"),
                egress,
                CHROME_WINDOWS,
                Some(true),
            ));
        }
    }
    // A spraying run from other servers of the same cloud, at night.
    let night = START_MS + 30 * DAY_MS + 2 * HOUR_MS;
    for user in 0..18 {
        events.push(login(
            night + user * 5 * 60_000,
            &format!("user{user}"),
            &format!("45.33.2.{}", 10 + user),
            CHROME_WINDOWS,
            Some(false),
        ));
    }
    // A colleague's first sign-in through the VPN, an hour later.
    events.push(login(
        night + 2 * HOUR_MS,
        "user9",
        egress,
        CHROME_WINDOWS,
        Some(true),
    ));
    events.sort_by_key(|event| event.timestamp_ms);
    let analysis = run(&numbered(events), &FixtureGeo);
    let sprayed = analysis
        .events
        .iter()
        .filter(|event| {
            event.success == Some(false) && kinds(event).contains(&FindingKind::PasswordSpray)
        })
        .count();
    assert!(sprayed >= 4, "the campaign is found: {sprayed}");
    let colleague = analysis.events.last().unwrap();
    assert_eq!(&*colleague.user_id, "user9");
    assert!(
        !kinds(colleague).contains(&FindingKind::PasswordSpray),
        "{}",
        colleague.reasons()
    );
    assert!(colleague.risk_level < RiskLevel::Critical, "{colleague:?}");
}

#[test]
fn a_home_line_renumbered_every_day_is_still_a_place_to_travel_from() {
    // user0's home line hands out a new /24 every day (a forced daily reconnect), used for the
    // day's logins; colleagues keep the population company.
    let mut events = routine(4)
        .into_iter()
        .filter(|event| event.user_id != "user0")
        .collect::<Vec<_>>();
    for day in 0..30 {
        for hour in [8, 12, 17] {
            events.push(login(
                START_MS + day * DAY_MS + hour * HOUR_MS,
                "user0",
                &format!("84.208.{}.17", 40 + day),
                CHROME_WINDOWS,
                Some(true),
            ));
        }
    }
    // An hour after the evening's login at home, a success from São Paulo.
    let at = START_MS + 29 * DAY_MS + 18 * HOUR_MS;
    events.push(login(
        at,
        "user0",
        "177.10.20.30",
        CHROME_WINDOWS,
        Some(true),
    ));
    events.sort_by_key(|event| event.timestamp_ms);
    let analysis = run(&numbered(events), &FixtureGeo);
    let jump = analysis.events.last().unwrap();
    assert!(
        kinds(jump).contains(&FindingKind::ImpossibleTravel),
        "{}",
        jump.reasons()
    );
}

#[test]
fn addresses_of_one_place_and_network_share_one_answer() {
    let mut analyzer = Analyzer::new(AnalysisConfig::default(), &FixtureGeo).unwrap();
    for (minute, ip) in ["84.208.20.10", "84.208.31.7", "177.1.2.3"]
        .into_iter()
        .enumerate()
    {
        let at = START_MS + minute as i64 * 60_000;
        analyzer
            .observe(&login(at, "ola", ip, CHROME_WINDOWS, Some(true)))
            .unwrap();
    }
    let geo = |index: usize| analyzer.sources[index].geo.clone().unwrap();
    assert!(Arc::ptr_eq(&geo(0), &geo(1)));
    assert!(!Arc::ptr_eq(&geo(0), &geo(2)));
    let city = |index: usize| analyzer.source_places[index].city.clone().unwrap();
    assert!(Arc::ptr_eq(&city(0), &city(1)));
    // A copy read back from the learnt state answers the same.
    let state = analyzer.learnt_state();
    let resumed =
        Analyzer::resume_shared(AnalysisConfig::default(), Arc::new(NoGeolocation), &state)
            .unwrap();
    assert_eq!(resumed.sources[1].geo, analyzer.sources[1].geo);
}
