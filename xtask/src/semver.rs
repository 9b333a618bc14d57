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
