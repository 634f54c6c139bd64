//! The record of what was sent where, for deduplication and rate limits. `SentLog` is the
//! interface (a database can back it); `JsonSentLog` keeps it in one JSON file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One delivered alert on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEntry {
    pub channel: String,
    pub key: String,
    pub sent_at_ms: i64,
    /// Delivered inside a digest: counts for deduplication, not for the hourly limit.
    #[serde(default)]
    pub in_digest: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SentLogError {
    #[error("cannot read sent-log {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sent-log {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write sent-log {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub trait SentLog {
    fn was_sent(&self, channel: &str, key: &str) -> bool;
    /// Messages (digests excluded) sent on `channel` at or after `since_ms`.
    fn sent_since(&self, channel: &str, since_ms: i64) -> usize;
    /// Records deliveries and makes them durable.
    fn record(&mut self, entries: &[SentEntry]) -> Result<(), SentLogError>;
}

/// A sent-log in a JSON file, rewritten atomically (temporary file, then rename) on each record.
#[derive(Debug)]
pub struct JsonSentLog {
    path: PathBuf,
    entries: Vec<SentEntry>,
}

impl JsonSentLog {
    /// Opens the file, or starts empty when it does not exist yet.
    pub fn open(path: &Path) -> Result<Self, SentLogError> {
        let entries = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| SentLogError::Parse {
                path: path.to_owned(),
                source,
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(SentLogError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }

    pub fn entries(&self) -> &[SentEntry] {
        &self.entries
    }

    fn save(&self) -> Result<(), SentLogError> {
        let write_error = |source| SentLogError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".tmp");
        let bytes = serde_json::to_vec_pretty(&self.entries)
            .map_err(|error| write_error(std::io::Error::other(error)))?;
        std::fs::write(&temporary, bytes).map_err(write_error)?;
        std::fs::rename(&temporary, &self.path).map_err(write_error)
    }
}

impl SentLog for JsonSentLog {
    fn was_sent(&self, channel: &str, key: &str) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.channel == channel && entry.key == key)
    }

    fn sent_since(&self, channel: &str, since_ms: i64) -> usize {
        self.entries
            .iter()
            .filter(|entry| {
                entry.channel == channel && !entry.in_digest && entry.sent_at_ms >= since_ms
            })
            .count()
    }

    fn record(&mut self, entries: &[SentEntry]) -> Result<(), SentLogError> {
        self.entries.extend_from_slice(entries);
        self.save()
    }
}
