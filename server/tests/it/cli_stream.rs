//! `skytrace analyze --stream`: the same scores as the whole analysis, block by block and after
//! reordering, and a login later than the reorder window reported, not lost.

use std::path::Path;
use std::process::{Command, Output};

use engine::enrich::NoGeolocation;
use engine::ingest::Reorder;
use engine::{AnalysisConfig, IngestOptions, LoginEvent, ScoredEvent, StreamingAnalysis};

fn skytrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The evaluation scenario for 120 users: some 15,000 logins with every kind of attack.
fn generated_logins() -> Vec<LoginEvent> {
    let mut params = scenario::ScenarioParams::evaluation();
    params.users = 120;
    let rows = scenario::generate(&params).unwrap();
    let mut csv = Vec::new();
    scenario::write_csv(&rows, &mut csv, false).unwrap();
    engine::read_slice(&csv, &IngestOptions::default())
        .unwrap()
        .events
}

/// Streams `logins` (in time order) in blocks of `block` logins; the scores by row.
fn streamed(logins: &[LoginEvent], block: usize) -> Vec<ScoredEvent> {
    let config = AnalysisConfig::default();
    let mut analysis = StreamingAnalysis::new(config, &NoGeolocation, None).unwrap();
    let mut scored = Vec::new();
    for chunk in logins.chunks(block) {
        scored.extend(analysis.push(chunk.to_vec()).unwrap());
    }
    let (rest, end) = analysis.finish();
    scored.extend(rest);
    assert!(end.forest_fits > 0, "the population models were fitted");
    assert!(
        scored
            .windows(2)
            .all(|pair| pair[0].0.timestamp_ms <= pair[1].0.timestamp_ms)
    );
    let mut scored: Vec<ScoredEvent> = scored.into_iter().map(|(_, scored)| scored).collect();
    scored.sort_by_key(|scored| scored.row);
    scored
}

#[test]
fn streamed_scores_are_the_whole_analysis_scores_whatever_the_blocks() {
    let logins = generated_logins();
    assert!(logins.len() > 10_000, "{}", logins.len());
    let whole = engine::analyze(&logins, &AnalysisConfig::default(), &NoGeolocation, |_| {})
        .unwrap()
        .events;
    let mut in_time_order = logins.clone();
    in_time_order.sort_by_key(|login| (login.timestamp_ms, login.row));
    for block in [1_000, 4_096] {
        let streamed = streamed(&in_time_order, block);
        assert_eq!(streamed.len(), whole.len());
        for (streamed, whole) in streamed.iter().zip(&whole) {
            assert_eq!(streamed, whole, "row {} with blocks of {block}", whole.row);
        }
    }
    // Out of order within the window: reordered first, the same scores.
    let mut shuffled = in_time_order;
    for (index, pair) in shuffled.chunks_mut(7).enumerate() {
        if index % 2 == 0 {
            pair.reverse();
        }
    }
    let mut reorder = Reorder::new(16);
    let mut reordered = Vec::new();
    for login in shuffled {
        reorder.push(login, &mut reordered).unwrap();
    }
    while let Some(login) = reorder.pop() {
        reordered.push(login);
    }
    assert_eq!(streamed(&reordered, 2_048), whole);
}

fn write(path: &Path, rows: &[&str]) {
    let mut text = String::from("timestamp,user_id,ip_address,user_agent,success,ticket\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_command_streams_in_time_order_and_reports_a_login_later_than_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    write(
        &log,
        &[
            "2026-03-02T08:00:00Z,alice,84.208.20.17,curl/8.5,true,T-1",
            "2026-03-02T08:02:00Z,bob,84.208.20.18,curl/8.5,true,T-2",
            // One place early: put back in order by a window of 2.
            "2026-03-02T08:01:00Z,carol,84.208.20.19,curl/8.5,false,T-3",
            "2026-03-02T09:00:00Z,alice,84.208.20.17,curl/8.5,true,T-4",
            "2026-03-02T10:00:00Z,bob,84.208.20.18,curl/8.5,true,T-5",
            "2026-03-02T11:00:00Z,carol,84.208.20.19,curl/8.5,true,T-6",
            // Three hours early: past the window.
            "2026-03-02T08:30:00Z,dave,84.208.20.20,curl/8.5,true,T-7",
            "2026-03-02T12:00:00Z,dave,84.208.20.20,curl/8.5,true,T-8",
        ],
    );
    let out = dir.path().join("scores.csv");
    let rejects = dir.path().join("rejects.csv");
    let summary = dir.path().join("summary.json");
    let output = skytrace(&[
        "analyze",
        log.to_str().unwrap(),
        "--stream",
        "--reorder-window",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("records read 8  =  accepted 7  +  rejected 1  +  skipped 0"),
        "{stdout}"
    );
    assert!(stdout.contains("line 8"), "{stdout}");
    assert!(stdout.contains("reorder window of 2 logins"), "{stdout}");

    let scores = std::fs::read_to_string(&out).unwrap();
    let mut lines = scores.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("row,timestamp,") && header.ends_with(",ticket"),
        "{header}"
    );
    let tickets: Vec<&str> = lines.map(|line| line.rsplit(',').next().unwrap()).collect();
    assert_eq!(tickets, ["T-1", "T-3", "T-2", "T-4", "T-5", "T-6", "T-8"]);

    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(rejected.contains(",8,7,"), "{rejected}");
    assert!(
        rejected.contains("1800 s earlier than a login already scored"),
        "{rejected}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["accepted"], 7);
    assert_eq!(summary["rejected_rows"][0]["line"], 8);

    // The same log read whole: every login scored, in input order.
    let whole = skytrace(&["analyze", log.to_str().unwrap()]);
    assert!(text(&whole.stdout).contains("accepted 8  +  rejected 0"));
    let refused = skytrace(&["analyze", log.to_str().unwrap(), "--stream", "--notify"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("cannot be used with"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    write(
        &log,
        &["2026-03-02T08:00:00Z,alice,84.208.20.17,curl/8.5,true,T-1"],
    );
    for stream in [false, true] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_skytrace"));
        command.arg("analyze").arg(&log);
        if stream {
            command.arg("--stream");
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // `skytrace analyze LOG | head -0`: the reader is gone before the summary is printed.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(
            !text(&output.stderr).contains("panicked"),
            "{}",
            text(&output.stderr)
        );
    }
}
