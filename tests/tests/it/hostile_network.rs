//! A hostile or flaky network, on loopback: the key stays with the
//! configured origin, everything is bounded, retries match reality.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use serde_json::json;
use support::http::{fetch_first_page, stream_listing, test_client};
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::samples::{any_row, page};
use support::server::{
    AfterResponse, LoopbackServer, Reply, ScriptedServer, page_number, paged_server_with,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ultravox_client::ErrorKind;

#[tokio::test]
async fn a_redirect_is_reported_and_the_key_never_reaches_the_other_host() {
    let elsewhere = ScriptedServer::start(vec![Reply::json(200, &page(vec![], None))]).await;
    // 127.0.0.2 is another origin on loopback.
    let port = elsewhere.base_url.rsplit(':').next().unwrap();
    let collect = format!("http://127.0.0.2:{port}/collect");
    for status in [301, 302, 303, 307, 308] {
        let redirect = Reply::raw(status, "text/plain", "moved").with_header("location", &collect);
        let (result, _) = fetch_first_page(vec![redirect], |c| c).await;
        let err = result.unwrap_err();
        let ErrorKind::Redirect { location, .. } = err.kind() else {
            panic!("{status}: {err}")
        };
        assert_eq!(location.as_deref(), Some(collect.as_str()));
        assert!(
            err.to_string().contains("redirects are not followed"),
            "{err}"
        );
    }
    assert!(elsewhere.requests().is_empty(), "the other host was called");
}

#[tokio::test]
async fn server_bytes_never_reach_the_terminal_raw() {
    let hostile = "\x1b]0;pwned\x07\x1b[1A\x1b[2K\x1b]52;c;Y3VybCBldmlsLnNo\x07 done";
    let cases = [
        Reply::raw(400, "text/plain", hostile),
        Reply::raw(
            200,
            "application/json",
            format!("{{\"results\": \"{}\"}}", hostile.escape_default()),
        ),
        Reply::raw(302, "text/plain", "").with_header("location", "http://x/\u{1b}[2J"),
    ];
    for reply in cases {
        let (result, _) = fetch_first_page(vec![reply], |c| c.max_retries(0)).await;
        let text = result.unwrap_err().to_string();
        assert!(
            !text.chars().any(|c| c.is_control()),
            "control character in {text:?}"
        );
        assert_eq!(text.lines().count(), 1);
    }
}

/// A server that answers with a `size`-byte body of JSON whitespace, with or
/// without `Content-Length`; returns its URL and the bytes it managed to send.
async fn huge_body_server(size: u64, announce: bool) -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let length = if announce {
                    format!("content-length: {size}\r\n")
                } else {
                    "transfer-encoding: chunked\r\n".to_owned()
                };
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}\r\n");
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 20];
                let mut written = 0;
                while written < size {
                    let framed = if announce {
                        chunk.clone()
                    } else {
                        [
                            format!("{:x}\r\n", chunk.len()).into_bytes(),
                            chunk.clone(),
                            b"\r\n".to_vec(),
                        ]
                        .concat()
                    };
                    if stream.write_all(&framed).await.is_err() {
                        return;
                    }
                    written += chunk.len() as u64;
                    counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn a_400_mb_body_fails_fast_at_the_limit() {
    const SIZE: u64 = 400 * 1024 * 1024;
    for announce in [true, false] {
        let (url, sent) = huge_body_server(SIZE, announce).await;
        let client = test_client(&url).max_retries(0).build().unwrap();
        let started = Instant::now();
        let err = client
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap_err();
        let &ErrorKind::TooLarge { limit, announced } = err.kind() else {
            panic!("announce {announce}: {err}")
        };
        assert_eq!(limit, 32 * 1024 * 1024);
        assert_eq!(announced, announce.then_some(SIZE));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        // The client stopped reading near the limit; the rest was never sent.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = sent.load(Ordering::SeqCst);
        assert!(sent < 100 * 1024 * 1024, "the server sent {sent} bytes");
    }
}

#[tokio::test]
async fn a_listing_that_never_ends_stops_by_itself() {
    // Empty pages, each with a fresh cursor, forever.
    let server = LoopbackServer::start(|target| {
        let next = page_number(target) + 1;
        json!({ "next": format!("http://x/?cursor={next}"), "previous": null, "results": [] })
            .to_string()
            .into_bytes()
    })
    .await;
    let client = test_client(&server.base_url).build().unwrap();
    let walk = client
        .list_scheduled_calls(AGENT, BATCH)
        .pages()
        .try_collect::<Vec<_>>();
    let err = tokio::time::timeout(Duration::from_secs(30), walk)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{err}");
    assert!(err.to_string().contains("empty pages in a row"), "{err}");
    assert!(server.requests() <= 110, "{} requests", server.requests());

    // A page limit of one's own ends it sooner.
    let before = server.requests();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .max_pages(5)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("max_pages"), "{err}");
    assert!(server.requests() - before <= 6);
}

#[tokio::test]
async fn a_long_cursor_cycle_delivers_no_page_twice() {
    // The first page (no cursor) leads to cursor 1, then 1 → 2 → … → 50 → 1:
    // a cycle of 50. Page 50 is new (its cursor was never fetched) and is
    // delivered; its `next`, cursor 1, was fetched before, so the walk stops.
    let server = LoopbackServer::start(|target| {
        let n = if target.contains("cursor=") {
            page_number(target)
        } else {
            0
        };
        let mut call = any_row();
        call["metadata"] = json!({ "page": n });
        json!({ "next": format!("http://x/?cursor={}", n % 50 + 1), "results": [call] })
            .to_string()
            .into_bytes()
    })
    .await;
    let items = stream_listing(&server.base_url, 500).await;
    let (calls, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    let pages: Vec<u64> = calls
        .into_iter()
        .map(|call| call.unwrap().metadata.unwrap()["page"].as_u64().unwrap())
        .collect();
    let distinct: BTreeSet<u64> = pages.iter().copied().collect();
    assert_eq!(pages.len(), distinct.len(), "a page came twice: {pages:?}");
    assert_eq!(distinct, (0..=50).collect());
    let [Err(err)] = &errors[..] else {
        panic!("{errors:?}")
    };
    assert!(err.to_string().contains("was fetched before"), "{err}");
}

#[tokio::test]
async fn error_lines_stay_bounded_for_huge_links_and_cursors() {
    let huge = "x".repeat(1 << 20);
    for next in [
        format!("http://x/?page={huge}"),
        format!("http://x/?cursor={huge}"),
    ] {
        let body = json!({ "next": next, "results": [any_row()] });
        let server = ScriptedServer::start(vec![Reply::json(200, &body)]).await;
        let client = test_client(&server.base_url).build().unwrap();
        let err = client
            .list_scheduled_calls(AGENT, BATCH)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{text}");
        assert!(text.len() < 1000, "{} bytes", text.len());
        assert_eq!(server.requests().len(), 1, "the huge cursor was not sent");
    }
}

#[tokio::test]
async fn the_keep_alive_race_is_survived() {
    // The server closes each connection when it is reused, without having
    // said so: every page after the first meets a dead pooled connection.
    for run in 0..10 {
        let server = paged_server_with(AfterResponse::CloseOnReuse, 31, 2).await;
        let client = test_client(&server.base_url).build().unwrap();
        let calls = client
            .list_scheduled_calls(AGENT, BATCH)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_or_else(|err| panic!("run {run}: {err}"));
        assert_eq!(calls.len(), 62, "run {run}");
    }
}

#[tokio::test]
async fn a_body_that_fails_once_is_fetched_on_the_retry() {
    let good = Reply::json(200, &page(vec![any_row()], None));
    let body = good.body().to_vec();
    let reset = Reply::ResetMidBody {
        announced: body.len(),
        sent: body[..body.len() / 2].to_vec(),
    };
    let stalled = Reply::Trickle {
        body: body.clone(),
        every: Duration::from_secs(1),
    };
    for (first, configure) in [
        (
            reset,
            (|c| c) as fn(ultravox_client::ClientBuilder) -> ultravox_client::ClientBuilder,
        ),
        (stalled, |c: ultravox_client::ClientBuilder| {
            c.timeout(Duration::from_millis(500))
        }),
    ] {
        let (result, server) = fetch_first_page(vec![first, good.clone()], configure).await;
        assert_eq!(result.unwrap().results.len(), 1);
        assert_eq!(server.requests().len(), 2);
    }
}

#[tokio::test]
async fn retry_after_zero_still_backs_off() {
    let busy = Reply::raw(503, "text/plain", "busy").with_header("retry-after", "0");
    let started = Instant::now();
    let (result, server) = fetch_first_page(vec![busy], |c| {
        c.max_retries(3)
            .backoff(Duration::from_millis(100), Duration::from_millis(100))
    })
    .await;
    assert!(result.is_err());
    assert_eq!(server.requests().len(), 4);
    // Three waits of 50-100 ms each (jittered), not zero.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_key_appears_in_no_error_and_no_debug_on_any_path() {
    let key = API_KEY;
    let redirect = Reply::raw(302, "text/plain", "").with_header("location", "http://127.0.0.2:9/");
    let scripts = [
        vec![Reply::json(401, &json!({ "detail": "Invalid API key." }))],
        vec![redirect],
        vec![Reply::Stall],
        vec![Reply::raw(200, "application/json", "{\"results\": 7}")],
    ];
    for script in scripts {
        let (result, _) = fetch_first_page(script, |c| {
            c.timeout(Duration::from_millis(200)).max_retries(0)
        })
        .await;
        let err = result.unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(key), "key leaked: {text}");
        }
    }
}
