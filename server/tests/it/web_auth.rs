//! Hosted mode end to end through the router: who gets in, what each role may do, cross-site
//! requests, throttled guessing, and API tokens.

use std::time::Duration;

use axum::extract::ConnectInfo;
use server::web::AppState;
use server::web::auth::{LimitSettings, LoginLimiter, SignIn};
use server::web::ingest_rate::IngestRates;
use service::Accounts;
use service::account::{Role, TokenScope};

use crate::support::{detection_on, state};
use crate::web::*;

const ANALYST: (&str, &str) = ("alice", "alice-password-1");
const ADMIN: (&str, &str) = ("root", "root-password-12");
const CLIENT: &str = "203.0.113.50:50000";

/// A hosted-mode app with an analyst and an admin, and an API token for the admin.
pub async fn hosted_app() -> (Router, Accounts, String) {
    hosted_app_with_rate(0).await
}

/// [`hosted_app`] with each ingest token sending at most `ingest_rate_per_token` events a
/// second (0: no limit).
async fn hosted_app_with_rate(ingest_rate_per_token: u32) -> (Router, Accounts, String) {
    let store = Arc::new(crate::support::fresh_store().await);
    let accounts = Accounts::new(store.clone());
    for ((name, password), role) in [(ANALYST, Role::Analyst), (ADMIN, Role::Admin)] {
        accounts.add(name, role, password).await.unwrap();
    }
    let token = accounts
        .create_token(ADMIN.0, "tests", TokenScope::Api)
        .await
        .unwrap();
    let sign_in = SignIn {
        accounts: accounts.clone(),
        limiter: LoginLimiter::new(
            LimitSettings {
                per_account: 3,
                per_address: 10,
                window: Duration::from_secs(600),
            },
            store.clone(),
        ),
        secure_cookie: true,
    };
    let router = app(AppState {
        ingest_rates: Arc::new(IngestRates::new(ingest_rate_per_token)),
        ..state(
            detection_on(store, None),
            ServerSettings {
                max_upload_bytes: 8 * 1024 * 1024,
                ..ServerSettings::default()
            },
            AuthMode::SignIn(Arc::new(sign_in)),
            PageFiles::default(),
        )
    });
    (router, accounts, token.secret)
}

/// A new ingest-scoped token (what a log shipper is given), made by the admin.
pub async fn ingest_token(accounts: &Accounts) -> String {
    accounts
        .create_token(ADMIN.0, "vector", TokenScope::Ingest)
        .await
        .unwrap()
        .secret
}

/// A request from a client address, as `serve` sees it.
fn from_client(mut request: Request<Body>) -> Request<Body> {
    let address: SocketAddr = CLIENT.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

fn sign_in_request(name: &str, password: &str) -> Request<Body> {
    from_client(
        Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"name": name, "password": password}).to_string(),
            ))
            .unwrap(),
    )
}

/// Signs in through the API: (session cookie pair, CSRF token).
async fn sign_in(router: &Router, (name, password): (&str, &str)) -> (String, String) {
    let response = router
        .clone()
        .oneshot(sign_in_request(name, password))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["account"]["name"], name);
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

/// `skytrace_session=…` from the response's Set-Cookie.
fn set_cookie(response: &Response) -> String {
    let header = response.headers()[header::SET_COOKIE].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

/// A JSON request with the cookie, from this site's own page (as a browser marks it).
fn same_site_json(method: &str, uri: &str, cookie: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn with_cookie(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn hosted_mode_lets_in_only_signed_in_people_and_keeps_the_roles_apart() {
    let (router, _accounts, token) = hosted_app().await;

    // Nobody signed in: pages go to the sign-in form (and back after), the API says 401.
    let response = router
        .clone()
        .oneshot(get("/detect?run=abc"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?next=%2Fdetect%3Frun%3Dabc"
    );
    let (status, body) = json_of(&router, get("/api/v1/analyses")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, _) = json_of(
        &router,
        Request::post("/_sfn/triage/verdict")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "server functions too");
    let response = router
        .clone()
        .oneshot(get("/login?next=%2Fdetect%3Frun%3Dabc"))
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let form = String::from_utf8_lossy(&body);
    assert!(form.contains(r#"data-testid="login-form""#));
    // Regression: the way back was set only once the WebAssembly ran, so a sign-in without it
    // lost the deep link.
    assert!(
        form.contains(r#"name="next" value="/detect?run=abc""#),
        "{form}"
    );
    for open in ["/healthz", "/login", "/api/v1/openapi.json"] {
        let response = router.clone().oneshot(get(open)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{open}");
    }
    // Ready or not (the monitor may still be starting), it says so without a sign-in.
    let readiness = router.clone().oneshot(get("/readyz")).await.unwrap();
    assert!(
        [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(&readiness.status()),
        "{:?}",
        readiness.status()
    );

    // A wrong password is refused without saying which part was wrong.
    let (status, body) = json_of(&router, sign_in_request(ANALYST.0, "not-her-password")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    let (status, body) = json_of(&router, sign_in_request("nobody", "not-her-password")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );

    // The session cookie is HttpOnly, SameSite and Secure.
    let response = router
        .clone()
        .oneshot(sign_in_request(ANALYST.0, ANALYST.1))
        .await
        .unwrap();
    let header = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(header.contains(flag), "{flag} missing from {header}");
    }
    let (alice, alice_csrf) = sign_in(&router, ANALYST).await;
    let (status, me) = json_of(&router, with_cookie("/api/v1/session", &alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            me["name"].as_str(),
            me["role"].as_str(),
            me["signed_in"].as_bool()
        ),
        (Some("alice"), Some("analyst"), Some(true))
    );
    let response = router
        .clone()
        .oneshot(with_cookie("/detect", &alice))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "pages render once signed in"
    );

    // An analyst uploads and triages...
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"),
    )
    .unwrap();
    let mut upload = api_upload(&[], &sample);
    upload
        .headers_mut()
        .insert(header::COOKIE, alice.parse().unwrap());
    upload
        .headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    let (status, created) = json_of(&router, upload).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, page) = json_of(
        &router,
        with_cookie(&format!("/api/v1/analyses/{id}/events"), &alice),
    )
    .await;
    let login_id = page["rows"][0]["login_id"].as_str().unwrap().to_owned();
    let triage = format!("/api/v1/findings/{login_id}/triage");
    let verdict = serde_json::json!({"verdict": "dismissed", "comment": "seen"});
    let (status, body) = json_of(
        &router,
        same_site_json("POST", &triage, &alice, verdict.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["triage"]["history"][0]["actor"], "alice",
        "the verdict is hers"
    );

    // ... but never from another site's page, nor without a browser's word or the CSRF token.
    let mut cross = same_site_json("POST", &triage, &alice, verdict.clone());
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let (status, body) = json_of(&router, cross).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("cross_site"))
    );
    let mut bare = same_site_json("POST", &triage, &alice, verdict.clone());
    bare.headers_mut().remove("sec-fetch-site");
    let (status, _) = json_of(&router, bare).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut scripted = same_site_json("POST", &triage, &alice, verdict.clone());
    scripted.headers_mut().remove("sec-fetch-site");
    scripted
        .headers_mut()
        .insert("x-csrf-token", alice_csrf.parse().unwrap());
    let (status, _) = json_of(&router, scripted).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session's CSRF token stands in for the browser"
    );
    let mut wrong_token = same_site_json("POST", &triage, &alice, verdict);
    wrong_token.headers_mut().remove("sec-fetch-site");
    wrong_token
        .headers_mut()
        .insert("x-csrf-token", "0".repeat(64).parse().unwrap());
    let (status, _) = json_of(&router, wrong_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The allow-list and the server's settings are an admin's.
    let entry =
        serde_json::json!({"kind": "cidr", "value": "198.51.100.0/24", "reason": "office VPN"});
    let (status, body) = json_of(
        &router,
        same_site_json("POST", "/api/v1/allowlist", &alice, entry.clone()),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("only an admin"),
        "{body}"
    );
    let (status, list) = json_of(&router, with_cookie("/api/v1/allowlist", &alice)).await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "analysts may read it"
    );
    let settings = Request::post("/_sfn/settings")
        .header(header::COOKIE, &alice)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(settings).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the settings server function"
    );

    // An admin's API token: no cookie, no CSRF token needed; the entry is in its account's name.
    let mut by_token = Request::post("/api/v1/allowlist")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(entry.to_string()))
        .unwrap();
    let (status, created) = json_of(&router, by_token).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["actor"], "root");
    by_token = Request::get("/api/v1/session")
        .header(header::AUTHORIZATION, "Bearer skt_revoked-or-made-up")
        .body(Body::empty())
        .unwrap();
    let (status, body) = json_of(&router, by_token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_token"))
    );

    // Signing out ends the session on the server, not only in the browser.
    let response = router
        .clone()
        .oneshot(same_site_json(
            "DELETE",
            "/api/v1/session",
            &alice,
            serde_json::Value::Null,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _) = json_of(&router, with_cookie("/api/v1/session", &alice)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Events are sent with ingest tokens and ingest tokens only send events: a shipper's leaked
/// token reads nothing, and people's sessions and tokens do not feed the monitor.
#[tokio::test]
async fn ingest_tokens_only_send_events_and_only_they_send_them() {
    let (router, accounts, api_token) = hosted_app_with_rate(5).await;
    let shipper = ingest_token(&accounts).await;
    let events = |authorization: &str, count: usize| {
        let lines: String = (0..count)
            .map(|minute| {
                format!(
                    "{}\n",
                    crate::monitor::csv_login(
                        &format!("2026-03-02T09:{minute:02}:00Z"),
                        "ana@example.com",
                        "198.51.100.7"
                    )
                )
            })
            .collect();
        Request::post("/api/v1/events")
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .body(Body::from(lines))
            .unwrap()
    };
    let (status, answer) = json_of(&router, events(&format!("Bearer {shipper}"), 7)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["results"].as_array().unwrap().len(), 7);

    let (status, problem) = json_of(&router, events(&format!("Bearer {api_token}"), 1)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_scope")),
        "a person's token does not send events"
    );
    let (cookie, csrf) = sign_in(&router, ADMIN).await;
    let mut by_session = events("", 1);
    by_session.headers_mut().remove(header::AUTHORIZATION);
    by_session
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    by_session
        .headers_mut()
        .insert("x-csrf-token", csrf.parse().unwrap());
    let (status, problem) = json_of(&router, by_session).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_scope")),
        "nor does a session"
    );
    for path in ["/api/v1/analyses", "/api/v1/session", "/dashboard"] {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {shipper}"))
            .body(Body::empty())
            .unwrap();
        let (status, problem) = json_of(&router, request).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("token_scope")),
            "{path}"
        );
    }

    let health = Request::get("/healthz")
        .header(header::AUTHORIZATION, format!("Bearer {shipper}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.clone().oneshot(health).await.unwrap().status(),
        StatusCode::OK,
        "public paths stay open to it"
    );

    // The shipper spent ahead (7 events at 5 a second): held back, told for how long.
    let response = router
        .clone()
        .oneshot(events(&format!("Bearer {shipper}"), 1))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");

    let listed = accounts.tokens().await.unwrap();
    let scopes: Vec<_> = listed.iter().map(|t| (t.label.as_str(), t.scope)).collect();
    assert_eq!(
        scopes,
        [("tests", TokenScope::Api), ("vector", TokenScope::Ingest)]
    );
}

#[tokio::test]
async fn guessing_passwords_is_throttled_per_account() {
    let (router, _accounts, _token) = hosted_app().await;
    for _ in 0..3 {
        let (status, _) = json_of(&router, sign_in_request(ANALYST.0, "a wrong guess!")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits: the guesser cannot tell.
    let response = router
        .clone()
        .oneshot(sign_in_request(ANALYST.0, ANALYST.1))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&retry), "{retry}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("too_many_attempts"));
    // The form says so too; another account is not affected.
    let form = from_client(
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "name=alice&password=alice-password-1&next=%2Fdetect",
            ))
            .unwrap(),
    );
    let response = router.clone().oneshot(form).await.unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?status=limited&next=%2Fdetect"
    );
    sign_in(&router, ADMIN).await;
}

#[tokio::test]
async fn the_sign_in_form_works_without_javascript() {
    let (router, accounts, _token) = hosted_app().await;
    let form = |body: &'static str| {
        from_client(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("origin", "http://sky.example")
                .header(header::HOST, "sky.example")
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let response = router
        .clone()
        .oneshot(form("name=root&password=wrong-password!&next=%2Freports"))
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?status=failed&next=%2Freports"
    );

    let response = router
        .clone()
        .oneshot(form(
            "name=root&password=root-password-12&next=%2Freports%3Frun%3Dx",
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/reports?run=x");
    let cookie = set_cookie(&response);
    let response = router
        .clone()
        .oneshot(with_cookie("/reports", &cookie))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Never sent on to another site after signing in.
    let response = router
        .clone()
        .oneshot(form(
            "name=root&password=root-password-12&next=%2F%2Fevil.example",
        ))
        .await
        .unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/");

    // A sign-in form on another site is refused (it would sign the visitor in as someone else).
    let mut elsewhere = form("name=root&password=root-password-12");
    elsewhere
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let response = router.clone().oneshot(elsewhere).await.unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?status=cross_site"
    );
    assert!(response.headers().get(header::SET_COOKIE).is_none());

    // Signing out from the page's form.
    let logout = Request::post("/logout")
        .header(header::COOKIE, &cookie)
        .header("origin", "http://sky.example")
        .header(header::HOST, "sky.example")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(logout).await.unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?status=signed_out"
    );
    let secret = cookie.split_once('=').unwrap().1;
    assert!(accounts.session(secret).await.unwrap().is_none());

    // A new password ends every session of the account.
    let response = router
        .clone()
        .oneshot(form("name=root&password=root-password-12"))
        .await
        .unwrap();
    let cookie = set_cookie(&response);
    accounts
        .reset("root", Some(Role::Admin), "another-password-1")
        .await
        .unwrap();
    let response = router
        .clone()
        .oneshot(with_cookie("/reports", &cookie))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn local_mode_has_one_admin_and_no_sign_in() {
    let router = test_app().await;
    let (status, me) = json_of(&router, get("/api/v1/session")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            me["name"].as_str(),
            me["role"].as_str(),
            me["signed_in"].as_bool()
        ),
        (Some("local"), Some("admin"), Some(false))
    );
    let (status, body) = json_of(&router, sign_in_request("alice", "whatever-password")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_sign_in"))
    );
    let (status, page) = get_page("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("runs without sign-in") && !page.contains("login-form"),
        "{page}"
    );
}
