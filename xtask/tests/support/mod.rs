//! A scratch copy of the project for the xtask's end-to-end tests, and the
//! vendor's real documents (copied into `tests/data/`).
#![allow(dead_code)] // each test binary uses its own part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const NEWER: &str = "tests/data/ultravox-openapi-2026-07-02.yaml";
pub const OLDER: &str = "tests/data/ultravox-openapi-2025-09-29.yaml";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn data(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

/// The operations every scratch project exposes: the tests' own fixture,
/// so they do not change when the repository exposes more.
const OPERATIONS: &str = "\
- operationId: agents_scheduled_batches_scheduled_calls_list
  name: list_scheduled_calls
";

/// A scratch project: the fixture's operations, the repository's overlay
/// (without its `x-exposed` marks) and client manifest, with `upstream` as the vendor's document and nothing
/// derived yet.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new(upstream: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("openapi")).unwrap();
        std::fs::write(dir.path().join("openapi/operations.yaml"), OPERATIONS).unwrap();
        for relative in [
            "openapi/overlay.yaml",
            "generated-client/Cargo.toml",
            "Cargo.lock",
        ] {
            let target = dir.path().join(relative);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(workspace().join(relative), target).unwrap();
        }
        for generated in ["generated-client/src", "tests/tests/it"] {
            std::fs::create_dir_all(dir.path().join(generated)).unwrap();
        }
        std::fs::write(dir.path().join("openapi/upstream.yaml"), upstream).unwrap();
        // The client as the fixture's one operation needs it, whatever
        // crates the repository's own operations made it depend on.
        let manifest = dir.path().join("generated-client/Cargo.toml");
        let lines: String = std::fs::read_to_string(&manifest)
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with("chrono") && !line.starts_with("regress"))
            .map(|line| match line.starts_with("schemars") {
                true => "schemars = { workspace = true, optional = true }\n".to_owned(),
                false => format!("{line}\n"),
            })
            .collect();
        std::fs::write(&manifest, lines).unwrap();
        // Nor the schemas the repository exposes beyond its operations.
        let overlay = dir.path().join("openapi/overlay.yaml");
        let kept: String = std::fs::read_to_string(&overlay)
            .unwrap()
            .lines()
            .filter(|line| line.trim() != "x-exposed: true")
            .map(|line| format!("{line}\n"))
            .collect();
        std::fs::write(&overlay, kept).unwrap();
        Self { dir }
    }

    /// A scratch project exposing what the repository exposes (its
    /// operations, overlay and client manifest), generated from `upstream`.
    pub fn like_the_repository(upstream: &str) -> Self {
        let scratch = Self::new(upstream);
        for relative in [
            "openapi/operations.yaml",
            "openapi/overlay.yaml",
            "generated-client/Cargo.toml",
        ] {
            std::fs::copy(workspace().join(relative), scratch.path(relative)).unwrap();
        }
        scratch.assert_ok(&["codegen"]);
        scratch
    }

    /// A scratch project already generated from `upstream`.
    pub fn generated(upstream: &str) -> Self {
        let scratch = Self::new(upstream);
        scratch.assert_ok(&["codegen"]);
        scratch
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }

    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path(relative);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn derived(&self) -> Value {
        serde_json::from_str(&self.read("openapi/ultravox.json")).unwrap()
    }

    /// Every file of the project, by path.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.insert(path.clone(), std::fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.dir.path(), &mut out);
        out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_path(args, None)
    }

    /// Runs `args` with `PATH` set to `path` (the tools the xtask may find).
    pub fn run_with_path(&self, args: &[&str], path: Option<&Path>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command.args(args).arg("--root").arg(self.dir.path());
        // A scratch project has no hand-written client to build: `sync`'s
        // build check passes unless a test names its own program.
        let names_check = args
            .iter()
            .any(|arg| *arg == "--check-with" || *arg == "--no-build-check");
        if args.first() == Some(&"sync") && !names_check {
            command.args(["--check-with", "/bin/true"]);
        }
        if let Some(path) = path {
            command.env("PATH", path);
        }
        command.output().unwrap()
    }

    /// An overlay action giving the rows a `date-time` field: generated
    /// code that needs `chrono`, which the client does not depend on.
    pub fn add_timestamp_field(&self) {
        let overlay = self.read("openapi/overlay.yaml");
        self.write(
            "openapi/overlay.yaml",
            &format!(
                "{overlay}\n  - description: test — a timestamp field\n    \
                 target: \"$.components.schemas.ScheduledCall.properties\"\n    \
                 update:\n      scheduledAt: {{ type: string, format: date-time }}\n"
            ),
        );
    }

    /// Runs `args`, asserts success, returns stdout.
    pub fn assert_ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `args`, asserts a failure whose one `error:` message says each of
    /// `needles`, and that no file changed. Returns the message.
    pub fn assert_rejected(&self, args: &[&str], needles: &[&str]) -> String {
        let before = self.files();
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{args:?} succeeded:\n{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "one message: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "lacks {needle:?}:\n{stderr}");
        }
        assert!(
            before == self.files(),
            "{args:?} changed files although it failed"
        );
        stderr
    }

    /// Runs `sync --from` with a document written beside the project.
    pub fn sync_text(&self, text: &str, extension: &str) -> (String, Output) {
        let from = self.dir.path().join(format!("download.{extension}"));
        std::fs::write(&from, text).unwrap();
        let from = from.to_str().unwrap().to_owned();
        let output = self.run(&["sync", "--from", &from]);
        (from, output)
    }
}
pub mod http;
