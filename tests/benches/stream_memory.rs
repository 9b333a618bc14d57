//! Peak heap while streaming 1,000 pages vs. 100 pages of 100 rows: the
//! pagination stream must hold O(one page), not O(rows). (With read-ahead
//! two pages can be alive at once; 100 pages give that overlap as many
//! chances to happen as 1,000 do, so the two runs are comparable.) And peak heap while
//! fetching one 33 MB page, against the body's size: the body must not be
//! copied on its way from the socket to the decoder. And peak heap while
//! downloading 200 MB, against a raw reqwest loop: one chunk at a time.
//! `cargo bench -p ultravox-client-tests --bench stream_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use futures_util::TryStreamExt;
use support::samples::ids::{AGENT, API_KEY, BATCH};
use tokio::io::AsyncWriteExt;

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

    /// The system's own realloc (which may grow a large block in place),
    /// counted as the change in size: what a real process pays.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let live =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS_PER_PAGE: usize = 100;
/// Runs per figure; the worst is reported.
const RUNS: usize = 3;

/// A fresh runtime for one measurement: two workers, as on the machine.
fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Streams every row of a `pages`-page batch; returns (rows, peak heap growth).
fn stream_pages(pages: usize, read_ahead: bool) -> (usize, usize) {
    let runtime = two_workers();
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

/// Rows in the large page: about 33 MB of JSON.
const LARGE_PAGE_ROWS: usize = 80_000;

/// Fetches the large page once; returns (peak heap growth during the
/// call, heap the decoded page holds).
fn fetch_large_page(body: &Arc<Vec<u8>>, announce: bool) -> (usize, usize) {
    let runtime = two_workers();
    runtime.block_on(async {
        let url =
            support::server::static_body_server(body.clone(), "application/json", announce).await;
        let client = ultravox_client::Client::builder()
            .api_key(API_KEY)
            .base_url(&url)
            .max_response_bytes(64 << 20)
            .build()
            .unwrap();
        let baseline = LIVE.load(Relaxed);
        PEAK.store(baseline, Relaxed);
        let page = client
            .list_scheduled_calls(AGENT, BATCH)
            .send()
            .await
            .unwrap();
        assert_eq!(page.results.len(), LARGE_PAGE_ROWS);
        let held = LIVE.load(Relaxed) - baseline;
        (PEAK.load(Relaxed) - baseline, held)
    })
}

fn large_page() {
    let page = support::samples::realistic_page(LARGE_PAGE_ROWS, None);
    let body = Arc::new(serde_json::to_vec(&page).unwrap());
    drop(page);
    let size = body.len() as f64;
    println!(
        "== peak heap growth while fetching one page of {:.1} MB ({LARGE_PAGE_ROWS} rows), worst of {RUNS}",
        size / 1e6
    );
    for announce in [true, false] {
        let runs: Vec<_> = (0..RUNS)
            .map(|_| fetch_large_page(&body, announce))
            .collect();
        let peak = runs.iter().map(|(peak, _)| *peak).max().unwrap() as f64;
        let held = runs.iter().map(|(_, held)| *held).max().unwrap() as f64;
        let framing = if announce {
            "Content-Length"
        } else {
            "chunked"
        };
        let overhead = (peak - held) / size;
        let verdict = if overhead <= 2.0 { "met" } else { "MISSED" };
        println!(
            "  {framing:<14}: peak {:>6.1} MB = {:.2} x the body; the decoded page holds \
             {:>6.1} MB = {:.2} x; above it, the transfer peaks at {overhead:.2} x the body \
             (target <= 2.00: {verdict})",
            peak / 1e6,
            peak / size,
            held / 1e6,
            held / size,
        );
    }
}

/// The recording downloaded: 200 MB.
const RECORDING_BYTES: usize = 200 << 20;

/// Downloads `body` once into a sink, with the client (`generated`) or a
/// raw reqwest loop; returns the peak heap growth.
fn download(body: &Arc<Vec<u8>>, generated: bool) -> usize {
    let runtime = two_workers();
    runtime.block_on(async {
        let url = support::server::static_body_server(body.clone(), "audio/wav", true).await;
        let client = ultravox_client::Client::builder()
            .api_key(API_KEY)
            .base_url(&url)
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .unwrap();
        let http = reqwest::Client::new();
        let mut sink = tokio::io::sink();
        let baseline = LIVE.load(Relaxed);
        PEAK.store(baseline, Relaxed);
        let bytes = if generated {
            client
                .get_call_recording(AGENT)
                .download_to(&mut sink)
                .await
                .unwrap()
                .bytes as usize
        } else {
            let mut response = http
                .get(&url)
                .header(ultravox_client::API_KEY_HEADER, API_KEY)
                .send()
                .await
                .unwrap();
            let mut bytes = 0;
            while let Some(chunk) = response.chunk().await.unwrap() {
                sink.write_all(&chunk).await.unwrap();
                bytes += chunk.len();
            }
            bytes
        };
        assert_eq!(bytes, body.len());
        PEAK.load(Relaxed) - baseline
    })
}

fn download_heap() {
    let body = Arc::new(vec![7u8; RECORDING_BYTES]);
    println!(
        "== peak heap growth while downloading {} MB into a sink, worst of {RUNS}",
        RECORDING_BYTES >> 20
    );
    let worst = |generated| (0..RUNS).map(|_| download(&body, generated)).max().unwrap();
    let (ours, raw) = (worst(true), worst(false));
    let above = ours as f64 - raw as f64;
    let verdict = if above <= 2.0 * 1024.0 * 1024.0 {
        "met"
    } else {
        "MISSED"
    };
    println!(
        "  download_to: {:>7.1} KiB, raw reqwest chunks: {:>7.1} KiB, {:+.1} KiB \
         (target <= +2 MiB: {verdict})",
        ours as f64 / 1024.0,
        raw as f64 / 1024.0,
        above / 1024.0,
    );
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
        let (small, large) = (worst(100), worst(1_000));
        let ratio = large as f64 / small as f64;
        let verdict = if ratio <= 1.2 { "met" } else { "MISSED" };
        println!(
            "  read_ahead({read_ahead:<5}) 100 pages: {:>6.1} KiB, 1,000 pages: {:>6.1} KiB, \
             ratio {ratio:.2} (target <= 1.20: {verdict})",
            small as f64 / 1024.0,
            large as f64 / 1024.0,
        );
    }
    large_page();
    download_heap();
}
