//! The backstop of the rustdoc sink: every doc comment of the generated
//! code is parsed as rustdoc parses it (pulldown-cmark with rustdoc's
//! extensions, after rustdoc's unindent) and refused if it holds anything
//! the encoder (`sinks::rustdoc`) should have made inert. It shares no
//! code with the encoder, so a bug there is not repeated here.
//!
//! Refused: a code block that is not `text` (a doctest), any HTML, any
//! image, any link but an intra-doc link the xtask itself writes (to an
//! item of the generated file, or a `crate::`/`Self::` path), a bracket
//! rustdoc would try to resolve as an intra-doc link and could not, and a
//! bare URL (`rustdoc::bare_urls`).

use std::collections::BTreeSet;

use pulldown_cmark::{BrokenLink, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use syn::visit::Visit;

/// rustdoc's own options for doc comments.
fn rustdoc_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Fails naming the first item of `file` whose doc comment would run code,
/// render HTML, a link or an image, or fail `cargo doc` under
/// `-D warnings`: an encoder was bypassed.
pub fn check(file: &syn::File, shown: &str) -> anyhow::Result<()> {
    let mut names = Names::default();
    names.visit_file(file);
    let mut docs = Docs {
        names: &names.0,
        found: None,
        checked: BTreeSet::new(),
    };
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

/// What in `doc` (one item's doc comment, its lines joined) rustdoc would
/// run, render as HTML, a link or an image, or warn about; `names` are the
/// items an intra-doc link may point to.
pub fn problem(doc: &str, names: &BTreeSet<String>) -> Option<String> {
    let doc = unindent(doc);
    let mut unresolved: Option<String> = None;
    let mut callback = |link: BrokenLink<'_>| {
        let target = link.reference.trim_matches('`').to_string();
        if is_intra_doc(&target, names) {
            Some((CowStr::from(target), CowStr::from("")))
        } else {
            unresolved.get_or_insert(link.reference.to_string());
            None
        }
    };
    let parser =
        Parser::new_with_broken_link_callback(&doc, rustdoc_options(), Some(&mut callback));
    let mut found = None;
    // rustdoc lints no URL in a code block.
    let mut in_code = false;
    for event in parser {
        match &event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            _ => {}
        }
        found = match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if info.trim() != "text" => {
                Some(format!(
                    "opens a code block that rustdoc would run ({info:?})"
                ))
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                Some("has an indented code block, which rustdoc would run".to_owned())
            }
            Event::Html(html) | Event::InlineHtml(html) => Some(format!("has HTML: {html:?}")),
            Event::Start(Tag::Image { dest_url, .. }) => {
                Some(format!("has an image of {dest_url:?}"))
            }
            Event::Start(Tag::Link { dest_url, .. })
                if !is_intra_doc(dest_url.trim_matches('`'), names) =>
            {
                Some(format!("has a link to {dest_url:?}"))
            }
            Event::Text(text)
                if !in_code && (text.contains("http://") || text.contains("https://")) =>
            {
                Some(format!(
                    "has a bare URL, which rustdoc::bare_urls refuses: {text:?}"
                ))
            }
            _ => None,
        };
        if found.is_some() {
            break;
        }
    }
    found.or_else(|| {
        unresolved.map(|reference| {
            format!("has [{reference}], which rustdoc would read as a link it cannot resolve")
        })
    })
}

/// rustdoc removes the indentation the lines of a doc comment share.
fn unindent(doc: &str) -> String {
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    let common = doc
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(indent)
        .min()
        .unwrap_or_default();
    doc.lines()
        .map(|line| line.get(common..).unwrap_or_else(|| line.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Rust path rustdoc resolves: starting or ending with a name the file
/// has, or spelled from `crate::`, `Self::` or `super::` (the xtask's own
/// links).
fn is_intra_doc(target: &str, names: &BTreeSet<String>) -> bool {
    let target = target.strip_prefix("::").unwrap_or(target);
    let segments: Vec<&str> = target.split("::").collect();
    let is_path = segments.iter().all(|segment| {
        let mut chars = segment.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    is_path
        && (matches!(segments[0], "crate" | "Self" | "super")
            || names.contains(segments[0])
            || segments.last().is_some_and(|last| names.contains(*last)))
}

/// The names of the items, fields and variants a file declares.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.0.insert(ident.to_string());
    }
    fn visit_block(&mut self, _: &'ast syn::Block) {}
}

struct Docs<'a> {
    names: &'a BTreeSet<String>,
    found: Option<String>,
    /// Docs found clean already: the generator repeats many (every
    /// builder's setters, every open enum's methods).
    checked: BTreeSet<String>,
}

impl Docs<'_> {
    fn attrs(&mut self, attrs: &[syn::Attribute]) {
        if self.found.is_some() {
            return;
        }
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
        if lines.is_empty() {
            return;
        }
        let doc = lines.join("\n");
        if self.checked.contains(&doc) {
            return;
        }
        self.found = problem(&doc, self.names);
        self.checked.insert(doc);
    }
}

impl<'ast> Visit<'ast> for Docs<'_> {
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
    // Docs are on items, fields, variants and methods, never inside a
    // body or a type.
    fn visit_block(&mut self, _: &'ast syn::Block) {}
    fn visit_type(&mut self, _: &'ast syn::Type) {}
    fn visit_signature(&mut self, _: &'ast syn::Signature) {}
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Struct(item) => &item.attrs,
            syn::Item::Enum(item) => &item.attrs,
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Const(item) => &item.attrs,
            syn::Item::Static(item) => &item.attrs,
            syn::Item::Type(item) => &item.attrs,
            syn::Item::Trait(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            syn::Item::Macro(item) => &item.attrs,
            _ => &Vec::new(),
        };
        self.attrs(attrs);
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
    fn visit_impl_item_const(&mut self, constant: &'ast syn::ImplItemConst) {
        self.attrs(&constant.attrs);
    }
    fn visit_trait_item_fn(&mut self, function: &'ast syn::TraitItemFn) {
        self.attrs(&function.attrs);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::problem;

    #[test]
    fn finds_what_rustdoc_would_run_render_or_refuse() {
        let names: BTreeSet<String> = ["IntoField".to_owned()].into();
        for (raw, expected) in [
            ("```\nx\n```", "code block"),
            ("```rust,ignore\nx\n```", "code block"),
            ("> ~~~\n> x\n> ~~~", "code block"),
            ("-     code", "indented"),
            ("a\n\n    b();", "indented"),
            ("<img src=x onerror=y>", "HTML"),
            ("a `b` </div>", "HTML"),
            ("\\`<img src=x>`", "HTML"),
            ("[x](javascript:alert(1))", "link"),
            ("![x](https://evil.example/x.png)", "image"),
            ("<https://evil.example>", "link"),
            ("see [Foo]", "cannot resolve"),
            ("see [`Bar`]", "cannot resolve"),
            ("> quoted https://x.example/y", "bare URL"),
        ] {
            let found = problem(raw, &names).unwrap_or_default();
            assert!(found.contains(expected), "{raw:?}: {found:?}");
        }
        for fine in [
            " One line.\n\n More `Vec<T>` and \\<b>.",
            "see [`IntoField`] and [`Self::as_str`] and [`X`](crate::UnknownValue)",
            "```text\nfn main() {}\n```",
            "\\[Foo\\] `https://x.example`",
        ] {
            assert_eq!(problem(fine, &names), None, "{fine:?}");
        }
    }
}
