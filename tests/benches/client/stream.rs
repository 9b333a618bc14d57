//! 100,000 rows over 1,000 pages from loopback: the pagination stream vs. a
//! raw reqwest loop that follows the same cursors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use futures_util::TryStreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};
use ultravox_client::API_KEY_HEADER;
use ultravox_client::types::{PaginatedScheduledCallList, ScheduledCall};

use crate::Timings;

pub const PAGES: usize = 1_000;
pub const ROWS_PER_PAGE: usize = 100;
pub const ROWS: usize = PAGES * ROWS_PER_PAGE;

/// Walks of each kind. A walk shares two cores with its loopback server,
/// and the machine drifts by more than the difference measured over the
/// seconds a block of walks takes; so the walks are measured in groups of
/// one of each kind, back to back in alternating order, and each
/// group gives one ratio.
const GROUPS: usize = 30;

/// The walks compared, as they are named in [`Timings`].
pub const WALKS: [&str; 3] = [
    "generated_stream",
    "raw_reqwest_loop",
    "stream_no_read_ahead",
];

pub fn bench(c: &mut Criterion, timings: &Timings) {
    // The server on a runtime of its own, as the API is elsewhere: its
    // tasks do not queue on the walks' worker threads.
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(support::server::paged_server(PAGES, ROWS_PER_PAGE));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let client = crate::client_for(&server.base_url, &http);
    let url = format!("{}{}", server.base_url, support::samples::calls_path());

    let mut group = c.benchmark_group("stream_100k_rows");
    group.throughput(Throughput::Elements(3 * ROWS as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(GROUPS);
    group.warm_up_time(Duration::from_millis(1));
    // Room for one group per sample; criterion runs GROUPS samples whatever it is.
    group.measurement_time(Duration::from_secs(40));
    let next_group = AtomicUsize::new(0);
    group.bench_function("each_walk_once", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            let (client, http, url, next_group) = (&client, &http, &url, &next_group);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let round = next_group.fetch_add(1, Ordering::Relaxed);
                    let mut order = WALKS;
                    if round % 2 == 1 {
                        order.reverse();
                    }
                    for walk in order {
                        let started = Instant::now();
                        let rows = match walk {
                            "generated_stream" => generated_stream(client, true).await,
                            "stream_no_read_ahead" => generated_stream(client, false).await,
                            _ => raw_reqwest_loop(http, url).await,
                        };
                        assert_eq!(rows, ROWS);
                        total += timings.record(&format!("{walk}_r{round}"), started.elapsed(), 1);
                    }
                }
                total
            }
        })
    });
    group.finish();
    drop(server);
}

/// Every walk hands every row to [`take`], one at a time, by value: the
/// same consumer on every side.
async fn generated_stream(client: &ultravox_client::Client, read_ahead: bool) -> usize {
    let mut rows = 0;
    let mut calls = std::pin::pin!(
        client
            .list_scheduled_calls(AGENT, BATCH)
            .page_size(ROWS_PER_PAGE as u32)
            .read_ahead(read_ahead)
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
