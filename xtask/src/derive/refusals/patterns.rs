//! Patterns (`pattern` of a string schema) are sampled by the client's
//! property tests and may be checked by generated code. One whose shortest
//! match is huge (`^(?:(?:a{1000}){1000}){1000}$` matches only 10^9
//! characters) would make every sample that big: refused, as is one that is
//! not a regular expression at all. `regex-syntax` (the parser the test
//! sampler uses) tells both, within a nesting limit, without building an
//! automaton.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::sinks::line::one_line;

/// The longest shortest match a pattern may have, in bytes.
pub const MAX_SHORTEST_MATCH: usize = 10_000;

/// Groups nested deeper are refused (the parser's own limit is 250).
const NEST_LIMIT: u32 = 64;

/// Every `pattern` of the derived spec.
pub fn check(spec: &Value, shown: &str) -> Result<()> {
    let mut pending = vec![("", spec)];
    while let Some((key, node)) = pending.pop() {
        match node {
            Value::String(pattern) if key == "pattern" => check_pattern(pattern, shown)?,
            Value::Object(map) => {
                pending.extend(map.iter().map(|(key, value)| (key.as_str(), value)));
            }
            Value::Array(items) => pending.extend(items.iter().map(|item| ("", item))),
            _ => {}
        }
    }
    Ok(())
}

fn check_pattern(pattern: &str, shown: &str) -> Result<()> {
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern);
    let hir = match hir {
        Ok(hir) => hir,
        Err(err) => {
            // The kind alone: the error's own rendering draws the pattern
            // over several lines.
            let why = match &err {
                regex_syntax::Error::Parse(err) => err.kind().to_string(),
                regex_syntax::Error::Translate(err) => err.kind().to_string(),
                other => other.to_string(),
            };
            bail!(
                "{shown}: the pattern {} is not a regular expression the client's tests can \
                 sample ({}); report it to Ultravox",
                one_line(pattern),
                one_line(&why)
            )
        }
    };
    match hir.properties().minimum_len() {
        Some(shortest) if shortest <= MAX_SHORTEST_MATCH => Ok(()),
        Some(shortest) => bail!(
            "{shown}: the pattern {} matches nothing shorter than {shortest} bytes, over the \
             limit of {MAX_SHORTEST_MATCH}: every sample of it would be that big. Report it to \
             Ultravox",
            one_line(pattern)
        ),
        None => bail!(
            "{shown}: the pattern {} matches no string at all; report it to Ultravox",
            one_line(pattern)
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn huge_shortest_matches_and_non_patterns_are_refused() {
        let spec = |pattern: &str| {
            json!({ "components": { "schemas": { "D": {
                "type": "object",
                "properties": { "pattern": { "type": "string", "pattern": pattern } }
            } } } })
        };
        super::check(
            &spec("^-?(?:0|[1-9][0-9]{0,11})(?:\\.[0-9]{1,9})?s$"),
            "doc",
        )
        .unwrap();
        super::check(&spec("^a{10000}$"), "doc").unwrap();
        for (pattern, why) in [
            ("^(?:(?:a{1000}){1000}){1000}$", "shorter than 1000000000"),
            ("^a{10001}$", "shorter than 10001"),
            ("(", "not a regular expression"),
            (
                &"(".repeat(100)
                    .chars()
                    .chain(")".repeat(100).chars())
                    .collect::<String>(),
                "not a regular expression",
            ),
            ("[^\\x00-\\x{10FFFF}]", "matches no string"),
        ] {
            let err = super::check(&spec(pattern), "doc").unwrap_err().to_string();
            assert!(err.contains(why), "{pattern}: {err}");
        }
    }
}
