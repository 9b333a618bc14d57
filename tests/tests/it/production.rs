//! What a production service relies on: read-ahead paging, per-call
//! control, a `User-Agent`, tracing that tells an operator what happened.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use support::http::{fetch_first_page, test_client};
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::samples::{any_row, page};
use support::server::{Reply, ScriptedServer, paged_server};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use ultravox_client::{ErrorKind, USER_AGENT};

/// Waits (up to 5 s) until `done` holds.
async fn eventually(done: impl Fn() -> bool) -> bool {
    within(Duration::from_secs(5), done).await
}

/// Waits up to `limit` until `done` holds.
async fn within(limit: Duration, done: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

#[tokio::test]
async fn the_next_page_is_requested_while_the_caller_works() {
    for read_ahead in [true, false] {
        let server = paged_server(3, 2).await;
        let client = test_client(&server.base_url).build().unwrap();
        let mut pages = std::pin::pin!(
            client
                .list_scheduled_calls(AGENT, BATCH)
                .read_ahead(read_ahead)
                .pages()
        );
        let first = pages.next().await.unwrap().unwrap();
        assert_eq!(first.results.len(), 2);
        // The caller works on page 1 without polling the stream (on loopback
        // the page ahead is requested within milliseconds).
        let requested = within(Duration::from_millis(500), || server.requests() == 2).await;
        assert_eq!(requested, read_ahead, "read_ahead({read_ahead})");
        let rest: Vec<_> = pages.collect().await;
        assert_eq!(rest.len(), 2);
        assert!(rest.iter().all(Result::is_ok));
        assert_eq!(server.requests(), 3, "no page fetched twice");
    }
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_page_fetched_ahead() {
    let server = ScriptedServer::start(vec![
        Reply::json(200, &page(vec![any_row()], Some("c2"))),
        Reply::Stall,
    ])
    .await;
    let client = test_client(&server.base_url).build().unwrap();
    let mut pages = Box::pin(client.list_scheduled_calls(AGENT, BATCH).pages());
    pages.next().await.unwrap().unwrap();
    assert!(
        eventually(|| server.requests().len() == 2).await,
        "page 2 was not fetched ahead"
    );
    drop(pages);
    assert!(
        eventually(|| server.hangups() == 1).await,
        "the fetch ahead kept running"
    );
}

#[tokio::test]
async fn a_listing_overrides_the_clients_timeout() {
    let server = ScriptedServer::start(vec![Reply::Stall]).await;
    let client = test_client(&server.base_url)
        .timeout(Duration::from_secs(60))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_listing_overrides_the_clients_retries() {
    let busy = Reply::raw(503, "text/plain", "busy");
    let server = ScriptedServer::start(vec![busy]).await;
    let client = test_client(&server.base_url)
        .max_retries(2)
        .build()
        .unwrap();

    let once = client
        .list_scheduled_calls(AGENT, BATCH)
        .max_retries(0)
        .send()
        .await;
    assert_eq!(once.unwrap_err().status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1, "max_retries(0) retried");

    let default = client.list_scheduled_calls(AGENT, BATCH).send().await;
    assert!(default.is_err());
    assert_eq!(
        server.requests().len(),
        1 + 3,
        "the client's 2 retries were not used"
    );
}

#[tokio::test]
async fn every_request_says_who_sends_it() {
    let (_, server) = fetch_first_page(vec![Reply::json(200, &page(vec![], None))], |c| c).await;
    assert_eq!(server.requests()[0].header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("ultravox-client/"));

    // A caller's own reqwest::Client keeps its User-Agent.
    let own = reqwest::Client::builder()
        .user_agent("acme-dialer/7")
        .build()
        .unwrap();
    let (_, server) = fetch_first_page(vec![Reply::json(200, &page(vec![], None))], |c| {
        c.reqwest_client(own)
    })
    .await;
    assert_eq!(
        server.requests()[0].header("user-agent"),
        Some("acme-dialer/7")
    );
}

#[tokio::test]
async fn an_error_carries_what_a_support_ticket_needs() {
    let limited = Reply::raw(429, "text/plain", "slow down")
        .with_header("retry-after", "86400")
        .with_header("x-request-id", "req-123");
    let (result, _) = fetch_first_page(vec![limited], |c| c).await;
    let err = result.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(86400)));
    assert_eq!(err.headers().unwrap()["x-request-id"], "req-123");
}

type Lines = Arc<Mutex<Vec<(tracing::Level, String)>>>;

thread_local! {
    /// Where the capturing layer writes on this thread, while a test listens.
    static LISTENING: std::cell::RefCell<Option<Lines>> = const { std::cell::RefCell::new(None) };
}

/// Every span and event field of this crate, as `name=value` lines with
/// their level, written on threads that listen. It is the process-wide
/// subscriber: a thread-local one races with tracing's callsite cache when
/// other tests run at the same time.
struct Captured;

impl Captured {
    /// Starts listening on this thread; returns what is captured.
    fn listen() -> Lines {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Captured))
                .expect("no other global subscriber in this test binary");
        });
        let lines = Lines::default();
        LISTENING.with(|listening| *listening.borrow_mut() = Some(lines.clone()));
        lines
    }

    /// Keeps this crate's spans and events (hyper and reqwest trace too).
    fn keep(&self, metadata: &tracing::Metadata<'_>, line: String) {
        if metadata.target().starts_with("ultravox_client") {
            LISTENING.with(|listening| {
                if let Some(lines) = &*listening.borrow() {
                    lines.lock().unwrap().push((*metadata.level(), line));
                }
            });
        }
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.keep(attrs.metadata(), fields.0);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let span = ctx.span(id).unwrap();
        let mut fields = Fields(format!("span {}", span.name()));
        values.record(&mut fields);
        self.keep(span.metadata(), fields.0);
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields("event".to_owned());
        event.record(&mut fields);
        self.keep(event.metadata(), fields.0);
    }
}

// One thread: the whole call runs where the test listens.
#[tokio::test(flavor = "current_thread")]
async fn calls_and_retries_are_traced_at_debug_without_the_key() {
    let captured = Captured::listen();
    let script = vec![
        Reply::raw(503, "text/plain", "busy").with_header("retry-after", "1"),
        Reply::json(200, &page(vec![any_row()], None)),
    ];
    let (result, _) = fetch_first_page(script, |c| c).await;
    result.unwrap();

    let lines = captured.lock().unwrap().clone();
    let text: Vec<&str> = lines.iter().map(|(_, line)| line.as_str()).collect();
    let all = text.join("\n");
    assert!(
        lines
            .iter()
            .all(|(level, _)| *level == tracing::Level::DEBUG),
        "{lines:?}"
    );
    assert!(
        all.contains(&format!(
            "span ultravox_client.call operation={:?}",
            support::spec::operation_id()
        )),
        "{all}"
    );
    assert!(
        all.contains("attempts=2") && all.contains("status=200") && all.contains("elapsed_ms="),
        "{all}"
    );
    let retry = text
        .iter()
        .find(|line| line.contains("retrying"))
        .expect("a retry event");
    for field in [
        "attempt=1",
        "failure=HTTP 503",
        "delay_ms=1000",
        "from_retry_after=true",
    ] {
        assert!(retry.contains(field), "{field} missing: {retry}");
    }
    assert!(!all.contains(API_KEY), "the key was traced: {all}");
}
