//! The client against real HTTP servers on 127.0.0.1: auth, query encoding,
//! pagination, retries, timeouts, forward compatibility.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use httpmock::MockServer;
use serde_json::json;
use support::http::{fetch_first_page, mock_pages, test_client};
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::samples::{any_row, calls_path, page, row};
use support::server::{Reply, ScriptedServer};
use ultravox_client::mock::MockServerExt;
use ultravox_client::types::{PaginatedScheduledCallList, ScheduledCallStatus};
use ultravox_client::{API_KEY_HEADER, ErrorKind};

#[tokio::test]
async fn sends_key_and_query_as_the_api_spells_them() {
    let server = MockServer::start_async().await;
    let body: PaginatedScheduledCallList =
        serde_json::from_value(page(vec![row(ScheduledCallStatus::Error.as_str())], None)).unwrap();
    // The typed mock generated from the spec (feature `mock`).
    let mock = server.list_scheduled_calls(|when, then| {
        let when = when
            .agent_id(&AGENT)
            .batch_id(&BATCH)
            .page_size(25)
            .status(&ScheduledCallStatus::Error)
            .cursor("cD00ODY=\"");
        when.into_inner()
            .header(API_KEY_HEADER, API_KEY)
            .header_missing("api-version");
        then.ok(&body);
    });

    let client = test_client(&server.base_url()).build().unwrap();
    let response = client
        .list_scheduled_calls(AGENT, BATCH)
        .page_size(25)
        .status(ScheduledCallStatus::Error)
        .cursor("cD00ODY=\"")
        .send()
        .await
        .unwrap();

    mock.assert();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.into_inner(), body);
}

#[tokio::test]
async fn query_is_encoded_on_the_wire() {
    let server = ScriptedServer::start(vec![Reply::json(200, &page(vec![], None))]).await;
    let client = test_client(&server.base_url).build().unwrap();
    client
        .list_scheduled_calls(AGENT, BATCH)
        .page_size(50)
        .status(ScheduledCallStatus::Future)
        .cursor("a b+c")
        .send()
        .await
        .unwrap();

    let [request] = &server.requests()[..] else {
        panic!("one request expected")
    };
    assert_eq!(
        request.target,
        format!("{}?cursor=a+b%2Bc&pageSize=50&status=FUTURE", calls_path())
    );
    assert_eq!(
        request.header(&API_KEY_HEADER.to_ascii_lowercase()),
        Some(API_KEY)
    );
    assert_eq!(request.header("api-version"), None);
}

#[tokio::test]
async fn walks_every_page_keeping_filters_and_stops_at_null() {
    let server = MockServer::start_async().await;
    let script = [
        (
            None,
            page(
                vec![
                    row(ScheduledCallStatus::Error.as_str()),
                    row(ScheduledCallStatus::Error.as_str()),
                ],
                Some("c2"),
            ),
        ),
        (
            Some("c2"),
            page(vec![row(ScheduledCallStatus::Error.as_str())], Some("c3")),
        ),
        (Some("c3"), page(vec![], Some("c4"))), // empty, yet not the end
        (
            Some("c4"),
            page(
                vec![row(ScheduledCallStatus::Error.as_str()), row("CANCELLED")],
                None,
            ),
        ),
    ];
    let mocks = mock_pages(&server, script.into(), |when| {
        when.status(&ScheduledCallStatus::Error).page_size(2)
    });

    let client = test_client(&server.base_url()).build().unwrap();
    let calls: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .status(ScheduledCallStatus::Error)
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(calls.len(), 5);
    assert_eq!(
        calls[4].status,
        ScheduledCallStatus::from_api_value("CANCELLED")
    );
    for mock in &mocks {
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn pages_stream_yields_each_page_with_its_status() {
    let server = MockServer::start_async().await;
    let script = vec![
        (None, page(vec![any_row()], Some("c2"))),
        (Some("c2"), page(vec![], None)),
    ];
    let mocks = mock_pages(&server, script, |when| when);
    let client = test_client(&server.base_url()).build().unwrap();
    let pages: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.results.len()).collect::<Vec<_>>(),
        [1, 0]
    );
    assert!(pages.iter().all(|p| p.status() == 200));
    for mock in &mocks {
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn repeated_cursor_ends_in_an_error_not_a_loop() {
    let server = MockServer::start_async().await;
    let script = vec![
        (None, page(vec![any_row()], Some("c2"))),
        // The page at c2 points back at c2: it returns the `next` the first
        // page returned, so by cursor determinism it is the first page again.
        (Some("c2"), page(vec![any_row()], Some("c2"))),
    ];
    let mocks = mock_pages(&server, script, |when| when);
    let client = test_client(&server.base_url()).build().unwrap();
    // Bounded, so a regression fails here instead of hanging.
    let results: Vec<_> = client
        .list_scheduled_calls(AGENT, BATCH)
        .stream()
        .take(50)
        .collect()
        .await;

    assert_eq!(
        results.len(),
        2,
        "the first page's call, then the error (the repeat is withheld): {results:?}"
    );
    let Some(Err(err)) = results.last() else {
        panic!("{results:?}")
    };
    assert!(matches!(err.kind(), ErrorKind::Pagination(_)), "{err}");
    assert!(err.to_string().contains("\"c2\""), "{err}");
    for mock in &mocks {
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn next_without_cursor_is_an_error() {
    let mut body = page(vec![any_row()], None);
    body["next"] = json!("https://api.ultravox.ai/api/next?pageSize=2");
    let server = MockServer::start_async().await;
    mock_pages(&server, vec![(None, body)], |when| when);
    let client = test_client(&server.base_url()).build().unwrap();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has no cursor"), "{err}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let script = vec![
        Reply::raw(429, "text/plain", "slow down").with_header("retry-after", "1"),
        Reply::json(200, &page(vec![any_row()], None)),
    ];
    let started = Instant::now();
    let (result, server) = fetch_first_page(script, |c| c).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert_eq!(result.unwrap().results.len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_limit_fails_instead_of_sleeping() {
    let tomorrow =
        Reply::raw(429, "text/plain", "come back tomorrow").with_header("retry-after", "86400");
    let started = Instant::now();
    let (result, server) = fetch_first_page(vec![tomorrow], |c| {
        c.max_retry_after(Duration::from_secs(5))
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = result.unwrap_err();
    assert_eq!(err.status(), Some(reqwest_status(429)));
    let ErrorKind::Status { headers, body, .. } = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(headers["retry-after"], "86400");
    assert_eq!(body, "come back tomorrow");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn transient_errors_use_every_retry_then_fail() {
    let unavailable = Reply::raw(503, "text/html", "<h1>Service Unavailable</h1>");
    let (result, server) = fetch_first_page(vec![unavailable], |c| c.max_retries(2)).await;
    let err = result.unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        err.to_string(),
        "list_scheduled_calls: HTTP 503 Service Unavailable: <h1>Service Unavailable</h1>"
    );
}

#[tokio::test]
async fn max_retries_zero_makes_one_attempt() {
    let busy = Reply::raw(503, "text/plain", "busy");
    let (result, server) = fetch_first_page(vec![busy], |c| c.max_retries(0)).await;
    assert_eq!(result.unwrap_err().status(), Some(reqwest_status(503)));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400, 401, 403, 404, 422] {
        let refusal = Reply::json(status, &json!({ "detail": "Not found." }));
        let (result, server) = fetch_first_page(vec![refusal], |c| c.max_retries(2)).await;
        assert_eq!(result.unwrap_err().status(), Some(reqwest_status(status)));
        assert_eq!(server.requests().len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn stalled_server_ends_in_a_timeout() {
    let started = Instant::now();
    let (result, server) = fetch_first_page(vec![Reply::Stall], |c| {
        c.timeout(Duration::from_millis(300)).max_retries(1)
    })
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Timeouts are transient: the one retry was used.
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error() {
    // Bind, learn the port, close: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = test_client(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Connect(_)), "{err}");
}

#[tokio::test]
async fn unknown_statuses_fields_and_media_are_accepted() {
    let mut unknown = row("CANCELLED");
    unknown["rescheduledFor"] = json!("2026-12-01T09:00:00Z");
    unknown["medium"] = json!({
        "whatsapp": { "to": "+14155552671" },
        "twilio": { "outgoing": { "to": "+14155552671", "from": "+14155550100", "region": "ie1" } }
    });
    let mut body = page(
        vec![unknown, row(ScheduledCallStatus::Success.as_str())],
        None,
    );
    body["facets"] = json!({ "byStatus": {} });
    let server = ScriptedServer::start(vec![Reply::json(200, &body)]).await;

    let client = test_client(&server.base_url).build().unwrap();
    let page = client
        .list_scheduled_calls(AGENT, BATCH)
        .send()
        .await
        .unwrap()
        .into_inner();

    let call = &page.results[0];
    assert_eq!(
        call.status,
        ScheduledCallStatus::from_api_value("CANCELLED")
    );
    let twilio = call.medium.as_ref().unwrap().twilio.as_ref().unwrap();
    assert_eq!(
        twilio.outgoing.as_ref().unwrap().to.as_deref(),
        Some("+14155552671")
    );
    // The unknown status goes back out as it came in.
    assert_eq!(serde_json::to_value(call).unwrap()["status"], "CANCELLED");
    assert_eq!(page.results[1].status, ScheduledCallStatus::Success);
}

#[tokio::test]
async fn api_key_never_appears_in_debug_or_errors() {
    let builder = test_client("http://127.0.0.1:9");
    assert!(!format!("{builder:?}").contains(API_KEY));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(API_KEY));
    assert!(!format!("{:?}", client.list_scheduled_calls(AGENT, BATCH)).contains(API_KEY));

    let unauthorized = ScriptedServer::start(vec![Reply::json(
        401,
        &json!({ "detail": "Invalid API key." }),
    )])
    .await;
    let stalled = ScriptedServer::start(vec![Reply::Stall]).await;
    let garbled = ScriptedServer::start(vec![Reply::raw(
        200,
        "application/json",
        "{\"results\": 7}",
    )])
    .await;
    for base in [
        "http://127.0.0.1:9",
        &unauthorized.base_url,
        &stalled.base_url,
        &garbled.base_url,
    ] {
        let client = test_client(base)
            .timeout(Duration::from_millis(200))
            .max_retries(0)
            .build()
            .unwrap();
        let err = client
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap_err();
        for text in [err.to_string(), format!("{err:?}"), format!("{err:#}")] {
            assert!(!text.contains(API_KEY), "key leaked: {text}");
        }
    }
    let err = ultravox_client::Client::builder()
        .api_key("bad\nkey")
        .build()
        .unwrap_err();
    assert!(!err.to_string().contains("bad\nkey"));
}

fn reqwest_status(code: u16) -> reqwest::StatusCode {
    reqwest::StatusCode::from_u16(code).unwrap()
}
