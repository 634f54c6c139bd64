//! One place for attacks: each test names the attack it tries, through the real paths (the
//! router, or real sockets served the way `skytrace serve` serves them), and prints what it
//! measured (`cargo test -p server --test it attacks -- --nocapture`).

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use serde_json::Value;
use server::web::limits::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::web::*;

/// The app on a real socket with `limits`, as `skytrace serve` serves it; dropping the sender
/// stops it.
async fn serve(router: Router, limits: Limits) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::web::connections::serve(
        listener,
        router,
        limits,
        async move {
            let _ = stopped.await;
        },
    ));
    (address, stop)
}

/// Reads until the server closes the connection (or `limit` passes): what it sent, and when it
/// closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Option<Instant>) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(Instant::now()),
                );
            }
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Ok(Err(error)) if error.kind() == ErrorKind::ConnectionReset => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(Instant::now()),
                );
            }
            Ok(Err(error)) => panic!("{error}"),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
        }
    }
}

/// One request over its own connection: the whole answer as text.
async fn raw_request(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream, Duration::from_secs(30))
        .await
        .0
}

/// The app with `limits` in its state (bodies are paced by the router, headers by `serve`).
async fn app_with(limits: Limits) -> Router {
    let mut state = crate::support::state(
        crate::support::detection_on(Arc::new(crate::support::fresh_store().await), None),
        ServerSettings {
            max_upload_bytes: 8 * 1024 * 1024,
            ..ServerSettings::default()
        },
        AuthMode::Local,
        PageFiles::default(),
    );
    state.limits = limits;
    app(state)
}

fn quick_limits() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        min_body_rate: 1024,
        max_connections: 512,
    }
}

/// Slowloris: 20 clients trickle their headers a byte every 100 ms. Each is disconnected once
/// the header timeout has passed, and the server answers others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_client_trickling_headers_is_cut_off() {
    let limits = quick_limits();
    let (address, _stop) = serve(test_app().await, limits).await;
    let started = Instant::now();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
                    .await
                    .unwrap();
                for _ in 0..100 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if stream.write_all(b"a").await.is_err() {
                        return Instant::now();
                    }
                    let mut probe = [0u8; 1];
                    if let Ok(Ok(0) | Err(_)) =
                        tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe))
                            .await
                    {
                        return Instant::now();
                    }
                }
                panic!("still connected after 10 s");
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let meanwhile = raw_request(
        address,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(meanwhile.starts_with("HTTP/1.1 200"), "{meanwhile}");
    let mut longest = Duration::ZERO;
    for client in clients {
        longest = longest.max(client.await.unwrap() - started);
    }
    println!(
        "slow headers: 20 trickling clients all cut off after at most {longest:?} (header timeout 1 s)"
    );
    assert!(longest >= limits.header_timeout, "{longest:?}");
    assert!(longest < limits.header_timeout * 3, "{longest:?}");
}

/// A slow body: 20 clients send their headers at once, then the body a byte every 100 ms. Each
/// gets a 408 problem and its connection closed once the body falls behind the minimum rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_client_trickling_a_body_gets_408_and_is_cut_off() {
    let limits = quick_limits();
    let (address, _stop) = serve(app_with(limits).await, limits).await;
    let started = Instant::now();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                stream
                    .write_all(
                        b"POST /api/v1/allowlist HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
                    )
                    .await
                    .unwrap();
                let (mut reading, mut writing) = stream.into_split();
                let trickle = tokio::spawn(async move {
                    while writing.write_all(b" ").await.is_ok() {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                });
                let mut answer = Vec::new();
                let read = tokio::time::timeout(
                    Duration::from_secs(10),
                    reading.read_to_end(&mut answer),
                )
                .await;
                trickle.abort();
                assert!(read.is_ok(), "still connected after 10 s");
                (String::from_utf8_lossy(&answer).into_owned(), Instant::now())
            })
        })
        .collect();
    let mut longest = Duration::ZERO;
    for client in clients {
        let (answer, closed) = client.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
        assert!(
            answer.to_lowercase().contains("connection: close"),
            "{answer}"
        );
        longest = longest.max(closed - started);
    }
    println!(
        "slow bodies: 20 trickling clients answered 408 and closed after at most {longest:?} (body timeout 1 s, 1 KiB/s)"
    );
    assert!(longest < Duration::from_secs(4), "{longest:?}");
}

/// Many connections: 200 clients connect and send nothing, to a server that serves 64 at once.
/// The idle ones are closed in waves as their header timeout passes, and the server still
/// answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_many_idle_connections_are_served_in_turn_and_closed() {
    let limits = Limits {
        max_connections: 64,
        ..quick_limits()
    };
    let (address, _stop) = serve(test_app().await, limits).await;
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    let waits: Vec<_> = idle
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
                closed.expect("still open after 20 s") - started
            })
        })
        .collect();
    let mut closed_after = Vec::new();
    for wait in waits {
        closed_after.push(wait.await.unwrap());
    }
    closed_after.sort();
    let first = closed_after[0];
    let last = closed_after[closed_after.len() - 1];
    println!(
        "many connections: 200 idle connections to a server of 64 closed between {first:?} and {last:?}"
    );
    // Without the limit every one would close at the first header timeout.
    assert!(last >= limits.header_timeout * 2, "{last:?}");
    assert!(last < Duration::from_secs(12), "{last:?}");
    let after = raw_request(
        address,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
}

/// Header case: the Authorization scheme is case-insensitive (RFC 9110), and so are header
/// names, over a real connection.
#[tokio::test]
async fn attack_header_case_in_the_authorization_scheme_and_name() {
    let (router, _accounts, token) = crate::web_auth::hosted_app().await;
    for authorization in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("bEaReR  {token}"),
    ] {
        let request = Request::get("/api/v1/session")
            .header(header::AUTHORIZATION, &authorization)
            .body(Body::empty())
            .unwrap();
        let (status, account) = json_of(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{authorization}: {account}");
        assert_eq!(account["name"], "root");
    }
    for refused in [
        format!("Basic {token}"),
        "Bearer".to_owned(),
        "bearer ".to_owned(),
    ] {
        let request = Request::get("/api/v1/session")
            .header(header::AUTHORIZATION, &refused)
            .body(Body::empty())
            .unwrap();
        let (status, problem) = json_of(&router, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
        assert_eq!(problem["code"], "bad_token");
    }
    let (address, _stop) = serve(router, quick_limits()).await;
    let answer = raw_request(
        address,
        format!(
            "GET /api/v1/session HTTP/1.1\r\nHOST: x\r\nAUTHORIZATION: BEARER {token}\r\nCONNECTION: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Uploads `csv` through the API: the analysis's profile.
async fn profile_of(router: &Router, content: &[u8]) -> Value {
    let (status, created) = json_of(router, api_upload(&[], content)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["summary"]["profile"].clone()
}

const HEADER: &str = "timestamp,user_id,ip_address,success";

/// A stray quote: a quote inside an unquoted field, and a quote that never closes. Only the
/// unclosed one's line is rejected, saying why; the lines after it are read.
#[tokio::test]
async fn attack_stray_quote_in_a_csv() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let csv = format!(
        "{HEADER}\n2026-03-01T08:00:00Z,ann,192.0.2.1,true\n2026-03-01T08:01:00Z,b\"ob,192.0.2.2,true\n\
         2026-03-01T08:02:00Z,\"carl,192.0.2.3,true\n2026-03-01T08:03:00Z,dora,192.0.2.4,true\n\
         2026-03-01T08:04:00Z,emma,192.0.2.5,true\n"
    );
    let profile = profile_of(&router, csv.as_bytes()).await;
    println!(
        "stray quote: accepted {}, rejected {}: {}",
        profile["accepted"], profile["rejected"], profile["rejected_rows"]
    );
    // A quote inside an unquoted field is an ordinary character (RFC 4180 as spreadsheets
    // write it); the quote that never closes costs its own line only.
    assert_eq!(profile["physical_lines"], 6);
    assert_eq!(profile["accepted"], 4, "{profile}");
    assert_eq!(profile["rejected"], 1, "{profile}");
    assert_eq!(profile["rejected_rows"][0]["line"], 4, "{profile}");
    assert!(
        profile["rejected_rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("never closed"),
        "{profile}"
    );
}

/// Oversized fields: a quoted CSV field over the 64 KB record limit is one rejected record
/// naming the limit; a JSON string over its limit is a 400 problem; a request header over
/// hyper's limit is a 431 on a closed connection.
#[tokio::test]
async fn attack_oversized_field() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    // A quoted field still open past the record limit, over three lines.
    let third = "x".repeat(engine::ingest::MAX_RECORD_BYTES / 2 + 1);
    let huge = format!("{third}\n{third}\n{third}");
    let csv = format!(
        "{HEADER}\n2026-03-01T08:00:00Z,ann,192.0.2.1,true\n2026-03-01T08:01:00Z,\"{huge}\",192.0.2.2,true\n\
         2026-03-01T08:02:00Z,carl,192.0.2.3,true\n"
    );
    let profile = profile_of(&router, csv.as_bytes()).await;
    println!(
        "oversized CSV field ({} bytes): accepted {}, rejected {}: {}",
        huge.len(),
        profile["accepted"],
        profile["rejected"],
        profile["rejected_rows"]
    );
    assert_eq!(profile["accepted"], 2, "{profile}");
    assert!(
        profile["rejected_rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("64 KB"),
        "{profile}"
    );

    let entry = serde_json::json!({"kind": "cidr", "value": "192.0.2.0/24", "reason": "r".repeat(1_000_000)});
    let request = Request::post("/api/v1/allowlist")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(entry.to_string()))
        .unwrap();
    let (status, problem) = json_of(&router, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "bad_entry");

    let (address, _stop) = serve(router, quick_limits()).await;
    let started = Instant::now();
    let answer = raw_request(
        address,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "y".repeat(1 << 20)
        )
        .as_bytes(),
    )
    .await;
    println!(
        "1 MB request header: {:?} in {:?}",
        answer.lines().next(),
        started.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

/// Deeply nested JSON: 100 000 open brackets in an API body and in a log record. Typed fields
/// refuse them at once, an ignored field is skipped without recursion, and a log record is
/// rejected at serde_json's depth limit of 128: no stack is exhausted.
#[tokio::test]
async fn attack_deeply_nested_json() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for (field, expected) in [
        ("kind", StatusCode::BAD_REQUEST),
        ("ignored", StatusCode::CREATED),
    ] {
        let body =
            format!(r#"{{"kind":"cidr","value":"192.0.2.0/24","reason":"r","{field}":{nested}}}"#);
        let request = Request::post("/api/v1/allowlist")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let started = Instant::now();
        let (status, answer) = json_of(&router, request).await;
        println!(
            "nested JSON in the body's {field:?}: {status} in {:?}",
            started.elapsed()
        );
        assert_eq!(status, expected, "{answer}");
    }

    let record = entra_record();
    let deep = record.replacen('{', &format!(r#"{{"deep":{nested},"#), 1);
    let log = format!(r#"{{"value":[{record},{deep}]}}"#);
    let started = Instant::now();
    let (status, answer) = json_of(&router, api_upload(&[], log.as_bytes())).await;
    let profile = &answer["summary"]["profile"];
    println!(
        "nested JSON in a log record: {status} in {:?}, rejected: {}",
        started.elapsed(),
        profile["rejected_rows"]
    );
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(profile["accepted"], 1, "{profile}");
    assert!(
        profile["rejected_rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{profile}"
    );
}

/// The first sign-in of the Entra (Microsoft Graph) fixture, as one line of JSON.
fn entra_record() -> String {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/formats/entra-graph.json"),
        )
        .unwrap(),
    )
    .unwrap();
    fixture["value"][0].to_string()
}

/// Duplicate keys: a JSON body that gives a field twice is refused, and so is a log record
/// that does (which value would win is how a forged field hides).
#[tokio::test]
async fn attack_duplicate_keys() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let request = Request::post("/api/v1/allowlist")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"kind":"cidr","kind":"country","value":"NO","reason":"r"}"#,
        ))
        .unwrap();
    let (status, problem) = json_of(&router, request).await;
    println!("duplicate key in a body: {status} {}", problem["detail"]);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("duplicate field"),
        "{problem}"
    );

    let record = entra_record();
    let forged = record.replacen(
        "\"userPrincipalName\":",
        "\"userPrincipalName\":\"mallory@contoso.com\",\"userPrincipalName\":",
        1,
    );
    assert_ne!(record, forged);
    let log = format!(r#"{{"value":[{record},{forged}]}}"#);
    let (status, answer) = json_of(&router, api_upload(&[], log.as_bytes())).await;
    println!(
        "duplicate key in a log record: {status} {}",
        answer["summary"]["profile"]["rejected_rows"]
    );
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let profile = &answer["summary"]["profile"];
    assert_eq!(profile["accepted"], 1, "{profile}");
    assert_eq!(profile["rejected"], 1, "{profile}");
    assert!(
        profile["rejected_rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("userPrincipalName"),
        "{profile}"
    );
}

/// Out-of-range time: instants outside 1990–2100 are rejected rows naming the range, whether
/// written as dates or as epoch numbers; filters and pages out of range are 400 problems.
#[tokio::test]
async fn attack_out_of_range_time() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let csv = format!(
        "{HEADER}\n2026-03-01T08:00:00Z,ann,192.0.2.1,true\n2150-01-01T00:00:00Z,bob,192.0.2.2,true\n\
         1969-12-31T23:59:59Z,carl,192.0.2.3,true\n99999999999999999,dora,192.0.2.4,true\n\
         -62135596800,emma,192.0.2.5,true\n"
    );
    let (status, created) = json_of(&router, api_upload(&[], csv.as_bytes())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let profile = &created["summary"]["profile"];
    println!(
        "out-of-range times: accepted {}, rejected {}",
        profile["accepted"], profile["rejected"]
    );
    assert_eq!(profile["accepted"], 1, "{profile}");
    assert_eq!(profile["rejected"], 4, "{profile}");
    for row in profile["rejected_rows"].as_array().unwrap() {
        assert!(
            row["reason"]
                .as_str()
                .unwrap()
                .contains("1990-01-01 to 2100-01-01"),
            "{row}"
        );
    }
    let id = created["id"].as_str().unwrap();
    for (query, code) in [
        ("from=99999-01-01", "bad_filter"),
        ("to=-0001-01-01", "bad_filter"),
        ("from=2026-02-30", "bad_filter"),
        ("page=1180591620717411303424", "bad_request"),
    ] {
        let (status, problem) = json_of(
            &router,
            get(&format!("/api/v1/analyses/{id}/events?{query}")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        assert_eq!(problem["code"], code, "{query}: {problem}");
    }
}

/// `members` copies of a gzip member of 25,000 identical rows after a header member: a gzip
/// reader reads the members as one stream, so a few hundred KB unpack to `members` MB.
fn decompression_bomb(members: usize) -> Vec<u8> {
    use std::io::Write;
    let gzip = |bytes: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let mut bomb = gzip(b"timestamp,user_id,ip_address,user_agent,success\n");
    let rows = gzip(&b"2026-03-02T08:15:03Z,alice,84.208.1.2,Mozilla/5.0,true\n".repeat(25_000));
    for _ in 0..members {
        bomb.extend_from_slice(&rows);
    }
    bomb
}

/// This process's resident memory, in MiB.
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The upload's answer: status, content type, `code` and `detail`.
async fn upload_answer(router: &Router, content: &[u8]) -> (StatusCode, String, Value) {
    let response = router
        .clone()
        .oneshot(api_upload(&[], content))
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// A decompression bomb: 5 million rows (about 280 MB) in a gzip of a few hundred KB, under an
/// 8 MB upload limit. Reading stops at the limit on unpacked text, or on records, and the
/// upload is answered 413 at once, naming the limit and how to raise it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_decompression_bomb() {
    let bomb = decompression_bomb(200);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    for (max_expanded_mb, max_rows, code, flag) in [
        (16, 1_000_000, "expanded_too_large", "--max-expanded-mb"),
        (1024, 100_000, "too_many_rows", "--max-rows"),
    ] {
        let mut detection =
            crate::support::detection_on(Arc::new(crate::support::fresh_store().await), None);
        detection.read_limits = service::reading::read_limits(max_expanded_mb, max_rows);
        let router = app(crate::support::state(
            detection,
            ServerSettings {
                max_upload_bytes: 8 * 1024 * 1024,
                ..ServerSettings::default()
            },
            AuthMode::Local,
            PageFiles::default(),
        ));
        let before_mib = resident_mib();
        let started = Instant::now();
        let (status, content_type, problem) = upload_answer(&router, &bomb).await;
        let elapsed = started.elapsed();
        println!(
            "decompression bomb ({} KB, 5,000,000 rows) with {flag}: {status} {code} in {:.2} s, \
             resident {before_mib:.0} → {:.0} MiB",
            bomb.len() / 1024,
            elapsed.as_secs_f64(),
            resident_mib()
        );
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["code"], code, "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(flag), "{detail}");
        assert!(detail.contains("SKYTRACE_MAX_"), "{detail}");
        // Far from reading all of it (even unoptimised, where reading the whole is minutes).
        assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    }
}

/// An endless line: 64 MB of one CSV field without a line break, gzipped. The line is cut at
/// the line limit and rejected; the rows around it are read.
#[tokio::test]
async fn attack_endless_line() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(b"timestamp,user_id,ip_address,user_agent,success\n2026-03-02T08:15:03Z,alice,84.208.1.2,")
        .unwrap();
    for _ in 0..64 {
        encoder.write_all(&[b'a'; 1024 * 1024]).unwrap();
    }
    encoder
        .write_all(b",true\n2026-03-02T08:16:03Z,bob,84.208.1.2,x,true\n")
        .unwrap();
    let packed = encoder.finish().unwrap();
    let profile = profile_of(&test_app_with_limit(8 * 1024 * 1024).await, &packed).await;
    println!(
        "endless line ({} KB gzip, 64 MB line): {profile}",
        packed.len() / 1024
    );
    assert_eq!(profile["rows_read"], 2, "{profile}");
    assert_eq!(profile["accepted"], 1, "{profile}");
    assert_eq!(profile["rejected"], 1, "{profile}");
    let rejected = &profile["rejected_rows"][0];
    assert_eq!(rejected["line"], 2, "{profile}");
    assert!(
        rejected["reason"].as_str().unwrap().contains("longer than"),
        "{profile}"
    );
}

/// A local server whose uploads are analysed through `queue`: its detection service, its
/// router, and the bundled sample to upload.
async fn served_through(
    queue: service::jobs::AnalysisQueue,
) -> (Arc<service::DetectionService>, Router, Vec<u8>) {
    let mut detection =
        crate::support::detection_on(Arc::new(crate::support::fresh_store().await), None);
    detection.queue = queue;
    let state = crate::support::state(
        detection,
        ServerSettings::default(),
        AuthMode::Local,
        PageFiles::default(),
    );
    let detection = Arc::clone(&state.detection);
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    (detection, app(state), sample)
}

/// A crowd of uploads: with every analysis slot and waiting place taken, a new upload is
/// answered 503 `busy` with Retry-After at once instead of hanging; once a slot is free it is
/// analysed.
#[tokio::test]
async fn attack_more_uploads_than_the_queue_holds() {
    let (detection, router, sample) = served_through(service::jobs::AnalysisQueue::new(
        service::jobs::QueueSettings {
            parallelism: 1,
            depth: 0,
        },
    ))
    .await;
    let busy = detection.queue.turn(0, || {}).await.unwrap();
    let started = Instant::now();
    let response = router
        .clone()
        .oneshot(api_upload(&[], &sample))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "busy", "{problem}");
    println!(
        "upload past the queue: 503 busy in {:?}, Retry-After {retry_after} s",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The pages' upload is refused the same way, in its own words (not as a timeout).
    let mut page_upload = multipart_upload(&sample);
    *page_upload.uri_mut() = "/_sfn/detect".parse().unwrap();
    let page = router.clone().oneshot(page_upload).await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers().contains_key(header::RETRY_AFTER));
    let text = page.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("busy"), "{text}");
    drop(busy);
    let (status, _, created) = upload_answer(&router, &sample).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// Uploads bigger than the memory budget leaves: with a server already holding most of its
/// budget, an upload that would not fit is refused 413 `over_memory_budget` naming the flag,
/// after the server let go of what it could rebuild; a small one still runs.
#[tokio::test]
async fn attack_an_upload_bigger_than_the_memory_budget() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const MIB: u64 = 1024 * 1024;
    let resident = Arc::new(AtomicU64::new(1000 * MIB));
    let budget = service::jobs::MemoryBudget {
        limit_bytes: 1001 * MIB,
        resident_bytes: Arc::new({
            let resident = Arc::clone(&resident);
            move || Some(resident.load(Ordering::Relaxed))
        }),
        give_back: Arc::new(|| {}),
    };
    let (detection, router, sample) =
        served_through(service::jobs::AnalysisQueue::default().within(budget)).await;
    assert!(sample.len() as u64 * service::jobs::ANALYSIS_BYTES_PER_TEXT_BYTE > MIB);
    // Bodies in memory have a quarter of the budget: with it taken, monitored events wait.
    let bodies = detection.queue.receive(u64::MAX).unwrap();
    let events = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(
            r#"{"timestamp":"2026-01-05T09:00:00Z","user_id":"ana","ip_address":"81.2.69.142","success":true}"#,
        ))
        .unwrap();
    let refused = router.clone().oneshot(events).await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    drop(bodies);
    let (status, _, problem) = upload_answer(&router, &sample).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(problem["code"], "over_memory_budget", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("--memory-budget-mb"), "{detail}");
    println!("upload past the memory budget: 413 over_memory_budget: {detail}");
    // With room in the budget, the same upload is analysed.
    resident.store(100 * MIB, Ordering::Relaxed);
    let (status, _, created) = upload_answer(&router, &sample).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// The same bomb through the command line: `skytrace profile` stops at the limit and says which
/// flag raises it (exit status 2, as for any log it cannot analyse).
#[test]
fn attack_decompression_bomb_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.csv.gz");
    std::fs::write(&path, decompression_bomb(200)).unwrap();
    for (limit, value, flag, says) in [
        (
            "--max-rows",
            "100000",
            "--max-rows",
            "more than 100000 records",
        ),
        (
            "--max-expanded-mb",
            "16",
            "--max-expanded-mb",
            "more than 16 MiB",
        ),
    ] {
        let started = Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_skytrace"))
            .args(["profile", limit, value])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!(
            "skytrace profile of the bomb with {limit} {value}: exit {:?} in {:.2} s: {}",
            output.status.code(),
            started.elapsed().as_secs_f64(),
            stderr.trim()
        );
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            stderr.contains(&format!("raise the limit with {flag}")),
            "{stderr}"
        );
    }
}
