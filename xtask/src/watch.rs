//! `cargo xtask watch --from URL|FILE --out DIR [--baseline REV]`: the step
//! a scheduled job runs. It syncs in the working tree and writes what a pull
//! request needs into DIR: `outcome` (`changed`, `unchanged` or `refused`)
//! and, when changed, `title.txt`, `body.md`, `labels.txt` and
//! `commit-message.txt` (Conventional Commits, which release-plz reads);
//! when refused, `failure.md`. A refusal changes no file of the tree.
//!
//! The verdict fails closed: without cargo-semver-checks, or when it says
//! nothing readable, the label is `semver:unknown`, never "compatible"; when
//! it and the report disagree, the body says so first.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::fetch::download::Limits;
use crate::fetch::provenance::Provenance;
use crate::project::Project;
use crate::review::report::{Impact, Verdict};
use crate::review::semver::{self, Judgement};
use crate::sinks::line::one_line;
use crate::sinks::markdown::code;
use crate::sinks::terminal;
use crate::sync::{self, Fetched, Prepared, Source, Synced};

/// What the watch found; the process exits 0, 0 and 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    Unchanged,
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::Refused => "refused",
        }
    }
}

/// Every file the watch may write into DIR (old ones are removed first, so
/// a stale body never outlives its run).
const FILES: [&str; 6] = [
    "outcome",
    "title.txt",
    "body.md",
    "labels.txt",
    "commit-message.txt",
    "failure.md",
];

pub fn run(
    project: &Project,
    from: &Source,
    out: &Path,
    baseline: &str,
    check_with: &Path,
    limits: Limits,
) -> Result<Outcome> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for name in FILES {
        let path = out.join(name);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the old {}", path.display()))?;
        }
    }
    let write = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };

    if crate::generate::output::recover(&project.root)? {
        terminal::err("completed or undid an interrupted write\n");
    }
    let fetched = sync::recorded(project)
        .and_then(|previous| Ok((sync::fetch(from, previous.as_ref(), limits)?, previous)));
    let (fetched, refusal_record) = match fetched {
        Ok((Fetched::NotModified(reason), _)) => {
            terminal::err(&format!("unchanged: {reason}\n"));
            write("outcome", "unchanged\n")?;
            return Ok(Outcome::Unchanged);
        }
        Ok((Fetched::Document { text, provenance }, previous)) => {
            let record = provenance.clone();
            (
                sync::build(project, from, text, provenance, previous),
                Some(record),
            )
        }
        Err(err) => (Err(err), None),
    };
    let synced = match fetched {
        Ok(Prepared::Unchanged(reason)) => {
            terminal::err(&format!("unchanged: {reason}\n"));
            write("outcome", "unchanged\n")?;
            return Ok(Outcome::Unchanged);
        }
        Ok(Prepared::Changed(synced)) => synced,
        Err(err) => {
            let cause = one_line(&format!("{err:#}"));
            terminal::err(&format!("refused: {cause}\n"));
            write(
                "failure.md",
                &failure(&cause, from, refusal_record.as_ref()),
            )?;
            write("outcome", "refused\n")?;
            return Ok(Outcome::Refused);
        }
    };
    let previous = synced.previous_files();
    let changed = synced.write(project)?;
    // The backstop: no pull request carries a client that does not build.
    if let Err(cause) = sync::builds(project, check_with) {
        synced.restore(project, previous)?;
        let cause = one_line(&format!(
            "{} was not taken in; no file changed: the regenerated client does not build: {cause}",
            from.shown()
        ));
        terminal::err(&format!("refused: {cause}\n"));
        write(
            "failure.md",
            &failure(&cause, from, refusal_record.as_ref()),
        )?;
        write("outcome", "refused\n")?;
        return Ok(Outcome::Refused);
    }

    synced.show_written(project, &changed);
    let judgement = semver::judge(project, baseline);
    let version = client_version(project)?;
    let pull_request = PullRequest {
        synced: &synced,
        judgement: &judgement,
        baseline,
        version: &version,
    };
    write(
        "title.txt",
        &format!("{}\n", one_line(&pull_request.title())),
    )?;
    write("body.md", &pull_request.body())?;
    write("labels.txt", &pull_request.labels().join("\n"))?;
    write("commit-message.txt", &pull_request.commit_message())?;
    write("outcome", &format!("{}\n", Outcome::Changed.as_str()))?;
    terminal::err(&format!("changed: {}\n", pull_request.title()));
    Ok(Outcome::Changed)
}

fn failure(cause: &str, from: &Source, record: Option<&Provenance>) -> String {
    let mut text = format!(
        "The Ultravox API document was refused; the client was not changed.\n\n\
         **Cause:** {}\n\n## Document\n\n",
        code(cause)
    );
    match record {
        Some(record) => text.push_str(&record.to_markdown()),
        None => {
            let _ = writeln!(text, "- source: {}", code(&from.shown()));
        }
    }
    text.push_str(
        "\nRun `cargo xtask watch --from SOURCE --out /tmp/watch` locally to see the same \
         refusal; fix the cause (the overlay, `openapi/operations.yaml`) or wait for the vendor \
         to publish a sound document.\n",
    );
    text
}

/// The version in the client's manifest.
fn client_version(project: &Project) -> Result<String> {
    let manifest = project.client_manifest();
    let shown = project.show(&manifest);
    let text =
        std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {shown}"))?;
    let toml: toml::Table =
        toml::from_str(&text).with_context(|| format!("{shown} is not TOML"))?;
    toml.get("package")
        .and_then(|package| package.get("version"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{shown} has no package.version"))
}

/// The next version of a `0.y.z` (or `x.y.z`) crate for a change of `kind`.
fn bumped(version: &str, breaking: bool) -> String {
    let parts: Vec<u64> = version
        .split(['.', '-', '+'])
        .take(3)
        .filter_map(|part| part.parse().ok())
        .collect();
    let [major, minor, patch] = parts[..] else {
        return format!("(cannot read the version {version})");
    };
    match (major, breaking) {
        (0, true) => format!("0.{}.0", minor + 1),
        (0, false) => format!("0.{minor}.{}", patch + 1),
        (_, true) => format!("{}.0.0", major + 1),
        (_, false) => format!("{major}.{}.0", minor + 1),
    }
}

/// What the pull request says.
struct PullRequest<'a> {
    synced: &'a Synced,
    judgement: &'a Judgement,
    baseline: &'a str,
    version: &'a str,
}

impl PullRequest<'_> {
    fn verdict(&self) -> Verdict {
        self.synced.report.verdict()
    }

    /// Whether the report and cargo-semver-checks disagree on breaking.
    fn disagree(&self) -> bool {
        match self.judgement {
            Judgement::Unknown(_) => false,
            judgement => (self.verdict() == Verdict::Breaking) != (*judgement == Judgement::Major),
        }
    }

    fn title(&self) -> String {
        let report = &self.synced.report;
        let counts = match self.verdict() {
            Verdict::Docs => format!("{} description(s) changed", report.descriptions.len()),
            _ => format!(
                "{} breaking, {} additive",
                report.count(Impact::Breaking),
                report.count(Impact::Additive)
            ),
        };
        format!("{}: {counts}", self.synced.title())
    }

    fn labels(&self) -> Vec<&'static str> {
        let api = match self.verdict() {
            Verdict::Breaking => "api:breaking",
            Verdict::Additive => "api:additive",
            Verdict::Docs => "api:docs",
        };
        let semver = match self.judgement {
            _ if self.disagree() => "semver:disagree",
            Judgement::Major => "semver:major",
            Judgement::Minor => "semver:minor",
            Judgement::Compatible => "semver:compatible",
            Judgement::Unknown(_) => "semver:unknown",
        };
        vec![api, semver]
    }

    /// The version bump: breaking if either judge says so.
    fn next_version(&self) -> String {
        let breaking = self.verdict() == Verdict::Breaking || *self.judgement == Judgement::Major;
        bumped(self.version, breaking)
    }

    fn judgement_text(&self) -> String {
        match self.judgement {
            Judgement::Major => "a change that breaks users' code (major)".to_owned(),
            Judgement::Minor => "a change that needs a minor version".to_owned(),
            Judgement::Compatible => "no semver update required".to_owned(),
            Judgement::Unknown(why) => format!(
                "**unknown** — {why}. This is not \"compatible\": run `cargo xtask semver \
                 --baseline {}` before merging",
                self.baseline
            ),
        }
    }

    fn body(&self) -> String {
        let synced = self.synced;
        let report = &synced.report;
        let mut body = String::new();
        if let Some(note) = report.server_note() {
            let _ = writeln!(body, "{note}");
        }
        if self.disagree() {
            let _ = writeln!(
                body,
                "> **The report and cargo-semver-checks disagree.** The report says {}; \
                 cargo-semver-checks says {}. Review the entries below against the \
                 generated diff before merging; the version bump takes the breaking side.\n",
                match self.verdict() {
                    Verdict::Breaking => "breaking",
                    Verdict::Additive => "additive only",
                    Verdict::Docs => "descriptions only",
                },
                self.judgement_text()
            );
        }
        if synced.is_older() {
            let previous = synced.previous.as_ref().map(Provenance::published);
            let _ = writeln!(
                body,
                "> **This document ({}) is older than the committed one ({}).** The vendor \
                 may have served a stale copy; check before merging.\n",
                code(&synced.provenance.published()),
                code(&previous.unwrap_or_default())
            );
        }
        let _ = writeln!(body, "## {}\n", self.title());
        let _ = writeln!(
            body,
            "**Version bump:** `ultravox-client` {} → {} ({}).\n",
            self.version,
            self.next_version(),
            match self.verdict() {
                Verdict::Breaking => "breaking: the minor version, while 0.x",
                Verdict::Additive => "additive: a patch, while 0.x",
                Verdict::Docs => "descriptions only: a patch",
            }
        );
        let _ = writeln!(
            body,
            "**cargo-semver-checks** against `{}`: {}.\n",
            self.baseline,
            self.judgement_text()
        );
        body.push_str(
            "### Documents\n\n| | published | sha256 | source |\n| --- | --- | --- | --- |\n",
        );
        let row = |label: &str, record: &Provenance| {
            format!(
                "| {label} | {} | {} | {} |\n",
                code(&record.published()),
                code(record.sha256.get(..16).unwrap_or(&record.sha256)),
                code(&record.source)
            )
        };
        match &synced.previous {
            Some(previous) => body.push_str(&row("previous", previous)),
            None => body.push_str("| previous | (no record) | | |\n"),
        }
        body.push_str(&row("new", &synced.provenance));
        body.push('\n');
        let entries = report.to_markdown("Changes");
        body.push_str(&entries.replacen("## Changes", "### Changes", 1));
        body.push_str(
            "### How to review\n\n\
             1. Read the changes above beside the diff of `openapi/ultravox.json` and \
             `generated-client/src/generated.rs`.\n\
             2. `cargo test --workspace`; review any snapshot change with `cargo insta review`.\n\
             3. Add fixtures (`tests/fixtures/`) for new fields or media.\n\
             4. Merge: release-plz opens the release pull request, with this commit's entry in \
             `CHANGELOG.md` and the version bump above.\n",
        );
        body
    }

    fn commit_message(&self) -> String {
        let kind = match self.verdict() {
            Verdict::Breaking => "feat(api)!",
            Verdict::Additive => "feat(api)",
            Verdict::Docs => "docs(api)",
        };
        // Every line is one line: a name with a line break cannot add a
        // trailer (`Co-authored-by:`) that release-plz or GitHub would read.
        let mut message = format!("{kind}: {}\n\n", one_line(&self.title()));
        for entry in &self.synced.report.entries {
            let _ = writeln!(
                message,
                "- {}",
                one_line(&format!("{}: {}", entry.at, entry.what))
            );
        }
        for at in &self.synced.report.descriptions {
            let _ = writeln!(
                message,
                "- {}",
                one_line(&format!("{at}: description changed"))
            );
        }
        let _ = writeln!(
            message,
            "\nSource: {} (sha256 {})",
            one_line(&self.synced.provenance.source),
            one_line(&self.synced.provenance.sha256)
        );
        message
    }
}

#[cfg(test)]
mod tests {
    use super::bumped;

    #[test]
    fn versions_bump_as_cargo_reads_0_x() {
        assert_eq!(bumped("0.2.0", true), "0.3.0");
        assert_eq!(bumped("0.2.0", false), "0.2.1");
        assert_eq!(bumped("1.4.2", true), "2.0.0");
        assert_eq!(bumped("1.4.2", false), "1.5.0");
    }
}
