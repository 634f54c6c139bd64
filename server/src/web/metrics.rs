//! `GET /metrics`: the monitor's counters in the Prometheus text exposition format (0.0.4):
//! records by source and outcome, requests refused busy, the queue's depth, receipt-to-verdict
//! latency per batch, each source's last record, its learnt state and purged logins, and the
//! process's resident memory. Behind
//! sign-in in hosted mode, like the API (scrape with an API token).

use std::fmt::Write;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use service::monitor::{LATENCY_BUCKETS_SECS, Monitor, MonitorMetrics};
use service::source::SourceName;

use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(monitor): State<Monitor>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exposition(&monitor.metrics(), crate::memory::resident_bytes()),
    )
}

/// The text format of `metrics` (and the resident memory, when known).
pub fn exposition(metrics: &MonitorMetrics, resident_bytes: Option<u64>) -> String {
    let mut text = String::from(
        "# HELP skytrace_ingest_records_total Records the monitor answered, by source and \
         outcome.\n# TYPE skytrace_ingest_records_total counter\n",
    );
    for (source, counts) in &metrics.sources {
        for (outcome, count) in [
            ("scored", counts.scored),
            ("duplicate", counts.duplicate),
            ("rejected", counts.rejected),
            ("skipped", counts.skipped),
            ("accepted", counts.accepted),
        ] {
            let _ = writeln!(
                text,
                "skytrace_ingest_records_total{{source=\"{}\",outcome=\"{outcome}\"}} {count}",
                label(source.as_str())
            );
        }
    }
    per_source(
        &mut text,
        "skytrace_ingest_last_record_timestamp_seconds",
        "gauge",
        "When each source's last record arrived.",
        metrics.sources.iter().map(|(source, counts)| {
            (
                source,
                format!("{:.3}", counts.last_seen_ms as f64 / 1000.0),
            )
        }),
    );
    if !metrics.learnt.is_empty() {
        let learnt = || metrics.learnt.iter();
        per_source(
            &mut text,
            "skytrace_monitored_purged_total",
            "counter",
            "Logins deleted past the retention period, by source.",
            learnt().map(|(source, counts)| (source, counts.purged.to_string())),
        );
        per_source(
            &mut text,
            "skytrace_monitored_learnt_state_bytes",
            "gauge",
            "Size of each source's learnt state as last kept.",
            learnt().map(|(source, counts)| (source, counts.state_bytes.to_string())),
        );
        per_source(
            &mut text,
            "skytrace_monitored_learnt_state_timestamp_seconds",
            "gauge",
            "When each source's learnt state was last kept.",
            learnt().map(|(source, counts)| {
                (source, format!("{:.3}", counts.taken_ms as f64 / 1000.0))
            }),
        );
    }
    let _ = writeln!(
        text,
        "# HELP skytrace_ingest_busy_total Requests refused because the scoring queue was full.\n\
         # TYPE skytrace_ingest_busy_total counter\nskytrace_ingest_busy_total {}",
        metrics.busy
    );
    let _ = writeln!(
        text,
        "# HELP skytrace_ingest_queue_depth Batches waiting to be scored.\n\
         # TYPE skytrace_ingest_queue_depth gauge\nskytrace_ingest_queue_depth {}\n\
         # HELP skytrace_ingest_queue_capacity Batches that may wait before requests are refused.\n\
         # TYPE skytrace_ingest_queue_capacity gauge\nskytrace_ingest_queue_capacity {}",
        metrics.queue_depth, metrics.queue_capacity
    );
    let _ = writeln!(
        text,
        "# HELP skytrace_ingest_latency_seconds Receipt to verdict of each batch, kept included.\n\
         # TYPE skytrace_ingest_latency_seconds histogram"
    );
    for (bound, count) in LATENCY_BUCKETS_SECS.iter().zip(metrics.latency_buckets) {
        let _ = writeln!(
            text,
            "skytrace_ingest_latency_seconds_bucket{{le=\"{bound}\"}} {count}"
        );
    }
    let _ = writeln!(
        text,
        "skytrace_ingest_latency_seconds_bucket{{le=\"+Inf\"}} {count}\n\
         skytrace_ingest_latency_seconds_sum {:.6}\nskytrace_ingest_latency_seconds_count {count}",
        metrics.latency_sum_secs,
        count = metrics.latency_count
    );
    if let Some(bytes) = resident_bytes {
        let _ = writeln!(
            text,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
             # TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {bytes}"
        );
    }
    text
}

/// A metric family with one sample per source: its HELP and TYPE lines, then `name{source} value`.
fn per_source<'a>(
    text: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl Iterator<Item = (&'a SourceName, String)>,
) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (source, value) in samples {
        let _ = writeln!(
            text,
            "{name}{{source=\"{}\"}} {value}",
            label(source.as_str())
        );
    }
}

/// A label value with `\`, `"` and line ends escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use service::monitor::LearntCounts;

    #[test]
    fn each_sources_learnt_state_and_purged_logins_are_exposed() {
        let metrics = MonitorMetrics {
            learnt: vec![(
                SourceName::parse("acme").unwrap(),
                LearntCounts {
                    state_bytes: 7_400_000,
                    taken_ms: 1_772_409_600_000,
                    purged: 600,
                },
            )],
            ..MonitorMetrics::default()
        };
        let text = exposition(&metrics, None);
        for expected in [
            "# TYPE skytrace_monitored_purged_total counter",
            "skytrace_monitored_purged_total{source=\"acme\"} 600",
            "skytrace_monitored_learnt_state_bytes{source=\"acme\"} 7400000",
            "skytrace_monitored_learnt_state_timestamp_seconds{source=\"acme\"} 1772409600.000",
        ] {
            assert!(
                text.lines().any(|line| line == expected),
                "{expected}:\n{text}"
            );
        }
        assert!(!exposition(&MonitorMetrics::default(), None).contains("skytrace_monitored_"));
    }
}
