//! Generated client vs. hand-written code, measured in one run so the
//! ratios hold on a noisy machine: `cargo bench -p ultravox-client-tests --bench client`
//! (decode, one request, a 100k-row stream, a 200 MB download, verifying a webhook).

mod decode;
mod download;
mod handwritten;
mod request;
mod stream;
mod webhook;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::Criterion;

/// Short rounds per comparison; the ratio reported is the median of the
/// per-round ratios, so slow drift of a shared machine cancels out.
pub const ROUNDS: usize = 5;

/// Calls `run(id, name)` for every id in `rounds` short rounds, the order
/// reversed every other round, so each measurement has a neighbouring
/// baseline; `name` is `{id}_r{round}`.
pub fn in_alternating_rounds<const N: usize>(
    rounds: usize,
    ids: [&'static str; N],
    mut run: impl FnMut(&'static str, &str),
) {
    for round in 0..rounds {
        let mut order = ids;
        if round % 2 == 1 {
            order.reverse();
        }
        for id in order {
            run(id, &format!("{id}_r{round}"));
        }
    }
}

/// Time per iteration of each benchmark id, as measured in this run
/// (criterion's `iter_custom` hands every measurement to [`Timings::record`]).
#[derive(Clone, Default)]
pub struct Timings(Arc<Mutex<BTreeMap<String, Vec<f64>>>>);

impl Timings {
    /// Keeps `elapsed / iters` under `id` and gives `elapsed` back to criterion.
    pub fn record(&self, id: &str, elapsed: Duration, iters: u64) -> Duration {
        let per_iteration = elapsed.as_nanos() as f64 / iters.max(1) as f64;
        self.0
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default()
            .push(per_iteration);
        elapsed
    }

    /// The median time per iteration of `id`, in ns (`None` when filtered out).
    fn median(&self, id: &str) -> Option<f64> {
        median(self.0.lock().unwrap().get(id)?.clone())
    }

    /// The medians of `id_r0`, `id_r1`, … for every round measured.
    fn rounds(&self, id: &str) -> Vec<f64> {
        (0..)
            .map_while(|round| self.median(&format!("{id}_r{round}")))
            .collect()
    }
}

fn main() {
    let timings = Timings::default();
    let mut criterion = Criterion::default().configure_from_args();
    let decode_bytes = decode::bench(&mut criterion, &timings);
    decode::transcript(&mut criterion, &timings);
    request::bench(&mut criterion, &timings);
    stream::bench(&mut criterion, &timings);
    download::bench(&mut criterion, &timings);
    webhook::bench(&mut criterion, &timings);
    criterion.final_summary();

    println!("\n== generated vs. hand-written, measured in this run (median of per-round ratios)");
    let decode = ["generated", "handwritten", "serde_json_value"].map(|id| timings.rounds(id));
    report(
        "decode 1,000 rows",
        &decode[0],
        &decode[1],
        "hand-written structs",
        Some(1.05),
    );
    report(
        "decode 1,000 rows",
        &decode[0],
        &decode[2],
        "serde_json::Value",
        None,
    );
    print_each(
        &["generated", "handwritten", "serde_json_value"],
        &decode,
        |ns| {
            format!(
                "{:>7.1} MB/s ({decode_bytes} bytes per page)",
                decode_bytes as f64 / ns * 1e3
            )
        },
    );
    let transcript =
        ["transcript_generated", "transcript_handwritten"].map(|id| timings.rounds(id));
    report(
        "decode 1,000 messages",
        &transcript[0],
        &transcript[1],
        "hand-written structs",
        Some(1.05),
    );
    let request = ["generated_client", "raw_reqwest"].map(|id| timings.rounds(id));
    report(
        "one request",
        &request[0],
        &request[1],
        "raw reqwest",
        Some(1.05),
    );
    print_each(&["generated_client", "raw_reqwest"], &request, |ns| {
        format!("{:>7.1} µs per request", ns / 1e3)
    });
    // In the order of `stream::WALKS`: the stream, the raw loop, read-ahead off.
    let stream = stream::WALKS.map(|id| timings.rounds(id));
    report(
        "stream 100,000 rows",
        &stream[0],
        &stream[1],
        "raw reqwest loop",
        Some(1.05),
    );
    report(
        "stream, read-ahead off",
        &stream[2],
        &stream[1],
        "raw reqwest loop",
        None,
    );
    print_each(&stream::WALKS, &stream, |ns| {
        format!("{:>7.0} rows/s", stream::ROWS as f64 / ns * 1e9)
    });
    let download = ["download_to", "raw_reqwest_chunks"].map(|id| timings.rounds(id));
    // Time against time: at most 1 / 0.95 is at least 0.95x the speed.
    report(
        "download 200 MB",
        &download[0],
        &download[1],
        "raw reqwest chunks",
        Some(1.0 / 0.95),
    );
    print_each(&["download_to", "raw_reqwest_chunks"], &download, |ns| {
        format!("{:>7.0} MB/s", download::BYTES as f64 / ns * 1e3)
    });
    let webhook = ["verify", "bare_hmac"].map(|id| timings.rounds(id));
    report(
        "verify a 10 KB webhook",
        &webhook[0],
        &webhook[1],
        "bare HMAC-SHA256",
        Some(1.2),
    );
    print_each(&["verify", "bare_hmac"], &webhook, |ns| {
        format!("{:>7.1} µs per body", ns / 1e3)
    });
    let worst = ["verify_worst_header", "verify"].map(|id| timings.rounds(id));
    report(
        "verify with a 6,000-entry signature header",
        &worst[0],
        &worst[1],
        "one signature",
        Some(3.0),
    );
    let guard = ["verify_guarded", "verify_distinct"].map(|id| timings.rounds(id));
    report(
        "verify with a replay guard, distinct requests",
        &guard[0],
        &guard[1],
        "no guard",
        Some(1.1),
    );
    print_each(&["verify_guarded", "verify_distinct"], &guard, |ns| {
        format!("{:>7.1} µs per request", ns / 1e3)
    });
}

/// Prints the median of `ours[i] / baseline[i]` with the spread of the rounds.
fn report(what: &str, ours: &[f64], baseline: &[f64], baseline_name: &str, target: Option<f64>) {
    let ratios: Vec<f64> = ours.iter().zip(baseline).map(|(a, b)| a / b).collect();
    let Some(ratio) = median(ratios.clone()) else {
        return; // filtered out on the command line
    };
    let (low, high) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), r| (l.min(*r), h.max(*r)));
    let verdict = match target {
        Some(t) if ratio <= t => format!("target <= {t:.2}: met"),
        Some(t) => format!("target <= {t:.2}: MISSED"),
        None => "no target".to_owned(),
    };
    println!(
        "  {what:<20} generated / {baseline_name:<20} = {ratio:.3}  (rounds {low:.3}..{high:.3}; {verdict})"
    );
}

/// One line per id: its median time (ns) turned into a rate by `describe`.
fn print_each(ids: &[&str], series: &[Vec<f64>], describe: impl Fn(f64) -> String) {
    for (id, times) in ids.iter().zip(series) {
        if let Some(ns) = median(times.clone()) {
            println!("    {id:<18} {}", describe(ns));
        }
    }
}

/// The client under test, sharing the baseline's `reqwest::Client`.
pub fn client_for(base_url: &str, http: &reqwest::Client) -> ultravox_client::Client {
    ultravox_client::Client::builder()
        .api_key(support::samples::ids::API_KEY)
        .base_url(base_url)
        .reqwest_client(http.clone())
        .build()
        .unwrap()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}
