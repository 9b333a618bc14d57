//! Lists a batch's scheduled calls as NDJSON (one JSON object per line).
//!
//! ```sh
//! ULTRAVOX_API_KEY=... cargo run -p ultravox-client --example list_scheduled_calls -- \
//!     --all --status ERROR AGENT_ID BATCH_ID
//! # no key, no network: the crate's typed mock (feature `mock`) plays the API
//! cargo run -p ultravox-client --features mock --example list_scheduled_calls -- --demo --all
//! ```
//!
//! stdout: the calls (or, with `--help`, the usage). stderr: a one-line
//! summary, or a one-line error and exit code 1.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::TryStreamExt;
use ultravox_client::types::{ScheduledCall, ScheduledCallStatus};
use ultravox_client::{Client, Uuid};

const USAGE: &str = "\
usage: list_scheduled_calls [OPTIONS] AGENT_ID BATCH_ID
       list_scheduled_calls --demo [OPTIONS]

Lists the scheduled calls of a batch as NDJSON on stdout.

  --all              every page (default: the first page only)
  --status S         only calls with status S (one of the spec's, any case)
  --any-status       send --status as written even if this version does not know it
  --page-size N      calls per page
  --cursor C         start at this cursor
  --max-retries N    retries per request
  --timeout SECS     limit per attempt
  --demo             no key, no network: an in-process mock of the API (feature `mock`)
  -h, --help         this text

Environment: ULTRAVOX_API_KEY (required), ULTRAVOX_BASE_URL (optional).";

#[derive(Default)]
struct Args {
    help: bool,
    demo: bool,
    all: bool,
    status: Option<String>,
    any_status: bool,
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
            if !summary.is_empty() {
                eprintln!("{summary}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Lists the calls `args` ask for as NDJSON on `out` (or the usage, for
/// `--help`); `env` reads the environment (through the library's own
/// checks: a variable that is not Unicode or a blank base URL is an error,
/// never "unset"). Returns the one-line summary (empty for `--help`), or
/// the one-line error.
pub async fn run(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<OsString>,
    out: &mut impl Write,
) -> Result<String, String> {
    let args = parse_args(args).map_err(|err| format!("{err} (see --help)"))?;
    if args.help {
        writeln!(out, "{USAGE}").map_err(|err| format!("cannot write to stdout: {err}"))?;
        return Ok(String::new());
    }
    let status = args
        .status
        .as_deref()
        .map(|raw| status(raw, args.any_status))
        .transpose()?;

    let mut builder = Client::builder();
    let (agent_id, batch_id, _demo) = match (&args.ids[..], args.demo) {
        ([agent, batch], _) => {
            builder = builder.from_env_with(env);
            (
                parse_uuid("AGENT_ID", agent)?,
                parse_uuid("BATCH_ID", batch)?,
                None,
            )
        }
        ([], true) => {
            // Keep the mock server alive for the whole run.
            let server = demo::start(status.as_ref(), args.page_size).await?;
            builder = builder.api_key(demo::API_KEY).base_url(server.base_url());
            (demo::AGENT_ID, demo::BATCH_ID, Some(server))
        }
        _ => return Err("expected AGENT_ID and BATCH_ID (or --demo); see --help".to_owned()),
    };
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
    if let Some(status) = status {
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

/// `--status`: one of the spec's values in any case, or (with
/// `--any-status`) any value, sent as written.
fn status(raw: &str, any: bool) -> Result<ScheduledCallStatus, String> {
    if let Some(known) = ScheduledCallStatus::KNOWN
        .iter()
        .find(|known| known.as_str().eq_ignore_ascii_case(raw))
    {
        return Ok(known.clone());
    }
    if any {
        return Ok(ScheduledCallStatus::from_api_value(raw));
    }
    let known: Vec<&str> = ScheduledCallStatus::KNOWN
        .iter()
        .map(ScheduledCallStatus::as_str)
        .collect();
    Err(format!(
        "--status {raw:?} is not one of {}; add --any-status to send it anyway",
        known.join(", ")
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
            Long("status") => args.status = Some(parser.value()?.string()?),
            Long("any-status") => args.any_status = true,
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
            Long("help") | Short('h') => args.help = true,
            Value(id) => args.ids.push(id.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(args)
}

/// `--demo` without the `mock` feature: say how to get it.
#[cfg(not(feature = "mock"))]
mod demo {
    use ultravox_client::Uuid;
    use ultravox_client::types::ScheduledCallStatus;
    use uuid::uuid;

    pub const AGENT_ID: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH_ID: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "demo-key";

    pub struct Server;

    impl Server {
        pub fn base_url(&self) -> String {
            unreachable!("never started")
        }
    }

    pub async fn start(_: Option<&ScheduledCallStatus>, _: Option<u32>) -> Result<Server, String> {
        Err("--demo needs the crate's typed mock: add `--features mock` to `cargo run`".to_owned())
    }
}

/// `--demo`: an in-process mock of the API, made with the crate's typed
/// mock: a row for every status the crate knows, a few media, paged as
/// `--page-size` asks (default: two pages with an empty page between them,
/// which must not end the listing), filtered as `--status` asks.
#[cfg(feature = "mock")]
mod demo {
    use ultravox_client::Uuid;
    use ultravox_client::mock::MockServerExt;
    use ultravox_client::mock::httpmock::MockServer;
    use ultravox_client::types::{
        CallMedium, PaginatedScheduledCallList, ScheduledCall, ScheduledCallStatus, TwilioMedium,
        TwilioMediumOutgoingRequestParams, WebSocketMedium,
    };
    use uuid::uuid;

    pub const AGENT_ID: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH_ID: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "demo-key";

    pub async fn start(
        status: Option<&ScheduledCallStatus>,
        page_size: Option<u32>,
    ) -> Result<MockServer, String> {
        let server = MockServer::start_async().await;
        let path = format!("/api/agents/{AGENT_ID}/scheduled_batches/{BATCH_ID}/scheduled_calls");
        let rows: Vec<ScheduledCall> = rows()?
            .into_iter()
            .filter(|row| status.is_none_or(|wanted| row.status == *wanted))
            .collect();
        let total = rows.len() as i64;
        let mut pages: Vec<Vec<ScheduledCall>> = match page_size {
            Some(0) => return Err("--page-size must be at least 1".to_owned()),
            Some(size) => rows.chunks(size as usize).map(<[_]>::to_vec).collect(),
            None => {
                let (first, last) = rows.split_at(rows.len() / 2);
                vec![first.to_vec(), last.to_vec()]
            }
        };
        if pages.len() > 1 {
            pages.insert(1, Vec::new());
        }
        let count = pages.len();
        for (index, results) in pages.into_iter().enumerate() {
            let cursor = (index > 0).then(|| format!("page-{}", index + 1));
            let next = (index + 1 < count)
                .then(|| server.url(format!("{path}?cursor=page-{}", index + 2)));
            let page = PaginatedScheduledCallList::builder()
                .next(next)
                .results(results)
                .total(Some(total))
                .build()
                .map_err(|err| err.to_string())?;
            server.list_scheduled_calls(|when, then| {
                when.agent_id(&AGENT_ID)
                    .batch_id(&BATCH_ID)
                    .cursor(cursor.as_deref())
                    .status(status)
                    .page_size(page_size.map(i64::from));
                then.ok(&page);
            });
        }
        Ok(server)
    }

    /// One row per status, in the spec's order.
    fn rows() -> Result<Vec<ScheduledCall>, String> {
        ScheduledCallStatus::KNOWN
            .iter()
            .enumerate()
            .map(|(i, status)| {
                let succeeded = *status == ScheduledCallStatus::Success;
                let failed = *status == ScheduledCallStatus::Error;
                ScheduledCall::builder()
                    .status(status.clone())
                    .batch_id(BATCH_ID)
                    .call_id(succeeded.then(|| uuid!("8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d")))
                    .error(failed.then(|| "Destination number is not reachable".to_owned()))
                    .medium(Some(medium(i)?))
                    .metadata(Some(
                        serde_json::json!({ "customerId": format!("cus_{i:04}") }),
                    ))
                    .build()
                    .map_err(|err| err.to_string())
            })
            .collect()
    }

    fn medium(i: usize) -> Result<CallMedium, String> {
        let medium = match i % 2 {
            0 => {
                let outgoing = TwilioMediumOutgoingRequestParams::builder()
                    .to(Some(format!("+1415555{i:04}")))
                    .from(Some("+14155550100".to_owned()))
                    .build()
                    .map_err(|err| err.to_string())?;
                let twilio = TwilioMedium::builder()
                    .outgoing(Some(outgoing))
                    .build()
                    .map_err(|err| err.to_string())?;
                CallMedium::builder().twilio(Some(twilio))
            }
            _ => {
                let websocket = WebSocketMedium::builder()
                    .input_sample_rate(Some(48000))
                    .output_sample_rate(Some(24000))
                    .build()
                    .map_err(|err| err.to_string())?;
                CallMedium::builder().server_web_socket(Some(websocket))
            }
        };
        medium.build().map_err(|err| err.to_string())
    }
}
