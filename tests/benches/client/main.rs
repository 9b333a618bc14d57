//! Generated client vs. hand-written code, measured in one run so the
//! ratios hold on a noisy machine: `cargo bench -p tests --bench client`.

mod decode;
mod handwritten;
mod request;
mod stream;

use std::path::{Path, PathBuf};

use criterion::Criterion;

fn main() {
    let output = criterion_dir();
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .configure_from_args();
    let decode_bytes = decode::bench(&mut criterion);
    request::bench(&mut criterion);
    stream::bench(&mut criterion);
    criterion.final_summary();

    println!("\n== ratios (mean times from this run; lower is better for the first column)");
    let mean = |group: &str, id: &str| mean_ns(&output, group, id);
    report(
        "decode 1,000 rows",
        mean("decode_1000_rows", "generated"),
        mean("decode_1000_rows", "handwritten"),
        "hand-written structs",
        1.05,
    );
    report(
        "decode 1,000 rows",
        mean("decode_1000_rows", "generated"),
        mean("decode_1000_rows", "serde_json_value"),
        "serde_json::Value",
        f64::INFINITY,
    );
    for (id, ns) in ["generated", "handwritten", "serde_json_value"]
        .map(|id| (id, mean("decode_1000_rows", id)))
    {
        if let Some(ns) = ns {
            println!(
                "  decode {id:<17} {:>8.1} MB/s",
                decode_bytes as f64 / ns * 1e3
            );
        }
    }
    report(
        "one request",
        mean("one_request", "generated_client"),
        mean("one_request", "raw_reqwest"),
        "raw reqwest",
        1.10,
    );
    report(
        "stream 100,000 rows",
        mean("stream_100k_rows", "generated_stream"),
        mean("stream_100k_rows", "raw_reqwest_loop"),
        "raw reqwest loop",
        1.10,
    );
    for id in ["generated_stream", "raw_reqwest_loop"] {
        if let Some(ns) = mean("stream_100k_rows", id) {
            println!(
                "  stream {id:<17} {:>8.0} rows/s",
                stream::ROWS as f64 / ns * 1e9
            );
        }
    }
}

fn report(what: &str, ours: Option<f64>, baseline: Option<f64>, baseline_name: &str, target: f64) {
    let (Some(ours), Some(baseline)) = (ours, baseline) else {
        return; // filtered out on the command line
    };
    let ratio = ours / baseline;
    let verdict = match target {
        t if t.is_finite() && ratio <= t => format!("(target <= {t:.2}: met)"),
        t if t.is_finite() => format!("(target <= {t:.2}: MISSED)"),
        _ => String::new(),
    };
    println!("  {what:<20} generated / {baseline_name:<20} = {ratio:.3} {verdict}");
}

/// criterion's mean estimate for `group/id` from this run, in nanoseconds.
fn mean_ns(output: &Path, group: &str, id: &str) -> Option<f64> {
    let path = output.join(group).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// `target/criterion` of this workspace, wherever the bench runs from.
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tests::workspace_root().join("target"));
    target.join("criterion")
}
