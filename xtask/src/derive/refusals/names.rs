//! Names become Rust identifiers (sanitised by typify and progenitor) and
//! HTTP header names. A name that would not compile, or would not pass
//! clippy `-D warnings`, once sanitised is refused here, naming it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use heck::ToSnakeCase;
use serde_json::Value;

use crate::derive::slice::METHODS;
use crate::sinks::line::one_line;

/// Longer names are refused: nobody types them, and they bloat the code.
pub const MAX_NAME: usize = 100;

/// Headers a parameter may not set: the client's own.
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "authorization",
    "user-agent",
    "api-version",
];

pub fn check(spec: &Value, shown: &str) -> Result<()> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        check_name(name, &format!("the schema {}", one_line(name)), shown, true)?;
        check_schema(schema, &format!("schema {}", one_line(name)), shown)?;
    }
    let auth_headers: Vec<String> = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|schemes| schemes.values())
        .filter(|scheme| scheme.get("in").and_then(Value::as_str) == Some("header"))
        .filter_map(|scheme| scheme.get("name").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect();
    for (method, path, parameters) in operations(spec) {
        let at = format!("{} {}", method.to_uppercase(), one_line(path));
        let mut sanitised: BTreeMap<String, &str> = BTreeMap::new();
        for parameter in parameters {
            let (Some(name), location) = (
                parameter.get("name").and_then(Value::as_str),
                parameter.get("in").and_then(Value::as_str).unwrap_or(""),
            ) else {
                continue;
            };
            let place = format!("the {location} parameter {} of {at}", one_line(name));
            check_name(name, &place, shown, false)?;
            if location == "header" {
                check_header(name, &place, &auth_headers, shown)?;
            }
            collide(&mut sanitised, name, &format!("parameters of {at}"), shown)?;
        }
    }
    Ok(())
}

/// Every query and path parameter becomes a method of the operation's
/// request, beside the request's own (`send`, `pages`, `timeout`, … in
/// `taken`): a parameter named like one would not compile.
pub fn check_parameter_methods(
    spec: &Value,
    taken: &std::collections::BTreeSet<String>,
    shown: &str,
) -> Result<()> {
    for (method, path, parameters) in operations(spec) {
        for name in parameters
            .iter()
            .filter_map(|parameter| parameter.get("name").and_then(Value::as_str))
        {
            let rust = name.to_snake_case();
            if taken.contains(&rust) {
                bail!(
                    "{shown}: the parameter {} of {} {} would become the request method \
                     `{rust}`, which every request has already (generated-client/src/); the \
                     client would not compile. Report it to Ultravox, or rename the parameter \
                     with an action in openapi/overlay.yaml",
                    one_line(name),
                    method.to_uppercase(),
                    one_line(path)
                );
            }
        }
    }
    Ok(())
}

/// Every operation of `spec`: its method, its path and its parameters (the
/// path item's, then its own).
fn operations(spec: &Value) -> Vec<(&'static str, &str, Vec<&Value>)> {
    let mut out = Vec::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let parameters = [item, operation]
                .into_iter()
                .filter_map(|owner| owner.get("parameters").and_then(Value::as_array))
                .flatten()
                .collect();
            out.push((method, path.as_str(), parameters));
        }
    }
    out
}

/// The properties of `schema` and of every schema inside it.
fn check_schema(schema: &Value, at: &str, shown: &str) -> Result<()> {
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        let mut sanitised = BTreeMap::new();
        for (property, child) in properties {
            let place = format!("the property {} of {at}", one_line(property));
            check_name(property, &place, shown, false)?;
            collide(
                &mut sanitised,
                property,
                &format!("properties of {at}"),
                shown,
            )?;
            check_schema(child, &format!("{at}.{}", one_line(property)), shown)?;
        }
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        for value in values.iter().filter_map(Value::as_str) {
            if value
                .chars()
                .any(|c| c.is_control() || crate::sinks::is_hidden(c))
            {
                bail!(
                    "{shown}: the enum value {} of {at} has a control, bidirectional or \
                     invisible character; it cannot be a Rust variant. Report it to Ultravox",
                    one_line(value)
                );
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
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

/// A name is ASCII (a non-ASCII letter may be a confusable: rustc warns
/// and clippy `-D warnings` fails), has a letter or digit, nothing hidden,
/// and is at most [`MAX_NAME`] long. A schema name may also hold `.`.
fn check_name(name: &str, place: &str, shown: &str, schema: bool) -> Result<()> {
    let why = if name
        .chars()
        .any(|c| c.is_control() || crate::sinks::is_hidden(c))
    {
        Some("has a control, bidirectional or invisible character")
    } else if !name.is_ascii() {
        Some("has a non-ASCII character (which may look like another)")
    } else if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        Some("has no letter or digit")
    } else if name.len() > MAX_NAME {
        Some("is longer than 100 characters")
    } else if schema
        && !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Some("has a character other than letters, digits, `.`, `_` and `-`")
    } else {
        None
    };
    match why {
        Some(why) => bail!(
            "{shown}: {place} {why}; it cannot become a Rust name. Report it to Ultravox, or \
             rename it with an action in openapi/overlay.yaml"
        ),
        None => Ok(()),
    }
}

/// Names that become the same Rust name (`fooBar`, `foo_bar`; `self`,
/// `Self`) in one scope.
fn collide<'n>(
    seen: &mut BTreeMap<String, &'n str>,
    name: &'n str,
    scope: &str,
    shown: &str,
) -> Result<()> {
    let rust = name
        .to_snake_case()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .trim_matches('_')
        .to_owned();
    if let Some(other) = seen.insert(rust.clone(), name) {
        bail!(
            "{shown}: among the {scope}, {:?} and {:?} both become the same Rust name \
             `{rust}`; the generated code would not compile. Report it to Ultravox, or rename \
             one with an action in openapi/overlay.yaml",
            one_line(other),
            one_line(name)
        );
    }
    Ok(())
}

/// A header parameter's name is an HTTP token (RFC 9110 §5.6.2), and not
/// a header the client sets itself (the API key's included).
fn check_header(name: &str, place: &str, auth: &[String], shown: &str) -> Result<()> {
    let token = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    let lower = name.to_ascii_lowercase();
    if !token {
        bail!("{shown}: {place} is not a valid HTTP header name. Report it to Ultravox");
    }
    if auth.contains(&lower) || RESERVED_HEADERS.contains(&lower.as_str()) {
        bail!(
            "{shown}: {place} is a header the client sets itself (the API key's, or the \
             request's own); a parameter may not set it. Report it to Ultravox"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn schema_with(properties: Value) -> Value {
        json!({ "components": { "schemas": { "S": { "type": "object", "properties": properties } } } })
    }

    #[test]
    fn names_that_collide_or_hide_something_are_refused_naming_both() {
        for (a, b) in [
            ("self", "Self"),
            ("fooBar", "foo_bar"),
            ("Error", "error"),
            ("page_size", "pageSize"),
        ] {
            let spec = schema_with(json!({ a: {}, b: {} }));
            let err = super::check(&spec, "doc").unwrap_err().to_string();
            assert!(err.contains(a) && err.contains(b), "{err}");
        }
        for bad in [
            "a\u{202e}b",
            "zero\u{200b}width",
            "ünïcode",
            "@#!",
            "x\ny",
            &"a".repeat(101),
        ] {
            let spec = schema_with(json!({ bad: {} }));
            assert!(super::check(&spec, "doc").is_err(), "{bad:?}");
        }
        super::check(
            &schema_with(json!({ "callId": {}, "type": {}, "self": {} })),
            "doc",
        )
        .unwrap();
    }

    #[test]
    fn a_parameter_named_like_a_request_method_is_refused() {
        let spec = json!({ "paths": { "/a": { "get": { "parameters": [{ "name": "send", "in": "query" }] } } } });
        let taken = ["send".to_owned(), "pages".to_owned()].into();
        let err = super::check_parameter_methods(&spec, &taken, "doc")
            .unwrap_err()
            .to_string();
        assert!(err.contains("send") && err.contains("GET /a"), "{err}");
        let spec = json!({ "paths": { "/a": { "get": { "parameters": [{ "name": "status", "in": "query" }] } } } });
        super::check_parameter_methods(&spec, &taken, "doc").unwrap();
    }

    #[test]
    fn header_parameters_are_tokens_and_not_the_clients_own() {
        let spec = |name: &str| {
            json!({
                "components": { "securitySchemes": { "k": { "type": "apiKey", "in": "header", "name": "X-API-Key" } } },
                "paths": { "/a": { "get": { "parameters": [{ "name": name, "in": "header" }] } } }
            })
        };
        for bad in ["Bad\r\nHeader", "x-api-key", "Host", "with space"] {
            assert!(super::check(&spec(bad), "doc").is_err(), "{bad:?}");
        }
        super::check(&spec("X-Request-Id"), "doc").unwrap();
    }
}
