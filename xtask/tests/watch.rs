//! `cargo xtask watch` and `cargo xtask sync --from URL` end to end: the real
//! binary on a scratch copy of the project, downloading from a server the
//! test starts on 127.0.0.1, with a cargo-semver-checks of the test's own
//! (or none) on `PATH`. A refusal must name its cause and change no file.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::http::{Reply, Server};
use support::{NEWER, OLDER, Scratch, data};

/// A directory for `PATH` holding a `cargo-semver-checks` that prints
/// `output` and exits with `code`; `None`: an empty directory (no tool).
fn semver_tool(output: Option<(&str, i32)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some((text, code)) = output {
        let tool = dir.path().join("cargo-semver-checks");
        std::fs::write(&tool, format!("#!/bin/sh\necho '{text}'\nexit {code}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

const COMPATIBLE: &str = "     Summary no semver update required";
const MAJOR: &str =
    "     Summary semver requires new major version: 1 major and 0 minor checks failed";

/// What a watch wrote.
struct Watched {
    code: i32,
    stderr: String,
    out: tempfile::TempDir,
}

impl Watched {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name))
            .unwrap_or_else(|err| panic!("{name}: {err}\n{}", self.stderr))
    }

    fn has(&self, name: &str) -> bool {
        self.out.path().join(name).exists()
    }

    fn labels(&self) -> Vec<String> {
        self.file("labels.txt").lines().map(str::to_owned).collect()
    }
}

fn watch(scratch: &Scratch, from: &str, tools: &Path, extra: &[&str]) -> Watched {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap().to_owned();
    // The client of a scratch project is not a crate to build: the build
    // check is the tests' own (`a_client_that_does_not_build_is_refused`).
    let mut args = vec![
        "watch",
        "--from",
        from,
        "--out",
        &out_dir,
        "--check-with",
        "/bin/true",
    ];
    args.extend_from_slice(extra);
    let output = scratch.run_with_path(&args, Some(tools));
    Watched {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// A document file beside the scratch project.
fn document(scratch: &Scratch, name: &str, text: &str) -> PathBuf {
    scratch.write(name, text)
}

#[test]
fn the_same_document_twice_is_unchanged_and_asked_for_conditionally() {
    let scratch = Scratch::generated(&data(OLDER));
    let tools = semver_tool(Some((COMPATIBLE, 0)));
    let server = Server::start(vec![
        Reply::ok(data(NEWER)).header("etag", "\"v2026\""),
        Reply::status(304, ""),
        // A server that ignores the condition: the same bytes are unchanged too.
        Reply::ok(data(NEWER)),
    ]);
    let first = watch(&scratch, &server.url, tools.path(), &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.file("outcome"), "changed\n");
    let lock = scratch.read("openapi/upstream.lock");
    assert!(
        lock.contains(&format!("source = \"{}\"", server.url)),
        "{lock}"
    );
    assert!(
        lock.contains("etag = '\"v2026\"'") || lock.contains("etag = \"\\\"v2026\\\"\""),
        "{lock}"
    );
    assert_eq!(scratch.read("openapi/upstream.yaml"), data(NEWER));

    for round in 1..3 {
        let before = scratch.files();
        let again = watch(&scratch, &server.url, tools.path(), &[]);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(again.file("outcome"), "unchanged\n");
        assert!(!again.has("body.md") && !again.has("title.txt"));
        assert!(before == scratch.files(), "round {round} changed files");
        assert_eq!(
            server.header(round, "if-none-match").as_deref(),
            Some("\"v2026\""),
            "round {round}: {:?}",
            server.requests()
        );
    }
}

#[test]
fn an_additive_document_opens_a_feat_pull_request_with_the_verdicts() {
    let scratch = Scratch::generated(&data(OLDER));
    let tools = semver_tool(Some((COMPATIBLE, 0)));
    let newer = document(&scratch, "ultravox-openapi-2026-07-02.yaml", &data(NEWER));
    let watched = watch(&scratch, newer.to_str().unwrap(), tools.path(), &[]);
    assert_eq!(watched.code, 0, "{}", watched.stderr);
    assert_eq!(watched.file("outcome"), "changed\n");
    assert_eq!(
        watched.file("title.txt"),
        "Ultravox API of 2026-07-02: 0 breaking, 10 additive\n"
    );
    assert_eq!(watched.labels(), ["api:additive", "semver:compatible"]);
    let message = watched.file("commit-message.txt");
    assert!(
        message.starts_with("feat(api): Ultravox API of 2026-07-02: 0 breaking, 10 additive\n\n- "),
        "{message}"
    );
    let body = watched.file("body.md");
    for needle in [
        "**Version bump:** `ultravox-client` 0.2.0 → 0.2.1",
        "**cargo-semver-checks** against `HEAD`: no semver update required",
        "| previous | (no record) |",
        "| new | `2026-07-02` |",
        "`types::WebRtcMedium::data_messages` (`ultravox.v1.CallMedium_WebRtcMedium.dataMessages`)",
        "### Descriptions changed",
        "### How to review",
    ] {
        assert!(body.contains(needle), "body lacks {needle:?}:\n{body}");
    }
    assert!(
        !body.contains("disagree") && !body.contains("stop compiling"),
        "{body}"
    );
}

/// The NEWER document without the rows' `error` property: breaking.
fn without_error(newer: &str) -> String {
    let property = "        error:\n          type: string\n          readOnly: true\n          nullable: true\n        medium:";
    let required = "      - callId\n      - error\n      - status\n";
    assert!(newer.contains(property) && newer.contains(required));
    newer.replacen(property, "        medium:", 1).replacen(
        required,
        "      - callId\n      - status\n",
        1,
    )
}

#[test]
fn a_breaking_document_is_feat_bang_and_a_disagreement_comes_first() {
    let newer = data(NEWER);
    let broken = without_error(&newer);
    for (tool, label, disagree) in [
        (MAJOR, "semver:major", false),
        (COMPATIBLE, "semver:disagree", true),
    ] {
        let scratch = Scratch::generated(&newer);
        let tools = semver_tool(Some((tool, if disagree { 0 } else { 1 })));
        let from = document(&scratch, "ultravox-openapi-2026-08-01.yaml", &broken);
        let watched = watch(&scratch, from.to_str().unwrap(), tools.path(), &[]);
        assert_eq!(watched.code, 0, "{}", watched.stderr);
        assert_eq!(watched.labels(), ["api:breaking", label]);
        let message = watched.file("commit-message.txt");
        assert!(
            message.starts_with("feat(api)!: Ultravox API of 2026-08-01: 1 breaking"),
            "{message}"
        );
        let body = watched.file("body.md");
        assert_eq!(
            body.starts_with("> **The report and cargo-semver-checks disagree.**"),
            disagree,
            "{body}"
        );
        assert!(body.contains("0.2.0 → 0.3.0"), "{body}");
        assert!(
            body.contains("stop compiling"),
            "the breaking rule is explained: {body}"
        );
        assert!(
            body.contains(
                "`types::ScheduledCall::error` (`ScheduledCall.error`): property removed"
            ),
            "{body}"
        );
    }
}

#[test]
fn a_description_only_document_is_docs() {
    let newer = data(NEWER);
    let reworded = newer.replacen(
        "The context used to render the agent's template.",
        "The context the agent's template is rendered with.",
        1,
    );
    assert_ne!(reworded, newer);
    let scratch = Scratch::generated(&newer);
    let tools = semver_tool(Some((COMPATIBLE, 0)));
    let from = document(&scratch, "ultravox-openapi-2026-08-01.yaml", &reworded);
    let watched = watch(&scratch, from.to_str().unwrap(), tools.path(), &[]);
    assert_eq!(watched.code, 0, "{}", watched.stderr);
    assert_eq!(watched.labels(), ["api:docs", "semver:compatible"]);
    let message = watched.file("commit-message.txt");
    assert!(
        message.starts_with("docs(api): Ultravox API of 2026-08-01: 1 description(s) changed"),
        "{message}"
    );
    assert!(
        watched.file("body.md").contains(
            "- `types::ScheduledCall::template_context` (`ScheduledCall.templateContext`)"
        )
    );
}

#[test]
fn without_a_readable_verdict_it_is_unknown_never_compatible() {
    for (tool, why) in [
        (None, "not on PATH"),
        (
            Some(("error: garbage; not a report", 1)),
            "without a verdict",
        ),
    ] {
        let scratch = Scratch::generated(&data(OLDER));
        let tools = semver_tool(tool);
        let from = document(&scratch, "ultravox-openapi-2026-07-02.yaml", &data(NEWER));
        let watched = watch(&scratch, from.to_str().unwrap(), tools.path(), &[]);
        assert_eq!(watched.code, 0, "{}", watched.stderr);
        assert_eq!(watched.labels(), ["api:additive", "semver:unknown"]);
        let body = watched.file("body.md");
        assert!(body.contains("**unknown**") && body.contains(why), "{body}");
        assert!(body.contains("This is not \"compatible\""), "{body}");
        assert!(!body.contains("no semver update required"), "{body}");
    }
}

#[test]
fn bad_downloads_are_refused_naming_the_cause_and_change_nothing() {
    let newer = data(NEWER);
    let half = &newer[..newer.len() / 2];
    assert!(!half.ends_with('\n'), "cut mid-line");
    let huge = "a".repeat(40 * 1024 * 1024);
    let loop_to_itself = Reply::status(302, "").header("location", "/api/schema/");
    let cases: Vec<(Vec<Reply>, &[&str], Vec<&str>)> = vec![
        (
            vec![Reply::status(500, "oops")],
            &[],
            vec!["HTTP 500", "/api/schema/", "after 3 attempts"],
        ),
        (
            vec![Reply::status(404, "nope")],
            &[],
            vec!["HTTP 404", "/api/schema/"],
        ),
        (
            vec![Reply::ok(
                "<!DOCTYPE html>\n<html><body>Down for maintenance: back soon</body></html>\n",
            )],
            &[],
            vec!["HTML", "not an OpenAPI document"],
        ),
        (
            vec![Reply::ok(half.to_owned())],
            &[],
            vec!["ends mid-line", "cut short", "points at nothing"],
        ),
        (
            vec![Reply::ok(newer.replacen(
                "openapi: 3.0.3",
                "openapi: 3.2.0",
                1,
            ))],
            &[],
            vec!["openapi: 3.2.0", "only OpenAPI 3.0.x"],
        ),
        (
            vec![Reply::Stall(Duration::from_secs(20))],
            &["--timeout", "2"],
            vec!["did not answer within", "2 s in all"],
        ),
        (vec![Reply::ok(huge)], &[], vec!["size limit", "32 MiB"]),
        (
            vec![loop_to_itself],
            &[],
            vec!["redirected more than 5 times"],
        ),
    ];
    let tools = semver_tool(Some((COMPATIBLE, 0)));
    let scratch = Scratch::generated(&data(OLDER));
    for (script, extra, needles) in cases {
        let server = Server::start(script);
        let before = scratch.files();
        let started = Instant::now();
        let watched = watch(&scratch, &server.url, tools.path(), extra);
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(watched.code, 2, "{needles:?}: {}", watched.stderr);
        assert_eq!(watched.file("outcome"), "refused\n");
        let failure = watched.file("failure.md");
        for needle in needles {
            assert!(
                failure.contains(needle),
                "failure.md lacks {needle:?}:\n{failure}"
            );
        }
        assert!(failure.contains(&server.url), "names the source: {failure}");
        assert!(!watched.has("body.md"));
        assert!(
            before == scratch.files(),
            "a refusal changed files: {failure}"
        );
    }
}

#[test]
fn sync_from_a_url_records_where_the_document_came_from() {
    let scratch = Scratch::generated(&data(OLDER));
    let server = Server::start(vec![
        Reply::ok(data(NEWER))
            .header("etag", "W/\"abc\"")
            .header("last-modified", "Thu, 02 Jul 2026 10:00:00 GMT"),
    ]);
    let report = scratch.assert_ok(&["sync", "--from", &server.url]);
    assert!(
        report.starts_with("## Ultravox API of 2026-07-02\n"),
        "{report}"
    );
    let lock = scratch.read("openapi/upstream.lock");
    for needle in [
        format!("source = \"{}\"", server.url),
        "last_modified = \"Thu, 02 Jul 2026 10:00:00 GMT\"".to_owned(),
        "fetched = \"".to_owned(),
        "sha256 = \"".to_owned(),
    ] {
        assert!(lock.contains(&needle), "{needle}: {lock}");
    }
    // The vendor's document is never edited by hand.
    scratch.assert_ok(&["codegen", "--check"]);
    let edited = format!("{}# a hand edit\n", data(NEWER));
    scratch.write("openapi/upstream.yaml", &edited);
    scratch.assert_rejected(
        &["codegen", "--check"],
        &[
            "openapi/upstream.yaml is not the document",
            "openapi/overlay.yaml",
        ],
    );
}

/// A document older than the committed one (a stale copy served again) is
/// flagged at the top of the body, beside both documents' dates.
#[test]
fn an_older_document_than_the_committed_one_is_flagged() {
    let scratch = Scratch::new(&data(OLDER));
    let newer = document(&scratch, "ultravox-openapi-2026-07-02.yaml", &data(NEWER));
    scratch.assert_ok(&["sync", "--from", newer.to_str().unwrap()]);
    let older = document(&scratch, "ultravox-openapi-2025-09-29.yaml", &data(OLDER));
    let tools = semver_tool(Some((COMPATIBLE, 0)));
    let watched = watch(&scratch, older.to_str().unwrap(), tools.path(), &[]);
    assert_eq!(watched.code, 0, "{}", watched.stderr);
    let body = watched.file("body.md");
    assert!(
        body.contains(
            "**This document (`2025-09-29`) is older than the committed one (`2026-07-02`).**"
        ),
        "{body}"
    );
    assert!(
        body.contains("| previous | `2026-07-02` |") && body.contains("| new | `2025-09-29` |"),
        "{body}"
    );
}
