//! Bounded work: a document may describe a bigger API, but not one whose
//! generated code would take minutes and gigabytes to build (100,000 enum
//! values make 23 MB of Rust and a 1 GB compiler). Each budget is many
//! times what the real document needs; `--budget FACTOR` multiplies them
//! all, for a document that really is that big.

use std::sync::OnceLock;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::sinks::line::one_line;

/// What the real document needs: 55 schemas, 41 properties, 9 enum
/// values, 0.6 MB of generated code at most.
const SCHEMAS: usize = 2_000;
const PROPERTIES: usize = 1_000;
const ENUM_VALUES: usize = 2_000;
const GENERATED_BYTES: usize = 16 * 1024 * 1024;

static FACTOR: OnceLock<usize> = OnceLock::new();

/// Sets the factor (`--budget`), once, before any check.
pub fn set_factor(factor: usize) {
    let _ = FACTOR.set(factor.max(1));
}

/// The factor in force (1 unless `--budget` set another).
pub fn factor() -> u32 {
    u32::try_from(*FACTOR.get().unwrap_or(&1)).unwrap_or(u32::MAX)
}

fn limit(base: usize) -> usize {
    base.saturating_mul(*FACTOR.get().unwrap_or(&1))
}

fn over(shown: &str, what: String, limit: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{shown}: {what}, over the budget of {limit}; the generated code would be too big to \
         build. If the API really is that big, run again with `--budget 2` (or more)"
    )
}

/// The derived spec's counts.
pub fn check_spec(spec: &Value, shown: &str) -> Result<()> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let count = schemas.map_or(0, |schemas| schemas.len());
    if count > limit(SCHEMAS) {
        return Err(over(shown, format!("{count} schemas"), limit(SCHEMAS)));
    }
    for (name, schema) in schemas.into_iter().flatten() {
        check_schema(schema, &one_line(name), shown)?;
    }
    Ok(())
}

fn check_schema(schema: &Value, at: &str, shown: &str) -> Result<()> {
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        if properties.len() > limit(PROPERTIES) {
            return Err(over(
                shown,
                format!("the schema {at} has {} properties", properties.len()),
                limit(PROPERTIES),
            ));
        }
        for child in properties.values() {
            check_schema(child, at, shown)?;
        }
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array)
        && values.len() > limit(ENUM_VALUES)
    {
        return Err(over(
            shown,
            format!("an enum of {at} has {} values", values.len()),
            limit(ENUM_VALUES),
        ));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get(key) {
            check_schema(child, at, shown)?;
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for member in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            check_schema(member, at, shown)?;
        }
    }
    Ok(())
}

/// The generated code's size.
pub fn check_generated(bytes: usize, file: &str, shown: &str) -> Result<()> {
    if bytes > limit(GENERATED_BYTES) {
        bail!(
            "{shown}: the generated {file} would be {} MB, over the budget of {} MB; the \
             document describes too much to build. If the API really is that big, run again \
             with `--budget 2` (or more)",
            bytes / 1_000_000,
            limit(GENERATED_BYTES) / 1_000_000
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn big_enums_and_objects_are_refused_naming_them() {
        let values: Vec<String> = (0..2_001).map(|i| format!("v{i}")).collect();
        let spec =
            json!({ "components": { "schemas": { "Big": { "type": "string", "enum": values } } } });
        let err = super::check_spec(&spec, "doc").unwrap_err().to_string();
        assert!(
            err.contains("Big") && err.contains("2001 values") && err.contains("--budget"),
            "{err}"
        );
        let properties: serde_json::Map<String, serde_json::Value> =
            (0..1_001).map(|i| (format!("p{i}"), json!({}))).collect();
        let spec = json!({ "components": { "schemas": { "Wide": { "properties": properties } } } });
        let err = super::check_spec(&spec, "doc").unwrap_err().to_string();
        assert!(
            err.contains("Wide") && err.contains("1001 properties"),
            "{err}"
        );
        assert!(super::check_generated(17 * 1024 * 1024, "generated.rs", "doc").is_err());
        super::check_generated(1024, "generated.rs", "doc").unwrap();
    }
}
