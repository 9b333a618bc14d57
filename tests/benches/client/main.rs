//! Generated client vs. hand-written code, measured in one run so the
//! ratios hold on a noisy machine: `cargo bench -p ultravox-client-tests --bench client`.

mod decode;
mod handwritten;
mod request;
mod stream;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use criterion::Criterion;

/// Short rounds per comparison; the ratio reported is the median of the
/// per-round ratios, so slow drift of a shared machine cancels out.
pub const ROUNDS: usize = 5;

fn main() {
    let output = criterion_dir();
    let started = SystemTime::now();
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .configure_from_args();
    let decode_bytes = decode::bench(&mut criterion);
    request::bench(&mut criterion);
    stream::bench(&mut criterion);
    criterion.final_summary();

    // Only estimates written by this run count (a filter may skip groups).
    let mean = |group: &str, id: &str| mean_ns(&output, group, id, started);
    let rounds = |group: &str, id: &str| -> Vec<f64> {
        (0..ROUNDS)
            .filter_map(|round| mean(group, &format!("{id}_r{round}")))
            .collect()
    };

    println!("\n== generated vs. hand-written, measured in this run (median of per-round ratios)");
    let decode =
        ["generated", "handwritten", "serde_json_value"].map(|id| rounds("decode_1000_rows", id));
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
    let request = ["generated_client", "raw_reqwest"].map(|id| rounds("one_request", id));
    report(
        "one request",
        &request[0],
        &request[1],
        "raw reqwest",
        Some(1.10),
    );
    print_each(&["generated_client", "raw_reqwest"], &request, |ns| {
        format!("{:>7.1} µs per request", ns / 1e3)
    });
    let stream = ["generated_stream", "raw_reqwest_loop"]
        .map(|id| mean("stream_100k_rows", id).into_iter().collect::<Vec<_>>());
    report(
        "stream 100,000 rows",
        &stream[0],
        &stream[1],
        "raw reqwest loop",
        Some(1.10),
    );
    print_each(&["generated_stream", "raw_reqwest_loop"], &stream, |ns| {
        format!("{:>7.0} rows/s", stream::ROWS as f64 / ns * 1e9)
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

/// criterion's mean estimate for `group/id`, in nanoseconds, if this run
/// (started at `since`) wrote it.
fn mean_ns(output: &Path, group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = output.join(group).join(id).join("new/estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// `target/criterion` of this workspace, wherever the bench runs from.
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::spec::workspace_root().join("target"));
    target.join("criterion")
}
