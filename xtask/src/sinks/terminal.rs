//! The terminal: everything the xtask prints goes through [`out`] or
//! [`err`], which show control characters (escape sequences, lone CRs, bell,
//! C1) and bidirectional or invisible characters as escapes; line breaks
//! and tabs stay. A CI log is a terminal too, and the GitHub Actions runner
//! reads workflow commands from it: `::name::` at a line's start (after
//! blanks) and, in its legacy form, `##[name]` anywhere in a line. Both are
//! broken up by writing one of their characters as an escape (`\u{3a}:`,
//! `#\u{23}[`), so no text of the document's is ever a command.

use std::io::Write as _;

/// `text` safe for a terminal or a CI log: multi-line, nothing hidden.
pub fn escape(text: &str) -> String {
    let revealed = super::reveal(text, true);
    let mut out = String::with_capacity(revealed.len());
    for line in revealed.split_inclusive('\n') {
        let body = line.trim_start();
        let blanks = &line[..line.len() - body.len()];
        out.push_str(blanks);
        let body = match body.strip_prefix("::") {
            Some(rest) => format!("\\u{{3a}}:{rest}"),
            None => body.to_owned(),
        };
        out.push_str(&body.replace("##[", "#\\u{23}["));
    }
    out
}

/// Prints `text` to stdout, escaped. A closed stdout (`| head`) is not an
/// error worth a panic.
pub fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(escape(text).as_bytes());
}

/// Prints `text` to stderr, escaped.
pub fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(escape(text).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_sequences_are_shown_not_run() {
        for hostile in super::super::HOSTILE {
            let shown = escape(hostile);
            assert!(!shown.contains(['\r', '\u{1b}', '\u{7}']), "{shown:?}");
            assert!(!shown.chars().any(super::super::is_hidden), "{shown:?}");
            assert!(!shown.contains("##["), "{shown:?}");
            assert!(
                shown
                    .lines()
                    .all(|line| !line.trim_start().starts_with("::")),
                "{shown:?}"
            );
        }
        assert_eq!(escape("a\r\nb\tc\n"), "a\nb\tc\n");
        assert_eq!(escape("x\u{1b}[2J"), "x\\u{1b}[2J");
        assert_eq!(escape("a\rb"), "a\\rb");
        assert_eq!(escape("\u{202E}"), "\\u{202e}");
        assert_eq!(escape("::add-mask::x"), "\\u{3a}:add-mask::x");
        assert_eq!(escape("a\n  ::error::x"), "a\n  \\u{3a}:error::x");
        assert_eq!(escape("a: b::c"), "a: b::c");
        assert_eq!(
            escape("/api/##[error title=x]y ##[add-mask]z"),
            "/api/#\\u{23}[error title=x]y #\\u{23}[add-mask]z"
        );
    }

    /// Nothing in the xtask prints but through this module.
    #[test]
    fn no_other_module_prints() {
        let src = crate::project::workspace_root().join("xtask/src");
        let mut offenders = Vec::new();
        let mut pending = vec![src.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.ends_with("sinks/terminal.rs") {
                    continue;
                } else {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for needle in ["println!(", "eprintln!(", "print!(", "eprint!("] {
                        if text.contains(needle) {
                            offenders.push(format!("{}: {needle}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
