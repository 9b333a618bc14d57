//! The third hostile probe's findings (issue 20), one test each, named
//! after what a user sees: any runtime or none, any deadline, every page
//! delivered once, requests refused before they are sent when they cannot
//! work. Limits are scaled down; no test waits for a real 30 s timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt};
use serde_json::json;
use support::http::{stream_listing, test_client};
use support::runtimes::{client_runtime, server_runtime};
use support::samples::ids::{AGENT, BATCH};
use support::samples::{any_row, page};
use support::server::{LoopbackServer, Reply, ScriptedServer, page_number};
use support::spec;
use ultravox_client::{ErrorKind, StatusCode};

/// A row that names its page, so a test can tell pages apart.
fn row_of(page: u64) -> serde_json::Value {
    let mut row = any_row();
    row["metadata"] = json!({ "row": page });
    row
}

fn rows_of<T>(items: &[Result<ultravox_client::types::ScheduledCall, T>]) -> Vec<u64> {
    items
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|call| call.metadata.as_ref().unwrap()["row"].as_u64().unwrap())
        .collect()
}

/// Polls `future` once, outside any runtime (as another executor would),
/// and returns its output; a panic fails the test with its message.
fn poll_once_outside_tokio<F: Future>(future: F) -> F::Output {
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.now_or_never()));
    match polled {
        Ok(Some(output)) => output,
        Ok(None) => panic!("still pending outside a tokio runtime"),
        Err(panic) => panic!(
            "panicked outside a tokio runtime: {:?}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
        ),
    }
}

/// Finding 1: page 2 is being fetched ahead on a current_thread runtime
/// that is alive but idle; the stream, polled on another runtime, ends at
/// once in `RuntimeShutDown` instead of waiting for the idle one forever.
#[test]
fn a_stream_polled_on_another_runtime_while_its_own_idles_ends_at_once() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![
        Reply::json(200, &page(vec![any_row()], Some("2"))),
        Reply::json(200, &page(vec![any_row()], None)),
    ]));
    let client = test_client(&server.base_url).build().unwrap();
    let mut pages = Box::pin(client.list_scheduled_calls(AGENT, BATCH).pages());

    let idle = client_runtime();
    idle.block_on(pages.next()).unwrap().unwrap();
    // Page 2 is now a task of `idle`, which nobody drives from here on.

    let other = client_runtime();
    let started = Instant::now();
    let next =
        other.block_on(async { tokio::time::timeout(Duration::from_secs(5), pages.next()).await });
    let err = next.expect("still pending after 5 s").unwrap().unwrap_err();
    eprintln!("finding 1: {err:?} after {:?}", started.elapsed());
    assert!(matches!(err.kind(), ErrorKind::RuntimeShutDown), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(idle);
}

/// Finding 2: a call or a stream polled outside tokio (by another
/// executor) is an error saying a tokio runtime is needed, not a panic;
/// nothing is sent.
#[test]
fn a_call_or_stream_polled_outside_tokio_is_an_error_not_a_panic() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![Reply::json(
        200,
        &page(vec![any_row()], Some("2")),
    )]));
    let client = test_client(&server.base_url).build().unwrap();
    let request = client.list_scheduled_calls(AGENT, BATCH);

    let mut errors = vec![
        poll_once_outside_tokio(request.send())
            .map(|_| ())
            .unwrap_err(),
    ];
    for read_ahead in [true, false] {
        let mut stream = Box::pin(request.clone().read_ahead(read_ahead).stream());
        errors.push(poll_once_outside_tokio(stream.next()).unwrap().unwrap_err());
    }
    for err in errors {
        assert!(matches!(err.kind(), ErrorKind::NoRuntime), "{err}");
        assert!(err.to_string().contains("tokio runtime"), "{err}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// Finding 3: one client used from two live current_thread runtimes in
/// turn. Each runtime gets connections of its own, so no call waits for a
/// connection the other runtime drives: every call answers at once, even
/// without retries and with a short attempt timeout.
#[test]
fn one_client_answers_at_once_on_two_live_runtimes_in_turn() {
    let servers = server_runtime();
    let server = servers.block_on(LoopbackServer::start(|_| {
        page(vec![any_row()], None).to_string().into_bytes()
    }));
    let client = test_client(&server.base_url)
        .timeout(Duration::from_secs(2))
        .max_retries(0)
        .build()
        .unwrap();
    let (first, second) = (client_runtime(), client_runtime());
    for (turn, runtime) in [&first, &second, &first, &second].into_iter().enumerate() {
        let started = Instant::now();
        let outcome = runtime.block_on(client.list_scheduled_calls(AGENT, BATCH).send());
        let elapsed = started.elapsed();
        eprintln!(
            "finding 3: call {turn}: {:?} in {elapsed:?}",
            outcome.as_ref().map(|_| ())
        );
        outcome.unwrap_or_else(|err| panic!("call {turn}: {err}"));
        assert!(elapsed < Duration::from_secs(1), "call {turn}: {elapsed:?}");
    }
}

/// Finding 4: a `Retry-After` that cannot end before the operation
/// timeout is not slept into: the server's answer comes back at once, with
/// its status and `Retry-After`.
#[tokio::test]
async fn a_retry_after_past_the_deadline_returns_the_servers_answer_at_once() {
    let unavailable =
        Reply::json(503, &json!({ "detail": "busy" })).with_header("retry-after", "5");
    let server = ScriptedServer::start(vec![unavailable]).await;
    let client = test_client(&server.base_url)
        .operation_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap_err();
    eprintln!("finding 4: {err} after {:?}", started.elapsed());
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{err}");
    assert!(err.retry_after().is_some(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.requests().len(), 1);
}

/// Finding 5: a server that echoes its own cursor. Page 2 is delivered the
/// first time its cursor is fetched (rows 2 and 3 arrive), then the walk
/// stops before fetching that cursor again.
#[tokio::test]
async fn a_server_echoing_its_cursor_delivers_every_row_once() {
    let server = ScriptedServer::start(vec![
        Reply::json(200, &page(vec![row_of(0), row_of(1)], Some("c2"))),
        Reply::json(200, &page(vec![row_of(2), row_of(3)], Some("c2"))),
        Reply::json(500, &json!({ "detail": "fetched a cursor twice" })),
    ])
    .await;
    let items = stream_listing(&server.base_url, 10).await;
    eprintln!("finding 5: rows {:?}", rows_of(&items));
    assert_eq!(rows_of(&items), [0, 1, 2, 3], "{items:?}");
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{err}");
    assert!(err.to_string().contains("fetched before"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

/// Finding 5, the other side: a cycle back to the first page (fetched
/// without a cursor) under a new cursor is recognised by the page's body,
/// however long the cycle; every other page is delivered once.
#[tokio::test]
async fn a_cycle_back_to_the_first_page_is_recognised_by_its_body() {
    let server = LoopbackServer::start(|target| {
        // 0 (no cursor) → 1 → 2 → … → 20 → 0 again, under cursor "21".
        let n = if target.contains("cursor=") {
            page_number(target) % 21
        } else {
            0
        };
        page(vec![row_of(n as u64)], Some(&(n + 1).to_string()))
            .to_string()
            .into_bytes()
    })
    .await;
    let items = stream_listing(&server.base_url, 100).await;
    assert_eq!(rows_of(&items), (0..=20).collect::<Vec<_>>());
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    assert!(err.to_string().contains("first page again"), "{err}");
    assert_eq!(server.requests(), 22);
}

/// Finding 6: a `reqwest_client` of the caller's gets the crate's 30 s
/// attempt timeout too. The test runtime's clock is paused, so the 30 s
/// pass at once once everything else is idle; without the timeout the
/// call would never end (a real-time bound fails the test then).
#[test]
fn an_own_reqwest_client_gets_the_default_attempt_timeout() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![Reply::Stall]));
    let client = test_client(&server.base_url)
        .reqwest_client(reqwest::Client::new())
        .max_retries(0)
        .build()
        .unwrap();
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let paused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let result = paused.block_on(async {
            let started = tokio::time::Instant::now();
            let result = client.list_scheduled_calls(AGENT, BATCH).send().await;
            (result.map(|_| ()), started.elapsed())
        });
        let _ = done.send(result);
    });
    let (result, waited) = outcome
        .recv_timeout(Duration::from_secs(10))
        .expect("no attempt timeout: the call never ended");
    let err = result.unwrap_err();
    eprintln!("finding 6: {err:?} after {waited:?} (paused clock)");
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
}

/// Finding 7: a caller's 100 KB cursor is refused as an invalid request
/// naming its length, before anything is sent.
#[tokio::test]
async fn a_huge_cursor_from_the_caller_is_refused_naming_its_length() {
    let server = ScriptedServer::start(vec![Reply::json(200, &page(vec![], None))]).await;
    let client = test_client(&server.base_url).build().unwrap();
    let cursor = "c".repeat(100_000);
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .cursor(cursor.as_str())
        .send()
        .await
        .unwrap_err();
    eprintln!("finding 7: {err:?}");
    assert!(matches!(err.kind(), ErrorKind::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("100000 bytes"), "{err}");
    assert!(server.requests().is_empty());
}

/// Finding 8: `304 Not Modified` is a status, not a redirect.
#[tokio::test]
async fn a_304_is_a_status_not_a_redirect() {
    let server = ScriptedServer::start(vec![Reply::raw(304, "application/json", "")]).await;
    let client = test_client(&server.base_url).build().unwrap();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap_err();
    eprintln!("finding 8: {err:?}");
    assert!(
        matches!(err.kind(), ErrorKind::Status { status, .. } if *status == StatusCode::NOT_MODIFIED),
        "{err}"
    );
    assert!(!err.is_retryable());
}

/// Finding 9: a base URL whose path ends in the prefix every request path
/// starts with would send requests to `/api/api/…`: refused naming the fix,
/// unless the caller says it is meant.
#[tokio::test]
async fn a_base_url_ending_in_the_paths_prefix_is_refused_unless_meant() {
    let operation_path = spec::operation_path();
    let prefix = &operation_path[..operation_path[1..].find('/').unwrap() + 1];
    let server = ScriptedServer::start(vec![Reply::json(200, &page(vec![], None))]).await;
    for base_url in [
        format!("{}{prefix}", server.base_url),
        format!("{}{prefix}/", server.base_url),
        format!("{}/gateway{prefix}", server.base_url),
    ] {
        let err = test_client(&base_url).build().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Config(_)),
            "{base_url}: {err}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("{prefix}{prefix}/"))
                && text.contains("allow_prefix_in_base_url"),
            "{base_url}: {text}"
        );
    }
    let client = test_client(&format!("{}{prefix}", server.base_url))
        .allow_prefix_in_base_url(true)
        .build()
        .unwrap();
    client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap();
    let sent = &server.requests()[0].target;
    assert!(sent.starts_with(&format!("{prefix}{prefix}/")), "{sent}");
}
