//! Decoding a realistic 1,000-row page: generated types vs. hand-written
//! structs vs. `serde_json::Value`; and a 1,000-message transcript page,
//! generated vs. hand-written.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use ultravox_client::types::{PaginatedMessageList, PaginatedScheduledCallList};

use crate::{Timings, handwritten, in_alternating_rounds};

/// Runs the group; returns the page size in bytes (for MB/s).
pub fn bench(c: &mut Criterion, timings: &Timings) -> usize {
    let body = serde_json::to_vec(&support::samples::realistic_page(1_000, Some("c2"))).unwrap();
    // The inputs must agree before their speeds are compared.
    let generated: PaginatedScheduledCallList = serde_json::from_slice(&body).unwrap();
    let handwritten: handwritten::Page = serde_json::from_slice(&body).unwrap();
    assert_eq!(generated.results.len(), handwritten.results.len());

    // The machine drifts over seconds; short rounds in alternating order
    // pair each measurement with a neighbouring baseline (see main.rs).
    let mut group = c.benchmark_group("decode_1000_rows");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(
        crate::ROUNDS,
        ["generated", "handwritten", "serde_json_value"],
        |id, name| {
            let decode: fn(&[u8]) = match id {
                "generated" => |body| {
                    black_box(serde_json::from_slice::<PaginatedScheduledCallList>(body).unwrap());
                },
                "handwritten" => |body| {
                    black_box(serde_json::from_slice::<handwritten::Page>(body).unwrap());
                },
                _ => |body| {
                    black_box(serde_json::from_slice::<serde_json::Value>(body).unwrap());
                },
            };
            time_decode(&mut group, timings, name, &body, decode);
        },
    );
    group.finish();
    body.len()
}

/// A 1,000-message transcript page: generated types vs. hand-written structs.
pub fn transcript(c: &mut Criterion, timings: &Timings) {
    let body = serde_json::to_vec(&support::samples::realistic_transcript(1_000)).unwrap();
    let generated: PaginatedMessageList = serde_json::from_slice(&body).unwrap();
    let handwritten: handwritten::MessagePage = serde_json::from_slice(&body).unwrap();
    assert_eq!(generated.results.len(), handwritten.results.len());
    assert_eq!(generated.results.len(), 1_000);

    let mut group = c.benchmark_group("decode_1000_messages");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(
        crate::ROUNDS,
        ["transcript_generated", "transcript_handwritten"],
        |id, name| {
            let decode: fn(&[u8]) = match id {
                "transcript_generated" => |body| {
                    black_box(serde_json::from_slice::<PaginatedMessageList>(body).unwrap());
                },
                _ => |body| {
                    black_box(serde_json::from_slice::<handwritten::MessagePage>(body).unwrap());
                },
            };
            time_decode(&mut group, timings, name, &body, decode);
        },
    );
    group.finish();
}

/// Times `decode` of `body` as `name`, every measurement kept in `timings`.
fn time_decode(
    group: &mut BenchmarkGroup<'_, WallTime>,
    timings: &Timings,
    name: &str,
    body: &[u8],
    decode: fn(&[u8]),
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                decode(black_box(body));
            }
            timings.record(name, started.elapsed(), iters)
        })
    });
}
