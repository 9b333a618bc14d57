//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).

mod codegen;
mod crates;
mod derive;
mod document;
mod flags;
mod open_enums;
mod operation_tests;
mod operations;
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

use std::process::ExitCode;

use anyhow::Result;

use crate::flags::XtaskCmd;
use crate::project::Project;

fn main() -> ExitCode {
    let flags = match flags::Xtask::from_env() {
        Ok(flags) => flags,
        Err(err) if err.is_help() => {
            println!("{err}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("error: {err}; see `cargo xtask --help`");
            return ExitCode::FAILURE;
        }
    };
    match run(flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(flags: flags::Xtask) -> Result<()> {
    // Relative paths are the caller's, not the workspace root's.
    let absolute = |path: std::path::PathBuf| std::path::absolute(&path);
    let root = match flags.root {
        Some(root) => absolute(root)?,
        None => project::workspace_root(),
    };
    let project = Project::at(root);
    match flags.subcommand {
        XtaskCmd::Codegen(codegen) => codegen::run(&project, codegen.check),
        XtaskCmd::Sync(sync) => {
            let report = sync.report.map(absolute).transpose()?;
            sync::run(&project, &absolute(sync.from)?, report.as_deref())
        }
        XtaskCmd::Operations(_) => operations::run(&project),
        XtaskCmd::Semver(semver) => semver::run(&project, &semver.baseline),
    }
}
