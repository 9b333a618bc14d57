//! Property tests of page decoding. Cases: proptest's default (256), or set
//! `PROPTEST_CASES=10000` to run longer locally.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value, json};
use tests::{json_differences, schema_violations, without_optional_nulls};
use ultravox_client::{Error, decode_page};

const STATUSES: [&str; 5] = ["FUTURE", "PENDING", "SUCCESS", "EXPIRED", "ERROR"];
const MEDIA: [&str; 7] = [
    "webRtc",
    "twilio",
    "serverWebSocket",
    "telnyx",
    "plivo",
    "exotel",
    "sip",
];

/// Strings that stress the decoder: ASCII, unicode outside the BMP, escapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _+=/-]{0,12}",
        "[\u{1F600}-\u{1F64F}\u{10000}-\u{10FFFF}\u{0}-\u{7F}]{0,6}",
        Just("\"\\\n\u{0}".to_owned()),
    ]
}

fn uuid_string() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|bits| {
        uuid::Builder::from_random_bytes(bits.to_le_bytes())
            .into_uuid()
            .to_string()
    })
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN/inf", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a field might hold in a hostile response: right, wrong or null.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any_json(),
        1 => uuid_string().prop_map(Value::from),
        1 => prop::sample::select(&STATUSES[..]).prop_map(Value::from),
        1 => text().prop_map(Value::from), // unknown enum strings
        1 => medium().prop_map(|(_, m)| m),
    ]
}

/// An object built from `keys` (each kept or dropped) plus unknown keys.
fn object_of(
    keys: &'static [&'static str],
    value: BoxedStrategy<Value>,
) -> impl Strategy<Value = Value> {
    let known = prop::collection::vec(prop::option::of(value.clone()), keys.len());
    let extra = prop::collection::btree_map("[a-z]{1,8}", value, 0..3);
    (known, extra).prop_map(move |(known, extra)| {
        let mut map: Map<String, Value> = extra.into_iter().collect();
        for (key, value) in keys.iter().zip(known) {
            if let Some(value) = value {
                map.insert((*key).to_owned(), value);
            }
        }
        Value::Object(map)
    })
}

/// Page-shaped JSON with random nulls, missing keys, wrong types and extras.
fn page_shaped() -> impl Strategy<Value = Value> {
    const ROW_KEYS: &[&str] = &[
        "status",
        "batchId",
        "callId",
        "error",
        "medium",
        "metadata",
        "templateContext",
        "experimentalSettings",
    ];
    const PAGE_KEYS: &[&str] = &["next", "previous", "total"];
    let row = object_of(ROW_KEYS, field_value().boxed());
    let rows = prop_oneof![4 => prop::collection::vec(row, 0..4).prop_map(Value::Array), 1 => field_value()];
    (
        object_of(PAGE_KEYS, field_value().boxed()),
        prop::option::weighted(0.9, rows),
    )
        .prop_map(|(mut page, rows)| {
            if let (Value::Object(map), Some(rows)) = (&mut page, rows) {
                map.insert("results".into(), rows);
            }
            page
        })
}

fn outgoing(keys: &'static [&'static str]) -> BoxedStrategy<Value> {
    let strings = prop::collection::vec(prop::option::of(text()), keys.len());
    let params = prop::option::of(prop::collection::btree_map(
        "[a-zA-Z]{1,8}",
        any_json(),
        1..3,
    ));
    (strings, params)
        .prop_map(move |(strings, params)| {
            let mut map = Map::new();
            for (key, value) in keys.iter().zip(strings) {
                if let Some(value) = value {
                    map.insert((*key).to_owned(), value.into());
                }
            }
            if let Some(params) =
                params.filter(|_| keys.contains(&"to") && !keys.contains(&"username"))
            {
                map.insert(
                    "additionalParams".into(),
                    Value::Object(params.into_iter().collect()),
                );
            }
            Value::Object(map)
        })
        .boxed()
}

/// One call medium, valid per the spec: (name, `{name: settings}`).
fn medium() -> impl Strategy<Value = (&'static str, Value)> {
    let phone = outgoing(&["to", "from"]);
    let sip_out = outgoing(&["to", "from", "username", "password"]);
    let rate = prop::option::of(any::<i32>());
    prop_oneof![
        Just(("webRtc", json!({}))),
        Just(("exotel", json!({}))),
        phone
            .clone()
            .prop_map(|o| ("twilio", json!({ "outgoing": o }))),
        phone
            .clone()
            .prop_map(|o| ("telnyx", json!({ "outgoing": o }))),
        phone.prop_map(|o| ("plivo", json!({ "outgoing": o }))),
        (rate.clone(), rate.clone(), rate).prop_map(|(i, o, b)| {
            let mut ws = Map::new();
            for (key, value) in [
                ("inputSampleRate", i),
                ("outputSampleRate", o),
                ("clientBufferSizeMs", b),
            ] {
                if let Some(value) = value {
                    ws.insert(key.into(), value.into());
                }
            }
            (
                "serverWebSocket",
                json!({ "serverWebSocket": ws })["serverWebSocket"].clone(),
            )
        }),
        prop_oneof![
            Just(json!({ "incoming": {} })),
            sip_out.prop_map(|o| json!({ "outgoing": o }))
        ]
        .prop_map(|s| ("sip", s)),
    ]
    .prop_map(|(name, settings)| (name, json!({ name: settings })))
}

/// A row that follows the spec's schema.
fn valid_row() -> impl Strategy<Value = Value> {
    let string_map = prop::collection::btree_map("[a-zA-Z]{1,8}", text(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect()));
    (
        prop::sample::select(&STATUSES[..]),
        uuid_string(),
        prop::option::of(uuid_string()),
        prop::option::of(text()),
        prop::option::of(prop::option::of(medium().prop_map(|(_, m)| m))),
        prop::option::of(prop::option::of(string_map)),
        prop::option::of(any_json()),
        prop::option::of(any_json()),
    )
        .prop_map(
            |(status, batch, call, error, medium, metadata, context, settings)| {
                let mut row =
                    json!({ "status": status, "batchId": batch, "callId": call, "error": error });
                let row_map = row.as_object_mut().unwrap();
                // Outer None: key absent; inner None: explicit null.
                for (key, value) in [
                    ("medium", medium.map(|m| m.unwrap_or(Value::Null))),
                    ("metadata", metadata.map(|m| m.unwrap_or(Value::Null))),
                    ("templateContext", context),
                    ("experimentalSettings", settings),
                ] {
                    if let Some(value) = value {
                        row_map.insert(key.into(), value);
                    }
                }
                row
            },
        )
}

/// A page that follows the spec's schema.
fn valid_page() -> impl Strategy<Value = Value> {
    let link = prop::option::of(prop::option::of(
        "[a-z0-9]{1,10}".prop_map(|c| format!("https://api.ultravox.ai/api/x/?cursor={c}")),
    ));
    (
        prop::collection::vec(valid_row(), 0..5),
        link.clone(),
        link,
        prop::option::of(0i64..1_000_000),
    )
        .prop_map(|(rows, next, previous, total)| {
            let mut page = json!({ "results": rows });
            let map = page.as_object_mut().unwrap();
            for (key, value) in [("next", next), ("previous", previous)] {
                if let Some(value) = value {
                    map.insert(key.into(), value.map_or(Value::Null, Value::from));
                }
            }
            if let Some(total) = total {
                map.insert("total".into(), total.into());
            }
            page
        })
}

proptest! {
    #[test]
    fn page_shaped_json_never_panics_and_failures_have_a_key_path(page in page_shaped()) {
        let bytes = serde_json::to_vec(&page).unwrap();
        match decode_page(&bytes) {
            Ok(decoded) => {
                // Whatever decodes must encode again.
                serde_json::to_vec(&decoded).unwrap();
            }
            Err(Error::Decode { path, message, status, .. }) => {
                prop_assert!(!path.is_empty() && !message.is_empty());
                prop_assert_eq!(status.as_u16(), 200);
            }
            Err(other) => prop_assert!(false, "not a decode error: {other}"),
        }
    }

    #[test]
    fn valid_pages_decode_and_reencode_valid(page in valid_page()) {
        let violations = schema_violations(&page);
        prop_assert!(violations.is_empty(), "the generator made an invalid page: {violations:?}");

        let decoded = decode_page(&serde_json::to_vec(&page).unwrap())
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let reencoded = serde_json::to_value(&decoded).unwrap();

        let violations = schema_violations(&reencoded);
        prop_assert!(violations.is_empty(), "re-encoded page is invalid: {violations:?}");
        let differences = json_differences(&without_optional_nulls(page), &reencoded);
        prop_assert!(differences.is_empty(), "round trip changed the page: {differences:?}");
    }
}

#[test]
fn every_medium_is_generated() {
    // Guards the strategy above: a medium it cannot produce is never tested.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..500 {
        seen.insert(medium().new_tree(&mut runner).unwrap().current().0);
    }
    assert_eq!(seen.len(), MEDIA.len(), "{seen:?}");
}
