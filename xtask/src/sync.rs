//! `cargo xtask sync --from URL|FILE`: takes in a newly published vendor
//! document. It is downloaded (conditionally: an unchanged document costs a
//! 304) or read, then everything is derived and generated in memory; only
//! when all of it succeeds are the vendor copy, its provenance record, the
//! derived spec and the generated files replaced, together. Then the change
//! report is printed. Before it says "changed", the regenerated client
//! must pass `cargo check` (as `watch` runs it; `--no-build-check` skips
//! it): a failure puts every file back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::fetch::download::{self, Downloaded, Limits, Validators};
use crate::fetch::provenance::{self, Provenance};
use crate::generate::{self, crates, output, syn_modules};
use crate::project::Project;
use crate::review::report::{self, Report, RustFacts};
use crate::{derive, fetch::document};

/// Where a document comes from.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Source {
    Url(String),
    File(PathBuf),
}

impl Source {
    /// A URL (http or https), or a path relative to the caller's directory.
    pub fn parse(raw: &str) -> Result<Self> {
        if download::is_url(raw) {
            return Ok(Self::Url(raw.to_owned()));
        }
        Ok(Self::File(std::path::absolute(raw)?))
    }

    /// How messages name it.
    pub fn shown(&self) -> String {
        match self {
            Self::Url(url) => url.clone(),
            Self::File(path) => path.display().to_string(),
        }
    }

    /// How the provenance record names it: the URL, or `file:<name>` (a
    /// local path says nothing to the next reader).
    fn recorded(&self) -> String {
        match self {
            Self::Url(url) => url.clone(),
            Self::File(path) => format!(
                "file:{}",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into()
                )
            ),
        }
    }
}

/// What taking in a document would do.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Prepared {
    /// Nothing to take in; the reason.
    Unchanged(String),
    Changed(Box<Synced>),
}

/// A new document, derived and generated, not written yet.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Synced {
    pub report: Report,
    pub previous: Option<Provenance>,
    pub provenance: Provenance,
    /// Every file to write, the vendor's bytes first.
    #[serde(with = "crate::limits::by_file")]
    pub files: Vec<(PathBuf, String)>,
}

impl Synced {
    /// `Ultravox API of 2026-07-02`, from the document's date.
    pub fn title(&self) -> String {
        format!("Ultravox API of {}", self.provenance.published())
    }

    /// Whether the new document is older than the one it replaces.
    pub fn is_older(&self) -> bool {
        self.previous
            .as_ref()
            .is_some_and(|previous| self.provenance.published() < previous.published())
    }

    /// What the files this sync writes hold now (`None`: no such file).
    pub fn previous_files(&self) -> Vec<(PathBuf, Option<String>)> {
        self.files
            .iter()
            .map(|(path, _)| (path.clone(), std::fs::read_to_string(path).ok()))
            .collect()
    }

    /// Puts back `previous` (from [`Self::previous_files`]) after a write.
    pub fn restore(
        &self,
        project: &Project,
        previous: Vec<(PathBuf, Option<String>)>,
    ) -> Result<()> {
        let (kept, added): (Vec<_>, Vec<_>) =
            previous.into_iter().partition(|(_, text)| text.is_some());
        let kept: Vec<(PathBuf, String)> = kept
            .into_iter()
            .map(|(path, text)| (path, text.unwrap_or_default()))
            .collect();
        output::write_all(&project.root, &kept)?;
        for (path, _) in added {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", project.show(&path)))?;
        }
        Ok(())
    }

    /// Writes every file, or none; which changed.
    pub fn write(&self, project: &Project) -> Result<Vec<bool>> {
        output::write_all(&project.root, &self.files)
    }

    /// Says which files `write` changed (once the change is kept).
    pub fn show_written(&self, project: &Project, changed: &[bool]) {
        for ((path, _), changed) in self.files.iter().zip(changed) {
            let state = if *changed { "updated" } else { "unchanged" };
            crate::sinks::terminal::err(&format!("{}: {state}\n", project.show(path)));
        }
    }
}

/// `check_with`: the program whose `check` must pass on the regenerated
/// client (as `watch` runs it) before the change is kept; `None` skips it.
pub fn run(
    project: &Project,
    from: &Source,
    report_path: Option<&Path>,
    limits: Limits,
    check_with: Option<&Path>,
) -> Result<()> {
    // A write a killed run left is finished (or undone) first: otherwise the
    // vendor copy, replaced already, would say "no changes" over a broken tree.
    if output::recover(&project.root)? {
        crate::sinks::terminal::err("completed or undid an interrupted write\n");
    }
    match prepare(project, from, limits)? {
        Prepared::Unchanged(reason) => {
            crate::sinks::terminal::out(&format!("No changes: {reason}; no file changed.\n"));
            Ok(())
        }
        Prepared::Changed(synced) => {
            let markdown = synced.report.to_markdown(&synced.title());
            let previous = synced.previous_files();
            let changed = synced.write(project)?;
            // The backstop: what sync accepts builds.
            if let Some(program) = check_with
                && let Err(cause) = builds(project, program)
            {
                synced.restore(project, previous)?;
                anyhow::bail!(
                    "{} was not taken in; no file changed: the regenerated client does not \
                     build: {cause}",
                    from.shown()
                );
            }
            synced.show_written(project, &changed);
            // Not part of the tree: anywhere the caller says.
            if let Some(path) = report_path {
                std::fs::write(path, &markdown)
                    .with_context(|| format!("cannot write the report {}", path.display()))?;
            }
            crate::sinks::terminal::out(&markdown);
            Ok(())
        }
    }
}

/// A fetched document, not taken in yet.
pub enum Fetched {
    /// The server says the document is the one recorded (304).
    NotModified(String),
    Document {
        text: String,
        provenance: Provenance,
    },
}

/// Fetches `from` and derives and generates everything from it, in memory.
pub fn prepare(project: &Project, from: &Source, limits: Limits) -> Result<Prepared> {
    let previous = recorded(project)?;
    match fetch(from, previous.as_ref(), limits)? {
        Fetched::NotModified(reason) => Ok(Prepared::Unchanged(reason)),
        Fetched::Document { text, provenance } => build(project, from, text, provenance, previous),
    }
}

/// Where the committed document came from (`openapi/upstream.lock`), or
/// `None` before the first sync.
pub fn recorded(project: &Project) -> Result<Option<Provenance>> {
    let lock = project.upstream_lock();
    Provenance::load(&lock, &project.show(&lock))
}

/// Downloads or reads `from`; a download asks for changes since the
/// recorded one (`previous`) when the record is of the same URL.
pub fn fetch(from: &Source, previous: Option<&Provenance>, limits: Limits) -> Result<Fetched> {
    let shown = from.shown();
    let (text, validators) = match from {
        Source::Url(url) => {
            let known = previous
                .filter(|previous| previous.source == *url)
                .map(|previous| &previous.validators);
            match download::download(url, known, limits)? {
                Downloaded::NotModified => {
                    return Ok(Fetched::NotModified(format!(
                        "{url} answered 304 Not Modified"
                    )));
                }
                Downloaded::Document { bytes, validators } => {
                    (download::text(bytes, url)?, validators)
                }
            }
        }
        Source::File(path) => (read_capped(path, &shown)?, Validators::default()),
    };
    let provenance = Provenance::new(from.recorded(), text.as_bytes(), validators);
    Ok(Fetched::Document { text, provenance })
}

/// A document file, refused (before it is read) above the download's size
/// limit.
fn read_capped(path: &Path, shown: &str) -> Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {shown}; check that the file exists"))?
        .len();
    if size > download::MAX_BYTES {
        anyhow::bail!(
            "{shown} is {size} bytes, over the size limit of {} bytes (32 MiB) that downloads \
             have too; it is not the vendor's document",
            download::MAX_BYTES
        );
    }
    document::read_text(path, shown, "an OpenAPI document (YAML or JSON)")
}

/// What [`build`] hands to its limited child.
#[derive(serde::Serialize, serde::Deserialize)]
struct Job {
    root: PathBuf,
    from: Source,
    text: String,
    provenance: Provenance,
    previous: Option<Provenance>,
    budget: u32,
}

/// Derives and generates everything from a fetched document, in memory,
/// in a child process bounded in time and memory (`crate::limits`);
/// `previous` is the committed document's record.
pub fn build(
    project: &Project,
    from: &Source,
    text: String,
    provenance: Provenance,
    previous: Option<Provenance>,
) -> Result<Prepared> {
    let budget = crate::derive::refusals::budget::factor();
    let shown = from.shown();
    let job = Job {
        root: project.root.clone(),
        from: from.clone(),
        text,
        provenance,
        previous,
        budget,
    };
    crate::limits::run("sync", &job, crate::limits::caps(), &shown)
        .with_context(|| format!("{shown} was not taken in; no file changed"))
}

/// The limited child's side of [`build`].
pub fn build_job(job: Value) -> Result<Prepared> {
    let job: Job = serde_json::from_value(job).context("the sync job is damaged")?;
    crate::derive::refusals::budget::set_factor(job.budget as usize);
    let project = Project::at(job.root);
    build_here(&project, &job.from, job.text, job.provenance, job.previous)
}

fn build_here(
    project: &Project,
    from: &Source,
    text: String,
    provenance: Provenance,
    previous: Option<Provenance>,
) -> Result<Prepared> {
    let shown = from.shown();
    let committed = std::fs::read(project.upstream()).ok();
    if committed.is_some_and(|bytes| provenance::sha256(&bytes) == provenance.sha256) {
        return Ok(Prepared::Unchanged(format!(
            "{shown} is the committed document (sha256 {})",
            provenance.sha256
        )));
    }

    // A document cut short (a dropped connection the server did not
    // announce) fails somewhere inside; a complete one may well lack the
    // final newline too (the vendor's revision of 2025-01), so the cut is
    // named as a possibility beside the cause, never instead of it.
    let truncated = |err: anyhow::Error| {
        if text.ends_with('\n') {
            err
        } else {
            let note = format!(
                "(the document also ends mid-line after {} bytes: if it was cut short, \
                 download it again)",
                text.len()
            );
            anyhow::anyhow!("{err:#} {note}")
        }
    };
    crate::limits::stage("parse");
    let upstream = document::parse(&text, &shown).map_err(truncated)?;
    crate::limits::stage("derive");
    let derived = derive::derive(project, upstream, &shown).map_err(truncated)?;
    // The client as generated from the committed document, parsed once: for
    // the names a new schema may not take, and for the report.
    let before_code = std::fs::read_to_string(project.out_dir().join("generated.rs")).ok();
    let before_file = before_code
        .as_deref()
        .and_then(|code| syn::parse_file(code).ok());
    let mut files = generate::outputs(project, &derived, before_file.as_ref(), true)?;

    let before_spec = committed_spec(project)?;
    let overlay_path = project.overlay();
    let overlay = document::load(&overlay_path, &project.show(&overlay_path), "the overlay")?;
    crate::derive::refusals::origin::check_change(&before_spec, &derived.spec, &overlay, &shown)?;
    crate::limits::stage("report");
    let after_file = files
        .iter()
        .find(|(path, _)| path.ends_with("generated.rs"))
        .and_then(|(_, code)| syn::parse_file(code).ok());
    let mut report = report::compare(
        &before_spec,
        &derived.spec,
        &rust_facts(before_file.as_ref()),
        &rust_facts(after_file.as_ref()),
    );
    report.renamed = crate::generate::renames::detect(
        generated_type_items(before_file.as_ref()),
        generated_type_items(after_file.as_ref()),
    );
    // The vendor's bytes, exactly as published, and where they came from.
    files.insert(0, (project.upstream(), text));
    files.insert(1, (project.upstream_lock(), provenance.to_text()));
    Ok(Prepared::Changed(Box::new(Synced {
        report,
        previous,
        provenance,
        files,
    })))
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

fn rust_facts(file: Option<&syn::File>) -> RustFacts {
    RustFacts {
        crates: file.map(crates::used).unwrap_or_default(),
        types: file.map(generated_types).unwrap_or_default(),
    }
}

/// The items of the generated `types` module (none without a file).
fn generated_type_items(file: Option<&syn::File>) -> &[syn::Item] {
    file.and_then(|file| syn_modules::items(&file.items, "types"))
        .unwrap_or_default()
}

/// The types of the generated `types` module.
fn generated_types(file: &syn::File) -> std::collections::BTreeSet<String> {
    syn_modules::items(&file.items, "types")
        .map(|types| syn_modules::type_names(types).collect())
        .unwrap_or_default()
}

/// Runs `PROGRAM check` on the client with every feature; the first error
/// line of a failure.
pub fn builds(project: &Project, program: &Path) -> std::result::Result<(), String> {
    let output = std::process::Command::new(program)
        .args([
            "check",
            "--locked",
            "--quiet",
            "--all-features",
            "-p",
            "ultravox-client",
        ])
        .current_dir(&project.root)
        .output()
        .map_err(|err| format!("cannot run `{} check` ({err})", program.display()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .or_else(|| stderr.lines().find(|line| !line.trim().is_empty()))
        .unwrap_or("no output");
    Err(format!(
        "`{} check` failed ({}): {first}",
        program.display(),
        output.status
    ))
}
