//! One page over loopback: the generated client (hooks, retry wrapper,
//! error mapping) vs. a raw reqwest GET with the same `reqwest::Client`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use support::samples::ids::{AGENT, API_KEY, BATCH};
use support::server::LoopbackServer;
use ultravox_client::API_KEY_HEADER;
use ultravox_client::types::PaginatedScheduledCallList;

use crate::{Timings, in_alternating_rounds};

pub fn bench(c: &mut Criterion, timings: &Timings) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = serde_json::to_vec(&support::samples::realistic_page(100, None)).unwrap();
    let server = runtime.block_on(LoopbackServer::start(move |_| body.clone()));

    let http = reqwest::Client::new();
    let client = crate::client_for(&server.base_url, &http);
    let url = format!(
        "{}{}?pageSize=100",
        server.base_url,
        support::samples::calls_path()
    );

    let mut group = c.benchmark_group("one_request");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(
        crate::ROUNDS,
        ["generated_client", "raw_reqwest"],
        |id, name| {
            let generated = id == "generated_client";
            group.bench_function(name, |b| {
                b.to_async(&runtime).iter_custom(|iters| {
                    let (client, http, url, name) = (&client, &http, &url, name);
                    async move {
                        let started = Instant::now();
                        for _ in 0..iters {
                            let rows = if generated {
                                let page = client
                                    .list_scheduled_calls(AGENT, BATCH)
                                    .page_size(100)
                                    .send()
                                    .await
                                    .unwrap();
                                page.results.len()
                            } else {
                                let response = http
                                    .get(url)
                                    .header(API_KEY_HEADER, API_KEY)
                                    .send()
                                    .await
                                    .unwrap();
                                let bytes =
                                    response.error_for_status().unwrap().bytes().await.unwrap();
                                let page: PaginatedScheduledCallList =
                                    serde_json::from_slice(&bytes).unwrap();
                                page.results.len()
                            };
                            assert_eq!(rows, 100);
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
