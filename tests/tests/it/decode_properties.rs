//! Property tests of page decoding, with inputs generated from the spec's
//! schemas (so new fields, media and statuses are covered as they arrive).
//! Cases: proptest's default (256), or set `PROPTEST_CASES=10000` to run
//! longer locally.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value};
use support::json::{json_differences, path_to_error, without_optional_nulls};
use support::spec::{self, schema_violations};
use ultravox_client::types::PaginatedScheduledCallList;
use ultravox_client::{ErrorKind, decode};

/// `path` is where a path-tracking decode of `body` fails, or deeper where
/// that one stops at the enclosing value: in a part of the body the decoder
/// skips unread (a field the type does not have, array elements beyond a
/// struct's fields).
fn assert_tracked_path(path: &str, body: &[u8]) -> Result<(), TestCaseError> {
    let expected = path_to_error::<PaginatedScheduledCallList>(body).expect("fails too");
    let within = expected == "."
        || path
            .strip_prefix(expected.as_str())
            .is_some_and(|rest| rest.starts_with(['.', '[']));
    prop_assert!(
        path == expected || within,
        "{path} is not {expected}: {}",
        String::from_utf8_lossy(body)
    );
    Ok(())
}

/// Strings that stress the decoder: ASCII, unicode outside the BMP, escapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _+=/-]{0,12}",
        "[\u{1F600}-\u{1F64F}\u{10000}-\u{10FFFF}\u{0}-\u{7F}]{0,6}",
        Just("\"\\\n\u{0}".to_owned()),
    ]
}

fn uuid_string() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|bits| {
        uuid::Builder::from_random_bytes(bits.to_le_bytes())
            .into_uuid()
            .to_string()
    })
}

/// Any JSON value, a few levels deep.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN/inf", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Values valid for the schemas of one spec: the derived spec, or a
/// changed copy of it (a test of what the vendor may add).
#[derive(Clone, Copy)]
struct Samples {
    spec: &'static Value,
}

impl Samples {
    /// Samples of the derived spec.
    fn derived() -> Self {
        Self { spec: spec::spec() }
    }

    /// A value valid for `schema` (an OpenAPI 3.0 schema of the spec): every
    /// optional property present or absent, nullable ones sometimes `null`,
    /// enums from their values, strings in the format the generated types
    /// check, unknown `additionalProperties` keys.
    fn valid(self, schema: &'static Value) -> BoxedStrategy<Value> {
        if schema.get("$ref").is_some() || schema.get("allOf").is_some() {
            let inner = self.valid(spec::resolve_in(self.spec, schema));
            return nullable(schema, inner);
        }
        let strategy = if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            prop::sample::select(values.clone()).boxed()
        } else {
            match schema.get("type").and_then(Value::as_str) {
                Some("string") => match schema.get("format").and_then(Value::as_str) {
                    Some(format) if formatted(format).is_some() => formatted(format).unwrap(),
                    _ if schema.get("pattern").is_some() => {
                        matching(schema["pattern"].as_str().unwrap())
                    }
                    _ => text().prop_map(Value::from).boxed(),
                },
                Some("integer") => match schema.get("format").and_then(Value::as_str) {
                    Some("int32") => any::<i32>().prop_map(Value::from).boxed(),
                    _ => any::<i64>().prop_map(Value::from).boxed(),
                },
                Some("number") => (-1e9f64..1e9).prop_map(Value::from).boxed(),
                Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
                Some("array") => prop::collection::vec(self.valid(&schema["items"]), 0..4)
                    .prop_map(Value::Array)
                    .boxed(),
                // An inline object without properties is a free-form map, which
                // the types write as absent when empty: give it an entry.
                Some("object") if spec::keys(schema).is_empty() && !self.is_named(schema) => {
                    prop::collection::btree_map("[a-zA-Z]{1,8}", any_json(), 1..3)
                        .prop_map(|m| Value::Object(m.into_iter().collect()))
                        .boxed()
                }
                Some("object") => self.object(schema),
                // Untyped: any JSON.
                _ => any_json(),
            }
        };
        nullable(schema, strategy)
    }

    /// Whether `schema` is one of the spec's named component schemas.
    fn is_named(self, schema: &Value) -> bool {
        self.spec["components"]["schemas"]
            .as_object()
            .is_some_and(|schemas| schemas.values().any(|named| std::ptr::eq(named, schema)))
    }

    fn object(self, schema: &'static Value) -> BoxedStrategy<Value> {
        let optional = spec::optional_keys(schema);
        let properties: Vec<(&'static str, BoxedStrategy<Option<Value>>)> = spec::keys(schema)
            .into_iter()
            .map(|key| {
                let value = self.valid(&schema["properties"][key]);
                let value = if optional.contains(key) {
                    prop::option::of(value).boxed()
                } else {
                    value.prop_map(Some).boxed()
                };
                (key, value)
            })
            .collect();
        // An empty map is written as absent (no information is lost), so maps
        // get at least one entry to keep the round trip exact.
        let extra = match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => {
                prop::collection::btree_map("[a-zA-Z]{1,8}", any_json(), 1..3).boxed()
            }
            Some(values @ Value::Object(_)) => {
                prop::collection::btree_map("[a-zA-Z]{1,8}", self.valid(values), 1..3).boxed()
            }
            _ => Just(Default::default()).boxed(),
        };
        let (keys, values): (Vec<_>, Vec<_>) = properties.into_iter().unzip();
        (values, extra)
            .prop_map(move |(values, extra)| {
                let mut map: Map<String, Value> = extra.into_iter().collect();
                for (key, value) in keys.iter().zip(values) {
                    if let Some(value) = value {
                        map.insert((*key).to_owned(), value);
                    }
                }
                Value::Object(map)
            })
            .boxed()
    }
}

/// Strings in a `format` that generated types check when they decode
/// (typify maps these to `Uuid`, chrono's `DateTime`/`NaiveDate`, `std::net`
/// addresses), and URIs; `None` for a format the types keep as a `String`.
fn formatted(format: &str) -> Option<BoxedStrategy<Value>> {
    let date = (1970u32..2100, 1u32..=12, 1u32..=28);
    let time = (0u32..24, 0u32..60, 0u32..60, 0u32..1_000_000);
    let strategy = match format {
        "uuid" => uuid_string().prop_map(Value::from).boxed(),
        "uri" => "[a-z0-9]{1,10}"
            .prop_map(|c| Value::from(format!("https://api.ultravox.ai/api/x/?cursor={c}")))
            .boxed(),
        "date" => date
            .prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}")))
            .boxed(),
        "date-time" => (
            date,
            time,
            prop::sample::select(vec!["Z", "+00:00", "-07:30"]),
        )
            .prop_map(|((y, mo, d), (h, mi, s, micros), offset)| {
                Value::from(format!(
                    "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}{offset}"
                ))
            })
            .boxed(),
        "ipv4" | "ip" => any::<std::net::Ipv4Addr>()
            .prop_map(|ip| Value::from(ip.to_string()))
            .boxed(),
        "ipv6" => any::<std::net::Ipv6Addr>()
            .prop_map(|ip| Value::from(ip.to_string()))
            .boxed(),
        _ => return None,
    };
    Some(strategy)
}

/// A value valid for `schema`, a schema of the derived spec.
fn valid(schema: &'static Value) -> BoxedStrategy<Value> {
    Samples::derived().valid(schema)
}

/// Strings matching an anchored `pattern` of the spec. Every repetition's
/// upper bound is capped a few above its lower one (`a{0,100000}` samples
/// at most 8 `a`s): the samples stay in the pattern's language, and their
/// size stays near its shortest match, which `cargo xtask sync` bounds
/// (`refusals::patterns`).
fn matching(pattern: &str) -> BoxedStrategy<Value> {
    let unanchored = pattern.trim_start_matches('^').trim_end_matches('$');
    let hir = regex_syntax::Parser::new()
        .parse(unanchored)
        .unwrap_or_else(|err| panic!("cannot parse the pattern `{pattern}`: {err}"));
    proptest::string::string_regex_parsed(&capped(&hir))
        .unwrap_or_else(|err| panic!("cannot generate strings for `{pattern}`: {err}"))
        .prop_map(Value::from)
        .boxed()
}

/// `hir` with every repetition's upper bound at most 8 above its lower.
fn capped(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Repetition(repetition) => {
            let cap = repetition.min.saturating_add(8);
            Hir::repetition(Repetition {
                min: repetition.min,
                max: Some(repetition.max.map_or(cap, |max| max.min(cap))),
                greedy: repetition.greedy,
                sub: Box::new(capped(&repetition.sub)),
            })
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(capped(&capture.sub)),
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(capped).collect()),
        HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(capped).collect()),
        _ => hir.clone(),
    }
}

#[test]
fn pattern_samples_stay_small_and_match() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for pattern in [
        "^a{0,5000}b$",
        "^(?:x{2,}){3}$",
        "^[0-9]+s$",
        "^[a-z]{3,2000}$",
    ] {
        let full = regex_syntax::Parser::new()
            .parse(pattern)
            .map(|hir| hir.properties().minimum_len())
            .unwrap();
        let strategy = matching(pattern);
        for _ in 0..50 {
            let sample = strategy.new_tree(&mut runner).unwrap().current();
            let sample = sample.as_str().unwrap();
            assert!(
                sample.len() <= full.unwrap_or(0) + 64,
                "{pattern}: {sample}"
            );
            assert!(
                regex::Regex::new(pattern).unwrap().is_match(sample),
                "{pattern}: {sample:?} does not match"
            );
        }
    }
}

fn nullable(schema: &Value, strategy: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        prop_oneof![1 => Just(Value::Null), 4 => strategy].boxed()
    } else {
        strategy
    }
}

/// What a field might hold in a hostile response: right, wrong or null.
fn field_value() -> BoxedStrategy<Value> {
    let statuses: Vec<Value> = spec::statuses().into_iter().map(Value::from).collect();
    prop_oneof![
        3 => any_json(),
        1 => uuid_string().prop_map(Value::from),
        1 => prop::sample::select(statuses),
        1 => text().prop_map(Value::from), // unknown enum strings
        1 => valid(spec::medium_schema()),
    ]
    .boxed()
}

/// An object built from `keys` (each kept or dropped) plus unknown keys.
fn object_of(keys: Vec<&'static str>, value: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    let known = prop::collection::vec(prop::option::of(value.clone()), keys.len());
    let extra = prop::collection::btree_map("[a-z]{1,8}", value, 0..3);
    (known, extra).prop_map(move |(known, extra)| {
        let mut map: Map<String, Value> = extra.into_iter().collect();
        for (key, value) in keys.iter().zip(known) {
            if let Some(value) = value {
                map.insert((*key).to_owned(), value);
            }
        }
        Value::Object(map)
    })
}

/// Page-shaped JSON with random nulls, missing keys, wrong types and extras.
fn page_shaped() -> impl Strategy<Value = Value> {
    let row = object_of(spec::keys(spec::row_schema()), field_value());
    let rows = prop_oneof![4 => prop::collection::vec(row, 0..4).prop_map(Value::Array), 1 => field_value()];
    let page_keys: Vec<&str> = spec::keys(spec::page_schema())
        .into_iter()
        .filter(|key| *key != "results")
        .collect();
    (
        object_of(page_keys, field_value()),
        prop::option::weighted(0.9, rows),
    )
        .prop_map(|(mut page, rows)| {
            if let (Value::Object(map), Some(rows)) = (&mut page, rows) {
                map.insert("results".into(), rows);
            }
            page
        })
}

proptest! {
    #[test]
    fn page_shaped_json_never_panics_and_failures_have_a_key_path(page in page_shaped()) {
        // Compact and indented: the path is found from serde_json's line
        // and column.
        for bytes in [serde_json::to_vec(&page).unwrap(), serde_json::to_vec_pretty(&page).unwrap()] {
            match decode::<PaginatedScheduledCallList>(&bytes) {
                Ok(decoded) => {
                    // Whatever decodes must encode again.
                    serde_json::to_vec(&decoded).unwrap();
                }
                Err(err) => {
                    let ErrorKind::Decode { path, message, status, .. } = err.kind() else {
                        return Err(TestCaseError::fail(format!("not a decode error: {err}")));
                    };
                    prop_assert!(!path.is_empty() && !message.is_empty());
                    // `decode` is given a body, not a response: no status.
                    prop_assert_eq!(*status, None);
                    assert_tracked_path(path, &bytes)?;
                }
            }
        }
    }

    #[test]
    fn broken_json_fails_at_the_path_a_path_tracking_decode_names(
        page in page_shaped(),
        cut in any::<prop::sample::Index>(),
    ) {
        // A body cut anywhere: every kind of unfinished value.
        let bytes = serde_json::to_vec_pretty(&page).unwrap();
        let bytes = &bytes[..cut.index(bytes.len())];
        let err = decode::<PaginatedScheduledCallList>(bytes).expect_err("a cut body never decodes");
        let ErrorKind::Decode { path, .. } = err.kind() else {
            return Err(TestCaseError::fail(format!("not a decode error: {err}")));
        };
        assert_tracked_path(path, bytes)?;
    }

    #[test]
    fn valid_pages_decode_and_reencode_valid(page in valid(spec::page_schema())) {
        let violations = schema_violations(&page);
        prop_assert!(violations.is_empty(), "the generator made an invalid page: {violations:?}");

        let decoded = decode::<PaginatedScheduledCallList>(&serde_json::to_vec(&page).unwrap())
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let reencoded = serde_json::to_value(&decoded).unwrap();

        let violations = schema_violations(&reencoded);
        prop_assert!(violations.is_empty(), "re-encoded page is invalid: {violations:?}");
        let differences = json_differences(&without_optional_nulls(page), &reencoded);
        prop_assert!(differences.is_empty(), "round trip changed the page: {differences:?}");
    }
}

#[test]
fn every_medium_of_the_spec_is_generated() {
    // Guards the strategy above: a medium it cannot produce is never tested.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = valid(spec::medium_schema());
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let medium = strategy.new_tree(&mut runner).unwrap().current();
        seen.extend(
            medium
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone()),
        );
    }
    let expected: BTreeSet<String> = spec::media().into_iter().map(str::to_owned).collect();
    assert_eq!(seen, expected);
}

/// Finding 11 of issue 20: when the vendor adds a field in a checked
/// format (the history adds date-times elsewhere), the valid-page property
/// test generates values in that format, not `""`. A copy of the spec gets
/// a required `date-time`, `date` and `ipv4` property on the row; the
/// pages generated from it are valid for it, formats included.
#[test]
fn samples_honour_the_formats_of_fields_the_vendor_adds() {
    let mut copy = spec::spec().clone();
    let row_name = spec::row_schema_name();
    let row = &mut copy["components"]["schemas"][row_name];
    let added = serde_json::json!({
        "scheduledAt": { "type": "string", "format": "date-time" },
        "day": { "type": "string", "format": "date" },
        "origin": { "type": "string", "format": "ipv4" },
    });
    for (key, schema) in added.as_object().unwrap() {
        row["properties"][key] = schema.clone();
        row["required"]
            .as_array_mut()
            .unwrap()
            .push(Value::from(key.clone()));
    }
    let copy: &'static Value = Box::leak(Box::new(copy));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&spec::response_json_schema_of(copy))
        .unwrap();
    let strategy = Samples { spec: copy }.valid(spec::page_schema_in(copy));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut rows = 0;
    for _ in 0..256 {
        let page = strategy.new_tree(&mut runner).unwrap().current();
        let violations: Vec<String> = validator
            .iter_errors(&page)
            .map(|err| format!("{}: {err}", err.instance_path()))
            .collect();
        assert!(violations.is_empty(), "{violations:?} in {page}");
        rows += page["results"].as_array().map_or(0, Vec::len);
    }
    assert!(rows > 100, "too few rows generated to tell: {rows}");
}
