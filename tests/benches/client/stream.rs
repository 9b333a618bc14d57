//! 100,000 rows over 1,000 pages from loopback: the pagination stream vs. a
//! raw reqwest loop that follows the same cursors.

use criterion::{Criterion, Throughput};
use futures_util::TryStreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};
use ultravox_client::types::PaginatedScheduledCallList;

pub const PAGES: usize = 1_000;
pub const ROWS_PER_PAGE: usize = 100;
pub const ROWS: usize = PAGES * ROWS_PER_PAGE;

pub fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(support::server::paged_server(PAGES, ROWS_PER_PAGE));
    let http = reqwest::Client::new();
    let client = crate::client_for(&server.base_url, &http);
    let url = format!("{}{}", server.base_url, support::samples::calls_path());

    let mut group = c.benchmark_group("stream_100k_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("generated_stream", |b| {
        b.to_async(&runtime).iter(|| async {
            let rows = client
                .list_scheduled_calls(AGENT, BATCH)
                .page_size(ROWS_PER_PAGE as u32)
                .stream()
                .try_fold(0usize, |count, _call| async move { Ok(count + 1) })
                .await
                .unwrap();
            assert_eq!(rows, ROWS);
        })
    });
    group.bench_function("raw_reqwest_loop", |b| {
        b.to_async(&runtime).iter(|| async {
            let (mut rows, mut cursor) = (0, None::<String>);
            loop {
                let mut request = http
                    .get(&url)
                    .header("x-api-key", API_KEY)
                    .query(&[("pageSize", "100")]);
                if let Some(cursor) = &cursor {
                    request = request.query(&[("cursor", cursor)]);
                }
                let bytes = request.send().await.unwrap().bytes().await.unwrap();
                let page: PaginatedScheduledCallList = serde_json::from_slice(&bytes).unwrap();
                rows += page.results.len();
                match page.next {
                    Some(next) => cursor = next.split_once("cursor=").map(|(_, c)| c.to_owned()),
                    None => break,
                }
            }
            assert_eq!(rows, ROWS);
        })
    });
    group.finish();
    drop(server);
}
