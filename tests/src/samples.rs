//! Sample pages: ids, minimal rows, and realistic rows whose statuses come
//! from the spec and whose media come from the fixtures in `tests/fixtures/`
//! (one per medium the spec lists: [`medium_samples`] fails when the vendor
//! adds a medium that no fixture shows).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::{json::read_json, spec};

/// Ids and key shared by the HTTP tests.
pub mod ids {
    use uuid::{Uuid, uuid};

    pub const AGENT: Uuid = uuid!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    pub const BATCH: Uuid = uuid!("5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b");
    pub const API_KEY: &str = "uvx-test-SECRET-key-0123456789";
}

/// The operation's path for [`ids::AGENT`] and [`ids::BATCH`].
pub fn calls_path() -> String {
    spec::operation_path()
        .replace("{agent_id}", &ids::AGENT.to_string())
        .replace("{batch_id}", &ids::BATCH.to_string())
}

/// A scheduled-call row as the API sends it.
pub fn row(status: &str) -> Value {
    json!({
        "status": status,
        "batchId": ids::BATCH,
        "callId": null,
        "error": null,
    })
}

/// A row with the first status the spec lists, for tests where the status
/// does not matter.
pub fn any_row() -> Value {
    row(spec::statuses()[0])
}

/// A page with `rows`, and a `next` link carrying `next_cursor`.
pub fn page(rows: Vec<Value>, next_cursor: Option<&str>) -> Value {
    // The link names another host on purpose: only its cursor may be used.
    let next =
        next_cursor.map(|c| format!("https://elsewhere.invalid/api/next/?cursor={c}&pageSize=999"));
    json!({ "next": next, "previous": null, "results": rows })
}

/// The fixture pages, by file name.
pub fn fixtures() -> BTreeMap<String, Value> {
    let dir = fixtures_dir();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.insert(name, read_json(&path));
        }
    }
    out
}

pub fn fixtures_dir() -> PathBuf {
    spec::workspace_root().join("tests/fixtures")
}

/// Every fixture row.
fn fixture_rows() -> Vec<Value> {
    fixtures()
        .into_values()
        .filter_map(|page| page["results"].as_array().cloned())
        .flatten()
        .collect()
}

/// One `medium` object per medium the spec lists, in the spec's order, each
/// taken from a fixture row that uses only that medium (the richest one).
pub fn medium_samples() -> Vec<Value> {
    let rows = fixture_rows();
    spec::media()
        .into_iter()
        .map(|name| {
            rows.iter()
                .filter_map(|row| row["medium"].as_object())
                .filter(|medium| medium.len() == 1 && medium.contains_key(name))
                .max_by_key(|medium| medium[name].to_string().len())
                .map(|medium| Value::Object(medium.clone()))
                .unwrap_or_else(|| {
                    panic!("no fixture in tests/fixtures/ shows the medium `{name}`; add one")
                })
        })
        .collect()
}

/// `count` varied, realistic rows: every status, every medium, metadata
/// maps, template contexts. Deterministic, so benchmark inputs are stable.
pub fn realistic_rows(count: usize) -> Vec<Value> {
    let statuses = spec::statuses();
    let mut media = medium_samples();
    media.push(Value::Null);
    (0..count)
        .map(|i| {
            let status = statuses[i % statuses.len()];
            let succeeded = i % statuses.len() == 2;
            let call_id = succeeded.then(|| format!("8d7c6b5a-4e3f-4a1b-9c8d-{i:012x}"));
            let error = (i % statuses.len() == statuses.len() - 1)
                .then_some("Destination number is not reachable: SIP 404 Not Found");
            json!({
                "status": status,
                "batchId": ids::BATCH,
                "callId": call_id,
                "error": error,
                "medium": media[i % media.len()],
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

/// A transcript page of `count` realistic messages: the roles and media
/// the spec lists, turns of a conversation with tool calls, timespans,
/// stage ids and indexes. Deterministic, so benchmark inputs are stable.
pub fn realistic_transcript(count: usize) -> Value {
    let message = spec::schema("ultravox.v1.Message");
    let values = |property: &str| -> Vec<Value> {
        message["properties"][property]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("the spec's Message has no enum `{property}`"))
            .clone()
    };
    let (roles, media) = (values("role"), values("medium"));
    let lines = [
        "Hello, this is the renewals desk calling about your subscription.",
        "Hi, yes, I got your letter last week but have not had the time to look at it.",
        "{\"customerId\":\"cus_000042\",\"fields\":[\"plan\",\"renewalDate\"]}",
        "Would you like to renew for another year at the same price?",
    ];
    let results: Vec<Value> = (0..count)
        .map(|i| {
            let role = &roles[1 + i % (roles.len() - 1)];
            let tool = role.as_str().is_some_and(|r| r.contains("TOOL"));
            json!({
                "role": role,
                "text": lines[i % lines.len()],
                "medium": media[1 + i % (media.len() - 1)],
                "callStageId": format!("5a1f3b9e-2c4d-4e8f-9a0b-{:012x}", i / 100),
                "callStageMessageIndex": i % 100,
                "invocationId": tool.then(|| format!("inv_{:06}", i / 2)),
                "toolName": tool.then_some("lookupCustomer"),
                "timespan": { "start": format!("{}.{:03}s", i * 3, i % 1000), "end": format!("{}.{:03}s", i * 3 + 2, i % 1000) },
                "metadata": { "turn": i },
            })
        })
        .collect();
    json!({ "next": null, "previous": null, "results": results })
}
