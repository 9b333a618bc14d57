//! Broken, hostile and huge responses from a local server: each ends in a
//! typed error (or a correct parse), never a panic or a hang. Every error
//! message names what went wrong, the status and a bounded piece of the body.

use std::time::Duration;

use serde_json::json;
use support::http::{fetch_first_page, test_client};
use support::samples::ids::{AGENT, BATCH};
use support::samples::{any_row, page};
use support::server::{Reply, ScriptedServer};
use ultravox_client::types::PaginatedScheduledCallList;
use ultravox_client::{ClientBuilder, Error, ErrorKind};

/// The one page the server answers with `reply`, fetched with no retries
/// and a short timeout.
async fn fetch(reply: Reply) -> Result<PaginatedScheduledCallList, Error> {
    let configure =
        |client: ClientBuilder| client.timeout(Duration::from_millis(500)).max_retries(0);
    let (result, _server) = fetch_first_page(vec![reply], configure).await;
    result.map(|page| page.into_inner())
}

/// Asserts a decode error at `path` whose message says `needle`.
fn assert_decode_error(
    result: Result<PaginatedScheduledCallList, Error>,
    path: &str,
    needle: &str,
) {
    let err = result.expect_err("must not parse");
    let text = err.to_string();
    let ErrorKind::Decode { path: actual, .. } = err.kind() else {
        panic!("not a decode error: {text}")
    };
    assert_eq!(actual, path, "{text}");
    assert!(text.contains("HTTP 200 OK"), "no status: {text}");
    assert!(text.contains(needle), "{needle:?} missing: {text}");
    assert!(text.len() < 600, "unbounded message: {} chars", text.len());
}

#[tokio::test]
async fn empty_body_with_200() {
    let result = fetch(Reply::raw(200, "application/json", "")).await;
    assert_decode_error(result, ".", "EOF while parsing");
}

#[tokio::test]
async fn truncated_json() {
    let body = page(vec![any_row()], None).to_string();
    let result = fetch(Reply::raw(200, "application/json", &body[..body.len() / 2])).await;
    assert_decode_error(result, "results[0].batchId", "EOF while parsing");
}

#[tokio::test]
async fn html_error_page_with_200() {
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let result = fetch(Reply::raw(200, "text/html", html)).await;
    assert_decode_error(
        result,
        ".",
        "<!DOCTYPE html><html><head><title>502 Bad Gateway",
    );
}

#[tokio::test]
async fn text_plain_content_type() {
    // The body decides, not the label: a JSON page parses...
    let body = page(vec![any_row()], None).to_string();
    let parsed = fetch(Reply::raw(200, "text/plain", body)).await.unwrap();
    assert_eq!(parsed.results.len(), 1);
    // ...and plain text is a decode error that shows it.
    let result = fetch(Reply::raw(
        200,
        "text/plain; charset=utf-8",
        "upstream connect error",
    ))
    .await;
    assert_decode_error(result, ".", "upstream connect error");
}

#[tokio::test]
async fn wrong_shapes_name_the_field() {
    let cases = [
        (
            json!({ "results": { "0": {} } }),
            "results",
            "invalid type: map, expected a sequence",
        ),
        (
            json!({ "results": null }),
            "results",
            "invalid type: null, expected a sequence",
        ),
        (
            json!({ "results": [], "total": "123" }),
            "total",
            "invalid type: string \"123\", expected i64",
        ),
        (json!({ "next": null }), ".", "missing field `results`"),
        // serde reads a struct from an array, too: the first element is `next`.
        (
            json!([1, 2, 3]),
            "[0]",
            "invalid type: integer `1`, expected a string",
        ),
        (
            json!({ "results": [{ "status": 3, "batchId": BATCH, "callId": null, "error": null }] }),
            "results[0].status",
            "invalid type: integer `3`",
        ),
        (
            json!({ "results": [without(any_row(), "callId")] }),
            "results[0]",
            "missing field `callId`",
        ),
    ];
    for (body, path, needle) in cases {
        assert_decode_error(fetch(Reply::json(200, &body)).await, path, needle);
    }
}

/// `value` without its `key`.
fn without(mut value: serde_json::Value, key: &str) -> serde_json::Value {
    value.as_object_mut().unwrap().remove(key);
    value
}

#[tokio::test]
async fn invalid_utf8() {
    // A row whose `error` ends in bytes that are not UTF-8.
    let row = without(any_row(), "error").to_string();
    let mut body =
        format!(r#"{{"results": [{}, "error": "bad "#, &row[..row.len() - 1]).into_bytes();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}]}"#);
    let result = fetch(Reply::raw(200, "application/json", body)).await;
    assert_decode_error(result, "results[0].error", "invalid unicode code point");
}

#[tokio::test]
async fn nesting_deeper_than_the_parser_allows() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = format!(
        r#"{{"results": [{{"status": "FUTURE", "batchId": "{BATCH}", "callId": null, "error": null, "templateContext": {deep}}}]}}"#
    );
    let err = fetch(Reply::raw(200, "application/json", body))
        .await
        .unwrap_err();
    let text = err.to_string();
    let ErrorKind::Decode { path, .. } = err.kind() else {
        panic!("{text}")
    };
    // The path is 128 levels deep; the message shows its start.
    assert!(
        path.starts_with("results[0].templateContext[0][0]"),
        "{path}"
    );
    assert!(text.contains("recursion limit exceeded"), "{text}");
    assert!(text.len() < 600, "unbounded message: {} chars", text.len());
}

#[tokio::test]
async fn batch_id_that_is_not_a_uuid() {
    let mut bad = any_row();
    bad["batchId"] = json!("batch-42");
    let result = fetch(Reply::json(200, &page(vec![any_row(), bad], None))).await;
    assert_decode_error(result, "results[1].batchId", "UUID parsing failed");
}

#[tokio::test]
async fn ten_megabyte_page_parses() {
    let mut rich = any_row();
    rich["callId"] = json!("8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d");
    rich["metadata"] = json!({ "note": "x".repeat(300) });
    let per_row = rich.to_string().len();
    let rows = 10 * 1024 * 1024 / per_row + 1;
    let body = page(vec![rich; rows], None);
    let server = ScriptedServer::start(vec![Reply::json(200, &body)]).await;
    // A generous timeout: the point is the size, not the speed of a debug build.
    let client = test_client(&server.base_url)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let parsed = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(parsed.results.len(), rows);
}

#[tokio::test]
async fn error_statuses_with_json_and_html_bodies() {
    for status in [401u16, 403, 404, 422, 500, 502] {
        let json_body = json!({ "detail": format!("problem {status}") });
        let html_body = format!(
            "<html><body><h1>{status}</h1>{}</body></html>",
            "padding ".repeat(200)
        );
        for reply in [
            Reply::json(status, &json_body),
            Reply::raw(status, "text/html", html_body.clone()),
        ] {
            let err = fetch(reply).await.expect_err("an error status");
            let text = err.to_string();
            let ErrorKind::Status {
                status: actual,
                body,
                ..
            } = err.kind()
            else {
                panic!("{text}")
            };
            assert_eq!(actual.as_u16(), status);
            assert!(
                text.starts_with(&format!("list_scheduled_calls: HTTP {status} ")),
                "{text}"
            );
            // The full body is kept; the message shows a bounded piece of it.
            assert!(
                body.contains(&format!("problem {status}"))
                    || body.contains(&format!("<h1>{status}</h1>"))
            );
            assert!(
                text.contains(&body.chars().take(20).collect::<String>()),
                "{text}"
            );
            assert!(text.len() < 300, "unbounded message: {} chars", text.len());
        }
    }
}

#[tokio::test]
async fn connection_reset_mid_body() {
    let sent = br#"{"results": [{"status": "FUTURE", "#.to_vec();
    let err = fetch(Reply::ResetMidBody {
        announced: 4096,
        sent,
    })
    .await
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("list_scheduled_calls: transport error: "),
        "{text}"
    );
    assert!(text.contains("body"), "says what broke: {text}");
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let err = fetch(Reply::Stall).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("list_scheduled_calls: timed out: "),
        "{err}"
    );
}

#[tokio::test]
async fn body_trickled_slower_than_the_timeout_times_out() {
    let body = page(vec![any_row()], None).to_string().into_bytes();
    let err = fetch(Reply::Trickle {
        body,
        every: Duration::from_millis(50),
    })
    .await
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
}

/// No secret in any error: a body that carries a value of every property
/// the spec marks `writeOnly` or the overlay `x-sensitive` (the list the
/// types' `Debug` redacts) — in an error response and in a success response
/// that fails to decode — shows none of them in the error's `Display`,
/// `Debug` or kept body.
#[tokio::test]
async fn no_error_shows_a_sensitive_value() {
    let names = support::spec::sensitive_property_names();
    assert!(!names.is_empty(), "the spec marks no property sensitive");
    let secrets: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|name| (name.to_string(), json!(format!("SECRET-{name}-value"))))
        .collect();
    let status_body = json!({ "detail": "invalid", "batch": secrets.clone() });
    let mut broken_page = page(vec![any_row()], None);
    broken_page["results"][0]["batchId"] = json!(42);
    for (name, value) in &secrets {
        broken_page["results"][0][name] = value.clone();
    }
    for reply in [
        Reply::json(400, &status_body),
        Reply::json(200, &broken_page),
    ] {
        let err = fetch(reply).await.expect_err("fails");
        let body = match err.kind() {
            ErrorKind::Status { body, .. } | ErrorKind::Decode { body, .. } => body.clone(),
            other => panic!("{other}"),
        };
        for (shown, what) in [
            (err.to_string(), "Display"),
            (format!("{err:?}"), "Debug"),
            (body, "the kept body"),
        ] {
            for name in &names {
                assert!(
                    !shown.contains(&format!("SECRET-{name}-value")),
                    "{what} shows {name}: {shown}"
                );
            }
        }
    }
}
