//! Every page in `tests/fixtures/`: valid per the spec, decoded into the
//! generated types, and re-encoded without loss; together they show every
//! status and every medium the spec lists.

use std::collections::BTreeSet;

use support::json::{decode, json_differences, without_optional_nulls};
use support::samples::{fixtures, medium_samples};
use support::spec::{schema_violations, statuses};
use ultravox_client::types::PaginatedScheduledCallList;

#[test]
fn fixtures_are_valid_against_the_spec_schema() {
    for (name, page) in fixtures() {
        let violations = schema_violations(&page);
        assert!(
            violations.is_empty(),
            "{name} violates the spec: {violations:#?}"
        );
    }
}

#[test]
fn fixtures_round_trip_through_the_generated_types() {
    for (name, original) in fixtures() {
        let page: PaginatedScheduledCallList =
            decode(&original).unwrap_or_else(|err| panic!("{name} does not decode {err}"));
        let reencoded = serde_json::to_value(&page).unwrap();
        // The one intended difference: optional fields sent as `null` come back absent.
        let differences = json_differences(&without_optional_nulls(original), &reencoded);
        assert!(
            differences.is_empty(),
            "{name} changed in a round trip:\n{}",
            differences.join("\n")
        );
    }
}

#[test]
fn every_status_and_medium_of_the_spec_has_a_fixture() {
    let shown: BTreeSet<String> = fixtures()
        .values()
        .filter_map(|page| page["results"].as_array())
        .flatten()
        .filter_map(|row| row["status"].as_str().map(str::to_owned))
        .collect();
    for status in statuses() {
        assert!(
            shown.contains(status),
            "no fixture in tests/fixtures/ has a `{status}` row; add one"
        );
    }
    // Panics naming the medium that has no fixture.
    assert!(!medium_samples().is_empty());
}
