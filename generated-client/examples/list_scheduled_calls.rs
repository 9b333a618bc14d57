//! Lists a batch's scheduled calls as NDJSON (one JSON object per line).
//!
//! ```sh
//! cargo run -p ultravox-client --features mock --example list_scheduled_calls -- --demo --all
//! ULTRAVOX_API_KEY=... cargo run -p ultravox-client --features mock --example list_scheduled_calls -- \
//!     --all --status ERROR AGENT_ID BATCH_ID
//! ```
//!
//! stdout: the calls. stderr: a one-line summary, or a one-line error and exit code 1.

use std::ffi::OsString;
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
    let env = |name: &str| std::env::var_os(name);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match run(std::env::args_os().skip(1), env, &mut out).await {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Lists the calls `args` ask for as NDJSON on `out`; `env` reads the
/// environment (through the library's own checks: a variable that is not
/// Unicode or a blank base URL is an error, never "unset"). Returns the
/// one-line summary, or the one-line error.
pub async fn run(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<OsString>,
    out: &mut impl Write,
) -> Result<String, String> {
    let args = parse_args(args).map_err(|err| format!("{err} (see --help)"))?;
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

    let mut builder = Client::builder();
    match &demo {
        Some(server) => {
            builder = builder.api_key(demo::API_KEY).base_url(server.base_url());
        }
        None => builder = builder.from_env_with(env),
    }
    if let Some(retries) = args.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build().map_err(|err| err.to_string())?;

    // Without --all one page is wanted: fetching the next one ahead would
    // cost a request nobody reads.
    let mut request = client
        .list_scheduled_calls(agent_id, batch_id)
        .read_ahead(args.all);
    if let Some(status) = args.status {
        request = request.status(status);
    }
    if let Some(page_size) = args.page_size {
        request = request.page_size(page_size);
    }
    if let Some(cursor) = args.cursor {
        request = request.cursor(cursor);
    }

    let (mut calls, mut pages) = (0, 0);
    let mut stream = std::pin::pin!(request.pages());
    while let Some(page) = stream.try_next().await.map_err(|err| err.to_string())? {
        pages += 1;
        for call in &page.results {
            print_call(out, call)?;
            calls += 1;
        }
        if !args.all {
            break;
        }
    }
    out.flush()
        .map_err(|err| format!("cannot write to stdout: {err}"))?;
    Ok(format!(
        "listed {calls} scheduled calls from {pages} page(s)"
    ))
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

fn parse_args(raw: impl IntoIterator<Item = OsString>) -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_args(raw);
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
            Long("help") | Short('h') => return Err(USAGE.into()),
            Value(id) => args.ids.push(id.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(args)
}

/// `--demo`: an in-process mock of the API, made with the crate's typed
/// mock, serving three pages: a row for every status the crate knows, a few
/// media, and an empty page in the middle (which must not end the listing).
mod demo {
    use httpmock::MockServer;
    use ultravox_client::mock::MockServerExt;
    use ultravox_client::types::{
        CallMedium, PaginatedScheduledCallList, ScheduledCall, ScheduledCallStatus, TwilioMedium,
        TwilioMediumOutgoingRequestParams, WebSocketMedium,
    };
    use uuid::{Uuid, uuid};

    pub const AGENT_ID: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH_ID: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "demo-key";

    pub async fn start() -> MockServer {
        let server = MockServer::start_async().await;
        let path = format!("/api/agents/{AGENT_ID}/scheduled_batches/{BATCH_ID}/scheduled_calls");
        let link = |cursor: &str| Some(server.url(format!("{path}?cursor={cursor}")));
        let rows = rows();
        let total = Some(rows.len() as i64);
        let (first, last) = rows.split_at(rows.len() / 2);
        let pages = [
            (None, link("page-2"), first.to_vec()),
            (Some("page-2"), link("page-3"), vec![]),
            (Some("page-3"), None, last.to_vec()),
        ];
        for (cursor, next, results) in pages {
            let page = PaginatedScheduledCallList {
                next,
                previous: None,
                results,
                total,
            };
            server.list_scheduled_calls(|when, then| {
                let when = when.agent_id(&AGENT_ID).batch_id(&BATCH_ID).cursor(cursor);
                when.into_inner()
                    .header(ultravox_client::API_KEY_HEADER, API_KEY);
                then.ok(&page);
            });
        }
        server
    }

    /// One row per status, in the spec's order.
    fn rows() -> Vec<ScheduledCall> {
        ScheduledCallStatus::KNOWN
            .iter()
            .enumerate()
            .map(|(i, status)| {
                let succeeded = *status == ScheduledCallStatus::Success;
                let failed = *status == ScheduledCallStatus::Error;
                ScheduledCall {
                    status: status.clone(),
                    batch_id: BATCH_ID,
                    call_id: succeeded
                        .then(|| Uuid::from_u128(0x8d7c6b5a_4e3f_4a1b_9c8d_7e6f5a4b3c2d)),
                    error: failed.then(|| "Destination number is not reachable".to_owned()),
                    medium: Some(medium(i)),
                    metadata: Some(serde_json::json!({ "customerId": format!("cus_{i:04}") })),
                    template_context: None,
                    experimental_settings: None,
                }
            })
            .collect()
    }

    fn medium(i: usize) -> CallMedium {
        let twilio = TwilioMedium {
            outgoing: Some(TwilioMediumOutgoingRequestParams {
                to: Some(format!("+1415555{i:04}")),
                from: Some("+14155550100".to_owned()),
                additional_params: Default::default(),
            }),
            ..Default::default()
        };
        let websocket = WebSocketMedium {
            input_sample_rate: Some(48000),
            output_sample_rate: Some(24000),
            ..Default::default()
        };
        match i % 2 {
            0 => CallMedium {
                twilio: Some(twilio),
                ..Default::default()
            },
            _ => CallMedium {
                server_web_socket: Some(websocket),
                ..Default::default()
            },
        }
    }
}
