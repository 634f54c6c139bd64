//! `skytrace evaluate` prints the account-level figures beside the event metrics, as JSON too.

use std::process::Command;

#[test]
fn evaluate_reports_events_accounts_and_their_spread() {
    let output = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["evaluate", "--family", "sample", "--seeds", "1,2", "--json"])
        .output()
        .expect("run skytrace evaluate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let runs = report["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for (run, seed) in runs.iter().zip([1, 2]) {
        assert_eq!(run["family"], "sample");
        assert_eq!(run["seed"], seed);
        let accounts = &run["accounts"];
        assert!(accounts["compromised"].as_u64().unwrap() > 0);
        assert!(accounts["true_positives"].as_u64() <= accounts["flagged"].as_u64());
        assert!(run["events"]["overall"]["roc_auc"].as_f64().unwrap() > 0.9);
        assert!(run["incidents_per_1000_users"].as_f64().is_some());
        assert!(!run["accounts"]["by_attack"].as_object().unwrap().is_empty());
    }
}

#[test]
fn an_unknown_family_is_refused_with_the_choices() {
    let output = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["evaluate", "--family", "startup"])
        .output()
        .expect("run skytrace evaluate");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("office, hybrid, remote, markov"),
        "{stderr}"
    );
}
