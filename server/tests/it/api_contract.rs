//! The REST API's contract: every failure under `/api` is an RFC 9457 problem document, the
//! framework's own answers included; every answer (status, content type, body) is one the OpenAPI
//! document describes; the pages' server functions live apart and never answer a bad request
//! with a 5xx.

use serde_json::{Value, json};

use crate::support::{detection_on, fresh_store, state};
use crate::web::*;

/// The OpenAPI document the server serves.
pub(crate) fn document() -> Value {
    serde_json::from_str(include_str!("../../src/web/openapi.json")).unwrap()
}

/// What came back: status, content type and body.
pub(crate) struct Answer {
    /// `METHOD URI` of the request.
    pub(crate) asked: String,
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
    headers: axum::http::HeaderMap,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&self.body)))
    }
}

pub(crate) async fn answer(router: &Router, request: Request<Body>) -> Answer {
    let asked = format!("{} {}", request.method(), request.uri());
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        asked,
        status,
        content_type,
        body: body.to_vec(),
        headers,
    }
}

fn json_request(method: &str, uri: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn request(method: &str, uri: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap()
}

/// Asserts `answer` is a problem with `status` and `code`, and returns its detail.
fn assert_problem(answer: &Answer, status: StatusCode, code: &str, what: &str) -> String {
    assert_eq!(
        answer.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.content_type, "application/problem+json", "{what}");
    let problem = answer.json();
    assert_eq!(problem["code"], code, "{what}: {problem}");
    assert_eq!(problem["status"], status.as_u16(), "{what}: {problem}");
    assert_eq!(
        problem["type"],
        format!("/api/v1/problems/{code}"),
        "{what}"
    );
    assert!(
        problem["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}"
    );
    let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
    assert!(!detail.is_empty(), "{what}: {problem}");
    assert_eq!(problem["message"], problem["detail"], "{what}");
    detail
}

#[tokio::test]
async fn every_failure_under_api_is_a_problem_document() {
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let (status, created) = json_of(&router, api_upload(&[], &sample())).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    let events = format!("/api/v1/analyses/{id}/events");
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "page=-1",
            get(&format!("{events}?page=-1")),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "page=2^70",
            get(&format!("{events}?page=1180591620717411303424")),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "min_score=abc",
            get(&format!("{events}?min_score=abc")),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "min_score=NaN",
            get(&format!("{events}?min_score=NaN")),
            StatusCode::BAD_REQUEST,
            "bad_filter",
        ),
        (
            "a non-multipart upload",
            json_request("POST", "/api/v1/analyses", "{}"),
            StatusCode::BAD_REQUEST,
            "bad_upload",
        ),
        (
            "an unknown API path",
            get("/api/v2/analyses"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api itself",
            get("/api"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "DELETE on a collection",
            request("DELETE", "/api/v1/analyses"),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "an allow-list entry without its fields",
            json_request("POST", "/api/v1/allowlist", "{}"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "an allow-list entry sent as a form",
            Request::post("/api/v1/allowlist")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("kind=cidr"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "a verdict without its fields",
            json_request("POST", "/api/v1/findings/F-000000000000/triage", "[]"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "a path that is not UTF-8",
            get("/api/v1/analyses/%FF%FE"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "an unknown problem type",
            get("/api/v1/problems/no_such_thing"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = answer(&router, request).await;
        assert_problem(&answer, status, code, what);
        assert_documented(&document(), &answer);
    }
    let allowed = answer(&router, request("DELETE", "/api/v1/analyses")).await;
    assert_eq!(allowed.headers[header::ALLOW], "GET,HEAD,POST");
}

#[tokio::test]
async fn limits_answer_problems_under_api_and_text_on_pages() {
    let small = test_app_with_limit(1024).await;
    let over = answer(&small, api_upload(&[], &vec![b'x'; 4096])).await;
    let detail = assert_problem(&over, StatusCode::PAYLOAD_TOO_LARGE, "too_large", "413");
    assert!(detail.contains("--max-upload-mb"), "{detail}");
    // Pages' uploads keep the plain text the page shows.
    let page_upload = answer(&small, multipart_upload(&vec![b'x'; 4096])).await;
    assert_eq!(page_upload.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page_upload.content_type.starts_with("text/plain"));

    let slow = app(state(
        detection_on(Arc::new(fresh_store().await), None),
        ServerSettings {
            max_upload_bytes: 8 * 1024 * 1024,
            request_timeout: std::time::Duration::from_millis(1),
            ..ServerSettings::default()
        },
        AuthMode::Local,
        PageFiles::default(),
    ));
    let timed_out = answer(&slow, api_upload(&[], &sample())).await;
    let detail = assert_problem(
        &timed_out,
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        "503",
    );
    assert!(detail.contains("took longer than 0.001 s"), "{detail}");
    assert!(detail.contains("--request-timeout-secs"), "{detail}");
}

#[tokio::test]
async fn every_problem_type_is_described_where_its_type_points() {
    let router = test_app().await;
    for known in server::web::problem::PROBLEM_TYPES_KNOWN {
        let described = answer(&router, get(&format!("/api/v1/problems/{}", known.code()))).await;
        assert_eq!(described.status, StatusCode::OK);
        let body = described.json();
        assert_eq!(body["type"], format!("/api/v1/problems/{}", known.code()));
        assert_eq!(body["code"], known.code());
        assert_documented(&document(), &described);
    }
}

/// Every answer of a round trip through the API is one the document describes: its status is
/// listed for the operation, with the content type, and the body fits the schema.
#[tokio::test]
async fn every_answer_of_a_round_trip_is_described_by_the_document() {
    let document = document();
    let router = test_app_with_limit(8 * 1024 * 1024).await;
    let created = answer(&router, api_upload(&[], &sample())).await;
    assert_documented(&document, &created);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let events = answer(
        &router,
        get(&format!("/api/v1/analyses/{id}/events?level=high")),
    )
    .await;
    assert_documented(&document, &events);
    let login = events.json()["rows"][0]["login_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut requests = vec![
        get("/api/v1/analyses"),
        get(&format!("/api/v1/analyses/{id}")),
        get(&format!("/api/v1/analyses/{id}/events?format=csv")),
        get(&format!(
            "/api/v1/analyses/{id}/events?format=ecs&level=critical"
        )),
        get(&format!(
            "/api/v1/analyses/{id}/events?format=ocsf&level=critical"
        )),
        get(&format!("/api/v1/analyses/{id}/incidents")),
        get("/api/v1/users/ava.edwards"),
        get("/api/v1/users/nobody"),
        get(&format!("/api/v1/findings/{login}")),
        json_request(
            "POST",
            &format!("/api/v1/findings/{login}/triage"),
            r#"{"verdict":"dismissed","comment":"contract"}"#,
        ),
        json_request(
            "POST",
            &format!("/api/v1/findings/{login}/triage"),
            r#"{"verdict":"maybe"}"#,
        ),
        request("POST", &format!("/api/v1/analyses/{id}/rerun")),
        request("POST", "/api/v1/analyses/0000000000000000/rerun"),
        get("/api/v1/allowlist"),
        json_request(
            "POST",
            "/api/v1/allowlist",
            r#"{"kind":"cidr","value":"not an address","reason":"x"}"#,
        ),
        get("/api/v1/allowlist/AL-000000000000"),
        get("/api/v1/session"),
        json_request("POST", "/api/v1/session", r#"{"name":"a","password":"b"}"#),
        request("DELETE", "/api/v1/session"),
        get("/api/v1/openapi.json"),
    ];
    for kind in ["executive", "technical", "incident", "events"] {
        requests.push(get(&format!(
            "/api/v1/analyses/{id}/report?kind={kind}&format=json"
        )));
        requests.push(get(&format!(
            "/api/v1/analyses/{id}/report?kind={kind}&format=csv"
        )));
    }
    requests.push(get(&format!(
        "/api/v1/analyses/{id}/report?kind=events&format=ocsf&level=critical"
    )));
    requests.push(get(&format!(
        "/api/v1/analyses/{id}/report?kind=executive&format=ocsf"
    )));
    for request in requests {
        assert_documented(&document, &answer(&router, request).await);
    }
    // `top=` with nothing is not the integer the document asks for (found by Schemathesis).
    for top in ["", "0", "many"] {
        let refused = answer(
            &router,
            get(&format!(
                "/api/v1/analyses/{id}/report?kind=incident&format=pdf&top={top}"
            )),
        )
        .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "top={top}");
        assert_eq!(refused.json()["code"], "bad_filter");
        assert_documented(&document, &refused);
    }
    let entry = answer(
        &router,
        json_request(
            "POST",
            "/api/v1/allowlist",
            r#"{"kind":"country","value":"NO","reason":"office"}"#,
        ),
    )
    .await;
    assert_documented(&document, &entry);
    let entry_id = entry.json()["id"].as_str().unwrap().to_owned();
    for request in [
        get(&format!("/api/v1/allowlist/{entry_id}")),
        json_request(
            "PUT",
            &format!("/api/v1/allowlist/{entry_id}"),
            r#"{"kind":"country","value":"SE","reason":"office","expires_ms":null}"#,
        ),
        request("DELETE", &format!("/api/v1/allowlist/{entry_id}")),
    ] {
        let answer = answer(&router, request).await;
        assert!(answer.status.is_success(), "{}", answer.asked);
        assert_documented(&document, &answer);
    }
}

#[tokio::test]
async fn hosted_mode_answers_are_described_by_the_document_too() {
    let (router, _accounts, token) = crate::web_auth::hosted_app().await;
    let document = document();
    let with_token = |authorization: String| {
        Request::get("/api/v1/session")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap()
    };
    for (request, status) in [
        (get("/api/v1/analyses"), StatusCode::UNAUTHORIZED),
        (get("/api/v1/problems/bad_token"), StatusCode::OK),
        (get("/api/v1/openapi.json"), StatusCode::OK),
        (
            json_request("POST", "/api/v1/session", "not json"),
            StatusCode::BAD_REQUEST,
        ),
        (
            json_request(
                "POST",
                "/api/v1/session",
                r#"{"name":"root","password":"not-the-password"}"#,
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (with_token(format!("bearer {token}")), StatusCode::OK),
        (
            with_token("Bearer nope".to_owned()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            request("DELETE", "/api/v1/session"),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let answer = answer(&router, request).await;
        assert_eq!(answer.status, status, "{}", answer.asked);
        assert_documented(&document, &answer);
    }
}

fn sample() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sample/sample-logins.csv"))
        .unwrap()
}

/// Asserts the document lists `answer` for the operation its request went to, and that a JSON
/// body fits the documented schema; paths the document does not have may only answer problems.
pub(crate) fn assert_documented(document: &Value, answer: &Answer) {
    let what = answer.asked.as_str();
    let (method, uri) = what.split_once(' ').unwrap_or(("", what));
    let path = uri.split('?').next().unwrap_or(uri);
    let Some((template, operations)) = operations_of(document, path) else {
        // Paths outside the document: only problems may come back.
        assert_eq!(answer.content_type, "application/problem+json", "{what}");
        validate(
            document,
            &document["components"]["schemas"]["Problem"],
            &answer.json(),
            what,
        );
        return;
    };
    let operation = match operations.get(method.to_lowercase()) {
        Some(operation) => operation,
        None if answer.status == StatusCode::METHOD_NOT_ALLOWED => {
            validate(
                document,
                &document["components"]["schemas"]["Problem"],
                &answer.json(),
                what,
            );
            return;
        }
        None => panic!("{what}: {template} has no {method} operation"),
    };
    let status = answer.status.as_str();
    let mut response = operation["responses"].get(status).unwrap_or_else(|| {
        panic!("{what}: status {status} is not documented for {method} {template}")
    });
    if let Some(reference) = response["$ref"].as_str() {
        response = resolve(document, reference);
    }
    let media_type = answer.content_type.split(';').next().unwrap_or_default();
    if answer.body.is_empty() && response.get("content").is_none() {
        return;
    }
    let content = response["content"]
        .get(media_type)
        .unwrap_or_else(|| panic!("{what}: {status} as {media_type} is not documented"));
    if ["application/json", "application/problem+json"].contains(&media_type) {
        validate(document, &content["schema"], &answer.json(), what);
    }
}

fn operations_of<'a>(document: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    document["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, operations)| {
            let template_parts: Vec<&str> = template.split('/').collect();
            let parts: Vec<&str> = path.split('/').collect();
            let matches = template_parts.len() == parts.len()
                && template_parts
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()));
            matches.then_some((template.as_str(), operations))
        })
}

fn resolve<'a>(document: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.trim_start_matches('#');
    document
        .pointer(pointer)
        .unwrap_or_else(|| panic!("unresolved {reference}"))
}

fn validate(document: &Value, schema: &Value, value: &Value, at: &str) {
    if let Err(mismatch) = check(document, schema, value, at) {
        panic!("{mismatch}");
    }
}

/// A small JSON Schema check: the keywords the document uses.
fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        return check(document, resolve(document, reference), value, at);
    }
    for one in schema["allOf"].as_array().into_iter().flatten() {
        check(document, one, value, at)?;
    }
    if let Some(choices) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fitting = choices
            .iter()
            .filter(|choice| check(document, choice, value, at).is_ok())
            .count();
        if fitting == 0 {
            return Err(format!("{at}: {value} fits none of {schema}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits =
            allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !fits {
            return Err(format!(
                "{at}: {actual} where the document says {types}: {value}"
            ));
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64())
        && number < minimum
    {
        return Err(format!("{at}: {number} < {minimum}"));
    }
    if let (Some(maximum), Some(number)) = (schema["maximum"].as_f64(), value.as_f64())
        && number > maximum
    {
        return Err(format!("{at}: {number} > {maximum}"));
    }
    if let Some(object) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("{at}: {name} is missing from {value}"));
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(field) = object.get(name) {
                check(document, property, field, &format!("{at}.{name}"))?;
            }
        }
    }
    if let Some(items) = value.as_array() {
        let prefix = schema["prefixItems"].as_array().into_iter().flatten();
        for (index, (item, item_schema)) in items.iter().zip(prefix).enumerate() {
            check(document, item_schema, item, &format!("{at}[{index}]"))?;
        }
        if schema.get("items").is_some() {
            for (index, item) in items.iter().enumerate() {
                check(document, &schema["items"], item, &format!("{at}[{index}]"))?;
            }
        }
        let count = items.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|min| count < min)
            || schema["maxItems"].as_u64().is_some_and(|max| count > max)
        {
            return Err(format!(
                "{at}: {count} items where the document says {schema}"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_server_function_lives_under_its_own_prefix() {
    let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(paths.len() >= 10, "{paths:?}");
    for (path, _) in paths {
        assert!(
            path.starts_with(server::web::server_fn_guard::SERVER_FN_PREFIX),
            "{path} would be answered as part of the REST API"
        );
    }
}

/// Regression: a non-multipart `POST /api/detect` made the server panic (the connection was
/// dropped), and the allow-list, summary and verdict functions answered missing arguments 500.
#[tokio::test]
async fn a_bad_request_to_any_server_function_is_a_4xx() {
    let router = test_app().await;
    let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    for (path, method) in paths {
        for content_type in [
            None,
            Some("application/json"),
            Some("multipart/form-data"),
            Some("text/plain"),
        ] {
            let mut request = Request::builder().method(method.clone()).uri(path);
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let request = request.body(Body::from("x=%FF&not=json{")).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert!(
                !response.status().is_server_error(),
                "{method} {path} ({content_type:?}) answered {}",
                response.status()
            );
        }
    }
    for (path, body) in [
        ("/_sfn/allowlist/add", "expires="),
        ("/_sfn/detect/summary", ""),
        ("/_sfn/triage/verdict", "login_id=x"),
    ] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let not_multipart = Request::post("/_sfn/detect")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"file": "x"}).to_string()))
        .unwrap();
    let response = router.clone().oneshot(not_multipart).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "ServerError|expected a multipart/form-data upload with a `file` field"
    );
}
