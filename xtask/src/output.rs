//! Writing generated files safely, and showing how they differ.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How many diff lines `--check` prints before eliding the rest.
const MAX_DIFF_LINES: usize = 40;

/// Writes every file whose contents changed, or none of them; returns which
/// changed. Each new file is written to a temp file beside its target first;
/// only when all are written are they renamed into place, and a failed rename
/// puts back the files already replaced. A failure never leaves a
/// half-written file or a half-updated set.
pub fn write_all(files: &[(PathBuf, String)]) -> Result<Vec<bool>> {
    let mut staged = Vec::new();
    let mut changed = Vec::new();
    for (path, contents) in files {
        let old = std::fs::read(path).ok();
        let is_changed = old.as_deref() != Some(contents.as_bytes());
        changed.push(is_changed);
        if is_changed {
            staged.push((path, stage(path, contents)?, old));
        }
    }
    let mut replaced: Vec<(&PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (path, temp, old) in staged {
        if let Err(err) = temp.persist(path) {
            for (path, old) in replaced {
                // Best effort: the error below says what happened.
                let _ = match old {
                    Some(bytes) => std::fs::write(path, bytes),
                    None => std::fs::remove_file(path),
                };
            }
            return Err(err.error).with_context(|| {
                format!("cannot replace {}; no file was changed", path.display())
            });
        }
        replaced.push((path, old));
    }
    Ok(changed)
}

fn stage(path: &Path, contents: &str) -> Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    temp.write_all(contents.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in {}", dir.display()))?;
    Ok(temp)
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
