#!/usr/bin/env bash
# A consumer's cold build of ultravox-client against a minimal hand-written
# client (reqwest + serde + tokio, the same TLS), each a new binary with an
# empty target dir, built in turn in the same run: the ratio is what the
# generated client costs a service that depends on it. The order alternates
# from run to run (generated first, then hand-written first, ...), as in the
# criterion benchmarks, so that neither build always meets the warmer caches.
#
#   bash tests/consumer-build/run.sh [RUNS]     (default 2; 1-2.5 min a run on 2 cores)
#
# Prints each build's wall time and crate count, then the ratio of the
# medians. Uses the registry cache, so the first run on a machine may fetch.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reqwest=$(grep -E '^reqwest = ' "$root/Cargo.toml" | sed -E 's/.*version = "([^"]+)".*/\1/')
tokio=$(grep -E '^tokio = ' "$root/Cargo.toml" | sed -E 's/.*"([^"]+)"/\1/')

mkdir -p "$work/generated/src" "$work/handwritten/src"
cat >"$work/generated/Cargo.toml" <<TOML
[package]
name = "consumer-generated"
version = "0.0.0"
edition = "2024"
[dependencies]
ultravox-client = { path = "$root/generated-client" }
tokio = { version = "$tokio", features = ["macros", "rt-multi-thread"] }
# Built as a crates.io dependency is: cargo compiles path dependencies
# incrementally, registry ones not.
[profile.dev.package.ultravox-client]
incremental = false
[workspace]
TOML
cat >"$work/generated/src/main.rs" <<'RS'
#[tokio::main]
async fn main() -> Result<(), ultravox_client::Error> {
    let client = ultravox_client::Client::from_env()?;
    let (agent, batch) = (ultravox_client::Uuid::nil(), ultravox_client::Uuid::nil());
    let page = client.list_scheduled_calls(agent, batch).send().await?;
    println!("{}", page.results.len());
    Ok(())
}
RS
cat >"$work/handwritten/Cargo.toml" <<TOML
[package]
name = "consumer-handwritten"
version = "0.0.0"
edition = "2024"
[dependencies]
reqwest = { version = "$reqwest", default-features = false, features = ["rustls", "json", "query"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "$tokio", features = ["macros", "rt-multi-thread"] }
[workspace]
TOML
cat >"$work/handwritten/src/main.rs" <<'RS'
#[derive(serde::Deserialize)]
struct Page {
    next: Option<String>,
    results: Vec<serde_json::Value>,
}

#[tokio::main]
async fn main() -> Result<(), reqwest::Error> {
    let key = std::env::var("ULTRAVOX_API_KEY").unwrap_or_default();
    let page: Page = reqwest::Client::new()
        .get("https://api.ultravox.ai/api/agents/x/scheduled_batches/y/scheduled_calls")
        .header("X-API-Key", key)
        .send()
        .await?
        .json()
        .await?;
    println!("{} {:?}", page.results.len(), page.next);
    Ok(())
}
RS
# Lock both once (the lock is not what is measured).
for consumer in generated handwritten; do
  (cd "$work/$consumer" && cargo generate-lockfile -q)
done

declare -A times
for run in $(seq "$runs"); do
  order="generated handwritten"
  if ((run % 2 == 0)); then order="handwritten generated"; fi
  for consumer in $order; do
    target="$work/target-$consumer-$run"
    start=$(date +%s.%N)
    (cd "$work/$consumer" && CARGO_TARGET_DIR="$target" cargo build -q --offline 2>/dev/null ||
      CARGO_TARGET_DIR="$target" cargo build -q)
    end=$(date +%s.%N)
    seconds=$(awk "BEGIN { print $end - $start }")
    crates=$(cd "$work/$consumer" && cargo tree -e normal,build --prefix none --format '{p}' | sed 's/ (\*)//' | sort -u | wc -l)
    printf '%-12s run %d: %6.1f s, %d crates\n' "$consumer" "$run" "$seconds" "$crates"
    times[$consumer]+="$seconds "
    rm -rf "$target"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
generated=$(echo "${times[generated]}" | median)
handwritten=$(echo "${times[handwritten]}" | median)
printf 'median: generated %.1f s, hand-written %.1f s, ratio %.2f\n' \
  "$generated" "$handwritten" "$(awk "BEGIN { print $generated / $handwritten }")"
