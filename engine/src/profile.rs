//! A dataset's vital signs: what an analyst checks before trusting an analysis.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ingest::{Format, IngestError, IngestOptions, Ingested, Rejection, TextEncoding, read};

/// How many rejected rows a profile lists; the count is always complete.
pub const MAX_LISTED_REJECTIONS: usize = 100;

/// Counts and ranges of one input. Shared by the CLI, the server and the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataProfile {
    pub format: Format,
    pub encoding: TextEncoding,
    pub gzip: bool,
    /// Lines of the input, header and blank lines included; every one of them is in a record
    /// (or is the header, or blank): a quote cannot make lines vanish (0 in profiles stored
    /// before it was counted).
    #[serde(default)]
    pub physical_lines: u64,
    /// Records read; always `accepted + rejected + skipped`.
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Records that are not sign-ins, by event type or program.
    pub skipped: BTreeMap<String, u64>,
    /// The first [`MAX_LISTED_REJECTIONS`] rejected rows, in file order.
    pub rejected_rows: Vec<RejectedRow>,
    pub distinct_users: u64,
    pub distinct_ips: u64,
    pub first_timestamp_ms: Option<i64>,
    pub last_timestamp_ms: Option<i64>,
    pub successes: u64,
    pub failures: u64,
    /// Accepted sign-ins the identity provider interrupted to ask for more (MFA, consent, …).
    #[serde(default)]
    pub interrupted: u64,
    pub columns: Vec<String>,
    pub extra_columns: Vec<String>,
    /// The rejected rows after [`Self::rejected_rows`] that the reading kept (up to
    /// [`crate::ingest::MAX_KEPT_REJECTIONS`] in all), so that where the profile is computed
    /// every one of them can be downloaded. Filled by [`profile_log`]; never serialised, so a
    /// profile sent by the server or read back from storage has only the listed ones.
    #[serde(skip)]
    pub further_rejected_rows: Arc<[RejectedRow]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based record number.
    pub row: u64,
    /// Line where the record starts; `None` inside a JSON array.
    pub line: Option<u64>,
    pub reason: String,
}

impl RejectedRow {
    fn of(rejection: &Rejection) -> Self {
        Self {
            row: rejection.row,
            line: rejection.line,
            reason: rejection.reason.to_string(),
        }
    }

    /// "line 12" or "record 7".
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}"),
            None => format!("record {}", self.row),
        }
    }
}

impl DataProfile {
    pub fn of(ingested: &Ingested) -> Self {
        let events = &ingested.events;
        Self {
            format: ingested.format,
            encoding: ingested.encoding,
            gzip: ingested.gzip,
            physical_lines: ingested.physical_lines,
            rows_read: ingested.rows_read,
            accepted: events.len() as u64,
            rejected: ingested.rejected,
            skipped: ingested.skipped.clone(),
            rejected_rows: ingested
                .rejections
                .iter()
                .take(MAX_LISTED_REJECTIONS)
                .map(RejectedRow::of)
                .collect(),
            distinct_users: ingested.distinct_users() as u64,
            distinct_ips: ingested.distinct_ips() as u64,
            first_timestamp_ms: events.iter().map(|event| event.timestamp_ms).min(),
            last_timestamp_ms: events.iter().map(|event| event.timestamp_ms).max(),
            successes: events
                .iter()
                .filter(|event| event.success == Some(true))
                .count() as u64,
            failures: events
                .iter()
                .filter(|event| event.success == Some(false))
                .count() as u64,
            interrupted: events.iter().filter(|event| event.interrupted).count() as u64,
            columns: ingested.columns.clone(),
            extra_columns: ingested.extra_columns.clone(),
            further_rejected_rows: Arc::default(),
        }
    }

    /// Every rejected row this profile has: the listed ones, then the further ones.
    pub fn known_rejected_rows(&self) -> impl Iterator<Item = &RejectedRow> {
        self.rejected_rows
            .iter()
            .chain(self.further_rejected_rows.iter())
    }

    /// Whether [`Self::known_rejected_rows`] holds every rejected row of the input.
    pub fn knows_every_rejected_row(&self) -> bool {
        (self.rejected_rows.len() + self.further_rejected_rows.len()) as u64 == self.rejected
    }

    /// Accepted rows whose outcome the file does not say (neither success, failure nor an
    /// interrupt).
    pub fn outcome_unknown(&self) -> u64 {
        self.accepted - self.successes - self.failures - self.interrupted
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Reads a log and profiles it: the one function the CLI, the server and the browser all call.
/// The profile also holds the rejected rows beyond the listed ones, for a complete download.
pub fn profile_log(
    input: impl std::io::Read,
    options: &IngestOptions,
) -> Result<DataProfile, IngestError> {
    read(input, options, &mut ()).map(|ingested| {
        let mut profile = DataProfile::of(&ingested);
        profile.further_rejected_rows = ingested
            .rejections
            .iter()
            .skip(MAX_LISTED_REJECTIONS)
            .map(RejectedRow::of)
            .collect();
        profile
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_rejections_are_capped() {
        let mut csv = String::from("timestamp,user_id,ip_address,user_agent,success\n");
        for i in 0..150 {
            csv.push_str(&format!(
                "2026-03-02T08:{:02}:00Z,u{},10.0.0.{},UA,true\n",
                i % 60,
                i % 7,
                i % 5
            ));
            csv.push_str("not a time,bob,10.0.0.1,UA,false\n");
        }
        csv.push_str("2026-03-01T00:00:00Z,zoe,2001:db8::1,UA,false\n");
        let profile = profile_log(csv.as_bytes(), &IngestOptions::default()).unwrap();
        assert_eq!(profile.rows_read, 301);
        assert_eq!(profile.physical_lines, 302);
        assert_eq!(profile.accepted, 151);
        assert_eq!(profile.rejected, 150);
        assert_eq!(profile.rows_read, profile.accepted + profile.rejected);
        assert_eq!(profile.rejected_rows.len(), MAX_LISTED_REJECTIONS);
        assert_eq!(profile.known_rejected_rows().count(), 150);
        assert!(profile.knows_every_rejected_row());
        assert_eq!(profile.further_rejected_rows[0].line, Some(203));
        assert_eq!(profile.rejected_rows[0].line, Some(3));
        assert!(profile.rejected_rows[0].reason.contains("not a time"));
        assert_eq!(profile.distinct_users, 8);
        assert_eq!(profile.distinct_ips, 6);
        assert_eq!(profile.successes, 150);
        assert_eq!(profile.failures, 1);
        assert_eq!(profile.outcome_unknown(), 0);
        assert_eq!(profile.first_timestamp_ms, Some(1_772_323_200_000));
        assert_eq!(
            crate::time::format_utc(profile.last_timestamp_ms.unwrap()),
            "2026-03-02T08:59:00Z"
        );

        let sent = serde_json::to_string(&profile).unwrap();
        let received: DataProfile = serde_json::from_str(&sent).unwrap();
        assert!(received.further_rejected_rows.is_empty());
        assert_eq!(
            received.known_rejected_rows().count(),
            MAX_LISTED_REJECTIONS
        );
        assert!(!received.knows_every_rejected_row());
    }

    #[test]
    fn lines_records_and_outcomes_add_up() {
        let csv = "timestamp,user_id,ip_address,success\n\
                   2026-03-02T08:00:00Z,ann,192.0.2.1,Success\n\
                   \n\
                   2026-03-02T08:01:00Z,\"bob,192.0.2.2,Failure\n\
                   2026-03-02T08:02:00Z,cid,192.0.2.3,Interrupted\n\
                   2026-03-02T08:03:00Z,dan,192.0.2.4,\n";
        let profile = profile_log(csv.as_bytes(), &IngestOptions::default()).unwrap();
        assert_eq!(profile.physical_lines, 6);
        assert_eq!(
            (profile.rows_read, profile.accepted, profile.rejected),
            (4, 3, 1)
        );
        assert_eq!(
            (
                profile.successes,
                profile.failures,
                profile.interrupted,
                profile.outcome_unknown()
            ),
            (1, 0, 1, 1)
        );
        assert_eq!(profile.rejected_rows[0].line, Some(4));
    }

    #[test]
    fn profile_survives_a_json_round_trip() {
        let csv =
            "timestamp,user_id,ip_address,user_agent\n2026-03-02T08:00:00Z,ann,192.0.2.1,UA\n";
        let profile = profile_log(csv.as_bytes(), &IngestOptions::default()).unwrap();
        let json = serde_json::to_string(&profile).unwrap();
        assert_eq!(serde_json::from_str::<DataProfile>(&json).unwrap(), profile);
        assert_eq!(profile.outcome_unknown(), 1);
    }
}
