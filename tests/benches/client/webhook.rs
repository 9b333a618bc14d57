//! Verifying a 10 KB webhook body (headers parsed, signature decoded and
//! compared, timestamp checked) vs. a bare HMAC-SHA256 of the same bytes.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;
use ultravox_client::webhooks::{SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier};

use crate::{Timings, in_alternating_rounds};

pub const BODY_BYTES: usize = 10 * 1024;
const SECRET: &str = "whsec_bench_0123456789";
const TIMESTAMP: &str = "2026-12-04T18:00:00.123456Z";

fn bare_hmac(body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.update(TIMESTAMP.as_bytes());
    mac.finalize().into_bytes().into()
}

pub fn bench(c: &mut Criterion, timings: &Timings) {
    let row = serde_json::to_vec(&support::samples::realistic_rows(1)[0]).unwrap();
    let body: Vec<u8> = row.iter().copied().cycle().take(BODY_BYTES).collect();
    let signature: String = bare_hmac(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from_static(TIMESTAMP));
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    let verifier = Verifier::new([SECRET]).tolerance(Duration::MAX);
    let now = SystemTime::now();
    // Both must agree before their speeds are compared.
    assert!(verifier.verify(&headers, &body, now).is_ok());

    let mut group = c.benchmark_group("webhook_10kb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(["verify", "bare_hmac"], |id, name| {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    if id == "verify" {
                        black_box(verifier.verify(black_box(&headers), black_box(&body), now))
                            .unwrap();
                    } else {
                        black_box(bare_hmac(black_box(&body)));
                    }
                }
                timings.record(name, started.elapsed(), iters)
            })
        });
    });
    group.finish();
}
