//! Paths and operationIds: a path is a template below the base URL, and
//! each operationId names one operation.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::derive::slice::METHODS;
use crate::sinks::line::one_line;

/// Each operationId once in the whole document: the slice would pick one
/// of two at random, and progenitor would name two methods alike.
pub fn check_operation_ids(document: &Value, shown: &str) -> Result<()> {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (path, item) in document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(id) = item
                .get(method)
                .and_then(|operation| operation.get("operationId"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let here = format!("{} {path}", method.to_uppercase());
            if let Some(first) = seen.insert(id, here.clone()) {
                bail!(
                    "{shown}: the operationId {} is used twice, by {} and by {}; an \
                     operationId names one operation. Report it to Ultravox, or rename one \
                     with an action in openapi/overlay.yaml",
                    one_line(id),
                    one_line(&first),
                    one_line(&here)
                );
            }
        }
    }
    Ok(())
}

/// Every path of the derived spec is a plain template: it starts with `/`,
/// has no `.` or `..` segment, no query, fragment, scheme, whitespace or
/// hidden character. The client appends it to the base URL; anything else
/// would send the request (and the key) somewhere the base URL does not say.
pub fn check_paths(spec: &Value, shown: &str) -> Result<()> {
    for path in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.keys())
    {
        let why = if !path.starts_with('/') {
            Some("does not start with `/`")
        } else if path.contains("://") || path.starts_with("//") {
            Some("names a host")
        } else if path.contains(['?', '#']) {
            Some("has a query or a fragment")
        } else if path
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
        {
            Some("has a `.` or `..` segment")
        } else if path
            .chars()
            .any(|c| c.is_whitespace() || c == '\\' || crate::sinks::is_hidden(c))
        {
            Some("has whitespace, a backslash or a hidden character")
        } else {
            None
        };
        if let Some(why) = why {
            bail!(
                "{shown}: the path {} {why}; a path is a template below the base URL \
                 (`/api/…`). Report it to Ultravox, or leave the operation out of \
                 openapi/operations.yaml",
                one_line(path)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn paths_stay_below_the_base_url() {
        for bad in [
            "/api/../admin",
            "/api/x?y=1",
            "/api#x",
            "https://evil/api",
            "//evil/api",
            "api",
            "/a/./b",
            "/a b",
            "/a\u{202e}b",
        ] {
            let spec = json!({ "paths": { bad: {} } });
            assert!(super::check_paths(&spec, "doc").is_err(), "{bad}");
        }
        let spec = json!({ "paths": { "/api/agents/{agent_id}/x": {} } });
        super::check_paths(&spec, "doc").unwrap();
    }

    #[test]
    fn an_operation_id_names_one_operation() {
        let document = json!({ "paths": {
            "/a": { "get": { "operationId": "x" } },
            "/b": { "post": { "operationId": "x" } },
        } });
        let err = super::check_operation_ids(&document, "doc")
            .unwrap_err()
            .to_string();
        assert!(err.contains("GET /a") && err.contains("POST /b"), "{err}");
    }
}
