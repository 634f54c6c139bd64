//! Indexer acknowledgement by channel for the HEC collector, as Splunk's shippers use it (Vector's
//! `splunk_hec` sinks ask for it by default): a request that names a channel
//! (`X-Splunk-Request-Channel`, or `?channel=`) is answered with an `ackId`, numbered from 0 in
//! each channel, and `POST /services/collector/ack` says which of a channel's ids are kept. Sky
//! Trace answers only once every event of a request is kept, so each id it gave is kept; an id it
//! never gave (or gave before a restart) is not, and the shipper sends those events again (a
//! login already kept is then a duplicate, not kept twice).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::extract::Query;
use axum::http::Uri;

/// Channels remembered at most; past it the least recently used is forgotten.
pub const MAX_CHANNELS: usize = 10_000;
/// Longest channel name (Splunk's are GUIDs).
const MAX_CHANNEL_CHARS: usize = 128;

/// The header naming a request's channel.
pub const CHANNEL_HEADER: &str = "x-splunk-request-channel";

#[derive(Debug, Default)]
pub struct HecChannels {
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    channels: HashMap<String, Channel>,
    /// Uses so far, to find the least recently used channel.
    uses: u64,
}

#[derive(Debug)]
struct Channel {
    next_ack_id: u64,
    last_used: u64,
}

/// Why a channel name cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidChannel;

#[derive(serde::Deserialize)]
struct ChannelQuery {
    channel: Option<String>,
}

/// A request's channel, from its header or its `channel` query parameter: `None` without one.
pub fn channel_of(header: Option<&[u8]>, uri: &Uri) -> Result<Option<String>, InvalidChannel> {
    let named = match header {
        Some(bytes) => Some(
            std::str::from_utf8(bytes)
                .map_err(|_| InvalidChannel)?
                .to_owned(),
        ),
        None => {
            Query::<ChannelQuery>::try_from_uri(uri)
                .map_err(|_| InvalidChannel)?
                .0
                .channel
        }
    };
    match named {
        None => Ok(None),
        Some(name) => {
            let name = name.trim();
            let valid = !name.is_empty()
                && name.chars().count() <= MAX_CHANNEL_CHARS
                && name.chars().all(|c| c.is_ascii_graphic());
            if valid {
                Ok(Some(name.to_owned()))
            } else {
                Err(InvalidChannel)
            }
        }
    }
}

impl HecChannels {
    /// The channels, counting one more use.
    fn used(&self) -> (std::sync::MutexGuard<'_, Held>, u64) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.uses += 1;
        let uses = held.uses;
        (held, uses)
    }

    /// The next id of `channel`, given to a request whose events are all kept.
    pub fn acknowledge(&self, channel: &str) -> u64 {
        let (mut held, uses) = self.used();
        if !held.channels.contains_key(channel) && held.channels.len() >= MAX_CHANNELS {
            let oldest = held
                .channels
                .iter()
                .min_by_key(|(_, channel)| channel.last_used)
                .map(|(name, _)| name.clone());
            if let Some(oldest) = oldest {
                held.channels.remove(&oldest);
            }
        }
        let entry = held.channels.entry(channel.to_owned()).or_insert(Channel {
            next_ack_id: 0,
            last_used: uses,
        });
        entry.last_used = uses;
        entry.next_ack_id += 1;
        entry.next_ack_id - 1
    }

    /// Whether each of `ids` was given in `channel` (and so is kept), by id.
    pub fn status(&self, channel: &str, ids: &[u64]) -> BTreeMap<String, bool> {
        let (mut held, uses) = self.used();
        let given = match held.channels.get_mut(channel) {
            Some(known) => {
                known.last_used = uses;
                known.next_ack_id
            }
            None => 0,
        };
        ids.iter().map(|&id| (id.to_string(), id < given)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_per_channel_and_only_given_ones_are_kept() {
        let channels = HecChannels::default();
        assert_eq!(channels.acknowledge("a"), 0);
        assert_eq!(channels.acknowledge("a"), 1);
        assert_eq!(channels.acknowledge("b"), 0);
        let status = channels.status("a", &[0, 1, 2]);
        assert_eq!(
            status,
            BTreeMap::from([
                ("0".to_owned(), true),
                ("1".to_owned(), true),
                ("2".to_owned(), false)
            ])
        );
        assert_eq!(
            channels.status("unknown", &[0]),
            BTreeMap::from([("0".to_owned(), false)])
        );
    }

    #[test]
    fn the_least_recently_used_channel_is_forgotten_past_the_limit() {
        let channels = HecChannels::default();
        for number in 0..MAX_CHANNELS {
            channels.acknowledge(&format!("channel-{number}"));
        }
        channels.acknowledge("channel-0");
        channels.acknowledge("one-more");
        let held = channels.held.lock().unwrap();
        assert_eq!(held.channels.len(), MAX_CHANNELS);
        assert!(held.channels.contains_key("channel-0"));
        assert!(!held.channels.contains_key("channel-1"));
    }

    #[test]
    fn a_channel_comes_from_the_header_or_the_query() {
        let guid = "0A0B0C0D-1111-2222-3333-444455556666";
        let uri = |query: &str| -> Uri { format!("/services/collector{query}").parse().unwrap() };
        assert_eq!(channel_of(None, &uri("")), Ok(None));
        assert_eq!(
            channel_of(Some(guid.as_bytes()), &uri("?channel=other")),
            Ok(Some(guid.to_owned()))
        );
        assert_eq!(
            channel_of(None, &uri(&format!("?index=x&channel={guid}"))),
            Ok(Some(guid.to_owned()))
        );
        assert_eq!(channel_of(Some(b" "), &uri("")), Err(InvalidChannel));
        assert_eq!(
            channel_of(Some(b"two words"), &uri("")),
            Err(InvalidChannel)
        );
        assert_eq!(
            channel_of(None, &uri(&format!("?channel={}", "x".repeat(129)))),
            Err(InvalidChannel)
        );
    }
}
