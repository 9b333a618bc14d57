//! The property test of the rustdoc sink: Markdown generated from a
//! grammar of CommonMark (and rustdoc's extensions) goes through the
//! encoder, and the backstop, which parses on its own path, finds nothing
//! in what comes out: no code block but `text`, no HTML, no link or image,
//! no unresolved intra-doc link, no bare URL.

use proptest::prelude::*;

/// Inlines: text, escapes, entities, code spans of any length, autolinks,
/// raw HTML, links, images, emphasis, intra-doc-looking brackets, URLs.
fn inline() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "text",
        "snake_case",
        "a*b",
        "1.5",
        "x > y",
        "a|b",
        "${x}",
        "\\`",
        "\\<b>",
        "\\\\",
        "\\[x\\]",
        "&lt;img src=x&gt;",
        "&#60;b&#62;",
        "&#x3C;i>",
        "&amp;",
        "&nbsp;",
        "<https://auto.example/x>",
        "<mailto:a@b.example>",
        "<a@b.example>",
        "<img src=x onerror=alert(1)>",
        "</div>",
        "<!-- c -->",
        "<?php x ?>",
        "<!X y>",
        "<![CDATA[z]]>",
        "[t](javascript:alert(1))",
        "[t](<https://a.example> \"title\")",
        "[t][ref]",
        "[ref]",
        "[ref][]",
        "![alt](https://img.example/x.png)",
        "![alt][ref]",
        "*em*",
        "**strong**",
        "_em_",
        "__strong__",
        "~~gone~~",
        "***both***",
        "[^1]",
        "[Foo]",
        "[`Bar`]",
        "[crate::Foo]",
        "[Vec<T>]",
        "https://bare.example/a_b.",
        "http://x.example",
        "see https://q.example/?a=1&b=<2>",
        "HTTPS://UP.EXAMPLE",
        "www.example.com",
        "\t",
        "trailing  ",
        "`",
        "``",
        "```",
        "~~~",
        "#",
        "1.",
        "2)",
        "-",
        "+",
        "=",
    ]);
    let code_span = (1usize..5, "[a-z`<> ]{0,6}").prop_map(|(ticks, body)| {
        let fence = "`".repeat(ticks);
        format!("{fence}{body}{fence}")
    });
    prop_oneof![3 => fixed.prop_map(str::to_owned), 1 => code_span]
}

/// One line of inlines.
fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(inline(), 1..5).prop_map(|parts| parts.join(" "))
}

/// Leaf blocks: paragraphs, fenced and indented code, the seven kinds of
/// HTML block, headings, reference and footnote definitions, tables,
/// thematic breaks.
fn leaf() -> impl Strategy<Value = String> {
    let paragraph = prop::collection::vec(line(), 1..3).prop_map(|lines| lines.join("\n"));
    let fenced = (
        prop::sample::select(vec!['`', '~']),
        3usize..6,
        prop::sample::select(vec![
            "",
            "rust",
            "ignore",
            "no_run",
            "text",
            "compile_fail",
            "{.rust}",
            " rust,edition2021",
            "sh",
        ]),
        prop::collection::vec("[a-z(){};`~ ]{0,12}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(c, len, info, body, closed)| {
            let fence: String = std::iter::repeat_n(c, len).collect();
            let close = if closed {
                format!("\n{fence}")
            } else {
                String::new()
            };
            format!("{fence}{info}\n{}{close}", body.join("\n"))
        });
    let indented = (
        prop::sample::select(vec!["    ", "\t", "  \t", "     "]),
        prop::collection::vec("[a-z();]{1,10}", 1..3),
    )
        .prop_map(|(indent, body)| {
            body.iter()
                .map(|line| format!("{indent}{line}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
    let html = prop::sample::select(vec![
        "<script>\nalert(1)\n</script>",
        "<!-- comment\n[x](javascript:y) -->",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE html>",
        "<![CDATA[\n<b>\n]]>",
        "<div onclick=\"x()\">\n*md*\n</div>",
        "<custom-tag>\nline",
    ])
    .prop_map(str::to_owned);
    let other = prop::sample::select(vec![
        "# Heading [x](y)",
        "Setext\n===",
        "Setext\n---",
        "[ref]: javascript:alert(1) \"t\"",
        "[ref]: <https://ref.example>",
        "[^1]: a footnote with https://f.example",
        "| a | b |\n|---|:-:|\n| `c|d` | <b> |",
        "***",
        "- [ ] task\n- [x] done",
    ])
    .prop_map(str::to_owned);
    prop_oneof![3 => paragraph, 2 => fenced, 2 => indented, 1 => html, 1 => other]
}

/// A container's marker: block quotes and bullet (`-`, `+`, `*`) or
/// ordered (`.`, `)`) list items, with the widths that make the content
/// indentation differ.
fn marker() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "> ", ">", ">\t", "- ", "+ ", "* ", "-   ", "-\t", "1. ", "9) ", "10. ", "1.  ",
    ])
    .prop_map(str::to_owned)
}

/// Blocks in containers nested up to three deep; continuation lines are
/// sometimes indented, sometimes lazy.
fn blocks() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (
                marker(),
                prop::collection::vec(inner.clone(), 1..3),
                any::<bool>()
            )
                .prop_map(|(marker, children, lazy)| {
                    let body = children.join("\n\n");
                    let width = marker.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
                    let continuation = if marker.starts_with('>') {
                        marker.clone()
                    } else {
                        " ".repeat(width)
                    };
                    body.split('\n')
                        .enumerate()
                        .map(|(i, line)| match i {
                            0 => format!("{marker}{line}"),
                            _ if lazy && i % 2 == 1 => line.to_owned(),
                            _ => format!("{continuation}{line}"),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
            prop::collection::vec(inner, 1..4).prop_map(|blocks| blocks.join("\n\n")),
        ]
    })
}

/// A whole description, sometimes with CRLF line ends.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(blocks(), 1..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(blocks, tight, crlf)| {
            let text = blocks.join(if tight { "\n" } else { "\n\n" });
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_encoders_output_passes_the_backstop(markdown in document()) {
        let doc = super::rustdoc::doc_text(&markdown);
        let names = std::collections::BTreeSet::new();
        let found = super::rustdoc_backstop::problem(&doc, &names);
        prop_assert!(found.is_none(), "{markdown:?}\nbecame\n{doc}\n{found:?}");
        prop_assert!(!doc.contains('\r') && !doc.chars().any(super::is_hidden), "{doc:?}");
    }
}
