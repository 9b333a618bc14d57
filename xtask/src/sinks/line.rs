//! One-line outputs: the pull request's title and labels, the commit
//! message's lines, anything the workflow reads from `$GITHUB_OUTPUT`, and
//! the one-line causes of refusals.

/// `text` on one line, at most 500 characters (an ellipsis marks a cut):
/// line breaks, tabs and every hidden character are written as escapes
/// (`\n`, `\u{1b}`), so the line cannot end early, start a workflow command
/// or carry a terminal sequence.
pub fn one_line(text: &str) -> String {
    let line = super::reveal(text.trim(), false);
    match line.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn every_hostile_string_stays_one_visible_line() {
        for hostile in super::super::HOSTILE {
            let line = one_line(hostile);
            assert!(!line.contains(['\n', '\r', '\u{1b}', '\u{7}']), "{line:?}");
            assert!(!line.chars().any(super::super::is_hidden), "{line:?}");
        }
        assert_eq!(
            one_line("name\nCo-authored-by: M"),
            "name\\nCo-authored-by: M"
        );
        assert_eq!(one_line("  first  "), "first");
        let cut = one_line(&"é".repeat(600));
        assert_eq!(cut.chars().count(), 501);
        assert!(cut.ends_with('…'));
    }
}
