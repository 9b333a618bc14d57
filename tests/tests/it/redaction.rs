//! Secrets stay out of logs: the generated types' `Debug` redacts every
//! property the spec marks `writeOnly` or the overlay marks `x-sensitive`,
//! and their JSON is unchanged.

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::operation_checks::{request_body, sample_json};
use support::spec;
use ultravox_client::Operation;
use ultravox_client::operations::{CreateBatch, UpdateBatch};
use ultravox_client::types::{
    PatchedScheduledCallBatchRequest, ScheduledCallBatch, ScheduledCallBatchRequest, SipOutgoing,
};

const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// Gives every string under a sensitive property a value of its own
/// (`secret-0`, `secret-1`, …) that appears nowhere else; returns them.
fn mark_secrets(value: &mut Value, sensitive: &BTreeSet<&str>, marks: &mut Vec<String>) {
    fn mark_all(value: &mut Value, marks: &mut Vec<String>) {
        match value {
            Value::String(text) => {
                *text = format!("secret-{}", marks.len());
                marks.push(text.clone());
            }
            Value::Array(items) => items.iter_mut().for_each(|item| mark_all(item, marks)),
            Value::Object(members) => members.values_mut().for_each(|item| mark_all(item, marks)),
            _ => {}
        }
    }
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if sensitive.contains(key.as_str()) {
                    mark_all(member, marks);
                } else {
                    mark_secrets(member, sensitive, marks);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| mark_secrets(item, sensitive, marks)),
        _ => {}
    }
}

/// `json` with its secrets marked, decoded as `T`: its `Debug` shows no
/// secret, and it encodes back to the same JSON.
fn assert_redacted<T: DeserializeOwned + Serialize + std::fmt::Debug>(mut json: Value) -> usize {
    let mut marks = Vec::new();
    mark_secrets(&mut json, &spec::sensitive_property_names(), &mut marks);
    let value: T = serde_json::from_value(json.clone()).unwrap();
    let shown = format!("{value:?} {value:#?}");
    for mark in &marks {
        assert!(!shown.contains(mark.as_str()), "{mark} shown in {shown}");
    }
    if !marks.is_empty() {
        assert!(shown.contains(REDACTED), "{shown}");
    }
    assert_eq!(serde_json::to_value(&value).unwrap(), json, "JSON changed");
    marks.len()
}

#[test]
fn a_create_request_shows_neither_its_webhook_secret_nor_a_sip_password() {
    let mut body = serde_json::to_value(request_body::<ScheduledCallBatchRequest>(
        CreateBatch::OPERATION_ID,
    ))
    .unwrap();
    let marked = assert_redacted::<ScheduledCallBatchRequest>(body.clone());
    assert!(marked >= 2, "the sample holds no secret to hide: {body}");
    // Its builder too.
    let mut marks = Vec::new();
    mark_secrets(&mut body, &spec::sensitive_property_names(), &mut marks);
    let request: ScheduledCallBatchRequest = serde_json::from_value(body).unwrap();
    let builder = ultravox_client::types::builder::ScheduledCallBatchRequest::from(request);
    let shown = format!("{builder:?}");
    assert!(
        marks.iter().all(|mark| !shown.contains(mark.as_str())),
        "{shown}"
    );
}

#[test]
fn a_batch_a_patch_and_a_sip_leg_show_no_secret() {
    assert!(assert_redacted::<ScheduledCallBatch>(sample_json::<ScheduledCallBatch>()) >= 1);
    let patch = serde_json::to_value(request_body::<PatchedScheduledCallBatchRequest>(
        UpdateBatch::OPERATION_ID,
    ))
    .unwrap();
    assert!(assert_redacted::<PatchedScheduledCallBatchRequest>(patch) >= 1);
    assert!(assert_redacted::<SipOutgoing>(sample_json::<SipOutgoing>()) >= 1);
}
