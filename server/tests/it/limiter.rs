use std::sync::Arc;
use std::time::Duration;

use server::web::auth::limiter::*;
use store::Store;

const SECOND_MS: i64 = 1_000;
/// An instant to start from (the limiter is given the time; it never reads the clock).
const START_MS: i64 = 1_800_000_000_000;

async fn limiter_on(store: Arc<Store>) -> LoginLimiter {
    LoginLimiter::new(
        LimitSettings {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        },
        store,
    )
}

async fn limiter() -> LoginLimiter {
    limiter_on(Arc::new(crate::support::fresh_store().await)).await
}

#[tokio::test]
async fn an_account_is_throttled_after_its_failures_until_the_window_passes() {
    let limiter = limiter().await;
    let address = Some("203.0.113.9".parse().unwrap());
    for second in 0..3 {
        assert_eq!(
            limiter
                .retry_after("alice", address, START_MS)
                .await
                .unwrap(),
            None
        );
        limiter
            .failed("Alice", address, START_MS + second * SECOND_MS)
            .await
            .unwrap();
    }
    let later = START_MS + 10 * SECOND_MS;
    assert_eq!(
        limiter.retry_after("alice", None, later).await.unwrap(),
        Some(Duration::from_secs(50))
    );
    assert_eq!(
        limiter.retry_after("bob", None, later).await.unwrap(),
        None,
        "other accounts are not affected"
    );
    assert_eq!(
        limiter
            .retry_after("alice", None, START_MS + 61 * SECOND_MS)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled() {
    let limiter = limiter().await;
    let address = Some("198.51.100.4".parse().unwrap());
    for name in ["a", "b", "c", "d", "e"] {
        limiter.failed(name, address, START_MS).await.unwrap();
    }
    assert!(
        limiter
            .retry_after("f", address, START_MS)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        limiter
            .retry_after("f", Some("198.51.100.5".parse().unwrap()), START_MS)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn success_clears_the_account() {
    let limiter = limiter().await;
    for _ in 0..3 {
        limiter.failed("carol", None, START_MS).await.unwrap();
    }
    assert!(
        limiter
            .retry_after("carol", None, START_MS)
            .await
            .unwrap()
            .is_some()
    );
    limiter.succeeded("carol").await.unwrap();
    assert_eq!(
        limiter.retry_after("carol", None, START_MS).await.unwrap(),
        None
    );
}

/// Two servers sharing one database (two stores, as two processes have): failures sent to one
/// throttle the account on the other, and a restart forgets nothing.
#[tokio::test]
async fn servers_sharing_a_database_throttle_together() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url(data_dir.path());
    let first = limiter_on(Arc::new(Store::open(&url).await.unwrap())).await;
    let second = limiter_on(Arc::new(Store::open(&url).await.unwrap())).await;
    first.failed("dave", None, START_MS).await.unwrap();
    second
        .failed("dave", None, START_MS + SECOND_MS)
        .await
        .unwrap();
    first
        .failed("dave", None, START_MS + 2 * SECOND_MS)
        .await
        .unwrap();
    assert_eq!(
        second
            .retry_after("dave", None, START_MS + 3 * SECOND_MS)
            .await
            .unwrap(),
        Some(Duration::from_secs(57))
    );
    let restarted = limiter_on(Arc::new(Store::open(&url).await.unwrap())).await;
    assert!(
        restarted
            .retry_after("dave", None, START_MS + 3 * SECOND_MS)
            .await
            .unwrap()
            .is_some()
    );
    // Failures older than the window are forgotten as new ones arrive.
    restarted
        .failed("erin", None, START_MS + 120 * SECOND_MS)
        .await
        .unwrap();
    assert_eq!(
        restarted
            .retry_after("dave", None, START_MS + 3 * SECOND_MS)
            .await
            .unwrap(),
        None
    );
}
