//! The dashboard of a kept analysis, rendered on the server: metrics, trend, riskiest users,
//! breakdowns, filters and one user's details, all from the address.

use crate::web::*;

async fn page(router: &Router, uri: &str) -> String {
    let (status, _, body) = get_bytes(router, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    String::from_utf8(body).unwrap()
}

/// The number shown for a metric.
fn metric(html: &str, id: &str) -> u64 {
    let marker = format!(r#"data-testid="metric-{id}">"#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in the page"))
        + marker.len();
    let digits: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn the_dashboard_shows_the_latest_analysis_and_follows_its_filters() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let summary = detect_sample(&router).await;
    let html = page(&router, "/dashboard").await;
    assert!(html.contains(&summary.id), "the latest analysis is shown");
    assert_eq!(metric(&html, "logins"), summary.profile.accepted);
    let high: u64 = summary
        .levels
        .iter()
        .filter(|(level, _)| *level >= engine::RiskLevel::High)
        .map(|(_, number)| number)
        .sum();
    assert_eq!(metric(&html, "high"), high);
    assert!(metric(&html, "incidents") >= metric(&html, "travel"));
    for part in [
        "trend",
        "dashboard-users",
        "countries",
        "devices",
        "browsers",
        "systems",
    ] {
        assert!(
            html.contains(&format!(r#"data-testid="{part}""#)),
            "{part} missing"
        );
    }
    assert!(html.contains("<svg"), "the trend is drawn on the server");

    // The riskiest user's details, by address.
    let riskiest = summary.top_users[0].user_id.clone();
    let focused = page(
        &router,
        &format!("/dashboard?run={}&focus={riskiest}", summary.id),
    )
    .await;
    assert!(focused.contains(r#"data-testid="user-detail""#));
    assert!(focused.contains(r#"data-testid="user-timeline""#));
    assert!(focused.contains(&riskiest));

    // Filters narrow every figure.
    let critical = page(
        &router,
        &format!("/dashboard?run={}&level=critical", summary.id),
    )
    .await;
    let critical_count = summary
        .levels
        .iter()
        .find(|(level, _)| *level == engine::RiskLevel::Critical)
        .map(|(_, number)| *number)
        .unwrap();
    assert_eq!(metric(&critical, "logins"), critical_count);
    assert!(critical.contains("of") && critical.contains("match the filters"));
    let one_user = page(
        &router,
        &format!("/dashboard?run={}&user=AVA.ED", summary.id),
    )
    .await;
    assert_eq!(metric(&one_user, "users"), 1, "a name search, any case");

    // A filter that cannot be applied is explained beside it; the page and the other filters
    // stay.
    let bad = page(
        &router,
        &format!(
            "/dashboard?run={}&from=yesterday&level=critical",
            summary.id
        ),
    )
    .await;
    assert!(bad.contains(r#"data-testid="filter-problems""#), "{bad}");
    assert!(bad.contains(r#"data-testid="filter-from-error""#), "{bad}");
    assert_eq!(
        metric(&bad, "logins"),
        critical_count,
        "the level still applies"
    );
    let reversed = page(
        &router,
        &format!(
            "/dashboard?run={}&from=2030-02-01&to=2030-01-01&user=ava",
            summary.id
        ),
    )
    .await;
    assert!(reversed.contains(r#"data-testid="filter-to-error""#));
    assert!(reversed.contains("is before"), "{reversed}");
    assert!(
        reversed.contains(r#"value="2030-02-01""#),
        "the dates stay in the form"
    );
    assert!(reversed.contains(r#"data-testid="metrics""#));
    // An unknown user name says so, instead of zeros.
    let nobody = page(
        &router,
        &format!("/dashboard?run={}&user=nobody-by-this-name", summary.id),
    )
    .await;
    assert!(nobody.contains(r#"data-testid="no-logins""#));
    assert!(nobody.contains("No logins for user"), "{nobody}");
    assert!(!nobody.contains(r#"data-testid="metrics""#));
    // A user's risk is the run's, whatever the level filter.
    let all_levels = page(
        &router,
        &format!("/dashboard?run={}&focus={riskiest}", summary.id),
    )
    .await;
    let at_critical = page(
        &router,
        &format!(
            "/dashboard?run={}&focus={riskiest}&level=critical",
            summary.id
        ),
    )
    .await;
    let risk_of = |html: &str| {
        let start = html
            .find(r#"data-testid="user-summary">Risk "#)
            .expect("the user's risk is shown");
        html[start..start + 40].to_owned()
    };
    assert_eq!(risk_of(&all_levels), risk_of(&at_critical));
    // An unknown analysis is explained, not a blank page.
    let (status, _, body) = get_bytes(&router, "/dashboard?run=not-kept").await;
    assert!(
        String::from_utf8_lossy(&body).contains("no kept analysis"),
        "{status}"
    );
}

#[tokio::test]
async fn followers_hear_scoring_progress_and_kept_analyses() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let response = router
        .clone()
        .oneshot(get("/api/v1/activity"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    let summary = detect_sample(&router).await;

    let mut heard = String::new();
    let deadline = std::time::Duration::from_secs(10);
    while !heard.contains("event: kept") {
        let frame = tokio::time::timeout(deadline, body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            heard.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(heard.contains("event: scoring"), "{heard}");
    assert!(
        heard.contains(r#""type":"scoring","file_name":"logins.csv""#),
        "{heard}"
    );
    assert!(
        heard.contains(&format!(
            r#"data: {{"type":"kept","id":"{}","file_name":"logins.csv"}}"#,
            summary.id
        )),
        "{heard}"
    );
}

#[test]
fn the_map_places_located_logins_and_draws_impossible_travel() {
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let ingested = engine::read_slice(&sample, &engine::IngestOptions::default()).unwrap();
    let config = engine::AnalysisConfig::default();
    let analysis = engine::analyze(
        &ingested.events,
        &config,
        &engine::enrich::NoGeolocation,
        |_| {},
    )
    .unwrap();
    // A made-up but stable place per address; one address in ten stays unlocated.
    let locate = |ip: std::net::IpAddr| {
        let hash = ip
            .to_string()
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        if hash % 10 == 0 {
            return None;
        }
        Some((
            (hash % 140) as f64 - 70.0,
            (hash / 140 % 360) as f64 - 180.0,
        ))
    };
    let facts = service::dashboard::RunFacts::of(
        &analysis.events,
        engine::figures::Conclusions::of(&analysis),
        &locate,
    );
    let query = service::dashboard::DashboardQuery::default();
    let dashboard = service::dashboard::build(
        "run",
        "sample.csv",
        &analysis.events,
        &config,
        &facts,
        &query,
    );
    let map = &dashboard.map;
    let located = analysis
        .events
        .iter()
        .filter(|e| locate(e.ip).is_some())
        .count() as u64;
    assert_eq!(map.located_logins, located);
    let placed: u64 = map.places.iter().map(|place| place.logins).sum();
    assert!(map.places.len() <= service::dashboard::MAP_PLACES);
    assert_eq!(placed, located, "every located login is on the map once");
    assert!(
        map.describe(dashboard.matching)
            .contains("without a known location"),
        "the unlocated logins are said: {}",
        map.describe(dashboard.matching)
    );
    let riskiest = map.places.last().unwrap();
    assert_eq!(
        riskiest.worst,
        engine::RiskLevel::Critical,
        "the riskiest place is drawn last"
    );
    let travelled = analysis
        .events
        .iter()
        .filter(|e| {
            e.findings
                .iter()
                .any(|f| f.kind == engine::FindingKind::ImpossibleTravel && f.is_active())
        })
        .count() as u64;
    assert!(map.trips <= travelled);
    assert!(map.routes.len() as u64 <= map.routes_total);
    for route in &map.routes {
        assert!(route.label.contains(" → "), "{route:?}");
        assert_ne!(route.from, route.to);
    }
}
