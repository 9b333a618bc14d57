//! The second hostile-network probe's findings, one test each: a call ends
//! when its runtime does, a whole call has a deadline, no page comes twice,
//! cursors go back byte for byte, and nothing a server sends (or a user
//! mistypes) is retried pointlessly, spoofed on a terminal or sent as is.
//! Limits are scaled down so each test takes well under a few seconds.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt, TryStreamExt};
use serde_json::json;
use support::http::{fetch_first_page, stream_listing, test_client};
use support::runtimes::{client_runtime, server_runtime};
use support::samples::ids::{AGENT, BATCH};
use support::samples::{any_row, page};
use support::server::{Reply, ScriptedServer, page_number};
use ultravox_client::ErrorKind;

/// Drives `future` on `runtime` for 100 ms (it connects and sends, then
/// waits for a server that never answers), and leaves it unfinished.
fn drive_until_stalled<F: Future + ?Sized>(runtime: &tokio::runtime::Runtime, future: Pin<&mut F>) {
    runtime.block_on(async {
        tokio::select! {
            _ = future => panic!("the stalled call finished"),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    });
}

/// Item 2: a page fetched ahead on a runtime that is then dropped ends in
/// an error on the next runtime, instead of pending forever.
#[test]
fn a_page_fetched_ahead_on_a_dropped_runtime_ends_in_an_error() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![
        Reply::json(200, &page(vec![any_row()], Some("2"))),
        Reply::Stall,
    ]));
    let client = test_client(&server.base_url)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut pages = Box::pin(client.list_scheduled_calls(AGENT, BATCH).pages());

    let first = client_runtime();
    let page = first.block_on(pages.next()).unwrap().unwrap();
    assert_eq!(page.results.len(), 1);
    // Page 2 is now being fetched ahead, on a task of `first`.
    first.block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
    drop(first);

    let second = client_runtime();
    let started = Instant::now();
    let next =
        second.block_on(async { tokio::time::timeout(Duration::from_secs(5), pages.next()).await });
    let err = next.expect("still pending after 5 s").unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::RuntimeShutDown), "{err}");
    assert!(err.to_string().contains("runtime"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Item 2, for a single request: it ends promptly on the next runtime.
#[test]
fn a_request_started_on_a_dropped_runtime_ends_promptly() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![Reply::Stall]));
    let client = test_client(&server.base_url)
        .timeout(Duration::from_secs(30))
        .max_retries(0)
        .build()
        .unwrap();
    let request = client.list_scheduled_calls(AGENT, BATCH);
    let mut send = Box::pin(request.send());

    let first = client_runtime();
    drive_until_stalled(&first, send.as_mut());
    drop(first);

    let second = client_runtime();
    let started = Instant::now();
    let outcome =
        second.block_on(async { tokio::time::timeout(Duration::from_secs(5), send).await });
    let err = outcome.expect("still pending after 5 s").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::RuntimeShutDown), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Item 3: the first page (fetched without a cursor) comes back under a
/// new cursor name; it is recognised by its body and not delivered again.
#[tokio::test]
async fn a_cycle_back_to_the_first_page_delivers_it_once() {
    let first = |n: u64| {
        let mut call = any_row();
        call["metadata"] = json!({ "page": n });
        call
    };
    let server = ScriptedServer::start(vec![
        Reply::json(200, &page(vec![first(1)], Some("two"))),
        Reply::json(200, &page(vec![first(2)], Some("first-again"))),
        // The first page again, under the cursor "first-again".
        Reply::json(200, &page(vec![first(1)], Some("two"))),
        Reply::json(500, &json!({ "detail": "fetched a fourth page" })),
    ])
    .await;
    let items = stream_listing(&server.base_url, 10).await;
    let pages: Vec<u64> = items
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|call| call.metadata.as_ref().unwrap()["page"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, [1, 2], "{items:?}");
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{err}");
    assert!(err.to_string().contains("first page again"), "{err}");
    assert_eq!(server.requests().len(), 3);

    // A first page fetched with the caller's cursor that names itself as
    // `next`: delivered once, then the walk stops.
    let server =
        ScriptedServer::start(vec![Reply::json(200, &page(vec![first(7)], Some("self")))]).await;
    let client = test_client(&server.base_url).build().unwrap();
    let items: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .cursor("self")
        .stream()
        .take(10)
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    let Err(err) = &items[1] else {
        panic!("{items:?}")
    };
    assert!(err.to_string().contains("was fetched before"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

/// Item 4: a server trickling one byte at a time meets the per-attempt
/// timeout on every attempt; the operation timeout bounds the whole call.
#[tokio::test]
async fn the_operation_timeout_bounds_every_attempt_and_wait_together() {
    let body = Reply::json(200, &page(vec![any_row()], None))
        .body()
        .to_vec();
    let trickle = Reply::Trickle {
        body,
        every: Duration::from_millis(50),
    };
    let attempt = Duration::from_millis(300);
    let limit = Duration::from_millis(500);

    // On the client.
    let started = Instant::now();
    let (result, server) = fetch_first_page(vec![trickle.clone()], |c| {
        c.timeout(attempt).max_retries(3).operation_timeout(limit)
    })
    .await;
    let elapsed = started.elapsed();
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OperationTimeout { limit: l } if *l == limit),
        "{err}"
    );
    assert!(err.to_string().contains("operation timeout"), "{err}");
    assert!(elapsed >= limit && elapsed < limit * 2, "{elapsed:?}");
    assert!(server.requests().len() <= 2, "{:?}", server.requests());

    // Per call, over the client's.
    let server = ScriptedServer::start(vec![trickle]).await;
    let client = test_client(&server.base_url)
        .timeout(attempt)
        .max_retries(3)
        .operation_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .operation_timeout(limit)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OperationTimeout { .. }),
        "{err}"
    );
    assert!(started.elapsed() < limit * 2, "{:?}", started.elapsed());
}

/// Item 6: a `Retry-After` too large for a `u64` is longer than any limit:
/// the call fails at once with the server's answer.
#[tokio::test]
async fn an_overflowing_retry_after_fails_at_once() {
    let busy = Reply::raw(503, "text/plain", "busy")
        .with_header("retry-after", "99999999999999999999999999");
    let started = Instant::now();
    let (result, server) = fetch_first_page(vec![busy], |c| {
        c.max_retries(3)
            .backoff(Duration::from_millis(200), Duration::from_millis(200))
    })
    .await;
    let err = result.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_millis(200));
}

/// Item 7: a response hyper refuses as malformed would come back the same
/// way: one request, not three.
#[tokio::test]
async fn malformed_responses_are_not_retried() {
    let head = |extra: &str| {
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}\r\n{{}}").into_bytes()
    };
    let many_headers: String = (0..20_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let huge_header = format!("x-huge: {}\r\n", "a".repeat(2 << 20));
    for (name, reply) in [
        ("20,000 headers", head(&many_headers)),
        ("a 2 MB header", head(&huge_header)),
        ("Content-Length: -1", head("content-length: -1\r\n")),
    ] {
        let (result, server) =
            fetch_first_page(vec![Reply::Bytes(reply)], |c| c.max_retries(2)).await;
        assert!(result.is_err(), "{name}");
        assert_eq!(server.requests().len(), 1, "{name} was retried");
    }
}

/// Item 8: bidirectional and zero-width characters from a server are
/// escaped like control characters, so a log line cannot be reordered.
#[tokio::test]
async fn format_characters_from_a_server_are_escaped() {
    let spoof = "invoice\u{202E}fdp.exe\u{2066}\u{200B}\u{061C}\u{FEFF} end";
    let (result, _) = fetch_first_page(vec![Reply::raw(400, "text/plain", spoof)], |c| c).await;
    let text = result.unwrap_err().to_string();
    for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{061C}', '\u{FEFF}'] {
        assert!(!text.contains(c), "{:?} in {text:?}", c);
    }
    assert!(text.contains("\\u{202e}"), "{text}");
}

/// Item 9: a key that is not printable ASCII is refused before anything
/// is sent, and the error does not repeat it.
#[test]
fn a_non_ascii_api_key_is_refused_without_repeating_it() {
    for key in ["ключ\u{200b}", "uvx-key\u{200b}", "uvx-clé"] {
        let err = ultravox_client::Client::builder()
            .api_key(key)
            .build()
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err.kind(), ErrorKind::Config(_)), "{text}");
        assert!(!text.contains(key), "{text}");
        assert!(!format!("{err:?}").contains(key));
    }
}

/// Item 10: cursors go back as the API wrote them, even percent-encoded
/// bytes that are not UTF-8; two such cursors stay two cursors; with a
/// repeated `cursor`, the last one (the one Django reads) is used.
#[tokio::test]
async fn cursors_go_back_byte_for_byte() {
    let link = |query: &str| format!("https://elsewhere.invalid/api/next/?{query}");
    let server = ScriptedServer::start(vec![
        Reply::json(
            200,
            &json!({ "next": link("cursor=%FF%FE"), "results": [any_row()] }),
        ),
        Reply::json(
            200,
            &json!({ "next": link("cursor=%FF%FD"), "results": [any_row()] }),
        ),
        Reply::json(
            200,
            &json!({ "next": link("cursor=first&pageSize=9&cursor=last"), "results": [any_row()] }),
        ),
        Reply::json(200, &json!({ "next": null, "results": [any_row()] })),
    ])
    .await;
    let client = test_client(&server.base_url).build().unwrap();
    let calls = client
        .list_scheduled_calls(AGENT, BATCH)
        .page_size(2)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(calls.len(), 4);
    let queries: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.target.split_once('?').map_or("", |(_, q)| q).to_owned())
        .collect();
    assert_eq!(
        queries,
        [
            "pageSize=2",
            "pageSize=2&cursor=%FF%FE",
            "pageSize=2&cursor=%FF%FD",
            "pageSize=2&cursor=last"
        ]
    );
}

/// Item 11: `max_pages(0)` fetches nothing.
#[tokio::test]
async fn max_pages_zero_fetches_nothing() {
    let server = ScriptedServer::start(vec![Reply::json(200, &page(vec![any_row()], None))]).await;
    let client = test_client(&server.base_url).build().unwrap();
    let items: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .max_pages(0)
        .stream()
        .collect()
        .await;
    let [Err(err)] = &items[..] else {
        panic!("{items:?}")
    };
    assert!(matches!(err.kind(), ErrorKind::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("max_pages(0)"), "{err}");
    assert!(server.requests().is_empty());
}

/// Item 12: a blank `ULTRAVOX_BASE_URL` is an error, not production; a
/// refused base URL's query is not repeated.
#[test]
fn a_blank_base_url_is_refused_and_a_refused_query_is_not_shown() {
    use std::ffi::OsString;
    use ultravox_client::{API_KEY_VAR, BASE_URL_VAR, Client};

    let err = Client::builder()
        .from_env_with(|name| match name {
            API_KEY_VAR => Some(OsString::from("k")),
            BASE_URL_VAR => Some(OsString::from(" ")),
            _ => None,
        })
        .build()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config(_)), "{err}");
    assert!(err.to_string().contains(BASE_URL_VAR), "{err}");

    let err = Client::builder()
        .api_key("k")
        .base_url("https://api.example.org/?token=s3cret")
        .build()
        .unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
}

/// The tasks alive on a fresh current-thread runtime while `stalled` is
/// stuck on a server that never answers.
fn tasks_while_stalled<'a>(
    start: impl FnOnce() -> Pin<Box<dyn Future<Output = ()> + 'a>>,
) -> usize {
    let runtime = client_runtime();
    let mut stalled = start();
    drive_until_stalled(&runtime, stalled.as_mut());
    runtime.metrics().num_alive_tasks()
}

/// Item 13: a call awaited at once runs inline, on the caller's task: it
/// adds no task beyond what reqwest itself spawns for the same request.
/// Only a page fetched ahead gets a task of its own.
#[test]
fn a_call_awaited_at_once_runs_on_the_callers_task() {
    let servers = server_runtime();
    let server = servers.block_on(ScriptedServer::start(vec![Reply::Stall]));
    let client = test_client(&server.base_url).build().unwrap();
    let raw = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/", server.base_url);

    let reqwest_alone = tasks_while_stalled(|| {
        Box::pin(async move {
            let _ = raw.get(url).send().await;
        })
    });
    let ours = tasks_while_stalled(|| {
        let request = client.list_scheduled_calls(AGENT, BATCH);
        Box::pin(async move {
            let _ = request.send().await;
        })
    });
    assert_eq!(ours, reqwest_alone, "send() spawned a task of its own");

    // A page fetched ahead does run on its own task.
    let paged = servers.block_on(ScriptedServer::start(vec![
        Reply::json(200, &page(vec![any_row()], Some("2"))),
        Reply::Stall,
    ]));
    let client = test_client(&paged.base_url).build().unwrap();
    let runtime = client_runtime();
    let mut pages: Pin<Box<dyn Stream<Item = _>>> =
        Box::pin(client.list_scheduled_calls(AGENT, BATCH).pages());
    runtime.block_on(pages.next()).unwrap().unwrap();
    runtime.block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
    assert_eq!(runtime.metrics().num_alive_tasks(), reqwest_alone + 1);
    assert_eq!(page_number(&paged.requests()[1].target), 2);
}
