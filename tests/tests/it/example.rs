//! The response example embedded in the spec, pinned against the generated types.

use serde_json::Value;
use support::json::{decode, json_differences, snapshot_settings};
use support::spec::{response_example, schema_violations};
use ultravox_client::types::PaginatedScheduledCallList;

const DESCRIPTION: &str = "200 response example of GET /api/agents/{agent_id}/scheduled_batches/{batch_id}/scheduled_calls in openapi/ultravox.json";

fn example_page() -> PaginatedScheduledCallList {
    decode(&response_example())
        .unwrap_or_else(|err| panic!("the spec's example does not decode {err}"))
}

#[test]
fn example_is_valid_against_the_spec_schema() {
    let violations = schema_violations(&response_example());
    assert!(
        violations.is_empty(),
        "example violates the spec: {violations:#?}"
    );
}

#[test]
fn example_decodes_into_generated_types() {
    let _settings = snapshot_settings(DESCRIPTION);
    insta::assert_yaml_snapshot!("example_page", example_page());
}

#[test]
fn example_keeps_next_byte_for_byte() {
    // `format: uri` stays a String: a URL type would re-encode the trailing `"`.
    let page = example_page();
    assert_eq!(page.next.as_deref(), response_example()["next"].as_str());
    assert!(page.next.unwrap().ends_with("%3D\""));
}

#[test]
fn example_round_trips() {
    let example = response_example();
    let reencoded = serde_json::to_value(example_page()).expect("the page serializes");

    // Intended difference: an empty `additionalParams` map is optional and
    // dropped on output; it carries no information.
    let mut expected = example.clone();
    for medium in ["twilio", "telnyx", "plivo"] {
        let outgoing = expected
            .pointer_mut(&format!("/results/0/medium/{medium}/outgoing"))
            .and_then(Value::as_object_mut)
            .expect("the example has every outgoing medium");
        assert_eq!(
            outgoing.remove("additionalParams"),
            Some(serde_json::json!({}))
        );
    }

    let differences = json_differences(&expected, &reencoded);
    assert!(
        differences.is_empty(),
        "round trip changed the example:\n{}",
        differences.join("\n")
    );
}

#[test]
fn json_schema_of_response_type() {
    // Pins field names, types and optionality where the example does not
    // reach: a field added to the spec shows up here after regeneration.
    let schema = schemars::schema_for!(PaginatedScheduledCallList);
    let _settings = snapshot_settings(
        "JSON Schema that schemars derives for the generated PaginatedScheduledCallList",
    );
    insta::assert_json_snapshot!("response_json_schema", schema);
}
