//! Every enum of the spec is open: a value this version does not know
//! decodes, is kept verbatim, goes back out unchanged, and can be sent.

use serde_json::{Value, json};
use support::http::test_client;
use support::json::{json_differences, without_optional_nulls};
use support::samples::ids::{AGENT, BATCH};
use support::samples::{any_row, calls_path, page};
use support::server::{Reply, ScriptedServer};
use support::spec;
use ultravox_client::decode;
use ultravox_client::types::PaginatedScheduledCallList;
use ultravox_client::types::ScheduledCallStatus;

/// A row with `value` at `path`, the objects on the way created.
pub fn row_with(path: &[String], value: &str) -> Value {
    let mut row = any_row();
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
    let paths = spec::paths_to(spec::row_schema(), &|schema| schema.get("enum").is_some());
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
    let decoded = decode::<PaginatedScheduledCallList>(&serde_json::to_vec(&sent).unwrap())
        .unwrap_or_else(|err| panic!("a page with unknown enum values failed: {err}"));
    let reencoded = serde_json::to_value(&decoded).unwrap();
    let differences = json_differences(&without_optional_nulls(sent), &reencoded);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(
        decoded.results[paths.iter().position(|p| p == &["status"]).unwrap()].status,
        ScheduledCallStatus::from_api_value("NEW_IN_A_LATER_API")
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
        .status(ScheduledCallStatus::from_api_value("NEW"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].target,
        format!("{}?status=NEW", calls_path())
    );
}

#[test]
fn constraints_bind_requests_not_responses() {
    // A value the API wrote is kept even when it breaks the spec's
    // `pattern` or length: the client must not fail a page on it.
    let paths = spec::paths_to(spec::row_schema(), &|schema| {
        ["pattern", "minLength", "maxLength"]
            .iter()
            .any(|key| schema.get(*key).is_some())
    });
    assert!(
        !paths.is_empty(),
        "no response field of the spec has a constraint any more: nothing to check here"
    );
    for path in &paths {
        let sent = page(vec![row_with(path, "")], None);
        let decoded = decode::<PaginatedScheduledCallList>(&serde_json::to_vec(&sent).unwrap())
            .unwrap_or_else(|err| panic!("{path:?}: a constraint rejected a response: {err}"));
        let differences = json_differences(
            &without_optional_nulls(sent),
            &serde_json::to_value(&decoded).unwrap(),
        );
        assert!(differences.is_empty(), "{}", differences.join("\n"));
    }
}

/// Issue 14, as smithy-rs designs open enums: a known value is always its
/// named variant, however it was made; equality, hashing and ordering
/// follow the wire string; `Display` honours width and alignment.
#[test]
fn open_enums_compare_by_their_wire_value() {
    use std::collections::HashSet;
    use std::hash::{BuildHasher, RandomState};

    let hasher = RandomState::new();
    for (value, variant) in spec::statuses().into_iter().zip(ScheduledCallStatus::KNOWN) {
        let made = ScheduledCallStatus::from_api_value(value);
        let decoded: ScheduledCallStatus = serde_json::from_value(json!(value)).unwrap();
        for other in [&made, &decoded] {
            assert_eq!(*other, variant);
            assert_eq!(hasher.hash_one(other), hasher.hash_one(&variant));
        }
        // A variant is made for a known value, never `Unknown`: its debug
        // form is the variant's name, not the value.
        assert!(!format!("{made:?}").contains("Unknown"), "{made:?}");
        assert_eq!(format!("{variant:>12}"), format!("{value:>12}"));
        assert_eq!(format!("{variant:-<12}"), format!("{value:-<12}"));
    }
    let unknown = ScheduledCallStatus::from_api_value("NOT_YET_NAMED");
    assert_eq!(unknown.as_str(), "NOT_YET_NAMED");
    assert_eq!(format!("[{unknown:^17}]"), "[  NOT_YET_NAMED  ]");
    let set: HashSet<ScheduledCallStatus> = ScheduledCallStatus::KNOWN
        .into_iter()
        .chain([unknown.clone()])
        .collect();
    assert!(set.contains(&ScheduledCallStatus::from_api_value("NOT_YET_NAMED")));
    let mut sorted: Vec<ScheduledCallStatus> = set.into_iter().collect();
    sorted.sort();
    let wire: Vec<&str> = sorted.iter().map(ScheduledCallStatus::as_str).collect();
    let mut expected = wire.clone();
    expected.sort_unstable();
    assert_eq!(wire, expected, "ordering follows the wire string");
}
