//! Reading, decoding and comparing JSON; insta settings.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::spec;

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Deserializes `json` into `T`; the error names the JSON key path that failed.
pub fn decode<T: DeserializeOwned>(json: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(json)
        .map_err(|err| format!("at `{}`: {}", err.path(), err.inner()))
}

/// The key path serde_path_to_error reports where `body` fails to decode as
/// `T` (`None` when it decodes): the oracle for the client's own path.
pub fn path_to_error<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .err()
        .map(|err| err.path().to_string())
}

/// insta settings for this suite: snapshots live in `tests/snapshots/`, and
/// each names its input in `description`. Keep the guard alive while asserting.
pub fn snapshot_settings(description: &str) -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(spec::workspace_root().join("tests/snapshots"));
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.bind_to_scope()
}

/// `page` as a round trip through the generated types gives it back: without
/// the `null`s of the page's and rows' optional fields (the spec's
/// non-`required` properties), which the types read as absent.
pub fn without_optional_nulls(mut page: Value) -> Value {
    fn drop_nulls(object: &mut Value, schema: &Value) {
        let optional = spec::optional_keys(schema);
        if let Some(map) = object.as_object_mut() {
            map.retain(|key, value| !(value.is_null() && optional.contains(key.as_str())));
        }
    }
    drop_nulls(&mut page, spec::page_schema());
    if let Some(rows) = page.get_mut("results").and_then(Value::as_array_mut) {
        for row in rows {
            drop_nulls(row, spec::row_schema());
        }
    }
    page
}

/// Every difference between two JSON values, as `path: left != right` lines
/// (`$.results[0].medium.twilio: … != (absent)`).
pub fn json_differences(left: &Value, right: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_differences("$", left, right, &mut out);
    out
}

fn collect_differences(path: &str, left: &Value, right: &Value, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for key in l.keys().chain(r.keys().filter(|k| !l.contains_key(*k))) {
                let child = format!("{path}.{key}");
                match (l.get(key), r.get(key)) {
                    (Some(a), Some(b)) => collect_differences(&child, a, b, out),
                    (Some(a), None) => out.push(format!("{child}: {a} != (absent)")),
                    (None, Some(b)) => out.push(format!("{child}: (absent) != {b}")),
                    (None, None) => unreachable!("key came from one of the maps"),
                }
            }
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            for (index, (a, b)) in l.iter().zip(r).enumerate() {
                collect_differences(&format!("{path}[{index}]"), a, b, out);
            }
        }
        (Value::String(l), Value::String(r)) if same_instant(l, r) => {}
        _ if left != right => out.push(format!("{path}: {left} != {right}")),
        _ => {}
    }
}

/// Two RFC 3339 date-times for the same instant: the API may write
/// `1970-01-01T00:00:00.000000Z` where the client writes
/// `1970-01-01T00:00:00Z`, and both are the same value.
fn same_instant(left: &str, right: &str) -> bool {
    let instant = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok();
    matches!((instant(left), instant(right)), (Some(l), Some(r)) if l == r)
}
