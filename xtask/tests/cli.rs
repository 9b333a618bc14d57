//! `cargo xtask codegen` and `cargo xtask sync` end to end: the real binary
//! on a scratch copy of the project, with the vendor's real documents
//! (copied into `tests/data/`). Every failure must say what is wrong in one
//! message and leave every file as it was.

mod support;

use std::process::Command;

use serde_json::Value;
use support::{NEWER, OLDER, Scratch, data, workspace};

fn schema_names(spec: &Value) -> Vec<String> {
    spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn slicing_the_newer_document_gives_one_path_and_its_19_schemas() {
    let scratch = Scratch::generated(&data(NEWER));
    let spec = scratch.derived();
    let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls"]
    );
    let mut expected: Vec<String> = [
        "PaginatedScheduledCallList",
        "ScheduledCall",
        "ScheduledCallStatusEnum",
        "ultravox.v1.CallMedium",
        "ultravox.v1.CallMedium_WebRtcMedium",
        "ultravox.v1.CallMedium_TwilioMedium",
        "ultravox.v1.CallMedium_TelnyxMedium",
        "ultravox.v1.CallMedium_PlivoMedium",
        "ultravox.v1.CallMedium_ExotelMedium",
        "ultravox.v1.CallMedium_WebSocketMedium",
        "ultravox.v1.CallMedium_SipMedium",
        "ultravox.v1.CallMedium_DtmfHandling",
        "ultravox.v1.CallMedium_DtmfUserTextMessage",
        "ultravox.v1.EnabledDataMessages",
        "ultravox.v1.TwilioMedium_OutgoingRequestParams",
        "ultravox.v1.TelnyxMedium_OutgoingRequestParams",
        "ultravox.v1.PlivoMedium_OutgoingRequestParams",
        "ultravox.v1.SipMedium_SipIncoming",
        "ultravox.v1.SipMedium_SipOutgoing",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.sort();
    assert_eq!(schema_names(&spec), expected);
    // The multipart operations of the full document are outside the slice.
    assert!(!scratch.read("openapi/ultravox.json").contains("multipart"));
}

#[test]
fn slicing_the_older_document_gives_the_16_schema_shape() {
    let spec = Scratch::generated(&data(OLDER)).derived();
    let names = schema_names(&spec);
    assert_eq!(names.len(), 16, "{names:?}");
    for gone in [
        "ultravox.v1.CallMedium_DtmfHandling",
        "ultravox.v1.EnabledDataMessages",
    ] {
        assert!(!names.iter().any(|n| n == gone), "{gone}");
    }
}

/// A schema no exposed operation reaches is generated when the overlay
/// marks it `x-exposed` (the account webhooks' event), and only then.
#[test]
fn a_schema_marked_exposed_is_generated_though_no_operation_reaches_it() {
    let scratch = Scratch::new(&data(NEWER));
    scratch.assert_ok(&["codegen"]);
    assert!(!schema_names(&scratch.derived()).contains(&"EventsEnum".to_owned()));
    let overlay = scratch.read("openapi/overlay.yaml");
    scratch.write(
        "openapi/overlay.yaml",
        &format!(
            "{overlay}\n  - description: test — expose the events\n    \
             target: \"$.components.schemas.EventsEnum\"\n    \
             update:\n      x-exposed: true\n"
        ),
    );
    scratch.assert_ok(&["codegen"]);
    assert!(schema_names(&scratch.derived()).contains(&"EventsEnum".to_owned()));
    let generated = scratch.read("generated-client/src/generated.rs");
    assert!(
        generated.contains("pub enum Events {"),
        "no `Events` generated"
    );
}

#[test]
fn sync_reports_the_changes_and_a_second_sync_changes_nothing() {
    let scratch = Scratch::generated(&data(OLDER));
    let newer = workspace().join("xtask").join(NEWER);
    let newer = newer.to_str().unwrap();
    let report_path = scratch.path("report.md");
    let report = scratch.assert_ok(&[
        "sync",
        "--from",
        newer,
        "--report",
        report_path.to_str().unwrap(),
    ]);

    assert_eq!(scratch.read("report.md"), report);
    assert_eq!(
        scratch.read("openapi/upstream.yaml"),
        data(NEWER),
        "copied byte for byte"
    );
    for schema in [
        "ultravox.v1.EnabledDataMessages`): schema added",
        "ultravox.v1.CallMedium_DtmfHandling`): schema added",
        "ultravox.v1.CallMedium_DtmfUserTextMessage`): schema added",
        "ultravox.v1.CallMedium_WebRtcMedium.dataMessages`): optional property added",
        "ultravox.v1.CallMedium_WebSocketMedium.dataMessages`): optional property added",
        "ultravox.v1.CallMedium_WebSocketMedium.mediaIdleTimeout`): optional property added",
        "ultravox.v1.CallMedium_TwilioMedium.dtmfHandling`): optional property added",
        "ultravox.v1.CallMedium_TelnyxMedium.dtmfHandling`): optional property added",
        "ultravox.v1.CallMedium_PlivoMedium.dtmfHandling`): optional property added",
        "ultravox.v1.CallMedium_ExotelMedium.dtmfHandling`): optional property added",
    ] {
        assert!(
            report.contains(schema),
            "report lacks {schema:?}:\n{report}"
        );
    }
    // `webRtc` and `exotel` were messages without fields: generated as
    // fieldless `#[non_exhaustive]` structs, so the fields they gained are
    // additive (cargo-semver-checks agrees), not a map turning into a struct.
    assert!(!report.contains("changes from a map"), "{report}");
    assert!(
        report.starts_with("## Ultravox API of 2026-07-02\n\n0 breaking, 10 additive"),
        "{report}"
    );
    // The Rust path beside the vendor's name; changed descriptions named.
    assert!(
        report.contains(
            "- `types::WebRtcMedium::data_messages` (`ultravox.v1.CallMedium_WebRtcMedium.dataMessages`): optional property added"
        ),
        "{report}"
    );
    assert!(
        report.contains("### Descriptions changed\n\n- `"),
        "{report}"
    );
    // No breaking entry, so no explanation of "breaking".
    assert!(!report.contains("stop compiling"), "{report}");
    // `mediaIdleTimeout` has a `pattern`, yet no new crate is needed: responses
    // are not validated against constraints.
    assert!(!report.contains("now uses the crate"), "{report}");

    let before = scratch.files();
    let again = scratch.assert_ok(&["sync", "--from", newer]);
    assert!(
        again.starts_with("No changes: ") && again.contains("is the committed document"),
        "{again}"
    );
    assert!(
        before == scratch.files(),
        "a second sync of the same document changed files"
    );
}

#[test]
fn serialiser_noise_makes_no_report_entry() {
    // The same document re-serialised: JSON instead of YAML, sorted keys,
    // `openapi: 3.0.4`, an explicit `required: false` on every optional parameter.
    let scratch = Scratch::generated(&data(NEWER));
    let mut document: Value = serde_saphyr::from_str(&data(NEWER)).unwrap();
    let operation = "/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls";
    for parameter in document["paths"][operation]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
    {
        let parameter = parameter.as_object_mut().unwrap();
        parameter.entry("required").or_insert(Value::Bool(false));
    }
    document["openapi"] = Value::from("3.0.4");
    let (_, output) = scratch.sync_text(&serde_json::to_string_pretty(&document).unwrap(), "json");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("No changes to the part of the API this client uses."),
        "{report}"
    );
}

#[test]
fn codegen_is_deterministic_and_check_finds_stale_files() {
    let scratch = Scratch::generated(&data(NEWER));
    let first = scratch.files();
    let output = scratch.assert_ok(&["codegen"]);
    assert!(
        output.contains("generated-client/src/generated.rs: unchanged"),
        "{output}"
    );
    assert!(first == scratch.files(), "a second run changed files");
    scratch.assert_ok(&["codegen", "--check"]);

    let generated = scratch.read("generated-client/src/generated.rs");
    assert!(
        generated.starts_with("// @generated by `cargo xtask codegen` from openapi/ultravox.json")
    );
    scratch.write(
        "generated-client/src/generated.rs",
        &generated.replace("pub struct CallMedium", "pub struct Renamed"),
    );
    let message = scratch.assert_rejected(
        &["codegen", "--check"],
        &[
            "generated-client/src/generated.rs",
            "run `cargo xtask codegen`",
        ],
    );
    assert!(
        message.contains("is stale") || message.contains("out of date"),
        "{message}"
    );
}

#[test]
fn the_committed_files_are_up_to_date_from_any_directory() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(std::env::temp_dir())
        .args(["codegen", "--check"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_enum_value_added_to_the_spec_changes_the_generated_code() {
    let scratch = Scratch::generated(&data(NEWER));
    let overlay = scratch.read("openapi/overlay.yaml");
    scratch.write(
        "openapi/overlay.yaml",
        &format!(
            "{overlay}\n  - description: test — a status the vendor adds later\n    \
             target: \"$.components.schemas.ScheduledCallStatusEnum\"\n    \
             update:\n      enum: [CANCELLED]\n"
        ),
    );
    scratch.assert_rejected(&["codegen", "--check"], &["stale", "openapi/ultravox.json"]);
    scratch.assert_ok(&["codegen"]);
    let generated = scratch.read("generated-client/src/generated.rs");
    assert!(generated.contains(r#"ScheduledCallStatus::Cancelled => "CANCELLED""#));
}

#[test]
fn generated_code_that_needs_a_missing_crate_fails_naming_it() {
    let scratch = Scratch::new(&data(NEWER));
    scratch.add_timestamp_field();
    scratch.assert_rejected(
        &["codegen"],
        &[
            "`chrono`",
            "generated-client/Cargo.toml",
            "[dependencies]",
            "chrono = { version = \"0.4",
            "features = [\"serde\"",
            "features = [\"chrono04\"]",
        ],
    );
}

#[test]
fn bad_documents_are_refused_and_change_nothing() {
    let newer = data(NEWER);
    let scratch = Scratch::generated(&data(OLDER));
    let operation = "operationId: agents_scheduled_batches_scheduled_calls_list";
    assert!(newer.contains(operation) && newer.contains("openapi: 3.0.3"));
    // (document, file extension, what the one error line must say)
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            newer.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1),
            "yaml",
            vec!["openapi: 3.1.0", "only OpenAPI 3.0.x is supported"],
        ),
        (
            newer.replacen("openapi: 3.0.3", "openapi: 3.2.0", 1),
            "yaml",
            vec![
                "openapi: 3.2.0",
                "only OpenAPI 3.0.x is supported",
                "download the document again",
            ],
        ),
        (
            "paths:\n  /x: [unclosed\n".to_owned(),
            "yaml",
            vec!["invalid YAML", "download.yaml:"],
        ),
        (
            "{\n  \"openapi\": \"3.0.3\",\n  \"paths\": {,}\n}\n".to_owned(),
            "json",
            vec!["download.json:3:", "invalid JSON"],
        ),
        (String::new(), "yaml", vec!["download.yaml is empty"]),
        (
            newer.replacen(operation, "operationId: renamed_by_the_vendor", 1),
            "yaml",
            vec![
                "`agents_scheduled_batches_scheduled_calls_list`",
                "openapi/operations.yaml",
            ],
        ),
        (
            // The operation's 200 response is no longer JSON: the overlay's
            // example action matches nothing.
            newer.replacen(
                "'200':\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/PaginatedScheduledCallList'",
                "'200':\n          content:\n            text/csv:\n              schema:\n                $ref: '#/components/schemas/PaginatedScheduledCallList'",
                1,
            ),
            "yaml",
            vec![
                "openapi/overlay.yaml: action 1",
                "response example",
                "matches nothing",
            ],
        ),
        (
            // A schema the operation reaches is gone.
            newer.replacen(
                "    ultravox.v1.EnabledDataMessages:\n",
                "    ultravox.v1.SomethingElse:\n",
                1,
            ),
            "yaml",
            vec![
                "#/components/schemas/ultravox.v1.EnabledDataMessages",
                "points at nothing",
            ],
        ),
    ];
    for (document, extension, needles) in cases {
        let from = scratch.write(&format!("download.{extension}"), &document);
        let message =
            scratch.assert_rejected(&["sync", "--from", from.to_str().unwrap()], &needles);
        assert!(
            message.lines().count() <= 3,
            "not one clear message:\n{message}"
        );
    }
    scratch.assert_rejected(
        &["sync", "--from", "/nonexistent/ultravox.yaml"],
        &["cannot read", "/nonexistent/ultravox.yaml"],
    );
}

/// Issue 20, finding 10: a document from before the exposed operation
/// existed (the vendor's history has 88 of them) is refused naming the
/// missing operation, not an overlay action that targets it.
#[test]
fn a_document_without_the_exposed_operation_is_refused_naming_it() {
    let newer = data(NEWER);
    let scratch = Scratch::generated(&newer);
    let path_item = "  /api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls:\n";
    let start = newer.find(path_item).expect("the endpoint's path item");
    let length = newer[start + path_item.len()..]
        .find("\n  /")
        .expect("another path follows")
        + 1;
    let older = format!(
        "{}{}",
        &newer[..start],
        &newer[start + path_item.len() + length..]
    );
    assert!(!older.contains("agents_scheduled_batches_scheduled_calls_list"));
    let from = scratch.write("download.yaml", &older);
    let message = scratch.assert_rejected(
        &["sync", "--from", from.to_str().unwrap()],
        &[
            "`agents_scheduled_batches_scheduled_calls_list`",
            "is not in",
            "older than the operation",
        ],
    );
    assert!(!message.contains("overlay"), "{message}");
}

#[test]
fn a_dangling_ref_outside_the_slice_does_not_matter() {
    let scratch = Scratch::generated(&data(NEWER));
    let newer = data(NEWER);
    // Point an unrelated schema at nothing.
    let broken = newer.replacen(
        "    ultravox.v1.CallMedium_WebRtcMedium:\n",
        "    Unrelated:\n      $ref: '#/components/schemas/DoesNotExist'\n    ultravox.v1.CallMedium_WebRtcMedium:\n",
        1,
    );
    assert_ne!(broken, newer);
    let (_, output) = scratch.sync_text(&broken, "yaml");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("No changes"));
}

#[test]
fn usage_errors_are_one_line_and_name_the_command() {
    let scratch = Scratch::new(&data(NEWER));
    scratch.assert_rejected(
        &["sync"],
        &["flag is required: `--from`", "cargo xtask --help"],
    );
    scratch.assert_rejected(&["codegen", "--bogus"], &["unexpected flag: `--bogus`"]);
    scratch.assert_rejected(&["publish"], &["unexpected argument: \"publish\""]);
}

/// `cargo xtask operations` lists every operation of the vendor's document,
/// marks cursor listings, and names the Rust method of the exposed ones.
#[test]
fn operations_lists_every_operation_and_the_exposed_ones() {
    let newer = data(NEWER);
    let scratch = Scratch::generated(&newer);
    let listed = scratch.assert_ok(&["operations"]);
    let ids = newer.matches("operationId:").count();
    assert!(
        listed.ends_with(&format!(
            "{ids} operations, 1 exposed (openapi/operations.yaml)\n"
        )),
        "{listed}"
    );
    assert_eq!(
        listed.lines().count(),
        ids + 2,
        "a header, a line each, a count"
    );
    let line = |id: &str| {
        listed
            .lines()
            .find(|line| line.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} not listed:\n{listed}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    let exposed = line("agents_scheduled_batches_scheduled_calls_list");
    assert_eq!(exposed[1], "GET");
    assert_eq!(&exposed[3..], ["yes", "list_scheduled_calls"]);
    let create = line("agents_scheduled_batches_create");
    assert_eq!(&create[3..], ["no", "-"]);
}

/// The lines codegen asks for when generated code needs a crate compile as
/// pasted: a `date-time` field is added, codegen's message is applied to a
/// copy of the client, and the client is checked. Ignored by `cargo test`
/// (it builds the client's dependencies, and fetches `chrono` when this
/// machine has never built it); `.ci/run` runs it.
#[test]
#[ignore = "builds the client with chrono; run by .ci/run"]
fn the_dependency_lines_codegen_asks_for_compile() {
    let scratch = Scratch::new(&data(NEWER));
    for relative in ["Cargo.toml", "README.md"] {
        std::fs::copy(workspace().join(relative), scratch.path(relative)).unwrap();
    }
    let root_manifest = scratch.read("Cargo.toml").replace(
        r#"members = ["xtask", "generated-client", "tests"]"#,
        r#"members = ["generated-client"]"#,
    );
    scratch.write("Cargo.toml", &root_manifest);
    scratch.add_timestamp_field();
    let message = scratch.assert_rejected(&["codegen"], &["chrono"]);
    let lines: Vec<&str> = message
        .lines()
        .skip_while(|line| !line.contains("Add under [dependencies]"))
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .map(str::trim)
        .collect();
    assert!(!lines.is_empty(), "{message}");
    let mut manifest = scratch.read("generated-client/Cargo.toml");
    for line in lines {
        let (line, replaces) = match line.split_once("  # replaces `") {
            Some((line, rest)) => (line, rest.strip_suffix('`')),
            None => (line, None),
        };
        manifest = match replaces {
            Some(old) => manifest.replacen(&format!("{old}\n"), &format!("{line}\n"), 1),
            None => manifest.replacen("[dependencies]\n", &format!("[dependencies]\n{line}\n"), 1),
        };
    }
    scratch.write("generated-client/Cargo.toml", &manifest);
    for entry in std::fs::read_dir(workspace().join("generated-client/src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.starts_with("generated") {
            std::fs::copy(&path, scratch.path(&format!("generated-client/src/{name}"))).unwrap();
        }
    }
    // The manifest names its examples; the client's `[[example]]` entries
    // must find them.
    let examples = scratch.path("generated-client/examples");
    std::fs::create_dir_all(&examples).unwrap();
    for entry in std::fs::read_dir(workspace().join("generated-client/examples")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, examples.join(path.file_name().unwrap())).unwrap();
    }
    scratch.assert_ok(&["codegen"]);
    assert!(
        scratch
            .read("generated-client/src/generated.rs")
            .contains("::chrono::DateTime")
    );
    let checked = Command::new(env!("CARGO"))
        .args([
            "check",
            "--quiet",
            "-p",
            "ultravox-client",
            "--features",
            "mock",
        ])
        .arg("--manifest-path")
        .arg(scratch.path("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target/dependency-hint-check"),
        )
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "the client does not compile with the lines applied:\n{}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// A generated type that only changes its name (here: the vendor renames
/// the row's schema) keeps the old name as a deprecated alias, the report
/// lists it as renamed, and the alias is carried by the next codegen.
#[test]
fn a_renamed_type_keeps_its_old_name_as_a_deprecated_alias() {
    let scratch = Scratch::generated(&data(NEWER));
    let before = scratch.read("generated-client/src/generated.rs");
    assert!(
        before.contains("pub struct ScheduledCall {"),
        "the row type"
    );
    let text = data(NEWER)
        .replace(
            "#/components/schemas/ScheduledCall'",
            "#/components/schemas/ScheduledRow'",
        )
        .replace("    ScheduledCall:\n", "    ScheduledRow:\n");
    assert_ne!(text, data(NEWER), "the fixture's row schema was renamed");
    let from = scratch.write("download.yaml", &text);
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap()]);
    assert!(report.contains("### Renamed types"), "{report}");
    assert!(
        report.contains("`types::ScheduledCall` → `types::ScheduledRow`"),
        "{report}"
    );
    let after = scratch.read("generated-client/src/generated.rs");
    assert!(
        after.contains("#[deprecated(note = \"renamed to `ScheduledRow`\")]")
            && after.contains("pub type ScheduledCall = ScheduledRow;"),
        "no alias"
    );
    scratch.assert_ok(&["codegen", "--check"]);
}

/// The operations after a batch are reviewed as the batch family is: a
/// property the vendor adds to a transcript message, and a filter added to
/// a call's event log, are listed by the report as additive.
#[test]
fn the_calls_family_is_reported_like_the_batch_family() {
    let scratch = Scratch::like_the_repository(&data(NEWER));
    let mut document: Value = serde_saphyr::from_str(&data(NEWER)).unwrap();
    document["components"]["schemas"]["ultravox.v1.Message"]["properties"]["sentiment"] =
        serde_json::json!({ "type": "string", "description": "How the turn sounded." });
    document["paths"]["/api/calls/{call_id}/events"]["get"]["parameters"]
        .as_array_mut()
        .expect("the event log has parameters")
        .push(serde_json::json!({
            "in": "query",
            "name": "since",
            "schema": { "type": "string", "format": "date-time" },
        }));
    let from = scratch.write(
        "download.json",
        &serde_json::to_string_pretty(&document).unwrap(),
    );
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap(), "--no-build-check"]);

    assert!(
        report.contains("(`ultravox.v1.Message.sentiment`): optional property added"),
        "{report}"
    );
    assert!(
        report.contains(
            "- `GET /api/calls/{call_id}/events query parameter since`: optional parameter added"
        ),
        "{report}"
    );
    assert!(report.contains("0 breaking"), "{report}");
    let generated = scratch.read("generated-client/src/generated.rs");
    assert!(generated.contains("pub sentiment: ::std::option::Option<::std::string::String>"));
}

/// A download relies on its response's media type and on the `302` it
/// follows: a change to either is reported as breaking, even with no
/// schema to compare.
#[test]
fn a_downloads_media_type_and_redirect_are_reviewed() {
    let scratch = Scratch::like_the_repository(&data(NEWER));
    let mut document: Value = serde_saphyr::from_str(&data(NEWER)).unwrap();
    let responses = &mut document["paths"]["/api/calls/{call_id}/recording"]["get"]["responses"];
    let ok = responses["200"]["content"]
        .as_object_mut()
        .expect("the recording has content");
    let schema = ok.remove("audio/wav").expect("the recording is audio/wav");
    ok.insert("audio/mpeg".to_owned(), schema);
    responses.as_object_mut().unwrap().remove("302");
    let from = scratch.write(
        "download.json",
        &serde_json::to_string_pretty(&document).unwrap(),
    );
    let report = scratch.assert_ok(&["sync", "--from", from.to_str().unwrap(), "--no-build-check"]);

    assert!(
        report.contains(
            "- `GET /api/calls/{call_id}/recording 200 response`: media type changes from `audio/wav` to `audio/mpeg`"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "- `GET /api/calls/{call_id}/recording 302 response`: response no longer documented"
        ),
        "{report}"
    );
    assert!(report.contains("2 breaking"), "{report}");
    let generated = scratch.read("generated-client/src/generated.rs");
    assert!(generated.contains("const FOLLOWS_REDIRECT: bool = false;"));
}
