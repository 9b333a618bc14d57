//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).

mod codegen;
mod output;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask codegen [--check] [--spec FILE] [--out-dir DIR]

  codegen          regenerate generated-client/src/ from openapi/ultravox.json
  --check          write nothing; fail if the committed files are stale
  --spec FILE      read another spec (default: openapi/ultravox.json)
  --out-dir DIR    write elsewhere (default: generated-client/src)";

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
    match args.next().as_deref() {
        Some("codegen") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(());
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
        None => bail!("no command given\n{USAGE}"),
    }

    let root = project_root();
    let mut options = codegen::Options {
        spec: root.join(codegen::SPEC),
        out_dir: root.join(codegen::OUT_DIR),
        check: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--spec" => options.spec = path_value(&mut args, "--spec")?,
            "--out-dir" => options.out_dir = path_value(&mut args, "--out-dir")?,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    codegen::run(&root, &options)
}

fn path_value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<PathBuf> {
    let value = args
        .next()
        .with_context(|| format!("{flag} needs a path\n{USAGE}"))?;
    // Relative paths are the caller's, not the workspace root's.
    Ok(std::path::absolute(&value)?)
}

/// The workspace root, whatever directory the command was started from.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
