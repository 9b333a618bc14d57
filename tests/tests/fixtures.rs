//! Every page in `tests/fixtures/`: valid per the spec, decoded into the
//! generated types, snapshotted, and re-encoded without loss.

use std::path::Path;

use tests::{
    decode, json_differences, read_json, schema_violations, snapshot_settings,
    without_optional_nulls,
};
use ultravox_client::types::PaginatedScheduledCallList;

fn fixture_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn fixtures_are_valid_against_the_spec_schema() {
    insta::glob!("../fixtures", "*.json", |path| {
        let violations = schema_violations(&read_json(path));
        assert!(
            violations.is_empty(),
            "{} violates the spec: {violations:#?}",
            fixture_name(path)
        );
    });
}

#[test]
fn fixtures_decode_into_generated_types() {
    insta::glob!("../fixtures", "*.json", |path| {
        let page: PaginatedScheduledCallList = decode(&read_json(path))
            .unwrap_or_else(|err| panic!("{} does not decode {err}", fixture_name(path)));
        let _settings = snapshot_settings(&format!(
            "tests/fixtures/{} decoded as PaginatedScheduledCallList",
            fixture_name(path)
        ));
        insta::assert_yaml_snapshot!(page);
    });
}

#[test]
fn fixtures_round_trip() {
    insta::glob!("../fixtures", "*.json", |path| {
        let original = read_json(path);
        let page: PaginatedScheduledCallList = decode(&original).unwrap();
        let reencoded = serde_json::to_value(&page).unwrap();
        // The one intended difference: optional fields sent as `null` come back absent.
        let differences = json_differences(&without_optional_nulls(original), &reencoded);
        assert!(
            differences.is_empty(),
            "{} changed in a round trip:\n{}",
            fixture_name(path),
            differences.join("\n")
        );
    });
}
