//! Every report kind in every format, from the bundled sample log analysed without geolocation.

use engine::enrich::NoGeolocation;
use engine::figures::Conclusions;
use engine::{AnalysisConfig, DataProfile, IngestOptions, RiskLevel};
use reports::{Filter, ReportFormat, ReportInput, ReportKind, render};

struct Analysed {
    logins: Vec<engine::LoginEvent>,
    profile: DataProfile,
    analysis: engine::Analysis,
    conclusions: Conclusions,
}

fn sample() -> Analysed {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../public/sample/sample-logins.csv"
    ))
    .expect("sample log");
    let ingested = engine::read_slice(&bytes, &IngestOptions::default()).expect("readable");
    let analysis = engine::analyze(
        &ingested.events,
        &AnalysisConfig::default(),
        &NoGeolocation,
        |_| {},
    )
    .expect("valid config");
    Analysed {
        profile: DataProfile::of(&ingested),
        conclusions: Conclusions::of(&analysis),
        analysis,
        logins: ingested.events,
    }
}

fn input(analysed: &Analysed) -> ReportInput<'_> {
    ReportInput {
        source_name: "sample-logins.csv",
        analysis_id: Some("0123456789abcdef"),
        profile: &analysed.profile,
        settings: &analysed.analysis.config,
        geo_data: None,
        events: &analysed.analysis.events,
        logins: &analysed.logins,
        conclusions: &analysed.conclusions,
    }
}

#[test]
fn every_kind_in_every_format() {
    let analysed = sample();
    let input = input(&analysed);
    let dump = std::env::var_os("SKYTRACE_REPORT_DUMP");
    for kind in ReportKind::ALL {
        for format in [
            ReportFormat::Pdf,
            ReportFormat::Csv,
            ReportFormat::Json,
            ReportFormat::Ecs,
            ReportFormat::Ocsf,
        ] {
            let result = render(kind, format, &input, &Filter::default());
            if !kind.formats().contains(&format) {
                assert!(result.is_err(), "{kind:?} as {format:?}");
                continue;
            }
            let bytes = result.unwrap_or_else(|e| panic!("{kind:?} as {format:?}: {e}"));
            match format {
                ReportFormat::Pdf => assert!(bytes.starts_with(b"%PDF-")),
                ReportFormat::Csv => {
                    assert!(csv::Reader::from_reader(&bytes[..]).records().count() > 0)
                }
                ReportFormat::Json => {
                    serde_json::from_slice::<serde_json::Value>(&bytes).expect("valid JSON");
                }
                ReportFormat::Ecs | ReportFormat::Ocsf => {
                    let documents = std::str::from_utf8(&bytes).expect("UTF-8").lines();
                    assert_eq!(documents.count(), analysed.analysis.events.len());
                }
            }
            if let Some(dir) = &dump {
                let path =
                    std::path::Path::new(dir).join(format!("{}.{}", kind.name(), format.name()));
                std::fs::write(path, &bytes).expect("dump");
            }
        }
    }
}

#[test]
fn same_analysis_same_bytes() {
    let analysed = sample();
    let input = input(&analysed);
    for kind in [ReportKind::Executive, ReportKind::Incident] {
        let first = render(kind, ReportFormat::Pdf, &input, &Filter::default()).unwrap();
        let second = render(kind, ReportFormat::Pdf, &input, &Filter::default()).unwrap();
        assert_eq!(first, second, "{kind:?}");
    }
}

#[test]
fn exports_follow_the_level_and_date_filter() {
    let analysed = sample();
    let input = input(&analysed);
    let events = &analysed.analysis.events;
    let high = events
        .iter()
        .filter(|e| e.risk_level >= RiskLevel::High)
        .count();
    assert!(high > 0, "the sample has risky logins");
    let filter = Filter::parse(Some("high"), None, None).unwrap();
    let csv = render(ReportKind::Events, ReportFormat::Csv, &input, &filter).unwrap();
    let mut reader = csv::Reader::from_reader(&csv[..]);
    let levels: Vec<String> = reader.records().map(|r| r.unwrap()[6].to_owned()).collect();
    assert_eq!(levels.len(), high);
    assert!(
        levels
            .iter()
            .all(|level| level == "High" || level == "Critical")
    );

    let first = events.iter().map(|e| e.timestamp_ms).min().unwrap();
    let day = engine::time::format_utc(first)[..10].to_owned();
    let one_day = Filter::parse(None, Some(&day), Some(&day)).unwrap();
    let json = render(ReportKind::Events, ReportFormat::Json, &input, &one_day).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    let expected = events
        .iter()
        .filter(|e| one_day.in_range(e.timestamp_ms))
        .count();
    assert_eq!(rows.len(), expected);
    assert!(expected > 0 && expected < events.len());
}

/// A successful Critical login of `user` (a compromised account), as the engine would score it.
fn risky(row: u64, user: &str) -> engine::ScoredEvent {
    engine::ScoredEvent {
        row,
        line: row + 1,
        timestamp_ms: 1_772_439_300_000 + row as i64 * 60_000,
        user_id: user.into(),
        ip: "203.0.113.9".parse().unwrap(),
        success: Some(true),
        risk_score: 0.95,
        risk_level: RiskLevel::Critical,
        isolation_forest: None,
        dbscan: None,
        statistical: 0.2,
        rules: 0.95,
        findings: vec![engine::Finding {
            kind: engine::FindingKind::NewDevice,
            floor: 0.95,
            reason: "=new device for this user".to_owned(),
            suppressed: None,
        }],
        country: Some("-NO".into()),
        city: Some("@Oslo".into()),
        asn: None,
        network: None,
        travel_km: None,
        travel_kmh: None,
        device: "+Firefox on Linux".into(),
        explanation: None,
    }
}

#[test]
fn csv_cells_never_start_a_formula() {
    let users = [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\tcmd",
        "\rcmd",
    ];
    let events: Vec<engine::ScoredEvent> = users
        .iter()
        .enumerate()
        .map(|(index, user)| risky(index as u64 + 1, user))
        .collect();
    let profile = DataProfile {
        format: engine::Format::Csv,
        encoding: engine::ingest::TextEncoding::Utf8,
        gzip: false,
        physical_lines: events.len() as u64 + 1,
        rows_read: events.len() as u64,
        accepted: events.len() as u64,
        rejected: 0,
        skipped: Default::default(),
        rejected_rows: Vec::new(),
        distinct_users: events.len() as u64,
        distinct_ips: 1,
        first_timestamp_ms: events.first().map(|e| e.timestamp_ms),
        last_timestamp_ms: events.last().map(|e| e.timestamp_ms),
        successes: events.len() as u64,
        failures: 0,
        interrupted: 0,
        columns: Vec::new(),
        extra_columns: Vec::new(),
        further_rejected_rows: Default::default(),
    };
    let settings = AnalysisConfig::default();
    let conclusions = Conclusions::recompute(&events, &settings);
    let input = ReportInput {
        source_name: "=evil.csv",
        analysis_id: None,
        profile: &profile,
        settings: &settings,
        geo_data: None,
        events: &events,
        logins: &[],
        conclusions: &conclusions,
    };
    for kind in ReportKind::ALL {
        let csv = render(kind, ReportFormat::Csv, &input, &Filter::default()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&csv[..]);
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{kind:?}: {cell:?}"
                );
            }
        }
        assert!(cells > 0);
        let text = String::from_utf8(csv).unwrap();
        assert!(
            text.contains("'=HYPERLINK"),
            "{kind:?} keeps the value, neutralised"
        );
    }
}

#[test]
fn the_incident_report_groups_campaigns_first_and_pages_through_every_incident() {
    use reports::IncidentReport;
    use reports::model::IncidentGroup;

    let analysed = sample();
    let input = input(&analysed);
    let filter = Filter::parse(Some("medium"), None, None).unwrap();
    let report = IncidentReport::build(&input, &filter);
    let total = report.incidents.len();
    assert!(total > 3, "the sample has incidents at Medium: {total}");
    // Groups in order, their counts adding up, incidents in group order.
    let order: Vec<IncidentGroup> = report.groups.iter().map(|(group, _)| *group).collect();
    assert_eq!(order, IncidentGroup::ALL);
    assert_eq!(
        report.groups.iter().map(|(_, n)| *n).sum::<u64>(),
        total as u64
    );
    let groups: Vec<IncidentGroup> = report.incidents.iter().map(IncidentGroup::of).collect();
    assert!(
        groups.is_sorted(),
        "campaigns, then compromised accounts, then the rest"
    );

    // Pages of 3 hold every incident once, in order; each group's first page is where it starts.
    let per_page = 3;
    let first = report.page(0, per_page);
    assert_eq!(first.pages, total.div_ceil(per_page));
    let mut seen = Vec::new();
    for number in 0..first.pages {
        let page = report.page(number, per_page);
        assert_eq!(page.first_index, number * per_page);
        assert!(page.incidents.len() <= per_page);
        seen.extend(page.incidents.into_iter().map(|(_, incident)| incident.id));
    }
    let ids: Vec<String> = report.incidents.iter().map(|i| i.id.clone()).collect();
    assert_eq!(seen, ids);
    for counted in &first.groups {
        let start = groups.iter().position(|group| *group == counted.group);
        assert_eq!(counted.first_page, start.map(|index| index / per_page));
    }
    let last = ids.last().unwrap();
    assert_eq!(report.page_of(last, per_page), Some(first.pages - 1));
    assert_eq!(report.page_of("INC-NOTANINCIDENT", per_page), None);
    // A page past the end is the last page.
    assert_eq!(report.page(first.pages + 5, per_page).page, first.pages - 1);

    // The PDF holds the most severe few, the CSV every one.
    let few = report.most_severe(2);
    assert_eq!(few.incidents.len(), 2);
    let worst = report.incidents.iter().map(|i| i.severity).max().unwrap();
    assert_eq!(few.incidents[0].severity, worst);
    let options = reports::RenderOptions { pdf_incidents: 2 };
    let csv = reports::render_incidents(&report, ReportFormat::Csv, &options).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(ids.iter().all(|id| csv.contains(id.as_str())));
    let pdf = reports::render_incidents(&report, ReportFormat::Pdf, &options).unwrap();
    let all = reports::render_incidents(
        &report,
        ReportFormat::Pdf,
        &reports::RenderOptions {
            pdf_incidents: total,
        },
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < all.len(), "fewer incidents, a smaller PDF");

    // At Critical, every incident listed is Critical.
    let critical = IncidentReport::build(
        &input,
        &Filter::parse(Some("critical"), None, None).unwrap(),
    );
    assert!(!critical.incidents.is_empty());
    let severities: Vec<(String, RiskLevel)> = critical
        .incidents
        .iter()
        .map(|incident| (incident.id.clone(), incident.severity))
        .collect();
    assert!(
        severities
            .iter()
            .all(|(_, severity)| *severity == RiskLevel::Critical),
        "{severities:?}"
    );
}
