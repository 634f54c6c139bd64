//! Feedback end to end through the API: allow-list entries and verdicts change the next result,
//! and a later upload is scored against what earlier ones taught.

use crate::web::*;

fn sample() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"))
        .unwrap()
}

fn json_request(method: &str, uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn post_empty(uri: &str) -> Request<Body> {
    Request::post(uri).body(Body::empty()).unwrap()
}

fn kinds(event: &serde_json::Value) -> Vec<String> {
    event["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Every login of an analysis, riskiest first.
async fn all_events(router: &Router, id: &str) -> Vec<serde_json::Value> {
    events_where(router, id, "").await
}

/// Every login matching the query (`&user=…`), riskiest first.
async fn events_where(router: &Router, id: &str, query: &str) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for page in 0.. {
        let (status, body) = json_of(
            router,
            get(&format!("/api/v1/analyses/{id}/events?page={page}{query}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        rows.extend(body["rows"].as_array().unwrap().iter().cloned());
        if page + 1 >= body["pages"].as_u64().unwrap() {
            break;
        }
    }
    rows
}

async fn finding(router: &Router, login_id: &str) -> serde_json::Value {
    let (status, body) = json_of(router, get(&format!("/api/v1/findings/{login_id}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn allow_list_and_verdicts_change_the_next_result() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let (status, created) = json_of(&router, api_upload(&[], &sample())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let before = all_events(&router, &id).await;
    let attack = [
        "brute_force",
        "password_spray",
        "credential_stuffing",
        "failures_then_success",
        "unknown_account",
        "scripted_client",
    ];
    // A risky login explained by where it came from, not by an attack: the allow-list can
    // vouch for it. The least risky such login, so that its score has room to fall (scores
    // near 1 saturate at four decimals).
    let vouchable = before
        .iter()
        .filter(|event| {
            let kinds = kinds(event);
            event["risk_level"] != "Low"
                && kinds.contains(&"new_network".to_owned())
                && kinds.iter().all(|kind| !attack.contains(&kind.as_str()))
        })
        .min_by(|a, b| {
            let score = |event: &serde_json::Value| event["risk_score"].as_f64().unwrap();
            score(a).total_cmp(&score(b))
        })
        .expect("the sample has a risky login from a new network")
        .clone();
    let ip = vouchable["ip"].as_str().unwrap().to_owned();

    let (status, entry) = json_of(
        &router,
        json_request(
            "POST",
            "/api/v1/allowlist",
            serde_json::json!({"kind": "cidr", "value": ip, "reason": "office VPN"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["value"], format!("{ip}/32"));
    let entry_id = entry["id"].as_str().unwrap().to_owned();

    // The riskiest login (an attack) confirmed compromised; a lower one confirmed safe.
    let compromised = before
        .iter()
        .find(|event| {
            event["risk_level"] == "Medium"
                && event["ip"] != ip.as_str()
                && event["success"] == true
        })
        .expect("a successful Medium login")
        .clone();
    // A failed sign-in cannot be compromised: it is an attack attempt.
    let failed = before
        .iter()
        .find(|event| event["success"] == false)
        .expect("a failed login");
    let (status, refused) = json_of(
        &router,
        json_request(
            "POST",
            &format!(
                "/api/v1/findings/{}/triage",
                failed["login_id"].as_str().unwrap()
            ),
            serde_json::json!({"verdict": "confirmed_compromised"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("attack_attempt")
    );
    let safe = before
        .iter()
        .find(|event| {
            event["risk_level"] == "Critical"
                && event["ip"] != ip.as_str()
                && event["user_id"] != compromised["user_id"]
        })
        .expect("a Critical login")
        .clone();
    for (event, verdicts) in [
        (&compromised, &["confirmed_compromised"][..]),
        (&safe, &["dismissed", "confirmed_safe"][..]),
    ] {
        let login_id = event["login_id"].as_str().unwrap();
        for verdict in verdicts {
            let (status, body) = json_of(
                &router,
                json_request(
                    "POST",
                    &format!("/api/v1/findings/{login_id}/triage"),
                    serde_json::json!({"verdict": verdict, "comment": format!("checked: {verdict}")}),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["triage"]["current"]["verdict"], *verdict);
        }
    }
    let history = finding(&router, safe["login_id"].as_str().unwrap()).await;
    let verdicts: Vec<&str> = history["triage"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["dismissed", "confirmed_safe"]);
    assert_eq!(history["triage"]["current"]["actor"], "local");

    // Nothing changes until the analysis is scored again.
    let (status, rerun) =
        json_of(&router, post_empty(&format!("/api/v1/analyses/{id}/rerun"))).await;
    assert_eq!(status, StatusCode::OK, "{rerun}");
    assert!(rerun["changed_levels"].as_u64().unwrap() >= 2, "{rerun}");
    assert!(rerun["suppressed"].as_u64().unwrap() >= 2, "{rerun}");
    assert_eq!(rerun["summary"]["feedback"]["allow_list_entries"], 1);
    assert_eq!(rerun["summary"]["feedback"]["verdicts"], 2);

    let now = |login: &serde_json::Value| {
        let login_id = login["login_id"].as_str().unwrap().to_owned();
        let router = router.clone();
        async move { finding(&router, &login_id).await["analyses"][0]["event"].clone() }
    };
    let vouched = now(&vouchable).await;
    assert!(
        vouched["risk_score"].as_f64() < vouchable["risk_score"].as_f64(),
        "{vouched}"
    );
    let network = vouched["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "new_network")
        .expect("the suppressed finding is still shown");
    assert_eq!(
        network["suppressed"],
        format!("allow-list: office VPN {ip}/32")
    );
    let cleared = now(&safe).await;
    assert_eq!(cleared["risk_score"], 0.0);
    assert_eq!(cleared["risk_level"], "Low");
    assert!(
        cleared["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|finding| finding["suppressed"] == "an analyst: confirmed safe")
    );
    let confirmed = now(&compromised).await;
    assert_eq!(confirmed["risk_level"], "Critical");
    assert!(kinds(&confirmed).contains(&"confirmed_compromised".to_owned()));

    // The events list carries the verdicts.
    let user = safe["user_id"].as_str().unwrap();
    let row = events_where(&router, &id, &format!("&user={user}"))
        .await
        .into_iter()
        .find(|row| row["login_id"] == safe["login_id"])
        .unwrap();
    assert_eq!(row["verdict"], "confirmed_safe");

    // Editing and removing the entry; without it the login is scored as before.
    let (status, edited) = json_of(
        &router,
        json_request(
            "PUT",
            &format!("/api/v1/allowlist/{entry_id}"),
            serde_json::json!({"kind": "cidr", "value": ip, "reason": "branch office"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["created_ms"], entry["created_ms"]);
    let (_, one) = json_of(&router, get(&format!("/api/v1/allowlist/{entry_id}"))).await;
    assert_eq!(one["reason"], "branch office");
    let response = router
        .clone()
        .oneshot(
            Request::delete(format!("/api/v1/allowlist/{entry_id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, listed) = json_of(&router, get("/api/v1/allowlist")).await;
    assert_eq!(listed, serde_json::json!([]));
    // Dismissing changes no score: with the entry gone and both verdicts dismissed, every
    // login scores as it did before any feedback.
    for event in [&compromised, &safe] {
        let login_id = event["login_id"].as_str().unwrap();
        json_of(
            &router,
            json_request(
                "POST",
                &format!("/api/v1/findings/{login_id}/triage"),
                serde_json::json!({"verdict": "dismissed"}),
            ),
        )
        .await;
    }
    json_of(&router, post_empty(&format!("/api/v1/analyses/{id}/rerun"))).await;
    let after = all_events(&router, &id).await;
    let scores = |rows: &[serde_json::Value]| -> Vec<(serde_json::Value, serde_json::Value)> {
        rows.iter()
            .map(|row| (row["login_id"].clone(), row["risk_score"].clone()))
            .collect()
    };
    assert_eq!(scores(&after), scores(&before));
    let unvouched = now(&vouchable).await;
    assert!(
        unvouched["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("suppressed").is_none())
    );

    // Clear errors.
    let login_id = safe["login_id"].as_str().unwrap();
    for (request, status, code) in [
        (
            json_request(
                "POST",
                &format!("/api/v1/findings/{login_id}/triage"),
                serde_json::json!({"verdict": "maybe"}),
            ),
            StatusCode::BAD_REQUEST,
            "bad_verdict",
        ),
        (
            json_request(
                "POST",
                "/api/v1/findings/F-000000000000/triage",
                serde_json::json!({"verdict": "dismissed"}),
            ),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json_request(
                "POST",
                "/api/v1/allowlist",
                serde_json::json!({"kind": "cidr", "value": "10.0.0.0/33", "reason": "x"}),
            ),
            StatusCode::BAD_REQUEST,
            "bad_entry",
        ),
        (
            json_request(
                "POST",
                "/api/v1/allowlist",
                serde_json::json!({"kind": "country", "value": "NO", "reason": " "}),
            ),
            StatusCode::BAD_REQUEST,
            "bad_entry",
        ),
        (
            json_request(
                "POST",
                "/api/v1/allowlist",
                serde_json::json!({"kind": "country"}),
            ),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json_request(
                "PUT",
                "/api/v1/allowlist/AL-nope",
                serde_json::json!({"kind": "country", "value": "NO", "reason": "x"}),
            ),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            post_empty("/api/v1/analyses/nope/rerun"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let (got, error) = json_of(&router, request).await;
        assert_eq!(got, status, "{error}");
        assert_eq!(error["code"], code, "{error}");
    }
}

#[tokio::test]
async fn a_later_upload_is_scored_against_the_earlier_one() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let content = sample();
    let text = String::from_utf8(content.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let cut = lines.len() * 2 / 3;
    let part = |rows: &[&str]| format!("{header}\n{}\n", rows.join("\n")).into_bytes();
    let (first, second) = (part(&lines[..cut]), part(&lines[cut..]));

    // What scoring the whole file at once gives the second part's logins.
    let ingested = engine::read_slice(&content, &engine::IngestOptions::default()).unwrap();
    let whole = engine::analyze(
        &ingested.events,
        &engine::AnalysisConfig::default(),
        &engine::enrich::NoGeolocation,
        |_| {},
    )
    .unwrap();
    let expected: std::collections::HashMap<String, f64> = whole
        .events
        .iter()
        .map(|event| (event.login_id(), event.risk_score))
        .collect();

    let (status, alone) = json_of(&router, api_upload(&[], &second)).await;
    assert_eq!(status, StatusCode::CREATED, "{alone}");
    assert_eq!(alone["summary"]["feedback"]["history_logins"], 0);
    let alone_rows = all_events(&router, alone["id"].as_str().unwrap()).await;
    let (status, _) = json_of(&router, api_upload(&[], &first)).await;
    assert_eq!(status, StatusCode::CREATED);
    // The second part again, now that the first is kept: a re-run learns from it.
    let (status, rerun) = json_of(
        &router,
        post_empty(&format!(
            "/api/v1/analyses/{}/rerun",
            alone["id"].as_str().unwrap()
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rerun}");
    assert_eq!(
        rerun["summary"]["feedback"]["history_logins"].as_u64(),
        Some(cut as u64)
    );
    let rows = all_events(&router, alone["id"].as_str().unwrap()).await;
    assert_eq!(rows.len(), lines.len() - cut);
    for row in &rows {
        let login_id = row["login_id"].as_str().unwrap();
        assert_eq!(
            row["risk_score"].as_f64(),
            expected.get(login_id).copied(),
            "{row}"
        );
    }
    assert_ne!(
        alone_rows
            .iter()
            .map(|row| row["risk_score"].as_f64())
            .collect::<Vec<_>>(),
        rows.iter()
            .map(|row| row["risk_score"].as_f64())
            .collect::<Vec<_>>(),
        "learning from the first part changes the scores"
    );
}

/// Sources keep apart: after one source kept a log, the same log in a new source learns nothing
/// from it and scores exactly as the engine alone does (as in the browser); the other source's
/// verdicts and allow-list entries do not apply; each source is listed.
#[tokio::test]
async fn a_new_source_starts_clean() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let content = sample();
    let (status, first) = json_of(&router, api_upload(&[("source", "acme")], &content)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["summary"]["source"], "acme");
    let rows = all_events(&router, first["id"].as_str().unwrap()).await;
    let riskiest = rows
        .iter()
        .find(|row| row["risk_level"] == "Critical" && row["success"] == true)
        .expect("a successful Critical login");
    let (status, body) = json_of(
        &router,
        json_request(
            "POST",
            &format!(
                "/api/v1/findings/{}/triage",
                riskiest["login_id"].as_str().unwrap()
            ),
            serde_json::json!({"verdict": "confirmed_safe"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["triage"]["current"]["source"], "acme");
    let (status, _) = json_of(
        &router,
        json_request(
            "POST",
            "/api/v1/allowlist",
            serde_json::json!({"source": "acme", "kind": "country", "value": "NO", "reason": "head office"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, second) = json_of(&router, api_upload(&[("source", "globex")], &content)).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(
        first["id"], second["id"],
        "the same file in another source is another run"
    );
    let feedback = &second["summary"]["feedback"];
    assert_eq!(feedback["history_logins"], 0);
    assert_eq!(feedback["allow_list_entries"], 0);
    assert_eq!(feedback["verdicts"], 0);
    let ingested = engine::read_slice(&content, &engine::IngestOptions::default()).unwrap();
    let alone = engine::analyze(
        &ingested.events,
        &engine::AnalysisConfig::default(),
        &engine::enrich::NoGeolocation,
        |_| {},
    )
    .unwrap();
    let expected: std::collections::HashMap<String, f64> = alone
        .events
        .iter()
        .map(|event| (event.login_id(), event.risk_score))
        .collect();
    for row in all_events(&router, second["id"].as_str().unwrap()).await {
        assert_eq!(
            row["risk_score"].as_f64(),
            expected.get(row["login_id"].as_str().unwrap()).copied(),
            "{row}"
        );
    }

    let (status, sources) = json_of(&router, get("/api/v1/sources")).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|source| source["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "globex"]);
    let (_, listed) = json_of(&router, get("/api/v1/analyses?source=globex")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (status, refused) = json_of(&router, get("/api/v1/analyses?source=no%20such")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
}

/// Scores of a whole analysis of the sample with `verdicts`, by login id: score, level and the
/// account's verdict.
fn scored_with_verdicts(
    verdicts: &[(&str, engine::VerdictKind, &str)],
) -> std::collections::HashMap<String, (f64, String, String)> {
    let ingested = engine::read_slice(&sample(), &engine::IngestOptions::default()).unwrap();
    let feedback = engine::Feedback {
        allow: Vec::new(),
        verdicts: verdicts
            .iter()
            .map(|&(login_id, kind, comment)| engine::Verdict {
                login_id: login_id.to_owned(),
                kind,
                comment: comment.to_owned(),
            })
            .collect(),
    };
    let config = engine::AnalysisConfig::default();
    let history = engine::History {
        earlier: &[],
        feedback: Some(&feedback),
    };
    let whole = engine::analyze_with(
        &ingested.events,
        &history,
        &config,
        &engine::enrich::NoGeolocation,
        |_| {},
    )
    .unwrap();
    let accounts = service::detection::account_statuses(&whole.events, &config);
    whole
        .events
        .iter()
        .map(|event| {
            (
                event.login_id(),
                (
                    event.risk_score,
                    serde_json::to_value(event.risk_level)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    accounts[event.user_id.as_ref()].as_str().to_owned(),
                ),
            )
        })
        .collect()
}

/// Each kept login's account verdict as the database's grid holds it, by login id.
async fn stored_account_statuses(
    store: &store::Store,
    id: &str,
) -> std::collections::HashMap<String, String> {
    use service::ports::RunStore;
    let mut statuses = std::collections::HashMap::new();
    let mut query = service::detection::EventQuery::default();
    loop {
        let page = store.page(id, &query).await.unwrap().unwrap();
        for event in &page.rows {
            let status = page.accounts[event.user_id.as_ref()];
            statuses.insert(event.login_id(), status.as_str().to_owned());
        }
        if query.page + 1 >= page.pages {
            return statuses;
        }
        query.page += 1;
    }
}

#[tokio::test]
async fn a_rescore_after_verdicts_reuses_earlier_scores_and_equals_a_whole_analysis() {
    use service::ports::RunStore;
    let store = crate::support::fresh_store().await;
    let router = crate::web::app_on(store.clone(), None, 8 * 1024 * 1024);
    let (status, created) = json_of(&router, api_upload(&[], &sample())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let rows = all_events(&router, &id).await;
    // A login halfway through the month, then a later one: each re-score starts from its verdict.
    let mut by_time: Vec<&serde_json::Value> = rows.iter().collect();
    by_time.sort_by_key(|row| row["timestamp_ms"].as_i64().unwrap());
    let middle = by_time[by_time.len() / 2]["login_id"].as_str().unwrap();
    let later = by_time[by_time.len() * 3 / 4]["login_id"].as_str().unwrap();
    let mut verdicts = Vec::new();
    for (login_id, kind, verdict, comment) in [
        (
            middle,
            engine::VerdictKind::ConfirmedCompromised,
            "confirmed_compromised",
            "stolen session",
        ),
        (
            later,
            engine::VerdictKind::ConfirmedSafe,
            "confirmed_safe",
            "",
        ),
    ] {
        let (status, body) = json_of(
            &router,
            json_request(
                "POST",
                &format!("/api/v1/findings/{login_id}/triage"),
                serde_json::json!({"verdict": verdict, "comment": comment}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        verdicts.push((login_id, kind, comment));
        let (status, rerun) =
            json_of(&router, post_empty(&format!("/api/v1/analyses/{id}/rerun"))).await;
        assert_eq!(status, StatusCode::OK, "{rerun}");
        let expected = scored_with_verdicts(&verdicts);
        let rows = all_events(&router, &id).await;
        assert_eq!(rows.len(), expected.len());
        for row in &rows {
            let (score, level, account) = &expected[row["login_id"].as_str().unwrap()];
            assert_eq!(row["risk_score"].as_f64(), Some(*score), "{row}");
            assert_eq!(row["risk_level"].as_str(), Some(level.as_str()), "{row}");
            assert_eq!(row["account"].as_str(), Some(account.as_str()), "{row}");
        }
        // What was written (only the rows that changed) is what a server starting afresh reads.
        let kept = store.run(&id).await.unwrap().unwrap();
        assert_eq!(kept.events.len(), expected.len());
        for event in &kept.events {
            let (score, level, _) = &expected[&event.login_id()];
            assert_eq!(event.risk_score, *score, "{}", event.login_id());
            assert_eq!(
                serde_json::to_value(event.risk_level).unwrap().as_str(),
                Some(level.as_str())
            );
        }
        let statuses = stored_account_statuses(&store, &id).await;
        for (login_id, (_, _, account)) in &expected {
            assert_eq!(statuses.get(login_id), Some(account), "{login_id}");
        }
    }
}

/// The kept logins a new analysis learns from are held in memory between uploads, and what was
/// learnt from them is kept for the next upload; a server that starts cold reads them from the
/// database and learns them again. Both must score the same.
#[tokio::test]
async fn history_held_in_memory_scores_as_history_read_from_the_database() {
    use service::detection::DetectionChoices;
    use service::ports::RunStore;
    use service::runs::Upload;
    use service::source::SourceName;

    let content = sample();
    let text = String::from_utf8(content).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let third = lines.len() / 3;
    let part = |rows: &[&str]| format!("{header}\n{}\n", rows.join("\n")).into_bytes();
    let upload = |content: Vec<u8>| Upload {
        content: service::upload::SpooledFile::of_bytes(&std::env::temp_dir(), &content).unwrap(),
        options: engine::IngestOptions::default(),
        file_name: "part.csv".to_owned(),
    };
    let store = std::sync::Arc::new(crate::support::fresh_store().await);
    let mut warm = crate::support::detection_on(store.clone(), None);
    warm.history = service::history::KeptHistory::holding(service::history::HELD_HISTORY_LOGINS, 1);
    let warm = std::sync::Arc::new(warm);
    let keep = |service: &std::sync::Arc<service::DetectionService>, content: Vec<u8>| {
        let service = std::sync::Arc::clone(service);
        async move {
            service
                .run_and_keep(
                    upload(content),
                    DetectionChoices::default(),
                    SourceName::default(),
                )
                .await
                .unwrap()
        }
    };
    keep(&warm, part(&lines[..third])).await;
    keep(&warm, part(&lines[third..2 * third])).await;
    // Held from the two uploads above: nothing is read back from the database.
    let last = part(&lines[2 * third..]);
    let from_memory = keep(&warm, last.clone()).await;
    assert_eq!(
        from_memory.feedback.history_logins,
        2 * third as u64,
        "{:?}",
        from_memory.feedback
    );
    let memory_scores = store.run(&from_memory.id).await.unwrap().unwrap().events;

    let cold = std::sync::Arc::new(crate::support::detection_on(store.clone(), None));
    let from_database = keep(&cold, last).await;
    assert_eq!(from_database.id, from_memory.id);
    assert_eq!(from_database.feedback, from_memory.feedback);
    let database_scores = store.run(&from_database.id).await.unwrap().unwrap().events;
    assert_eq!(database_scores, memory_scores);

    // A run kept by another server since (here: the cold one) is taken in by the warm one:
    // the same logins a second time, under other account names.
    let renamed: Vec<String> = lines[..third]
        .iter()
        .map(|line| line.replacen(',', ",other.", 1))
        .collect();
    let renamed: Vec<&str> = renamed.iter().map(String::as_str).collect();
    let elsewhere = keep(&cold, part(&renamed)).await;
    assert_eq!(
        elsewhere.feedback.history_logins, third as u64,
        "up to its own latest login"
    );
    let probe = part(&lines[2 * third + 1..]);
    let warm_probe = keep(&warm, probe.clone()).await;
    let warm_scores = store.run(&warm_probe.id).await.unwrap().unwrap().events;
    let restarted = std::sync::Arc::new(crate::support::detection_on(store.clone(), None));
    let cold_probe = keep(&restarted, probe).await;
    assert_eq!(cold_probe.feedback, warm_probe.feedback);
    assert!(warm_probe.feedback.history_logins > from_memory.feedback.history_logins);
    let cold_scores = store.run(&cold_probe.id).await.unwrap().unwrap().events;
    assert_eq!(cold_scores, warm_scores);
    // A server that may hold fewer logins than the source keeps reads them from the database.
    let mut small = crate::support::detection_on(store.clone(), None);
    small.history = service::history::KeptHistory::holding(100, 1);
    let small = std::sync::Arc::new(small);
    let small_probe = keep(&small, part(&lines[2 * third + 1..])).await;
    assert_eq!(small_probe.feedback, warm_probe.feedback);
    let small_scores = store.run(&small_probe.id).await.unwrap().unwrap().events;
    assert_eq!(small_scores, warm_scores);
}

/// An idle server first lets go of older runs, then of the latest run's waypoints (what keeps a
/// verdict's re-score quick); the latest run stays held, and a re-score still works after that.
#[tokio::test]
async fn an_idle_server_lets_go_of_older_runs_then_of_the_latest_runs_waypoints() {
    use service::detection::DetectionChoices;
    use service::runs::{Settling, Upload};
    use service::source::SourceName;
    use std::time::Duration;

    let content = sample();
    let text = String::from_utf8(content.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Too few logins for waypoints; the whole sample has them.
    let first_part = format!("{}\n", lines[..1_000].join("\n")).into_bytes();
    let mut detection = crate::support::detection_on(
        std::sync::Arc::new(crate::support::fresh_store().await),
        None,
    );
    detection.settling = Settling {
        older_after: Duration::from_secs(1),
        everything_after: Duration::from_secs(3),
    };
    let detection = std::sync::Arc::new(detection);
    let mut kept = Vec::new();
    for content in [first_part, content] {
        let upload = Upload {
            content: service::upload::SpooledFile::of_bytes(&std::env::temp_dir(), &content)
                .unwrap(),
            options: engine::IngestOptions::default(),
            file_name: "sample.csv".to_owned(),
        };
        kept.push(
            detection
                .run_and_keep(upload, DetectionChoices::default(), SourceName::default())
                .await
                .unwrap(),
        );
    }
    let latest = kept.last().unwrap();
    let waypoints_held = || {
        detection
            .views
            .get(&latest.id, latest)
            .expect("the latest run stays held")
            .waypoints()
            .is_some()
    };
    assert_eq!(
        detection.views.held(),
        [kept[0].id.clone(), latest.id.clone()]
    );
    assert!(waypoints_held());

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(detection.views.held(), std::slice::from_ref(&latest.id));
    assert!(waypoints_held(), "a verdict's re-score stays quick a while");

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(detection.views.held(), std::slice::from_ref(&latest.id));
    assert!(!waypoints_held());
    let rerun = detection.rerun(&latest.id).await.unwrap();
    assert_eq!(
        (rerun.summary.levels.clone(), rerun.changed_levels),
        (latest.levels.clone(), 0)
    );
}
