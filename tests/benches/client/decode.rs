//! Decoding a realistic 1,000-row page: generated types vs. hand-written
//! structs vs. `serde_json::Value`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ultravox_client::types::PaginatedScheduledCallList;

use crate::handwritten;

/// Runs the group; returns the page size in bytes (for MB/s).
pub fn bench(c: &mut Criterion) -> usize {
    let body = serde_json::to_vec(&tests::realistic_page(1_000, Some("c2"))).unwrap();
    // The inputs must agree before their speeds are compared.
    let generated: PaginatedScheduledCallList = serde_json::from_slice(&body).unwrap();
    let handwritten: handwritten::Page = serde_json::from_slice(&body).unwrap();
    assert_eq!(generated.results.len(), handwritten.results.len());

    let mut group = c.benchmark_group("decode_1000_rows");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::from_slice::<PaginatedScheduledCallList>(black_box(&body)).unwrap())
    });
    group.bench_function("handwritten", |b| {
        b.iter(|| serde_json::from_slice::<handwritten::Page>(black_box(&body)).unwrap())
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
    });
    group.finish();
    body.len()
}
