//! Markdown that GitHub renders: the change report, the pull request's
//! `body.md`, the refusal issue's `failure.md`, CHANGELOG entries. Text from
//! the document or the server is shown as an inline code span, in which
//! GitHub links no mention (`@user`), no reference (`#1`), no URL and
//! renders no HTML, link or image.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// `text` as one inert inline code span, fenced with more backticks than
/// any run in it, on one line (line breaks and hidden characters escaped),
/// with `|` escaped so that it cannot end a table cell. The span is parsed
/// back (CommonMark with GitHub's extensions) and used only if it is one
/// code span and nothing else.
pub fn code(text: &str) -> String {
    let line = super::reveal(text, false).replace('|', "\\|");
    if line.trim().is_empty() {
        return "(empty)".to_owned();
    }
    let span = super::code_span_of(&line);
    if is_one_code_span(&span) {
        span
    } else {
        format!(
            "(text of {} bytes not shown: it is not one code span)",
            text.len()
        )
    }
}

/// Whether `markdown` parses as a paragraph holding one code span.
fn is_one_code_span(markdown: &str) -> bool {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();
    matches!(
        events.as_slice(),
        [
            Event::Start(Tag::Paragraph),
            Event::Code(_),
            Event::End(TagEnd::Paragraph)
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn every_hostile_string_is_one_code_span() {
        for hostile in super::super::HOSTILE {
            let span = code(hostile);
            assert!(!span.contains(['\n', '\r']), "{span:?}");
            assert!(!span.chars().any(super::super::is_hidden), "{span:?}");
            // One span: the fence opens and closes it, nothing in between
            // is as long.
            let fence_len = span.chars().take_while(|&c| c == '`').count();
            let inner = &span[fence_len..span.len() - fence_len];
            assert!(span.ends_with(&"`".repeat(fence_len)), "{span}");
            assert!(
                inner.split(|c| c != '`').all(|run| run.len() < fence_len),
                "{span}"
            );
            assert!(!inner.replace("\\|", "").contains('|'), "{span}");
        }
        assert_eq!(code("a ` b"), "``a ` b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("@octocat"), "`@octocat`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code(""), "(empty)");
        assert_eq!(code("  "), "(empty)");
        for span in ["`a`", "`` a ` b ``"] {
            assert!(super::is_one_code_span(span), "{span}");
        }
        for not_one in ["`a` b", "`a", "```\na\n```", "- `a`"] {
            assert!(!super::is_one_code_span(not_one), "{not_one}");
        }
    }
}
