//! Writing generated files safely, and showing how they differ.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// How many diff lines `--check` prints before eliding the rest.
const MAX_DIFF_LINES: usize = 40;

/// Writes `contents` to `path` unless it already holds exactly that; returns
/// whether it wrote. The write is atomic: a temp file beside the target, then
/// a rename, so a failure never leaves a half-written file.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    temp.write_all(contents.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in {}", dir.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(true)
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
