//! A terminal client for Ultravox's scheduled batches and their calls: list
//! an agent's batches, show one, list its scheduled and created calls, pause
//! or resume it; show a call, print its transcript and events, download its
//! recording; write every created call's transcript to a directory. Lists
//! print NDJSON (one JSON object per line), a batch or call prints as one
//! JSON object.
//!
//! ```sh
//! ULTRAVOX_API_KEY=... cargo run -p ultravox-client --example batches -- \
//!     scheduled --all --status error AGENT_ID BATCH_ID
//! # no key, no network: the crate's typed mock (feature `mock`) plays the API
//! cargo run -p ultravox-client --features mock --example batches -- --demo scheduled --all
//! ```
//!
//! stdout: the batches or calls (or, with `--help`, the usage). stderr: a
//! one-line summary, or a one-line error and exit code 1.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use futures_util::TryStreamExt;
use serde::Serialize;
use ultravox_client::types::{CallsMessagesListMode, ScheduledCallStatus};
use ultravox_client::{Client, Cursor, Listing, Progress, Request, Uuid};

const USAGE: &str = "\
usage: batches [OPTIONS] COMMAND AGENT_ID [BATCH_ID]
       batches [OPTIONS] COMMAND CALL_ID
       batches --demo [OPTIONS] COMMAND

Ultravox's scheduled batches and their calls from a terminal. Lists print NDJSON on stdout.

Commands:
  list AGENT_ID                 the agent's batches
  show AGENT_ID BATCH_ID        one batch
  scheduled AGENT_ID BATCH_ID   the batch's scheduled calls (--status, --any-status)
  created AGENT_ID BATCH_ID     the calls the batch created
  pause AGENT_ID BATCH_ID       pause the batch (prints it)
  resume AGENT_ID BATCH_ID      resume the batch (prints it)
  call CALL_ID                  one call
  transcript CALL_ID            the call's messages, every page (--mode)
  events CALL_ID                the call's event log, every page
  recording CALL_ID -o FILE     download the call's recording into FILE (a progress bar
                                on a terminal; FILE appears only once it is whole)
  results AGENT_ID BATCH_ID --dir DIR
                                each call the batch created: its transcript into
                                DIR/CALL_ID.ndjson; run again after a crash, it skips
                                the calls already written

Options:
  --all              every page (default: the first page only)
  --status S         scheduled: only calls with status S (one of the spec's, any case)
  --any-status       scheduled: send --status as written even if this version does not know it
  --page-size N      items per page
  --cursor C         start at this cursor (as a listing's error or next page names it)
  --max-retries N    retries per request
  --timeout SECS     limit per attempt
  --mode M           transcript: which messages (one of the spec's modes, any case)
  -o, --output FILE  recording: where to write it
  --dir DIR          results: where the transcripts go (made if missing)
  --demo             no key, no network: an in-process mock of the API (feature `mock`);
                     AGENT_ID and BATCH_ID are the demo's own
  -h, --help         this text

Environment: ULTRAVOX_API_KEY (required), ULTRAVOX_BASE_URL (optional).";

/// What the command line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    List,
    Show,
    Scheduled,
    Created,
    Pause,
    Resume,
    Call,
    Transcript,
    Events,
    Recording,
    Results,
}

impl Command {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "list" => Self::List,
            "show" => Self::Show,
            "scheduled" => Self::Scheduled,
            "created" => Self::Created,
            "pause" => Self::Pause,
            "resume" => Self::Resume,
            "call" => Self::Call,
            "transcript" => Self::Transcript,
            "events" => Self::Events,
            "recording" => Self::Recording,
            "results" => Self::Results,
            other => {
                return Err(format!(
                    "unknown command {other:?}: expected list, show, scheduled, created, pause, \
                     resume, call, transcript, events, recording or results"
                ));
            }
        })
    }

    /// The ids the command takes, in order.
    fn ids(self) -> &'static [&'static str] {
        match self {
            Self::List => &["AGENT_ID"],
            Self::Call | Self::Transcript | Self::Events | Self::Recording => &["CALL_ID"],
            _ => &["AGENT_ID", "BATCH_ID"],
        }
    }
}

/// The ids a command line gave (those a command does not take are nil).
#[derive(Clone, Copy, Debug)]
struct Ids {
    agent: Uuid,
    batch: Uuid,
    call: Uuid,
}

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
    mode: Option<String>,
    output: Option<PathBuf>,
    dir: Option<PathBuf>,
    words: Vec<String>,
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

/// Runs the command `args` ask for, printing to `out` (or the usage, for
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
        written(writeln!(out, "{USAGE}"))?;
        return Ok(String::new());
    }
    let Some((command, ids)) = args.words.split_first() else {
        return Err("no command given; see --help".to_owned());
    };
    let command = Command::parse(command)?;
    let status = args
        .status
        .as_deref()
        .map(|raw| status(raw, args.any_status))
        .transpose()?;
    if status.is_some() && command != Command::Scheduled {
        return Err("--status filters `scheduled` only".to_owned());
    }

    let mode = args.mode.as_deref().map(mode).transpose()?;
    if mode.is_some() && command != Command::Transcript {
        return Err("--mode is for `transcript` only".to_owned());
    }
    if args.output.is_some() != (command == Command::Recording) {
        return Err(match command {
            Command::Recording => "`recording` needs -o FILE".to_owned(),
            _ => "-o is for `recording` only".to_owned(),
        });
    }
    if args.dir.is_some() != (command == Command::Results) {
        return Err(match command {
            Command::Results => "`results` needs --dir DIR".to_owned(),
            _ => "--dir is for `results` only".to_owned(),
        });
    }

    let mut builder = Client::builder();
    let names = command.ids();
    let (ids, _demo) = match (ids, args.demo) {
        ([], true) => {
            // Keep the mock server alive for the whole run.
            let server = demo::start(status.as_ref(), args.page_size).await?;
            builder = builder.api_key(demo::API_KEY).base_url(server.base_url());
            let ids = Ids {
                agent: demo::AGENT_ID,
                batch: demo::BATCH_ID,
                call: demo::CALL_ID,
            };
            (ids, Some(server))
        }
        (given, false) if given.len() == names.len() => {
            builder = builder.from_env_with(env);
            let mut ids = Ids {
                agent: Uuid::nil(),
                batch: Uuid::nil(),
                call: Uuid::nil(),
            };
            for (name, value) in names.iter().zip(given) {
                let id = parse_uuid(name, value)?;
                match *name {
                    "AGENT_ID" => ids.agent = id,
                    "BATCH_ID" => ids.batch = id,
                    _ => ids.call = id,
                }
            }
            (ids, None)
        }
        (_, true) => return Err("--demo uses its own ids; leave them out".into()),
        (given, false) if given.len() > names.len() => {
            return Err(format!(
                "unexpected argument {:?}: `{}` takes {} only; see --help",
                given[names.len()],
                args.words[0],
                names.join(" and ")
            ));
        }
        _ => {
            return Err(format!(
                "expected {} (or --demo); see --help",
                names.join(" and ")
            ));
        }
    };
    if let Some(retries) = args.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build().map_err(|err| err.to_string())?;

    let (agent_id, batch_id, call_id) = (ids.agent, ids.batch, ids.call);
    match command {
        Command::List => {
            let mut request = client.list_batches(agent_id);
            if let Some(page_size) = args.page_size {
                request = request.page_size(page_size);
            }
            print_listing(paged(request, &args), args.all, out, "batches").await
        }
        Command::Scheduled => {
            let mut request = client.list_scheduled_calls(agent_id, batch_id);
            if let Some(page_size) = args.page_size {
                request = request.page_size(page_size);
            }
            if let Some(status) = status {
                request = request.status(status);
            }
            print_listing(paged(request, &args), args.all, out, "scheduled calls").await
        }
        Command::Created => {
            let mut request = client.list_created_calls(agent_id, batch_id);
            if let Some(page_size) = args.page_size {
                request = request.page_size(page_size);
            }
            print_listing(paged(request, &args), args.all, out, "created calls").await
        }
        Command::Show => {
            let batch = client.get_batch(agent_id, batch_id).send().await;
            let batch = batch.map_err(|err| err.to_string())?.into_inner();
            if print_json(out, &batch)? == Printed::Closed {
                return Ok(String::new());
            }
            Ok(format!("batch {}", batch.batch_id))
        }
        Command::Pause | Command::Resume => {
            let pause = command == Command::Pause;
            let batch = client
                .update_batch(agent_id, batch_id)
                .body_map(|body| body.paused(Some(pause)))
                .send()
                .await
                .map_err(|err| err.to_string())?
                .into_inner();
            if print_json(out, &batch)? == Printed::Closed {
                return Ok(String::new());
            }
            let done = if pause { "paused" } else { "resumed" };
            Ok(format!("batch {} {done}", batch.batch_id))
        }
        Command::Call => {
            let call = client.get_call(call_id).send().await;
            let call = call.map_err(|err| err.to_string())?.into_inner();
            if print_json(out, &call)? == Printed::Closed {
                return Ok(String::new());
            }
            Ok(format!("call {}", call.call_id))
        }
        Command::Transcript => {
            let mut request = client.list_call_messages(call_id);
            if let Some(mode) = mode {
                request = request.mode(mode);
            }
            if let Some(page_size) = args.page_size {
                request = request.page_size(page_size);
            }
            let every = Args { all: true, ..args };
            print_listing(paged(request, &every), true, out, "messages").await
        }
        Command::Events => {
            let mut request = client.list_call_events(call_id);
            if let Some(page_size) = args.page_size {
                request = request.page_size(page_size);
            }
            let every = Args { all: true, ..args };
            print_listing(paged(request, &every), true, out, "events").await
        }
        Command::Recording => {
            let file = args.output.as_deref().expect("checked above");
            recording(&client, call_id, file).await
        }
        Command::Results => {
            let dir = args.dir.as_deref().expect("checked above");
            results(&client, agent_id, batch_id, dir).await
        }
    }
}

/// Downloads the call's recording into `file`: into `file.part` first,
/// renamed into place only once whole, so `file` is never a partial
/// recording. A progress bar shows on a terminal, nothing otherwise.
async fn recording(client: &Client, call: Uuid, file: &Path) -> Result<String, String> {
    let partial = partial_path(file);
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec}")
            .map_err(|err| err.to_string())?,
    );
    let shown = bar.clone();
    let downloaded = async {
        let mut writer = tokio::fs::File::create(&partial)
            .await
            .map_err(|err| format!("cannot create {}: {err}", partial.display()))?;
        let downloaded = client
            .get_call_recording(call)
            .on_progress(move |progress: Progress| {
                if let Some(total) = progress.total {
                    shown.set_length(total);
                }
                shown.set_position(progress.received);
            })
            .download_to(&mut writer)
            .await
            .map_err(|err| err.to_string())?;
        writer
            .sync_all()
            .await
            .map_err(|err| format!("cannot write {}: {err}", partial.display()))?;
        Ok::<_, String>(downloaded)
    }
    .await;
    bar.finish_and_clear();
    let downloaded = match downloaded {
        Ok(downloaded) => downloaded,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    std::fs::rename(&partial, file)
        .map_err(|err| format!("cannot move {} into place: {err}", partial.display()))?;
    // The server's header, escaped for the terminal (`Debug` quotes it and
    // escapes control characters).
    let kind = match &downloaded.content_type {
        Some(kind) => format!("{kind:?}"),
        None => "no content type".to_owned(),
    };
    Ok(format!(
        "wrote {} bytes ({kind}) to {}",
        downloaded.bytes,
        file.display()
    ))
}

/// Writes the transcript of every call the batch created to
/// `dir/CALL_ID.ndjson`, each through a `.part` file renamed once whole: a
/// run after a crash skips the calls whose file is there and redoes the
/// one it was writing.
async fn results(client: &Client, agent: Uuid, batch: Uuid, dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let (mut written, mut skipped) = (0, 0);
    let mut calls = std::pin::pin!(client.list_created_calls(agent, batch).stream());
    while let Some(call) = calls.try_next().await.map_err(|err| err.to_string())? {
        let file = dir.join(format!("{}.ndjson", call.call_id));
        if file.exists() {
            skipped += 1;
            continue;
        }
        let partial = partial_path(&file);
        let mut lines = std::io::BufWriter::new(
            std::fs::File::create(&partial)
                .map_err(|err| format!("cannot create {}: {err}", partial.display()))?,
        );
        let mut messages = std::pin::pin!(client.list_call_messages(call.call_id).stream());
        while let Some(message) = messages.try_next().await.map_err(|err| err.to_string())? {
            let line = serde_json::to_string(&message).map_err(|err| err.to_string())?;
            writeln!(lines, "{line}").map_err(|err| format!("{}: {err}", partial.display()))?;
        }
        let lines = lines
            .into_inner()
            .map_err(|err| format!("{}: {err}", partial.display()))?;
        lines
            .sync_all()
            .map_err(|err| format!("{}: {err}", partial.display()))?;
        std::fs::rename(&partial, &file)
            .map_err(|err| format!("cannot move {} into place: {err}", partial.display()))?;
        written += 1;
    }
    Ok(format!(
        "wrote {written} transcript(s) to {}, {skipped} already there",
        dir.display()
    ))
}

/// `file` with `.part` added to its name, beside it.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    file.with_file_name(name)
}

/// The paging options every listing takes. Without `--all` one page is
/// wanted: fetching the next one ahead would cost a request nobody reads.
fn paged<'a, Op: Listing>(request: Request<'a, Op>, args: &Args) -> Request<'a, Op> {
    let request = request.read_ahead(args.all);
    match &args.cursor {
        Some(cursor) => request.resume_from(Cursor::from_raw(cursor.clone())),
        None => request,
    }
}

/// Prints the items of the first page, or of every page with `--all`; on
/// a failure after some pages that is worth another try, the error says
/// where to resume (`--cursor`). A closed stdout (`| head`) ends the
/// listing quietly, as it ends any Unix tool.
async fn print_listing<Op: Listing>(
    request: Request<'_, Op>,
    all: bool,
    out: &mut impl Write,
    what: &str,
) -> Result<String, String>
where
    Op::Item: Serialize,
{
    let (mut items, mut pages) = (0, 0);
    let mut stream = std::pin::pin!(request.pages());
    loop {
        let page = match stream.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(err) => {
                if flush(out)? == Printed::Closed {
                    return Ok(String::new());
                }
                // A cursor the API refused, or a listing it broke, is not
                // one to resume from.
                return Err(match err.resume_cursor().filter(|_| err.is_retryable()) {
                    Some(cursor) => format!("{err} (resume with --cursor {})", cursor.as_str()),
                    None => err.to_string(),
                });
            }
        };
        pages += 1;
        for item in Op::into_items(page.into_inner()) {
            if print_json(out, &item)? == Printed::Closed {
                return Ok(String::new());
            }
            items += 1;
        }
        if !all {
            break;
        }
    }
    if flush(out)? == Printed::Closed {
        return Ok(String::new());
    }
    Ok(format!("listed {items} {what} from {pages} page(s)"))
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

/// `--mode`: one of the spec's transcript modes, in any case.
fn mode(raw: &str) -> Result<CallsMessagesListMode, String> {
    let known = CallsMessagesListMode::KNOWN;
    known
        .iter()
        .find(|known| known.as_str().eq_ignore_ascii_case(raw))
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = known.iter().map(CallsMessagesListMode::as_str).collect();
            format!("--mode {raw:?} is not one of {}", names.join(", "))
        })
}

/// Whether output still goes somewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Printed {
    Written,
    /// Whoever read stdout closed it (`| head`): stop, quietly.
    Closed,
}

fn print_json(out: &mut impl Write, value: &impl Serialize) -> Result<Printed, String> {
    let line = serde_json::to_string(value).map_err(|err| err.to_string())?;
    written(writeln!(out, "{line}"))
}

fn flush(out: &mut impl Write) -> Result<Printed, String> {
    written(out.flush())
}

fn written(result: std::io::Result<()>) -> Result<Printed, String> {
    match result {
        Ok(()) => Ok(Printed::Written),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(Printed::Closed),
        Err(err) => Err(format!("cannot write to stdout: {err}")),
    }
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
            Long("page-size") => {
                let size: u32 = number(&mut parser, "--page-size", "a whole number of at least 1")?;
                if size == 0 {
                    return Err("--page-size takes a whole number of at least 1, not 0".into());
                }
                args.page_size = Some(size);
            }
            Long("cursor") => args.cursor = Some(parser.value()?.string()?),
            Long("max-retries") => {
                args.max_retries = Some(number(&mut parser, "--max-retries", "a whole number")?);
            }
            Long("timeout") => {
                let seconds: f64 = number(&mut parser, "--timeout", "a number of seconds above 0")?;
                let timeout = Some(seconds)
                    .filter(|seconds| *seconds > 0.0)
                    .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
                    .ok_or_else(|| {
                        format!("--timeout takes a number of seconds above 0, not {seconds}")
                    })?;
                args.timeout = Some(timeout);
            }
            Long("mode") => args.mode = Some(parser.value()?.string()?),
            Long("output") | Short('o') => args.output = Some(parser.value()?.into()),
            Long("dir") => args.dir = Some(parser.value()?.into()),
            Long("help") | Short('h') => args.help = true,
            Value(word) => args.words.push(word.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(args)
}

/// The value of `flag`, parsed; an error names the flag and what it takes.
fn number<T: std::str::FromStr>(
    parser: &mut lexopt::Parser,
    flag: &str,
    takes: &str,
) -> Result<T, lexopt::Error> {
    let value = parser.value()?;
    let text = value.to_string_lossy();
    text.parse()
        .map_err(|_| format!("{flag} takes {takes}, not {text:?}").into())
}

/// `--demo` without the `mock` feature: say how to get it.
#[cfg(not(feature = "mock"))]
mod demo {
    use ultravox_client::Uuid;
    use ultravox_client::types::ScheduledCallStatus;

    pub const AGENT_ID: Uuid = Uuid::nil();
    pub const BATCH_ID: Uuid = Uuid::nil();
    pub const CALL_ID: Uuid = Uuid::nil();
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
/// mock: two batches, one of which answers `show`, `pause` and `resume`;
/// its scheduled calls, a row for every status the crate knows, paged as
/// `--page-size` asks (default: two pages with an empty page between them,
/// which must not end the listing) and filtered as `--status` asks; the
/// call it created, with its transcript (two pages), its events and its
/// recording (a short WAV). Every listing is paged as `--page-size` asks
/// and answers a cursor it did not write with the API's 404.
#[cfg(feature = "mock")]
mod demo {
    use chrono::{DateTime, Utc};
    use ultravox_client::Uuid;
    use ultravox_client::mock::MockServerExt;
    use ultravox_client::mock::httpmock::MockServer;
    use ultravox_client::types::{
        AgentBasic, BillingStatus, Call, CallEvent, CallMedium, FirstSpeaker, FirstSpeakerSettings,
        InitialOutputMedium, Message, MessageRole, PaginatedCallEventList, PaginatedCallList,
        PaginatedMessageList, PaginatedScheduledCallBatchList, PaginatedScheduledCallList,
        PatchedScheduledCallBatchRequest, ScheduledCall, ScheduledCallBatch, ScheduledCallStatus,
        Severity, TwilioMedium, TwilioMediumOutgoingRequestParams, WebSocketMedium,
    };
    use uuid::uuid;

    pub const AGENT_ID: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH_ID: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    const OTHER_BATCH_ID: Uuid = uuid!("6b2a4c0f-3d5e-4f90-8b1c-2d3e4f5a6b7c");
    pub const API_KEY: &str = "demo-key";

    fn at(rfc3339: &str) -> Result<DateTime<Utc>, String> {
        rfc3339
            .parse()
            .map_err(|err| format!("demo date {rfc3339}: {err}"))
    }

    pub async fn start(
        status: Option<&ScheduledCallStatus>,
        page_size: Option<u32>,
    ) -> Result<MockServer, String> {
        let server = MockServer::start_async().await;
        let rows: Vec<ScheduledCall> = rows()?
            .into_iter()
            .filter(|row| status.is_none_or(|wanted| row.status == *wanted))
            .collect();
        batches(&server, rows.len() as i64, page_size)?;
        scheduled_calls(&server, rows, status, page_size)?;
        created_calls(&server, page_size)?;
        the_call(&server, page_size)?;
        Ok(server)
    }

    fn batch(id: Uuid, total: i64, paused: bool) -> Result<ScheduledCallBatch, String> {
        ScheduledCallBatch::builder()
            .batch_id(id)
            .completed_count(1)
            .total_count(total)
            .created(at("2026-07-02T09:00:00Z")?)
            .ended_at(None)
            .paused(Some(paused))
            .build()
            .map_err(|err| err.to_string())
    }

    /// The agent's two batches, paged as `--page-size` asks (default: one
    /// page); the first answers `show`, `pause`, `resume`.
    fn batches(server: &MockServer, total: i64, page_size: Option<u32>) -> Result<(), String> {
        let all = [
            batch(BATCH_ID, total, false)?,
            batch(OTHER_BATCH_ID, 3, true)?,
        ];
        let path = format!("/api/agents/{AGENT_ID}/scheduled_batches");
        let pages = paged(&all, page_size, 1);
        let count = pages.len();
        for (index, results) in pages.into_iter().enumerate() {
            let (cursor, next) = links(server, &path, index, count);
            let listed = PaginatedScheduledCallBatchList::builder()
                .next(next)
                .results(results)
                .build()
                .map_err(|err| err.to_string())?;
            server.list_batches(|when, then| {
                when.agent_id(&AGENT_ID)
                    .cursor(cursor.as_deref())
                    .page_size(page_size.map(i64::from));
                then.ok(&listed);
            });
        }
        server.list_batches(|when, then| {
            when.agent_id(&AGENT_ID)
                .into_inner()
                .query_param_exists("cursor");
            then.error(404, &invalid_cursor());
        });
        let shown = batch(BATCH_ID, total, false)?;
        server.get_batch(|when, then| {
            when.agent_id(&AGENT_ID).batch_id(&BATCH_ID);
            then.ok(&shown);
        });
        for paused in [true, false] {
            let body = PatchedScheduledCallBatchRequest::builder()
                .paused(Some(paused))
                .build()
                .map_err(|err| err.to_string())?;
            let updated = batch(BATCH_ID, total, paused)?;
            server.update_batch(|when, then| {
                when.agent_id(&AGENT_ID).batch_id(&BATCH_ID).body(&body);
                then.ok(&updated);
            });
        }
        Ok(())
    }

    /// `items` in pages of `page_size`, or (without one) in `default`
    /// pages of about the same size.
    fn paged<T: Clone>(items: &[T], page_size: Option<u32>, default: usize) -> Vec<Vec<T>> {
        let size = match page_size {
            Some(size) => size.max(1) as usize,
            None => items.len().div_ceil(default).max(1),
        };
        let pages: Vec<Vec<T>> = items.chunks(size).map(<[T]>::to_vec).collect();
        if pages.is_empty() {
            vec![Vec::new()]
        } else {
            pages
        }
    }

    /// The cursor that asks for page `index` of `count` (none for the
    /// first), and that page's `next` link.
    fn links(
        server: &MockServer,
        path: &str,
        index: usize,
        count: usize,
    ) -> (Option<String>, Option<String>) {
        let cursor = (index > 0).then(|| format!("page-{}", index + 1));
        let next =
            (index + 1 < count).then(|| server.url(format!("{path}?cursor=page-{}", index + 2)));
        (cursor, next)
    }

    /// What the API answers a cursor it did not write (Django REST
    /// framework's cursor pagination: a 404); each listing's last mock,
    /// for a request with a cursor no page mock matched.
    fn invalid_cursor() -> serde_json::Value {
        serde_json::json!({ "detail": "Invalid cursor" })
    }

    /// The batch's scheduled calls, paged as `--page-size` asks (default:
    /// two pages), with an empty page after the first, which must not end
    /// the listing.
    fn scheduled_calls(
        server: &MockServer,
        rows: Vec<ScheduledCall>,
        status: Option<&ScheduledCallStatus>,
        page_size: Option<u32>,
    ) -> Result<(), String> {
        let path = format!("/api/agents/{AGENT_ID}/scheduled_batches/{BATCH_ID}/scheduled_calls");
        let total = rows.len() as i64;
        let mut pages = paged(&rows, page_size, 2);
        if pages.len() > 1 {
            pages.insert(1, Vec::new());
        }
        let count = pages.len();
        for (index, results) in pages.into_iter().enumerate() {
            let (cursor, next) = links(server, &path, index, count);
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
        server.list_scheduled_calls(|when, then| {
            when.agent_id(&AGENT_ID)
                .batch_id(&BATCH_ID)
                .into_inner()
                .query_param_exists("cursor");
            then.error(404, &invalid_cursor());
        });
        Ok(())
    }

    /// One call the batch created (the row of status SUCCESS points at it).
    fn created_calls(server: &MockServer, page_size: Option<u32>) -> Result<(), String> {
        let page = PaginatedCallList::builder()
            .next(None)
            .results(vec![call()?])
            .build()
            .map_err(|err| err.to_string())?;
        server.list_created_calls(|when, then| {
            when.agent_id(&AGENT_ID)
                .batch_id(&BATCH_ID)
                .cursor(None::<&str>)
                .page_size(page_size.map(i64::from));
            then.ok(&page);
        });
        server.list_created_calls(|when, then| {
            when.agent_id(&AGENT_ID)
                .batch_id(&BATCH_ID)
                .into_inner()
                .query_param_exists("cursor");
            then.error(404, &invalid_cursor());
        });
        Ok(())
    }

    /// The call the batch created: shown, its transcript in two pages (or
    /// as `--page-size` asks), its events, and its recording.
    fn the_call(server: &MockServer, page_size: Option<u32>) -> Result<(), String> {
        let shown = call()?;
        server.get_call(|when, then| {
            when.call_id(&CALL_ID);
            then.ok(&shown);
        });
        let lines = [
            "Hello, this is Renewals calling about your subscription.",
            "Hi, yes, I got your letter.",
            "Would you like to renew for another year?",
            "Yes, please renew it.",
            "Done: renewed until July 2027. Anything else?",
        ];
        let messages = lines
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let role = [MessageRole::MessageRoleAgent, MessageRole::MessageRoleUser][index % 2]
                    .clone();
                Message::builder()
                    .role(Some(role))
                    .text(Some((*text).to_owned()))
                    .call_stage_message_index(Some(index as i32))
                    .build()
                    .map_err(|err| err.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = format!("/api/calls/{CALL_ID}/messages");
        let pages = paged(&messages, page_size, 2);
        let count = pages.len();
        for (index, results) in pages.into_iter().enumerate() {
            let (cursor, next) = links(server, &path, index, count);
            let page = PaginatedMessageList::builder()
                .next(next)
                .results(results)
                .build()
                .map_err(|err| err.to_string())?;
            server.list_call_messages(|when, then| {
                when.call_id(&CALL_ID)
                    .cursor(cursor.as_deref())
                    .page_size(page_size.map(i64::from));
                then.ok(&page);
            });
        }
        server.list_call_messages(|when, then| {
            when.call_id(&CALL_ID)
                .into_inner()
                .query_param_exists("cursor");
            then.error(404, &invalid_cursor());
        });
        let events = [
            ("call_started", "The call started"),
            ("call_ended", "The call ended"),
        ]
        .iter()
        .enumerate()
        .map(|(index, (kind, text))| {
            CallEvent::builder()
                .call_id(CALL_ID)
                .call_stage_id(CALL_ID)
                .call_timestamp(format!("{}s", index * 42))
                .severity(Severity::KNOWN[1].clone())
                .text(*text)
                .type_(*kind)
                .extras(None)
                .wall_clock_timestamp(None)
                .build()
                .map_err(|err| err.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
        let page = PaginatedCallEventList::builder()
            .next(None)
            .results(events)
            .build()
            .map_err(|err| err.to_string())?;
        server.list_call_events(|when, then| {
            when.call_id(&CALL_ID).cursor(None::<&str>);
            then.ok(&page);
        });
        let audio = wav(8_000);
        server.get_call_recording(|when, then| {
            when.call_id(&CALL_ID);
            then.ok(&audio);
        });
        Ok(())
    }

    /// `samples` samples of silence as a mono 8 kHz 16-bit WAV file.
    fn wav(samples: u32) -> Vec<u8> {
        let data = samples * 2;
        let mut file = Vec::with_capacity(44 + data as usize);
        file.extend_from_slice(b"RIFF");
        file.extend_from_slice(&(36 + data).to_le_bytes());
        file.extend_from_slice(b"WAVEfmt ");
        file.extend_from_slice(&16u32.to_le_bytes());
        file.extend_from_slice(&1u16.to_le_bytes()); // PCM
        file.extend_from_slice(&1u16.to_le_bytes()); // mono
        file.extend_from_slice(&8_000u32.to_le_bytes());
        file.extend_from_slice(&16_000u32.to_le_bytes()); // bytes per second
        file.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
        file.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
        file.extend_from_slice(b"data");
        file.extend_from_slice(&data.to_le_bytes());
        file.resize(44 + data as usize, 0);
        file
    }

    /// The call the batch created.
    fn call() -> Result<Call, String> {
        let agent = AgentBasic::builder()
            .agent_id(AGENT_ID)
            .name("Renewals".to_owned())
            .build()
            .map_err(|err| err.to_string())?;
        let greeting = FirstSpeakerSettings::builder()
            .build()
            .map_err(|err| err.to_string())?;
        Call::builder()
            .agent(agent)
            .agent_id(Some(AGENT_ID.to_string()))
            .billed_duration(Some("42s".to_owned()))
            .billed_side_input_tokens(None)
            .billed_side_output_tokens(None)
            .billing_status(BillingStatus::KNOWN[0].clone())
            .call_id(CALL_ID)
            .client_version(None)
            .created(at("2026-07-02T09:01:00Z")?)
            .end_reason(None)
            .ended(Some(at("2026-07-02T09:01:42Z")?))
            .experimental_settings(serde_json::Value::Null)
            .first_speaker(FirstSpeaker::KNOWN[0].clone())
            .first_speaker_settings(greeting)
            .initial_output_medium(InitialOutputMedium::KNOWN[0].clone())
            .initial_state(serde_json::Map::new())
            .join_url(None)
            .joined(Some(at("2026-07-02T09:01:00Z")?))
            .metadata(std::collections::BTreeMap::new())
            .request_context(serde_json::Value::Null)
            .short_summary(Some("Renewal confirmed".to_owned()))
            .sip_details(None)
            .summary(None)
            .build()
            .map_err(|err| err.to_string())
    }

    pub const CALL_ID: Uuid = uuid!("8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d");

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
                    .call_id(succeeded.then_some(CALL_ID))
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
