//! What the server is doing, as it happens: analyses being scored and kept, monitored logins
//! scored. Pages that show kept results (the dashboard) follow it to update by themselves.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activity {
    /// An upload is being scored: `done` of `total` logins.
    Scoring {
        file_name: String,
        done: u64,
        total: u64,
    },
    /// An analysis was kept: a new upload, or a kept one scored again.
    Kept { id: String, file_name: String },
    /// The monitor kept `scored` logins of `source` (`high_or_above` of them High or Critical).
    Monitored {
        source: String,
        scored: u64,
        high_or_above: u64,
    },
}

impl Activity {
    /// Whether other processes sharing the database are told of it: what was kept, not the
    /// progress of one upload's scoring (which only the server that scores it shows).
    pub fn is_shared(&self) -> bool {
        !matches!(self, Self::Scoring { .. })
    }
}

/// Activity told to every process sharing a PostgreSQL database (servers and scoring workers),
/// so a page follows what any of them did; `origin` tells a process its own announcements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    pub origin: String,
    pub activity: Activity,
}

#[cfg(feature = "runtime")]
pub use feed::{ActivityFeed, Told};

#[cfg(feature = "runtime")]
mod feed {
    use tokio::sync::{broadcast, watch};

    use super::Activity;

    /// Messages held for a listener that falls behind; it then skips to the newest.
    const BACKLOG: usize = 64;

    /// Activity with where it happened.
    #[derive(Clone, Debug)]
    pub struct Told {
        pub activity: Activity,
        /// In this process (not announced by another sharing the database).
        pub here: bool,
    }

    /// Fans the server's activity out to every open page that follows it.
    #[derive(Clone)]
    pub struct ActivityFeed {
        sender: broadcast::Sender<Told>,
        /// Set when the server shuts down, so followers' streams end and do not hold it open.
        closing: watch::Sender<bool>,
    }

    impl Default for ActivityFeed {
        fn default() -> Self {
            Self {
                sender: broadcast::channel(BACKLOG).0,
                closing: watch::channel(false).0,
            }
        }
    }

    impl ActivityFeed {
        /// Tells whoever listens now of what this process did; nobody listening is fine.
        pub fn send(&self, activity: Activity) {
            let _ = self.sender.send(Told {
                activity,
                here: true,
            });
        }

        /// Tells whoever listens now of what another process announced.
        pub fn tell_from_elsewhere(&self, activity: Activity) {
            let _ = self.sender.send(Told {
                activity,
                here: false,
            });
        }

        pub fn subscribe(&self) -> broadcast::Receiver<Told> {
            self.sender.subscribe()
        }

        /// Ends every follower's stream (the server is stopping).
        pub fn close(&self) {
            self.closing.send_replace(true);
        }

        /// Becomes `true` when the server stops.
        pub fn closing(&self) -> watch::Receiver<bool> {
            self.closing.subscribe()
        }
    }
}
