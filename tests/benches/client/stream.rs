//! 100,000 rows over 1,000 pages from loopback: the pagination stream vs. a
//! raw reqwest loop that follows the same cursors.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures_util::TryStreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};
use ultravox_client::API_KEY_HEADER;
use ultravox_client::types::{PaginatedScheduledCallList, ScheduledCall};

use crate::{Timings, in_alternating_rounds};

pub const PAGES: usize = 1_000;
pub const ROWS_PER_PAGE: usize = 100;
pub const ROWS: usize = PAGES * ROWS_PER_PAGE;

/// More rounds than the other comparisons: a walk shares two cores with
/// its loopback server, so single rounds differ by up to 10 % either way,
/// and the median of 11 rounds by much less.
const ROUNDS: usize = 11;

pub fn bench(c: &mut Criterion, timings: &Timings) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(support::server::paged_server(PAGES, ROWS_PER_PAGE));
    let http = reqwest::Client::new();
    let client = crate::client_for(&server.base_url, &http);
    let url = format!("{}{}", server.base_url, support::samples::calls_path());

    let mut group = c.benchmark_group("stream_100k_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(1));
    in_alternating_rounds(
        ROUNDS,
        ["generated_stream", "raw_reqwest_loop"],
        |id, name| {
            let generated = id == "generated_stream";
            group.bench_function(name, |b| {
                b.to_async(&runtime).iter_custom(|iters| {
                    let (client, http, url, name) = (&client, &http, &url, name);
                    async move {
                        let started = Instant::now();
                        for _ in 0..iters {
                            let rows = if generated {
                                generated_stream(client).await
                            } else {
                                raw_reqwest_loop(http, url).await
                            };
                            assert_eq!(rows, ROWS);
                        }
                        timings.record(name, started.elapsed(), iters)
                    }
                })
            });
        },
    );
    group.finish();
    drop(server);
}

/// Both walks hand every row to [`take`], one at a time, by value: the
/// same consumer on both sides.
async fn generated_stream(client: &ultravox_client::Client) -> usize {
    let mut rows = 0;
    let mut calls = std::pin::pin!(
        client
            .list_scheduled_calls(AGENT, BATCH)
            .page_size(ROWS_PER_PAGE as u32)
            .stream()
    );
    while let Some(call) = calls.try_next().await.unwrap() {
        rows += take(call);
    }
    rows
}

/// What a consumer does with a row: here, count it.
#[inline(never)]
fn take(call: ScheduledCall) -> usize {
    std::hint::black_box(&call);
    1
}

/// What a user would write by hand: follow the cursors with reqwest.
async fn raw_reqwest_loop(http: &reqwest::Client, url: &str) -> usize {
    let (mut rows, mut cursor) = (0, None::<String>);
    loop {
        let mut request = http
            .get(url)
            .header(API_KEY_HEADER, API_KEY)
            .query(&[("pageSize", "100")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let bytes = request.send().await.unwrap().bytes().await.unwrap();
        let page: PaginatedScheduledCallList = serde_json::from_slice(&bytes).unwrap();
        for call in page.results {
            rows += take(call);
        }
        match page.next {
            Some(next) => cursor = next.split_once("cursor=").map(|(_, c)| c.to_owned()),
            None => break,
        }
    }
    rows
}
