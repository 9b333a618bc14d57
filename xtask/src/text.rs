//! Text shortened for one-line summaries: a refusal's cause, a tool's
//! unexpected output.

/// The first line of `text`, trimmed, at most 500 characters (an ellipsis
/// marks a cut).
pub fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn keeps_the_first_line_and_cuts_a_long_one() {
        assert_eq!(one_line("  first  \nsecond"), "first");
        assert_eq!(one_line(""), "");
        let long = "é".repeat(600);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), 501);
        assert!(cut.ends_with('…'));
    }
}
