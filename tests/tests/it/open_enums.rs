//! Every enum of the spec is open: a value this version does not know
//! decodes, is kept verbatim, goes back out unchanged, and can be sent.

use serde_json::{Value, json};
use support::http::test_client;
use support::json::{json_differences, without_optional_nulls};
use support::samples::ids::{AGENT, BATCH};
use support::samples::{calls_path, page, row};
use support::server::{Reply, ScriptedServer};
use support::spec;
use ultravox_client::decode_page;
use ultravox_client::types::ScheduledCallStatus;

/// JSON key paths (below a row) of every string enum the row schema reaches.
fn enum_paths(schema: &'static Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    if path.len() > 8 {
        return; // deep enough for any real shape; guards a cyclic schema
    }
    let schema = if schema.get("$ref").is_some() || schema.get("allOf").is_some() {
        spec::resolve(schema)
    } else {
        schema
    };
    if schema.get("enum").is_some() {
        out.push(path);
        return;
    }
    for key in spec::keys(schema) {
        let mut child = path.clone();
        child.push(key.to_owned());
        enum_paths(&schema["properties"][key], child, out);
    }
}

/// A row with `value` at `path`, the objects on the way created.
fn row_with(path: &[String], value: &str) -> Value {
    let mut row = row("FUTURE");
    let mut node = &mut row;
    for key in &path[..path.len() - 1] {
        node = node
            .as_object_mut()
            .unwrap()
            .entry(key.clone())
            .or_insert_with(|| json!({}));
    }
    node[path.last().unwrap()] = Value::from(value);
    row
}

#[test]
fn unknown_values_of_every_enum_decode_and_go_back_out_unchanged() {
    let mut paths = Vec::new();
    enum_paths(spec::row_schema(), Vec::new(), &mut paths);
    assert!(
        paths.iter().any(|path| path == &["status"]),
        "the row status is an enum: {paths:?}"
    );
    // All of them on one page: unknown values side by side in one row each.
    let rows: Vec<Value> = paths
        .iter()
        .map(|path| row_with(path, "NEW_IN_A_LATER_API"))
        .collect();
    let sent = page(rows, None);
    let decoded = decode_page(&serde_json::to_vec(&sent).unwrap())
        .unwrap_or_else(|err| panic!("a page with unknown enum values failed: {err}"));
    let reencoded = serde_json::to_value(&decoded).unwrap();
    let differences = json_differences(&without_optional_nulls(sent), &reencoded);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(
        decoded.results[paths.iter().position(|p| p == &["status"]).unwrap()].status,
        ScheduledCallStatus::Unknown("NEW_IN_A_LATER_API".into())
    );
}

#[test]
fn known_values_parse_to_named_variants() {
    for (value, variant) in spec::statuses().into_iter().zip(ScheduledCallStatus::KNOWN) {
        let parsed: ScheduledCallStatus = value.parse().unwrap();
        assert_eq!(parsed, variant);
        assert_eq!(variant.as_str(), value);
        assert_eq!(variant.to_string(), value);
        assert_eq!(serde_json::to_value(&variant).unwrap(), value);
    }
    assert_eq!(ScheduledCallStatus::KNOWN.len(), spec::statuses().len());
}

#[tokio::test]
async fn an_unknown_status_filter_is_sent_as_written() {
    let server = ScriptedServer::start(vec![Reply::json(200, &page(vec![], None))]).await;
    let client = test_client(&server.base_url).build().unwrap();
    client
        .list_scheduled_calls(AGENT, BATCH)
        .status(ScheduledCallStatus::Unknown("NEW".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].target,
        format!("{}?status=NEW", calls_path())
    );
}
