//! The monitored logins of a span read as a run, so the REST API and the reports treat them as
//! they treat an upload's: the same summary, incidents, accounts' verdicts and reports, concluded
//! by the same rules (`GET /api/v1/monitored/{source}…`, the live dashboard).

use std::collections::HashSet;
use std::sync::Arc;

use engine::figures::Conclusions;
use engine::ingest::{Format, TextEncoding};
use engine::{AnalysisConfig, DataProfile, ScoredEvent};

use crate::dashboard::{LIVE, LIVE_LOGINS, LiveSpan};
use crate::detection::{DetectionChoices, summarise_scored};
use crate::error::RunError;
use crate::kept::KeptRun;
use crate::monitor::Monitor;
use crate::runs::{DetectionService, blocking};
use crate::source::SourceName;
use crate::views::RunView;

/// A source's monitored logins of `span` (the latest [`LIVE_LOGINS`] of them) as a run in
/// memory, concluded on.
pub async fn monitored_view(
    service: &DetectionService,
    monitor: &Monitor,
    source: SourceName,
    span: LiveSpan,
) -> Result<RunView, RunError> {
    let events = monitor
        .between(&source, span.from_ms, span.to_ms, LIVE_LOGINS)
        .await?;
    let config = service.config.clone();
    let geo_data = service.geo.data_version();
    blocking(move || {
        let conclusions = Conclusions::recompute(&events, &config);
        let kept = monitored_run(&source, &span, events, config, geo_data, &conclusions);
        RunView::concluded(kept, conclusions)
    })
    .await
}

/// What a source's monitored logins of `span` are called, wherever they are shown.
pub fn monitored_name(source: &SourceName, span: &LiveSpan) -> String {
    format!("Monitored logins of source {source}, {}", span.described)
}

/// The run of `events`, a source's monitored logins of `span` in time order.
pub fn monitored_run(
    source: &SourceName,
    span: &LiveSpan,
    events: Vec<ScoredEvent>,
    config: AnalysisConfig,
    geo_data: Option<String>,
    conclusions: &Conclusions,
) -> KeptRun {
    let mut summary = summarise_scored(
        LIVE.to_owned(),
        monitored_name(source, span),
        profile_of(&events),
        DetectionChoices::default(),
        &events,
        conclusions,
        &config,
        geo_data,
        0,
    );
    summary.source = source.clone();
    KeptRun {
        summary,
        settings: config,
        events,
        logins: Arc::from([]),
    }
}

/// What is known of monitored logins as a profile: they were accepted one record at a time
/// (rejected records are counted by the monitor, not by span), so every one counts as read.
fn profile_of(events: &[ScoredEvent]) -> DataProfile {
    let count =
        |success: Option<bool>| events.iter().filter(|e| e.success == success).count() as u64;
    let logins = events.len() as u64;
    DataProfile {
        format: Format::Csv,
        encoding: TextEncoding::Utf8,
        gzip: false,
        physical_lines: logins,
        rows_read: logins,
        accepted: logins,
        rejected: 0,
        skipped: Default::default(),
        rejected_rows: Vec::new(),
        distinct_users: events
            .iter()
            .map(|e| &*e.user_id)
            .collect::<HashSet<_>>()
            .len() as u64,
        distinct_ips: events.iter().map(|e| e.ip).collect::<HashSet<_>>().len() as u64,
        first_timestamp_ms: events.iter().map(|e| e.timestamp_ms).min(),
        last_timestamp_ms: events.iter().map(|e| e.timestamp_ms).max(),
        successes: count(Some(true)),
        failures: count(Some(false)),
        interrupted: 0,
        columns: Vec::new(),
        extra_columns: Vec::new(),
        further_rejected_rows: Arc::from([]),
    }
}
