//! Where text from the vendor's document or server leaves the xtask, and
//! the one encoder each such sink has. Every string that comes from the
//! document (names, descriptions, patterns, paths, the server URL) or from
//! the vendor's server (`ETag`, `Last-Modified`, error bodies) is untrusted:
//! it may change the API the crate describes, nothing else.
//!
//! | sink | encoder | what it prevents |
//! | --- | --- | --- |
//! | rustdoc (doc comments of generated code) | [`rustdoc::doc_text`] (the vendor's Markdown parsed with pulldown-cmark, rustdoc's parser, and written back from an allowlist), [`rustdoc::code_span`]; checked after generation by [`rustdoc_backstop::check`] | doctests (code blocks anywhere are `text`), HTML, links, images, unresolved intra-doc links, bare URLs, bidi and control characters rustc rejects |
//! | Rust identifiers and literals | `quote` / `syn` (literals are escaped by construction); names are checked by `names` | code outside a literal |
//! | Markdown (the report, `body.md`, `failure.md`, CHANGELOG entries) | [`markdown::code`], its output checked with pulldown-cmark to be one code span | mentions, references, HTML, links, images, broken code spans, raw newlines |
//! | one-line outputs (title, labels, commit message, `$GITHUB_OUTPUT`) | [`line::one_line`] | a line break or a control character (a forged trailer, label or workflow command) |
//! | the terminal (stdout and stderr of every command) | [`terminal::escape`], through [`terminal::out`] and [`terminal::err`] | escape sequences, lone CRs, bidi reordering, GitHub Actions workflow commands (`::` at a line's start, `##[` anywhere) |
//! | the lock file (`openapi/upstream.lock`) | the `toml` crate's serializer | a value that ends its string |

pub mod line;
pub mod markdown;
pub mod rustdoc;
pub mod rustdoc_backstop;
#[cfg(test)]
mod rustdoc_grammar;
pub mod terminal;

/// Whether `c` must never reach a sink as itself: a control character
/// (C0 but `\n` and `\t`, DEL, C1), a bidirectional control, or an
/// invisible one (zero-width characters, the byte-order mark, line and
/// paragraph separators).
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `c` as visible text: `\u{1b}`.
pub fn escaped(c: char) -> String {
    format!("\\u{{{:x}}}", c as u32)
}

/// `text` with every [`is_hidden`] character (and, unless `keep_lines`,
/// `\n` and `\t`) written out as an escape; a CRLF pair stays a line break
/// when lines are kept.
pub fn reveal(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if keep_lines && chars.peek() == Some(&'\n') => {}
            '\n' if !keep_lines => out.push_str("\\n"),
            '\t' if !keep_lines => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_hidden(c) => out.push_str(&escaped(c)),
            c => out.push(c),
        }
    }
    out
}

/// `line` (one line, already revealed) as one code span: fenced with more
/// backticks than any run in it, padded with a space where it starts or
/// ends with a backtick (CommonMark strips it again). Markdown and rustdoc
/// read code spans alike.
pub fn code_span_of(line: &str) -> String {
    let longest_run = line
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest_run + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{line}{pad}{fence}")
}

/// The hostile strings each encoder is tested on (see the tests of each
/// sink and `xtask/tests/hostile.rs`).
#[cfg(test)]
pub const HOSTILE: &[&str] = &[
    "```\nfn main() { std::process::exit(1) }\n```",
    "```rust,no_run\n# fn hidden() {}\npanic!()\n```",
    "~~~ignore\nx\n~~~",
    "text\n\n    indented_code();\n",
    "`<img src=x onerror=alert(1)>`",
    "<img src=x onerror=alert(1)>",
    "a ` b <script>alert(1)</script>",
    "@octocat #1 <!-- ![x](https://evil.example/x.png) [link](https://evil.example)",
    "name\nCo-authored-by: Mallory <m@evil.example>",
    "lone\rcarriage return",
    "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{1b}]8;;https://evil.example\u{1b}\\link",
    "::add-mask::secret",
    "/api/##[error title=x]forged\n  ::stop-commands::token",
    "bidi \u{202E}txet\u{202C} and zero\u{200B}width",
    "| cell | break |",
];
