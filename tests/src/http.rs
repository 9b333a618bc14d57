//! Clients for the servers the tests start on 127.0.0.1.

use std::time::Duration;

use futures_util::StreamExt;
use httpmock::{Mock, MockServer};
use serde_json::Value;
use ultravox_client::mock::MockServerExt;
use ultravox_client::mock::operations::ListScheduledCallsWhen as When;
use ultravox_client::types::{PaginatedScheduledCallList, ScheduledCall};
use ultravox_client::{API_KEY_HEADER, Client, ClientBuilder, Error, ResponseValue};

use crate::samples::ids;
use crate::server::{Reply, ScriptedServer};

/// A client for a test server: test key, fast backoff.
pub fn test_client(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(ids::API_KEY)
        .base_url(base_url)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
}

/// Streams the scheduled calls of [`ids::AGENT`] / [`ids::BATCH`] from
/// `base_url` with a [`test_client`]: at most `at_most` items, so that a
/// listing that never ends fails its test instead of hanging it.
pub async fn stream_listing(base_url: &str, at_most: usize) -> Vec<Result<ScheduledCall, Error>> {
    let client = test_client(base_url).build().unwrap();
    client
        .list_scheduled_calls(ids::AGENT, ids::BATCH)
        .stream()
        .take(at_most)
        .collect()
        .await
}

/// Serves `script` on a [`ScriptedServer`] and fetches the first page with a
/// [`test_client`] adjusted by `configure`. Fails the test if the client
/// hangs for 10 s. The server is returned for its request log.
pub async fn fetch_first_page(
    script: Vec<Reply>,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (
    Result<ResponseValue<PaginatedScheduledCallList>, Error>,
    ScriptedServer,
) {
    let server = ScriptedServer::start(script).await;
    let client = configure(test_client(&server.base_url)).build().unwrap();
    let request = client.list_scheduled_calls(ids::AGENT, ids::BATCH);
    match tokio::time::timeout(Duration::from_secs(10), request.send()).await {
        Ok(result) => (result, server),
        Err(_) => panic!("the client hung"),
    }
}

/// Serves `pages` on `server` with the crate's typed mock: each
/// `(cursor, page)` answers the request for [`ids::AGENT`] and
/// [`ids::BATCH`] that carries that cursor (none: no cursor at all), the
/// test key, and whatever `filters` require.
pub fn mock_pages<'a>(
    server: &'a MockServer,
    pages: Vec<(Option<&str>, Value)>,
    filters: impl Fn(When) -> When,
) -> Vec<Mock<'a>> {
    pages
        .into_iter()
        .map(|(cursor, body)| {
            let body: PaginatedScheduledCallList =
                serde_json::from_value(body).expect("a page of the spec's shape");
            server.list_scheduled_calls(|when, then| {
                let when = filters(
                    when.agent_id(&ids::AGENT)
                        .batch_id(&ids::BATCH)
                        .cursor(cursor),
                );
                // The typed mock has no header matcher: add it on httpmock's
                // `When`, which shares its requirements with the mock (the
                // value returned is the same builder, not needed again).
                let _same_when = when.into_inner().header(API_KEY_HEADER, ids::API_KEY);
                then.ok(&body);
            })
        })
        .collect()
}
