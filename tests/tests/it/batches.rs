//! The scheduled-batch family end to end (issue 19), against servers the
//! tests start on 127.0.0.1: each operation with its documented status, a
//! PATCH that sends only what was set, listings resumed from a cursor, the
//! retry table row by row, `retry_after()`, errors that name their
//! operation, and response types without the server-never-sends fields.

use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use support::http::test_client;
use support::operation_checks::{request_body, sample, sample_json};
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::samples::{any_row, page};
use support::server::{Reply, ScriptedServer};
use support::spec;
use ultravox_client::mock::MockServerExt;
use ultravox_client::mock::httpmock::MockServer;
use ultravox_client::operations::{CreateBatch, DeleteBatch, GetBatch, UpdateBatch};
use ultravox_client::types::{self, ScheduledCallBatch, ScheduledCallStatus};
use ultravox_client::{Cursor, ErrorKind, Operation};

fn client(server: &MockServer) -> ultravox_client::Client {
    test_client(&server.base_url()).build().unwrap()
}

#[tokio::test]
async fn create_batch_answers_the_new_batch_with_the_documented_status() {
    let server = MockServer::start_async().await;
    let batch: ScheduledCallBatch = sample();
    let mock = server.create_batch(|when, then| {
        when.agent_id(&AGENT);
        then.created(&batch);
    });
    let body = request_body::<types::ScheduledCallBatchRequest>(CreateBatch::OPERATION_ID);
    let created = client(&server)
        .create_batch(AGENT)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status().as_u16(),
        spec::success_status_of(CreateBatch::OPERATION_ID)
    );
    assert_eq!(created.into_inner(), batch);
    mock.assert();
}

#[tokio::test]
async fn delete_batch_answers_no_content_with_the_documented_status() {
    let server = MockServer::start_async().await;
    let mock = server.delete_batch(|when, then| {
        when.agent_id(&AGENT).batch_id(&BATCH);
        then.no_content();
    });
    let deleted = client(&server)
        .delete_batch(AGENT, BATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.status().as_u16(),
        spec::success_status_of(DeleteBatch::OPERATION_ID)
    );
    mock.assert();
}

/// A PATCH sends the fields that were set and nothing else: pausing a
/// batch changes nothing but whether it is paused.
#[tokio::test]
async fn update_batch_sends_only_the_fields_set() {
    let server = MockServer::start_async().await;
    let only_paused = types::PatchedScheduledCallBatchRequest::builder()
        .paused(Some(true))
        .build()
        .unwrap();
    let expected = serde_json::to_value(&only_paused).unwrap();
    assert_eq!(expected.as_object().unwrap().len(), 1, "{expected}");
    let paused: ScheduledCallBatch = sample();
    let mock = server.update_batch(|when, then| {
        let when = when.agent_id(&AGENT).batch_id(&BATCH);
        let _same_when = when.into_inner().json_body(expected.clone());
        then.ok(&paused);
    });
    let updated = client(&server)
        .update_batch(AGENT, BATCH)
        .body_map(|body| body.paused(Some(true)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.status().as_u16(),
        spec::success_status_of(UpdateBatch::OPERATION_ID)
    );
    mock.assert();
}

/// A PATCH can clear what the API lets it clear: every optional, nullable
/// property of the body (read from the spec) sent as `null` decodes as
/// "clear it", encodes back as `null`, and is what reaches the server;
/// through the builder, `None` sends `null` and an uncalled setter sends
/// nothing.
#[tokio::test]
async fn update_batch_can_clear_every_nullable_field() {
    let schema = spec::resolve(spec::request_body_schema_of(UpdateBatch::OPERATION_ID));
    let nullable = spec::nullable_keys(schema);
    let cleared: serde_json::Map<String, Value> = spec::optional_keys(schema)
        .into_iter()
        .filter(|key| nullable.contains(key))
        .filter(|key| schema["properties"][*key]["readOnly"] != Value::Bool(true))
        .map(|key| (key.to_owned(), Value::Null))
        .collect();
    assert!(
        !cleared.is_empty(),
        "the PATCH body has no nullable property"
    );
    let cleared = Value::Object(cleared);
    let body: types::PatchedScheduledCallBatchRequest =
        serde_json::from_value(cleared.clone()).unwrap();
    assert_eq!(serde_json::to_value(&body).unwrap(), cleared);

    let server = MockServer::start_async().await;
    let batch: ScheduledCallBatch = sample();
    let mock = server.update_batch(|when, then| {
        let when = when.agent_id(&AGENT).batch_id(&BATCH);
        let _same_when = when.into_inner().json_body(cleared.clone());
        then.ok(&batch);
    });
    client(&server)
        .update_batch(AGENT, BATCH)
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert();

    let built = types::PatchedScheduledCallBatchRequest::builder()
        .throttle(None)
        .build()
        .unwrap();
    let built = serde_json::to_value(&built).unwrap();
    let [(key, value)] = &built.as_object().unwrap().iter().collect::<Vec<_>>()[..] else {
        panic!("one field sent: {built}")
    };
    assert!(cleared.get(key.as_str()).is_some(), "{built}");
    assert_eq!(**value, Value::Null, "{built}");
    let untouched = types::PatchedScheduledCallBatchRequest::builder()
        .build()
        .unwrap();
    assert_eq!(serde_json::to_value(&untouched).unwrap(), json!({}));
    let unchanged: types::PatchedScheduledCallBatchRequest =
        serde_json::from_value(json!({})).unwrap();
    assert_eq!(unchanged, untouched);
}

/// What the server never sends (`writeOnly`) is not in the response type:
/// its sample has none of those keys, and a body without them decodes.
#[tokio::test]
async fn a_batch_decodes_without_the_fields_only_requests_carry() {
    let schema = spec::resolve(spec::response_schema_of(GetBatch::OPERATION_ID));
    let write_only: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, property)| property["writeOnly"] == Value::Bool(true))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(!write_only.is_empty(), "the batch has writeOnly fields");
    let body = sample_json::<ScheduledCallBatch>();
    for name in &write_only {
        assert!(body.get(*name).is_none(), "{name} in {body}");
    }
    let server = MockServer::start_async().await;
    server.get_batch(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(body.clone());
    });
    let batch = client(&server)
        .get_batch(AGENT, BATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(batch.into_inner()).unwrap(), body);
}

/// `Display` starts with the client method's name; the key, the cursor and
/// the query never appear.
#[tokio::test]
async fn an_error_names_its_operation_and_nothing_secret() {
    let server = MockServer::start_async().await;
    let not_found = json!({ "detail": "Not found." });
    server.get_batch(|_, then| {
        then.error(404, &not_found);
    });
    let err = client(&server)
        .get_batch(AGENT, BATCH)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.operation(), Some("get_batch"));
    assert_eq!(
        err.to_string(),
        format!("get_batch: HTTP 404 Not Found: {not_found}")
    );

    let server = ScriptedServer::start(vec![Reply::json(500, &not_found)]).await;
    let client = test_client(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .cursor("secret-cursor")
        .page_size(7)
        .send()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("list_scheduled_calls: HTTP 500"), "{text}");
    for secret in [API_KEY, "secret-cursor", "pageSize", "cursor="] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

/// A row numbered `n` (in its metadata), to tell rows apart.
fn numbered(n: u64) -> Value {
    let mut row = any_row();
    row["metadata"] = json!({ "n": n });
    row
}

fn numbers(calls: &[types::ScheduledCall]) -> Vec<u64> {
    calls
        .iter()
        .map(|call| call.metadata.as_ref().unwrap()["n"].as_u64().unwrap())
        .collect()
}

/// A listing that fails on page 2 ends with the cursor of page 2; resumed
/// from it, with the same filters, every row arrives exactly once and the
/// cursor goes back exactly as the API wrote it.
#[tokio::test]
async fn a_listing_that_fails_midway_resumes_from_its_cursor() {
    let written = "cD0yJnNvcnQ9LWNyZWF0ZWQ%3D%2B";
    let server = ScriptedServer::start(vec![
        Reply::json(200, &page(vec![numbered(0), numbered(1)], Some(written))),
        Reply::json(503, &json!({ "detail": "busy" })),
        Reply::json(200, &page(vec![numbered(2), numbered(3)], Some("c3"))),
        Reply::json(200, &page(vec![numbered(4)], None)),
    ])
    .await;
    let client = test_client(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let listing = || {
        client
            .list_scheduled_calls(AGENT, BATCH)
            .status(ScheduledCallStatus::Error)
    };

    let mut delivered = Vec::new();
    let mut stream = std::pin::pin!(listing().stream());
    let err = loop {
        match stream.next().await.expect("the listing ends in an error") {
            Ok(call) => delivered.push(call),
            Err(err) => break err,
        }
    };
    assert!(err.is_retryable(), "{err}");
    let cursor = err
        .resume_cursor()
        .expect("a cursor to resume from")
        .clone();
    assert_eq!(cursor.as_str(), written);

    let rest: Vec<_> = listing()
        .resume_from(cursor)
        .stream()
        .try_collect()
        .await
        .unwrap();
    delivered.extend(rest);
    assert_eq!(numbers(&delivered), [0, 1, 2, 3, 4]);

    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets.len(), 4, "{targets:?}");
    let status = ScheduledCallStatus::Error.as_str();
    for target in &targets {
        assert!(target.contains(&format!("status={status}")), "{target}");
    }
    for target in &targets[1..3] {
        assert!(target.ends_with(&format!("cursor={written}")), "{target}");
    }
}

/// A service saves `as_str()` and restores it later with `from_raw`: the
/// restored cursor goes out byte for byte; the first page of a fresh
/// listing has no cursor to resume from, and a loop guard's stop none.
#[tokio::test]
async fn a_saved_cursor_restored_continues_the_listing() {
    let saved = Cursor::from_raw("c%FF%2B7").as_str().to_owned();
    let server = ScriptedServer::start(vec![
        Reply::json(200, &page(vec![numbered(7)], Some("c%FF%2B7"))),
        Reply::json(500, &json!({ "detail": "not reached" })),
    ])
    .await;
    let client = test_client(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let items: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .resume_from(Cursor::from_raw(saved.clone()))
        .stream()
        .collect()
        .await;
    assert_eq!(server.requests().len(), 1);
    assert!(
        server.requests()[0]
            .target
            .ends_with(&format!("cursor={saved}")),
        "{:?}",
        server.requests()
    );
    // The page names its own cursor as next: the guard stops, with no
    // cursor to resume from (it would loop).
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{err}");
    assert!(err.resume_cursor().is_none());

    let server = ScriptedServer::start(vec![Reply::json(503, &json!({}))]).await;
    let client = test_client(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let first: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .stream()
        .collect()
        .await;
    let [Err(err)] = &first[..] else {
        panic!("{first:?}")
    };
    assert!(err.resume_cursor().is_none(), "send the request again");
}

#[tokio::test]
async fn next_cursor_is_the_cursor_of_the_next_page_as_written() {
    let server = ScriptedServer::start(vec![Reply::json(
        200,
        &page(vec![any_row()], Some("a%2Bb")),
    )])
    .await;
    let client = test_client(&server.base_url).build().unwrap();
    let first = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(first.next_cursor(), Some(Cursor::from_raw("a%2Bb")));
}

/// The rows of the README's retry table, which a unit test of the client
/// checks against the code's table.
fn retry_table() -> Vec<(String, bool, bool)> {
    let readme = std::fs::read_to_string(spec::workspace_root().join("README.md")).unwrap();
    readme
        .lines()
        .skip_while(|line| !line.starts_with("| failure | GET, HEAD, OPTIONS, PUT, DELETE |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            (
                cells[0].trim_start_matches("| ").to_owned(),
                cells[1] == "yes",
                cells[2] == "yes",
            )
        })
        .collect()
}

/// Every row of the retry table through `is_retryable()`: a failure of
/// the row for a GET (`list_scheduled_calls`) and for a POST
/// (`create_batch`), each compared with the row's columns.
#[tokio::test]
async fn every_row_of_the_retry_table_is_what_is_retryable_says() {
    let table = retry_table();
    assert_eq!(table.len(), 4, "{table:?}");
    let body = request_body::<types::ScheduledCallBatchRequest>(CreateBatch::OPERATION_ID);
    for (row, get, post) in &table {
        let scenario: Vec<Reply> = match row.split(' ').next().unwrap() {
            "408," => vec![Reply::json(503, &json!({}))],
            "connect" => vec![],
            "attempt" => vec![Reply::Stall],
            "other" => vec![Reply::json(404, &json!({}))],
            other => panic!("a retry table row without a test: {other}"),
        };
        let server = match scenario.is_empty() {
            true => None,
            false => Some(ScriptedServer::start(scenario).await),
        };
        let base_url = match &server {
            Some(server) => server.base_url.clone(),
            None => {
                // A port nothing listens on.
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                format!("http://{}", listener.local_addr().unwrap())
            }
        };
        let client = test_client(&base_url)
            .max_retries(0)
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let listed = client
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap_err();
        assert_eq!(listed.is_retryable(), *get, "GET, {row}: {listed}");
        let created = client
            .create_batch(AGENT)
            .body(body.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(created.is_retryable(), *post, "POST, {row}: {created}");
    }

    // The operation timeout is in the last row: not retryable.
    let server = ScriptedServer::start(vec![Reply::Stall]).await;
    let err = test_client(&server.base_url)
        .operation_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OperationTimeout { .. }),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn retry_after_reads_seconds_and_dates() {
    let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
    for (header, low, high) in [("7", 7, 7), (in_a_minute.as_str(), 58, 60), ("0", 0, 0)] {
        let busy = Reply::json(503, &json!({})).with_header("retry-after", header);
        let server = ScriptedServer::start(vec![busy]).await;
        let err = test_client(&server.base_url)
            .max_retries(0)
            .build()
            .unwrap()
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap_err();
        let wait = err.retry_after().expect("a Retry-After");
        assert!(
            wait >= Duration::from_secs(low) && wait <= Duration::from_secs(high),
            "{header}: {wait:?}"
        );
        let raw = err.headers().unwrap()["retry-after"].to_str().unwrap();
        assert_eq!(raw, header, "the raw header stays in the headers");
    }
}
