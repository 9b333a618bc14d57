//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).

mod codegen;
mod crates;
mod derive;
mod document;
mod open_enums;
mod operation_tests;
mod output;
mod overlay;
mod project;
mod report;
mod rust_names;
mod rustify;
mod semver;
mod slice;
mod surface;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::project::Project;

const USAGE: &str = "\
usage: cargo xtask codegen [--check]
       cargo xtask sync --from FILE [--report FILE]
       cargo xtask semver --baseline REV

  codegen          derive openapi/ultravox.json from the vendor's document
                   (openapi/upstream.yaml), openapi/operations.yaml and
                   openapi/overlay.yaml, and regenerate generated-client/src/
  --check          write nothing; fail if any derived or generated file is stale
  sync             take in a newly published vendor document: validate it,
                   replace openapi/upstream.yaml, run codegen, print a change
                   report (Markdown); on any failure no file changes
  --from FILE      the downloaded document (YAML or JSON)
  --report FILE    also write the report to FILE
  semver           before a release: cargo-semver-checks on the client
                   against git revision REV (the last release), which says
                   whether the version bump is big enough
  --baseline REV   the git revision (tag, branch, commit) to compare with
  --root DIR       work on the project at DIR (default: this workspace)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let mut args = args.into_iter();
    let command = match args.next().as_deref() {
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(());
        }
        Some(command @ ("codegen" | "sync" | "semver")) => command.to_owned(),
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
        None => bail!("no command given\n{USAGE}"),
    };

    let mut root = project::workspace_root();
    let mut check = false;
    let mut from = None;
    let mut report = None;
    let mut baseline = None;
    while let Some(arg) = args.next() {
        match (command.as_str(), arg.as_str()) {
            (_, "--root") => root = path_value(&mut args, "--root")?,
            ("codegen", "--check") => check = true,
            ("sync", "--from") => from = Some(path_value(&mut args, "--from")?),
            ("sync", "--report") => report = Some(path_value(&mut args, "--report")?),
            ("semver", "--baseline") => {
                baseline = Some(
                    args.next()
                        .with_context(|| format!("--baseline needs a git revision\n{USAGE}"))?,
                );
            }
            (_, other) => bail!("unknown argument `{other}` for `{command}`\n{USAGE}"),
        }
    }
    let project = Project::at(root);
    match command.as_str() {
        "codegen" => codegen::run(&project, check),
        "semver" => {
            let baseline =
                baseline.with_context(|| format!("semver needs --baseline REV\n{USAGE}"))?;
            semver::run(&project, &baseline)
        }
        _ => {
            let from = from.with_context(|| format!("sync needs --from FILE\n{USAGE}"))?;
            sync::run(&project, &from, report.as_deref())
        }
    }
}

fn path_value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<PathBuf> {
    let value = args
        .next()
        .with_context(|| format!("{flag} needs a path\n{USAGE}"))?;
    // Relative paths are the caller's, not the workspace root's.
    Ok(std::path::absolute(&value)?)
}
