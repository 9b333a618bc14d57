//! Turns the derived spec into the generator's input, in memory (the
//! committed `openapi/ultravox.json` keeps the vendor's names and shapes):
//!
//! - schemas get their Rust names (see `rust_names`), `$ref`s follow;
//! - every inline string enum becomes a named schema, so that each enum can
//!   be replaced by a generated open enum;
//! - constraints (`pattern`, lengths, bounds) are removed from what
//!   responses use and kept in the description: the client must decode
//!   whatever the API wrote. Constraints bind only what the client sends;
//! - a `oneOf` with drf-spectacular's `NullEnum` is a nullable value, and
//!   schemas no operation reaches any more are left out.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use heck::ToUpperCamelCase;
use serde_json::{Map, Value, json};

use crate::derive::rust_names;
use crate::sinks::rustdoc::{code_span, doc_text};

const SCHEMA_REF: &str = "#/components/schemas/";

/// Keys that constrain a value without changing its type.
pub const CONSTRAINTS: [&str; 11] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// A string enum, to be generated as an open enum.
#[derive(Clone, Debug)]
pub struct StringEnum {
    /// Its Rust name, which is also its schema name in the generator's input.
    pub name: String,
    /// Where the spec defines it: a schema name, or `Schema.property`.
    pub origin: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

/// The generator's input and what was learned making it.
pub struct Rustified {
    pub spec: Value,
    pub enums: Vec<StringEnum>,
    /// Prefixes no generated type may start with (`UltravoxV1`).
    pub raw_prefixes: Vec<String>,
}

pub fn rustify(derived: &Value) -> Result<Rustified> {
    let mut spec = derived.clone();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let names = rust_names::rust_names(schemas.keys().map(String::as_str))?;
    let mut origins: BTreeMap<String, String> = names
        .iter()
        .map(|(spec, rust)| (rust.clone(), spec.clone()))
        .collect();
    let raw_prefixes = rust_names::raw_prefixes(schemas.keys().map(String::as_str));

    rename_refs(&mut spec, &names);
    let mut renamed: BTreeMap<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| (names[&name].clone(), schema))
        .collect();
    rename_refs_in_map(&mut renamed, &names);

    // Hoist inline enums out of schemas and parameters.
    let mut hoisted = BTreeMap::new();
    for (name, schema) in renamed.iter_mut() {
        hoist_enums_below(schema, name, &mut hoisted);
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                let owner = operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_upper_camel_case();
                let params = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut);
                for param in params.into_iter().flatten() {
                    let param_name = param
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_upper_camel_case();
                    if let Some(schema) = param.get_mut("schema") {
                        let name = format!("{owner}{param_name}");
                        hoist_parameter_enum(schema, &name, &renamed, &mut hoisted);
                    }
                }
            }
        }
    }
    for name in hoisted.keys() {
        origins.insert(name.clone(), format!("inline enum {name}"));
    }
    renamed.append(&mut hoisted);

    spec["paths"] = doc_safe(spec["paths"].take());
    for schema in renamed.values_mut() {
        *schema = doc_safe(schema.take());
    }

    fieldless_messages(&mut renamed);
    keep_json_media(&mut spec)?;
    split_request_schemas(&mut spec, &mut renamed)?;
    drop_null_alternatives(&mut spec, &mut renamed);
    drop_unreached(&spec, &mut renamed);

    let response_schemas = reached_from_responses(&spec, &renamed);
    for (name, schema) in renamed.iter_mut() {
        if response_schemas.contains(name) {
            strip_constraints(schema);
        }
    }
    share_constrained_strings(&mut renamed);

    let enums = renamed
        .iter()
        .filter_map(|(name, schema)| {
            // A request twin is never an enum; every other schema has an origin.
            string_enum(name, origins.get(name).unwrap_or(name), schema)
        })
        .collect();
    spec["components"]["schemas"] = Value::Object(renamed.into_iter().collect());
    Ok(Rustified {
        spec,
        enums,
        raw_prefixes,
    })
}

/// Descriptions, summaries and titles become rustdoc: through the rustdoc
/// sink's encoder (`sinks::rustdoc::doc_text`), so that the vendor's text
/// renders as written there and nothing in it runs as a doctest or renders
/// as HTML.
fn doc_safe(node: Value) -> Value {
    match node {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| match (key.as_str(), value) {
                    ("description" | "summary" | "title", Value::String(text)) => {
                        (key, Value::String(doc_text(&text)))
                    }
                    // Examples and enum values are data, not prose.
                    ("example" | "enum" | "default", value) => (key, value),
                    (_, value) => (key, doc_safe(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(doc_safe).collect()),
        other => other,
    }
}

fn rename_refs(node: &mut Value, names: &BTreeMap<String, String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(new) = reference
                    .strip_prefix(SCHEMA_REF)
                    .and_then(|old| names.get(old))
            {
                *reference = format!("{SCHEMA_REF}{new}");
            }
            map.values_mut().for_each(|value| rename_refs(value, names));
        }
        Value::Array(items) => items.iter_mut().for_each(|value| rename_refs(value, names)),
        _ => {}
    }
}

fn rename_refs_in_map(map: &mut BTreeMap<String, Value>, names: &BTreeMap<String, String>) {
    map.values_mut().for_each(|value| rename_refs(value, names));
}

fn is_string_enum(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| {
            values.iter().any(Value::is_string)
                && values.iter().all(|v| v.is_string() || v.is_null())
        })
        && schema.get("$ref").is_none()
}

/// Walks the inline schemas below a named one, hoisting their enums; nested
/// names extend the owner's (`DtmfUserTextMessage` + `urgency`).
fn hoist_enums_below(schema: &mut Value, owner: &str, out: &mut BTreeMap<String, Value>) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for (property, child) in properties.iter_mut() {
            hoist_enum(
                child,
                &format!("{owner}{}", property.to_upper_camel_case()),
                out,
            );
        }
    }
    if let Some(items) = map.get_mut("items") {
        hoist_enum(items, &format!("{owner}Item"), out);
    }
    if let Some(values @ Value::Object(_)) = map.get_mut("additionalProperties") {
        hoist_enum(values, &format!("{owner}Value"), out);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = map.get_mut(key).and_then(Value::as_array_mut) {
            for member in members {
                hoist_enums_below(member, owner, out);
            }
        }
    }
}

/// Replaces an inline string enum at `schema` by a reference to a new schema
/// `name`, keeping the annotations (description, readOnly, …) in place.
fn hoist_enum(schema: &mut Value, name: &str, out: &mut BTreeMap<String, Value>) {
    if !is_string_enum(schema) {
        hoist_enums_below(schema, name, out);
        return;
    }
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    let values: Vec<Value> = map
        .remove("enum")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let nullable = values.iter().any(Value::is_null);
    let values: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
    map.remove("type");
    map.remove("format");
    let mut hoisted = json!({ "type": "string", "enum": values });
    if let Some(description) = map.get("description") {
        hoisted["description"] = description.clone();
    }
    map.insert(
        "allOf".to_owned(),
        json!([{ "$ref": format!("{SCHEMA_REF}{name}") }]),
    );
    if nullable {
        map.insert("nullable".to_owned(), Value::Bool(true));
    }
    out.insert(name.to_owned(), hoisted);
}

/// A parameter's inline string enum becomes a bare `$ref` (a wrapper would
/// make typify name a type of its own): to the named enum schema with the
/// same set of values when there is one — drf-spectacular repeats a
/// model's choices inline in the query parameter that filters on them, and
/// both must be one Rust type — or else to a new schema `name`.
fn hoist_parameter_enum(
    schema: &mut Value,
    name: &str,
    named: &BTreeMap<String, Value>,
    hoisted: &mut BTreeMap<String, Value>,
) {
    if !is_string_enum(schema) {
        hoist_enum(schema, name, hoisted);
        return;
    }
    let values = |schema: &Value| -> BTreeSet<String> {
        schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let wanted = values(schema);
    let same = named
        .iter()
        .chain(hoisted.iter())
        .find(|(_, other)| is_string_enum(other) && values(other) == wanted)
        .map(|(other, _)| other.clone());
    let target = match same {
        Some(existing) => existing,
        None => {
            let mut own = json!({ "type": "string", "enum": schema["enum"].clone() });
            if let Some(description) = schema.get("description") {
                own["description"] = description.clone();
            }
            hoisted.insert(name.to_owned(), own);
            name.to_owned()
        }
    };
    *schema = json!({ "$ref": format!("{SCHEMA_REF}{target}") });
}

/// A named object schema with no properties (yet) and no
/// `additionalProperties` is a message without fields, such as the marker
/// `sip.incoming` or, in older documents, `webRtc`: a `#[non_exhaustive]`
/// struct without fields, not a `serde_json::Map`, so the fields the vendor
/// adds later are additive changes. (A free-form object is a property's
/// inline `type: object`, and stays a map.) typify makes such a struct for
/// `additionalProperties: false`; codegen drops the `deny_unknown_fields`
/// that comes with it, as unknown fields are ignored everywhere.
fn fieldless_messages(schemas: &mut BTreeMap<String, Value>) {
    for schema in schemas.values_mut() {
        let Some(map) = schema.as_object_mut() else {
            continue;
        };
        let fieldless = map.get("type").and_then(Value::as_str) == Some("object")
            && map
                .get("properties")
                .is_none_or(|p| p.as_object().is_some_and(Map::is_empty))
            && !["additionalProperties", "allOf", "oneOf", "anyOf"]
                .iter()
                .any(|key| map.contains_key(*key));
        if fieldless {
            map.insert("properties".to_owned(), json!({}));
            map.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
    }
}

/// progenitor handles one media type per request body and response: where
/// the vendor offers several (`application/json` beside a form or
/// multipart upload, or several serialisations of a schema), the client
/// speaks JSON. A body with several media types and none of them JSON
/// (a multipart-only upload) cannot be sent: codegen refuses it, naming the
/// operation.
fn keep_json_media(spec: &mut Value) -> Result<()> {
    let operations = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(Map::values_mut)
        .filter_map(Value::as_object_mut)
        .flat_map(Map::values_mut)
        .filter(|operation| operation.get("operationId").is_some());
    for operation in operations {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(content) = operation.pointer_mut("/requestBody/content") {
            keep_json(content, &id, "request body")?;
        }
        for (status, response) in operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flatten()
        {
            if let Some(content) = response.get_mut("content") {
                keep_json(content, &id, &format!("{status} response"))?;
            }
        }
    }
    Ok(())
}

/// `content` (media type → media object) reduced to JSON when it offers
/// several media types.
fn keep_json(content: &mut Value, id: &str, what: &str) -> Result<()> {
    const JSON: &str = "application/json";
    let Some(types) = content.as_object_mut() else {
        return Ok(());
    };
    if types.len() < 2 {
        return Ok(());
    }
    if !types.contains_key(JSON) {
        let offered: Vec<&str> = types.keys().map(String::as_str).collect();
        bail!(
            "the operation `{id}` has a {what} in {} but not {JSON}; the client cannot send or \
             read it: remove `{id}` from openapi/operations.yaml",
            offered.join(", ")
        );
    }
    types.retain(|media, _| media == JSON);
    Ok(())
}

/// drf-spectacular describes both directions with one component: `readOnly`
/// properties are written by the server, `writeOnly` ones only sent. So:
///
/// - a schema a request body reaches that has `readOnly` or `writeOnly`
///   properties (or reaches one that has) gets a request twin
///   `<Name>Request` without the `readOnly` ones, and request bodies use
///   the twin: the server's fields are never required to build a request,
///   and never sent;
/// - every other schema (what responses use) leaves out its `writeOnly`
///   properties: the server never sends them, so a response type with
///   them would carry fields that are always empty.
fn split_request_schemas(spec: &mut Value, schemas: &mut BTreeMap<String, Value>) -> Result<()> {
    let read_only = |schema: &Value| properties_marked(schema, "readOnly");
    let one_way = |schema: &Value| {
        !read_only(schema).is_empty() || !properties_marked(schema, "writeOnly").is_empty()
    };
    // The schemas request bodies reach.
    let mut pending = Vec::new();
    for body in request_bodies(spec) {
        refs_below(body, &mut pending);
    }
    let reached = closure(pending, schemas);
    // Those that need a twin: with readOnly or writeOnly properties, or
    // reaching one.
    let mut twins: BTreeSet<String> = reached
        .iter()
        .filter(|name| schemas.get(*name).is_some_and(one_way))
        .cloned()
        .collect();
    loop {
        let before = twins.len();
        for name in &reached {
            let mut refs = Vec::new();
            if let Some(schema) = schemas.get(name) {
                refs_below(schema, &mut refs);
            }
            if refs.iter().any(|r| twins.contains(r)) {
                twins.insert(name.clone());
            }
        }
        if twins.len() == before {
            break;
        }
    }
    let twin_names: BTreeMap<String, String> = twins
        .iter()
        .map(|name| (name.clone(), format!("{name}Request")))
        .collect();
    for (name, twin) in &twin_names {
        if schemas.contains_key(twin) {
            bail!(
                "the schema `{name}` needs a request twin without its readOnly properties, but \
                 `{twin}` is taken; extend the rule in xtask/src/derive/rustify.rs"
            );
        }
        let mut schema = schemas[name].clone();
        let dropped = read_only(&schema);
        drop_properties(&mut schema, &dropped);
        rename_refs(&mut schema, &twin_names);
        schemas.insert(twin.clone(), schema);
    }
    for body in request_bodies_mut(spec) {
        rename_refs(body, &twin_names);
    }
    for (name, schema) in schemas.iter_mut() {
        if twin_names.values().any(|twin| twin == name) {
            continue;
        }
        let write_only = properties_marked(schema, "writeOnly");
        drop_properties(schema, &write_only);
    }
    Ok(())
}

/// drf-spectacular writes a nullable choice as `oneOf: [XEnum, NullEnum]`
/// with `NullEnum` = `{"enum": [null]}`. typify would make that an untagged
/// enum with a `Null` variant that decoding never picks (a null is already
/// the `None` of the field's `Option`). Such a member is dropped and the
/// value marked nullable; a single member left is written the way typify
/// makes it `Option<X>` (`allOf: [X]`, as hoisted enums are).
fn drop_null_alternatives(spec: &mut Value, schemas: &mut BTreeMap<String, Value>) {
    let null_only: BTreeSet<String> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("enum") == Some(&json!([null])))
        .map(|(name, _)| format!("{SCHEMA_REF}{name}"))
        .collect();
    if null_only.is_empty() {
        return;
    }
    fn walk(node: &mut Value, null_only: &BTreeSet<String>) {
        match node {
            Value::Object(map) => {
                for key in ["oneOf", "anyOf"] {
                    let Some(Value::Array(members)) = map.get(key) else {
                        continue;
                    };
                    let mut kept: Vec<Value> = members
                        .iter()
                        .filter(|member| {
                            !member
                                .get("$ref")
                                .and_then(Value::as_str)
                                .is_some_and(|r| null_only.contains(r))
                        })
                        .cloned()
                        .collect();
                    // Nothing to drop, or nothing but null: left as written.
                    if kept.len() == members.len() || kept.is_empty() {
                        continue;
                    }
                    if kept.len() == 1 {
                        map.remove(key);
                        map.insert("allOf".to_owned(), json!([kept.pop()]));
                    } else {
                        map.insert(key.to_owned(), Value::Array(kept));
                    }
                    map.insert("nullable".to_owned(), Value::Bool(true));
                }
                map.values_mut().for_each(|value| walk(value, null_only));
            }
            Value::Array(items) => items.iter_mut().for_each(|value| walk(value, null_only)),
            _ => {}
        }
    }
    walk(&mut spec["paths"], &null_only);
    schemas
        .values_mut()
        .for_each(|schema| walk(schema, &null_only));
}

/// Leaves out the schemas no operation reaches (and no `x-exposed` mark
/// keeps): the component a request
/// body used before it got its twin, `NullEnum` once no `oneOf` names it.
/// A public type nothing returns or takes would only be noise.
fn drop_unreached(spec: &Value, schemas: &mut BTreeMap<String, Value>) {
    let mut pending = Vec::new();
    refs_below(&spec["paths"], &mut pending);
    pending.extend(exposed(schemas));
    let reached = closure(pending, schemas);
    schemas.retain(|name, _| reached.contains(name));
}

/// The schemas marked `x-exposed` (see `slice::EXPOSED`).
fn exposed(schemas: &BTreeMap<String, Value>) -> impl Iterator<Item = String> + '_ {
    schemas
        .iter()
        .filter(|(_, schema)| schema.get(crate::derive::slice::EXPOSED) == Some(&Value::Bool(true)))
        .map(|(name, _)| name.clone())
}

/// Removes `dropped` from `schema`'s properties and `required`.
fn drop_properties(schema: &mut Value, dropped: &[String]) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.retain(|property, _| !dropped.contains(property));
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|property| {
            !property
                .as_str()
                .is_some_and(|p| dropped.iter().any(|d| d == p))
        });
    }
}

/// The properties of `schema` that carry `marker: true` (`readOnly`,
/// `writeOnly`, `nullable`).
pub fn properties_marked(schema: &Value, marker: &str) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, property)| property.get(marker) == Some(&Value::Bool(true)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The named schemas of `spec` a request body reaches (they get request
/// twins when they have `readOnly` or `writeOnly` properties).
pub fn reached_from_request_bodies(spec: &Value) -> BTreeSet<String> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut pending = Vec::new();
    for body in request_bodies(spec) {
        refs_below(body, &mut pending);
    }
    closure_by(pending, |name| schemas?.get(name))
}

fn request_bodies(spec: &Value) -> Vec<&Value> {
    spec.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::values)
        .filter_map(Value::as_object)
        .flat_map(Map::values)
        .filter_map(|operation| operation.get("requestBody"))
        .collect()
}

fn request_bodies_mut(spec: &mut Value) -> Vec<&mut Value> {
    spec.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(Map::values_mut)
        .filter_map(Value::as_object_mut)
        .flat_map(Map::values_mut)
        .filter_map(|operation| operation.get_mut("requestBody"))
        .collect()
}

/// The named schemas a response can contain.
fn reached_from_responses(spec: &Value, schemas: &BTreeMap<String, Value>) -> BTreeSet<String> {
    let mut pending = Vec::new();
    let responses = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::values)
        .filter_map(Value::as_object)
        .flat_map(Map::values)
        .filter_map(|operation| operation.get("responses"));
    for response in responses {
        refs_below(response, &mut pending);
    }
    // An exposed schema is received too (a webhook's body).
    pending.extend(exposed(schemas));
    closure(pending, schemas)
}

/// A constrained string that only requests send becomes a newtype named
/// after its owner (`ScheduledCallBatchRequestWebhookSecret`): the create
/// and PATCH bodies, which repeat the same property, would each get one.
/// A property of the same name and shape in two or more schemas becomes one
/// named schema, `WebhookSecret`, which both reference (annotations such as
/// the description and `x-sensitive` stay on each property), unless that
/// name is taken.
fn share_constrained_strings(schemas: &mut BTreeMap<String, Value>) {
    // (property, shape without annotations) -> owners.
    let mut groups = BTreeMap::<(String, String), Vec<String>>::new();
    for (owner, schema) in schemas.iter() {
        for (property, child) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(shape) = constrained_string_shape(child) {
                groups
                    .entry((property.clone(), shape.to_string()))
                    .or_default()
                    .push(owner.clone());
            }
        }
    }
    for ((property, shape), owners) in groups {
        let name = property.to_upper_camel_case();
        if owners.len() < 2 || schemas.contains_key(&name) {
            continue;
        }
        let mut shared: Value = serde_json::from_str(&shape).expect("a shape is JSON");
        for owner in &owners {
            let child = &mut schemas.get_mut(owner).expect("an owner")["properties"][&property];
            let Some(map) = child.as_object_mut() else {
                continue;
            };
            if let Some(description) = map.get("description")
                && shared.get("description").is_none()
            {
                shared["description"] = description.clone();
            }
            let nullable = map.get("nullable") == Some(&Value::Bool(true));
            map.retain(|key, _| !SHAPE_KEYS.contains(&key.as_str()) && key != "nullable");
            map.insert(
                "allOf".to_owned(),
                json!([{ "$ref": format!("{SCHEMA_REF}{name}") }]),
            );
            if nullable {
                map.insert("nullable".to_owned(), Value::Bool(true));
            }
        }
        schemas.insert(name, shared);
    }
}

/// The keys that make a string's shape; the rest annotate it.
const SHAPE_KEYS: [&str; 5] = ["type", "format", "pattern", "minLength", "maxLength"];

/// The shape of an inline string with a length or pattern (which typify
/// makes a newtype of), without its annotations; `None` for anything else.
fn constrained_string_shape(schema: &Value) -> Option<Value> {
    let map = schema.as_object()?;
    if map.get("type").and_then(Value::as_str) != Some("string")
        || map.contains_key("enum")
        || !["pattern", "minLength", "maxLength"]
            .iter()
            .any(|key| map.contains_key(*key))
        || map.keys().any(|key| {
            !SHAPE_KEYS.contains(&key.as_str())
                && !matches!(
                    key.as_str(),
                    "description" | "nullable" | "readOnly" | "writeOnly" | "example"
                )
                && !key.starts_with("x-")
        })
    {
        return None;
    }
    Some(Value::Object(
        map.iter()
            .filter(|(key, _)| SHAPE_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    ))
}

/// The named schemas `pending` name, and every one they reach.
fn closure(pending: Vec<String>, schemas: &BTreeMap<String, Value>) -> BTreeSet<String> {
    closure_by(pending, |name| schemas.get(name))
}

/// The same, with the schemas looked up by `schema`.
fn closure_by<'s>(
    mut pending: Vec<String>,
    schema: impl Fn(&str) -> Option<&'s Value>,
) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone())
            && let Some(schema) = schema(&name)
        {
            refs_below(schema, &mut pending);
        }
    }
    reached
}

fn refs_below(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|value| refs_below(value, out));
        }
        Value::Array(items) => items.iter().for_each(|value| refs_below(value, out)),
        _ => {}
    }
}

/// Moves every constraint below `schema` into its description.
fn strip_constraints(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let removed: Vec<String> = CONSTRAINTS
                .iter()
                .filter_map(|key| Some(code_span(&format!("{key}: {}", map.remove(*key)?))))
                .collect();
            if !removed.is_empty() {
                let note = format!(
                    "The API documents {}; the client does not enforce it on what it receives.",
                    removed.join(", ")
                );
                let description = match map.get("description").and_then(Value::as_str) {
                    Some(text) => format!("{text}\n\n{note}"),
                    None => note,
                };
                map.insert("description".to_owned(), Value::String(description));
            }
            for (key, value) in map.iter_mut() {
                // `properties` maps names to schemas: recurse into each.
                if key == "properties" {
                    value
                        .as_object_mut()
                        .into_iter()
                        .flat_map(|m| m.values_mut())
                        .for_each(strip_constraints);
                } else if key != "example" && key != "enum" && key != "default" {
                    strip_constraints(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_constraints),
        _ => {}
    }
}

fn string_enum(name: &str, origin: &str, schema: &Value) -> Option<StringEnum> {
    if !is_string_enum(schema) {
        return None;
    }
    Some(StringEnum {
        name: name.to_owned(),
        origin: origin.to_owned(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        values: schema["enum"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::{rustify, share_constrained_strings};
    use crate::sinks::rustdoc::doc_text as markdown_text;
    use serde_json::Value;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// drf-spectacular's one component for both directions: the request
    /// body gets a twin without the server's fields, and the response type
    /// leaves out what the server never sends.
    #[test]
    fn read_only_and_write_only_split_the_directions() {
        let batch = json!({ "$ref": "#/components/schemas/Batch" });
        let spec = json!({
            "paths": { "/batches": {
                "post": {
                    "operationId": "batches_create",
                    "requestBody": { "content": { "application/json": { "schema": batch } } },
                    "responses": { "201": { "content": { "application/json": { "schema": batch } } } }
                }
            } },
            "components": { "schemas": { "Batch": {
                "type": "object",
                "required": ["batchId", "calls", "paused"],
                "properties": {
                    "batchId": { "type": "string", "readOnly": true },
                    "calls": { "type": "array", "items": {}, "writeOnly": true },
                    "paused": { "type": "boolean" }
                }
            } } }
        });
        let out = rustify(&spec).unwrap().spec;
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["Batch"]["required"], json!(["batchId", "paused"]));
        assert!(schemas["Batch"]["properties"].get("calls").is_none());
        let twin = &schemas["BatchRequest"];
        assert!(twin["properties"].get("batchId").is_none(), "{twin}");
        assert_eq!(twin["required"], json!(["calls", "paused"]));
        let operation = &out["paths"]["/batches"]["post"];
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["$ref"], "#/components/schemas/BatchRequest");
        let response = &operation["responses"]["201"]["content"]["application/json"]["schema"];
        assert_eq!(response["$ref"], "#/components/schemas/Batch");
    }

    #[test]
    fn vendor_prose_renders_as_written() {
        assert_eq!(
            markdown_text(
                "TwiML: <Connect><Stream url=${x} /></Connect>. See https://x.example/a."
            ),
            "TwiML: \\<Connect>\\<Stream url=${x} />\\</Connect>. See `https://x.example/a`."
        );
        assert_eq!(
            markdown_text("separated by `<` if multiple"),
            "separated by `<` if multiple"
        );
        assert_eq!(
            markdown_text(
                "See https://x.example/guide\n for help.\n* A - on https://y.example.\n* B"
            ),
            "See `https://x.example/guide`\nfor help.\n\n- A - on `https://y.example`.\n- B"
        );
    }

    /// drf-spectacular's `oneOf: [XEnum, NullEnum]` is a nullable `XEnum`,
    /// and what no operation reaches any more is not generated.
    #[test]
    fn null_alternatives_become_nullable_and_unreached_schemas_go() {
        let spec = json!({
            "paths": { "/calls": { "get": {
                "operationId": "calls_list",
                "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Call" }
                } } } }
            } } },
            "components": { "schemas": {
                "Call": {
                    "type": "object",
                    "required": ["endReason"],
                    "properties": {
                        "endReason": {
                            "nullable": true,
                            "oneOf": [
                                { "$ref": "#/components/schemas/EndReasonEnum" },
                                { "$ref": "#/components/schemas/NullEnum" }
                            ]
                        },
                        "reasonOrCode": { "oneOf": [
                            { "$ref": "#/components/schemas/EndReasonEnum" },
                            { "type": "integer" },
                            { "$ref": "#/components/schemas/NullEnum" }
                        ] },
                        "alwaysNull": { "oneOf": [{ "$ref": "#/components/schemas/NullEnum" }] }
                    }
                },
                "EndReasonEnum": { "type": "string", "enum": ["hangup", "timeout"] },
                "NullEnum": { "enum": [null] },
                "Orphan": { "type": "object" }
            } }
        });
        let out = rustify(&spec).unwrap().spec;
        let schemas = out["components"]["schemas"].as_object().unwrap();
        assert_eq!(
            schemas["Call"]["properties"]["endReason"],
            json!({ "nullable": true, "allOf": [{ "$ref": "#/components/schemas/EndReason" }] })
        );
        assert_eq!(
            schemas["Call"]["properties"]["reasonOrCode"],
            json!({ "nullable": true, "oneOf": [
                { "$ref": "#/components/schemas/EndReason" }, { "type": "integer" }
            ] })
        );
        // Only null: nothing to drop it in favour of, so it stays as written.
        assert_eq!(
            schemas["Call"]["properties"]["alwaysNull"]["oneOf"],
            json!([{ "$ref": "#/components/schemas/Null" }])
        );
        let mut names: Vec<&str> = schemas.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["Call", "EndReason", "Null"]);
    }

    /// A constrained string property repeated in two schemas becomes one
    /// named schema; annotations stay on each property; a single use, an
    /// unconstrained string or a taken name changes nothing.
    #[test]
    fn repeated_constrained_strings_share_one_schema() {
        let secret = json!({ "type": "string", "maxLength": 120, "nullable": true,
                             "description": "The secret.", "x-sensitive": true });
        let mut schemas: BTreeMap<String, Value> = [
            (
                "Create",
                json!({ "properties": { "webhookSecret": secret, "note": { "type": "string" },
                                               "once": { "type": "string", "maxLength": 9 } } }),
            ),
            (
                "Patch",
                json!({ "properties": { "webhookSecret": secret, "note": { "type": "string" } } }),
            ),
        ]
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
        share_constrained_strings(&mut schemas);
        assert_eq!(
            schemas["WebhookSecret"],
            json!({ "type": "string", "maxLength": 120, "description": "The secret." })
        );
        for owner in ["Create", "Patch"] {
            assert_eq!(
                schemas[owner]["properties"]["webhookSecret"],
                json!({ "allOf": [{ "$ref": "#/components/schemas/WebhookSecret" }], "nullable": true,
                        "description": "The secret.", "x-sensitive": true })
            );
            assert_eq!(
                schemas[owner]["properties"]["note"],
                json!({ "type": "string" })
            );
        }
        assert_eq!(schemas.len(), 3, "{schemas:?}");

        let mut taken = schemas.clone();
        taken.remove("WebhookSecret");
        taken.insert("WebhookSecret".to_owned(), json!({ "type": "object" }));
        for owner in ["Create", "Patch"] {
            taken.get_mut(owner).unwrap()["properties"]["webhookSecret"] = secret.clone();
        }
        share_constrained_strings(&mut taken);
        assert_eq!(taken["Create"]["properties"]["webhookSecret"], secret);
    }
}
