//! Peak heap while streaming 1,000 pages vs. 10 pages of 100 rows: the
//! pagination stream must hold O(one page), not O(rows).
//! `cargo bench -p ultravox-client-tests --bench stream_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use futures_util::TryStreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS_PER_PAGE: usize = 100;
/// Runs per figure; the worst is reported.
const RUNS: usize = 3;

/// Streams every row of a `pages`-page batch; returns (rows, peak heap growth).
fn stream_pages(pages: usize, read_ahead: bool) -> (usize, usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = support::server::paged_server(pages, ROWS_PER_PAGE).await;
        let client = ultravox_client::Client::builder()
            .api_key(API_KEY)
            .base_url(&server.base_url)
            .build()
            .unwrap();
        // Warm up connection pools and lazy statics, then measure from here.
        client
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap();
        let baseline = LIVE.load(Relaxed);
        PEAK.store(baseline, Relaxed);
        let rows = client
            .list_scheduled_calls(AGENT, BATCH)
            .page_size(ROWS_PER_PAGE as u32)
            .read_ahead(read_ahead)
            .stream()
            .try_fold(0usize, |count, _call| async move { Ok(count + 1) })
            .await
            .unwrap();
        (rows, PEAK.load(Relaxed) - baseline)
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that excludes us skips the run.
    if std::env::args()
        .skip(1)
        .any(|arg| !arg.starts_with("--") && !"stream_memory".contains(&arg))
    {
        return;
    }
    println!("== peak heap growth while streaming (client and in-process server together)");
    println!(
        "   worst of {RUNS} runs each: when a page fetched ahead overlaps the current one varies"
    );
    for read_ahead in [false, true] {
        let worst = |pages: usize| {
            (0..RUNS)
                .map(|_| stream_pages(pages, read_ahead))
                .inspect(|(rows, _)| assert_eq!(*rows, pages * ROWS_PER_PAGE))
                .map(|(_, peak)| peak)
                .max()
                .unwrap()
        };
        let (small, large) = (worst(10), worst(1_000));
        let ratio = large as f64 / small as f64;
        let verdict = if ratio <= 1.2 { "met" } else { "MISSED" };
        println!(
            "  read_ahead({read_ahead:<5}) 10 pages: {:>6.1} KiB, 1,000 pages: {:>6.1} KiB, \
             ratio {ratio:.2} (target <= 1.20: {verdict})",
            small as f64 / 1024.0,
            large as f64 / 1024.0,
        );
    }
}
