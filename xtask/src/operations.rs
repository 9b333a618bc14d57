//! `cargo xtask operations`: every operation of the vendor's document, so
//! exposing one starts from a list, not from a search through 260 KB of
//! YAML.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::Value;

use crate::derive::slice::{self, METHODS};
use crate::project::Project;
use crate::{derive, fetch::document};

/// One operation of the document.
#[derive(Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub method: String,
    pub path: String,
    pub listing: bool,
    /// The `Client` method, when `openapi/operations.yaml` exposes it.
    pub exposed_as: Option<String>,
}

pub fn run(project: &Project) -> Result<()> {
    let path = project.upstream();
    let shown = project.show(&path);
    let upstream = document::load(&path, &shown, "the vendor's OpenAPI document")?;
    let exposed = derive::exposed_operations(project)?;
    crate::sinks::terminal::out(&table(&list(&upstream, &exposed)));
    Ok(())
}

/// The operations of `document` in path order, with the exposed ones named.
pub fn list(document: &Value, exposed: &[slice::Operation]) -> Vec<Listed> {
    let mut out = Vec::new();
    let paths = document.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            out.push(Listed {
                id: id.to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                listing: is_cursor_listing(document, item, operation),
                exposed_as: exposed.iter().find(|o| o.id == id).map(|o| o.name.clone()),
            });
        }
    }
    out
}

/// The rule the generated code follows (see `surface.rs`): a `cursor` query
/// parameter, and a JSON success response with a nullable string `next`
/// and an array `results`.
fn is_cursor_listing(document: &Value, item: &Value, operation: &Value) -> bool {
    let parameters = [item, operation]
        .into_iter()
        .filter_map(|node| node.get("parameters").and_then(Value::as_array))
        .flatten();
    let has_cursor = parameters
        .map(|parameter| resolve(document, parameter))
        .any(|p| p["name"] == "cursor" && p["in"] == "query");
    let page = operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, response)| response.pointer("/content/application~1json/schema"))
        .map(|schema| resolve(document, schema));
    has_cursor
        && page.is_some_and(|page| {
            let next = resolve(document, &page["properties"]["next"]);
            let results = resolve(document, &page["properties"]["results"]);
            next["type"] == "string" && next["nullable"] == true && results["type"] == "array"
        })
}

/// `node`, or what its `$ref` points at.
fn resolve<'d>(document: &'d Value, node: &'d Value) -> &'d Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| document.pointer(pointer))
        .unwrap_or(node)
}

/// The list as aligned text, one operation a line, a count at the end.
pub fn table(operations: &[Listed]) -> String {
    let width = |field: fn(&Listed) -> usize| operations.iter().map(field).max().unwrap_or(0);
    let (id_width, method_width, path_width) = (
        width(|o| o.id.len()).max("operationId".len()),
        width(|o| o.method.len()).max("method".len()),
        width(|o| o.path.len()).max("path".len()),
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:id_width$}  {:method_width$}  {:path_width$}  listing  client method",
        "operationId", "method", "path"
    );
    for o in operations {
        let listing = if o.listing { "yes" } else { "no" };
        let exposed = o.exposed_as.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "{:id_width$}  {:method_width$}  {:path_width$}  {listing:7}  {exposed}",
            o.id, o.method, o.path
        );
    }
    let exposed = operations.iter().filter(|o| o.exposed_as.is_some()).count();
    let _ = writeln!(
        out,
        "{} operations, {exposed} exposed (openapi/operations.yaml)",
        operations.len()
    );
    out
}
