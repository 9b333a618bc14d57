//! Builders without ceremony: a parent's setter takes the child's builder,
//! string setters take `&str`, the create and PATCH bodies share their
//! types, and building checks what the spec asks of what is sent.

use support::operation_checks::sample;
use support::spec;
use ultravox_client::Operation;
use ultravox_client::operations::{CreateBatch, UpdateBatch};
use ultravox_client::types::{
    Call, CallMedium, CallSipDetails, PatchedScheduledCallBatchRequest, ScheduledCallBatchRequest,
    ScheduledCallRequest, TwilioMedium, TwilioMediumOutgoingRequestParams, WebhookSecret,
    WebhookUrl,
};

/// The property `name` of the schema a request body of `operation_id` uses.
fn body_property(operation_id: &str, name: &str) -> &'static serde_json::Value {
    let body = spec::resolve(spec::request_body_schema_of(operation_id));
    let property = &body["properties"][name];
    assert!(!property.is_null(), "no `{name}` in {operation_id}'s body");
    property
}

/// Children's builders go straight into their parents, at every level,
/// and strings are `&str`: the JSON is what `.build()` at each level makes.
#[test]
fn a_parent_takes_its_childs_builder_and_strings_as_str() {
    let url = "https://example.com/ultravox";
    let by_builders = ScheduledCallBatchRequest::builder()
        .calls(vec![
            ScheduledCallRequest::builder().medium(
                CallMedium::builder().twilio(
                    TwilioMedium::builder()
                        .outgoing(TwilioMediumOutgoingRequestParams::builder().to("+15550100")),
                ),
            ),
        ])
        .webhook_url(url)
        .webhook_secret("s3cret")
        .throttle("nightly")
        .build()
        .unwrap();

    let outgoing = TwilioMediumOutgoingRequestParams::builder()
        .to(Some("+15550100".to_string()))
        .build()
        .unwrap();
    let twilio = TwilioMedium::builder()
        .outgoing(Some(outgoing))
        .build()
        .unwrap();
    let medium = CallMedium::builder().twilio(Some(twilio)).build().unwrap();
    let call = ScheduledCallRequest::builder()
        .medium(Some(medium))
        .build()
        .unwrap();
    let by_values = ScheduledCallBatchRequest::builder()
        .calls(vec![call])
        .webhook_url(Some(url.parse::<WebhookUrl>().unwrap()))
        .webhook_secret(Some("s3cret".parse::<WebhookSecret>().unwrap()))
        .throttle(Some("nightly".to_string()))
        .build()
        .unwrap();
    assert_eq!(by_builders, by_values);
    let json = serde_json::to_value(&by_builders).unwrap();
    assert_eq!(
        json["calls"][0]["medium"]["twilio"]["outgoing"]["to"],
        "+15550100"
    );
    assert_eq!(json["webhookUrl"], url);
}

/// An error inside a child surfaces from the outer `build()` with the
/// field's path.
#[test]
fn an_error_deep_inside_names_its_path() {
    // A response's `Call`, complete but for its SIP details' required field.
    let call: Call = sample();
    let err = ultravox_client::types::builder::Call::from(call)
        .sip_details(CallSipDetails::builder())
        .build()
        .unwrap_err();
    let expected: Vec<String> = spec::schema("CallSipDetails")["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| {
            let field = heck_snake(name.as_str().unwrap());
            format!("sip_details.{field}: no value supplied")
        })
        .collect();
    assert_eq!(err.to_string(), expected.join("; "));
    assert_eq!(err_fields(&err), expected.len());

    // An invalid value deep inside: a secret longer than the spec allows.
    let max = body_property(CreateBatch::OPERATION_ID, "webhookSecret")["maxLength"]
        .as_u64()
        .unwrap() as usize;
    let err = ScheduledCallBatchRequest::builder()
        .calls(vec![ScheduledCallRequest::builder()])
        .webhook_secret("x".repeat(max + 1).as_str())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("webhook_secret: "), "{err}");
    assert!(err.contains(&max.to_string()), "{err}");
}

/// How many fields a build error names.
fn err_fields(err: &impl std::fmt::Display) -> usize {
    err.to_string().split("; ").count()
}

/// `build()` names every required field left unset, not only the first:
/// a `Call` for a mock has many.
#[test]
fn build_names_every_missing_required_field() {
    let required: Vec<String> = spec::schema("Call")["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| heck_snake(name.as_str().unwrap()))
        .collect();
    assert!(required.len() > 10, "{required:?}");
    let err = Call::builder().build().unwrap_err().to_string();
    for field in &required {
        assert!(
            err.contains(&format!("{field}: no value supplied")),
            "{field} is not named: {err}"
        );
    }
    assert_eq!(err_fields(&err), required.len(), "{err}");
}

/// `camelCase` → `snake_case`, as the generated field names are.
fn heck_snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `format: uri` is checked when a request is built: a relative or
/// malformed URL fails `build()` naming the field; an absolute one passes.
#[test]
fn a_uri_field_refuses_what_is_not_an_absolute_uri() {
    assert_eq!(
        body_property(CreateBatch::OPERATION_ID, "webhookUrl")["format"],
        "uri"
    );
    for bad in ["not a url", "/relative/path", "example.com/hook"] {
        let err = ScheduledCallBatchRequest::builder()
            .calls(vec![ScheduledCallRequest::builder()])
            .webhook_url(bad)
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("webhook_url: not an absolute URI"),
            "{bad}: {err}"
        );
        let err = PatchedScheduledCallBatchRequest::builder()
            .webhook_url(bad)
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("webhook_url: not an absolute URI"),
            "{bad}: {err}"
        );
    }
    PatchedScheduledCallBatchRequest::builder()
        .webhook_url("https://example.com/hook?x=1")
        .build()
        .unwrap();
}

/// `minItems` of `calls` is checked at build; an empty PATCH list is
/// "not sent", as the generated type serializes it.
#[test]
fn a_list_shorter_than_min_items_fails_build() {
    let min = body_property(CreateBatch::OPERATION_ID, "calls")["minItems"]
        .as_u64()
        .unwrap() as usize;
    assert!(min >= 1);
    let err = ScheduledCallBatchRequest::builder()
        .calls(vec![ScheduledCallRequest::builder(); min - 1])
        .build()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!("calls: {} item(s), at least {min} required", min - 1)
    );
    ScheduledCallBatchRequest::builder()
        .calls(vec![ScheduledCallRequest::builder(); min])
        .build()
        .unwrap();
    let untouched = PatchedScheduledCallBatchRequest::builder().build().unwrap();
    assert!(
        serde_json::to_value(&untouched)
            .unwrap()
            .get("calls")
            .is_none()
    );
}

/// The create and PATCH bodies hold the same value in one type: a secret
/// parsed once goes into both.
#[test]
fn create_and_patch_share_their_value_types() {
    for operation_id in [CreateBatch::OPERATION_ID, UpdateBatch::OPERATION_ID] {
        assert!(
            !body_property(operation_id, "webhookSecret").is_null(),
            "{operation_id}"
        );
    }
    let secret: WebhookSecret = "rotated-secret".parse().unwrap();
    let url: WebhookUrl = "https://example.com/hook".parse().unwrap();
    let create = ScheduledCallBatchRequest::builder()
        .calls(vec![ScheduledCallRequest::builder()])
        .webhook_secret(secret.clone())
        .webhook_url(url.clone())
        .build()
        .unwrap();
    let patch = PatchedScheduledCallBatchRequest::builder()
        .webhook_secret(secret.clone())
        .webhook_url(url)
        .build()
        .unwrap();
    assert_eq!(create.webhook_secret, Some(secret.clone()));
    assert_eq!(patch.webhook_secret, Some(Some(secret)));
}

/// A `format: uri` newtype parsed on its own checks what `build()` checks.
#[test]
fn a_uri_newtype_parsed_alone_is_an_absolute_uri() {
    use ultravox_client::types::WebhookUrl;
    let err = "/relative/path"
        .parse::<WebhookUrl>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an absolute URI"), "{err}");
    assert!(WebhookUrl::try_from("hooks.example.com").is_err());
    let url: WebhookUrl = "https://hooks.example.com/ultravox".parse().unwrap();
    assert_eq!(url.as_str(), "https://hooks.example.com/ultravox");
}

/// Names an earlier release generated still compile, deprecated, naming
/// the new type: upgrading does not break a program that uses them.
#[test]
#[allow(deprecated)]
fn renamed_types_keep_their_old_names() {
    use ultravox_client::types::{
        PatchedScheduledCallBatchRequestWebhookSecret, ScheduledCallBatchRequestWebhookSecret,
        ScheduledCallBatchRequestWebhookUrl, WebhookSecret, WebhookUrl,
    };
    let secret: ScheduledCallBatchRequestWebhookSecret = "s3cret".parse().unwrap();
    let same: WebhookSecret = secret.clone();
    let patched: PatchedScheduledCallBatchRequestWebhookSecret = same;
    assert_eq!(patched, secret);
    let url: ScheduledCallBatchRequestWebhookUrl = "https://hooks.example.com/x".parse().unwrap();
    let _: WebhookUrl = url;
}
