//! The activity feed shared by every process of an installation on PostgreSQL: what this
//! server did is announced to the others, and what they announce (a worker's verdicts, another
//! server's kept analyses) reaches this server's open pages as if it happened here.

use std::sync::Arc;
use std::time::Duration;

use service::activity::{ActivityFeed, Announcement};
use store::Store;
use tokio::sync::broadcast::error::RecvError;

/// How long to wait before listening again after the database refused.
const LISTEN_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// A name for this process among those sharing the database (host and process id).
pub(crate) fn process_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "skytrace".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Relays between `feed` and the other processes while the server runs (PostgreSQL only: on
/// SQLite there are none), announcing this process as `origin` ([`process_name`]).
pub fn spawn(store: Arc<Store>, feed: ActivityFeed, origin: String) {
    tokio::spawn(announce_ours(
        Arc::clone(&store),
        feed.clone(),
        origin.clone(),
    ));
    tokio::spawn(tell_theirs(store, feed, origin));
}

async fn announce_ours(store: Arc<Store>, feed: ActivityFeed, origin: String) {
    let mut told = feed.subscribe();
    loop {
        let told = match told.recv().await {
            Ok(told) => told,
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "activity not announced: the relay fell behind");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if told.here && told.activity.is_shared() {
            let announcement = Announcement {
                origin: origin.clone(),
                activity: told.activity,
            };
            // Pages refetch on the next announcement; a missed one is not worth a retry.
            let _ = store.announce(&announcement).await;
        }
    }
}

async fn tell_theirs(store: Arc<Store>, feed: ActivityFeed, origin: String) {
    loop {
        match store.announcements().await {
            Ok(None) => return,
            Ok(Some(mut announcements)) => {
                while let Ok(announcement) = announcements.next().await {
                    if announcement.origin != origin {
                        feed.tell_from_elsewhere(announcement.activity);
                    }
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(LISTEN_AGAIN_AFTER).await;
    }
}

#[cfg(test)]
mod tests {
    use service::activity::Activity;

    use super::*;

    /// Two servers on one PostgreSQL database: what one keeps reaches the other's pages, once,
    /// and progress of an upload stays with the server scoring it.
    #[tokio::test]
    async fn what_one_server_does_reaches_the_others_pages() {
        let url = match std::env::var("SKYTRACE_TEST_POSTGRES") {
            Ok(url) => url,
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!("CI must test PostgreSQL too: SKYTRACE_TEST_POSTGRES names none")
            }
            Err(_) => {
                eprintln!("no PostgreSQL (SKYTRACE_TEST_POSTGRES): nothing to relay between");
                return;
            }
        };
        let (first, second) = (ActivityFeed::default(), ActivityFeed::default());
        for (feed, origin) in [(&first, "first"), (&second, "second")] {
            let store = Arc::new(Store::open(&url).await.unwrap());
            spawn(store, feed.clone(), origin.to_owned());
        }
        let (mut on_first, mut on_second) = (first.subscribe(), second.subscribe());
        // The listeners connect on their own; announce until the second hears.
        let kept = Activity::Kept {
            id: "r-relayed".to_owned(),
            file_name: "relayed.csv".to_owned(),
        };
        let mut heard = None;
        for _ in 0..50 {
            first.send(Activity::Scoring {
                file_name: "relayed.csv".to_owned(),
                done: 1,
                total: 2,
            });
            first.send(kept.clone());
            if let Ok(Ok(told)) =
                tokio::time::timeout(Duration::from_millis(200), on_second.recv()).await
            {
                heard = Some(told);
                break;
            }
        }
        let heard = heard.expect("the second server heard the first");
        assert_eq!(heard.activity, kept, "only what is shared is announced");
        assert!(!heard.here);
        // The first hears only itself, never its own announcements back.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok(told) = on_first.try_recv() {
            assert!(
                told.here,
                "{told:?} came back to the server that announced it"
            );
        }
    }
}
