//! Webhook verification against signatures OpenSSL made
//! (`tests/webhooks/make-vectors.sh`), each rejection, and the example
//! receiving endpoint (`generated-client/examples/webhooks.rs`) served on
//! 127.0.0.1.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use ultravox_client::webhooks::{
    DEFAULT_CLOCK_SKEW, DEFAULT_TOLERANCE, MAX_SIGNATURES, ReplayGuard, SIGNATURE_HEADER,
    TIMESTAMP_HEADER, Verifier, VerifyError, verify,
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
    let verifier = Verifier::new(["old-secret", v.secret.as_str()]).unwrap();
    assert!(
        verifier
            .verify(&v.headers(&signatures), &v.body, now)
            .is_ok()
    );
    assert_eq!(
        Verifier::new(["old-secret"])
            .unwrap()
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
        .unwrap()
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
    for bad in [short, &not_hex, "", ",", " , "] {
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
        Verifier::new(Vec::<String>::new()).unwrap_err(),
        VerifyError::NoSecrets
    );
}

#[test]
fn no_message_shows_a_secret_or_a_signature() {
    let v = vector("call-started");
    let verifier = Verifier::new([&v.secret]).unwrap();
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
    let verifier = Verifier::new([&v.secret])
        .unwrap()
        .tolerance(Duration::from_secs(365 * 24 * 3600 * 100));
    let (received, mut events) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(example::serve(
        listener,
        verifier,
        received,
        example::Limits::default(),
    ));

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
        let headers = signed(secret, &body, timestamp);

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

/// A request accepted once is refused the second time, within the
/// tolerance, by every clone of the verifier and from any thread; the guard
/// forgets it once the timestamp is too old anyway, and when full of
/// recent requests it refuses new ones rather than forget one.
#[test]
fn a_replay_guard_accepts_a_request_once() {
    let v = vector("call-started");
    let now = v.sent_at();
    let headers = v.headers(&v.signature);
    let verifier = Verifier::new([&v.secret])
        .unwrap()
        .replay_guard(ReplayGuard::new(2));
    let clone = verifier.clone();
    let accepted: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let verifier = if i % 2 == 0 { &verifier } else { &clone };
                let (headers, body) = (&headers, &v.body);
                scope.spawn(move || verifier.verify(headers, body, now).is_ok())
            })
            .collect();
        threads
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum()
    });
    assert_eq!(accepted, 1, "accepted more than once");
    assert_eq!(
        clone.verify(&headers, &v.body, now).unwrap_err(),
        VerifyError::Replayed
    );

    // Another signed request of the same body at another time is another
    // request; a third fills the guard of two, then it is full.
    let sign = |timestamp: &str| signed(&v.secret, &v.body, timestamp);
    let sent: DateTime<Utc> = now.into();
    let at = |seconds: i64| (sent + chrono::TimeDelta::seconds(seconds)).to_rfc3339();
    verifier.verify(&sign(&at(1)), &v.body, now).unwrap();
    assert_eq!(
        verifier.verify(&sign(&at(2)), &v.body, now).unwrap_err(),
        VerifyError::ReplayGuardFull
    );
    // Past the tolerance, the first two are forgotten: room again, and the
    // memory stays at what the window holds.
    let later = now + DEFAULT_TOLERANCE + Duration::from_secs(2);
    verifier.verify(&sign(&at(62)), &v.body, later).unwrap();
    assert!(
        format!("{verifier:?}").contains("remembered: 1"),
        "{verifier:?}"
    );
}

/// An entry of the signature list that is not a signature (a scheme this
/// version does not know) is skipped; only the first `MAX_SIGNATURES`
/// entries count; an empty secret is refused when the verifier is made.
#[test]
fn signature_lists_skip_what_is_not_a_signature_and_are_capped() {
    let v = vector("call-started");
    let now = v.sent_at();
    let verifier = Verifier::new([&v.secret]).unwrap();
    for list in [
        format!("v2=abc,{}", v.signature),
        format!("{},", v.signature),
        format!("zz, , {}", v.signature),
    ] {
        verifier
            .verify(&v.headers(&list), &v.body, now)
            .unwrap_or_else(|err| panic!("{list}: {err}"));
    }
    let others = vec!["0".repeat(64); MAX_SIGNATURES].join(",");
    let beyond = format!("{others},{}", v.signature);
    assert_eq!(
        verifier
            .verify(&v.headers(&beyond), &v.body, now)
            .unwrap_err(),
        VerifyError::NoSignatureMatched,
        "an entry past the cap was looked at"
    );
    let garbage = vec!["v2=x"; 6_000].join(",");
    assert_eq!(
        verifier
            .verify(&v.headers(&garbage), &v.body, now)
            .unwrap_err(),
        VerifyError::Malformed {
            header: SIGNATURE_HEADER
        }
    );
    assert_eq!(
        Verifier::new([v.secret.as_str(), ""]).unwrap_err(),
        VerifyError::EmptySecret
    );
    assert_eq!(
        verify([""], &v.headers(&v.signature), &v.body, now).unwrap_err(),
        VerifyError::EmptySecret
    );
}

/// The example endpoint under `ulimit -n 40` with room for 128
/// connections: 200 idle connections make `accept` fail for want of file
/// descriptors; the server logs it and goes on, closes the idle ones at
/// the header-read timeout, and serves a signed request after them.
#[test]
fn the_example_endpoint_survives_idle_connections_and_a_low_ulimit() {
    if std::env::var_os("WEBHOOK_ENDPOINT_CHILD").is_some() {
        return endpoint_child();
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 40 && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args([
            "webhooks::the_example_endpoint_survives_idle_connections_and_a_low_ulimit",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WEBHOOK_ENDPOINT_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let address = lines
        .by_ref()
        // libtest writes the test's name on the same line first.
        .find_map(|line| {
            let line = line.ok()?;
            let at = line.find("listening on ")?;
            Some(line[at + "listening on ".len()..].trim().to_owned())
        })
        .expect("the endpoint says where it listens");
    let idle: Vec<std::net::TcpStream> = (0..200)
        .filter_map(|_| std::net::TcpStream::connect(&address).ok())
        .collect();
    assert!(idle.len() >= 100, "only {} connections", idle.len());

    let v = vector("call-started");
    let started = std::time::Instant::now();
    let status = post_raw(&address, &v).expect("the endpoint answers after the idle connections");
    drop(idle);
    assert_eq!(status, 204);
    assert!(started.elapsed() < Duration::from_secs(30));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("accept failed"),
        "accept never failed, so the test proved nothing: {stderr}"
    );
}

/// The status of a signed POST of `v` to `address`, sent as bytes on a
/// blocking socket (this test has no runtime), waiting up to 30 s.
fn post_raw(address: &str, v: &Vector) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let head = format!(
        "POST /ultravox HTTP/1.1\r\nhost: {address}\r\n{TIMESTAMP_HEADER}: {}\r\n\
         {SIGNATURE_HEADER}: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        v.timestamp,
        v.signature,
        v.body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&v.body).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// The endpoint, in the child process the test above starts.
fn endpoint_child() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let v = vector("call-started");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        let verifier = Verifier::new([&v.secret])
            .unwrap()
            .tolerance(Duration::from_secs(365 * 24 * 3600 * 100));
        let (received, _events) = tokio::sync::mpsc::unbounded_channel();
        let limits = example::Limits {
            max_connections: 128,
            header_read_timeout: Duration::from_millis(300),
            accept_backoff: Duration::from_millis(20),
        };
        example::serve(listener, verifier, received, limits).await;
    });
}

/// A verified body that is not what the receiver expects is an error that
/// names the webhook's request body, not an HTTP response.
#[test]
fn a_body_that_does_not_decode_is_named_as_the_request_body() {
    let v = vector("call-started");
    let verified = Verifier::new([&v.secret])
        .unwrap()
        .verify(&v.headers(&v.signature), &v.body, v.sent_at())
        .unwrap();
    let err = verified.decode::<Vec<u32>>().unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with("webhook request body: cannot decode the body at `.`"),
        "{shown}"
    );
    assert!(!shown.contains("HTTP"), "{shown}");
    assert_eq!(err.status(), None);
}

/// The headers of `body` sent at `timestamp`, signed with `secret` as
/// Ultravox signs (HMAC-SHA256 of the body, then the timestamp).
pub(crate) fn signed(secret: &str, body: &[u8], timestamp: &str) -> HeaderMap {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.update(timestamp.as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature).unwrap());
    headers
}
