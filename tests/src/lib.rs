//! Shared helpers for the test suite: the spec is read from `openapi/`
//! (never copied), and failures name the JSON key path that broke.

pub mod server;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The operation whose response every fixture is a page of.
pub const OPERATION_PATH: &str =
    "/api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls";

pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
}

pub fn spec_path() -> PathBuf {
    workspace_root().join("openapi/ultravox.json")
}

/// The spec as JSON.
pub fn spec() -> Value {
    read_json(&spec_path())
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn operation_200(spec: &Value) -> &Value {
    let pointer = format!(
        "/paths/{}/get/responses/200/content/application~1json",
        OPERATION_PATH.replace('~', "~0").replace('/', "~1")
    );
    spec.pointer(&pointer)
        .unwrap_or_else(|| panic!("the spec has no 200 application/json response at {pointer}"))
}

/// The response example embedded in the spec.
pub fn response_example() -> Value {
    operation_200(&spec())
        .get("example")
        .expect("the 200 response embeds an `example`")
        .clone()
}

/// insta settings for this suite: snapshots live in `tests/snapshots/`, and
/// each names its input in `description`. Keep the guard alive while asserting.
pub fn snapshot_settings(description: &str) -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(workspace_root().join("tests/snapshots"));
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.bind_to_scope()
}

/// Deserializes `json` into `T`; the error names the JSON key path that failed.
pub fn decode<T: DeserializeOwned>(json: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(json)
        .map_err(|err| format!("at `{}`: {}", err.path(), err.inner()))
}

/// Optional, nullable fields: the generated types read `null` and absent
/// alike, and write neither. A round trip may therefore drop these nulls.
pub const OPTIONAL_NULLABLE_PAGE_FIELDS: [&str; 2] = ["next", "previous"];
pub const OPTIONAL_NULLABLE_ROW_FIELDS: [&str; 4] = [
    "medium",
    "metadata",
    "templateContext",
    "experimentalSettings",
];

/// `page` as a round trip through the generated types should give it back:
/// without the `null`s of [`OPTIONAL_NULLABLE_PAGE_FIELDS`] and
/// [`OPTIONAL_NULLABLE_ROW_FIELDS`].
pub fn without_optional_nulls(mut page: Value) -> Value {
    fn drop_nulls(object: &mut Value, keys: &[&str]) {
        if let Some(map) = object.as_object_mut() {
            map.retain(|key, value| !(value.is_null() && keys.contains(&key.as_str())));
        }
    }
    drop_nulls(&mut page, &OPTIONAL_NULLABLE_PAGE_FIELDS);
    if let Some(rows) = page.get_mut("results").and_then(Value::as_array_mut) {
        for row in rows {
            drop_nulls(row, &OPTIONAL_NULLABLE_ROW_FIELDS);
        }
    }
    page
}

/// Every difference between two JSON values, as `path: left != right` lines.
pub fn json_differences(left: &Value, right: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_differences("$", left, right, &mut out);
    out
}

fn collect_differences(path: &str, left: &Value, right: &Value, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for key in l.keys().chain(r.keys().filter(|k| !l.contains_key(*k))) {
                let child = format!("{path}.{key}");
                match (l.get(key), r.get(key)) {
                    (Some(a), Some(b)) => collect_differences(&child, a, b, out),
                    (Some(a), None) => out.push(format!("{child}: {a} != (absent)")),
                    (None, Some(b)) => out.push(format!("{child}: (absent) != {b}")),
                    (None, None) => unreachable!("key came from one of the maps"),
                }
            }
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            for (index, (a, b)) in l.iter().zip(r).enumerate() {
                collect_differences(&format!("{path}[{index}]"), a, b, out);
            }
        }
        _ if left != right => out.push(format!("{path}: {left} != {right}")),
        _ => {}
    }
}

/// The spec's response schema as a JSON Schema document a validator accepts:
/// OpenAPI 3.0's `nullable: true` becomes an explicit `null` alternative.
pub fn response_json_schema() -> Value {
    let spec = spec();
    let components = spec.get("components").cloned().unwrap_or_default();
    let mut document = Map::new();
    document.insert(
        "$schema".into(),
        "http://json-schema.org/draft-07/schema#".into(),
    );
    document.insert(
        "allOf".into(),
        Value::Array(vec![operation_200(&spec)["schema"].clone()]),
    );
    document.insert("components".into(), openapi_to_json_schema(components));
    Value::Object(document)
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
    match schema.get("type").cloned() {
        // Typed: widen the type.
        Some(Value::String(ty)) => {
            schema.insert("type".into(), serde_json::json!([ty, "null"]));
            Value::Object(schema)
        }
        // Composed (`allOf: [$ref]`): null, or the composition.
        _ if schema.contains_key("allOf") || schema.contains_key("$ref") => {
            serde_json::json!({ "anyOf": [{ "type": "null" }, Value::Object(schema)] })
        }
        // Untyped already admits null.
        _ => Value::Object(schema),
    }
}

/// Validates `instance` against the spec's response schema; returns one
/// `instance path: message` line per violation.
pub fn schema_violations(instance: &Value) -> Vec<String> {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
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
/// Ids and key shared by the HTTP tests.
pub mod ids {
    use uuid::{Uuid, uuid};

    pub const AGENT: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "uvx-test-SECRET-key-0123456789";

    /// The operation's path for [`AGENT`] and [`BATCH`].
    pub fn calls_path() -> String {
        format!("/api/agents/{AGENT}/scheduled_batches/{BATCH}/scheduled_calls")
    }
}

/// A client for a test server: test key, fast backoff.
pub fn test_client(base_url: &str) -> ultravox_client::ClientBuilder {
    ultravox_client::Client::builder()
        .api_key(ids::API_KEY)
        .base_url(base_url)
        .backoff(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(50),
        )
}

/// A scheduled-call row as the API sends it.
pub fn row(status: &str) -> Value {
    serde_json::json!({
        "status": status,
        "batchId": ids::BATCH,
        "callId": null,
        "error": null,
    })
}

/// A page with `rows`, and a `next` link carrying `next_cursor`.
pub fn page(rows: Vec<Value>, next_cursor: Option<&str>) -> Value {
    // The link names another host on purpose: only its cursor may be used.
    let next =
        next_cursor.map(|c| format!("https://elsewhere.invalid/api/next/?cursor={c}&pageSize=999"));
    serde_json::json!({ "next": next, "previous": null, "results": rows })
}

/// `count` varied, realistic rows: every status, every medium, metadata
/// maps, template contexts. Deterministic, so benchmark inputs are stable.
pub fn realistic_rows(count: usize) -> Vec<Value> {
    use serde_json::json;
    const STATUSES: [&str; 5] = ["FUTURE", "PENDING", "SUCCESS", "EXPIRED", "ERROR"];
    (0..count)
        .map(|i| {
            let status = STATUSES[i % STATUSES.len()];
            let phone = format!("+1415555{:04}", i % 10_000);
            let medium = match i % 8 {
                0 => json!({ "webRtc": {} }),
                1 => json!({ "twilio": { "outgoing": { "to": phone, "from": "+14155550100", "additionalParams": { "machineDetection": "Enable" } } } }),
                2 => json!({ "telnyx": { "outgoing": { "to": phone, "from": "+14155550100" } } }),
                3 => json!({ "plivo": { "outgoing": { "to": phone, "from": "+14155550100" } } }),
                4 => json!({ "serverWebSocket": { "inputSampleRate": 48000, "outputSampleRate": 24000, "clientBufferSizeMs": 30000 } }),
                5 => json!({ "exotel": {} }),
                6 => json!({ "sip": { "outgoing": { "to": format!("sip:{i}@pbx.example.com"), "from": "sip:ultravox@example.com", "username": "ultravox", "password": "hunter2" } } }),
                _ => Value::Null,
            };
            let call_id = (status == "SUCCESS").then(|| format!("8d7c6b5a-4e3f-4a1b-9c8d-{:012x}", i));
            let error = (status == "ERROR").then_some("Destination number is not reachable: SIP 404 Not Found");
            json!({
                "status": status,
                "batchId": ids::BATCH,
                "callId": call_id,
                "error": error,
                "medium": medium,
                "metadata": { "customerId": format!("cus_{i:06}"), "campaign": "spring-renewals", "locale": "en-US" },
                "templateContext": { "customerName": format!("Customer {i}"), "appointment": { "day": "Tuesday", "slot": i % 9 + 9 } },
            })
        })
        .collect()
}

/// A page of [`realistic_rows`], with `next` pointing at `next_cursor`.
pub fn realistic_page(rows: usize, next_cursor: Option<&str>) -> Value {
    let mut page = page(realistic_rows(rows), next_cursor);
    page["total"] = Value::from(rows);
    page
}

/// Serves `script` on a [`server::ScriptedServer`] and fetches the first page
/// with a [`test_client`] adjusted by `configure`. Fails the test if the
/// client hangs for 10 s. The server is returned for its request log.
pub async fn fetch_first_page(
    script: Vec<server::Reply>,
    configure: impl FnOnce(ultravox_client::ClientBuilder) -> ultravox_client::ClientBuilder,
) -> (
    Result<
        ultravox_client::ResponseValue<ultravox_client::types::PaginatedScheduledCallList>,
        ultravox_client::Error,
    >,
    server::ScriptedServer,
) {
    let server = server::ScriptedServer::start(script).await;
    let client = configure(test_client(&server.base_url)).build().unwrap();
    let request = client.list_scheduled_calls(ids::AGENT, ids::BATCH);
    match tokio::time::timeout(std::time::Duration::from_secs(10), request.send()).await {
        Ok(result) => (result, server),
        Err(_) => panic!("the client hung"),
    }
}
