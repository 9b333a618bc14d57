//! `cargo xtask codegen` end to end: the real binary, real files, bad input.
//! Every failure must name the spec and the cause, and leave the output alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const SENTINEL: &str = "// committed output that a failed run must not touch\n";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn real_spec() -> Value {
    let text = std::fs::read_to_string(root().join("openapi/ultravox.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A scratch dir holding `spec.json` (if given) and `out/generated.rs`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(spec: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = spec {
            std::fs::write(dir.path().join("spec.json"), text).unwrap();
        }
        std::fs::create_dir(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/generated.rs"), SENTINEL).unwrap();
        Self { dir }
    }

    fn with_spec(spec: &Value) -> Self {
        Self::new(Some(&serde_json::to_string_pretty(spec).unwrap()))
    }

    fn generated(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("out/generated.rs")).unwrap()
    }

    fn out_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Runs `xtask codegen --spec spec.json --out-dir out <extra>` from the scratch dir.
    fn codegen(&self, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .current_dir(self.dir.path())
            .args(["codegen", "--spec", "spec.json", "--out-dir", "out"])
            .args(extra)
            .output()
            .unwrap()
    }

    /// Asserts a failed run that says each of `needles` and wrote nothing.
    fn assert_rejected(&self, extra: &[&str], needles: &[&str]) {
        let output = self.codegen(extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "expected failure, got success; stderr:\n{stderr}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "stderr lacks {needle:?}:\n{stderr}"
            );
        }
        assert!(
            !stderr.contains("panicked"),
            "no panic may reach the user:\n{stderr}"
        );
        assert_eq!(
            self.generated(),
            SENTINEL,
            "a failed run changed the output"
        );
        assert_eq!(
            self.out_entries(),
            ["generated.rs"],
            "a failed run left files behind"
        );
    }
}

const OPERATION: &str = "/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls";

fn operation(spec: &mut Value) -> &mut Value {
    &mut spec["paths"][OPERATION]["get"]
}

#[test]
fn missing_spec_file() {
    Scratch::new(None).assert_rejected(&[], &["cannot read the spec", "spec.json", "No such file"]);
}

#[test]
fn empty_spec_file() {
    Scratch::new(Some("")).assert_rejected(&[], &["spec.json:1:0", "invalid JSON", "EOF"]);
}

#[test]
fn json_syntax_error_reports_line_and_column() {
    let text = "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {,}\n}\n";
    Scratch::new(Some(text)).assert_rejected(&[], &["spec.json:3:12", "invalid JSON"]);
}

#[test]
fn openapi_3_1_is_refused() {
    let mut spec = real_spec();
    spec["openapi"] = json!("3.1.0");
    Scratch::with_spec(&spec).assert_rejected(
        &[],
        &["spec.json", "3.1.0", "only OpenAPI 3.0.x is supported"],
    );
}

#[test]
fn document_without_openapi_field() {
    Scratch::with_spec(&json!({ "swagger": "2.0" }))
        .assert_rejected(&[], &["spec.json has no top-level `openapi` field"]);
}

#[test]
fn ref_to_missing_schema_names_the_ref_and_where_it_is() {
    let mut spec = real_spec();
    spec["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("ScheduledCall");
    Scratch::with_spec(&spec).assert_rejected(
        &[],
        &[
            "spec.json",
            "#/components/schemas/ScheduledCall",
            "/components/schemas/PaginatedScheduledCallList/properties/results/items",
            "points at nothing",
        ],
    );
}

#[test]
fn external_ref_is_refused() {
    let mut spec = real_spec();
    spec["components"]["schemas"]["PaginatedScheduledCallList"]["properties"]["results"]["items"] =
        json!({ "$ref": "calls.json#/ScheduledCall" });
    Scratch::with_spec(&spec).assert_rejected(
        &[],
        &[
            "spec.json",
            "calls.json#/ScheduledCall",
            "points outside the file",
        ],
    );
}

#[test]
fn wrong_shape_reports_line_and_column() {
    let mut spec = real_spec();
    spec["paths"] = json!(["not", "a", "map"]);
    Scratch::with_spec(&spec)
        .assert_rejected(&[], &["spec.json:", "not a valid OpenAPI 3.0 document"]);
}

#[test]
fn operation_without_operation_id_cannot_be_generated() {
    let mut spec = real_spec();
    operation(&mut spec)
        .as_object_mut()
        .unwrap()
        .remove("operationId");
    Scratch::with_spec(&spec).assert_rejected(
        &[],
        &[
            "progenitor cannot generate a client from",
            "spec.json",
            "missing operation ID",
        ],
    );
}

#[test]
fn duplicate_operation_id_cannot_be_generated() {
    let mut spec = real_spec();
    let copy = operation(&mut spec).clone();
    spec["paths"]["/api/other"] = json!({ "get": copy });
    Scratch::with_spec(&spec).assert_rejected(
        &[],
        &["progenitor cannot generate", "duplicate operation ID"],
    );
}

#[test]
fn unknown_argument_is_a_usage_error() {
    Scratch::with_spec(&real_spec()).assert_rejected(
        &["--frobnicate"],
        &["unknown argument `--frobnicate`", "usage:"],
    );
}

#[test]
fn check_reports_stale_output_with_a_diff_and_the_fix() {
    let scratch = Scratch::with_spec(&real_spec());
    scratch.assert_rejected(
        &["--check"],
        &[
            "out/generated.rs is stale",
            "-// committed output that a failed run must not touch",
            "+// @generated by `cargo xtask codegen`",
            "run `cargo xtask codegen`",
        ],
    );
}

#[test]
fn generation_is_deterministic_and_check_then_passes() {
    let scratch = Scratch::with_spec(&real_spec());
    let first = scratch.codegen(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("generated.rs: updated"));
    let once = scratch.generated();

    let second = scratch.codegen(&[]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("generated.rs: unchanged"));
    assert_eq!(
        scratch.generated(),
        once,
        "two runs must give byte-identical output"
    );

    let check = scratch.codegen(&["--check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(once.starts_with("// @generated by `cargo xtask codegen` from "));
    assert!(once.lines().next().unwrap().contains("Do not edit"));
}

/// The committed client matches the committed spec, checked from a directory
/// outside the workspace (the xtask finds the root itself).
#[test]
fn committed_client_is_up_to_date() {
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(elsewhere.path())
        .args(["codegen", "--check"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "generated code is stale:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
