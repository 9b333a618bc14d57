//! `cargo xtask semver --baseline REV`: before a release, ask
//! cargo-semver-checks (the ecosystem's judge of what breaks a user's build)
//! which version bump the client's changes since `REV` need. The change
//! report of `sync` classifies API changes by the same rule; this checks
//! the code as committed, hand-written layer included.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::project::Project;

/// The crate users depend on.
const PACKAGE: &str = "ultravox-client";

pub fn run(project: &Project, baseline: &str) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let installed = Command::new(&cargo)
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        bail!(
            "cargo-semver-checks is not installed; install it with \
             `cargo install --locked cargo-semver-checks` (about 20 minutes to build on 2 cores), \
             then run `cargo xtask semver --baseline {baseline}` again"
        );
    }
    let manifest = project.client_manifest();
    let status = Command::new(&cargo)
        .args(["semver-checks", "check-release", "--package", PACKAGE])
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--baseline-rev", baseline, "--all-features"])
        .current_dir(&project.root)
        .status()
        .with_context(|| format!("cannot run `{cargo} semver-checks`"))?;
    if !status.success() {
        bail!(
            "cargo-semver-checks found changes since {baseline} that need a bigger version bump \
             than {} declares (see above): bump `version` in {} (while 0.x: the minor for a \
             breaking change) and record the release in CHANGELOG.md",
            PACKAGE,
            project.show(&manifest)
        );
    }
    Ok(())
}

/// What cargo-semver-checks said about the client against a baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// A change that breaks users' code (for a 0.x crate: a minor bump).
    Major,
    /// A change that needs at least a minor version (0.x: a patch bump).
    Minor,
    /// No semver update required.
    Compatible,
    /// No verdict, and why: never read as compatible.
    Unknown(String),
}

/// Runs the `cargo-semver-checks` found on `PATH` on the client as it is
/// in the working tree, against git revision `baseline`.
pub fn judge(project: &Project, baseline: &str) -> Judgement {
    let Some(tool) = on_path("cargo-semver-checks") else {
        return Judgement::Unknown("cargo-semver-checks is not on PATH".to_owned());
    };
    let output = Command::new(&tool)
        .args(["semver-checks", "check-release", "--package", PACKAGE])
        .arg("--manifest-path")
        .arg(project.client_manifest())
        .args(["--baseline-rev", baseline, "--all-features"])
        .current_dir(&project.root)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) => return Judgement::Unknown(format!("cannot run {}: {err}", tool.display())),
    };
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("Summary "));
    match summary {
        Some(line) if line.contains("requires new major version") => Judgement::Major,
        Some(line) if line.contains("requires new minor version") => Judgement::Minor,
        Some(line) if line.contains("no semver update required") => Judgement::Compatible,
        _ => {
            let first = text.lines().map(str::trim).find(|line| !line.is_empty());
            Judgement::Unknown(format!(
                "cargo-semver-checks exited with {} without a verdict{}",
                output.status,
                first.map_or_else(String::new, |line| format!(
                    ": {}",
                    crate::sinks::line::one_line(line)
                ))
            ))
        }
    }
}

/// The first `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
