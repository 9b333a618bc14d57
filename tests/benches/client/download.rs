//! A 200 MB recording from loopback into a sink: `download_to` vs. a raw
//! reqwest loop writing the same chunks into the same sink.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use support::samples::ids::{API_KEY, BATCH};
use tokio::io::AsyncWriteExt;
use ultravox_client::API_KEY_HEADER;

use crate::{Timings, in_alternating_rounds};

pub const BYTES: usize = 200 << 20;

pub fn bench(c: &mut Criterion, timings: &Timings) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = Arc::new(vec![7u8; BYTES]);
    let url = runtime.block_on(support::server::static_body_server(body, "audio/wav", true));
    let http = reqwest::Client::new();
    let client = crate::client_for(&url, &http);

    let mut group = c.benchmark_group("download_200_mb");
    group.throughput(Throughput::Bytes(BYTES as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(
        crate::ROUNDS,
        ["download_to", "raw_reqwest_chunks"],
        |id, name| {
            let generated = id == "download_to";
            group.bench_function(name, |b| {
                b.to_async(&runtime).iter_custom(|iters| {
                    let (client, http, url) = (&client, &http, &url);
                    async move {
                        let started = Instant::now();
                        for _ in 0..iters {
                            let bytes = if generated {
                                downloaded(client).await
                            } else {
                                raw_reqwest_chunks(http, url).await
                            };
                            assert_eq!(bytes, BYTES);
                        }
                        timings.record(name, started.elapsed(), iters)
                    }
                })
            });
        },
    );
    group.finish();
}

async fn downloaded(client: &ultravox_client::Client) -> usize {
    client
        .get_call_recording(BATCH)
        .timeout(Duration::from_secs(300))
        .download_to(&mut tokio::io::sink())
        .await
        .unwrap()
        .bytes as usize
}

/// What a user would write by hand: read the chunks, write them out.
async fn raw_reqwest_chunks(http: &reqwest::Client, url: &str) -> usize {
    let mut response = http
        .get(url)
        .header(API_KEY_HEADER, API_KEY)
        .send()
        .await
        .unwrap();
    let (mut sink, mut bytes) = (tokio::io::sink(), 0);
    while let Some(chunk) = response.chunk().await.unwrap() {
        sink.write_all(&chunk).await.unwrap();
        bytes += chunk.len();
    }
    bytes
}
