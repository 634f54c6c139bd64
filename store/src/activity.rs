//! Activity announced between the processes sharing a PostgreSQL database (`NOTIFY` on one
//! channel): a worker's verdicts and another server's kept analyses reach every server's open
//! pages. SQLite serves one process, so nothing is announced there.

use service::activity::Announcement;
use service::ports::StoreError;
use sqlx::postgres::PgListener;

use super::{Backend, Failure, Store, logged};

const ACTIVITY_CHANNEL: &str = "skytrace_activity";

/// Announcements of every process (this one's included), as they arrive.
pub struct Announcements {
    listener: PgListener,
}

impl Announcements {
    /// The next announcement. A lost connection is made again on the way (what was announced
    /// meanwhile is missed: pages catch up on the next); an error means it could not be.
    pub async fn next(&mut self) -> Result<Announcement, StoreError> {
        loop {
            let notification = logged(self.listener.recv().await.map_err(Failure::from))?;
            match serde_json::from_str(notification.payload()) {
                Ok(announcement) => return Ok(announcement),
                Err(error) => {
                    tracing::warn!(%error, "an announcement of another process is not understood; passed over");
                }
            }
        }
    }
}

impl Store {
    /// Tells every process listening (nobody listening is fine).
    pub async fn announce(&self, announcement: &Announcement) -> Result<(), StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        logged(self.notify(announcement).await)
    }

    async fn notify(&self, announcement: &Announcement) -> super::Result<()> {
        let payload = serde_json::to_string(announcement)?;
        sqlx::query("SELECT 1 AS told FROM pg_notify($1, $2)")
            .bind(ACTIVITY_CHANNEL)
            .bind(payload)
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    /// Listens for announcements on a connection of its own; `None` on SQLite.
    pub async fn announcements(&self) -> Result<Option<Announcements>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let listening = async {
            let mut listener = PgListener::connect(&self.url).await?;
            listener.listen(ACTIVITY_CHANNEL).await?;
            Ok(Announcements { listener })
        };
        logged(listening.await).map(Some)
    }
}
