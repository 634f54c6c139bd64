use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::catalog::{self, NetworkBlock, NetworkKind};
use super::*;

fn sample_rows() -> &'static [GeneratedLogin] {
    static ROWS: OnceLock<Vec<GeneratedLogin>> = OnceLock::new();
    ROWS.get_or_init(|| generate(&ScenarioParams::sample()).expect("sample preset is valid"))
}

fn evaluation_rows() -> &'static [GeneratedLogin] {
    static ROWS: OnceLock<Vec<GeneratedLogin>> = OnceLock::new();
    ROWS.get_or_init(|| {
        generate(&ScenarioParams::evaluation()).expect("evaluation preset is valid")
    })
}

fn csv_bytes(rows: &[GeneratedLogin], include_label: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_csv(rows, &mut bytes, include_label).expect("writing to memory succeeds");
    bytes
}

fn block_of(ip: IpAddr) -> Option<&'static NetworkBlock> {
    catalog::all_blocks().find(|block| block.prefix.contains(ip))
}

fn label_counts(rows: &[GeneratedLogin]) -> BTreeMap<Label, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry(row.label).or_default() += 1;
    }
    counts
}

#[test]
fn same_params_give_byte_identical_csv() {
    let again = generate(&ScenarioParams::sample()).expect("valid");
    assert_eq!(again, sample_rows());
    assert_eq!(csv_bytes(&again, true), csv_bytes(sample_rows(), true));
}

#[test]
fn different_seeds_give_different_scenarios() {
    let params = ScenarioParams {
        seed: ScenarioParams::sample().seed + 1,
        ..ScenarioParams::sample()
    };
    let other = generate(&params).expect("valid");
    assert_ne!(other, sample_rows());
}

#[test]
fn attack_counts_do_not_disturb_normal_traffic() {
    let quiet = ScenarioParams {
        attacks: AttackMix::NONE,
        ..ScenarioParams::sample()
    };
    let normal_only = generate(&quiet).expect("valid");
    let normal_in_sample: Vec<_> = sample_rows()
        .iter()
        .filter(|row| !row.label.is_attack())
        .cloned()
        .collect();
    assert_eq!(normal_only, normal_in_sample);
}

#[test]
fn sample_preset_has_a_few_thousand_rows_with_every_label() {
    let rows = sample_rows();
    assert!((3_000..=5_000).contains(&rows.len()), "{} rows", rows.len());
    let counts = label_counts(rows);
    // The sample predates the stealthy and distributed attacks, and stays byte-identical.
    let later = [
        Label::StealthyTakeover,
        Label::DistributedStuffing,
        Label::SlowSpraying,
    ];
    for label in Label::ALL
        .into_iter()
        .filter(|label| !later.contains(label))
    {
        assert!(
            counts.get(&label).copied().unwrap_or(0) > 0,
            "no {label} rows"
        );
    }
}

#[test]
fn evaluation_preset_has_enough_of_every_attack() {
    let rows = evaluation_rows();
    assert!(
        (45_000..=56_000).contains(&rows.len()),
        "{} rows",
        rows.len()
    );
    let counts = label_counts(rows);
    for label in Label::ALL {
        let count = counts.get(&label).copied().unwrap_or(0);
        assert!(count >= 15, "only {count} {label} rows");
    }
    let attacks = rows.iter().filter(|row| row.label.is_attack()).count();
    let share = attacks as f64 / rows.len() as f64;
    assert!((0.01..=0.08).contains(&share), "attack share {share}");
    let users: BTreeSet<&str> = rows
        .iter()
        .filter(|row| !row.label.is_attack())
        .map(|row| row.user_id.as_str())
        .collect();
    assert_eq!(users.len(), ScenarioParams::evaluation().users);
}

#[test]
fn rows_are_sorted_and_inside_the_period() {
    for (params, rows) in [
        (ScenarioParams::sample(), sample_rows()),
        (ScenarioParams::evaluation(), evaluation_rows()),
    ] {
        let window = params.window();
        assert!(
            rows.windows(2)
                .all(|pair| pair[0].output_order(&pair[1]).is_le())
        );
        assert!(
            rows.iter()
                .all(|row| window.contains(row.timestamp.as_second()))
        );
        assert!(
            rows.iter()
                .all(|row| row.timestamp.subsec_nanosecond() == 0)
        );
    }
}

#[test]
fn check_rejects_invalid_parameters() {
    let valid = ScenarioParams::sample();
    assert_eq!(valid.check(), Ok(()));
    let cases = [
        (
            ScenarioParams {
                users: 0,
                ..valid.clone()
            },
            ScenarioError::NoUsers,
        ),
        (
            ScenarioParams {
                days: 0,
                ..valid.clone()
            },
            ScenarioError::NoDays,
        ),
        (
            ScenarioParams {
                users: MAX_USERS + 1,
                ..valid.clone()
            },
            ScenarioError::TooManyUsers {
                users: MAX_USERS + 1,
                max: MAX_USERS,
            },
        ),
        (
            ScenarioParams {
                days: MAX_DAYS + 1,
                ..valid.clone()
            },
            ScenarioError::TooManyDays {
                days: MAX_DAYS + 1,
                max: MAX_DAYS,
            },
        ),
        (
            ScenarioParams {
                attacks: AttackMix {
                    brute_force_incidents: MAX_ATTACKS_PER_KIND + 1,
                    ..valid.attacks
                },
                ..valid.clone()
            },
            ScenarioError::TooManyAttacks {
                kind: "brute_force_incidents",
                count: MAX_ATTACKS_PER_KIND + 1,
                max: MAX_ATTACKS_PER_KIND,
            },
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(params.check(), Err(expected.clone()));
        assert_eq!(generate(&params), Err(expected));
    }
    let far_future = ScenarioParams {
        start: "9500-01-01T00:00:00Z".parse().expect("valid timestamp"),
        ..valid.clone()
    };
    assert!(matches!(
        far_future.check(),
        Err(ScenarioError::PeriodOutOfRange { .. })
    ));
    assert!(!ScenarioError::NoUsers.to_string().is_empty());
}

#[test]
fn tiny_scenarios_work() {
    let params = ScenarioParams {
        seed: 1,
        users: 1,
        days: 1,
        start: ScenarioParams::sample().start,
        attacks: ScenarioParams::sample().attacks,
        workforce: Workforce::default(),
    };
    let rows = generate(&params).expect("valid");
    assert!(
        rows.iter()
            .all(|row| params.window().contains(row.timestamp.as_second()))
    );
}

#[test]
fn csv_output_parses_back() {
    let rows = sample_rows();
    for include_label in [false, true] {
        let bytes = csv_bytes(rows, include_label);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        let mut expected: Vec<&str> = CSV_HEADER.to_vec();
        if include_label {
            expected.push("label");
        }
        assert_eq!(header, expected);
        let mut parsed = 0;
        for (record, row) in reader.records().zip(rows) {
            let record = record.expect("row parses");
            let timestamp = &record[0];
            assert_eq!(timestamp.len(), 20, "{timestamp}");
            assert!(timestamp.ends_with('Z'));
            assert_eq!(
                timestamp.parse::<Timestamp>().expect("RFC 3339"),
                row.timestamp
            );
            assert_eq!(&record[1], row.user_id);
            assert_eq!(record[2].parse::<IpAddr>().expect("IP address"), row.ip);
            assert_eq!(&record[3], row.user_agent);
            assert_eq!(&record[4], if row.success { "true" } else { "false" });
            if include_label {
                assert_eq!(Label::from_name(&record[5]), Some(row.label));
            } else {
                assert_eq!(record.len(), 5);
            }
            parsed += 1;
        }
        assert_eq!(parsed, rows.len());
    }
}

#[test]
fn labels_have_snake_case_names() {
    for label in Label::ALL {
        let name = label.as_str();
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        assert_eq!(Label::from_name(name), Some(label));
        assert_eq!(label.is_attack(), label != Label::Normal);
    }
}

#[test]
fn every_address_comes_from_a_catalog_block() {
    for row in evaluation_rows() {
        let block = block_of(row.ip).unwrap_or_else(|| panic!("{} is in no catalog block", row.ip));
        if row.label == Label::TorOrHostingLogin {
            assert!(matches!(
                block.kind,
                NetworkKind::TorExit | NetworkKind::Hosting
            ));
        }
    }
    assert!(evaluation_rows().iter().any(|row| row.ip.is_ipv6()));
}

#[test]
fn normal_sign_ins_follow_local_working_hours() {
    let rows = evaluation_rows();
    let mut daytime = 0;
    let mut total = 0;
    for row in rows.iter().filter(|row| row.label == Label::Normal) {
        let Some(block) = block_of(row.ip) else {
            continue;
        };
        let Some(city) = catalog::HOME_CITIES
            .iter()
            .find(|city| std::ptr::eq(city.site, block.site))
        else {
            continue;
        };
        let time_zone = jiff::tz::TimeZone::get(city.time_zone).expect("bundled zone");
        let hour = time_zone.to_datetime(row.timestamp).hour();
        total += 1;
        if (7..21).contains(&hour) {
            daytime += 1;
        }
    }
    let share = f64::from(daytime) / f64::from(total);
    assert!(share > 0.8, "only {share:.2} of sign-ins in local daytime");
}

#[test]
fn attacks_look_like_their_kind() {
    let rows = evaluation_rows();
    let real_users: BTreeSet<&str> = rows
        .iter()
        .filter(|row| row.label == Label::Normal)
        .map(|row| row.user_id.as_str())
        .collect();
    let stuffing: Vec<_> = rows
        .iter()
        .filter(|row| row.label == Label::CredentialStuffing)
        .collect();
    let unknown = stuffing
        .iter()
        .filter(|row| !real_users.contains(row.user_id.as_str()))
        .count();
    assert!(
        unknown * 2 > stuffing.len(),
        "stuffing should mostly try unknown names"
    );
    assert!(stuffing.iter().any(|row| row.success));
    assert!(
        stuffing
            .iter()
            .filter(|row| row.success)
            .all(|row| real_users.contains(row.user_id.as_str()))
    );

    let spraying_per_ip = rows
        .iter()
        .filter(|row| row.label == Label::PasswordSpraying)
        .fold(BTreeMap::<IpAddr, usize>::new(), |mut counts, row| {
            *counts.entry(row.ip).or_default() += 1;
            counts
        });
    assert!(
        spraying_per_ip.values().all(|count| *count <= 8),
        "spraying must rotate addresses"
    );

    for row in rows
        .iter()
        .filter(|row| row.label == Label::AccountTakeover)
    {
        assert!(real_users.contains(row.user_id.as_str()));
    }
    for row in rows
        .iter()
        .filter(|row| row.label == Label::ImpossibleTravel)
    {
        let far = block_of(row.ip).expect("catalog address").site;
        let explained = rows.iter().any(|earlier| {
            earlier.user_id == row.user_id
                && earlier.label == Label::Normal
                && earlier.success
                && earlier.timestamp < row.timestamp
                && row.timestamp.as_second() - earlier.timestamp.as_second() <= 90 * 60
                && block_of(earlier.ip).is_some_and(|block| {
                    let distance = block.site.distance_km(far);
                    let hours =
                        (row.timestamp.as_second() - earlier.timestamp.as_second()) as f64 / 3600.0;
                    distance >= 1500.0 && distance / hours >= 1000.0
                })
        });
        assert!(
            explained,
            "impossible travel row without a nearby home sign-in: {row:?}"
        );
    }
}

#[test]
fn legitimate_travel_is_possible_travel() {
    // Between consecutive normal sign-ins of a user on fixed networks (not
    // mobile, whose roaming is home-routed, and not VPN), the implied speed
    // stays below an airliner's.
    let rows = evaluation_rows();
    let mut last_seen: BTreeMap<&str, (i64, &Site)> = BTreeMap::new();
    let mut checked = 0;
    for row in rows.iter().filter(|row| row.label == Label::Normal) {
        let block = block_of(row.ip).expect("catalog address");
        if matches!(block.kind, NetworkKind::Mobile | NetworkKind::Vpn) {
            continue;
        }
        let second = row.timestamp.as_second();
        if let Some((previous_second, previous_site)) = last_seen.get(row.user_id.as_str()) {
            let distance = previous_site.distance_km(block.site);
            if distance > 500.0 {
                let hours = (second - previous_second) as f64 / 3600.0;
                assert!(
                    distance / hours < 900.0,
                    "{} travelled {distance:.0} km in {hours:.1} h",
                    row.user_id
                );
                checked += 1;
            }
        }
        last_seen.insert(&row.user_id, (second, block.site));
    }
    assert!(
        checked > 20,
        "expected some legitimate trips, found {checked}"
    );
}

use catalog::Site;

#[test]
fn workforce_settings_are_checked_by_name() {
    let params = ScenarioParams {
        workforce: Workforce {
            phone_share: 1.5,
            ..Workforce::default()
        },
        ..ScenarioParams::sample()
    };
    assert_eq!(
        params.check(),
        Err(ScenarioError::InvalidWorkforce {
            name: "phone_share",
            reason: "must be a share between 0 and 1",
        })
    );
}

#[test]
fn stealthy_takeovers_stay_in_the_victims_country_with_an_older_browser() {
    let rows = evaluation_rows();
    let stealthy: Vec<&GeneratedLogin> = rows
        .iter()
        .filter(|row| row.label == Label::StealthyTakeover && row.success)
        .collect();
    assert!(!stealthy.is_empty());
    for row in stealthy {
        let home = rows
            .iter()
            .find(|earlier| earlier.user_id == row.user_id && earlier.label == Label::Normal)
            .and_then(|earlier| block_of(earlier.ip))
            .expect("the victim signs in normally");
        let block = block_of(row.ip).expect("catalog address");
        assert_eq!(block.kind, NetworkKind::Residential, "{row:?}");
        let own_country = catalog::HOME_CITIES
            .iter()
            .any(|city| city.site.country == block.site.country);
        assert!(own_country, "{row:?} from {}", block.site.name);
        assert!(home.site.country == block.site.country || home.kind == NetworkKind::Mobile);
    }
}

#[test]
fn distributed_stuffing_uses_each_address_at_most_twice() {
    let mut per_address: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for row in evaluation_rows()
        .iter()
        .filter(|row| row.label == Label::DistributedStuffing)
    {
        *per_address.entry(row.ip).or_default() += 1;
    }
    assert!(per_address.len() > 100);
    assert!(per_address.values().all(|count| *count <= 2));
}

#[test]
fn the_independent_family_is_reproducible_and_labelled() {
    let params = markov::MarkovParams {
        users: 40,
        days: 10,
        ..markov::MarkovParams::preset(5)
    };
    let rows = markov::generate(&params).expect("valid");
    assert_eq!(rows, markov::generate(&params).expect("valid"));
    assert!(
        rows.windows(2)
            .all(|pair| pair[0].timestamp <= pair[1].timestamp)
    );
    let counts = label_counts(&rows);
    assert!(counts[&Label::Normal] > 1000, "{counts:?}");
    assert!(
        counts.keys().filter(|label| label.is_attack()).count() >= 6,
        "{counts:?}"
    );
    for row in &rows {
        assert!(
            markov::all_blocks().any(|block| block.prefix.contains(row.ip))
                || catalog::TOR_EXITS
                    .iter()
                    .any(|block| block.prefix.contains(row.ip)),
            "{row:?}"
        );
    }
}

#[test]
fn a_small_scenario_evaluates_end_to_end() {
    let rows = generate(&ScenarioParams {
        users: 30,
        days: 12,
        ..ScenarioParams::sample()
    })
    .expect("valid");
    let run = evaluation::evaluate_rows(
        &rows,
        30,
        &engine::AnalysisConfig::default(),
        &engine::enrich::NoGeolocation,
        true,
    )
    .expect("evaluates");
    assert_eq!(run.logins, rows.len());
    assert!((0.0..=1.0).contains(&run.events.overall.roc_auc));
    assert!(run.without_success.is_some());
    assert!(run.accounts_with_risky_success.compromised > 0);
}
