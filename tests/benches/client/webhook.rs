//! Verifying a 10 KB webhook body (headers parsed, signature decoded and
//! compared, timestamp checked) vs. a bare HMAC-SHA256 of the same bytes;
//! the worst signature header (6,000 entries) vs. one signature; and a
//! verifier with a replay guard vs. one without, on distinct requests.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;
use ultravox_client::webhooks::{ReplayGuard, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier};

use crate::{Timings, in_alternating_rounds};

pub const BODY_BYTES: usize = 10 * 1024;
const SECRET: &str = "whsec_bench_0123456789";
const TIMESTAMP: &str = "2026-12-04T18:00:00.123456Z";

/// Distinct requests for the replay-guard comparison.
const DISTINCT: usize = 4096;

fn bare_hmac(body: &[u8]) -> [u8; 32] {
    hmac_at(body, TIMESTAMP)
}

fn hmac_at(body: &[u8], timestamp: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.update(timestamp.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hex(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn headers(timestamp: &str, signatures: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signatures).unwrap());
    headers
}

pub fn bench(c: &mut Criterion, timings: &Timings) {
    let row = serde_json::to_vec(&support::samples::realistic_rows(1)[0]).unwrap();
    let body: Vec<u8> = row.iter().copied().cycle().take(BODY_BYTES).collect();
    let signature = hex(bare_hmac(&body));
    let one = headers(TIMESTAMP, &signature);
    // The worst header: thousands of entries that are not signatures (or
    // are, and do not match) before the one that does.
    let worst = headers(
        TIMESTAMP,
        &format!("{},{signature}", vec!["0".repeat(64); 6_000].join(",")),
    );
    let verifier = Verifier::new([SECRET]).unwrap().tolerance(Duration::MAX);
    let now = SystemTime::now();
    // Each must do its work before their speeds are compared.
    assert!(verifier.verify(&one, &body, now).is_ok());
    assert!(verifier.verify(&worst, &body, now).is_err(), "past the cap");

    let sent: chrono::DateTime<chrono::Utc> = TIMESTAMP.parse().unwrap();
    let distinct: Vec<HeaderMap> = (0..DISTINCT)
        .map(|i| {
            let at = (sent + chrono::TimeDelta::milliseconds(i as i64)).to_rfc3339();
            headers(&at, &hex(hmac_at(&body, &at)))
        })
        .collect();
    let at_send = SystemTime::from(sent) + Duration::from_secs(10);
    let hour = Verifier::new([SECRET])
        .unwrap()
        .tolerance(Duration::from_secs(3600));
    let guarded = || hour.clone().replay_guard(ReplayGuard::new(DISTINCT));

    let mut group = c.benchmark_group("webhook_10kb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    in_alternating_rounds(
        crate::ROUNDS,
        [
            "verify",
            "bare_hmac",
            "verify_worst_header",
            "verify_distinct",
            "verify_guarded",
        ],
        |id, name| {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let mut elapsed = Duration::ZERO;
                    let mut started = Instant::now();
                    let mut guard = guarded();
                    for i in 0..iters as usize {
                        match id {
                            "verify" => {
                                black_box(verifier.verify(black_box(&one), black_box(&body), now))
                                    .unwrap();
                            }
                            "verify_worst_header" => {
                                let _ = black_box(verifier.verify(
                                    black_box(&worst),
                                    black_box(&body),
                                    now,
                                ));
                            }
                            "verify_distinct" | "verify_guarded" => {
                                let which = &distinct[i % DISTINCT];
                                let checker = if id == "verify_guarded" {
                                    &guard
                                } else {
                                    &hour
                                };
                                black_box(checker.verify(
                                    black_box(which),
                                    black_box(&body),
                                    at_send,
                                ))
                                .unwrap();
                                if i % DISTINCT == DISTINCT - 1 && id == "verify_guarded" {
                                    // A fresh guard for the next lap, outside the clock.
                                    elapsed += started.elapsed();
                                    guard = guarded();
                                    started = Instant::now();
                                }
                            }
                            _ => {
                                black_box(bare_hmac(black_box(&body)));
                            }
                        }
                    }
                    timings.record(name, elapsed + started.elapsed(), iters)
                })
            });
        },
    );
    group.finish();
}
