//! `skytrace analyze` on every format fixture: the summary's counts, the rejects file, and the
//! scores file keeping a log's own country.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/formats")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-formats");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

struct Run {
    summary: serde_json::Value,
    rejects: Vec<String>,
    scores: String,
}

fn analyze(name: &str, extra: &[&str]) -> Run {
    let summary = scratch(&format!("{name}.summary.json"));
    let rejects = scratch(&format!("{name}.rejects.csv"));
    let scores = scratch(&format!("{name}.scores.csv"));
    let output = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .arg("analyze")
        .arg(fixture(name))
        .arg("--summary")
        .arg(&summary)
        .arg("--rejects")
        .arg(&rejects)
        .arg("--out")
        .arg(&scores)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("records read"), "{stdout}");
    Run {
        summary: serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap(),
        rejects: std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect(),
        scores: std::fs::read_to_string(&scores).unwrap(),
    }
}

fn counts(run: &Run) -> (u64, u64, u64, u64, &str) {
    let number = |key: &str| run.summary[key].as_u64().unwrap();
    let skipped: u64 = run.summary["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|value| value.as_u64().unwrap())
        .sum();
    assert_eq!(run.rejects.len() as u64, number("rejected"));
    (
        number("rows_read"),
        number("accepted"),
        number("rejected"),
        skipped,
        run.summary["format"].as_str().unwrap(),
    )
}

#[test]
fn every_format_through_the_cli() {
    for (name, extra, expected) in [
        ("skytrace.csv", &[][..], (6, 6, 0, 0, "csv")),
        ("entra-signins.csv", &[], (8, 7, 1, 0, "entra-csv")),
        ("entra-signins-excel.txt", &[], (8, 7, 1, 0, "entra-csv")),
        ("entra-graph.json", &[], (5, 4, 1, 0, "entra-json")),
        ("entra-loganalytics.json", &[], (5, 5, 0, 0, "entra-json")),
        ("okta-systemlog.json", &[], (9, 5, 1, 3, "okta")),
        ("okta-systemlog.jsonl", &[], (10, 5, 2, 3, "okta")),
        (
            "cloudtrail-consolelogin.json.gz",
            &[],
            (9, 5, 1, 3, "cloudtrail"),
        ),
        ("auth.log", &["--year", "2026"], (21, 11, 1, 9, "auth-log")),
        ("rba-sample.csv", &[], (7, 6, 1, 0, "rba")),
        ("entra-diagnostic.jsonl", &[], (8, 6, 1, 1, "entra-json")),
        (
            "entra-diagnostic-workloads.json",
            &[],
            (5, 3, 1, 1, "entra-json"),
        ),
        (
            "google-workspace-login.jsonl",
            &[],
            (7, 5, 1, 1, "google-workspace"),
        ),
        ("auth0-stream.jsonl", &[], (8, 6, 1, 1, "auth0")),
        ("auth0-stream-batch.json", &[], (8, 6, 1, 1, "auth0")),
        ("m365-audit-aad.json", &[], (8, 5, 1, 2, "m365")),
        ("okta-eventhook.json", &[], (10, 6, 1, 3, "okta")),
        ("windows-winlogbeat.jsonl", &[], (7, 4, 1, 2, "windows")),
        ("ecs-authentication-dotted.json", &[], (6, 3, 1, 2, "ecs")),
        ("ocsf-authentication.jsonl", &[], (6, 3, 1, 2, "ocsf")),
        (
            "vpn-export.tsv",
            &[
                "--map",
                "timestamp=Event Time,user_id=Account,ip_address=Client Address",
                "--map",
                "success=Result",
            ],
            (5, 4, 1, 0, "csv"),
        ),
    ] {
        let run = analyze(name, extra);
        assert_eq!(counts(&run), expected, "{name}");
    }
}

#[test]
fn rejects_file_names_file_line_and_reason() {
    let run = analyze("auth.log", &["--year", "2026"]);
    assert_eq!(run.rejects.len(), 1);
    let reject = &run.rejects[0];
    assert!(reject.contains("auth.log,18,"), "{reject}");
    assert!(reject.contains("not a syslog line"), "{reject}");
    let run = analyze("entra-graph.json", &[]);
    assert!(
        run.rejects[0].ends_with(",,5,empty user_id"),
        "{}",
        run.rejects[0]
    );
}

#[test]
fn a_log_keeps_its_own_country() {
    let run = analyze("rba-sample.csv", &[]);
    // 10.0.65.171 is private (no geolocation); the dataset says Norway, AS29695.
    let first = run.scores.lines().nth(1).unwrap();
    assert!(first.contains(",10.0.65.171,"), "{first}");
    assert!(first.contains(",NO,,29695,"), "{first}");
}

#[test]
fn unusable_input_exits_with_status_2() {
    let empty = scratch("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["analyze"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the file is empty"));
    let bad_format = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["profile", "--format", "syslog"])
        .arg(fixture("auth.log"))
        .output()
        .unwrap();
    assert_eq!(bad_format.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_format.stderr).contains("unknown format \"syslog\""));
}

#[test]
fn a_log_can_be_piped_in() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["profile", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let gzipped = std::fs::read(fixture("cloudtrail-consolelogin.json.gz")).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &gzipped).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let profile: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(profile["format"], "cloudtrail");
    assert_eq!(profile["accepted"], 5);
}

#[test]
fn the_config_file_can_say_how_to_read_logs() {
    let config = scratch("vpn.toml");
    std::fs::write(
        &config,
        "[risk]\nhigh = 0.72\n\n[input]\nformat = \"csv\"\ntimezone = \"Europe/Oslo\"\n\
         map = { timestamp = \"Event Time\", user_id = \"Account\", ip_address = \"Client Address\" }\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = analyze("vpn-export.tsv", &["--config", config]);
    assert_eq!(counts(&run), (5, 4, 1, 0, "csv"));
    assert_eq!(run.summary["config"]["risk"]["high"], 0.72);
    // 07:58:12 in Oslo is 06:58:12 UTC; a command-line zone wins over the file's.
    assert!(
        run.scores.contains("2026-03-02T06:58:12Z"),
        "{}",
        run.scores
    );
    let run = analyze("vpn-export.tsv", &["--config", config, "--timezone", "UTC"]);
    assert!(
        run.scores.contains("2026-03-02T07:58:12Z"),
        "{}",
        run.scores
    );
}
