use std::time::{Duration, Instant};

use server::web::auth::limiter::*;

fn limiter() -> LoginLimiter {
    LoginLimiter::new(LimitSettings {
        per_account: 3,
        per_address: 5,
        window: Duration::from_secs(60),
    })
}

#[test]
fn an_account_is_throttled_after_its_failures_until_the_window_passes() {
    let limiter = limiter();
    let start = Instant::now();
    let address = Some("203.0.113.9".parse().unwrap());
    for second in 0..3 {
        assert_eq!(limiter.retry_after("alice", address, start), None);
        limiter.failed("Alice", address, start + Duration::from_secs(second));
    }
    let later = start + Duration::from_secs(10);
    assert_eq!(
        limiter.retry_after("alice", None, later),
        Some(Duration::from_secs(50))
    );
    assert_eq!(
        limiter.retry_after("bob", None, later),
        None,
        "other accounts are not affected"
    );
    assert_eq!(
        limiter.retry_after("alice", None, start + Duration::from_secs(61)),
        None
    );
}

#[test]
fn one_address_guessing_many_accounts_is_throttled() {
    let limiter = limiter();
    let now = Instant::now();
    let address = Some("198.51.100.4".parse().unwrap());
    for name in ["a", "b", "c", "d", "e"] {
        limiter.failed(name, address, now);
    }
    assert!(limiter.retry_after("f", address, now).is_some());
    assert_eq!(
        limiter.retry_after("f", Some("198.51.100.5".parse().unwrap()), now),
        None
    );
}

#[test]
fn success_clears_the_account() {
    let limiter = limiter();
    let now = Instant::now();
    for _ in 0..3 {
        limiter.failed("carol", None, now);
    }
    assert!(limiter.retry_after("carol", None, now).is_some());
    limiter.succeeded("carol");
    assert_eq!(limiter.retry_after("carol", None, now), None);
}
