//! `$ref` cycles without structure. A component that is (or extends, with
//! `allOf`/`oneOf`/`anyOf`) itself through other components has no finite
//! form: progenitor loops on one (`parameters/P: $ref P`) at full CPU, and
//! a schema alias cycle (`A: $ref B`, `B: $ref A`) generates `struct
//! A(B); struct B(Box<A>)`, whose decoding overflows the stack. A cycle
//! through an object's property, a list's items or a map's values is a
//! recursive type, which is fine, and stays.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::sinks::line::one_line;

/// Refuses the first structure-free cycle among the components, naming it.
pub fn check(spec: &Value, shown: &str) -> Result<()> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (kind, entries) in spec
        .get("components")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (name, value) in entries.as_object().into_iter().flatten() {
            let mut targets = BTreeSet::new();
            unstructured_refs(value, &mut targets);
            edges.insert(format!("#/components/{kind}/{name}"), targets);
        }
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = find_cycle(start, &edges, &mut path, &mut done) {
            let shown_cycle: Vec<String> = cycle.iter().map(|node| one_line(node)).collect();
            bail!(
                "{shown}: the `$ref` cycle {} has no structure (no object property, list or map \
                 in between), so no value of it can exist; the generator would not finish. \
                 Report it to Ultravox, or break it with an action in openapi/overlay.yaml",
                shown_cycle.join(" → ")
            );
        }
    }
    Ok(())
}

/// The `$ref`s of `node` that are not below a property, an item or a map
/// value.
fn unstructured_refs(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match key.as_str() {
                    "$ref" => {
                        if let Some(target) = value.as_str() {
                            out.insert(target.to_owned());
                        }
                    }
                    "properties" | "items" | "additionalProperties" => {}
                    // Data, never references.
                    "example" | "examples" | "default" | "enum" => {}
                    _ => unstructured_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| unstructured_refs(item, out)),
        _ => {}
    }
}

/// A cycle reachable from `node`, as the list of its nodes from where it
/// closes, with the first repeated at the end.
fn find_cycle(
    node: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|seen| seen == node) {
        let mut cycle = path[at..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_owned());
    for next in edges.get(node).into_iter().flatten() {
        if let Some(cycle) = find_cycle(next, edges, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node.to_owned());
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn cycles_without_structure_are_refused_naming_them() {
        for components in [
            json!({ "parameters": { "P": { "$ref": "#/components/parameters/P" } } }),
            json!({ "parameters": { "P": { "$ref": "#/components/parameters/Q" }, "Q": { "$ref": "#/components/parameters/P" } } }),
            json!({ "schemas": { "A": { "$ref": "#/components/schemas/B" }, "B": { "$ref": "#/components/schemas/A" } } }),
            json!({ "schemas": { "A": { "allOf": [{ "$ref": "#/components/schemas/A" }] } } }),
            json!({ "requestBodies": { "R": { "$ref": "#/components/requestBodies/R" } } }),
            json!({ "responses": { "R": { "$ref": "#/components/responses/S" }, "S": { "$ref": "#/components/responses/R" } } }),
        ] {
            let spec = json!({ "components": components });
            let err = super::check(&spec, "doc").unwrap_err().to_string();
            assert!(err.contains("→"), "{err}");
        }
    }

    #[test]
    fn recursive_types_stay() {
        let spec = json!({ "components": { "schemas": {
            "Node": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/components/schemas/Node" } }, "parent": { "$ref": "#/components/schemas/Node" } } },
            "Tree": { "type": "object", "additionalProperties": { "$ref": "#/components/schemas/Tree" } },
        } } });
        super::check(&spec, "doc").unwrap();
    }
}
