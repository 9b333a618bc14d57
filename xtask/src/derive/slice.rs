//! The slice of the vendor's document the client is generated from: the
//! exposed operations plus the transitive closure of every `$ref` they
//! reach, and nothing else. Whatever lies outside (operations progenitor
//! cannot generate, dangling references elsewhere) does not matter.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

/// An operation the client exposes, as listed in `openapi/operations.yaml`.
#[derive(Clone, Debug)]
pub struct Operation {
    pub id: String,
    /// The `Client` method that sends it: the entry's `name`, or the
    /// operationId in snake case.
    pub name: String,
}

/// Reads the operations file's contents (a YAML list).
pub fn operations(list: &Value, shown: &str) -> Result<Vec<Operation>> {
    let Some(items) = list.as_array().filter(|items| !items.is_empty()) else {
        bail!("{shown} must be a non-empty list of `- operationId: …` entries");
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
            if let Some(key) = item
                .as_object()
                .into_iter()
                .flat_map(|entry| entry.keys())
                .find(|key| !matches!(key.as_str(), "operationId" | "name"))
            {
                bail!(
                    "{shown}: entry {} has an unknown key `{key}`; an entry is \
                     `- operationId: <id>` with an optional `name: <rust_method_name>`",
                    index + 1
                );
            }
            let Some(id) = field("operationId") else {
                bail!(
                    "{shown}: entry {} has no `operationId`; write `- operationId: <id>`",
                    index + 1
                );
            };
            let name = field("name").unwrap_or_else(|| heck::ToSnakeCase::to_snake_case(&*id));
            if !is_rust_identifier(&name) {
                bail!(
                    "{shown}: entry {} (`{id}`): `{name}` is not a Rust method name; use \
                     snake_case letters, digits and `_`",
                    index + 1
                );
            }
            Ok(Operation { id, name })
        })
        .collect::<Result<Vec<_>>>()
        .and_then(|operations| {
            for (index, operation) in operations.iter().enumerate() {
                if let Some(other) = operations[..index]
                    .iter()
                    .find(|o| o.name == operation.name || o.id == operation.id)
                {
                    bail!(
                        "{shown}: `{}` and `{}` would both be `Client::{}`, or are listed \
                         twice; give one a different `name`",
                        other.id,
                        operation.id,
                        operation.name
                    );
                }
            }
            Ok(operations)
        })
}

/// A snake_case identifier that is not a Rust keyword.
fn is_rust_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && syn::parse_str::<syn::Ident>(name).is_ok()
}

/// The operations a path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Fails naming the first of `operations` that `document` lacks. Run before
/// the overlay, whose actions target those operations: a document without
/// them would otherwise fail on an action, naming the wrong cause.
pub fn check_operations(document: &Value, operations: &[Operation], shown: &str) -> Result<()> {
    for operation in operations {
        find_operation(document, &operation.id, shown)?;
    }
    Ok(())
}

/// The mark (set by `openapi/overlay.yaml`) of a schema the crate exposes
/// though no exposed operation reaches it, such as the body of the account
/// webhooks' requests, which the vendor's document does not describe.
pub const EXPOSED: &str = "x-exposed";

const SCHEMA_REF: &str = "#/components/schemas/";

/// The names of the schemas marked [`EXPOSED`].
pub fn exposed_schemas(document: &Value) -> Vec<String> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, schema)| schema.get(EXPOSED) == Some(&Value::Bool(true)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The slice of `document` that `operations` need (and the exposed
/// schemas); `shown` names the
/// document in errors.
pub fn slice(document: &Value, operations: &[Operation], shown: &str) -> Result<Value> {
    let mut paths = Map::new();
    for operation in operations {
        let (path, method, item) = find_operation(document, &operation.id, shown)?;
        let entry = paths
            .entry(path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("path items are objects");
        entry.insert(method.to_owned(), item[method].clone());
        if let Some(shared) = item.get("parameters") {
            entry.insert("parameters".to_owned(), shared.clone());
        }
    }

    let mut components: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    for (path, item) in &paths {
        collect_refs(item, &format!("/paths/{}", escape(path)), &mut pending);
    }
    for name in exposed_schemas(document) {
        pending.push((
            format!("{SCHEMA_REF}{}", escape(&name)),
            format!("`{EXPOSED}` on schema {name}"),
        ));
    }
    let mut seen = BTreeSet::new();
    while let Some((reference, at)) = pending.pop() {
        if !seen.insert(reference.clone()) {
            continue;
        }
        let Some(pointer) = reference.strip_prefix('#') else {
            bail!(
                "{shown}: `$ref: {reference}` at {at} points outside the document; \
                 only local `#/...` references are supported"
            );
        };
        let parts: Vec<&str> = pointer.split('/').collect();
        let ["", "components", kind, name] = parts.as_slice() else {
            bail!("{shown}: `$ref: {reference}` at {at} does not point at a component");
        };
        let Some(target) = document.pointer(pointer) else {
            bail!(
                "{shown}: `$ref: {reference}` at {at} points at nothing; the vendor's document \
                 is inconsistent there: report it to Ultravox, or fix it with an action in \
                 openapi/overlay.yaml"
            );
        };
        collect_refs(target, pointer, &mut pending);
        components
            .entry((*kind).to_owned())
            .or_default()
            .insert(unescape(name), target.clone());
    }

    let mut sliced = Map::new();
    for key in ["openapi", "info", "servers"] {
        if let Some(value) = document.get(key) {
            sliced.insert(key.to_owned(), value.clone());
        }
    }
    let operations_in_slice: Vec<&Value> = paths
        .values()
        .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
        .collect();
    if let Some(tags) = used_tags(document, &operations_in_slice) {
        sliced.insert("tags".to_owned(), tags);
    }
    // A global requirement matters only to operations without their own.
    if operations_in_slice
        .iter()
        .any(|op| op.get("security").is_none())
        && let Some(security) = document.get("security")
    {
        sliced.insert("security".to_owned(), security.clone());
    }
    let schemes = used_security_schemes(document, &operations_in_slice);
    if !schemes.is_empty() {
        components.insert("securitySchemes".to_owned(), schemes);
    }
    sliced.insert("paths".to_owned(), Value::Object(paths));
    sliced.insert(
        "components".to_owned(),
        Value::Object(
            components
                .into_iter()
                .map(|(kind, entries)| (kind, Value::Object(entries)))
                .collect(),
        ),
    );
    Ok(Value::Object(sliced))
}

fn find_operation<'d>(
    document: &'d Value,
    id: &str,
    shown: &str,
) -> Result<(&'d str, &'static str, &'d Value)> {
    let paths = document.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            if item.get(method).and_then(|op| op.get("operationId")) == Some(&json!(id)) {
                return Ok((path, method, item));
            }
        }
    }
    bail!(
        "the operation `{id}` listed in openapi/operations.yaml is not in {shown}: the \
         document is older than the operation, or the vendor removed or renamed it. Take in a \
         document that has it, or look up its new operationId there (search for its path), \
         update openapi/operations.yaml, and run the command again"
    )
}

/// Every `$ref` below `node`, with the JSON pointer of the object holding it.
fn collect_refs(node: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push((reference.clone(), at.to_owned()));
            }
            for (key, value) in map {
                collect_refs(value, &format!("{at}/{}", escape(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                collect_refs(value, &format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

fn used_tags(document: &Value, operations: &[&Value]) -> Option<Value> {
    let used: BTreeSet<&str> = operations
        .iter()
        .filter_map(|op| op.get("tags")?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let tags: Vec<Value> = document
        .get("tags")?
        .as_array()?
        .iter()
        .filter(|tag| {
            tag.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| used.contains(name))
        })
        .cloned()
        .collect();
    (!tags.is_empty()).then_some(Value::Array(tags))
}

fn used_security_schemes(document: &Value, operations: &[&Value]) -> Map<String, Value> {
    let global = document.get("security");
    let Some(schemes) = document.pointer("/components/securitySchemes") else {
        return Map::new();
    };
    operations
        .iter()
        .filter_map(|op| op.get("security").or(global)?.as_array())
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys())
        .filter_map(|name| Some((name.clone(), schemes.get(name)?.clone())))
        .collect()
}

/// A JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}
