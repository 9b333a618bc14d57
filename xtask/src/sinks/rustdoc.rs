//! Doc comments of the generated code. rustdoc reads them as Markdown: it
//! compiles and runs every code block that is not marked otherwise (a fence
//! with any info string but a few, an indented block) as a doctest, so
//! `cargo test` would run the document's code; and it passes HTML through
//! to the rendered page. rustc itself rejects bidirectional controls and a
//! lone CR in a doc comment.
//!
//! [`doc_text`] keeps the vendor's Markdown as it renders (paragraphs,
//! lists, emphasis, code spans, fenced blocks) but makes every code block a
//! `text` block, which rustdoc neither compiles nor runs, escapes every `<`
//! outside code (so no HTML), and writes hidden characters as escapes.

/// A description (or summary) of the document as rustdoc text.
pub fn doc_text(text: &str) -> String {
    let text = super::reveal(text, true).replace('\r', "\n");
    let mut out = Vec::new();
    // The open fence's character and length.
    let mut fence: Option<(char, usize)> = None;
    for line in text.split('\n') {
        match fence {
            Some((c, len)) => {
                if is_closing(line, c, len) {
                    out.push("```".to_owned());
                    fence = None;
                } else {
                    // Inside a `text` block nothing is Markdown, nothing runs;
                    // a line that would close our own fence is shown escaped.
                    out.push(if line.trim_start().starts_with("```") {
                        line.replacen('`', "\\`", 1)
                    } else {
                        line.to_owned()
                    });
                }
            }
            None => {
                if let Some(opened) = opening(line) {
                    fence = Some(opened);
                    out.push("```text".to_owned());
                } else {
                    // Four columns of indentation would make a code block:
                    // the line keeps its text, not its indentation.
                    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
                    let columns: usize = line[..indent]
                        .chars()
                        .map(|c| if c == '\t' { 4 } else { 1 })
                        .sum();
                    let line = if columns >= 4 {
                        line.trim_start()
                    } else {
                        line
                    };
                    out.push(inline(line));
                }
            }
        }
    }
    if fence.is_some() {
        out.push("```".to_owned());
    }
    out.join("\n")
}

/// A fence that opens a code block: up to three spaces, then three or more
/// backticks or tildes; `(char, length)`.
fn opening(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = rest.chars().take_while(|&x| x == c).count();
    // A backtick fence's info string may not contain a backtick.
    (len >= 3 && !(c == '`' && rest[len..].contains('`'))).then_some((c, len))
}

fn is_closing(line: &str, c: char, len: usize) -> bool {
    let trimmed = line.trim_start_matches(' ');
    line.len() - trimmed.len() <= 3
        && trimmed.chars().take_while(|&x| x == c).count() >= len
        && trimmed.trim_start_matches(c).trim().is_empty()
}

/// One line of prose: code spans (a run of backticks closed by a run of
/// the same length) stay as written; elsewhere `<` is escaped, bare URLs
/// become links, and a backtick that closes nothing is escaped.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&prose(&rest[..start]));
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + run..];
        match find_run(after, run) {
            Some(end) => {
                out.push_str(&rest[start..start + run + end + run]);
                rest = &after[end + run..];
            }
            None => {
                out.push_str(&"\\`".repeat(run));
                rest = after;
            }
        }
    }
    out.push_str(&prose(rest));
    out
}

/// Where in `text` a run of exactly `len` backticks starts.
fn find_run(text: &str, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// Prose: `<` escaped so it is not read as HTML, bare URLs made links (a
/// URL ends at whitespace, and trailing punctuation stays outside the link).
fn prose(text: &str) -> String {
    text.replace('<', "\\<")
        .split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end_matches(char::is_whitespace);
            let space = &piece[word.len()..];
            let trimmed = word.trim_end_matches(['.', ',', ')', ';', ':', '!', '?']);
            let plain_url = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
                && !trimmed.contains(['<', '>', '\\']);
            if plain_url {
                format!("<{trimmed}>{}{space}", &word[trimmed.len()..])
            } else {
                piece.to_owned()
            }
        })
        .collect()
}

/// `text` as one code span in a doc comment, on one line: a value of the
/// document (an enum value, a path, a pattern) shown as written.
pub fn code_span(text: &str) -> String {
    let line = super::reveal(text, false);
    if line.is_empty() {
        return "`\"\"`".to_owned();
    }
    super::code_span_of(&line)
}

/// The backstop: every doc comment of `file` (its consecutive `#[doc]`
/// attributes joined, as rustdoc joins them) has no code block but `text`
/// ones, no indented code block and no HTML tag outside code. Fails naming
/// the first item that has, which means an encoder was bypassed.
pub fn check(file: &syn::File, shown: &str) -> anyhow::Result<()> {
    use syn::visit::Visit;

    struct Docs {
        found: Option<String>,
    }
    impl Docs {
        fn attrs(&mut self, attrs: &[syn::Attribute]) {
            let lines: Vec<String> = attrs
                .iter()
                .filter(|attr| attr.path().is_ident("doc"))
                .filter_map(|attr| match &attr.meta {
                    syn::Meta::NameValue(syn::MetaNameValue {
                        value:
                            syn::Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Str(text),
                                ..
                            }),
                        ..
                    }) => Some(text.value()),
                    _ => None,
                })
                .collect();
            // Only a line with a backtick, a tilde, a `<` or indentation
            // can open a code block or a tag: most docs have none.
            let suspect = lines.iter().any(|line| {
                line.contains(['`', '~', '<'])
                    || line.trim_start_matches(' ').len() + 4 <= line.len()
                    || line.contains('\t')
            });
            if self.found.is_none()
                && suspect
                && let Some(problem) = runnable_or_html(&lines.join("\n"))
            {
                self.found = Some(problem);
            }
        }
    }
    impl<'ast> Visit<'ast> for Docs {
        fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
        // Docs are on items, fields, variants and methods, never inside a
        // body or a type.
        fn visit_block(&mut self, _: &'ast syn::Block) {}
        fn visit_type(&mut self, _: &'ast syn::Type) {}
        fn visit_signature(&mut self, _: &'ast syn::Signature) {}
        fn visit_item(&mut self, item: &'ast syn::Item) {
            if let Some(attrs) = item_attrs(item) {
                self.attrs(attrs);
            }
            syn::visit::visit_item(self, item);
        }
        fn visit_field(&mut self, field: &'ast syn::Field) {
            self.attrs(&field.attrs);
            syn::visit::visit_field(self, field);
        }
        fn visit_variant(&mut self, variant: &'ast syn::Variant) {
            self.attrs(&variant.attrs);
            syn::visit::visit_variant(self, variant);
        }
        fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
            self.attrs(&function.attrs);
            syn::visit::visit_impl_item_fn(self, function);
        }
    }
    let mut docs = Docs { found: None };
    docs.visit_file(file);
    match docs.found {
        None => Ok(()),
        Some(problem) => anyhow::bail!(
            "a doc comment generated for {shown} {problem}; the document's text reached \
             rustdoc without its encoder (xtask/src/sinks/rustdoc.rs): fix the xtask, not the \
             document"
        ),
    }
}

fn item_attrs(item: &syn::Item) -> Option<&[syn::Attribute]> {
    Some(match item {
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        _ => return None,
    })
}

/// What would run or render as HTML in `doc`, as rustdoc reads it.
fn runnable_or_html(doc: &str) -> Option<String> {
    // rustdoc removes the indentation all lines share.
    let common = doc
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start_matches(' ').len())
        .min()
        .unwrap_or_default();
    let mut in_block = false;
    let mut previous_blank = true;
    for line in doc.lines() {
        let line = line.get(common..).unwrap_or_else(|| line.trim_start());
        if let Some((_, _)) = opening(line) {
            if !in_block && line.trim() != "```text" {
                return Some(format!(
                    "opens a code block that rustdoc would run: {line:?}"
                ));
            }
            in_block = !in_block;
            previous_blank = false;
            continue;
        }
        if in_block {
            continue;
        }
        if previous_blank && (line.starts_with("    ") || line.starts_with('\t')) {
            return Some(format!("has an indented code block: {line:?}"));
        }
        previous_blank = line.trim().is_empty();
        let mut outside = String::new();
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            outside.push_str(&rest[..start]);
            let run = rest[start..].chars().take_while(|&c| c == '`').count();
            let after = &rest[start + run..];
            match find_run(after, run) {
                Some(end) => rest = &after[end + run..],
                None => rest = after,
            }
        }
        outside.push_str(rest);
        let mut chars = outside.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let escaped = i > 0 && outside[..i].ends_with('\\');
            if c == '<'
                && !escaped
                && !outside[i..].starts_with("<http")
                && chars.peek().is_some_and(|(_, next)| {
                    next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')
                })
            {
                return Some(format!("has HTML: {line:?}"));
            }
        }
    }
    in_block.then(|| "leaves a code block open".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{code_span, doc_text};

    /// No code block of the result is anything but `text`, no line is
    /// indented four columns, no `<` is outside code, nothing is hidden.
    fn assert_inert(doc: &str) {
        let mut in_block = false;
        for line in doc.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                if !in_block {
                    assert_eq!(line, "```text", "{doc}");
                }
                in_block = !in_block;
                continue;
            }
            if in_block {
                continue;
            }
            assert!(
                !line.starts_with("    ") && !line.starts_with('\t'),
                "{doc}"
            );
            let outside_spans: String = line
                .split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, piece)| piece)
                .collect();
            assert!(
                !outside_spans.replace("\\<", "").contains('<') || outside_spans.contains("<http"),
                "{doc}"
            );
        }
        assert!(!in_block, "an unclosed block: {doc}");
        assert!(!doc.contains('\r'), "{doc:?}");
        assert!(!doc.chars().any(super::super::is_hidden), "{doc:?}");
    }

    #[test]
    fn every_hostile_string_renders_inert() {
        for hostile in super::super::HOSTILE {
            assert_inert(&doc_text(hostile));
        }
        assert_eq!(
            doc_text("```rust\nlet x = 1;\n```"),
            "```text\nlet x = 1;\n```"
        );
        assert_eq!(doc_text("a\n\n    b();"), "a\n\nb();");
        assert_eq!(doc_text("~~~\nx"), "```text\nx\n```");
        assert_eq!(doc_text("a ` <b>"), "a \\` \\<b>");
        assert_eq!(doc_text("`<img>` <img>"), "`<img>` \\<img>");
        assert_eq!(doc_text("x\ry"), "x\\ry");
    }

    /// The vendor's ordinary Markdown renders as before.
    #[test]
    fn ordinary_markdown_is_kept() {
        assert_eq!(
            doc_text("* `call.started` - Fired when a call starts\n* `hangup`"),
            "* `call.started` - Fired when a call starts\n* `hangup`"
        );
        assert_eq!(
            doc_text("See https://docs.ultravox.ai/webhooks."),
            "See <https://docs.ultravox.ai/webhooks>."
        );
        assert_eq!(doc_text("<Stream url=x />"), "\\<Stream url=x />");
    }

    #[test]
    fn the_backstop_finds_what_an_encoder_would_have_stopped() {
        use super::runnable_or_html;
        for hostile in super::super::HOSTILE {
            assert_eq!(runnable_or_html(&doc_text(hostile)), None, "{hostile:?}");
        }
        for (raw, problem) in [
            ("```\nx\n```", "code block"),
            ("```rust,ignore\nx\n```", "code block"),
            ("a\n\n    b();", "indented"),
            ("<img src=x onerror=y>", "HTML"),
            ("a `b` </div>", "HTML"),
        ] {
            let found = runnable_or_html(raw).unwrap_or_default();
            assert!(found.contains(problem), "{raw:?}: {found}");
        }
        assert_eq!(
            runnable_or_html(" One line.\n\n More `Vec<T>` and \\<b>."),
            None
        );
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
