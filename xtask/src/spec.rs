//! Reading the OpenAPI document and rejecting what progenitor cannot use,
//! with errors that name the file and the place in it.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use openapiv3::OpenAPI;
use serde_json::Value;

/// Reads and checks the spec at `path`; `shown` is how errors name it.
pub fn load(path: &Path, shown: &str) -> Result<OpenAPI> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read the spec {shown}; check the path (or pass --spec FILE)")
    })?;
    let document: Value = serde_json::from_str(&text).map_err(|err| {
        anyhow!(
            "{shown}:{}:{}: invalid JSON: {err}",
            err.line(),
            err.column()
        )
    })?;

    check_version(&document, shown)?;
    check_refs(&document, &document, &mut String::new(), shown)?;

    // Parse the text (not the Value) so shape errors keep their line/column.
    serde_json::from_str(&text).map_err(|err| {
        anyhow!(
            "{shown}:{}:{}: not a valid OpenAPI 3.0 document: {err}",
            err.line(),
            err.column()
        )
    })
}

fn check_version(document: &Value, shown: &str) -> Result<()> {
    match document.get("openapi") {
        Some(Value::String(version)) if version.starts_with("3.0.") => Ok(()),
        Some(Value::String(version)) => bail!(
            "{shown} declares `openapi: {version}`, but only OpenAPI 3.0.x is supported \
             (progenitor 0.15 reads 3.0 documents); convert the spec to 3.0.3"
        ),
        Some(other) => {
            bail!("{shown}: `openapi` must be a version string like \"3.0.3\", found {other}")
        }
        None => bail!("{shown} has no top-level `openapi` field; is it an OpenAPI 3.0 document?"),
    }
}

/// Every `$ref` must point inside this document at something that exists:
/// progenitor would otherwise fail late, or panic, without naming the ref.
fn check_refs(document: &Value, node: &Value, at: &mut String, shown: &str) -> Result<()> {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let Some(pointer) = target.strip_prefix('#') else {
                    bail!(
                        "{shown}: `$ref: {target}` at {at} points outside the file; only local `#/...` references are supported"
                    );
                };
                if document.pointer(pointer).is_none() {
                    bail!(
                        "{shown}: `$ref: {target}` at {at} points at nothing; add that schema or fix the reference"
                    );
                }
            }
            for (key, value) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                check_refs(document, value, at, shown)?;
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{index}"));
                check_refs(document, value, at, shown)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}
