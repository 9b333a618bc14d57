//! The spec, read from `openapi/ultravox.json` (never copied): the example,
//! the response schema as a validator, and the facts tests iterate over
//! (statuses, media, keys, nullable fields), so they follow the vendor.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
}

pub fn spec_path() -> PathBuf {
    workspace_root().join("openapi/ultravox.json")
}

/// The derived spec as JSON, read once.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| crate::json::read_json(&spec_path()))
}

/// The id of the crate's endpoint, the operation behind
/// `Client::list_scheduled_calls` (the spec may hold more operations).
pub fn operation_id() -> &'static str {
    use ultravox_client::Operation;
    ultravox_client::operations::ListScheduledCalls::OPERATION_ID
}

/// The endpoint's path template.
pub fn operation_path() -> &'static str {
    let paths = spec()["paths"].as_object().expect("the spec has paths");
    paths
        .iter()
        .find(|(_, item)| item["get"]["operationId"] == operation_id())
        .map(|(path, _)| path.as_str())
        .unwrap_or_else(|| panic!("the spec has no GET `{}`", operation_id()))
}

/// The operation object of `operation_id`.
fn operation(operation_id: &str) -> &'static Value {
    spec()["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .find(|operation| operation["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("the spec has no operation `{operation_id}`"))
}

/// The JSON schema of the request body of `operation_id`.
pub fn request_body_schema_of(operation_id: &str) -> &'static Value {
    operation(operation_id)
        .pointer("/requestBody/content/application~1json/schema")
        .unwrap_or_else(|| panic!("`{operation_id}` has no JSON request body"))
}

/// The success status the spec documents for `operation_id` (the first 2xx).
pub fn success_status_of(operation_id: &str) -> u16 {
    operation(operation_id)["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(status, _)| status.parse::<u16>().ok())
        .find(|status| (200..300).contains(status))
        .unwrap_or_else(|| panic!("`{operation_id}` documents no success status"))
}

/// The media type of the success response of `operation_id` (the first
/// one the spec lists, e.g. a recording's `audio/wav`).
pub fn success_media_type_of(operation_id: &str) -> &'static str {
    let status = success_status_of(operation_id).to_string();
    operation(operation_id)["responses"][status.as_str()]["content"]
        .as_object()
        .and_then(|content| content.keys().next())
        .map(String::as_str)
        .unwrap_or_else(|| panic!("`{operation_id}` has no success media type"))
}

/// The JSON schema of the success response of `operation_id`.
pub fn response_schema_of(operation_id: &str) -> &'static Value {
    operation(operation_id)["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, response)| response.pointer("/content/application~1json/schema"))
        .unwrap_or_else(|| panic!("`{operation_id}` has no JSON success response"))
}

/// The example the spec gives for the success response of `operation_id`.
pub fn response_example_of(operation_id: &str) -> Value {
    operation(operation_id)["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, response)| response.pointer("/content/application~1json/example"))
        .unwrap_or_else(|| panic!("`{operation_id}` has no example"))
        .clone()
}

/// The 200 `application/json` response of the operation.
fn operation_200() -> &'static Value {
    operation_200_in(spec())
}

/// [`operation_200`] in `spec` (the derived spec, or a changed copy of it).
fn operation_200_in(spec: &Value) -> &Value {
    &spec["paths"][operation_path()]["get"]["responses"]["200"]["content"]["application/json"]
}

/// The response example embedded in the spec.
pub fn response_example() -> Value {
    operation_200()
        .get("example")
        .expect("the 200 response embeds an `example`")
        .clone()
}

/// The component schema `name`, following an `allOf: [$ref]` wrapper.
pub fn schema(name: &str) -> &'static Value {
    spec()["components"]["schemas"]
        .get(name)
        .unwrap_or_else(|| panic!("the spec has no schema `{name}`"))
}

/// The schema a `$ref` (possibly wrapped in `allOf`) points at.
pub fn resolve(schema: &Value) -> &'static Value {
    resolve_in(spec(), schema)
}

/// [`resolve`] in `spec` (the derived spec, or a changed copy of it).
pub fn resolve_in<'s>(spec: &'s Value, schema: &Value) -> &'s Value {
    let name = reference_name(schema);
    spec["components"]["schemas"]
        .get(name)
        .unwrap_or_else(|| panic!("the spec has no schema `{name}`"))
}

/// The component name a `$ref` (possibly wrapped in `allOf`) names.
fn reference_name(schema: &Value) -> &str {
    let reference = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not a reference: {schema}"));
    reference.rsplit('/').next().unwrap()
}

/// The page schema (the 200 response's) in `spec`.
pub fn page_schema_in(spec: &Value) -> &Value {
    resolve_in(spec, &operation_200_in(spec)["schema"])
}

/// The page schema (the 200 response's).
pub fn page_schema() -> &'static Value {
    page_schema_in(spec())
}

/// The row schema (the page's `results` items).
pub fn row_schema() -> &'static Value {
    resolve(&page_schema()["properties"]["results"]["items"])
}

/// The component name of the row schema.
pub fn row_schema_name() -> &'static str {
    reference_name(&page_schema()["properties"]["results"]["items"])
}

/// Property names of `schema`, in the spec's order.
pub fn keys(schema: &Value) -> Vec<&str> {
    schema["properties"]
        .as_object()
        .map(|props| props.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Properties that are not `required`: the generated types read `null` and
/// absent alike and write neither, so a round trip may drop their nulls
/// (except in a PATCH body, where a nullable one keeps its `null`).
pub fn optional_keys(schema: &Value) -> BTreeSet<&str> {
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    keys(schema)
        .into_iter()
        .filter(|key| !required.contains(key))
        .collect()
}

/// Properties that may be `null` (`nullable`, or untyped).
pub fn nullable_keys(schema: &Value) -> BTreeSet<&str> {
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, property)| {
            property.get("nullable") == Some(&Value::Bool(true))
                || (property.get("type").is_none()
                    && property.get("$ref").is_none()
                    && property.get("allOf").is_none())
        })
        .map(|(key, _)| key.as_str())
        .collect()
}

/// The row status values the spec lists.
pub fn statuses() -> Vec<&'static str> {
    resolve(&row_schema()["properties"]["status"])["enum"]
        .as_array()
        .expect("the status is an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// JSON key paths, below a value of `schema`, of every property whose
/// (resolved) schema satisfies `wanted`: e.g. every enum a row can hold.
pub fn paths_to(schema: &'static Value, wanted: &dyn Fn(&Value) -> bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    collect_paths(schema, Vec::new(), wanted, &mut out);
    out
}

fn collect_paths(
    schema: &'static Value,
    path: Vec<String>,
    wanted: &dyn Fn(&Value) -> bool,
    out: &mut Vec<Vec<String>>,
) {
    if path.len() > 8 {
        return; // deep enough for any real shape; guards a cyclic schema
    }
    let schema = if schema.get("$ref").is_some() || schema.get("allOf").is_some() {
        resolve(schema)
    } else {
        schema
    };
    if !path.is_empty() && wanted(schema) {
        out.push(path);
        return;
    }
    for key in keys(schema) {
        let mut child = path.clone();
        child.push(key.to_owned());
        collect_paths(&schema["properties"][key], child, wanted, out);
    }
}

/// The call medium schema.
pub fn medium_schema() -> &'static Value {
    resolve(&row_schema()["properties"]["medium"])
}

/// The media a row can name (`webRtc`, `twilio`, …).
pub fn media() -> Vec<&'static str> {
    keys(medium_schema())
}

/// The spec's response schema as a JSON Schema (draft 7) document a
/// validator accepts: OpenAPI 3.0's `nullable: true` becomes an explicit
/// `null` alternative, also on enums and `allOf` wrappers.
pub fn response_json_schema() -> Value {
    response_json_schema_of(spec())
}

/// [`response_json_schema`] of `spec` (the derived spec, or a changed copy).
pub fn response_json_schema_of(spec: &Value) -> Value {
    json_schema_in(spec, &operation_200_in(spec)["schema"])
}

/// `schema` of `spec` as a JSON Schema document (draft 7), with the
/// components it may refer to.
fn json_schema_in(spec: &Value, schema: &Value) -> Value {
    let components = spec.get("components").cloned().unwrap_or_default();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "allOf": [schema.clone()],
        "components": openapi_to_json_schema(components),
    })
}

fn openapi_to_json_schema(node: Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .map(|(key, value)| (key, openapi_to_json_schema(value)))
                .collect();
            if map.remove("nullable") == Some(Value::Bool(true)) {
                return allow_null(map);
            }
            Value::Object(map)
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(openapi_to_json_schema).collect())
        }
        other => other,
    }
}

fn allow_null(mut schema: Map<String, Value>) -> Value {
    // An enum lists its values: null must be one of them.
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match schema.get("type").cloned() {
        // Typed: widen the type.
        Some(Value::String(ty)) => {
            schema.insert("type".into(), json!([ty, "null"]));
            Value::Object(schema)
        }
        // Composed (`allOf: [$ref]`, `oneOf`, …): null, or the composition.
        _ if ["allOf", "oneOf", "anyOf", "$ref"]
            .iter()
            .any(|key| schema.contains_key(*key)) =>
        {
            json!({ "anyOf": [{ "type": "null" }, Value::Object(schema)] })
        }
        // Untyped already admits null.
        _ => Value::Object(schema),
    }
}

/// The names of the properties the spec keeps out of `Debug`: marked
/// `writeOnly`, or `x-sensitive` by the project's overlay, in any schema.
pub fn sensitive_property_names() -> BTreeSet<&'static str> {
    spec()["components"]["schemas"]
        .as_object()
        .into_iter()
        .flat_map(|schemas| schemas.values())
        .filter_map(|schema| schema.get("properties").and_then(Value::as_object))
        .flatten()
        .filter(|(_, property)| {
            ["writeOnly", "x-sensitive"]
                .iter()
                .any(|marker| property.get(*marker) == Some(&Value::Bool(true)))
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Validates `instance` against the spec's response schema; returns one
/// `instance path: message` line per violation.
pub fn schema_violations(instance: &Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            // Formats are annotations: the upstream example's `next` ends in a raw
            // `"`, which is no RFC 3986 URI, yet the API sends it. uuid formats are
            // enforced by the generated types (`uuid::Uuid`) instead.
            .should_validate_formats(false)
            .build(&response_json_schema())
            .unwrap_or_else(|err| {
                panic!("the spec's response schema is not valid JSON Schema: {err}")
            })
    });
    validator
        .iter_errors(instance)
        .map(|err| format!("{}: {err}", err.instance_path()))
        .collect()
}

/// Validates the shape of `instance` against the JSON success response of
/// `operation_id` in the spec: property names, types, enums, nullability
/// and what is required of a response (a `writeOnly` property never is).
/// Value constraints (patterns, lengths, bounds) and formats are left out:
/// the generated types keep what the API sends without enforcing them.
/// One `instance path: message` line per violation.
pub fn schema_violations_of(operation_id: &str, instance: &Value) -> Vec<String> {
    let mut schema = json_schema_in(spec(), response_schema_of(operation_id));
    as_a_response_shape(&mut schema);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|err| {
            panic!("{operation_id}: the response schema is not valid JSON Schema: {err}")
        });
    validator
        .iter_errors(instance)
        .map(|err| format!("{}: {err}", err.instance_path()))
        .collect()
}

/// Keywords that constrain a value rather than shape it.
const VALUE_CONSTRAINTS: [&str; 9] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
];

/// Drops the value constraints of every schema in `node`, and a
/// `writeOnly` property from its object's `required` (a response never
/// carries it). The maps of names (`properties`, `schemas`) are walked
/// by their values, so a property named like a keyword stays.
fn as_a_response_shape(node: &mut Value) {
    match node {
        Value::Object(map) => {
            for keyword in VALUE_CONSTRAINTS {
                map.remove(keyword);
            }
            let write_only: Vec<String> = map
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .filter(|(_, p)| p.get("writeOnly") == Some(&Value::Bool(true)))
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Array(required)) = map.get_mut("required") {
                required.retain(|name| !write_only.iter().any(|w| name == w.as_str()));
            }
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("properties" | "schemas", Value::Object(named)) => {
                        named.values_mut().for_each(as_a_response_shape);
                    }
                    (_, child) => as_a_response_shape(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_a_response_shape),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_shape_keeps_names_and_drops_constraints() {
        let mut schema = json!({
            "required": ["secret", "name"],
            "properties": {
                "pattern": { "type": "string", "pattern": "^a$" },
                "secret": { "type": "string", "writeOnly": true },
                "name": { "type": "string", "maxLength": 3 },
            }
        });
        as_a_response_shape(&mut schema);
        assert_eq!(
            schema,
            json!({
                "required": ["name"],
                "properties": {
                    "pattern": { "type": "string" },
                    "secret": { "type": "string", "writeOnly": true },
                    "name": { "type": "string" },
                }
            })
        );
    }

    #[test]
    fn nullable_enums_and_wrappers_admit_null() {
        let schema = openapi_to_json_schema(json!({
            "properties": {
                "plain": { "type": "string", "enum": ["A"], "nullable": true },
                "wrapped": { "allOf": [{ "$ref": "#/x" }], "nullable": true },
            }
        }));
        assert_eq!(
            schema["properties"]["plain"],
            json!({ "type": ["string", "null"], "enum": ["A", null] })
        );
        assert_eq!(
            schema["properties"]["wrapped"],
            json!({ "anyOf": [{ "type": "null" }, { "allOf": [{ "$ref": "#/x" }] }] })
        );
    }
}
