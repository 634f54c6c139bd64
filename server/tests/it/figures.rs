//! One run, every view: the Detection summary, the dashboard, the reports, the REST API and the
//! alerts count the same risky logins, accounts and incidents, under each filter.

use engine::RiskLevel;
use engine::figures::{Figures, Selection};
use service::dashboard::DashboardQuery;
use service::detection::DetectionSummary;

use crate::support::{detection_on, fresh_store, state};
use crate::web::*;

/// The day (`YYYY-MM-DD`, UTC) `days` after the first login.
fn day_after(first_ms: i64, days: i64) -> String {
    engine::time::format_utc(first_ms + days * 86_400_000)[..10].to_owned()
}

#[tokio::test]
async fn every_view_of_a_run_gives_the_same_figures_under_every_filter() {
    let store = Arc::new(fresh_store().await);
    let router = app(state(
        detection_on(Arc::clone(&store), None),
        ServerSettings {
            max_upload_bytes: 8 * 1024 * 1024,
            ..ServerSettings::default()
        },
        AuthMode::Local,
        PageFiles::default(),
    ));
    let service = detection_on(Arc::clone(&store), None);
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let (status, created) = json_of(&router, api_upload(&[("format", "csv")], &sample)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let summary: DetectionSummary = serde_json::from_value(created["summary"].clone()).unwrap();
    let kept = service.kept(&id).await.unwrap();
    let conclusions = kept.conclusions();

    // The Detection summary is the run's figures over everything.
    let all = Figures::of(
        &kept.events,
        &conclusions,
        &kept.settings,
        &Selection::all(),
    );
    assert!(all.risky > 0 && all.incidents.total > 0, "{all:?}");
    assert_eq!(summary.levels, all.levels);
    assert_eq!(summary.high_from, kept.settings.risk.high);
    assert_eq!(summary.at_or_above_threshold, all.risky);
    let high_or_above: u64 = all
        .levels
        .iter()
        .filter(|(level, _)| *level >= RiskLevel::High)
        .map(|(_, count)| count)
        .sum();
    assert_eq!(
        all.risky, high_or_above,
        "the threshold is the High boundary"
    );
    assert_eq!(summary.accounts, all.accounts);
    assert_eq!(summary.incidents, all.incidents);
    assert_eq!(summary.travel, all.travel);

    // Alerts: one per incident of the run, the same incidents.
    let rules = alerts::AlertRules {
        min_level: RiskLevel::Low,
        user_risk_threshold: None,
    };
    let alerted = alerts::alerts_from(&conclusions, &rules);
    assert_eq!(alerted.len() as u64, all.incidents.total);

    let first_ms = kept.events.iter().map(|e| e.timestamp_ms).min().unwrap();
    let (from, to) = (day_after(first_ms, 2), day_after(first_ms, 9));
    let user = conclusions.incidents[0].users[0].to_uppercase();
    let filters: [(&str, &str, &str, &str); 7] = [
        ("", "", "", ""),
        ("high", "", "", ""),
        ("critical", "", "", ""),
        ("medium", &from, &to, ""),
        ("", &from, &to, ""),
        ("", "", "", &user),
        ("high", "", "", &user),
    ];
    let facts = service::dashboard::RunFacts::of(&kept.events, conclusions.clone(), &|_| None);
    let unfiltered = service::dashboard::build(
        &id,
        "sample.csv",
        &kept.events,
        &kept.settings,
        &facts,
        &DashboardQuery::default(),
    );
    for (level, from, to, user) in filters {
        let label = format!("level={level:?} from={from:?} to={to:?} user={user:?}");
        let query = DashboardQuery {
            level: level.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            user: user.to_owned(),
            ..DashboardQuery::default()
        };
        let dashboard = service::dashboard::build(
            &id,
            "sample.csv",
            &kept.events,
            &kept.settings,
            &facts,
            &query,
        );
        assert!(
            dashboard.problems.is_empty(),
            "{label}: {:?}",
            dashboard.problems
        );
        let selection = Selection {
            min_level: reports::Filter::parse(Some(level), None, None)
                .unwrap()
                .min_level,
            user: (!user.is_empty()).then(|| user.to_owned()),
            ..reports::Filter::parse(None, Some(from), Some(to))
                .unwrap()
                .range()
        };
        let figures = Figures::of(&kept.events, &conclusions, &kept.settings, &selection);
        assert_eq!(dashboard.matching, figures.logins, "{label}");
        assert_eq!(dashboard.high_or_above, figures.risky, "{label}");
        assert_eq!(dashboard.levels, figures.levels, "{label}");
        assert_eq!(dashboard.incidents, figures.incidents.total, "{label}");
        assert_eq!(dashboard.accounts, figures.accounts, "{label}");
        // A filter chooses users; it never rescores them.
        for shown in &dashboard.top_users {
            let whole = conclusions
                .users
                .iter()
                .find(|user| user.user_id == shown.user_id)
                .unwrap();
            assert_eq!(shown, whole, "{label}");
        }
        if level.is_empty() && user.is_empty() && from.is_empty() {
            assert_eq!(dashboard, unfiltered);
        }
        if !user.is_empty() {
            continue; // reports and the REST API filter by level and dates only
        }
        let params = format!("level={level}&from={from}&to={to}");
        let (status, listed) = json_of(
            &router,
            get(&format!("/api/v1/analyses/{id}/incidents?{params}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {listed}");
        let listed = listed["incidents"].as_array().unwrap();
        assert_eq!(listed.len() as u64, figures.incidents.total, "{label}");
        if !level.is_empty() {
            let floor = serde_json::to_value(figures_floor(level)).unwrap();
            assert!(
                listed
                    .iter()
                    .all(|incident| at_least(&incident["severity"], &floor)),
                "{label}: an incident is listed because one of its logins is selected"
            );
        }
        let report = |kind: &str| {
            get(&format!(
                "/api/v1/analyses/{id}/report?kind={kind}&format=json&{params}"
            ))
        };
        let (_, executive) = json_of(&router, report("executive")).await;
        assert_eq!(
            executive["incident_count"].as_u64(),
            Some(figures.incidents.total),
            "{label}"
        );
        let (_, incident) = json_of(&router, report("incident")).await;
        assert_eq!(
            incident["incidents"].as_array().map(Vec::len),
            Some(listed.len()),
            "{label}"
        );
        // The technical report covers the date range (every level): its risky logins and the
        // detectors' agreement are the dashboard's, and the Detection page's over everything.
        let range = Figures::of(
            &kept.events,
            &conclusions,
            &kept.settings,
            &Selection {
                min_level: None,
                ..selection.clone()
            },
        );
        let (_, technical) = json_of(&router, report("technical")).await;
        assert_eq!(
            technical["at_or_above_threshold"].as_u64(),
            Some(range.risky),
            "{label}"
        );
        assert_eq!(technical["threshold"].as_f64(), Some(summary.high_from));
        if from.is_empty() {
            for (detector, flagged) in &summary.agreement.flagged_by {
                let row = technical["detectors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|row| row["detector"] == detector.label())
                    .unwrap();
                assert_eq!(row["flagged_risky"].as_u64(), Some(*flagged), "{label}");
            }
        }
    }
}

fn figures_floor(level: &str) -> RiskLevel {
    reports::Filter::parse(Some(level), None, None)
        .unwrap()
        .min_level
        .unwrap()
}

/// Whether a severity (as JSON) is at or above `floor` (as JSON).
fn at_least(severity: &serde_json::Value, floor: &serde_json::Value) -> bool {
    let rank = |value: &serde_json::Value| {
        RiskLevel::ALL
            .iter()
            .position(|level| serde_json::to_value(level).unwrap() == *value)
            .unwrap()
    };
    rank(severity) >= rank(floor)
}
