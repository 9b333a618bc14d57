//! Reading YAML (and so JSON) documents, with errors that name the file and
//! the line and column.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// Reads `path` as text; `shown` is how errors name it, `what` what it is for.
pub fn read_text(path: &Path, shown: &str, what: &str) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {what} {shown}; check that the file exists"))?;
    let text = String::from_utf8(bytes)
        .map_err(|err| anyhow!("{shown} is not UTF-8 text ({err}); is it really {what}?"))?;
    if text.trim().is_empty() {
        bail!("{shown} is empty; expected {what}");
    }
    Ok(text)
}

/// Parses YAML (JSON is YAML too) into a JSON value.
pub fn parse(text: &str, shown: &str) -> Result<Value> {
    // A maintenance or error page served with 200 parses as YAML text.
    if text.trim_start().starts_with('<') {
        let first = text.trim_start().lines().next().unwrap_or_default();
        let first: String = first.chars().take(80).collect();
        bail!(
            "{shown} is HTML, not an OpenAPI document (a maintenance or error page? it starts \
             `{first}`); try again later"
        );
    }
    // JSON first: it is what most tools write, and its errors are exact.
    if text.trim_start().starts_with('{') {
        let invalid = |err: serde_json::Error| {
            anyhow!(
                "{shown}:{}:{}: invalid JSON: {err}",
                err.line(),
                err.column()
            )
        };
        // serde_json keeps the last of two equal keys silently (YAML's
        // parser refuses them): which one did the vendor mean?
        serde_json::from_str::<UniqueKeys>(text).map_err(invalid)?;
        return serde_json::from_str(text).map_err(invalid);
    }
    let value: Value = serde_saphyr::from_str(text).map_err(|err| {
        let at = err
            .location()
            .map(|at| format!(":{}:{}", at.line(), at.column()))
            .unwrap_or_default();
        anyhow!("{shown}{at}: invalid YAML: {}", cause(&err.to_string()))
    })?;
    Ok(value)
}

/// Reads and parses `path`.
pub fn load(path: &Path, shown: &str, what: &str) -> Result<Value> {
    parse(&read_text(path, shown, what)?, shown)
}

/// Only OpenAPI 3.0.x documents can be generated from (progenitor 0.15).
pub fn check_openapi_version(document: &Value, shown: &str) -> Result<()> {
    let version = match document.get("openapi") {
        Some(Value::String(version)) => version.clone(),
        // `openapi: 3.0` in YAML is a number.
        Some(Value::Number(number)) => number.to_string(),
        Some(other) => {
            bail!("{shown}: `openapi` must be a version string like \"3.0.3\", found {other}")
        }
        None => bail!(
            "{shown} has no top-level `openapi` field; is it an OpenAPI 3.0 document? \
             Download it from https://api.ultravox.ai/api/schema/"
        ),
    };
    if version.starts_with("3.0.") || version == "3.0" {
        return Ok(());
    }
    bail!(
        "{shown} declares `openapi: {version}`, but only OpenAPI 3.0.x is supported \
         (progenitor 0.15 reads 3.0 documents). Ultravox serves 3.0.3; a {version} copy is a \
         re-serialisation (the feed once served 3.2.0 for a few days): download the document \
         again from https://api.ultravox.ai/api/schema/, or convert it to 3.0.3"
    )
}

/// The parser's own first line, without its `error: line L column C: `
/// prefix (the location is already in front).
fn cause(message: &str) -> &str {
    let line = message.lines().next().unwrap_or(message);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.split_once(": ") {
        Some((location, rest)) if location.starts_with("line ") => rest,
        _ => line,
    }
}

/// Any JSON value, refused when an object has a key twice.
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key {} appears twice in one object",
                    crate::sinks::line::one_line(&format!("{key:?}"))
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_json_key_twice_in_one_object_is_refused() {
        let err = super::parse(r#"{"openapi": "3.0.3", "a": {"x": 1, "x": 2}}"#, "doc")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"x\" appears twice"), "{err}");
        super::parse(r#"{"a": [{"x": 1}, {"x": 2}]}"#, "doc").unwrap();
    }
}
