use std::sync::Arc;

use super::*;
use crate::enrich::NetworkType;
use crate::risk::Finding;

const HOUR_MS: i64 = 3_600_000;

fn login(row: u64, hours: i64, user: &str, ip: &str, score: f64, success: bool) -> ScoredEvent {
    let params = RiskParams::default();
    ScoredEvent {
        row,
        line: row + 1,
        timestamp_ms: 1_772_409_600_000 + hours * HOUR_MS,
        user_id: Arc::from(user),
        ip: ip.parse().unwrap(),
        success: Some(success),
        risk_score: score,
        risk_level: RiskLevel::from_score(score, &params),
        isolation_forest: None,
        dbscan: None,
        statistical: 0.0,
        rules: 0.0,
        findings: Vec::new(),
        country: Some(Arc::from("NO")),
        city: Some(Arc::from("Oslo")),
        asn: None,
        network: None,
        travel_km: None,
        travel_kmh: None,
        device: Arc::from("Firefox 148 on Windows (desktop)"),
        explanation: None,
    }
}

fn with(mut event: ScoredEvent, kind: FindingKind, reason: &str) -> ScoredEvent {
    event.findings.push(Finding {
        kind,
        floor: 0.0,
        reason: reason.to_owned(),
        suppressed: None,
    });
    event
}

fn verdicts(events: &[ScoredEvent]) -> Vec<AccountVerdict> {
    account_verdicts(events, &AccountParams::default(), &RiskParams::default())
}

fn status_of<'a>(verdicts: &'a [AccountVerdict], user: &str) -> &'a AccountVerdict {
    verdicts
        .iter()
        .find(|verdict| verdict.user_id == user)
        .unwrap()
}

#[test]
fn one_weak_finding_alone_is_not_a_compromise_several_add_up() {
    let events = vec![
        // alice: one Medium sign-in.
        with(
            login(1, 0, "alice", "192.0.2.1", 0.45, true),
            FindingKind::NewNetwork,
            "new network for this user",
        ),
        // bob: Medium and High sign-ins from two contexts within a week.
        with(
            login(2, 0, "bob", "198.51.100.1", 0.65, true),
            FindingKind::NewLocation,
            "new city for this user",
        ),
        with(
            login(3, 30, "bob", "203.0.113.7", 0.55, true),
            FindingKind::NewDevice,
            "older browser than this user now runs",
        ),
        // carol: a High sign-in repeated from one context is one piece of evidence.
        login(4, 0, "carol", "198.51.100.9", 0.65, true),
        login(5, 2, "carol", "198.51.100.9", 0.65, true),
        // dave: Critical.
        with(
            login(6, 0, "dave", "203.0.113.99", 0.95, true),
            FindingKind::CredentialStuffing,
            "credential stuffing hit a valid password",
        ),
    ];
    let verdicts = verdicts(&events);
    assert_eq!(status_of(&verdicts, "alice").status, AccountStatus::Clean);
    assert_eq!(
        status_of(&verdicts, "bob").status,
        AccountStatus::Compromised
    );
    assert_eq!(
        status_of(&verdicts, "carol").status,
        AccountStatus::Suspicious
    );
    assert_eq!(status_of(&verdicts, "carol").evidence[0].repeats, 1);
    assert_eq!(
        status_of(&verdicts, "dave").status,
        AccountStatus::Compromised
    );
    // Compromised first, riskiest first.
    assert_eq!(verdicts[0].user_id, "dave");
}

#[test]
fn the_verdict_explains_itself() {
    let events = vec![
        login(1, 0, "erin", "192.0.2.1", 0.01, true),
        with(
            login(2, 5, "erin", "203.0.113.4", 0.9, true),
            FindingKind::ImpossibleTravel,
            "impossible travel: Oslo → Hanoi in 40 min",
        ),
    ];
    let verdict = &verdicts(&events)[0];
    assert_eq!(verdict.status, AccountStatus::Compromised);
    assert_eq!(verdict.evidence.len(), 1);
    assert_eq!(verdict.evidence[0].row, 2);
    assert_eq!(
        verdict.evidence[0].findings,
        [FindingKind::ImpossibleTravel]
    );
    assert!(
        verdict
            .summary
            .starts_with("erin: compromised — signed in from")
            && verdict.summary.contains("impossible travel: Oslo → Hanoi"),
        "{}",
        verdict.summary
    );
}

#[test]
fn failed_attacks_leave_the_account_clean_but_make_a_campaign() {
    let events: Vec<ScoredEvent> = (0..12)
        .map(|index| {
            with(
                login(
                    index,
                    index as i64,
                    &format!("user{index}"),
                    &format!("203.0.113.{}", 10 + index % 3),
                    0.7,
                    false,
                ),
                FindingKind::PasswordSpray,
                "password spraying",
            )
        })
        .collect();
    let verdicts = verdicts(&events);
    assert!(
        verdicts
            .iter()
            .all(|verdict| verdict.status == AccountStatus::Clean && verdict.attacked == 1)
    );
    let found = campaigns(&events);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, CampaignKind::PasswordSpray);
    assert_eq!(found[0].accounts.len(), 12);
    assert_eq!(found[0].sources, 3);
    assert!(found[0].succeeded.is_empty());
    assert_eq!(verdicts[0].campaigns, [found[0].id.clone()]);
}

fn on_phone(mut event: ScoredEvent) -> ScoredEvent {
    event.asn = Some(39_603);
    event.city = Some(Arc::from("Warsaw"));
    event.country = Some(Arc::from("PL"));
    event.device = Arc::from("Safari 26 on iOS (mobile)");
    with(
        event,
        FindingKind::NewNetwork,
        "first-seen network owner for this user, in a country they use",
    )
}

#[test]
fn a_new_phone_the_user_keeps_using_is_not_evidence_of_a_compromise() {
    let mut events = Vec::new();
    // alice's new phone on a new carrier scores Critical on its first days (all novelty), and
    // she goes on using it for ten days.
    for (row, day) in [0, 1, 2, 5, 10].into_iter().enumerate() {
        let score = if day < 3 { 0.9 } else { 0.3 };
        events.push(on_phone(login(
            row as u64,
            day * 24,
            "alice",
            "5.173.0.9",
            score,
            true,
        )));
    }
    // bob's phone signs in on two days only: still evidence.
    for (row, day) in [0, 1].into_iter().enumerate() {
        events.push(on_phone(login(
            10 + row as u64,
            day * 24,
            "bob",
            "5.173.0.9",
            0.9,
            true,
        )));
    }
    // carol's stuffing hit is evidence however long the intruder stays.
    for (row, day) in [0, 1, 2, 5, 10].into_iter().enumerate() {
        let mut event = on_phone(login(
            20 + row as u64,
            day * 24,
            "carol",
            "5.173.0.9",
            0.9,
            true,
        ));
        if day == 0 {
            event.findings.push(Finding {
                kind: FindingKind::CredentialStuffing,
                floor: 0.9,
                reason: "credential stuffing hit a valid password".to_owned(),
                suppressed: None,
            });
        }
        events.push(event);
    }
    let verdicts = verdicts(&events);
    let alice = status_of(&verdicts, "alice");
    assert_eq!(alice.status, AccountStatus::Clean, "{}", alice.summary);
    assert!(
        alice.summary
            == "alice: clean; 3 risky sign-ins from Warsaw, PL · AS39603 on Safari 26 on iOS (mobile) are not counted: a place and device the user kept using (on 3+ days over 7+ days)",
        "{}",
        alice.summary
    );
    assert_eq!(
        status_of(&verdicts, "bob").status,
        AccountStatus::Compromised
    );
    let carol = status_of(&verdicts, "carol");
    assert_eq!(carol.status, AccountStatus::Compromised);
    assert_eq!(carol.evidence[0].row, 20, "{}", carol.summary);

    // Hindsight needs the days to span the settling time, not only to be many.
    let strict = AccountParams {
        settled_span_secs: 14 * 86_400,
        ..AccountParams::default()
    };
    let verdicts = account_verdicts(&events, &strict, &RiskParams::default());
    assert_eq!(
        status_of(&verdicts, "alice").status,
        AccountStatus::Compromised
    );
}

#[test]
fn risky_sign_ins_repeated_from_servers_are_a_compromise() {
    let from = |row: u64, hours: i64, user: &str, network: NetworkType| {
        let mut event = with(
            login(row, hours, user, "84.37.103.5", 0.65, true),
            FindingKind::AnonymisingNetwork,
            "login from a vpn network",
        );
        event.asn = Some(9009);
        event.network = Some(network);
        event
    };
    let events = vec![
        // alice: the same VPN twice in an evening.
        from(1, 0, "alice", NetworkType::Vpn),
        from(2, 5, "alice", NetworkType::Vpn),
        // bob: once.
        from(3, 0, "bob", NetworkType::Vpn),
        // carol: twice, from a home network.
        from(4, 0, "carol", NetworkType::Residential),
        from(5, 5, "carol", NetworkType::Residential),
    ];
    let verdicts = verdicts(&events);
    let alice = status_of(&verdicts, "alice");
    assert_eq!(alice.status, AccountStatus::Compromised);
    assert!(
        alice.summary.contains("and once more from that network"),
        "{}",
        alice.summary
    );
    let others: Vec<AccountStatus> = ["bob", "carol"]
        .iter()
        .map(|user| status_of(&verdicts, user).status)
        .collect();
    assert_eq!(others, [AccountStatus::Suspicious; 2]);
}

#[test]
fn a_risky_success_with_an_older_copy_of_the_users_browser_is_a_compromise() {
    let downgrade = "older browser than this user now runs: Chrome 144 on Windows, 1 release behind the 145 they have used (browsers update, they do not go back)";
    let events = vec![
        // frank: one High success with a downgrade.
        with(
            login(1, 0, "frank", "192.0.2.1", 0.68, true),
            FindingKind::NewDevice,
            downgrade,
        ),
        // grace: the same finding on a Medium success, and heidi's on a failed attempt.
        with(
            login(2, 0, "grace", "192.0.2.2", 0.52, true),
            FindingKind::NewDevice,
            downgrade,
        ),
        with(
            login(3, 0, "heidi", "192.0.2.3", 0.68, false),
            FindingKind::NewDevice,
            downgrade,
        ),
        // ivan: a High success with a new device that is not a downgrade.
        with(
            login(4, 0, "ivan", "192.0.2.4", 0.68, true),
            FindingKind::NewDevice,
            "new device for this user: Firefox 148 on Linux (desktop)",
        ),
    ];
    let verdicts = verdicts(&events);
    let frank = status_of(&verdicts, "frank");
    assert_eq!(frank.status, AccountStatus::Compromised);
    assert!(
        frank
            .summary
            .starts_with("frank: compromised — signed in from Oslo, NO")
            && frank
                .summary
                .contains("(older browser than this user now runs"),
        "{}",
        frank.summary
    );
    assert_eq!(status_of(&verdicts, "grace").status, AccountStatus::Clean);
    assert_eq!(status_of(&verdicts, "heidi").status, AccountStatus::Clean);
    assert_eq!(
        status_of(&verdicts, "ivan").status,
        AccountStatus::Suspicious
    );
}
