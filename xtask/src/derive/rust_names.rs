//! The Rust names of the spec's schemas come from a rule, not a table, so a
//! schema the vendor adds gets a good name with no edit here:
//!
//! 1. the protobuf package prefix is dropped: `ultravox.v1.CallMedium` → `CallMedium`;
//! 2. a nested message `Outer_Inner` is named `Inner`, or `OuterInner` when
//!    another schema would also be named `Inner`
//!    (`TwilioMedium_OutgoingRequestParams` → `TwilioMediumOutgoingRequestParams`);
//! 3. drf-spectacular's `Enum` suffix is dropped unless the shorter name is
//!    taken: `ScheduledCallStatusEnum` → `ScheduledCallStatus`;
//! 4. the result is PascalCased as typify would;
//! 5. a protobuf message whose name is still taken by a schema without a
//!    package (drf-spectacular's REST model of the same name) keeps its
//!    package's last component as a suffix: `ultravox.v1.CallTool` →
//!    `CallToolV1` beside `CallTool`;
//! 6. drf-spectacular's wrapper around a packaged message keeps its own
//!    words and loses the package: `Paginatedultravox.v1.MessageList` →
//!    `PaginatedMessageList` (the package is one that other schemas start
//!    with).
//!
//! Any other collision fails, naming both schemas.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use heck::ToUpperCamelCase;

/// Maps each schema name to its Rust type name.
pub fn rust_names<'a>(
    schemas: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>> {
    let schemas: Vec<&str> = schemas.into_iter().collect();
    // The first words of the packages (`ultravox` of `ultravox.v1.…`).
    let packages: Vec<&str> = schemas
        .iter()
        .filter_map(|name| name.split_once('.'))
        .map(|(first, _)| first)
        .filter(|first| first.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    let stems: Vec<String> = schemas
        .iter()
        .map(|name| {
            let stem = name.rsplit('.').next().unwrap_or(name);
            let wrapper = name.split_once('.').and_then(|(first, _)| {
                packages
                    .iter()
                    .filter_map(|package| first.strip_suffix(package))
                    .find(|wrapper| !wrapper.is_empty())
            });
            format!("{}{stem}", wrapper.unwrap_or_default())
        })
        .collect();
    let parts: Vec<(Option<&str>, &str)> = stems
        .iter()
        .map(|stem| match stem.rsplit_once('_') {
            Some((outer, inner)) if !outer.is_empty() && !inner.is_empty() => (Some(outer), inner),
            _ => (None, stem.as_str()),
        })
        .collect();
    let count = |short: &str| parts.iter().filter(|(_, s)| *s == short).count();
    let mut names: Vec<String> = parts
        .iter()
        .map(|(outer, inner)| match outer {
            Some(outer) if count(inner) > 1 => format!("{outer}{inner}"),
            _ => (*inner).to_owned(),
        })
        .map(|name| name.to_upper_camel_case())
        .collect();
    for index in 0..names.len() {
        if let Some(shorter) = names[index].strip_suffix("Enum")
            && !shorter.is_empty()
            && !names.iter().any(|other| other == shorter)
        {
            names[index] = shorter.to_owned();
        }
    }
    for index in 0..names.len() {
        let Some((package, _)) = schemas[index].rsplit_once('.') else {
            continue;
        };
        let taken_by_a_model = schemas
            .iter()
            .zip(&names)
            .any(|(other, name)| !other.contains('.') && *name == names[index]);
        if taken_by_a_model {
            let version = package.rsplit('.').next().unwrap_or(package);
            names[index] = format!("{}{}", names[index], version.to_upper_camel_case());
        }
    }
    let mut out = BTreeMap::new();
    for (schema, name) in schemas.iter().zip(names) {
        if let Some((other, _)) = out.iter().find(|(_, taken)| **taken == name) {
            bail!(
                "the schemas `{other}` and `{schema}` would both be named `{name}` in Rust; \
                 extend the naming rule in xtask/src/derive/rust_names.rs"
            );
        }
        out.insert((*schema).to_owned(), name);
    }
    Ok(out)
}

/// The prefixes the rule removes (`UltravoxV1` for `ultravox.v1.…`): no
/// generated public type may still start with one.
pub fn raw_prefixes<'a>(schemas: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut prefixes: Vec<String> = schemas
        .into_iter()
        .filter_map(|name| name.rsplit_once('.'))
        .map(|(package, _)| package.to_upper_camel_case())
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_on_the_vendors_names() {
        let names = rust_names([
            "ScheduledCallStatusEnum",
            "ultravox.v1.CallMedium",
            "ultravox.v1.CallMedium_WebRtcMedium",
            "ultravox.v1.TwilioMedium_OutgoingRequestParams",
            "ultravox.v1.PlivoMedium_OutgoingRequestParams",
            "ultravox.v1.SipMedium_SipIncoming",
        ])
        .unwrap();
        let got: Vec<&str> = names.values().map(String::as_str).collect();
        assert_eq!(
            got,
            [
                "ScheduledCallStatus",
                "CallMedium",
                "WebRtcMedium",
                "PlivoMediumOutgoingRequestParams",
                "SipIncoming",
                "TwilioMediumOutgoingRequestParams",
            ]
        );
    }

    #[test]
    fn enum_suffix_stays_when_the_short_name_is_taken() {
        let names = rust_names(["Status", "StatusEnum"]).unwrap();
        assert_eq!(names["StatusEnum"], "StatusEnum");
    }

    #[test]
    fn a_message_named_like_a_model_keeps_its_package_version() {
        let names = rust_names(["CallTool", "ultravox.v1.CallTool"]).unwrap();
        assert_eq!(names["CallTool"], "CallTool");
        assert_eq!(names["ultravox.v1.CallTool"], "CallToolV1");
    }

    #[test]
    fn a_wrapper_around_a_packaged_message_keeps_its_words() {
        let names = rust_names([
            "Paginatedultravox.v1.MessageList",
            "ultravox.v1.Message",
            "PaginatedCallList",
        ])
        .unwrap();
        assert_eq!(
            names["Paginatedultravox.v1.MessageList"],
            "PaginatedMessageList"
        );
        assert_eq!(names["ultravox.v1.Message"], "Message");
        assert_eq!(names["PaginatedCallList"], "PaginatedCallList");
    }

    #[test]
    fn collisions_fail() {
        assert!(rust_names(["a.v1.Foo", "b.v1.Foo"]).is_err());
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            raw_prefixes(["ultravox.v1.CallMedium", "Plain"]),
            ["UltravoxV1"]
        );
    }
}
