//! Doc comments of the generated code. rustdoc reads them as CommonMark
//! (pulldown-cmark): it compiles and runs every code block not marked
//! otherwise as a doctest, wherever the block stands (in a block quote, in a
//! list item), passes HTML through to the page, renders links and images,
//! resolves `[Name]` as an intra-doc link and, under `-D warnings`, fails on
//! one it cannot resolve or on a bare URL. rustc itself rejects
//! bidirectional controls and a lone CR in a doc comment.
//!
//! [`doc_text`] therefore does not read the vendor's Markdown line by line:
//! it parses it with the parser rustdoc uses, with rustdoc's extensions,
//! and writes back only what may render — paragraphs, emphasis, lists,
//! inline code, text, line breaks:
//!
//! - every code block, at any depth, becomes a `text` block (shown, never
//!   compiled or run);
//! - HTML, blocks and inline, is shown as text;
//! - a link or an image keeps its text, and its destination is shown as a
//!   code span, never as a link (nor a bare URL that rustdoc would lint);
//! - every character that could open a construct (brackets, `<`, a
//!   backtick, a line-start marker, …) is backslash-escaped, so text stays
//!   text;
//! - block quotes, headings, tables, rules, reference and footnote
//!   definitions become plain paragraphs.
//!
//! `sinks::rustdoc_backstop` checks the generated code on a path of its own.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// The extensions rustdoc turns on (but smart punctuation, which would
/// rewrite the vendor's quotes: it changes no structure).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Lists nested deeper than this are written as paragraphs: indentation
/// would grow with the square of the depth.
const MAX_LIST_DEPTH: usize = 6;

/// A description (or summary) of the document as rustdoc text.
pub fn doc_text(text: &str) -> String {
    // rustc refuses a lone CR in a doc comment; CommonMark reads one as a
    // line break, so it is one here too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut parser = Parser::new_ext(&text, options());
    let mut writer = Writer::default();
    for event in &mut parser {
        writer.event(event);
    }
    writer.flush_text();
    let mut definitions: Vec<(String, String)> = parser
        .reference_definitions()
        .iter()
        .map(|(label, definition)| (label.to_owned(), definition.dest.to_string()))
        .collect();
    definitions.sort();
    for (label, destination) in definitions {
        writer.start_block();
        writer.text(&format!("[{label}]: "));
        writer.flush_text();
        writer.out.push_str(&code_span(&destination));
        writer.pending = Break::Blank;
    }
    writer.out.trim_end().to_owned()
}

/// `text` as one code span in a doc comment, on one line: a value of the
/// document (an enum value, a path, a pattern) shown as written.
pub fn code_span(text: &str) -> String {
    let line = super::reveal(text, false);
    if line.trim().is_empty() {
        return format!("`{:?}`", line);
    }
    super::code_span_of(&line)
}

#[derive(Clone, Copy, Default, PartialEq)]
enum Break {
    #[default]
    None,
    Line,
    Blank,
}

struct List {
    /// The next number of an ordered list.
    next: Option<u64>,
    /// Whether an item held a paragraph (a loose list: blank lines
    /// between items).
    loose: bool,
    /// Written as paragraphs (over [`MAX_LIST_DEPTH`]).
    flat: bool,
}

#[derive(Default)]
struct Writer {
    out: String,
    /// The indentation of each open list item's content.
    indent: Vec<usize>,
    lists: Vec<List>,
    pending: Break,
    /// Whether what is written next starts a line (where `-`, `#`, `1.`
    /// would open a block).
    line_start: bool,
    /// Where the current line's text starts in `out` (after indentation
    /// and a list marker).
    content_start: usize,
    /// Text not written yet: the parser splits text at characters that
    /// opened nothing, and a URL is recognised whole.
    text: String,
    /// The destinations of the open links and images.
    destinations: Vec<(LinkType, String)>,
    /// The text of an open code or HTML block.
    block: Option<String>,
    /// Whether a list marker was the last thing written.
    marker_open: bool,
    /// Cells written in the current table row.
    cells: usize,
}

impl Writer {
    fn event(&mut self, event: Event<'_>) {
        if let Some(block) = &mut self.block {
            match event {
                Event::Text(text) | Event::Html(text) => {
                    block.push_str(&text);
                    return;
                }
                Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                    let block = self.block.take().unwrap_or_default();
                    self.code_block(&block);
                    return;
                }
                _ => {}
            }
        }
        if let Event::Text(text) = &event {
            self.text.push_str(text);
            return;
        }
        self.flush_text();
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Code(code) => self.push(&code_span(&code)),
            Event::InlineHtml(html) | Event::Html(html) => self.text(&html),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.text(&math),
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]")),
            Event::SoftBreak => self.new_line(),
            Event::HardBreak => {
                self.out.push('\\');
                self.new_line();
            }
            Event::Rule => self.pending = Break::Blank,
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::Text(_) => {}
        }
        self.flush_text();
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::Heading { .. } | Tag::TableHead | Tag::TableRow => {
                let in_item = self.indent.len() == self.lists.len();
                if let Some(list) = self.lists.last_mut()
                    && in_item
                {
                    list.loose = true;
                }
                self.start_block();
                self.cells = 0;
            }
            // Fenced (whatever its info string) or indented, the same.
            Tag::CodeBlock(_) | Tag::HtmlBlock => self.block = Some(String::new()),
            Tag::List(start) => {
                let flat = self.lists.len() >= MAX_LIST_DEPTH;
                self.lists.push(List {
                    next: start,
                    loose: false,
                    flat,
                });
                self.pending = Break::Blank;
            }
            Tag::Item => {
                self.start_block();
                let depth = self.lists.len();
                let Some(list) = self.lists.last_mut() else {
                    return;
                };
                let marker = match &mut list.next {
                    Some(number) => {
                        let marker = format!("{number}. ");
                        *number = number.saturating_add(1);
                        marker
                    }
                    // `-` and `+` alternate by depth: items opened on one
                    // line (`- - -`) would otherwise be a thematic break.
                    None if depth % 2 == 1 => "- ".to_owned(),
                    None => "+ ".to_owned(),
                };
                if list.flat {
                    let marker = marker.clone();
                    self.text(&marker);
                    self.flush_text();
                    self.indent.push(0);
                } else {
                    self.out.push_str(&marker);
                    self.indent.push(marker.len());
                }
                self.mark_line_start();
                self.marker_open = true;
            }
            Tag::FootnoteDefinition(label) => {
                self.start_block();
                self.text(&format!("[^{label}]:"));
                self.flush_text();
                self.pending = Break::Line;
            }
            Tag::TableCell => {
                if self.cells > 0 {
                    self.push(" \\| ");
                }
                self.cells += 1;
            }
            Tag::Emphasis => self.push("*"),
            Tag::Strong => self.push("**"),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => self.destinations.push((link_type, dest_url.to_string())),
            Tag::Image { dest_url, .. } => {
                self.destinations
                    .push((LinkType::Inline, dest_url.to_string()));
                self.text("image: ");
            }
            // Not rendered: the text stays, the construct goes.
            Tag::BlockQuote(_)
            | Tag::Strikethrough
            | Tag::Table(_)
            | Tag::Superscript
            | Tag::Subscript
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::BlockQuote(_)
            | TagEnd::Table
            | TagEnd::FootnoteDefinition
            | TagEnd::CodeBlock
            | TagEnd::HtmlBlock
            | TagEnd::DefinitionList
            | TagEnd::MetadataBlock(_) => self.pending = Break::Blank,
            TagEnd::List(_) => {
                self.lists.pop();
                self.pending = Break::Blank;
            }
            TagEnd::Item => {
                // An empty item ends at its marker.
                self.marker_open = false;
                self.indent.pop();
                let loose = self.lists.last().is_none_or(|list| list.loose);
                self.pending = if loose { Break::Blank } else { Break::Line };
            }
            TagEnd::Emphasis => self.push("*"),
            TagEnd::Strong => self.push("**"),
            TagEnd::Link | TagEnd::Image => {
                let Some((kind, destination)) = self.destinations.pop() else {
                    return;
                };
                // An autolink's text is its destination, shown already.
                if !matches!(kind, LinkType::Autolink | LinkType::Email)
                    && !destination.trim().is_empty()
                {
                    self.push(&format!(" ({})", code_span(&destination)));
                }
            }
            TagEnd::TableCell
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => {}
        }
    }

    /// Separates the next block from what is written, at the current
    /// indentation.
    fn start_block(&mut self) {
        self.flush_text();
        self.separate();
    }

    /// Writes the break a block needs from what precedes it.
    fn separate(&mut self) {
        // Right after a list marker (and blocks that wrote nothing), the
        // item's first block stays on the marker's line: a blank line there
        // would end the item.
        if !self.out.is_empty() && !self.marker_open {
            // A block after inline text (a tight item's) is set apart.
            let separation = match self.pending {
                Break::None | Break::Blank => "\n\n",
                Break::Line => "\n",
            };
            self.out.push_str(separation);
            self.push_indent();
        }
        self.pending = Break::None;
        self.mark_line_start();
    }

    fn new_line(&mut self) {
        self.marker_open = false;
        self.out.push('\n');
        self.push_indent();
        self.mark_line_start();
    }

    /// Writes markup of the writer's own (not the vendor's text).
    fn push(&mut self, markup: &str) {
        // Inline content after a block (in a tight item) starts a line.
        if self.pending != Break::None {
            self.separate();
        }
        self.out.push_str(markup);
        self.line_start = false;
        self.marker_open = false;
    }

    fn mark_line_start(&mut self) {
        self.line_start = true;
        self.content_start = self.out.len();
    }

    fn push_indent(&mut self) {
        let width: usize = self.indent.iter().sum();
        self.out.extend(std::iter::repeat_n(' ', width));
    }

    /// `code` (a code block's or an HTML block's text) as a `text` block
    /// fenced with more backticks than any run in it.
    fn code_block(&mut self, code: &str) {
        self.start_block();
        self.marker_open = false;
        let code = super::reveal(code, true);
        let longest = code
            .split(|c| c != '`')
            .map(str::len)
            .max()
            .unwrap_or_default();
        let fence = "`".repeat((longest + 1).max(3));
        self.out.push_str(&fence);
        self.out.push_str("text");
        for line in code.trim_end_matches('\n').split('\n') {
            self.new_line();
            self.out.push_str(line);
        }
        self.new_line();
        self.out.push_str(&fence);
        self.pending = Break::Blank;
    }

    /// Queues `text` to be written as text.
    fn text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        if self.pending != Break::None {
            self.separate();
        }
        let text = super::reveal(&text, false);
        let mut rest = text.as_str();
        // A URL is shown as a code span: neither a link nor a bare URL.
        while let Some(at) = find_scheme(rest) {
            let start = rest[..at]
                .rfind(|c: char| c.is_whitespace() || "(<[\"'".contains(c))
                .map_or(0, |i| i + 1);
            let end = rest[at..]
                .find(|c: char| c.is_whitespace() || "<>\"'".contains(c))
                .map_or(rest.len(), |i| at + i);
            let url = rest[start..end].trim_end_matches(['.', ',', ')', ';', ':', '!', '?', ']']);
            let end = start + url.len();
            self.escape(&rest[..start]);
            self.push(&code_span(url));
            rest = &rest[end..];
        }
        self.escape(rest);
    }

    /// Plain text, every character that could open a construct escaped.
    fn escape(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if self.line_start && c.is_whitespace() {
                continue;
            }
            let previous = i.checked_sub(1).map(|i| chars[i]);
            let next = chars.get(i + 1).copied();
            let escape = match c {
                '\\' | '`' | '*' | '[' | ']' | '<' | '~' | '|' => true,
                '_' => {
                    !previous.is_some_and(char::is_alphanumeric)
                        || !next.is_some_and(char::is_alphanumeric)
                }
                '&' => next.is_some_and(|n| n == '#' || n.is_ascii_alphanumeric()),
                '>' | '#' | '-' | '+' | '=' => self.line_start,
                // `1.` or `1)` at a line's start opens a list.
                '.' | ')' => {
                    let written = &self.out[self.content_start..];
                    !written.is_empty() && written.bytes().all(|b| b.is_ascii_digit())
                }
                _ => false,
            };
            if escape {
                self.out.push('\\');
            }
            self.out.push(c);
            self.line_start = false;
            self.marker_open = false;
        }
    }
}

/// Where in `text` a URL's `scheme://` starts.
fn find_scheme(text: &str) -> Option<usize> {
    let at = text.find("://")?;
    let start = text[..at]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(0, |i| i + 1);
    Some(start.min(at))
}

#[cfg(test)]
mod tests {
    use super::{code_span, doc_text};

    #[test]
    fn code_blocks_anywhere_become_text_blocks() {
        assert_eq!(
            doc_text("```rust\nlet x = 1;\n```"),
            "```text\nlet x = 1;\n```"
        );
        assert_eq!(doc_text("a\n\n    b();"), "a\n\n```text\nb();\n```");
        assert_eq!(doc_text("~~~\nx"), "```text\nx\n```");
        assert_eq!(doc_text("> ~~~\n> run()\n> ~~~"), "```text\nrun()\n```");
        assert_eq!(
            doc_text("- item\n\n  ```\n  run()\n  ```"),
            "- item\n\n  ```text\n  run()\n  ```"
        );
        assert_eq!(doc_text("-     code"), "- ```text\n  code\n  ```");
        assert_eq!(
            doc_text("1. ~~~rust\n   x\n   ~~~"),
            "1. ```text\n   x\n   ```"
        );
        assert_eq!(doc_text("````\n```\n````"), "````text\n```\n````");
        // Found by the property test: an item whose first block writes
        // nothing, and text after a block in a tight item.
        assert_eq!(doc_text("10. #\n    \n    text"), "10. text");
        assert_eq!(doc_text("10. - text"), "10. + text");
        assert_eq!(doc_text("- - +\n    \n    text"), "- + - \n\n    text");
        assert_eq!(doc_text("- > ```\n  a"), "- ```text\n  \n  ```\n\n  a");
    }

    #[test]
    fn html_links_and_brackets_are_text() {
        assert_eq!(doc_text("a ` <b>"), "a \\` \\<b>");
        assert_eq!(doc_text("`<img>` <img>"), "`<img>` \\<img>");
        assert_eq!(doc_text("\\`<img src=x>`"), "\\`\\<img src=x>\\`");
        assert_eq!(
            doc_text("[x](javascript:alert(1))"),
            "x (`javascript:alert(1)`)"
        );
        assert_eq!(
            doc_text("![logo](https://evil.example/x.png)"),
            "image: logo (`https://evil.example/x.png`)"
        );
        assert_eq!(
            doc_text("see [Foo] and [`Bar`]"),
            "see \\[Foo\\] and \\[`Bar`\\]"
        );
        assert_eq!(
            doc_text("[a]: javascript:x\n\n[a]"),
            "a (`javascript:x`)\n\n\\[a\\]: `javascript:x`"
        );
        assert_eq!(doc_text("&lt;b&gt;"), "\\<b>");
        assert_eq!(doc_text("x\ry"), "x\ny");
    }

    /// The vendor's ordinary Markdown renders as before; URLs are code.
    #[test]
    fn ordinary_markdown_is_kept() {
        assert_eq!(
            doc_text("* `call.started` - Fired when a call starts\n* `hangup`"),
            "- `call.started` - Fired when a call starts\n- `hangup`"
        );
        assert_eq!(
            doc_text("See https://docs.ultravox.ai/webhooks."),
            "See `https://docs.ultravox.ai/webhooks`."
        );
        assert_eq!(
            doc_text("Between 0.6x and 2.0x (default is 1.0x), snake_case *em*."),
            "Between 0.6x and 2.0x (default is 1.0x), snake_case *em*."
        );
        assert_eq!(doc_text("1. one\n2. two"), "1. one\n2. two");
        assert_eq!(doc_text("a\n- b"), "a\n\n- b");
        assert_eq!(doc_text("1\\. not a list"), "1\\. not a list");
        assert_eq!(doc_text("# Title\ntext"), "Title\n\ntext");
    }

    /// What the backstop, on its own path, finds in the encoder's output.
    #[test]
    fn every_hostile_string_passes_the_backstop() {
        let names = Default::default();
        for hostile in super::super::HOSTILE {
            let doc = doc_text(hostile);
            assert_eq!(
                super::super::rustdoc_backstop::problem(&doc, &names),
                None,
                "{hostile:?} became {doc:?}"
            );
            assert!(!doc.contains('\r'), "{doc:?}");
            assert!(!doc.chars().any(super::super::is_hidden), "{doc:?}");
        }
    }

    #[test]
    fn values_are_one_code_span() {
        assert_eq!(code_span("call.started"), "`call.started`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`"), "`` ` ``");
        assert_eq!(code_span("a\nb"), "`a\\nb`");
        assert_eq!(code_span(""), "`\"\"`");
    }
}
