//! The vendor's document is untrusted input: documents made from the real
//! one by small hostile edits, synced or watched on a scratch project. Each
//! test is one class of attack (see `xtask/src/sinks/mod.rs` for the sinks
//! and their encoders).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use support::{NEWER, OLDER, Scratch, data, workspace};

/// The real document, as JSON to edit.
fn newer() -> Value {
    serde_saphyr::from_str(&data(NEWER)).unwrap()
}

fn text(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap()
}

/// The listing operation every scratch project exposes.
fn listing(document: &mut Value) -> &mut Value {
    document["paths"]["/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls"]["get"]
        .as_object_mut()
        .map(|_| ())
        .unwrap();
    &mut document["paths"]["/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls"]["get"]
}

fn schema<'d>(document: &'d mut Value, name: &str) -> &'d mut Value {
    let schema = &mut document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

/// Every doc comment of `code` (`///` lines): code blocks are `text`, and
/// outside code spans and blocks no HTML tag opens.
fn assert_docs_inert(code: &str) {
    let mut in_block = false;
    for line in code.lines() {
        let Some(doc) = line.trim_start().strip_prefix("///") else {
            continue;
        };
        let doc = doc.trim_start();
        if doc.starts_with("```") || doc.starts_with("~~~") {
            if !in_block {
                assert_eq!(doc, "```text", "a code block rustdoc would run:\n{line}");
            }
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let outside: String = doc
            .split('`')
            .enumerate()
            .filter(|(index, _)| index % 2 == 0)
            .map(|(_, piece)| piece.replace("\\<", ""))
            .collect();
        for tag in ["<img", "<script", "<div"] {
            assert!(!outside.contains(tag), "HTML in rustdoc:\n{line}");
        }
    }
    assert!(!in_block, "a code block left open");
}

/// 1. Nothing of the document runs: fenced blocks of any info string,
///    hidden `# ` lines, an indented block and HTML, in a schema, a
///    property, an operation, a parameter and an enum.
#[test]
fn document_text_never_becomes_a_doctest_or_html() {
    let mut document = newer();
    let fenced = "Calls.\n\n```rust\n# fn hidden() { std::process::exit(3) }\nfn main() {}\n```";
    schema(&mut document, "ScheduledCall")["description"] = json!(fenced);
    schema(&mut document, "ScheduledCall")["properties"]["error"]["description"] =
        json!("Why.\n\n    std::process::abort();\n\nThe end.");
    schema(&mut document, "ScheduledCallStatusEnum")["description"] = json!(
        "`<img src=x onerror=alert(1)>` and <img src=x onerror=alert(2)> ` unclosed <script>"
    );
    let operation = listing(&mut document);
    operation["description"] = json!("~~~ignore\npanic!()\n~~~\n```compile_fail,should_panic\nx\n");
    operation["parameters"][0]["description"] =
        json!("<div onclick=x>cursor</div>\n```\nrun()\n```");
    let scratch = Scratch::new(&text(&document));
    scratch.assert_ok(&["codegen"]);
    let generated = scratch.read("generated-client/src/generated.rs");
    assert_docs_inert(&generated);
    for shown in [
        "```text",
        "fn hidden()",
        "std::process::abort();",
        "\\<img src=x",
    ] {
        assert!(generated.contains(shown), "{shown} is not shown as text");
    }
}

/// The terminal never receives a control character from the document.
#[test]
fn sync_shows_control_characters_escaped() {
    let scratch = Scratch::generated(&data(NEWER));
    let mut document = newer();
    schema(&mut document, "ScheduledCall")["properties"]["evil\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\rhidden"] =
        json!({ "type": "string" });
    let (_, output) = scratch.sync_text(&text(&document), "json");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Refused (such a name cannot be Rust), and the refusal shows it escaped.
    assert!(!output.status.success(), "{stdout}");
    for stream in [&stdout, &stderr] {
        assert!(!stream.contains(['\u{1b}', '\u{7}', '\r']), "{stream:?}");
    }
    assert!(stderr.contains("evil\\u{1b}]52"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Runs `watch --from FROM --out OUT --check-with CHECK` with no other tool
/// on `PATH` (so no cargo-semver-checks: the verdict is `semver:unknown`).
fn watch(scratch: &Scratch, from: &Path, out: &Path, check: &Path) -> std::process::Output {
    let no_tools = tempfile::tempdir().unwrap();
    scratch.run_with_path(
        &[
            "watch",
            "--from",
            from.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--check-with",
            check.to_str().unwrap(),
        ],
        Some(no_tools.path()),
    )
}

/// `$GITHUB_OUTPUT` as the runner reads it: `NAME=VALUE` lines and
/// `NAME<<DELIMITER` … `DELIMITER` blocks; a later key wins.
fn parse_github_output(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            (Some(at), equals) if equals.is_none_or(|e| at < e) => {
                let (name, delimiter) = (&line[..at], &line[at + 2..]);
                let mut value = Vec::new();
                for next in lines.by_ref() {
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(name.to_owned(), value.join("\n"));
            }
            (_, Some(at)) => {
                outputs.insert(line[..at].to_owned(), line[at + 1..].to_owned());
            }
            _ => panic!("not an output line: {line:?}"),
        }
    }
    outputs
}

/// 5. Logs are not a command channel: a path carrying the runner's legacy
///    `##[…]` and a line-start `::` reaches stderr (in a refusal) broken
///    up, and the workflow turns commands off around the watch.
#[test]
fn the_documents_text_issues_no_workflow_command() {
    let mut document = newer();
    let forged = "/api/##[error title=x]forged/::add-mask::y";
    let paths = document["paths"].as_object_mut().unwrap();
    paths.insert(
        forged.to_owned(),
        json!({ "get": { "operationId": "forged", "responses": {} } }),
    );
    let scratch = Scratch::generated(&data(NEWER));
    let from = scratch.write("download.json", &text(&document));
    let stderr = scratch.assert_rejected(&["sync", "--from", from.to_str().unwrap()], &["forged"]);
    assert!(!stderr.contains("##["), "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|line| !line.trim_start().starts_with("::")),
        "{stderr}"
    );

    let run = workflow_step("cargo xtask watch");
    let off = run.find("echo \"::stop-commands::$token\"").expect(&run);
    let watch = run.find("cargo xtask watch").expect(&run);
    let on = run.find("echo \"::$token::\"").expect(&run);
    assert!(off < watch && watch < on, "{run}");
    assert!(
        run.contains("/dev/urandom"),
        "a token nobody can guess: {run}"
    );
}

/// The script of the step named `name` of the watch job, as written in
/// `.github/workflows/upstream.yml`.
fn workflow_step(name: &str) -> String {
    let workflow: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(workspace().join(".github/workflows/upstream.yml")).unwrap(),
    )
    .unwrap();
    workflow["jobs"]["watch"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["name"] == name)
        .and_then(|step| step["run"].as_str())
        .unwrap_or_else(|| panic!("no step {name:?}"))
        .to_owned()
}

/// The workflow step that turns the watch's files into the pull request's
/// inputs, as written in `.github/workflows/upstream.yml`.
fn pull_request_inputs_step() -> String {
    workflow_step("Pull request inputs")
}

/// 4. The pull request says what happened, only: a document whose names
///    carry a commit trailer, a mention, a reference, a comment and an
///    image sets no title, label or trailer, and renders inert.
#[test]
fn the_pull_request_carries_no_document_text_but_inert() {
    let scratch = Scratch::generated(&data(OLDER));
    let mut document = newer();
    let markdown =
        "tag @octocat #1 <!-- ![x](https://evil.example/x.png) [y](https://evil.example)";
    schema(&mut document, "ScheduledCall")["properties"][markdown] =
        json!({ "type": "string", "nullable": true });
    schema(&mut document, "ScheduledCallStatusEnum")["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!(
            "x` Co-authored-by: Mallory <m@evil.example> @octocat"
        ));
    let newer = scratch.write("ultravox-openapi-2026-07-02.json", &text(&document));
    let out = tempfile::tempdir().unwrap();
    let output = watch(&scratch, &newer, out.path(), Path::new("/bin/true"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let file = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();

    let github_output = out.path().join("github-output");
    let status = std::process::Command::new("bash")
        .args(["-e", "-c", &pull_request_inputs_step()])
        .env("WATCH_DIR", out.path())
        .env("GITHUB_OUTPUT", &github_output)
        .status()
        .unwrap();
    assert!(status.success());
    let outputs = parse_github_output(&std::fs::read_to_string(&github_output).unwrap());
    assert_eq!(outputs.len(), 3, "{outputs:?}");
    assert_eq!(outputs["title"], file("title.txt").trim_end());
    assert_eq!(outputs["labels"], file("labels.txt").trim_end());
    assert_eq!(outputs["message"], file("commit-message.txt").trim_end());

    assert_eq!(file("title.txt").lines().count(), 1);
    assert!(
        file("labels.txt")
            .lines()
            .all(|label| label.starts_with("api:") || label.starts_with("semver:")),
        "{}",
        file("labels.txt")
    );
    let message = file("commit-message.txt");
    for line in message.lines() {
        for trailer in ["Co-authored-by:", "Signed-off-by:"] {
            assert!(!line.starts_with(trailer), "a forged trailer:\n{message}");
        }
    }
    assert!(
        message.contains("Co-authored-by: Mallory"),
        "shown, inside a line: {message}"
    );

    let body = file("body.md");
    for line in body.lines() {
        let outside: String = line
            .split('`')
            .enumerate()
            .filter(|(index, _)| index % 2 == 0)
            .map(|(_, piece)| piece)
            .collect();
        for live in [
            "@octocat",
            "#1 ",
            "<!--",
            "![x]",
            "](https://evil",
            "Co-authored-by",
        ] {
            assert!(!outside.contains(live), "live {live:?} in body.md:\n{line}");
        }
    }
    assert!(body.contains("@octocat"), "the name is shown, as code");
}

#[test]
fn github_output_is_parsed_as_the_runner_does() {
    let parsed = parse_github_output("a=1\nb<<X\nline 1\nline 2\nX\na=2\n");
    assert_eq!(parsed["a"], "2");
    assert_eq!(parsed["b"], "line 1\nline 2");
    assert!(
        Path::new(&workspace())
            .join(".github/workflows/upstream.yml")
            .exists()
    );
}

/// 2 and 4. A name that carries a line break (a forged trailer) is refused;
///    the refusal issue shows it inert, on one line.
#[test]
fn a_name_with_a_line_break_is_refused_and_shown_inert() {
    let scratch = Scratch::generated(&data(OLDER));
    let mut document = newer();
    schema(&mut document, "ScheduledCall")["properties"]["note\nCo-authored-by: Mallory <m@evil.example>"] =
        json!({ "type": "string" });
    let newer = scratch.write("ultravox-openapi-2026-07-02.json", &text(&document));
    let out = tempfile::tempdir().unwrap();
    let output = watch(&scratch, &newer, out.path(), Path::new("/bin/true"));
    assert_eq!(output.status.code(), Some(2));
    let failure = std::fs::read_to_string(out.path().join("failure.md")).unwrap();
    let cause = failure
        .lines()
        .find(|line| line.starts_with("**Cause:**"))
        .expect("a cause line");
    assert!(cause.contains("note\\nCo-authored-by"), "{failure}");
    assert!(
        !failure
            .lines()
            .any(|line| line.starts_with("Co-authored-by")),
        "{failure}"
    );
}

/// Syncs `document` into a project generated from the real one; asserts
/// the refusal names each of `needles` and changes no file.
fn assert_sync_refused(document: &Value, needles: &[&str]) -> Scratch {
    let scratch = Scratch::generated(&data(NEWER));
    let from = scratch.write("download.json", &text(document));
    scratch.assert_rejected(&["sync", "--from", from.to_str().unwrap()], needles);
    scratch
}

/// 2. Accepted by `sync` means it builds: a schema named like what the
///    generated code already has in scope (the prelude's, an import, the
///    builders' own items) and a request property named like a builder's
///    method are refused by `sync` itself, naming them, not only by the
///    watch's build check.
#[test]
fn names_the_generated_scope_holds_are_refused_by_sync() {
    // The repository's own operations, so that the builders' helpers
    // (`Text`, `Items`) are generated too.
    let scratch = Scratch::new(&data(NEWER));
    for relative in [
        "openapi/operations.yaml",
        "openapi/overlay.yaml",
        "generated-client/Cargo.toml",
    ] {
        scratch.write(
            relative,
            &std::fs::read_to_string(workspace().join(relative)).unwrap(),
        );
    }
    scratch.assert_ok(&["codegen"]);
    for name in [
        "String",
        "Default",
        "FieldError",
        "IntoField",
        "Text",
        "Items",
    ] {
        let mut document = newer();
        document["components"]["schemas"][name] =
            json!({ "type": "object", "properties": { "x": { "type": "string" } } });
        schema(&mut document, "ScheduledCall")["properties"]["extra"] =
            json!({ "$ref": format!("#/components/schemas/{name}") });
        let from = scratch.write("download.json", &text(&document));
        scratch.assert_rejected(
            &["sync", "--from", from.to_str().unwrap()],
            &[&format!("`{name}`")],
        );
    }
    // The backstop: what still does not build is refused by sync's own
    // build check (here a program that fails), and every file is put back.
    let mut document = newer();
    schema(&mut document, "ScheduledCall")["properties"]["note"] = json!({ "type": "string" });
    let from = scratch.write("download.json", &text(&document));
    scratch.assert_rejected(
        &[
            "sync",
            "--from",
            from.to_str().unwrap(),
            "--check-with",
            "/bin/false",
        ],
        &["does not build", "/bin/false check"],
    );
    let mut document = newer();
    schema(&mut document, "ScheduledCallBatch")["properties"]["build"] =
        json!({ "type": "string", "nullable": true });
    let from = scratch.write("download.json", &text(&document));
    scratch.assert_rejected(
        &["sync", "--from", from.to_str().unwrap()],
        &["two methods `build`"],
    );
}

/// 2. Accepted means it builds: names that collide once sanitised, names
///    with hidden or non-ASCII characters, invalid header parameters, the
///    auth header as a parameter, paths that leave the base URL, duplicate
///    operationIds and JSON duplicate keys are refused, naming the place.
#[test]
fn what_would_not_build_is_refused_naming_it() {
    for (a, b) in [
        ("self", "Self"),
        ("fooBar", "foo_bar"),
        ("pageSize", "page_size"),
    ] {
        let mut document = newer();
        let properties = &mut schema(&mut document, "ScheduledCall")["properties"];
        properties[a] = json!({ "type": "string" });
        properties[b] = json!({ "type": "string" });
        assert_sync_refused(&document, &[a, b, "same Rust name"]);
    }
    for name in ["caf\u{e9}", "zero\u{200b}width", "x\u{202e}y", "!!!"] {
        let mut document = newer();
        schema(&mut document, "ScheduledCall")["properties"][name] = json!({ "type": "string" });
        assert_sync_refused(&document, &["ScheduledCall", "cannot become a Rust name"]);
    }
    for header in ["Bad\r\nHeader", "X-API-Key"] {
        let mut document = newer();
        listing(&mut document)["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "name": header, "in": "header", "schema": { "type": "string" } }));
        assert_sync_refused(&document, &["header parameter"]);
    }
    let mut document = newer();
    listing(&mut document)["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "send", "in": "query", "schema": { "type": "string" } }));
    assert_sync_refused(&document, &["parameter send", "request method `send`"]);

    let mut document = newer();
    let paths = document["paths"].as_object_mut().unwrap();
    let key = "/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls";
    let mut item = paths[key].clone();
    item["get"]["operationId"] = json!("evil_admin");
    paths.insert(format!("{key}/../../../admin"), item);
    assert_sync_refused(&document, &["`..` segment"]);

    let mut document = newer();
    let id = listing(&mut document)["operationId"].clone();
    let first_other = document["paths"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .find(|(path, _)| !path.ends_with("/scheduled_calls"))
        .map(|(_, item)| item)
        .unwrap();
    let method = ["get", "post", "put", "patch", "delete"]
        .into_iter()
        .find(|m| first_other.get(*m).is_some())
        .unwrap();
    first_other[method]["operationId"] = id;
    assert_sync_refused(&document, &["used twice"]);

    let scratch = Scratch::generated(&data(NEWER));
    let duplicated = text(&newer()).replacen(
        "\"openapi\":",
        "\"info\": {\"title\": \"forged\", \"version\": \"0\"},\n  \"openapi\":",
        1,
    );
    let from = scratch.write("download.json", &duplicated);
    scratch.assert_rejected(
        &["sync", "--from", from.to_str().unwrap()],
        &["\"info\" appears twice"],
    );
}

/// 3. The key stays with the API's origin: a new host, port or scheme is
///    refused unless the overlay lists it; `http://` never passes.
#[test]
fn the_origin_moves_only_where_the_overlay_allows() {
    for url in [
        "https://evil.example",
        "https://api.ultravox.ai:8443",
        "http://api.ultravox.ai",
        "https://api.ultravox.ai/?x=1",
        "https://api.ultravox.ai#frag",
    ] {
        let mut document = newer();
        document["servers"][0]["url"] = json!(url);
        assert_sync_refused(&document, &[url]);
    }
    // A new path on the same origin needs no overlay, and the report does
    // not claim that the overlay allowed it.
    let mut document = newer();
    document["servers"][0]["url"] = json!("https://api.ultravox.ai/v2");
    let scratch = Scratch::generated(&data(NEWER));
    let from = scratch.write("download.json", &text(&document));
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
    assert!(
        report.contains("only the path changes") && !report.contains("allows the new origin"),
        "{report}"
    );
    let mut document = newer();
    document["servers"][0]["url"] = json!("https://api2.ultravox.ai");
    let scratch = Scratch::generated(&data(NEWER));
    let overlay = scratch.read("openapi/overlay.yaml");
    scratch.write(
        "openapi/overlay.yaml",
        &overlay.replacen(
            "actions:",
            "x-allowed-origins:\n  - https://api2.ultravox.ai\nactions:",
            1,
        ),
    );
    let from = scratch.write("download.json", &text(&document));
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
    let first_lines: String = report.lines().take(3).collect::<Vec<_>>().join("\n");
    assert!(
        first_lines.contains("The API's server changes")
            && first_lines.contains("https://api2.ultravox.ai")
            && first_lines.contains("allows the new origin"),
        "{report}"
    );
}

/// 6. Work is bounded by time and memory, not by counts: an `allOf` of ten
///    two-way `oneOf`s (a kilobyte that grows exponentially in the
///    generator) is stopped at the time limit, and 60 schemas of 1,000
///    properties (within every count) at the memory limit; each refusal
///    names the stage and the limit, and no file changes. The limits are
///    lowered here to keep the test short; the defaults are 60 s and 1 GiB.
#[test]
fn work_over_the_time_or_memory_limit_is_refused_naming_the_stage() {
    let scratch = Scratch::generated(&data(NEWER));
    let mut document = newer();
    let members: Vec<Value> = (0..10)
        .map(|i| {
            json!({ "oneOf": [
                { "type": "object", "required": [format!("a{i}")],
                  "properties": { format!("a{i}"): { "type": "string" } } },
                { "type": "object", "required": [format!("b{i}")],
                  "properties": { format!("b{i}"): { "type": "integer" } } },
            ] })
        })
        .collect();
    document["components"]["schemas"]["Exploding"] = json!({ "allOf": members });
    schema(&mut document, "ScheduledCall")["properties"]["exploding"] =
        json!({ "$ref": "#/components/schemas/Exploding" });
    let from = scratch.write("download.json", &text(&document));
    let started = std::time::Instant::now();
    scratch.assert_rejected(
        &[
            "sync",
            "--from",
            from.to_str().unwrap(),
            "--time-limit",
            "2",
        ],
        &["the generate stage", "time limit of 2 s"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    // The watch refuses it like any other document: its refusal issue.
    let out = tempfile::tempdir().unwrap();
    let watched = scratch.run_with_path(
        &[
            "watch",
            "--from",
            from.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--check-with",
            "/bin/true",
            "--time-limit",
            "2",
        ],
        None,
    );
    assert_eq!(watched.status.code(), Some(2));
    let failure = std::fs::read_to_string(out.path().join("failure.md")).unwrap();
    assert!(failure.contains("time limit of 2 s"), "{failure}");

    let mut document = newer();
    for s in 0..60 {
        let properties: serde_json::Map<String, Value> = (0..1_000)
            .map(|i| {
                (
                    format!("p{i}"),
                    json!({ "type": "string", "nullable": true }),
                )
            })
            .collect();
        document["components"]["schemas"][format!("Wide{s}")] =
            json!({ "type": "object", "properties": properties });
        schema(&mut document, "ScheduledCall")["properties"][format!("wide{s}")] =
            json!({ "$ref": format!("#/components/schemas/Wide{s}") });
    }
    let from = scratch.write("download.json", &text(&document));
    scratch.assert_rejected(
        &[
            "sync",
            "--from",
            from.to_str().unwrap(),
            "--memory-limit",
            "256",
        ],
        &["stage ran over its memory limit of 256 MiB"],
    );
}

/// 6 (small). Every secret-like name an added property may have is named
///    in the report's "Secrets to mark", from the one table of secret words.
#[test]
fn secret_like_properties_are_named_for_marking() {
    let names = [
        "sipPassphrase",
        "credentials",
        "pwd",
        "authorization",
        "signingHmac",
        "privateKey",
    ];
    let mut document = newer();
    for name in names {
        schema(&mut document, "ScheduledCall")["properties"][name] =
            json!({ "type": "string", "nullable": true });
    }
    let scratch = Scratch::generated(&data(NEWER));
    let from = scratch.write("download.json", &text(&document));
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
    let secrets: String = report
        .split("### Secrets to mark")
        .nth(1)
        .unwrap_or_else(|| panic!("no secrets section:\n{report}"))
        .to_owned();
    for name in names {
        assert!(
            secrets.contains(&format!("ScheduledCall.{name}`")),
            "{name}:\n{secrets}"
        );
    }
}

/// 6. What the tests generate is bounded: a pattern whose shortest match
///    is a billion characters, on a field the decode property test samples,
///    is refused naming it; so is one that is no regular expression.
#[test]
fn patterns_whose_samples_would_be_huge_are_refused() {
    for (pattern, why) in [
        ("^(?:(?:a{1000}){1000}){1000}$", "1000000000 bytes"),
        ("^(?=lookahead)$", "not a regular expression"),
    ] {
        let mut document = newer();
        schema(&mut document, "ScheduledCall")["properties"]["error"] =
            json!({ "type": "string", "nullable": true, "pattern": pattern });
        assert_sync_refused(&document, &[pattern, why]);
    }
}

/// 6. No hang, bounded work: component cycles without structure are
///    refused at once, naming the cycle; a document over a budget names
///    what is big; `--from FILE` has the download's size cap.
#[test]
fn cycles_and_oversized_documents_are_refused_at_once() {
    let started = std::time::Instant::now();
    let mut document = newer();
    document["components"]["parameters"] = json!({
        "P": { "$ref": "#/components/parameters/Q" },
        "Q": { "$ref": "#/components/parameters/P" },
    });
    listing(&mut document)["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "$ref": "#/components/parameters/P" }));
    assert_sync_refused(
        &document,
        &["#/components/parameters/P → #/components/parameters/Q"],
    );

    let mut document = newer();
    let medium = schema(&mut document, "ScheduledCall")["properties"]["medium"].clone();
    assert!(medium.is_object());
    document["components"]["schemas"]["LoopA"] = json!({ "$ref": "#/components/schemas/LoopB" });
    document["components"]["schemas"]["LoopB"] = json!({ "$ref": "#/components/schemas/LoopA" });
    schema(&mut document, "ScheduledCall")["properties"]["loop"] =
        json!({ "$ref": "#/components/schemas/LoopA" });
    assert_sync_refused(&document, &["LoopA", "LoopB", "no structure"]);

    let mut document = newer();
    let values: Vec<String> = (0..100_000).map(|i| format!("value_{i}")).collect();
    schema(&mut document, "ScheduledCallStatusEnum")["enum"] = json!(values);
    assert_sync_refused(&document, &["100000 values", "--budget"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    let scratch = Scratch::generated(&data(NEWER));
    let big = scratch.path("big.yaml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(33 * 1024 * 1024).unwrap();
    scratch.assert_rejected(
        &["sync", "--from", big.to_str().unwrap()],
        &["over the size limit"],
    );
}

/// The project's files, by path relative to it.
fn tree(scratch: &Scratch) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    scratch
        .files()
        .into_iter()
        .map(|(path, bytes)| {
            (
                path.strip_prefix(scratch.path("")).unwrap().to_path_buf(),
                bytes,
            )
        })
        .collect()
}

/// 7. All or nothing, even under SIGKILL: a sync killed at any moment
///    leaves the old tree, or a journal that `codegen --check` names and
///    the same sync run again completes; it never leaves a mixed tree or a
///    stray temporary file.
#[test]
fn a_sync_killed_at_any_moment_is_completed_by_the_next_run() {
    let (expected_new, took) = {
        let scratch = Scratch::generated(&data(OLDER));
        let from = scratch.write("download.yaml", &data(NEWER));
        let started = std::time::Instant::now();
        scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
        (tree(&scratch), started.elapsed())
    };
    let mut outcomes = BTreeMap::<&str, usize>::new();
    // Kills spread over the whole run, as long as it takes on this machine.
    for step in 0..12u32 {
        let delay_ms = (took * step / 8).as_millis() as u64;
        let scratch = Scratch::generated(&data(OLDER));
        let from = scratch.write("download.yaml", &data(NEWER));
        let old = tree(&scratch);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["sync", "--from", from.to_str().unwrap(), "--root"])
            .arg(scratch.path(""))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let after = tree(&scratch);
        let outcome = if after == old {
            "old tree"
        } else if after == expected_new {
            "new tree"
        } else {
            // Only the journal may differ from one of the two trees.
            let journal = scratch.path(".xtask-write");
            assert!(
                journal.exists(),
                "a mixed tree without a journal at {delay_ms} ms"
            );
            let check = scratch.run(&["codegen", "--check"]);
            let stderr = String::from_utf8_lossy(&check.stderr);
            assert!(
                !check.status.success() && stderr.contains(".xtask-write"),
                "{stderr}"
            );
            "journal"
        };
        *outcomes.entry(outcome).or_default() += 1;
        scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
        assert!(
            tree(&scratch) == expected_new,
            "the rerun after a kill at {delay_ms} ms ({outcome}) did not reach the new tree"
        );
    }
    assert!(outcomes.values().sum::<usize>() == 12, "{outcomes:?}");
}

/// 7, deterministically: the states a kill can leave, made by hand. A
/// journal with a committed plan and half its files moved is completed; one
/// without a plan is discarded; `codegen --check` names either.
#[test]
fn an_interrupted_write_is_completed_or_undone_by_the_next_run() {
    let expected_new = {
        let scratch = Scratch::generated(&data(OLDER));
        let from = scratch.write("download.yaml", &data(NEWER));
        scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
        tree(&scratch)
    };
    for committed in [true, false] {
        let scratch = Scratch::generated(&data(OLDER));
        let from = scratch.write("download.yaml", &data(NEWER));
        let old = tree(&scratch);
        let changed: Vec<&std::path::PathBuf> = expected_new
            .iter()
            .filter(|(path, bytes)| old.get(*path) != Some(*bytes))
            .map(|(path, _)| path)
            .collect();
        assert!(changed.len() >= 4, "{changed:?}");
        let journal = scratch.path(".xtask-write");
        std::fs::create_dir_all(&journal).unwrap();
        for (index, path) in changed.iter().enumerate() {
            std::fs::write(journal.join(index.to_string()), &expected_new[*path]).unwrap();
        }
        if committed {
            let plan: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
            std::fs::write(
                journal.join("plan.json"),
                serde_json::to_string(&plan).unwrap(),
            )
            .unwrap();
            // Killed after moving the first half into place.
            for (index, path) in changed.iter().enumerate().take(changed.len() / 2) {
                std::fs::rename(
                    journal.join(index.to_string()),
                    scratch.path(&path.display().to_string()),
                )
                .unwrap();
            }
        }
        let check = scratch.run(&["codegen", "--check"]);
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert!(
            !check.status.success() && stderr.contains(".xtask-write"),
            "{stderr}"
        );
        scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
        assert!(!journal.exists());
        assert!(tree(&scratch) == expected_new, "committed: {committed}");
    }
}

/// 7, planted: a plan naming an absolute path, one with `..`, or one
/// through a symbolic link is refused naming the journal, and nothing
/// moves (`codegen` is what `codegen --check` tells a user to run).
#[test]
fn a_planted_journal_moves_nothing_outside_the_project() {
    let scratch = Scratch::generated(&data(NEWER));
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), scratch.path("link")).unwrap();
    let victim = outside.path().join("victim.txt");
    for planted in [
        victim.display().to_string(),
        "../escaped.txt".to_owned(),
        "openapi/../../escaped.txt".to_owned(),
        "link/victim.txt".to_owned(),
    ] {
        let journal = scratch.path(".xtask-write");
        std::fs::create_dir_all(&journal).unwrap();
        std::fs::write(journal.join("0"), "planted").unwrap();
        std::fs::write(
            journal.join("plan.json"),
            serde_json::to_string(&[&planted]).unwrap(),
        )
        .unwrap();
        let before = tree(&scratch);
        let stderr = scratch.assert_rejected(&["codegen"], &[".xtask-write", "nothing was moved"]);
        assert!(stderr.contains(&planted), "{stderr}");
        assert!(!victim.exists(), "{planted}");
        assert!(!scratch.path("../escaped.txt").exists(), "{planted}");
        assert!(journal.join("0").exists(), "{planted}");
        assert!(tree(&scratch) == before, "{planted}");
        std::fs::remove_dir_all(&journal).unwrap();
    }
}

/// 8. Provenance is the truth: a redirect to another origin, a 304 to a
///    request that named no version, a compressed body and a body cut
///    short are refused naming that cause; a redirect within the origin is
///    followed.
#[test]
fn downloads_are_refused_for_their_real_cause() {
    use support::http::{Reply, Server};
    let newer = data(NEWER);
    let cases: Vec<(Vec<Reply>, &[&str])> = vec![
        (
            vec![Reply::status(302, "").header("location", "https://evil.example/schema.yaml")],
            &[
                "redirected to https://evil.example/schema.yaml",
                "not on its origin",
            ],
        ),
        (
            vec![Reply::status(304, "")],
            &["304 Not Modified", "named no version"],
        ),
        (
            vec![Reply::ok(newer.clone()).header("content-encoding", "gzip")],
            &["compressed with gzip"],
        ),
        (
            vec![Reply::ok(vec![0x1f, 0x8b, 8, 0, 0, 0])],
            &["gzip-compressed body"],
        ),
        (
            vec![Reply::Short {
                announced: newer.len(),
                body: newer.as_bytes()[..1000].to_vec(),
            }],
            &["cut short"],
        ),
    ];
    let scratch = Scratch::generated(&data(OLDER));
    for (script, needles) in cases {
        let server = Server::start(script);
        scratch.assert_rejected(&["sync", "--from", &server.url, "--timeout", "5"], needles);
    }
    let server = Server::start(vec![
        Reply::status(301, "").header("location", "/api/schema2/"),
        Reply::ok(newer),
    ]);
    scratch.assert_ok(&["sync", "--from", &server.url]);
    assert_eq!(server.requests().len(), 2);
    assert!(
        server.requests()[1][0].starts_with("GET /api/schema2/"),
        "{:?}",
        server.requests()
    );
}

/// 2, the backstop: `watch` says `changed` only for a client that builds;
/// a check that fails is a refusal naming the compiler's error, and the
/// tree is put back.
#[test]
fn a_client_that_does_not_build_is_refused_and_the_tree_put_back() {
    let scratch = Scratch::generated(&data(OLDER));
    let before = tree(&scratch);
    let newer = scratch.write("ultravox-openapi-2026-07-02.yaml", &data(NEWER));
    let tools = tempfile::tempdir().unwrap();
    let check = tools.path().join("fake-cargo");
    std::fs::write(
        &check,
        "#!/bin/sh\necho '   Compiling ultravox-client' >&2\n\
         echo 'error[E0428]: the name `Foo` is defined multiple times' >&2\nexit 101\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&check, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = watch(&scratch, &newer, out.path(), &check);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let failure = std::fs::read_to_string(out.path().join("failure.md")).unwrap();
    assert!(
        failure.contains("does not build") && failure.contains("E0428"),
        "{failure}"
    );
    let mut after = tree(&scratch);
    after.remove(std::path::Path::new("ultravox-openapi-2026-07-02.yaml"));
    assert!(after == before, "the tree was not put back");
}

/// Copies the directory `from` to `to`, files and folders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// 1, end to end: a document whose descriptions carry code blocks in every
/// container CommonMark has, HTML, links, images, intra-doc-looking
/// brackets and bare URLs is synced into a copy of the client (its build
/// check on), then `cargo test --doc` runs no code of it and `cargo doc`
/// passes under `-D warnings` with no live HTML or link on the pages.
/// Builds the client (sharing `target/hostile-docs` between runs); `.ci/run`
/// runs it.
#[test]
#[ignore = "builds and documents the client; run by .ci/run"]
fn a_hostile_document_neither_runs_nor_renders_nor_fails_the_docs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The whole workspace, so that `--locked` holds (its target is apart).
    for relative in ["Cargo.toml", "Cargo.lock", "README.md"] {
        std::fs::copy(workspace().join(relative), root.join(relative)).unwrap();
    }
    for folder in ["openapi", "generated-client", "xtask", "tests", ".cargo"] {
        copy_tree(&workspace().join(folder), &root.join(folder));
    }

    // Each runnable form writes a marker if it ever runs.
    let marker = root.join("RAN");
    let run = format!(
        "std::fs::write({:?}, \"\").unwrap();",
        marker.display().to_string()
    );
    let forms = [
        format!("> ~~~\n> {run}\n> ~~~"),
        format!(">     {run}"),
        format!(">\t\t{run}"),
        format!("-     {run}"),
        format!("- ~~~\n      {run}\n  ~~~"),
        format!("1. ~~~rust\n   {run}\n   ~~~"),
        format!("> - > 1. ```\n>   >    {run}\n>   >    ```"),
        format!("Text.\n\n\t{run}"),
        "\\`<img src=x onerror=alert(document.domain)>`".to_owned(),
        "[x](javascript:alert(1)) and ![logo](https://evil.example/x.png)".to_owned(),
        "[ref]\n\n[ref]: javascript:alert(2)".to_owned(),
        "See [Foo] and [`Bar`], or [^1].\n\n[^1]: https://evil.example/note".to_owned(),
        "> quoted https://docs.example/a and *https://docs.example/b* and <https://c.example>"
            .to_owned(),
        "<script>alert(3)</script>\n\n<div onclick=\"x()\">\n*md*\n</div>".to_owned(),
    ];
    let mut document = newer();
    let all = forms.join("\n\n");
    schema(&mut document, "ScheduledCall")["description"] = json!(all);
    for (i, form) in forms.iter().enumerate() {
        schema(&mut document, "ScheduledCall")["properties"][format!("hostile{i}")] =
            json!({ "type": "string", "nullable": true, "description": form });
    }
    listing(&mut document)["description"] = json!(all);
    listing(&mut document)["summary"] = json!(forms[0]);
    let from = root.join("download.json");
    std::fs::write(&from, text(&document)).unwrap();

    let target = workspace().join("target/hostile-docs");
    let cargo = env!("CARGO");
    let synced = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "sync",
            "--from",
            from.to_str().unwrap(),
            "--check-with",
            cargo,
        ])
        .arg("--root")
        .arg(root)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let generated =
        std::fs::read_to_string(root.join("generated-client/src/generated.rs")).unwrap();
    assert!(
        generated.contains("hostile13"),
        "the properties were generated"
    );

    let cargo_in_copy = |args: &[&str], rustdocflags: &str| {
        std::process::Command::new(cargo)
            .args(args)
            .args(["--locked", "-p", "ultravox-client", "--all-features"])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTDOCFLAGS", rustdocflags)
            .output()
            .unwrap()
    };
    let doc = cargo_in_copy(&["doc", "--no-deps"], "-D warnings");
    assert!(
        doc.status.success(),
        "cargo doc fails under -D warnings:\n{}",
        String::from_utf8_lossy(&doc.stderr)
    );
    let page =
        std::fs::read_to_string(target.join("doc/ultravox_client/types/struct.ScheduledCall.html"))
            .unwrap();
    assert!(
        page.contains("hostile13"),
        "the page documents the properties"
    );
    for live in [
        "<img src=x",
        "<img src=\"https://evil",
        "href=\"javascript",
        "<script>alert",
        "onclick=\"x()",
    ] {
        assert!(
            !page.contains(live),
            "{live} is live on the ScheduledCall page"
        );
    }

    let tested = cargo_in_copy(&["test", "--doc"], "");
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(!marker.exists(), "a doctest of the document ran:\n{stdout}");
    assert!(
        !stdout.contains("generated.rs"),
        "a doctest was collected from the generated code:\n{stdout}"
    );
}
