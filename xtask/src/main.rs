//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).

// The pipeline, stage by stage: the vendor's document comes in (fetch),
// becomes the derived spec (derive, with what a document may not do in
// derive::refusals), then Rust (generate), then a change report and a pull request
// (review). sync, watch and operations run the stages; sinks is where
// text leaves.
mod derive;
mod fetch;
mod flags;
mod generate;
mod limits;
mod operations;
mod project;
mod review;
mod sinks;
mod sync;
mod watch;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::flags::XtaskCmd;
use crate::project::Project;

fn main() -> ExitCode {
    // A child of the xtask's own, running one document's work under limits.
    if let Some(job) = limits::child_job() {
        let done = job.and_then(|(kind, job)| match kind.as_str() {
            "sync" => limits::finish(sync::build_job(job)),
            "codegen" => limits::finish(generate::codegen_job(job)),
            other => anyhow::bail!("no limited job is called {other:?}"),
        });
        return match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                sinks::terminal::err(&format!("error: {err:#}\n"));
                ExitCode::FAILURE
            }
        };
    }
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
    derive::refusals::budget::set_factor(budget.unwrap_or(1) as usize);
    let (time_limit, memory_limit) = match &flags.subcommand {
        XtaskCmd::Codegen(codegen) => (codegen.time_limit, codegen.memory_limit),
        XtaskCmd::Sync(sync) => (sync.time_limit, sync.memory_limit),
        XtaskCmd::Watch(watch) => (watch.time_limit, watch.memory_limit),
        _ => (None, None),
    };
    let defaults = limits::Caps::default();
    limits::set_caps(
        limits::Caps {
            wall: time_limit.map_or(defaults.wall, Duration::from_secs),
            memory: memory_limit.map_or(defaults.memory, |mib| mib.saturating_mul(1 << 20)),
        }
        .times(budget.unwrap_or(1)),
    );
    match flags.subcommand {
        XtaskCmd::Codegen(codegen) => generate::run(&project, codegen.check)?,
        XtaskCmd::Sync(sync) => {
            let report = sync.report.map(absolute).transpose()?;
            let from = sync::Source::parse(&sync.from)?;
            let check_with = sync.check_with.unwrap_or_else(|| "cargo".into());
            let check_with = (!sync.no_build_check).then_some(check_with.as_path());
            sync::run(
                &project,
                &from,
                report.as_deref(),
                limits(sync.timeout),
                check_with,
            )?
        }
        XtaskCmd::Watch(watch) => {
            let from = sync::Source::parse(&watch.from)?;
            let baseline = watch.baseline.as_deref().unwrap_or("HEAD");
            let out = absolute(watch.out)?;
            let check_with = watch.check_with.unwrap_or_else(|| "cargo".into());
            let outcome = watch::run(
                &project,
                &from,
                &out,
                baseline,
                &check_with,
                limits(watch.timeout),
            )?;
            if outcome == watch::Outcome::Refused {
                return Ok(ExitCode::from(2));
            }
        }
        XtaskCmd::Operations(_) => operations::run(&project)?,
        XtaskCmd::Semver(semver) => review::semver::run(&project, &semver.baseline)?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The top-level modules use each other in one direction only (fetch →
    /// derive → generate → review → sync → watch), never in a circle.
    #[test]
    fn modules_do_not_import_each_other_in_a_circle() {
        let src = crate::project::workspace_root().join("xtask/src");
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut pending = vec![src.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let relative = path.strip_prefix(&src).unwrap();
                let module = relative
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                // Code only: what quote! writes for the client is not a use.
                let code: String = text
                    .lines()
                    .take_while(|line| !line.starts_with("#[cfg(test)]"))
                    .collect::<Vec<_>>()
                    .join("\n");
                for (at, _) in code.match_indices("crate::") {
                    let name: String = code[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    let is_module =
                        src.join(format!("{name}.rs")).exists() || src.join(&name).is_dir();
                    if name != module && is_module {
                        uses.entry(module.clone()).or_default().insert(name);
                    }
                }
            }
        }
        fn reaches(
            from: &str,
            to: &str,
            uses: &BTreeMap<String, BTreeSet<String>>,
            seen: &mut BTreeSet<String>,
        ) -> bool {
            uses.get(from).into_iter().flatten().any(|next| {
                next == to || (seen.insert(next.clone()) && reaches(next, to, uses, seen))
            })
        }
        // The scan sees the imports (else the test says nothing).
        assert!(
            uses["watch"].contains("sync") && uses["generate"].contains("derive"),
            "{uses:#?}"
        );
        for (module, used) in &uses {
            for other in used {
                assert!(
                    !reaches(other, module, &uses, &mut BTreeSet::new()),
                    "{module} uses {other}, which leads back to {module}: {uses:#?}"
                );
            }
        }
    }
}
