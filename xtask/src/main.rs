//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).

// The pipeline, stage by stage: the vendor's document comes in (fetch),
// becomes the derived spec (derive, with what a document may not do in
// refusals), then Rust (generate), then a change report and a pull request
// (review). sync and operations run the stages; sinks is where text leaves.
mod derive;
mod fetch;
mod flags;
mod generate;
mod operations;
mod project;
mod refusals;
mod review;
mod sinks;
mod sync;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::flags::XtaskCmd;
use crate::project::Project;

fn main() -> ExitCode {
    let flags = match flags::Xtask::from_env() {
        Ok(flags) => flags,
        Err(err) if err.is_help() => {
            sinks::terminal::out(&format!("{err}\n"));
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            sinks::terminal::err(&format!("error: {err}; see `cargo xtask --help`\n"));
            return ExitCode::FAILURE;
        }
    };
    match run(flags) {
        Ok(code) => code,
        Err(err) => {
            sinks::terminal::err(&format!("error: {err:#}\n"));
            ExitCode::FAILURE
        }
    }
}

fn run(flags: flags::Xtask) -> Result<ExitCode> {
    // Relative paths are the caller's, not the workspace root's.
    let absolute = |path: std::path::PathBuf| std::path::absolute(&path);
    let root = match flags.root {
        Some(root) => absolute(root)?,
        None => project::workspace_root(),
    };
    let project = Project::at(root);
    let limits = |timeout: Option<u64>| fetch::download::Limits {
        total: timeout.map_or(
            fetch::download::Limits::default().total,
            Duration::from_secs,
        ),
        ..fetch::download::Limits::default()
    };
    let budget = match &flags.subcommand {
        XtaskCmd::Codegen(codegen) => codegen.budget,
        XtaskCmd::Sync(sync) => sync.budget,
        XtaskCmd::Watch(watch) => watch.budget,
        _ => None,
    };
    refusals::budget::set_factor(budget.unwrap_or(1) as usize);
    match flags.subcommand {
        XtaskCmd::Codegen(codegen) => generate::run(&project, codegen.check)?,
        XtaskCmd::Sync(sync) => {
            let report = sync.report.map(absolute).transpose()?;
            let from = sync::Source::parse(&sync.from)?;
            sync::run(&project, &from, report.as_deref(), limits(sync.timeout))?
        }
        XtaskCmd::Watch(watch) => {
            let from = sync::Source::parse(&watch.from)?;
            let baseline = watch.baseline.as_deref().unwrap_or("HEAD");
            let out = absolute(watch.out)?;
            let check_with = watch.check_with.unwrap_or_else(|| "cargo".into());
            let outcome = review::watch::run(
                &project,
                &from,
                &out,
                baseline,
                &check_with,
                limits(watch.timeout),
            )?;
            if outcome == review::watch::Outcome::Refused {
                return Ok(ExitCode::from(2));
            }
        }
        XtaskCmd::Operations(_) => operations::run(&project)?,
        XtaskCmd::Semver(semver) => review::semver::run(&project, &semver.baseline)?,
    }
    Ok(ExitCode::SUCCESS)
}
