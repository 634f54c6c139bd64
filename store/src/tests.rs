use std::sync::atomic::{AtomicUsize, Ordering};

use engine::enrich::NoGeolocation;
use engine::{AnalysisConfig, IngestOptions, RiskLevel};
use service::detection::{DetectionChoices, EventOrder, EventQuery, summarise};
use service::kept::SavedRun;
use service::ports::{AccountStore, FeedbackStore, RunStore, SentLogStore};
use service::source::SourceName;

use super::*;

/// A store on a new SQLite file under the test's scratch directory.
pub async fn fresh_sqlite() -> Store {
    Store::open(&fresh_sqlite_url()).await.unwrap()
}

/// The address of a new SQLite file under the test's scratch directory.
fn fresh_sqlite_url() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "skytrace-store-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("skytrace.db"));
    Store::sqlite_url(&dir)
}

fn sample_run(csv: &[u8], name: &str) -> SavedRun {
    let ingested = engine::read_slice(csv, &IngestOptions::default()).unwrap();
    let config = AnalysisConfig::default();
    let analysis = engine::analyze(&ingested.events, &config, &NoGeolocation, |_| {}).unwrap();
    let summary = summarise(
        service::runs::run_id(
            engine::digest::fnv1a64(&[csv, name.as_bytes()].concat()),
            &DetectionChoices::default(),
            &SourceName::default(),
        ),
        name.to_owned(),
        engine::DataProfile::of(&ingested),
        DetectionChoices::default(),
        &analysis,
        5,
    );
    SavedRun {
        summary,
        settings: config,
        rejections: ingested.rejections,
        events: analysis.events,
        logins: ingested.events.into(),
        created_ms: 1_772_409_600_000,
    }
}

fn sample_csv() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../public/sample/sample-logins.csv"
    ))
    .unwrap()
}

/// The triage grid's filters and orders, each alone and together: each must match some of the
/// sample's logins and leave some out (checked by the tests that use them).
fn triage_queries() -> Vec<EventQuery> {
    use engine::AccountStatus;
    use service::review::{Detection, Outcome, SourceFilter};
    vec![
        EventQuery {
            outcome: Some(Outcome::Failure),
            ..everything(EventOrder::UserAscending)
        },
        EventQuery {
            outcome: Some(Outcome::Success),
            min_score: 0.4,
            ..everything(EventOrder::UserDescending)
        },
        EventQuery {
            detections: vec![Detection::BruteForce, Detection::ImpossibleTravel],
            ..everything(EventOrder::LeastRiskyFirst)
        },
        EventQuery {
            account: Some(AccountStatus::Compromised),
            ..everything(EventOrder::NewestFirst)
        },
        EventQuery {
            source: SourceFilter::parse("185.159.157.0/24").unwrap(),
            ..everything(EventOrder::RiskiestFirst)
        },
        EventQuery {
            min_score: 0.4,
            outcome: Some(Outcome::Success),
            account: Some(AccountStatus::Clean),
            page: 1,
            ..everything(EventOrder::UserAscending)
        },
    ]
}

fn everything(order: EventOrder) -> EventQuery {
    EventQuery {
        min_score: 0.0,
        level: None,
        user: String::new(),
        order,
        page: 0,
        ..EventQuery::default()
    }
}

#[tokio::test]
async fn a_run_is_kept_and_paged_like_in_memory() {
    let store = fresh_sqlite().await;
    let csv = sample_csv();
    let run = sample_run(&csv, "sample.csv");
    let id = run.summary.id.clone();
    let expected_summary = run.summary.clone();
    let events = run.events.clone();
    let accounts = service::detection::account_statuses(&events, &run.settings);
    store.save(&run).await.unwrap();

    assert_eq!(store.summary(&id).await.unwrap(), Some(expected_summary));
    for query in [
        everything(EventOrder::RiskiestFirst),
        everything(EventOrder::NewestFirst),
        EventQuery {
            min_score: 0.7,
            level: Some(RiskLevel::Critical),
            ..everything(EventOrder::OldestFirst)
        },
        EventQuery {
            user: "AVA.".to_owned(),
            page: 1,
            ..everything(EventOrder::RiskiestFirst)
        },
        EventQuery {
            page: 10_000,
            ..everything(EventOrder::RiskiestFirst)
        },
        EventQuery {
            min_level: Some(RiskLevel::High),
            from_ms: Some(1_772_928_000_000),
            to_ms: Some(1_773_532_800_000),
            ..everything(EventOrder::NewestFirst)
        },
    ]
    .into_iter()
    .chain(triage_queries())
    {
        let stored = store.page(&id, &query).await.unwrap().unwrap();
        assert_eq!(
            stored,
            service::detection::query_with(&events, &accounts, &query),
            "{query:?}"
        );
    }
    for query in triage_queries() {
        let matching = store.page(&id, &query).await.unwrap().unwrap().matching;
        assert!(
            matching > 0 && matching < events.len() as u64,
            "{matching} of {} logins for {query:?}",
            events.len()
        );
    }
    assert_eq!(store.summary("nope").await.unwrap(), None);
    assert_eq!(
        store
            .page("nope", &everything(EventOrder::NewestFirst))
            .await
            .unwrap(),
        None
    );
}

/// SQLite's plan for `sql`, one line per step.
async fn query_plan(store: &Store, sql: &str, binds: [&str; 2]) -> String {
    let mut explain = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
    for bind in binds {
        explain = explain.bind(bind.to_owned());
    }
    let steps = explain.fetch_all(&store.pool).await.unwrap();
    steps
        .iter()
        .map(|step| step.try_get::<String, _>("detail").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_login_and_a_users_logins_are_found_by_index_not_by_scanning_runs() {
    let store = fresh_sqlite().await;
    let csv = sample_csv();
    let run = sample_run(&csv, "sample.csv");
    let id = run.summary.id.clone();
    let event = run.events[run.events.len() / 2].clone();
    store.save(&run).await.unwrap();
    store.save(&sample_run(&csv, "again.csv")).await.unwrap();

    let login = query_plan(&store, grid::LOGIN_IN_RUN, [&id, &event.login_id()]).await;
    assert!(
        login.contains("USING INDEX scored_events_by_login"),
        "{login}"
    );
    let user = event.user_id.to_lowercase();
    let logins = query_plan(&store, USER_LOGINS_IN_SOURCE, [&user, "default"]).await;
    assert!(
        logins.contains("USING INDEX scored_events_by_user_everywhere"),
        "{logins}"
    );
    let (found, _) = store
        .load_login_in_run(&id, &event.login_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, event);
}

#[tokio::test]
async fn like_wildcards_in_a_search_match_themselves() {
    let store = fresh_sqlite().await;
    let csv = b"timestamp,user_id,ip_address,user_agent\n\
                2026-03-02T08:00:00Z,first_last,10.0.0.1,UA\n\
                2026-03-02T08:01:00Z,firstXlast,10.0.0.2,UA\n\
                2026-03-02T08:02:00Z,100%sure,10.0.0.3,UA\n";
    let run = sample_run(csv, "wild.csv");
    let id = run.summary.id.clone();
    store.save(&run).await.unwrap();
    let find = |user: &str| EventQuery {
        user: user.to_owned(),
        ..everything(EventOrder::OldestFirst)
    };
    let underscore = store.page(&id, &find("first_")).await.unwrap().unwrap();
    assert_eq!(underscore.matching, 1);
    assert_eq!(&*underscore.rows[0].user_id, "first_last");
    let percent = store.page(&id, &find("0%s")).await.unwrap().unwrap();
    assert_eq!(percent.matching, 1);
}

#[tokio::test]
async fn the_same_run_again_replaces_it_and_reopening_keeps_everything() {
    let url = fresh_sqlite_url();
    let csv = sample_csv();
    let id = {
        let store = Store::open(&url).await.unwrap();
        store.save(&sample_run(&csv, "a.csv")).await.unwrap();
        let run = sample_run(&csv, "a.csv");
        let id = run.summary.id.clone();
        store.save(&run).await.unwrap();
        id
    };
    let reopened = Store::open(&url).await.unwrap();
    let page = reopened
        .page(&id, &everything(EventOrder::NewestFirst))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.matching, 4_519);
    let rejected: i64 = sqlx::query("SELECT COUNT(*) AS n FROM analyses")
        .fetch_one(&reopened.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(rejected, 1);
}

/// A regression: a run saved while another writer held the SQLite database for more than five
/// seconds (another run of 200,000 logins being written) failed with "database is locked" and
/// its upload was answered 500. It waits for the other writer now.
#[tokio::test]
async fn a_run_saved_while_another_writer_holds_the_database_waits_for_it() {
    let url = fresh_sqlite_url();
    let store = Store::open(&url).await.unwrap();
    let other_writer = Store::open(&url).await.unwrap();
    let mut holding = other_writer.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO datasets (id, source_name, profile, created_ms) \
         VALUES ('held', 'held.csv', '{}', 0)",
    )
    .execute(&mut *holding)
    .await
    .unwrap();
    let release = async move {
        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        holding.rollback().await.unwrap();
    };
    let run = sample_run(&sample_csv(), "a.csv");
    let (saved, ()) = tokio::join!(store.save(&run), release);
    saved.unwrap();
    assert!(store.summary(&run.summary.id).await.unwrap().is_some());
}

#[tokio::test]
async fn rejected_records_are_kept_with_the_dataset() {
    let store = fresh_sqlite().await;
    let csv = b"timestamp,user_id,ip_address,user_agent\n\
                2026-03-02T08:00:00Z,ann,10.0.0.1,UA\n\
                soon,bob,10.0.0.2,UA\n";
    let run = sample_run(csv, "bad.csv");
    let id = run.summary.id.clone();
    store.save(&run).await.unwrap();
    let row =
        sqlx::query("SELECT record, line, reason FROM rejected_records WHERE dataset_id = $1")
            .bind(&id)
            .fetch_one(&store.pool)
            .await
            .unwrap();
    assert_eq!(row.try_get::<i64, _>("record").unwrap(), 2);
    assert_eq!(row.try_get::<Option<i64>, _>("line").unwrap(), Some(3));
    assert!(row.try_get::<String, _>("reason").unwrap().contains("soon"));
}

/// The PostgreSQL server `./dev test` starts (its URL in SKYTRACE_TEST_POSTGRES); `None`
/// without one, except under CI, which must test both databases.
pub fn postgres_url() -> Option<String> {
    match std::env::var("SKYTRACE_TEST_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI must test PostgreSQL too: SKYTRACE_TEST_POSTGRES names none")
        }
        Err(_) => {
            eprintln!("no PostgreSQL (SKYTRACE_TEST_POSTGRES): the test checks SQLite only");
            None
        }
    }
}

/// The same store code on a real PostgreSQL.
#[tokio::test]
async fn postgres_keeps_and_pages_runs_like_sqlite() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    // Opening again finds the schema up to date.
    let store_again = Store::open(&url).await.unwrap();
    let sqlite = fresh_sqlite().await;
    let csv = sample_csv();
    let run = sample_run(&csv, "postgres.csv");
    let id = run.summary.id.clone();
    store.save(&sample_run(&csv, "postgres.csv")).await.unwrap();
    sqlite.save(&run).await.unwrap();
    assert_eq!(
        store_again.summary(&id).await.unwrap(),
        sqlite.summary(&id).await.unwrap()
    );
    for query in [
        everything(EventOrder::RiskiestFirst),
        EventQuery {
            min_score: 0.7,
            level: Some(RiskLevel::High),
            user: "a_".to_owned(),
            ..everything(EventOrder::NewestFirst)
        },
        EventQuery {
            user: "AVA".to_owned(),
            page: 2,
            ..everything(EventOrder::OldestFirst)
        },
        EventQuery {
            min_level: Some(RiskLevel::Medium),
            from_ms: Some(1_772_928_000_000),
            to_ms: Some(1_773_532_800_000),
            ..everything(EventOrder::RiskiestFirst)
        },
    ]
    .into_iter()
    .chain(triage_queries())
    {
        // Verdicts aside: this PostgreSQL database may keep some from earlier test runs.
        let without_verdicts = |page: Option<service::detection::EventPage>| {
            page.map(|page| service::detection::EventPage {
                verdicts: Default::default(),
                ..page
            })
        };
        assert_eq!(
            without_verdicts(store.page(&id, &query).await.unwrap()),
            without_verdicts(sqlite.page(&id, &query).await.unwrap()),
            "{query:?}"
        );
    }
    let on_postgres = store.user_logins("AVA.Edwards", None).await.unwrap();
    let on_sqlite = sqlite.user_logins("AVA.Edwards", None).await.unwrap();
    let events = |runs: &[service::kept::UserLogins]| {
        runs.iter()
            .find(|run| run.analysis_id == id)
            .map(|run| run.events.clone())
    };
    assert!(events(&on_sqlite).is_some_and(|events| !events.is_empty()));
    assert_eq!(events(&on_postgres), events(&on_sqlite));
    feedback_round_trip(&store, "postgres").await;
    accounts_round_trip(&store, "postgres").await;
    rescore_round_trip(&store).await;
    monitored_round_trip(&store).await;
    partitions_round_trip(&store).await;
}

/// One dispatch at a time holds the notification log: a second waits until the first lets go,
/// whether it shares the first's store (SQLite) or is another process's (PostgreSQL, two pools).
async fn sent_log_is_held_by_one_at_a_time(first: &Store, second: &Store) {
    use std::time::Duration;

    let held = first.hold_sent_log().await.unwrap();
    let waiting = {
        let second = second.clone();
        tokio::spawn(async move { second.hold_sent_log().await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a second hold waits for the first");
    held.release().await.unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released, the second hold is taken")
        .unwrap();
    taken.release().await.unwrap();
    // A hold dropped unreleased lets go too.
    drop(first.hold_sent_log().await.unwrap());
    let again = tokio::time::timeout(Duration::from_secs(5), second.hold_sent_log())
        .await
        .expect("a dropped hold lets go");
    again.unwrap().release().await.unwrap();
}

#[tokio::test]
async fn the_notification_log_is_held_by_one_dispatch_at_a_time() {
    let store = fresh_sqlite().await;
    sent_log_is_held_by_one_at_a_time(&store, &store).await;
    if let Some(url) = postgres_url() {
        let (first, second) = (
            Store::open(&url).await.unwrap(),
            Store::open(&url).await.unwrap(),
        );
        sent_log_is_held_by_one_at_a_time(&first, &second).await;
    }
}

#[tokio::test]
async fn partitions_are_leased_once_and_verdicts_kept_once() {
    partitions_round_trip(&fresh_sqlite().await).await;
}

/// Leases taken by one worker at a time, checkpoints replaced whole, verdicts kept once.
async fn partitions_round_trip(store: &Store) {
    use service::monitor::ModelFits;
    use service::ports::{MonitoredLogin, PartitionCheckpoint, PartitionStore};

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let (first, second) = (format!("first-{stamp}"), format!("second-{stamp}"));
    assert_eq!(store.prepare_partitions(4).await.unwrap(), 4);
    assert_eq!(store.prepare_partitions(4).await.unwrap(), 4, "made once");
    // Far in the future, and later than every earlier run of the test (which ran seconds ago at
    // least), so that no lease or worker of one is held or live.
    let now = 4_000_000_000_000 + i64::try_from(stamp / 1_000_000).unwrap();
    assert_eq!(store.heartbeat(&first, now, now + 5_000).await.unwrap(), 1);
    assert_eq!(store.heartbeat(&second, now, now + 5_000).await.unwrap(), 2);
    assert_eq!(store.free_partitions(now).await.unwrap(), vec![0, 1, 2, 3]);
    assert!(store.take_lease(1, &first, now, now + 5_000).await.unwrap());
    assert!(
        !store
            .take_lease(1, &second, now, now + 5_000)
            .await
            .unwrap(),
        "held"
    );
    assert_eq!(
        store.renew_leases(&first, now + 6_000).await.unwrap(),
        vec![1]
    );
    // Expired: free to take.
    assert!(
        store
            .take_lease(1, &second, now + 7_000, now + 12_000)
            .await
            .unwrap()
    );
    assert_eq!(
        store.renew_leases(&first, now + 8_000).await.unwrap(),
        Vec::<u32>::new()
    );
    store.release_lease(1, &first).await.unwrap();
    assert_eq!(
        store.renew_leases(&second, now + 8_000).await.unwrap(),
        vec![1],
        "not the first's to release"
    );
    store.release_lease(1, &second).await.unwrap();
    assert!(store.free_partitions(now).await.unwrap().contains(&1));

    let acme = SourceName::parse("acme").unwrap();
    let other = SourceName::parse("other").unwrap();
    let partition = 1_000 + u32::try_from(stamp % 1_000).unwrap();
    assert_eq!(store.checkpoint(partition).await.unwrap(), None);
    let checkpoint = PartitionCheckpoint {
        through_sequence: 42,
        taken_ms: 7,
        sources: vec![(acme.clone(), vec![1, 2, 3]), (other.clone(), vec![0, 255])],
    };
    store.keep_checkpoint(partition, &checkpoint).await.unwrap();
    assert_eq!(store.checkpoint(partition).await.unwrap(), Some(checkpoint));
    let later = PartitionCheckpoint {
        through_sequence: 50,
        taken_ms: 9,
        sources: vec![(acme.clone(), vec![4])],
    };
    store.keep_checkpoint(partition, &later).await.unwrap();
    assert_eq!(store.checkpoint(partition).await.unwrap(), Some(later));

    let run = sample_run(&sample_csv(), "partitions.csv");
    let source = SourceName::parse(&format!("partition-test-{stamp}")).unwrap();
    let logins: Vec<MonitoredLogin> = (0..3)
        .map(|index| MonitoredLogin {
            sequence: 100 + index as i64,
            login_id: run.events[index].login_id(),
            // Older than every other test's logins: the purge below deletes before an instant.
            received_ms: 1 + 4 * index as i64,
            login: run.logins[index].clone(),
            scored: run.events[index].clone(),
            models: ModelFits::default(),
        })
        .collect();
    assert_eq!(
        store
            .keep_new_verdicts(&source, &logins[..2])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.keep_new_verdicts(&source, &logins).await.unwrap(),
        1,
        "the third only"
    );
    let ids: Vec<String> = logins.iter().map(|login| login.login_id.clone()).collect();
    let kept = store.kept_sequences(&source, &ids).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[&ids[2]], 102);
    // Retention: verdicts received before the instant go, of every source.
    store.purge_verdicts_received_before(6).await.unwrap();
    let kept = store.kept_sequences(&source, &ids).await.unwrap();
    assert_eq!(kept.keys().collect::<Vec<_>>(), [&ids[2]]);
}

#[tokio::test]
async fn monitored_logins_are_kept_with_their_models_and_read_by_time() {
    monitored_round_trip(&fresh_sqlite().await).await;
}

/// Monitored logins kept in a source of their own, read back in arrival order and by time.
async fn monitored_round_trip(store: &Store) {
    use service::monitor::ModelFits;
    use service::ports::{LearntState, MonitorStore, MonitoredLogin};

    let run = sample_run(&sample_csv(), "monitored.csv");
    // A new source per test run: a PostgreSQL database keeps earlier ones.
    let source = SourceName::parse(&format!(
        "monitor-test-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ))
    .unwrap();
    let logins: Vec<MonitoredLogin> = (0..5)
        .map(|index| MonitoredLogin {
            sequence: index as i64 + 1,
            login_id: run.events[index].login_id(),
            received_ms: 1_000 + index as i64,
            login: run.logins[index].clone(),
            scored: run.events[index].clone(),
            models: ModelFits {
                isolation_forest: index as u32,
                dbscan: 2 * index as u32,
            },
        })
        .collect();
    store.keep_monitored(&source, &logins[..3]).await.unwrap();
    store.keep_monitored(&source, &logins[3..]).await.unwrap();
    let kept = store.monitored(&source).await.unwrap();
    assert_eq!(
        kept.iter()
            .map(|login| (login.sequence, login.login_id.clone(), login.models))
            .collect::<Vec<_>>(),
        logins
            .iter()
            .map(|login| (login.sequence, login.login_id.clone(), login.models))
            .collect::<Vec<_>>()
    );
    assert!(store.monitored_sources().await.unwrap().contains(&source));
    // By id, in arrival order; ids not kept are passed over.
    let named = [
        logins[3].login_id.clone(),
        "F-000000000000".to_owned(),
        logins[1].login_id.clone(),
    ];
    assert_eq!(
        store.monitored_named(&source, &named).await.unwrap(),
        [run.logins[1].clone(), run.logins[3].clone()]
    );
    // By their own time: from the second login's until before the fifth's, the latest two.
    let time = |index: usize| run.events[index].timestamp_ms;
    assert!(time(1) < time(4));
    let between = store
        .monitored_between(&source, time(1), time(4), 2)
        .await
        .unwrap();
    let expected: Vec<_> = run.events[1..4]
        .iter()
        .filter(|event| event.timestamp_ms < time(4))
        .cloned()
        .collect();
    assert_eq!(between, expected[expected.len().saturating_sub(2)..]);

    // Purged: the first three go in the transaction that keeps the learnt state (bytes of
    // every value, and replaced by a later purge); the source is still listed without logins.
    assert_eq!(store.learnt_state(&source).await.unwrap(), None);
    let learnt = |through_sequence: i64| LearntState {
        through_sequence,
        taken_ms: 7_000 + through_sequence,
        state: (0..=255u8).chain([0, 255, 0]).collect(),
    };
    assert_eq!(
        store.purge_monitored(&source, &learnt(4), 3).await.unwrap(),
        3
    );
    let sequences = |kept: Vec<MonitoredLogin>| -> Vec<i64> {
        kept.iter().map(|login| login.sequence).collect()
    };
    assert_eq!(sequences(store.monitored(&source).await.unwrap()), [4, 5]);
    assert_eq!(store.learnt_state(&source).await.unwrap(), Some(learnt(4)));
    assert_eq!(
        store.purge_monitored(&source, &learnt(5), 5).await.unwrap(),
        2
    );
    assert_eq!(store.learnt_state(&source).await.unwrap(), Some(learnt(5)));
    assert!(store.monitored(&source).await.unwrap().is_empty());
    assert!(store.monitored_sources().await.unwrap().contains(&source));
}

#[tokio::test]
async fn recent_runs_are_listed_newest_first() {
    let store = fresh_sqlite().await;
    let mut older = sample_run(
        b"timestamp,user_id,ip_address\n2026-03-02T08:00:00Z,a,10.0.0.1\n",
        "old.csv",
    );
    older.created_ms = 1;
    let mut newer = sample_run(
        b"timestamp,user_id,ip_address\n2026-03-02T08:00:00Z,b,10.0.0.2\n",
        "new.csv",
    );
    newer.created_ms = 2;
    store.save(&older).await.unwrap();
    store.save(&newer).await.unwrap();
    let listed = store.recent(10, None).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|run| run.file_name.as_str()).collect();
    assert_eq!(names, ["new.csv", "old.csv"]);
    assert_eq!((listed[0].logins, listed[0].created_ms), (1, 2));
    assert_eq!(store.recent(1, None).await.unwrap().len(), 1);
}

/// Feedback, kept logins and re-scoring on `store` (SQLite or PostgreSQL, possibly not empty).
async fn feedback_round_trip(store: &Store, tag: &str) {
    use engine::VerdictKind;
    use service::triage::{AllowListEntry, TriageRecord};

    let csv = sample_csv();
    let run = sample_run(&csv, "feedback.csv");
    let id = run.summary.id.clone();
    let logins = run.logins.clone();
    let events = run.events.clone();
    store.save(&run).await.unwrap();
    assert_eq!(store.logins(&id).await.unwrap(), Some(logins.to_vec()));
    assert_eq!(store.logins("nope").await.unwrap(), None);

    // Another kept run with the first 100 logins: history for `id` comes from it only.
    let text = String::from_utf8(csv.clone()).unwrap();
    let head: Vec<&str> = text.lines().take(101).collect();
    let part = sample_run(format!("{}\n", head.join("\n")).as_bytes(), "part.csv");
    let part_id = part.summary.id.clone();
    store.save(&part).await.unwrap();
    let until_ms = logins[49].timestamp_ms;
    let nothing = std::collections::HashSet::new;
    let default = SourceName::default();
    let history = store
        .history(&default, until_ms, 1_000_000, &id, nothing())
        .await
        .unwrap();
    let own: std::collections::HashSet<String> =
        logins.iter().map(|login| login.login_id()).collect();
    assert!(history.len() >= 50, "{}", history.len());
    assert!(history.iter().all(|login| login.timestamp_ms <= until_ms));
    assert!(
        history
            .windows(2)
            .all(|pair| pair[0].timestamp_ms <= pair[1].timestamp_ms)
    );
    assert_eq!(history[..50], logins[..50], "in time order, each once");
    // The new run's own logins are left out, wherever else they were kept.
    let without_own = store
        .history(&default, until_ms, 1_000_000, &id, own.clone())
        .await
        .unwrap();
    assert!(
        without_own
            .iter()
            .all(|login| !own.contains(&login.login_id()))
    );
    let limited = store
        .history(&default, until_ms, 10, &part_id, nothing())
        .await
        .unwrap();
    // The latest `limit` rows before the run (fewer logins when other runs kept the same ones).
    assert!(
        !limited.is_empty() && limited.len() <= 10,
        "{}",
        limited.len()
    );
    assert!(logins[..50].ends_with(&limited));
    assert!(limited.iter().all(|login| own.contains(&login.login_id())));

    // Allow-list entries: insert, replace, delete.
    let entry_id = format!("AL-test-{tag}");
    store.delete_allow(&entry_id).await.unwrap();
    let entry = AllowListEntry {
        id: entry_id.clone(),
        source: SourceName::default(),
        kind: "user_country".to_owned(),
        value: "BR".to_owned(),
        user: Some("alice".to_owned()),
        reason: "travels".to_owned(),
        expires_ms: Some(i64::MAX),
        created_ms: 5,
        actor: "local".to_owned(),
    };
    store.save_allow(entry.clone()).await.unwrap();
    let replaced = AllowListEntry {
        reason: "lives there now".to_owned(),
        expires_ms: None,
        ..entry
    };
    store.save_allow(replaced.clone()).await.unwrap();
    let listed = store.allow_list(None).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .filter(|e| e.id == entry_id)
            .collect::<Vec<_>>(),
        [&replaced]
    );
    assert!(store.delete_allow(&entry_id).await.unwrap());
    assert!(!store.delete_allow(&entry_id).await.unwrap());

    // Verdicts: current and history, on the events page and where the login was scored.
    // The page's first login: the riskiest, the earliest of equal scores.
    let riskiest = events
        .iter()
        .min_by(|a, b| {
            b.risk_score
                .total_cmp(&a.risk_score)
                .then(a.timestamp_ms.cmp(&b.timestamp_ms))
                .then(a.row.cmp(&b.row))
        })
        .unwrap();
    let login_id = riskiest.login_id();
    let earlier = store
        .triage(&default, &login_id)
        .await
        .unwrap()
        .history
        .len();
    for (verdict, at_ms) in [
        (VerdictKind::Dismissed, 10),
        (VerdictKind::ConfirmedCompromised, 20),
    ] {
        store
            .record_triage(TriageRecord {
                source: default.clone(),
                login_id: login_id.clone(),
                verdict,
                comment: format!("{verdict:?}"),
                actor: "local".to_owned(),
                at_ms,
            })
            .await
            .unwrap();
    }
    let state = store.triage(&default, &login_id).await.unwrap();
    assert_eq!(state.history.len(), earlier + 2);
    assert_eq!(
        state.current.as_ref().unwrap().verdict,
        VerdictKind::ConfirmedCompromised
    );
    assert!(
        store
            .verdicts(&default)
            .await
            .unwrap()
            .contains(state.current.as_ref().unwrap())
    );
    let page = store
        .page(&id, &everything(EventOrder::RiskiestFirst))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.verdicts.get(&login_id),
        Some(&VerdictKind::ConfirmedCompromised)
    );
    let found = store.find_login(&login_id).await.unwrap();
    assert!(
        found
            .iter()
            .any(|scored| scored.analysis_id == id && &scored.event == riskiest)
    );

    // Re-scoring replaces the scores and the summary, and keeps the dataset.
    let mut rescored = sample_run(&csv, "feedback.csv");
    rescored.summary.elapsed_ms = 999;
    rescored.events[0].risk_score = 0.5;
    rescored.rejections.clear();
    let accounts = service::detection::account_statuses(&rescored.events, &rescored.settings);
    store.rescore(&rescored, &[0], &accounts).await.unwrap();
    let kept = store.run(&id).await.unwrap().unwrap();
    assert_eq!(kept.summary.elapsed_ms, 999);
    assert_eq!(kept.events[0].risk_score, 0.5);
    assert_eq!(kept.events.len(), events.len());
    // The notification log.
    let delivery = alerts::SentEntry {
        channel: "webhook".to_owned(),
        key: format!("INC-TEST-{tag}-{}", std::process::id()),
        sent_at_ms: 42,
        in_digest: true,
    };
    store
        .record_sent(Some(&id), std::slice::from_ref(&delivery))
        .await
        .unwrap();
    assert!(store.sent_entries().await.unwrap().contains(&delivery));

    let mut unknown = sample_run(
        b"timestamp,user_id,ip_address\n2026-03-02T08:00:00Z,z,10.0.0.9\n",
        "x.csv",
    );
    unknown.summary.id = "not-kept".to_owned();
    assert!(
        !store
            .rescore(&unknown, &[], &AccountStatuses::default())
            .await
            .unwrap(),
        "no such run to re-score"
    );
}

#[tokio::test]
async fn feedback_and_kept_logins_round_trip() {
    feedback_round_trip(&fresh_sqlite().await, "sqlite").await;
}

/// Accounts, sessions and API tokens; `tag` keeps names apart from earlier runs on a kept
/// PostgreSQL database.
async fn accounts_round_trip(store: &Store, tag: &str) {
    use service::account::{Role, TokenScope};
    use service::ports::ApiTokenListing;
    let suffix = format!("{tag}-{}", std::process::id());
    let (ana, root) = (format!("ana-{suffix}"), format!("root-{suffix}"));
    assert!(
        store
            .add_account(&ana, Role::Analyst, "hash-a", 1)
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_account(&ana, Role::Admin, "hash-b", 2)
            .await
            .unwrap(),
        "name taken"
    );
    assert!(
        store
            .add_account(&root, Role::Admin, "hash-r", 3)
            .await
            .unwrap()
    );
    let stored = store.account(&ana).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.account.role,
            stored.password_hash.as_str(),
            stored.created_ms
        ),
        (Role::Analyst, "hash-a", 1)
    );
    assert!(
        store
            .accounts()
            .await
            .unwrap()
            .iter()
            .any(|a| a.account.name == root && a.account.is_admin())
    );

    let (live, stale) = (format!("live-{suffix}"), format!("stale-{suffix}"));
    store
        .start_session(&stale, &ana, "csrf-1", 10, 20)
        .await
        .unwrap();
    store
        .start_session(&live, &ana, "csrf-2", 30, 1_000)
        .await
        .unwrap();
    let session = store.session(&live, 40).await.unwrap().unwrap();
    assert_eq!(
        (session.account.name.as_str(), session.csrf_token.as_str()),
        (ana.as_str(), "csrf-2")
    );
    assert!(session.account.signed_in);
    assert!(
        store.session(&stale, 15).await.unwrap().is_none(),
        "expired sessions are forgotten"
    );
    assert!(
        store.session(&live, 1_000).await.unwrap().is_none(),
        "and end on time"
    );

    let token = format!("digest-{suffix}");
    store
        .add_api_token(
            &format!("tok-{suffix}"),
            &token,
            &root,
            "CI",
            TokenScope::Api,
            50,
        )
        .await
        .unwrap();
    let shipper = format!("shipper-{suffix}");
    store
        .add_api_token(
            &format!("tok-s-{suffix}"),
            &shipper,
            &root,
            "Vector",
            TokenScope::Ingest,
            55,
        )
        .await
        .unwrap();
    let holder = store.api_token(&token, 60).await.unwrap().unwrap();
    assert_eq!(
        (holder.id, holder.account.role, holder.scope),
        (format!("tok-{suffix}"), Role::Admin, TokenScope::Api)
    );
    assert_eq!(
        store.api_token(&shipper, 61).await.unwrap().unwrap().scope,
        TokenScope::Ingest
    );
    let listed = store.api_tokens().await.unwrap();
    let listed: Vec<_> = listed
        .iter()
        .filter(|t| t.account == root)
        .map(|t| (t.label.as_str(), t.scope, t.last_used_ms))
        .collect();
    assert_eq!(
        listed,
        [
            ("CI", TokenScope::Api, Some(60)),
            ("Vector", TokenScope::Ingest, Some(61))
        ]
    );
    // Its last use is written at most once a minute (a shipper presents it with every batch).
    let last_used = |listed: Vec<ApiTokenListing>| {
        listed
            .into_iter()
            .find(|t| t.label == "CI" && t.account == root)
            .and_then(|t| t.last_used_ms)
    };
    store.api_token(&token, 30_000).await.unwrap().unwrap();
    assert_eq!(last_used(store.api_tokens().await.unwrap()), Some(60));
    store.api_token(&token, 60_060).await.unwrap().unwrap();
    assert_eq!(last_used(store.api_tokens().await.unwrap()), Some(60_060));

    assert!(
        store
            .reset_account(&ana, Role::Admin, "hash-new")
            .await
            .unwrap()
    );
    assert!(
        store.session(&live, 40).await.unwrap().is_none(),
        "a new password ends sessions"
    );
    assert_eq!(
        store.account(&ana).await.unwrap().unwrap().account.role,
        Role::Admin
    );
    assert!(store.remove_account(&root).await.unwrap());
    assert!(
        store.api_token(&token, 70).await.unwrap().is_none(),
        "tokens go with it"
    );
    assert!(!store.remove_account(&root).await.unwrap());
    assert!(store.remove_account(&ana).await.unwrap());
    assert!(
        !store
            .revoke_api_token(&format!("tok-{suffix}"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn accounts_sessions_and_tokens_round_trip() {
    accounts_round_trip(&fresh_sqlite().await, "sqlite").await;
}

/// A database as an earlier version left it: the same scripts applied by the old runner, which
/// recorded them in `schema_migrations`.
async fn legacy_database(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (version, name, sql) in MIGRATIONS {
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(name)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

/// What sqlx's table records: `(version, checksum matches the embedded script)`.
async fn recorded_migrations(store: &Store) -> Vec<(i64, bool)> {
    let migrator = migrator();
    sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let version: i64 = row.try_get("version").unwrap();
            let checksum: Vec<u8> = row.try_get("checksum").unwrap();
            let expected = migrator.iter().find(|m| m.version == version).unwrap();
            (version, checksum == expected.checksum.as_ref())
        })
        .collect()
}

async fn legacy_table_exists(store: &Store) -> bool {
    sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&store.pool)
        .await
        .is_ok()
}

#[tokio::test]
async fn an_earlier_versions_database_is_moved_to_sqlx_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url(dir.path());
    legacy_database(&url).await;
    let store = Store::open(&url).await.unwrap();
    let all: Vec<(i64, bool)> = MIGRATIONS.iter().map(|(v, ..)| (*v, true)).collect();
    assert_eq!(recorded_migrations(&store).await, all);
    assert!(!legacy_table_exists(&store).await);
    // The schema works, and opening again changes nothing.
    store
        .save(&sample_run(&sample_csv(), "moved.csv"))
        .await
        .unwrap();
    let again = Store::open(&url).await.unwrap();
    assert_eq!(recorded_migrations(&again).await, all);
    assert_eq!(again.recent(10, None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_changed_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url(dir.path());
    let store = Store::open(&url).await.unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 3")
        .bind(vec![0u8; 48])
        .execute(&store.pool)
        .await
        .unwrap();
    let error = Store::open(&url).await.err().expect("a changed script");
    assert!(
        matches!(error, OpenError::Migrate(Failure::Migration(_))),
        "{error}"
    );
}

/// Several servers starting together on one new PostgreSQL database: one migrates, the others
/// wait for its lock and find the schema up to date; and an earlier version's database moves.
#[tokio::test]
async fn postgres_migrates_once_under_its_lock_and_moves_an_earlier_database() {
    let Some(url) = postgres_url() else {
        return;
    };
    let admin = Store::open(&url).await.unwrap();
    let database = |name: &str| {
        let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
        format!("{base}/{name}")
    };
    let suffix = std::process::id();
    let (fresh, legacy) = (
        format!("skytrace_fresh_{suffix}"),
        format!("skytrace_legacy_{suffix}"),
    );
    for name in [&fresh, &legacy] {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .execute(&admin.pool)
            .await
            .unwrap();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin.pool)
            .await
            .unwrap();
    }
    let fresh_url = database(&fresh);
    let opened = futures_util::future::join_all((0..4).map(|_| Store::open(&fresh_url))).await;
    let all: Vec<(i64, bool)> = MIGRATIONS.iter().map(|(v, ..)| (*v, true)).collect();
    for store in opened {
        assert_eq!(recorded_migrations(&store.unwrap()).await, all);
    }
    let legacy_url = database(&legacy);
    legacy_database(&legacy_url).await;
    let moved = Store::open(&legacy_url).await.unwrap();
    assert_eq!(recorded_migrations(&moved).await, all);
    assert!(!legacy_table_exists(&moved).await);
}

/// Two sources keep apart: history, verdicts and allow-list entries of one never reach the
/// other, and each is listed with what it keeps.
#[tokio::test]
async fn sources_keep_their_history_and_feedback_apart() {
    use service::triage::{AllowListEntry, TriageRecord};

    let store = fresh_sqlite().await;
    let (acme, globex) = (
        SourceName::parse("acme").unwrap(),
        SourceName::parse("globex").unwrap(),
    );
    let csv = sample_csv();
    let mut in_acme = sample_run(&csv, "acme.csv");
    in_acme.summary.source = acme.clone();
    let login_id = in_acme.events[0].login_id();
    store.save(&in_acme).await.unwrap();
    let nothing = std::collections::HashSet::new;
    assert!(
        !store
            .history(&acme, i64::MAX, 1_000, "other", nothing())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .history(&globex, i64::MAX, 1_000, "other", nothing())
            .await
            .unwrap()
            .is_empty()
    );
    let entry = AllowListEntry {
        id: "AL-acme".to_owned(),
        source: acme.clone(),
        kind: "country".to_owned(),
        value: "NO".to_owned(),
        user: None,
        reason: "head office".to_owned(),
        expires_ms: None,
        created_ms: 1,
        actor: "local".to_owned(),
    };
    store.save_allow(entry.clone()).await.unwrap();
    assert_eq!(store.allow_list(Some(&acme)).await.unwrap(), [entry]);
    assert!(store.allow_list(Some(&globex)).await.unwrap().is_empty());
    store
        .record_triage(TriageRecord {
            source: acme.clone(),
            login_id: login_id.clone(),
            verdict: engine::VerdictKind::ConfirmedSafe,
            comment: String::new(),
            actor: "local".to_owned(),
            at_ms: 2,
        })
        .await
        .unwrap();
    assert_eq!(store.verdicts(&acme).await.unwrap().len(), 1);
    assert!(store.verdicts(&globex).await.unwrap().is_empty());
    assert!(
        store
            .triage(&globex, &login_id)
            .await
            .unwrap()
            .current
            .is_none()
    );
    let found = store.find_login(&login_id).await.unwrap();
    assert!(found.iter().all(|scored| scored.source == acme));
    let sources = store.sources().await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].name, acme);
    assert_eq!(sources[0].analyses, 1);
    assert!(sources[0].logins > 100);
    assert_eq!(store.recent(10, Some(&globex)).await.unwrap().len(), 0);
    assert_eq!(store.recent(10, Some(&acme)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn runs_kept_before_the_triage_columns_get_them_when_first_read() {
    let store = fresh_sqlite().await;
    let csv = sample_csv();
    let run = sample_run(&csv, "earlier.csv");
    let id = run.summary.id.clone();
    let events = run.events.clone();
    let accounts = service::detection::account_statuses(&events, &run.settings);
    store.save(&run).await.unwrap();
    // As an earlier version kept it: none of the grid's columns.
    sqlx::query(
        "UPDATE scored_events SET outcome = NULL, detections = NULL, account_status = NULL, \
         ip = NULL, network = NULL, asn = NULL, country = NULL WHERE analysis_id = $1",
    )
    .bind(&id)
    .execute(&store.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE analyses SET triage_columns = NULL WHERE id = $1")
        .bind(&id)
        .execute(&store.pool)
        .await
        .unwrap();
    for query in triage_queries() {
        assert_eq!(
            store.page(&id, &query).await.unwrap().unwrap(),
            service::detection::query_with(&events, &accounts, &query),
            "{query:?}"
        );
    }

    // One login of the run, with its account's verdict, for the side panel.
    let compromised = events
        .iter()
        .find(|event| {
            accounts.get(event.user_id.as_ref()) == Some(&engine::AccountStatus::Compromised)
        })
        .unwrap();
    let (found, status) = store
        .login_in_run(&id, &compromised.login_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&found, compromised);
    assert_eq!(status, Some(engine::AccountStatus::Compromised));
    assert_eq!(
        store.login_in_run(&id, "F-000000000000").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .login_in_run("nope", &compromised.login_id())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_rescore_rewrites_the_logins_that_changed_and_the_grid_follows() {
    rescore_round_trip(&fresh_sqlite().await).await;
}

/// A verdict's re-score written (many rows per statement), read back through every triage
/// query.
async fn rescore_round_trip(store: &Store) {
    let csv = sample_csv();
    let mut run = sample_run(&csv, "rescored.csv");
    let id = run.summary.id.clone();
    store.save(&sample_run(&csv, "rescored.csv")).await.unwrap();
    // The riskiest login confirmed safe, as a re-score after that verdict gives it.
    let riskiest = run
        .events
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.risk_score.total_cmp(&b.1.risk_score))
        .map(|(index, _)| index)
        .unwrap();
    let changed = &mut run.events[riskiest];
    assert!(changed.risk_level >= RiskLevel::High);
    changed.risk_score = 0.0;
    changed.risk_level = RiskLevel::Low;
    for finding in &mut changed.findings {
        finding.suppressed = Some("an analyst: confirmed safe".to_owned());
    }
    let login_id = changed.login_id();
    let events = run.events.clone();
    let accounts = service::detection::account_statuses(&events, &run.settings);
    // Every row, as when the account's verdict changes with the login.
    let every_row: Vec<usize> = (0..events.len()).collect();
    assert!(store.rescore(&run, &every_row, &accounts).await.unwrap());
    for query in triage_queries()
        .into_iter()
        .chain([everything(EventOrder::RiskiestFirst)])
    {
        // Verdicts aside: a PostgreSQL database may keep some from earlier test runs.
        let page = service::detection::EventPage {
            verdicts: Default::default(),
            ..store.page(&id, &query).await.unwrap().unwrap()
        };
        assert_eq!(
            page,
            service::detection::query_with(&events, &accounts, &query),
            "{query:?}"
        );
    }
    let (found, _) = store.login_in_run(&id, &login_id).await.unwrap().unwrap();
    assert_eq!(found.risk_score, 0.0);
    assert!(service::review::detections(&found).is_empty());
}
