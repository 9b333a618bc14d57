//! The change report of a sync: what changed in the derived spec, by meaning
//! (serialiser noise — key order, quoting, `3.0.3` vs `3.0.4`, an explicit
//! `required: false`, `allOf` wrappers around a lone `$ref` — makes no
//! entry), and what that means for code that uses the crate.
//!
//! Rule: an entry is **breaking** when code compiled against the previous
//! release can stop compiling, or stop decoding what it decoded: something
//! removed or renamed, a type or format changed, a field whose Rust type
//! gains or loses its `Option`, a generated type that changes kind, an enum
//! value removed, a parameter that becomes required, a new default URL or
//! auth header, `writeOnly` set (the response type loses the field),
//! `readOnly` set on a schema a request body reaches (its request twin
//! loses the field). Everything else is **additive**: new operations, optional
//! parameters, schemas, optional properties and enum values (enums are
//! open), constraints (the client does not enforce them on responses),
//! `writeOnly` cleared, `readOnly` set outside request bodies or cleared,
//! descriptions (counted, not listed), and a crate
//! the generated code now uses. Constructing the generated structs with
//! struct literals is not covered: use their builders or `Default`.

use crate::sinks::markdown::code;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::derive::rust_names;
use crate::derive::rustify::CONSTRAINTS;
use crate::derive::slice::METHODS;

/// What a whole report means for the crate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// At least one breaking entry.
    Breaking,
    /// Additive entries only.
    Additive,
    /// Only descriptions changed.
    Docs,
}

/// The Rust field typify makes of a property name.
fn rust_field(property: &str) -> String {
    let field = heck::ToSnakeCase::to_snake_case(property);
    match field.as_str() {
        "type" | "ref" | "match" | "mod" | "use" | "fn" | "impl" | "in" | "where" | "self"
        | "super" | "crate" | "loop" | "move" | "static" | "struct" | "trait" | "enum" => {
            format!("{field}_")
        }
        _ => field,
    }
}

#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize,
)]
pub enum Impact {
    Breaking,
    Additive,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub impact: Impact,
    /// Where: `Schema.property.path`, or `GET /path` and a parameter.
    pub at: String,
    pub what: String,
}

/// The comparison of two derived specs.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub entries: Vec<Entry>,
    /// Where a description changed (`Schema.property`, `GET /path`, …).
    pub descriptions: Vec<String>,
    /// The Rust type of each schema, by its name in the spec (both specs').
    rust_types: BTreeMap<String, String>,
    /// The schemas request bodies reach in the newer spec.
    request_reached: BTreeSet<String>,
    /// The schemas that are PATCH bodies in either spec: their optional
    /// nullable properties are `Option<Option<T>>` (see `patch_nulls`).
    patch_bodies: BTreeSet<String>,
    /// The generated types of both sides (empty when unknown).
    generated: BTreeSet<String>,
    /// Added properties whose names look like secrets but that are marked
    /// neither `writeOnly` nor sensitive: their values would show in
    /// `Debug` (see `redact`).
    pub unmarked_secrets: Vec<String>,
    /// Whether the server's origin (scheme, host, port) changes, not only
    /// its path: `refusals::origin` let it through only because the
    /// overlay allows the new origin.
    server_origin_changes: bool,
    /// Generated types that only changed their name, old → new (the old
    /// name stays as a deprecated alias): set by the caller, which sees
    /// the generated code.
    pub renamed: BTreeMap<String, String>,
}

/// Facts of generated Rust that the spec alone does not show.
pub struct RustFacts {
    pub crates: BTreeSet<String>,
    /// The types of the generated `types` module (empty when unknown).
    pub types: BTreeSet<String>,
}

pub fn compare(
    before: &Value,
    after: &Value,
    rust_before: &RustFacts,
    rust_after: &RustFacts,
) -> Report {
    let mut report = Report {
        request_reached: crate::derive::rustify::reached_from_request_bodies(after),
        patch_bodies: crate::generate::patch_nulls::patch_bodies(before)
            .union(&crate::generate::patch_nulls::patch_bodies(after))
            .cloned()
            .collect(),
        generated: rust_before
            .types
            .union(&rust_after.types)
            .cloned()
            .collect(),
        ..Report::default()
    };
    report.compare_servers_and_auth(before, after);
    report.compare_operations(before, after);
    report.compare_schemas(before, after);
    for name in rust_after.crates.difference(&rust_before.crates) {
        report.push(
            Impact::Additive,
            "generated-client/Cargo.toml".to_owned(),
            format!("the generated code now uses the crate `{name}`"),
        );
    }
    for name in rust_before.crates.difference(&rust_after.crates) {
        report.push(
            Impact::Additive,
            "generated-client/Cargo.toml".to_owned(),
            format!("the generated code no longer uses the crate `{name}` (it may be removed)"),
        );
    }
    report
        .entries
        .sort_by(|a, b| (a.impact, &a.at).cmp(&(b.impact, &b.at)));
    report
}

/// What in a property's name (lowercased) says its value is a secret: the
/// one table the report's "Secrets to mark" reads.
pub const SECRET_WORDS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "credential",
    "token",
    "key",
    "authorization",
    "hmac",
    "signing",
    "private",
];

impl Report {
    fn push(&mut self, impact: Impact, at: String, what: String) {
        self.entries.push(Entry { impact, at, what });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.descriptions.is_empty() && self.renamed.is_empty()
    }

    /// Notes the property `name` at `at` if its name looks like a secret's
    /// and its value is text, yet nothing keeps it out of `Debug`.
    fn check_secret(&mut self, at: &str, name: &str, schema: &Value) {
        let schema = unwrap(schema);
        let lowered = name.to_ascii_lowercase();
        let secret_like = SECRET_WORDS.iter().any(|word| lowered.contains(word));
        let marked = [crate::generate::redact::SENSITIVE, "writeOnly"]
            .iter()
            .any(|marker| is_true(schema.get(*marker)));
        let numeric = matches!(
            schema.get("type").and_then(Value::as_str),
            Some("integer" | "number" | "boolean")
        );
        if secret_like && !marked && !numeric {
            self.unmarked_secrets.push(at.to_owned());
        }
    }

    fn compare_servers_and_auth(&mut self, before: &Value, after: &Value) {
        let url = |spec: &Value| spec.pointer("/servers/0/url").cloned();
        if url(before) != url(after) {
            let origin = |spec: &Value| {
                crate::derive::refusals::origin::server(spec).and_then(crate::fetch::origin::origin)
            };
            self.server_origin_changes = origin(before) != origin(after);
            self.push(
                Impact::Breaking,
                "servers".to_owned(),
                format!(
                    "the default base URL changes from {} to {}",
                    show(url(before)),
                    show(url(after))
                ),
            );
        }
        let schemes = |spec: &Value| {
            spec.pointer("/components/securitySchemes")
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (schemes(before), schemes(after));
        if strip_descriptions(&old) != strip_descriptions(&new) {
            self.push(
                Impact::Breaking,
                "components.securitySchemes".to_owned(),
                format!(
                    "authentication changes from {} to {}",
                    code(&old.to_string()),
                    code(&new.to_string())
                ),
            );
        }
    }

    fn compare_operations(&mut self, before: &Value, after: &Value) {
        let (old, new) = (operations(before), operations(after));
        for (key, operation) in &new {
            let Some(previous) = old.get(key) else {
                self.push(Impact::Additive, key.clone(), "operation added".to_owned());
                continue;
            };
            self.compare_parameters(key, previous, operation);
            if description(previous) != description(operation) {
                self.descriptions.push(key.clone());
            }
            let response = |op: &Value| {
                op.pointer("/responses/200/content/application~1json/schema")
                    .cloned()
            };
            if let (Some(a), Some(b)) = (response(previous), response(operation)) {
                self.compare_schema(&format!("{key} 200 response"), &a, &b, true);
            }
            self.compare_responses(key, previous, operation);
        }
        for key in old.keys().filter(|key| !new.contains_key(*key)) {
            self.push(
                Impact::Breaking,
                key.clone(),
                "operation removed".to_owned(),
            );
        }
    }

    /// The documented statuses and the media types of the success
    /// responses: what a download relies on (its body's type, the `302` it
    /// follows) as much as a JSON response's schema.
    fn compare_responses(&mut self, operation: &str, before: &Value, after: &Value) {
        let statuses = |op: &Value| -> BTreeMap<String, Vec<String>> {
            op.get("responses")
                .and_then(Value::as_object)
                .map(|responses| {
                    responses
                        .iter()
                        .map(|(status, response)| {
                            let media = response
                                .get("content")
                                .and_then(Value::as_object)
                                .map(|content| content.keys().cloned().collect())
                                .unwrap_or_default();
                            (status.clone(), media)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (old, new) = (statuses(before), statuses(after));
        for (status, media) in &new {
            let at = format!("{operation} {status} response");
            match old.get(status) {
                None => self.push(Impact::Additive, at, "response documented".to_owned()),
                Some(previous) if previous != media && status.starts_with('2') => self.push(
                    Impact::Breaking,
                    at,
                    format!(
                        "media type changes from {} to {}",
                        media_list(previous),
                        media_list(media)
                    ),
                ),
                Some(_) => {}
            }
        }
        for status in old.keys().filter(|status| !new.contains_key(*status)) {
            self.push(
                Impact::Breaking,
                format!("{operation} {status} response"),
                "response no longer documented".to_owned(),
            );
        }
    }

    fn compare_parameters(&mut self, operation: &str, before: &Value, after: &Value) {
        let (old, new) = (parameters(before), parameters(after));
        for (key, parameter) in &new {
            let at = format!("{operation} {key}");
            let required = is_true(parameter.get("required"));
            let Some(previous) = old.get(key) else {
                let impact = if required {
                    Impact::Breaking
                } else {
                    Impact::Additive
                };
                let kind = if required { "required" } else { "optional" };
                self.push(impact, at, format!("{kind} parameter added"));
                continue;
            };
            if is_true(previous.get("required")) != required {
                let (impact, what) = if required {
                    (Impact::Breaking, "parameter becomes required")
                } else {
                    (Impact::Additive, "parameter becomes optional")
                };
                self.push(impact, at.clone(), what.to_owned());
            }
            if description(previous) != description(parameter) {
                self.descriptions.push(at.to_owned());
            }
            let schema = |p: &Value| p.get("schema").cloned().unwrap_or_default();
            self.compare_schema(&at, &schema(previous), &schema(parameter), true);
        }
        for key in old.keys().filter(|key| !new.contains_key(*key)) {
            self.push(
                Impact::Breaking,
                format!("{operation} {key}"),
                "parameter removed".to_owned(),
            );
        }
    }

    fn compare_schemas(&mut self, before: &Value, after: &Value) {
        let schemas = |spec: &Value| {
            spec.pointer("/components/schemas")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (schemas(before), schemas(after));
        let names = |map: &Map<String, Value>| {
            rust_names::rust_names(map.keys().map(String::as_str)).unwrap_or_default()
        };
        let (old_names, new_names) = (names(&old), names(&new));
        self.rust_types.extend(old_names.clone());
        self.rust_types.extend(new_names.clone());
        for (name, schema) in &new {
            let rust = new_names.get(name).cloned().unwrap_or_default();
            let Some(previous) = old.get(name) else {
                self.push(
                    Impact::Additive,
                    name.clone(),
                    format!("schema added (Rust type {})", code(&rust)),
                );
                for (property, property_schema) in schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    self.check_secret(&format!("{name}.{property}"), property, property_schema);
                }
                continue;
            };
            if let Some(old_rust) = old_names.get(name).filter(|old_rust| **old_rust != rust) {
                self.push(
                    Impact::Breaking,
                    name.clone(),
                    format!(
                        "the public type {} is renamed {}",
                        code(old_rust),
                        code(&rust)
                    ),
                );
            }
            let (old_kind, new_kind) = (kind(previous), kind(schema));
            if old_kind != new_kind {
                self.push(
                    Impact::Breaking,
                    name.clone(),
                    format!(
                        "the generated type {} changes from {old_kind} to {new_kind}",
                        code(&rust)
                    ),
                );
            }
            self.compare_schema(name, previous, schema, true);
        }
        for name in old.keys().filter(|name| !new.contains_key(*name)) {
            let rust = old_names.get(name).cloned().unwrap_or_default();
            self.push(
                Impact::Breaking,
                name.clone(),
                format!("schema removed (Rust type {} is gone)", code(&rust)),
            );
        }
    }

    /// Compares two schemas found at `at`; `required` says whether the
    /// property they describe must be present (their Rust type is then not
    /// an `Option` unless nullable).
    fn compare_schema(&mut self, at: &str, before: &Value, after: &Value, required: bool) {
        let (before, after) = (unwrap(before), unwrap(after));
        if description(&before) != description(&after) {
            self.descriptions.push(at.to_owned());
        }
        let field = |key: &str, schema: &Value| schema.get(key).cloned();
        if field("$ref", &before) != field("$ref", &after) {
            self.push(
                Impact::Breaking,
                at.to_owned(),
                format!(
                    "type changes from {} to {}",
                    show_type(&before),
                    show_type(&after)
                ),
            );
            return; // the referenced schemas are compared on their own
        }
        for key in ["type", "format"] {
            if field(key, &before) != field(key, &after) {
                self.push(
                    Impact::Breaking,
                    at.to_owned(),
                    format!(
                        "{key} changes from {} to {}",
                        show(field(key, &before)),
                        show(field(key, &after))
                    ),
                );
            }
        }
        let nullable = |schema: &Value| is_true(schema.get("nullable"));
        if nullable(&before) != nullable(&after) {
            // An optional property of a PATCH body (not readOnly, so in the
            // request twin) is `Option<Option<T>>` only while nullable.
            let mut parts = at.split('.');
            let clearable = !required
                && !is_true(after.get("readOnly"))
                && matches!(
                    (parts.next(), parts.next(), parts.next()),
                    (Some(schema), Some(_), None) if self.patch_bodies.contains(schema)
                );
            let impact = if required || clearable {
                Impact::Breaking
            } else {
                Impact::Additive
            };
            let mut what = if nullable(&after) {
                "becomes nullable".to_owned()
            } else {
                "is no longer nullable".to_owned()
            };
            if clearable {
                what.push_str(
                    " in a PATCH body: its field changes between `Option<T>` and \
                     `Option<Option<T>>`",
                );
            }
            self.push(impact, at.to_owned(), what);
        }
        let schema_name = at.split('.').next().unwrap_or(at);
        for key in ["readOnly", "writeOnly"] {
            let set = is_true(after.get(key));
            if is_true(before.get(key)) == set {
                continue;
            }
            let (impact, what) = match (key, set) {
                ("writeOnly", true) => (
                    Impact::Breaking,
                    "`writeOnly` set: the response type loses the field (the server never \
                     sends it)",
                ),
                ("readOnly", true) if self.request_reached.contains(schema_name) => (
                    Impact::Breaking,
                    "`readOnly` set: the request twin loses the field (the server writes it)",
                ),
                ("writeOnly", false) => (
                    Impact::Additive,
                    "`writeOnly` cleared: the response type gains the field",
                ),
                (_, true) => (Impact::Additive, "`readOnly` set"),
                (_, false) => (Impact::Additive, "`readOnly` cleared"),
            };
            self.push(impact, at.to_owned(), what.to_owned());
        }
        for key in CONSTRAINTS {
            if field(key, &before) != field(key, &after) {
                self.push(
                    Impact::Additive,
                    at.to_owned(),
                    format!(
                        "constraint `{key}` changes from {} to {}",
                        show(field(key, &before)),
                        show(field(key, &after))
                    ),
                );
            }
        }
        self.compare_enum(at, &before, &after);
        self.compare_properties(at, &before, &after);
        for key in ["items", "additionalProperties"] {
            if let (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) =
                (before.get(key), after.get(key))
            {
                self.compare_schema(&format!("{at}.{key}"), a, b, true);
            }
        }
    }

    fn compare_enum(&mut self, at: &str, before: &Value, after: &Value) {
        let values = |schema: &Value| -> Vec<Value> {
            schema
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (values(before), values(after));
        for value in new.iter().filter(|v| !old.contains(v)) {
            self.push(
                Impact::Additive,
                at.to_owned(),
                format!("enum value {} added", code(&value.to_string())),
            );
        }
        for value in old.iter().filter(|v| !new.contains(v)) {
            self.push(
                Impact::Breaking,
                at.to_owned(),
                format!("enum value {} removed", code(&value.to_string())),
            );
        }
    }

    fn compare_properties(&mut self, at: &str, before: &Value, after: &Value) {
        let properties = |schema: &Value| {
            schema
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let required = |schema: &Value| -> BTreeSet<String> {
            schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (old, new) = (properties(before), properties(after));
        let (old_required, new_required) = (required(before), required(after));
        for (name, schema) in &new {
            let path = format!("{at}.{name}");
            let is_required = new_required.contains(name);
            // The Rust field is a plain `T` only when required and not nullable.
            let plain = |required: bool, schema: &Value| {
                required && !is_true(unwrap(schema).get("nullable"))
            };
            let Some(previous) = old.get(name) else {
                let impact = if plain(is_required, schema) {
                    Impact::Breaking
                } else {
                    Impact::Additive
                };
                let kind = if is_required { "required" } else { "optional" };
                self.check_secret(&path, name, schema);
                self.push(impact, path, format!("{kind} property added"));
                continue;
            };
            let was_required = old_required.contains(name);
            if was_required != is_required {
                let impact = if plain(was_required, previous) != plain(is_required, schema) {
                    Impact::Breaking
                } else {
                    Impact::Additive
                };
                let what = if is_required {
                    "becomes required"
                } else {
                    "is no longer required"
                };
                self.push(impact, path.clone(), what.to_owned());
            }
            self.compare_schema(&path, previous, schema, is_required);
        }
        for name in old.keys().filter(|name| !new.contains_key(*name)) {
            self.push(
                Impact::Breaking,
                format!("{at}.{name}"),
                "property removed".to_owned(),
            );
        }
    }

    /// How many entries have `impact`.
    pub fn count(&self, impact: Impact) -> usize {
        self.entries.iter().filter(|e| e.impact == impact).count()
    }

    /// The report's verdict: breaking, additive or descriptions only.
    pub fn verdict(&self) -> Verdict {
        if self.count(Impact::Breaking) > 0 {
            Verdict::Breaking
        } else if !self.entries.is_empty() {
            Verdict::Additive
        } else {
            Verdict::Docs
        }
    }

    /// The Rust path of `at` (`types::ScheduledCall::error` for
    /// `ScheduledCall.error`), for a schema or one of its properties.
    fn rust_path(&self, at: &str) -> Option<String> {
        // Schema names hold dots too (`ultravox.v1.CallMedium`): the longest
        // name `at` starts with is the schema.
        let (name, rust) = self
            .rust_types
            .iter()
            .filter(|(name, _)| {
                at == name.as_str()
                    || at
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|(name, _)| name.len())?;
        // A schema only request bodies use is generated as its request twin.
        let twin = format!("{rust}Request");
        let rust = if self.generated.is_empty() || self.generated.contains(rust) {
            rust
        } else if self.generated.contains(&twin) {
            &twin
        } else {
            return None;
        };
        let rest = &at[name.len()..];
        match rest.strip_prefix('.') {
            None => Some(format!("types::{rust}")),
            Some(property) if !property.contains('.') => {
                Some(format!("types::{rust}::{}", rust_field(property)))
            }
            Some(_) => None,
        }
    }

    fn shown(&self, at: &str) -> String {
        match self.rust_path(at) {
            Some(rust) => format!("{} ({})", code(&rust), code(at)),
            None => code(at),
        }
    }

    /// The note that the API's server changes (every client's key goes
    /// there), for the first lines of the report and the pull request.
    pub fn server_note(&self) -> Option<String> {
        self.entries
            .iter()
            .find(|entry| entry.at == "servers")
            .map(|entry| {
                let why = if self.server_origin_changes {
                    "`openapi/overlay.yaml` allows the new origin"
                } else {
                    "the origin (scheme, host and port) is the same, only the path changes"
                };
                format!(
                    "> **The API's server changes:** {}. Every client built from this sends its \
                     API key there; {why}.\n",
                    entry.what
                )
            })
    }

    /// The report as Markdown, fit to paste into a pull request.
    pub fn to_markdown(&self, title: &str) -> String {
        let mut out = format!("## {title}\n\n");
        if let Some(note) = self.server_note() {
            out.push_str(&note);
            out.push('\n');
        }
        if self.is_empty() {
            out.push_str("No changes to the part of the API this client uses.\n");
            return out;
        }
        let _ = writeln!(
            out,
            "{} breaking, {} additive for code that uses `ultravox-client`; {} description(s) \
             changed.",
            self.count(Impact::Breaking),
            self.count(Impact::Additive),
            self.descriptions.len()
        );
        if self.count(Impact::Breaking) > 0 {
            out.push_str(
                "Breaking: code compiled against the previous release can stop compiling or \
                 stop decoding (something removed, renamed or retyped); see the rule in \
                 README.md.\n",
            );
        }
        out.push('\n');
        for (impact, heading) in [
            (Impact::Breaking, "Breaking"),
            (Impact::Additive, "Additive"),
        ] {
            let entries: Vec<&Entry> = self.entries.iter().filter(|e| e.impact == impact).collect();
            if entries.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {heading}\n");
            for entry in entries {
                let _ = writeln!(out, "- {}: {}", self.shown(&entry.at), entry.what);
            }
            out.push('\n');
        }
        if !self.unmarked_secrets.is_empty() {
            out.push_str(
                "### Secrets to mark\n\nThese added properties look like secrets, but neither \
                 the document (`writeOnly`) nor `openapi/overlay.yaml` (`x-sensitive: true`) \
                 marks them, so their values would show in `Debug`; mark them in the overlay \
                 unless they hold no secret:\n\n",
            );
            for at in &self.unmarked_secrets {
                let _ = writeln!(out, "- {}", self.shown(at));
            }
            out.push('\n');
        }
        if !self.renamed.is_empty() {
            out.push_str(
                "### Renamed types\n\nThese generated types have a new name; the old one stays \
                 as a deprecated alias, so code that names it still builds (with a warning \
                 naming the new one):\n\n",
            );
            for (old, new) in &self.renamed {
                let _ = writeln!(
                    out,
                    "- {} → {}",
                    code(&format!("types::{old}")),
                    code(&format!("types::{new}"))
                );
            }
            out.push('\n');
        }
        if !self.descriptions.is_empty() {
            out.push_str("### Descriptions changed\n\n");
            for at in &self.descriptions {
                let _ = writeln!(out, "- {}", self.shown(at));
            }
            out.push('\n');
        }
        out
    }
}

/// Operations by `METHOD /path`.
fn operations(spec: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                let mut operation = operation.clone();
                // Path-level parameters belong to each operation.
                if let Some(shared) = item.get("parameters").and_then(Value::as_array) {
                    let own = operation["parameters"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    operation["parameters"] =
                        Value::Array(shared.iter().chain(&own).cloned().collect());
                }
                out.insert(format!("{} {path}", method.to_uppercase()), operation);
            }
        }
    }
    out
}

/// Parameters by `in name` (`query parameter status`).
fn parameters(operation: &Value) -> BTreeMap<String, Value> {
    operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let location = p.get("in")?.as_str()?;
            Some((format!("{location} parameter {name}"), p.clone()))
        })
        .collect()
}

/// `allOf: [one]` with annotations beside it means `one` plus those
/// annotations: the vendor's way to attach a description to a `$ref`.
fn unwrap(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    match map.get("allOf").and_then(Value::as_array) {
        Some(members) if members.len() == 1 => {
            let mut merged = members[0].as_object().cloned().unwrap_or_default();
            for (key, value) in map {
                if key != "allOf" {
                    merged.insert(key.clone(), value.clone());
                }
            }
            Value::Object(merged)
        }
        _ => schema.clone(),
    }
}

/// What typify makes of a schema, in words.
fn kind(schema: &Value) -> &'static str {
    let schema = unwrap(schema);
    if schema.get("enum").is_some() {
        return "an enum";
    }
    match schema.get("type").and_then(Value::as_str) {
        // A named object without `additionalProperties` is a message: a
        // struct, even with no fields yet (see `rustify::fieldless_messages`).
        Some("object") if schema.get("additionalProperties").is_none() => "a struct",
        Some("object") => "a map (`serde_json::Map` newtype)",
        Some("array") => "a list",
        Some("string") => "a string",
        Some("integer" | "number") => "a number",
        Some("boolean") => "a bool",
        _ if schema.get("$ref").is_some() => "an alias",
        _ => "any JSON (`serde_json::Value`)",
    }
}

fn description(node: &Value) -> Option<&Value> {
    node.get("description")
}

fn is_true(value: Option<&Value>) -> bool {
    value == Some(&Value::Bool(true))
}

fn strip_descriptions(node: &Value) -> Value {
    match node {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| *key != "description")
                .map(|(key, value)| (key.clone(), strip_descriptions(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn show(value: Option<Value>) -> String {
    value.map_or_else(
        || "(none)".to_owned(),
        |v| code(&v.as_str().map_or(v.to_string(), str::to_owned)),
    )
}

fn show_type(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => code(reference.rsplit('/').next().unwrap_or(reference)),
        None => show(schema.get("type").cloned()),
    }
}

/// Media types as a report names them (each through the Markdown
/// encoder: they are the vendor's text): `audio/wav`, or none.
fn media_list(media: &[String]) -> String {
    if media.is_empty() {
        "none".to_owned()
    } else {
        media.iter().map(|m| code(m)).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Impact, RustFacts, compare};

    /// A spec whose `Batch` a response returns and, when `with_body`, a
    /// request body sends; `calls` carries `marks`.
    fn spec(with_body: bool, marks: Value) -> Value {
        let batch = json!({ "$ref": "#/components/schemas/Batch" });
        let mut calls = json!({ "type": "array", "items": { "type": "string" } });
        calls
            .as_object_mut()
            .unwrap()
            .extend(marks.as_object().unwrap().clone());
        let mut operation = json!({
            "operationId": "batches_create",
            "responses": { "200": { "content": { "application/json": { "schema": batch } } } }
        });
        if with_body {
            operation["requestBody"] =
                json!({ "content": { "application/json": { "schema": batch } } });
        }
        json!({
            "paths": { "/batches": { "post": operation } },
            "components": { "schemas": { "Batch": {
                "type": "object",
                "properties": { "calls": calls, "paused": { "type": "boolean" } }
            } } }
        })
    }

    fn impacts(before: &Value, after: &Value) -> Vec<(Impact, String)> {
        let facts = || RustFacts {
            crates: Default::default(),
            types: Default::default(),
        };
        compare(before, after, &facts(), &facts())
            .entries
            .into_iter()
            .map(|entry| (entry.impact, entry.what))
            .collect()
    }

    /// Response types leave out writeOnly properties and request twins
    /// readOnly ones, so a flip changes a Rust type's fields: the report
    /// calls a lost field breaking, as cargo-semver-checks does
    /// (`struct_pub_field_missing`).
    #[test]
    fn read_only_and_write_only_flips_are_judged_by_the_fields_they_change() {
        let plain = json!({});
        let write_only = json!({ "writeOnly": true });
        let read_only = json!({ "readOnly": true });
        for with_body in [false, true] {
            let [(set, what)] = &impacts(
                &spec(with_body, plain.clone()),
                &spec(with_body, write_only.clone()),
            )[..] else {
                panic!("one entry")
            };
            assert_eq!(*set, Impact::Breaking, "{what}");
            assert!(what.contains("response type loses the field"), "{what}");
            let [(cleared, _)] = &impacts(
                &spec(with_body, write_only.clone()),
                &spec(with_body, plain.clone()),
            )[..] else {
                panic!("one entry")
            };
            assert_eq!(*cleared, Impact::Additive);
        }
        let [(in_request, what)] =
            &impacts(&spec(true, plain.clone()), &spec(true, read_only.clone()))[..]
        else {
            panic!("one entry")
        };
        assert_eq!(*in_request, Impact::Breaking, "{what}");
        assert!(what.contains("request twin loses the field"), "{what}");
        let [(response_only, _)] = &impacts(&spec(false, plain), &spec(false, read_only))[..]
        else {
            panic!("one entry")
        };
        assert_eq!(*response_only, Impact::Additive);
    }
    /// An optional property of a PATCH body is `Option<Option<T>>` while it
    /// is nullable, so a nullable flip there is breaking; elsewhere an
    /// optional property stays `Option<T>` and the flip is additive.
    #[test]
    fn a_nullable_flip_is_breaking_in_a_patch_body_only() {
        let spec = |method: &str, nullable: bool| {
            json!({
                "paths": { "/batches/{id}": { method: {
                    "operationId": "batches_update",
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Batch" }
                    } } },
                    "responses": { "200": {} }
                } } },
                "components": { "schemas": { "Batch": {
                    "type": "object",
                    "properties": { "throttle": { "type": "string", "nullable": nullable } }
                } } }
            })
        };
        for (method, expected) in [("patch", Impact::Breaking), ("put", Impact::Additive)] {
            for (before, after) in [(false, true), (true, false)] {
                let [(impact, what)] = &impacts(&spec(method, before), &spec(method, after))[..]
                else {
                    panic!("one entry")
                };
                assert_eq!(*impact, expected, "{method}: {what}");
                assert_eq!(what.contains("PATCH body"), method == "patch", "{what}");
            }
        }
    }

    /// A schema only a request body uses is generated as its twin alone: the
    /// report names that type, and no Rust path for a schema not generated.
    #[test]
    fn rust_paths_name_the_types_that_are_generated() {
        let before = spec(true, json!({}));
        let after = spec(true, json!({ "description": "Calls." }));
        let shown = |types: &[&str]| {
            let facts = RustFacts {
                crates: Default::default(),
                types: types.iter().map(|name| name.to_string()).collect(),
            };
            compare(&before, &after, &facts, &facts).shown("Batch.paused")
        };
        assert_eq!(
            shown(&["Batch", "BatchRequest"]),
            "`types::Batch::paused` (`Batch.paused`)"
        );
        assert_eq!(
            shown(&["BatchRequest"]),
            "`types::BatchRequest::paused` (`Batch.paused`)"
        );
        assert_eq!(shown(&["Other"]), "`Batch.paused`");
    }

    #[test]
    fn an_added_secret_like_property_that_is_not_marked_is_named() {
        let before = json!({ "components": { "schemas": { "Batch": {
            "type": "object", "properties": { "paused": { "type": "boolean" } }
        }}}});
        let mut after = before.clone();
        let properties = after
            .pointer_mut("/components/schemas/Batch/properties")
            .unwrap();
        properties["apiKey"] = json!({ "type": "string" });
        properties["billedTokens"] = json!({ "type": "integer" });
        properties["webhookSecret"] = json!({ "type": "string", "x-sensitive": true });
        properties["password"] = json!({ "type": "string", "writeOnly": true });
        after["components"]["schemas"]["Sip"] = json!({
            "type": "object", "properties": { "authToken": { "type": "string" } }
        });
        let facts = RustFacts {
            crates: Default::default(),
            types: Default::default(),
        };
        let report = compare(&before, &after, &facts, &facts);
        assert_eq!(report.unmarked_secrets, ["Batch.apiKey", "Sip.authToken"]);
        let mut after_more = before.clone();
        let names = [
            "sipPassphrase",
            "credentials",
            "pwd",
            "userPasswd",
            "authorization",
            "signingHmac",
            "privateKey",
            "clientSecret",
        ];
        for name in names {
            after_more["components"]["schemas"]["Batch"]["properties"][name] =
                json!({ "type": "string" });
        }
        let every_kind = compare(&before, &after_more, &facts, &facts);
        let expected: std::collections::BTreeSet<String> =
            names.iter().map(|name| format!("Batch.{name}")).collect();
        let found: std::collections::BTreeSet<String> =
            every_kind.unmarked_secrets.iter().cloned().collect();
        assert_eq!(found, expected);
        let markdown = report.to_markdown("t");
        assert!(markdown.contains("### Secrets to mark"), "{markdown}");
        assert!(markdown.contains("`Batch.apiKey`"), "{markdown}");
    }
}
