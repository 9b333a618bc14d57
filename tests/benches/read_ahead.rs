//! Read-ahead paging vs. sequential paging, over 100 pages from a local
//! server that answers each page after 20 ms: with a consumer that spends
//! 20 ms per page (sequential takes the sum of network and work, read-ahead
//! about the larger of the two), and with one that does no work (read-ahead
//! must cost nothing). Ratios of medians from alternating rounds in one run.
//! `cargo bench -p ultravox-client-tests --bench read_ahead`

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::server::{AfterResponse, paged_server_with};

const PAGES: usize = 100;
const ROWS_PER_PAGE: usize = 100;
const LATENCY: Duration = Duration::from_millis(20);
const ROUNDS: usize = 3;

/// Walks every page; `work` is spent on each one. Returns the wall time.
async fn walk(client: &ultravox_client::Client, read_ahead: bool, work: Duration) -> Duration {
    let started = Instant::now();
    let mut pages = std::pin::pin!(
        client
            .list_scheduled_calls(AGENT, BATCH)
            .read_ahead(read_ahead)
            .pages()
    );
    let mut count = 0;
    while let Some(page) = pages.next().await {
        assert_eq!(page.unwrap().results.len(), ROWS_PER_PAGE);
        count += 1;
        if !work.is_zero() {
            tokio::time::sleep(work).await;
        }
    }
    assert_eq!(count, PAGES);
    started.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that excludes us skips the run.
    if std::env::args()
        .skip(1)
        .any(|arg| !arg.starts_with("--") && !"read_ahead".contains(&arg))
    {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server =
            paged_server_with(AfterResponse::Delay(LATENCY), PAGES, ROWS_PER_PAGE).await;
        let client = ultravox_client::Client::builder()
            .api_key(API_KEY)
            .base_url(&server.base_url)
            .build()
            .unwrap();
        walk(&client, true, Duration::ZERO).await; // warm up the pool
        println!(
            "== read-ahead vs. sequential paging: {PAGES} pages, server latency {} ms \
             (median of {ROUNDS} alternating rounds)",
            LATENCY.as_millis()
        );
        for (work, target) in [(LATENCY, 0.6), (Duration::ZERO, 1.05)] {
            let (mut ahead, mut sequential) = (Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let order = if round % 2 == 0 { [true, false] } else { [false, true] };
                for read_ahead in order {
                    let time = walk(&client, read_ahead, work).await.as_secs_f64();
                    if read_ahead { ahead.push(time) } else { sequential.push(time) }
                }
            }
            let (ahead, sequential) = (median(ahead), median(sequential));
            let ratio = ahead / sequential;
            let verdict = if ratio <= target { "met" } else { "MISSED" };
            println!(
                "  consumer work {:>2} ms/page: read-ahead {ahead:.2} s, sequential {sequential:.2} s, \
                 ratio {ratio:.3} (target <= {target}: {verdict})",
                work.as_millis()
            );
        }
    });
}
