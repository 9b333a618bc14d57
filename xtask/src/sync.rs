//! `cargo xtask sync --from FILE`: takes in a newly published vendor
//! document. Everything is derived and generated in memory first; only when
//! all of it succeeds are the vendor copy, the derived spec and the
//! generated files replaced, together. Then the change report is printed.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::project::Project;
use crate::report::{self, RustFacts};
use crate::{codegen, crates, derive, document, output};

pub fn run(project: &Project, from: &Path, report_path: Option<&Path>) -> Result<()> {
    let shown = from.display().to_string();
    let text = document::read_text(from, &shown, "an OpenAPI document (YAML or JSON)")?;
    let upstream = document::parse(&text, &shown)?;
    let derived = derive::derive(project, upstream, &shown)
        .with_context(|| format!("{shown} was not taken in; no file changed"))?;
    let mut files = codegen::outputs(project, &derived)
        .with_context(|| format!("{shown} was not taken in; no file changed"))?;

    let before_spec = committed_spec(project)?;
    let before_code = std::fs::read_to_string(project.out_dir().join("generated.rs")).ok();
    let after_code = files
        .iter()
        .find(|(path, _)| path.ends_with("generated.rs"))
        .map(|(_, code)| code.clone());
    let report = report::compare(
        &before_spec,
        &derived.spec,
        &rust_facts(before_code.as_deref()),
        &rust_facts(after_code.as_deref()),
    );
    let title = format!(
        "API changes: {}",
        from.file_name()
            .map_or(shown.clone(), |name| name.to_string_lossy().into_owned())
    );
    let markdown = report.to_markdown(&title);

    // The vendor's bytes, exactly as published.
    files.insert(0, (project.upstream(), text));
    if let Some(path) = report_path {
        files.push((path.to_path_buf(), markdown.clone()));
    }
    let changed = output::write_all(&files)?;
    for ((path, _), changed) in files.iter().zip(changed) {
        let state = if changed { "updated" } else { "unchanged" };
        eprintln!("{}: {state}", project.show(path));
    }
    print!("{markdown}");
    Ok(())
}

/// The derived spec as committed, or an empty one before the first sync.
fn committed_spec(project: &Project) -> Result<Value> {
    let path = project.derived();
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not JSON; run `cargo xtask codegen` to derive it again",
                project.show(&path)
            )
        }),
        Err(_) => Ok(Value::Object(Default::default())),
    }
}

fn rust_facts(code: Option<&str>) -> RustFacts {
    let crates = code
        .and_then(|code| syn::parse_file(code).ok())
        .map(|file| crates::used(&file))
        .unwrap_or_default();
    RustFacts { crates }
}
