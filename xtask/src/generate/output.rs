//! Writing generated files safely, and showing how they differ.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How many diff lines `--check` prints before eliding the rest.
const MAX_DIFF_LINES: usize = 40;

/// Where a write in progress keeps its files, under the project root.
pub const JOURNAL: &str = ".xtask-write";

/// Writes every file whose contents changed, all or nothing, even if the
/// process is killed at any moment; returns which changed. The new files
/// are first written (and synced) into the journal directory under `root`,
/// then its plan is committed with one rename, then each file is renamed
/// into place, then the journal is removed. A process killed before the
/// commit leaves the old tree (and a journal that the next run deletes);
/// killed after it, a plan that the next run of any command completes
/// ([`recover`]). Every target must be under `root`.
pub fn write_all(root: &Path, files: &[(PathBuf, String)]) -> Result<Vec<bool>> {
    recover(root)?;
    let journal = root.join(JOURNAL);
    let mut changed = Vec::new();
    let mut plan = Vec::new();
    for (path, contents) in files {
        let is_changed = std::fs::read(path).ok().as_deref() != Some(contents.as_bytes());
        changed.push(is_changed);
        if !is_changed {
            continue;
        }
        let relative = path.strip_prefix(root).with_context(|| {
            format!(
                "{} is outside the project {}",
                path.display(),
                root.display()
            )
        })?;
        if plan.is_empty() {
            std::fs::create_dir_all(&journal)
                .with_context(|| format!("cannot create {}", journal.display()))?;
        }
        let staged = journal.join(plan.len().to_string());
        write_synced(&staged, contents.as_bytes())?;
        plan.push(relative.to_string_lossy().into_owned());
    }
    if plan.is_empty() {
        return Ok(changed);
    }
    // The commit point: from here on, the new tree is what a rerun makes.
    let text = serde_json::to_string(&plan).expect("strings serialize");
    write_synced(&journal.join("plan.tmp"), text.as_bytes())?;
    std::fs::rename(journal.join("plan.tmp"), journal.join("plan.json"))
        .with_context(|| format!("cannot commit the write in {}", journal.display()))?;
    sync_dir(&journal);
    complete(root)?;
    Ok(changed)
}

/// Finishes or discards a write a killed process left: with a committed
/// plan, moves the rest of its files into place; without one, removes the
/// journal (the tree is the old one). Returns whether there was one.
pub fn recover(root: &Path) -> Result<bool> {
    let journal = root.join(JOURNAL);
    if !journal.exists() {
        return Ok(false);
    }
    if journal.join("plan.json").exists() {
        complete(root)?;
    } else {
        std::fs::remove_dir_all(&journal)
            .with_context(|| format!("cannot remove the unfinished {}", journal.display()))?;
    }
    Ok(true)
}

/// Moves every staged file of the committed plan into place (a file moved
/// already is gone from the journal), then removes the journal.
fn complete(root: &Path) -> Result<()> {
    let journal = root.join(JOURNAL);
    let plan_path = journal.join("plan.json");
    let text = std::fs::read_to_string(&plan_path)
        .with_context(|| format!("cannot read {}", plan_path.display()))?;
    let plan: Vec<String> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is damaged; delete {} and run the command again",
            plan_path.display(),
            journal.display()
        )
    })?;
    // Checked whole before anything moves: a plan is the xtask's own, and
    // one planted in the tree must not move a file outside the project.
    for (index, relative) in plan.iter().enumerate() {
        if let Err(why) = check_planned(root, relative, &journal.join(index.to_string())) {
            anyhow::bail!(
                "{} names {relative:?}, which {why}; nothing was moved. The xtask writes no such \
                 plan: delete {} and run the command again",
                plan_path.display(),
                journal.display()
            );
        }
    }
    for (index, relative) in plan.iter().enumerate() {
        let staged = journal.join(index.to_string());
        if !staged.exists() {
            continue;
        }
        let target = root.join(relative);
        std::fs::rename(&staged, &target).with_context(|| {
            format!(
                "cannot move {} into place; run the command again to finish the write",
                target.display()
            )
        })?;
    }
    if let Some(parent) = plan
        .first()
        .and_then(|first| root.join(first).parent().map(Path::to_path_buf))
    {
        sync_dir(&parent);
    }
    std::fs::remove_file(&plan_path)
        .and_then(|()| std::fs::remove_dir_all(&journal))
        .with_context(|| format!("cannot remove {}", journal.display()))
}

/// Why the plan's `relative` path (staged at `staged`) may not be moved into
/// place: absolute, leaving the project (`..`), or passing through a
/// symbolic link (the journal's own file included).
fn check_planned(root: &Path, relative: &str, staged: &Path) -> Result<(), String> {
    use std::path::Component;
    let path = Path::new(relative);
    if relative.is_empty() || path.is_absolute() || path.has_root() {
        return Err("is not a path inside the project".to_owned());
    }
    if path
        .components()
        .any(|component| !matches!(component, Component::Normal(_)))
    {
        return Err("contains `..` or `.`".to_owned());
    }
    let is_link = |path: &Path| {
        std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
    };
    if is_link(staged) {
        return Err(format!(
            "is staged as a symbolic link ({})",
            staged.display()
        ));
    }
    let mut at = root.to_path_buf();
    for component in path.components() {
        at.push(component);
        if is_link(&at) {
            return Err(format!("passes through the symbolic link {}", at.display()));
        }
    }
    Ok(())
}

fn write_synced(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Makes a directory's renames durable (best effort: not every platform
/// can open a directory).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// A short unified diff from the file at `path` to `expected`, or `None` when
/// they are identical. A missing file diffs as empty.
pub fn diff(path: &Path, expected: &str) -> Result<Option<String>> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    if current == expected {
        return Ok(None);
    }
    let diff = similar::TextDiff::from_lines(&current, expected)
        .unified_diff()
        .context_radius(2)
        .header("committed", "regenerated")
        .to_string();
    let mut lines: Vec<&str> = diff.lines().collect();
    let total = lines.len();
    lines.truncate(MAX_DIFF_LINES);
    let mut shown = lines.join("\n");
    if total > MAX_DIFF_LINES {
        shown.push_str(&format!(
            "\n... ({} more diff lines)",
            total - MAX_DIFF_LINES
        ));
    }
    Ok(Some(shown))
}
