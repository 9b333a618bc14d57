//! Lists a batch's scheduled calls as NDJSON (one JSON object per line).
//!
//! ```sh
//! cargo run -p ultravox-client --example list_scheduled_calls -- --demo --all
//! ULTRAVOX_API_KEY=... cargo run -p ultravox-client --example list_scheduled_calls -- \
//!     --all --status ERROR AGENT_ID BATCH_ID
//! ```
//!
//! stdout: the calls. stderr: a one-line summary, or a one-line error and exit code 1.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::TryStreamExt;
use ultravox_client::Client;
use ultravox_client::types::{ScheduledCall, ScheduledCallStatus};
use uuid::Uuid;

const USAGE: &str = "usage: list_scheduled_calls [--demo] [--all] [--status S] [--page-size N] \
[--cursor C] [--max-retries N] [--timeout SECS] [AGENT_ID BATCH_ID]";

#[derive(Default)]
struct Args {
    demo: bool,
    all: bool,
    status: Option<ScheduledCallStatus>,
    page_size: Option<u32>,
    cursor: Option<String>,
    max_retries: Option<usize>,
    timeout: Option<Duration>,
    ids: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok((calls, pages)) => {
            eprintln!("listed {calls} scheduled calls from {pages} page(s)");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Returns (calls, pages) printed.
async fn run() -> Result<(usize, usize), String> {
    let args = parse_args().map_err(|err| format!("{err} (see --help)"))?;
    // Keep the mock server alive for the whole run.
    let demo = if args.demo {
        Some(demo::start().await)
    } else {
        None
    };

    let (agent_id, batch_id) = match (&args.ids[..], &demo) {
        ([agent, batch], _) => (
            parse_uuid("AGENT_ID", agent)?,
            parse_uuid("BATCH_ID", batch)?,
        ),
        ([], Some(_)) => (demo::AGENT_ID, demo::BATCH_ID),
        _ => return Err("expected AGENT_ID and BATCH_ID (or --demo); see --help".to_owned()),
    };

    let mut builder = match &demo {
        Some(server) => Client::builder()
            .api_key(demo::API_KEY)
            .base_url(server.base_url()),
        None => Client::builder().from_env(),
    };
    if let Some(retries) = args.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build().map_err(|err| err.to_string())?;

    let mut request = client.list_scheduled_calls(agent_id, batch_id);
    if let Some(status) = args.status {
        request = request.status(status);
    }
    if let Some(page_size) = args.page_size {
        request = request.page_size(page_size);
    }
    if let Some(cursor) = args.cursor {
        request = request.cursor(cursor);
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut calls, mut pages) = (0, 0);
    let mut stream = std::pin::pin!(request.pages());
    while let Some(page) = stream.try_next().await.map_err(|err| err.to_string())? {
        pages += 1;
        for call in &page.results {
            print_call(&mut out, call)?;
            calls += 1;
        }
        if !args.all {
            break;
        }
    }
    out.flush()
        .map_err(|err| format!("cannot write to stdout: {err}"))?;
    Ok((calls, pages))
}

fn print_call(out: &mut impl Write, call: &ScheduledCall) -> Result<(), String> {
    let line = serde_json::to_string(call).map_err(|err| err.to_string())?;
    writeln!(out, "{line}").map_err(|err| format!("cannot write to stdout: {err}"))
}

fn parse_uuid(name: &str, value: &str) -> Result<Uuid, String> {
    value
        .parse()
        .map_err(|err| format!("{name} {value:?} is not a UUID: {err}"))
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("demo") => args.demo = true,
            Long("all") => args.all = true,
            Long("status") => args.status = Some(parser.value()?.string()?.into()),
            Long("page-size") => args.page_size = Some(parser.value()?.parse()?),
            Long("cursor") => args.cursor = Some(parser.value()?.string()?),
            Long("max-retries") => args.max_retries = Some(parser.value()?.parse()?),
            Long("timeout") => {
                let seconds: f64 = parser.value()?.parse()?;
                args.timeout = Some(
                    Duration::try_from_secs_f64(seconds)
                        .map_err(|err| format!("invalid --timeout {seconds}: {err}"))?,
                );
            }
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(id) => args.ids.push(id.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(args)
}

/// `--demo`: an in-process mock of the API serving three canned pages
/// (every status, every medium, an empty page in the middle).
mod demo {
    use httpmock::MockServer;
    use serde_json::{Value, json};
    use uuid::{Uuid, uuid};

    pub const AGENT_ID: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH_ID: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "demo-key";

    pub async fn start() -> MockServer {
        let server = MockServer::start_async().await;
        let path = format!("/api/agents/{AGENT_ID}/scheduled_batches/{BATCH_ID}/scheduled_calls");
        let next = |cursor: &str| Value::from(server.url(format!("{path}?cursor={cursor}")));
        let pages = [
            (
                None,
                json!({ "next": next("page-2"), "previous": null, "total": 8, "results": first_rows() }),
            ),
            (
                Some("page-2"),
                json!({ "next": next("page-3"), "previous": next("page-1"), "total": 8, "results": [] }),
            ),
            (
                Some("page-3"),
                json!({ "next": null, "previous": next("page-2"), "total": 8, "results": last_rows() }),
            ),
        ];
        for (cursor, body) in pages {
            server
                .mock_async(|when, then| {
                    let when = when.method("GET").path(&path).header("x-api-key", API_KEY);
                    match cursor {
                        Some(cursor) => when.query_param("cursor", cursor),
                        None => when.query_param_missing("cursor"),
                    };
                    then.status(200).json_body(body);
                })
                .await;
        }
        server
    }

    fn row(status: &str, call: Option<&str>, error: Option<&str>, extra: Value) -> Value {
        let mut row =
            json!({ "status": status, "batchId": BATCH_ID, "callId": call, "error": error });
        row.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        row
    }

    fn first_rows() -> Value {
        json!([
            row(
                "FUTURE",
                None,
                None,
                json!({ "metadata": { "customerId": "cus_1001" } })
            ),
            row(
                "PENDING",
                None,
                None,
                json!({ "medium": { "twilio": { "outgoing": { "to": "+14155552671", "from": "+14155550100" } } } })
            ),
            row(
                "SUCCESS",
                Some("8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d"),
                None,
                json!({ "medium": { "webRtc": {} }, "templateContext": { "customerName": "Ada" } })
            ),
            row(
                "SUCCESS",
                Some("0f9e8d7c-6b5a-4493-8271-6a5b4c3d2e1f"),
                None,
                json!({ "medium": { "serverWebSocket": { "inputSampleRate": 48000, "outputSampleRate": 24000 } } })
            ),
        ])
    }

    fn last_rows() -> Value {
        json!([
            row(
                "ERROR",
                None,
                Some("Destination number is not reachable"),
                json!({ "medium": { "telnyx": { "outgoing": { "to": "+442071838750", "from": "+442071838751" } } } })
            ),
            row(
                "EXPIRED",
                None,
                None,
                json!({ "medium": { "plivo": { "outgoing": { "to": "+14155552672", "from": "+14155550100" } } } })
            ),
            row(
                "SUCCESS",
                Some("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"),
                None,
                json!({ "medium": { "sip": { "outgoing": { "to": "sip:desk@pbx.example.com", "from": "sip:ultravox@example.com" } } } })
            ),
            row(
                "SUCCESS",
                Some("3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f"),
                None,
                json!({ "medium": { "exotel": {} } })
            ),
        ])
    }
}
