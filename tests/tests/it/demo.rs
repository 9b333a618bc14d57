//! The runnable example (`generated-client/examples/batches.rs`),
//! run in-process as its `main` would run it.

use std::collections::BTreeSet;
use std::ffi::OsString;

use serde_json::Value;
use support::spec;

#[allow(dead_code)] // its `main` belongs to the example binary
#[path = "../../../generated-client/examples/batches.rs"]
mod example;

/// Runs the example with `args` and the environment `env`: the summary line
/// (or error line) and the NDJSON it printed.
async fn run(args: &[&str], env: &[(&str, &str)]) -> (Result<String, String>, Vec<Value>) {
    let env: Vec<(&str, OsString)> = env.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    run_os(args, &env).await
}

/// [`run`] with an environment whose values need not be Unicode.
async fn run_os(args: &[&str], env: &[(&str, OsString)]) -> (Result<String, String>, Vec<Value>) {
    let args = args.iter().map(OsString::from);
    let lookup = |name: &str| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let mut out = Vec::new();
    let result = example::run(args, lookup, &mut out).await;
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is one JSON object"))
        .collect();
    (result, lines)
}

#[tokio::test]
async fn demo_prints_one_page_or_every_page_as_ndjson() {
    let (summary, first_page) = run(&["--demo", "scheduled"], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("listed {} scheduled calls from 1 page(s)", first_page.len())
    );
    assert!(!first_page.is_empty());

    let (summary, calls) = run(&["--demo", "scheduled", "--all"], &[]).await;
    // Three pages, the middle one empty: an empty page does not end a listing.
    assert_eq!(
        summary.unwrap(),
        format!("listed {} scheduled calls from 3 page(s)", calls.len())
    );
    let statuses: BTreeSet<&str> = calls
        .iter()
        .map(|call| call["status"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = spec::statuses().into_iter().collect();
    assert_eq!(statuses, expected, "a row for every status of the spec");
}

#[tokio::test]
async fn failures_are_one_line_and_print_nothing() {
    const AGENT: &str = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    const BATCH: &str = "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let key = (ultravox_client::API_KEY_VAR, "k");
    let unreachable = (ultravox_client::BASE_URL_VAR, "http://127.0.0.1:9");
    // (arguments, environment, what the error line must say)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 14] = [
        (
            &["scheduled", "not-a-uuid", BATCH],
            &[key],
            "AGENT_ID \"not-a-uuid\" is not a UUID",
        ),
        (
            &["scheduled", AGENT, BATCH],
            &[],
            ultravox_client::API_KEY_VAR,
        ),
        (&["scheduled"], &[key], "expected AGENT_ID and BATCH_ID"),
        (&["list"], &[key], "expected AGENT_ID"),
        (
            &["list", AGENT, "extra"],
            &[key],
            "unexpected argument \"extra\": `list` takes AGENT_ID only",
        ),
        (
            &["--demo", "list", "--page-size", "-5"],
            &[],
            "--page-size takes a whole number of at least 1, not \"-5\"",
        ),
        (
            &["--demo", "list", "--page-size", "0"],
            &[],
            "--page-size takes a whole number of at least 1, not 0",
        ),
        (
            &["--demo", "list", "--timeout", "0"],
            &[],
            "--timeout takes a number of seconds above 0",
        ),
        (
            &["--demo", "list", "--max-retries", "many"],
            &[],
            "--max-retries takes a whole number, not \"many\"",
        ),
        (&[], &[key], "no command given"),
        (&["publish", AGENT], &[key], "unknown command \"publish\""),
        (&["--demo", "show", AGENT], &[], "--demo uses its own"),
        (
            &["--demo", "list", "--status", "error"],
            &[],
            "--status filters `scheduled` only",
        ),
        (
            &["--max-retries", "0", "show", AGENT, BATCH],
            &[key, unreachable],
            "cannot connect",
        ),
    ];
    for (args, env, expected) in cases {
        let (result, printed) = run(args, env).await;
        let message = result.expect_err("must fail");
        assert_eq!(message.lines().count(), 1, "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
        assert!(printed.is_empty());
    }
}

/// Issue 15, item 1: the environment goes through the library's checks, so
/// a base URL that is not Unicode is an error naming it (never "unset", which
/// would send the key to production), and a key that is not Unicode is
/// reported as such, not as missing.
#[cfg(unix)]
#[tokio::test]
async fn an_environment_that_is_not_unicode_is_refused_by_name() {
    use std::os::unix::ffi::OsStringExt;
    const AGENT: &str = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    const BATCH: &str = "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let not_unicode = || OsString::from_vec(vec![b'h', b't', 0xff, b'p']);
    let key = (ultravox_client::API_KEY_VAR, OsString::from("k"));
    for (env, named) in [
        (
            vec![key.clone(), (ultravox_client::BASE_URL_VAR, not_unicode())],
            ultravox_client::BASE_URL_VAR,
        ),
        (
            vec![(ultravox_client::API_KEY_VAR, not_unicode())],
            ultravox_client::API_KEY_VAR,
        ),
    ] {
        let (result, printed) = run_os(&["scheduled", AGENT, BATCH], &env).await;
        let message = result.expect_err("must fail");
        assert!(
            message.contains(named) && message.contains("not valid Unicode"),
            "{message}"
        );
        assert!(printed.is_empty());
    }
}

/// Issue 15, item 5: without `--all` one page costs one request (no page is
/// fetched ahead for nobody).
#[tokio::test]
async fn one_page_costs_one_request() {
    use support::samples::{any_row, page};
    use support::server::{Reply, ScriptedServer};
    const AGENT: &str = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    const BATCH: &str = "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let server =
        ScriptedServer::start(vec![Reply::json(200, &page(vec![any_row()], Some("2")))]).await;
    let env = [
        (ultravox_client::API_KEY_VAR, "k"),
        (ultravox_client::BASE_URL_VAR, server.base_url.as_str()),
    ];
    let (summary, calls) = run(&["scheduled", AGENT, BATCH], &env).await;
    assert_eq!(summary.unwrap(), "listed 1 scheduled calls from 1 page(s)");
    assert_eq!(calls.len(), 1);
    // A page fetched ahead would have been requested by now.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(server.requests().len(), 1);
}

/// Issue 14: `--help` is an answer, not an error; every flag is honoured by
/// the demo; a status is one of the spec's (any case) or refused with the
/// list, unless `--any-status` says to send it anyway.
#[tokio::test]
async fn help_flags_and_statuses_behave_as_documented() {
    let mut out = Vec::new();
    let lookup = |_: &str| None;
    let help = example::run([OsString::from("--help")], lookup, &mut out).await;
    assert_eq!(help, Ok(String::new()));
    let usage = String::from_utf8(out).unwrap();
    assert!(
        usage.starts_with("usage:") && usage.contains("--any-status"),
        "{usage}"
    );
    for command in ["list", "show", "scheduled", "created", "pause", "resume"] {
        assert!(
            usage.contains(&format!("\n  {command} AGENT_ID")),
            "{command}: {usage}"
        );
    }

    let statuses = spec::statuses();
    for wanted in &statuses {
        let lower = wanted.to_lowercase();
        let (summary, calls) =
            run(&["--demo", "scheduled", "--all", "--status", &lower], &[]).await;
        assert!(summary.is_ok(), "{summary:?}");
        assert!(
            !calls.is_empty(),
            "{wanted}: the demo has a row for every status"
        );
        assert!(
            calls.iter().all(|call| call["status"] == *wanted),
            "{wanted}: {calls:?}"
        );
    }

    let (summary, calls) = run(&["--demo", "scheduled", "--all", "--page-size", "2"], &[]).await;
    let pages = statuses.len().div_ceil(2) + 1; // and the empty page
    assert_eq!(
        summary.unwrap(),
        format!(
            "listed {} scheduled calls from {pages} page(s)",
            statuses.len()
        )
    );
    assert_eq!(calls.len(), statuses.len());

    let (refused, printed) = run(&["--demo", "scheduled", "--status", "NOT_A_STATUS"], &[]).await;
    let message = refused.unwrap_err();
    assert!(printed.is_empty());
    for known in &statuses {
        assert!(message.contains(known), "{message}");
    }
    let (sent_anyway, calls) = run(
        &[
            "--demo",
            "scheduled",
            "--status",
            "NOT_A_STATUS",
            "--any-status",
        ],
        &[],
    )
    .await;
    // The demo has no such rows, so its mock does not match the filter.
    assert!(sent_anyway.is_err() || calls.is_empty(), "{sent_anyway:?}");
}

/// Every command works from a terminal against the demo: the agent's
/// batches, one batch, its created calls, pausing and resuming it.
#[tokio::test]
async fn every_command_runs_against_the_demo() {
    let (summary, batches) = run(&["--demo", "list"], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("listed {} batches from 1 page(s)", batches.len())
    );
    assert!(batches.len() > 1, "{batches:?}");

    let (summary, shown) = run(&["--demo", "show"], &[]).await;
    let [batch] = &shown[..] else {
        panic!("{shown:?}")
    };
    assert_eq!(
        summary.unwrap(),
        format!("batch {}", batch["batchId"].as_str().unwrap())
    );
    assert!(batches.contains(batch), "the batch shown is one listed");

    let (summary, created) = run(&["--demo", "created", "--all"], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("listed {} created calls from 1 page(s)", created.len())
    );
    assert!(!created.is_empty());

    for (command, paused) in [("pause", true), ("resume", false)] {
        let (summary, updated) = run(&["--demo", command], &[]).await;
        let summary = summary.unwrap();
        assert!(
            summary.ends_with(if paused { "paused" } else { "resumed" }),
            "{summary}"
        );
        let [batch] = &updated[..] else {
            panic!("{updated:?}")
        };
        assert_eq!(batch["paused"], paused, "{batch}");
    }
}

/// Issue 28, item 7: the demo pages every listing as `--page-size` asks and
/// answers a cursor it did not write as the API does; a refused cursor is
/// not offered back to resume with.
#[tokio::test]
async fn the_demo_pages_every_listing_and_refuses_cursors_it_did_not_write() {
    let (summary, batches) = run(&["--demo", "list", "--page-size", "1"], &[]).await;
    assert_eq!(summary.unwrap(), "listed 1 batches from 1 page(s)");
    assert_eq!(batches.len(), 1);
    let (summary, batches) = run(&["--demo", "list", "--all", "--page-size", "1"], &[]).await;
    assert_eq!(summary.unwrap(), "listed 2 batches from 2 page(s)");
    assert_eq!(batches.len(), 2);

    for command in ["list", "scheduled", "created"] {
        let (refused, printed) = run(&["--demo", command, "--cursor", "abc"], &[]).await;
        let message = refused.unwrap_err();
        assert!(
            message.contains("404") && message.contains("Invalid cursor"),
            "{message}"
        );
        assert!(
            !message.contains("--cursor"),
            "a refused cursor offered back: {message}"
        );
        assert!(printed.is_empty());
    }
}

/// A reader that stops reading (`| head`) ends the run quietly, with
/// success, as it ends any Unix tool.
#[tokio::test]
async fn a_closed_stdout_ends_quietly() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }
    for args in [
        &["--demo", "scheduled", "--all"][..],
        &["--demo", "list"],
        &["--demo", "show"],
        &["--help"],
    ] {
        let words = args.iter().map(OsString::from);
        let result = example::run(words, |_: &str| None, &mut Closed).await;
        assert_eq!(result, Ok(String::new()), "{args:?}");
    }
}

/// Issue 35: after the batch, its call — shown, its transcript and events
/// as NDJSON, its recording into a file that appears only whole, and every
/// created call's transcript into a directory, resumed after a crash
/// without redoing a finished call.
#[tokio::test]
async fn the_demo_goes_from_the_batch_to_each_calls_results() {
    let (summary, created) = run(&["--demo", "created"], &[]).await;
    summary.unwrap();
    let call_id = created[0]["callId"].as_str().unwrap().to_owned();

    let (summary, shown) = run(&["--demo", "call"], &[]).await;
    assert_eq!(summary.unwrap(), format!("call {call_id}"));
    assert_eq!(shown, created[..1], "the call shown is the one created");

    // A mode of the spec's, in another case than the spec's.
    let mode = ultravox_client::types::CallsMessagesListMode::KNOWN
        .last()
        .unwrap()
        .as_str()
        .to_uppercase();
    let (summary, transcript) = run(&["--demo", "transcript", "--mode", &mode], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("listed {} messages from 2 page(s)", transcript.len())
    );
    assert!(transcript.iter().all(|m| m["text"].is_string()));
    let (result, printed) = run(&["--demo", "transcript", "--mode", "nope"], &[]).await;
    assert!(
        result
            .unwrap_err()
            .contains("--mode \"nope\" is not one of")
    );
    assert!(printed.is_empty());

    let (summary, events) = run(&["--demo", "events"], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("listed {} events from 1 page(s)", events.len())
    );
    assert!(!events.is_empty());

    let dir = std::env::temp_dir().join(format!("uvx-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("call.wav");
    let (summary, printed) = run(&["--demo", "recording", "-o", file.to_str().unwrap()], &[]).await;
    let summary = summary.unwrap();
    let audio = std::fs::read(&file).unwrap();
    assert!(
        summary.starts_with(&format!("wrote {} bytes", audio.len())),
        "{summary}"
    );
    assert!(summary.contains(spec_media_type()), "{summary}");
    assert!(audio.starts_with(b"RIFF"));
    assert!(printed.is_empty(), "stdout stays clean");
    assert!(!dir.join("call.wav.part").exists());
    // A download that fails leaves neither the file nor its `.part`.
    let failed = dir.join("failed.wav");
    let call_arg = call_id.as_str();
    let (result, _) = run(
        &[
            "--max-retries",
            "0",
            "recording",
            call_arg,
            "-o",
            failed.to_str().unwrap(),
        ],
        &[
            (ultravox_client::API_KEY_VAR, "k"),
            (ultravox_client::BASE_URL_VAR, "http://127.0.0.1:9"),
        ],
    )
    .await;
    assert!(result.unwrap_err().contains("cannot connect"));
    assert!(!failed.exists() && !dir.join("failed.wav.part").exists());

    let results = dir.join("results");
    let results_arg = results.to_str().unwrap();
    let (summary, _) = run(&["--demo", "results", "--dir", results_arg], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("wrote 1 transcript(s) to {results_arg}, 0 already there")
    );
    let written = results.join(format!("{call_id}.ndjson"));
    let lines = std::fs::read_to_string(&written).unwrap();
    assert_eq!(lines.lines().count(), transcript.len());
    // A crash mid-call leaves a `.part` file and no transcript: the next
    // run writes it; a finished call is skipped.
    std::fs::rename(&written, results.join(format!("{call_id}.ndjson.part"))).unwrap();
    let (summary, _) = run(&["--demo", "results", "--dir", results_arg], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("wrote 1 transcript(s) to {results_arg}, 0 already there")
    );
    assert_eq!(std::fs::read_to_string(&written).unwrap(), lines);
    let (summary, _) = run(&["--demo", "results", "--dir", results_arg], &[]).await;
    assert_eq!(
        summary.unwrap(),
        format!("wrote 0 transcript(s) to {results_arg}, 1 already there")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The recording's media type, as the spec gives it.
fn spec_media_type() -> &'static str {
    use ultravox_client::Operation;
    spec::success_media_type_of(ultravox_client::operations::GetCallRecording::OPERATION_ID)
}
