//! Webhook verification against signatures OpenSSL made
//! (`tests/webhooks/make-vectors.sh`), each rejection, and the example
//! receiving endpoint (`generated-client/examples/webhooks.rs`) served on
//! 127.0.0.1.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use ultravox_client::webhooks::{
    DEFAULT_CLOCK_SKEW, DEFAULT_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier,
    VerifyError, verify,
};

#[allow(dead_code)] // its `main` belongs to the example binary
#[path = "../../../generated-client/examples/webhooks.rs"]
mod example;

/// One line of `tests/webhooks/vectors.tsv`.
struct Vector {
    name: String,
    secret: String,
    timestamp: String,
    body: Vec<u8>,
    signature: String,
}

impl Vector {
    fn sent_at(&self) -> SystemTime {
        let text = &self.timestamp;
        let sent = DateTime::parse_from_rfc3339(text)
            .map(|sent| sent.with_timezone(&Utc))
            .unwrap_or_else(|_| format!("{text}Z").parse().unwrap());
        sent.into()
    }

    fn headers(&self, signatures: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            TIMESTAMP_HEADER,
            HeaderValue::from_str(&self.timestamp).unwrap(),
        );
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signatures).unwrap());
        headers
    }
}

fn vectors() -> Vec<Vector> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("webhooks");
    let table = std::fs::read_to_string(dir.join("vectors.tsv")).unwrap();
    table
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, secret, timestamp, body, signature] = fields[..] else {
                panic!("vectors.tsv: {line:?} has not five fields");
            };
            Vector {
                name: name.to_owned(),
                secret: secret.to_owned(),
                timestamp: timestamp.to_owned(),
                body: std::fs::read(dir.join(body)).unwrap(),
                signature: signature.to_owned(),
            }
        })
        .collect()
}

fn vector(name: &str) -> Vector {
    vectors().into_iter().find(|v| v.name == name).unwrap()
}

#[test]
fn every_vector_verifies_with_its_secret_in_either_case() {
    let vectors = vectors();
    assert!(vectors.len() >= 3);
    for v in &vectors {
        let now = v.sent_at() + Duration::from_secs(1);
        for signature in [v.signature.clone(), v.signature.to_uppercase()] {
            let verified = verify([&v.secret], &v.headers(&signature), &v.body, now)
                .unwrap_or_else(|err| panic!("{}: {err}", v.name));
            assert_eq!(verified.body(), v.body.as_slice());
            assert_eq!(
                SystemTime::from(verified.timestamp()),
                v.sent_at(),
                "{}",
                v.name
            );
        }
    }
}

#[test]
fn any_secret_and_any_signature_of_several_may_match() {
    let v = vector("rotated");
    let now = v.sent_at();
    let other = "0".repeat(64);
    let signatures = format!("{other}, {}", v.signature);
    let verifier = Verifier::new(["old-secret", v.secret.as_str()]);
    assert!(
        verifier
            .verify(&v.headers(&signatures), &v.body, now)
            .is_ok()
    );
    assert_eq!(
        Verifier::new(["old-secret"])
            .verify(&v.headers(&signatures), &v.body, now)
            .unwrap_err(),
        VerifyError::NoSignatureMatched
    );
}

#[test]
fn a_body_or_timestamp_changed_after_signing_is_refused() {
    let v = vector("call-started");
    let now = v.sent_at();
    let mut body = v.body.clone();
    body[10] ^= 1;
    assert_eq!(
        verify([&v.secret], &v.headers(&v.signature), &body, now).unwrap_err(),
        VerifyError::NoSignatureMatched
    );
    let mut headers = v.headers(&v.signature);
    headers.insert(
        TIMESTAMP_HEADER,
        HeaderValue::from_static("2026-12-04T18:00:01.123456Z"),
    );
    assert_eq!(
        verify([&v.secret], &headers, &v.body, now).unwrap_err(),
        VerifyError::NoSignatureMatched
    );
    assert_eq!(
        verify(["another secret"], &v.headers(&v.signature), &v.body, now).unwrap_err(),
        VerifyError::NoSignatureMatched
    );
}

#[test]
fn old_and_future_timestamps_are_refused_within_settable_bounds() {
    let v = vector("call-started");
    let headers = v.headers(&v.signature);
    let sent = v.sent_at();
    let at = |now| verify([&v.secret], &headers, &v.body, now);
    assert!(at(sent + DEFAULT_TOLERANCE).is_ok());
    assert_eq!(
        at(sent + DEFAULT_TOLERANCE + Duration::from_secs(1)).unwrap_err(),
        VerifyError::Stale {
            age: DEFAULT_TOLERANCE + Duration::from_secs(1)
        }
    );
    assert!(at(sent - DEFAULT_CLOCK_SKEW).is_ok());
    assert_eq!(
        at(sent - DEFAULT_CLOCK_SKEW - Duration::from_secs(1)).unwrap_err(),
        VerifyError::FromTheFuture {
            ahead: DEFAULT_CLOCK_SKEW + Duration::from_secs(1)
        }
    );
    let strict = Verifier::new([&v.secret])
        .tolerance(Duration::from_secs(5))
        .clock_skew(Duration::ZERO);
    assert!(matches!(
        strict.verify(&headers, &v.body, sent + Duration::from_secs(6)),
        Err(VerifyError::Stale { .. })
    ));
    assert!(matches!(
        strict.verify(&headers, &v.body, sent - Duration::from_secs(1)),
        Err(VerifyError::FromTheFuture { .. })
    ));
}

#[test]
fn missing_and_malformed_headers_are_named() {
    let v = vector("call-started");
    let now = v.sent_at();
    let check = |headers: &HeaderMap| verify([&v.secret], headers, &v.body, now).unwrap_err();
    let (timestamp, signature) = (TIMESTAMP_HEADER, SIGNATURE_HEADER);

    let mut headers = v.headers(&v.signature);
    headers.remove(TIMESTAMP_HEADER);
    assert_eq!(
        check(&headers),
        VerifyError::Missing {
            header: timestamp.clone()
        }
    );
    let mut headers = v.headers(&v.signature);
    headers.remove(SIGNATURE_HEADER);
    assert_eq!(
        check(&headers),
        VerifyError::Missing {
            header: signature.clone()
        }
    );

    for bad in ["yesterday", "1733335200", ""] {
        let mut headers = v.headers(&v.signature);
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(bad).unwrap());
        assert_eq!(
            check(&headers),
            VerifyError::Malformed {
                header: timestamp.clone()
            },
            "{bad:?}"
        );
    }
    let short = &v.signature[..63];
    let not_hex = format!("{}zz", &v.signature[..62]);
    let trailing = format!("{},", v.signature);
    for bad in [short, &not_hex, "", &trailing] {
        assert_eq!(
            check(&v.headers(bad)),
            VerifyError::Malformed {
                header: signature.clone()
            },
            "{bad:?}"
        );
    }
    let mut twice = v.headers(&v.signature);
    twice.append(
        TIMESTAMP_HEADER,
        HeaderValue::from_str(&v.timestamp).unwrap(),
    );
    assert_eq!(check(&twice), VerifyError::Malformed { header: timestamp });
    assert_eq!(
        Verifier::new(Vec::<String>::new())
            .verify(&v.headers(&v.signature), &v.body, now)
            .unwrap_err(),
        VerifyError::NoSecrets
    );
}

#[test]
fn no_message_shows_a_secret_or_a_signature() {
    let v = vector("call-started");
    let verifier = Verifier::new([&v.secret]);
    let shown = format!("{verifier:?}");
    assert!(!shown.contains(&v.secret), "{shown}");
    let errors = [
        verifier.verify(&v.headers(&v.signature), b"changed", v.sent_at()),
        verifier.verify(&v.headers("00"), &v.body, v.sent_at()),
        verifier.verify(
            &v.headers(&v.signature),
            &v.body,
            v.sent_at() + Duration::from_secs(600),
        ),
    ];
    for err in errors {
        let err = err.unwrap_err();
        for text in [format!("{err}"), format!("{err:?}")] {
            assert!(
                !text.contains(&v.secret) && !text.contains(&v.signature[..16]),
                "{text}"
            );
        }
    }
}

#[test]
fn a_verified_body_decodes_as_raw_json_or_fails_with_its_path() {
    let v = vector("call-created-naive");
    let verified = verify([&v.secret], &v.headers(&v.signature), &v.body, v.sent_at()).unwrap();
    let raw: serde_json::Value = verified.decode().unwrap();
    assert_eq!(
        raw,
        serde_json::from_slice::<serde_json::Value>(&v.body).unwrap()
    );
    let err = verified.decode::<Vec<u8>>().unwrap_err();
    assert!(err.to_string().contains("cannot decode"), "{err}");
}

#[tokio::test]
async fn the_example_endpoint_accepts_signed_requests_and_refuses_the_rest() {
    let v = vector("call-started");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ultravox", listener.local_addr().unwrap());
    let verifier = Verifier::new([&v.secret]).tolerance(Duration::from_secs(365 * 24 * 3600 * 100));
    let (received, mut events) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(example::serve(listener, verifier, received));

    let client = reqwest::Client::new();
    let send = |signature: &str, body: Vec<u8>| {
        client
            .post(&url)
            .header(TIMESTAMP_HEADER, &v.timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
    };
    let accepted = send(&v.signature, v.body.clone()).await.unwrap();
    assert_eq!(accepted.status(), 204);
    let event = events.recv().await.unwrap();
    assert_eq!(
        event,
        serde_json::from_slice::<serde_json::Value>(&v.body).unwrap()
    );

    let mut changed = v.body.clone();
    changed[12] ^= 1;
    let refused = send(&v.signature, changed).await.unwrap();
    assert_eq!(refused.status(), 401);
    let refused = send("not-hex", v.body.clone()).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(
        events.try_recv().is_err(),
        "a refused request reached the handler"
    );
    server.abort();
}

/// An account webhook's body decodes into the generated `AccountWebhookEvent`:
/// every event the spec's enum names, each with the spec's `Call`, and an
/// event this version does not know kept as sent.
#[test]
fn account_events_decode_typed_from_a_verified_body() {
    use hmac::Mac;
    use support::operation_checks::sample_json;
    use ultravox_client::types::{AccountWebhookEvent, Call, Events};

    let schema = support::spec::schema("AccountWebhookEvent");
    let events_enum = support::spec::resolve(&schema["properties"]["event"]);
    let mut events: Vec<&str> = events_enum["enum"]
        .as_array()
        .expect("the event is an enum")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(!events.is_empty());
    events.push("call.transferred-in-a-later-release");
    let call = sample_json::<Call>();
    let secret = "account-webhook-secret";
    let timestamp = "2026-12-04T18:00:00Z";
    let now: SystemTime = timestamp.parse::<DateTime<Utc>>().unwrap().into();
    for event in events {
        let body =
            serde_json::to_vec(&serde_json::json!({ "event": event, "call": call })).unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&body);
        mac.update(timestamp.as_bytes());
        let signature: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_static(timestamp));
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());

        let verified = verify([secret], &headers, &body, now).unwrap();
        let decoded: AccountWebhookEvent = verified.decode().unwrap();
        assert_eq!(decoded.event.as_str(), event);
        assert_eq!(decoded.event, Events::from_api_value(event));
        assert_eq!(
            decoded.call,
            serde_json::from_value::<Call>(call.clone()).unwrap()
        );
    }
}
