//! A binary body (a call's recording) read as it arrives: the documented
//! 302 followed to a second, HTTPS origin without the API key, a body cut
//! short reported rather than passed off as whole, and a failure part-way
//! resumed with `Range`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use support::samples::ids::API_KEY;
use support::server::{Recorded, Reply, ScriptedServer, TEST_CERTIFICATE_AUTHORITY};
use support::spec::success_media_type_of;
use ultravox_client::operations::GetCallRecording;
use ultravox_client::{API_KEY_HEADER, Client, ErrorKind, Operation, Progress, Uuid};

const CALL: Uuid = uuid::uuid!("0b6f3c1e-8d2a-4c5b-9e7f-1a2b3c4d5e6f");

/// A recording's bytes: every value of a byte, many times over.
fn audio(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i * 7 % 251) as u8).collect()
}

fn media_type() -> &'static str {
    success_media_type_of(GetCallRecording::OPERATION_ID)
}

/// A client of `api` whose reqwest client trusts the storage server's test
/// certificate (and follows no redirect itself, as the crate's own).
fn client(api: &ScriptedServer) -> Client {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge([reqwest::Certificate::from_der(TEST_CERTIFICATE_AUTHORITY).unwrap()])
        .build()
        .unwrap();
    support::http::test_client(&api.base_url)
        .reqwest_client(http)
        .build()
        .unwrap()
}

fn found(location: &str) -> Reply {
    Reply::raw(302, "text/plain", "").with_header("location", location)
}

fn recording(body: &[u8]) -> Reply {
    Reply::raw(200, media_type(), body.to_vec())
}

/// An API that answers the recording with a `302` to `storage`.
async fn api_sending_to(storage: &ScriptedServer) -> ScriptedServer {
    let signed = format!("{}/r.wav?signature=s1g", storage.base_url);
    ScriptedServer::start(vec![found(&signed)]).await
}

/// Downloads the recording from `api` into memory, expecting a failure:
/// the error, and what was written before it.
async fn failed_download(api: &ScriptedServer) -> (ultravox_client::Error, Vec<u8>) {
    let mut file = Vec::new();
    let err = client(api)
        .get_call_recording(CALL)
        .download_to(&mut file)
        .await
        .unwrap_err();
    (err, file)
}

fn carries_the_key(request: &Recorded) -> bool {
    request
        .headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case(API_KEY_HEADER) || value.contains(API_KEY))
}

#[tokio::test]
async fn the_documented_302_is_followed_to_https_storage_without_the_key() {
    let body = audio(3 << 20);
    let storage = ScriptedServer::start_https(vec![recording(&body)]).await;
    let signed = format!("{}/recordings/abc.wav?signature=s1g", storage.base_url);
    let api = ScriptedServer::start(vec![found(&signed)]).await;
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let observed = seen.clone();

    let mut file = Vec::new();
    let downloaded = client(&api)
        .get_call_recording(CALL)
        .on_progress(move |progress| observed.lock().unwrap().push(progress))
        .download_to(&mut file)
        .await
        .unwrap();

    assert_eq!(file, body, "the bytes arrive whole");
    assert_eq!(downloaded.bytes, body.len() as u64);
    assert_eq!(downloaded.content_type.as_deref(), Some(media_type()));
    assert_eq!(downloaded.resumes, 0);
    let api_requests = api.requests();
    assert_eq!(api_requests.len(), 1);
    assert!(carries_the_key(&api_requests[0]), "the API gets the key");
    let storage_requests = storage.requests();
    assert_eq!(storage_requests.len(), 1);
    assert_eq!(
        storage_requests[0].target,
        "/recordings/abc.wav?signature=s1g"
    );
    assert!(
        !carries_the_key(&storage_requests[0]),
        "the key stays with the API's origin: {:?}",
        storage_requests[0].headers
    );
    let seen = seen.lock().unwrap();
    let total = Some(body.len() as u64);
    assert_eq!(
        seen.first().map(|p| (p.received, p.total)),
        Some((0, total))
    );
    assert_eq!(
        seen.last().map(|p| (p.received, p.total)),
        Some((body.len() as u64, total))
    );
    assert!(
        seen.windows(2).all(|w| w[0].received <= w[1].received),
        "progress only grows"
    );
}

#[tokio::test]
async fn a_redirect_to_plain_http_is_refused_and_gets_nothing() {
    let elsewhere = ScriptedServer::start(vec![recording(b"RIFF")]).await;
    let target = format!("{}/recordings/abc.wav?signature=s1g", elsewhere.base_url);
    let api = ScriptedServer::start(vec![found(&target)]).await;

    let (err, file) = failed_download(&api).await;

    let ErrorKind::RedirectRefused { location, reason } = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(
        location,
        &format!("{}/recordings/abc.wav", elsewhere.base_url),
        "named without the signature in its query"
    );
    assert!(reason.contains("https://"), "{reason}");
    let text = err.to_string();
    assert!(
        text.starts_with("get_call_recording: redirect to http://"),
        "{text}"
    );
    assert!(
        !text.contains("signature"),
        "a signed query is not shown: {text}"
    );
    assert!(elsewhere.requests().is_empty(), "nothing was sent there");
    assert!(file.is_empty());
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_never_a_short_file() {
    let body = audio(100_000);
    let storage = ScriptedServer::start_https(vec![Reply::CutShort {
        headers: vec![("content-type".into(), media_type().into())],
        announced: body.len(),
        sent: body[..40_000].to_vec(),
    }])
    .await;
    let api = api_sending_to(&storage).await;

    let (err, file) = failed_download(&api).await;

    let ErrorKind::Incomplete {
        received, expected, ..
    } = err.kind()
    else {
        panic!("{err}")
    };
    assert_eq!(*expected, Some(body.len() as u64));
    assert_eq!(*received, file.len() as u64, "what was written, no more");
    assert!(file.len() < body.len());
    assert!(err.to_string().contains("must start over"), "{err}");
    assert!(
        !format!("{err} {err:?}").contains("s1g"),
        "the storage URL's signature stays out of the error: {err:?}"
    );
    assert_eq!(storage.requests().len(), 1, "no Accept-Ranges: no resume");
}

#[tokio::test]
async fn a_download_cut_short_resumes_with_range_where_it_stopped() {
    let body = audio(100_000);
    let cut = 40_000;
    let storage = ScriptedServer::start_https(vec![
        Reply::CutShort {
            headers: vec![
                ("content-type".into(), media_type().into()),
                ("accept-ranges".into(), "bytes".into()),
            ],
            announced: body.len(),
            sent: body[..cut].to_vec(),
        },
        Reply::raw(206, media_type(), body[cut..].to_vec()).with_header(
            "content-range",
            &format!("bytes {cut}-{}/{}", body.len() - 1, body.len()),
        ),
    ])
    .await;
    let api = api_sending_to(&storage).await;

    let chunks: Vec<_> = client(&api)
        .get_call_recording(CALL)
        .byte_stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(chunks.concat(), body, "the bytes arrive whole, none twice");
    let storage_requests = storage.requests();
    assert_eq!(storage_requests.len(), 2);
    assert_eq!(storage_requests[1].header("range"), Some("bytes=40000-"));
    assert!(storage_requests.iter().all(|r| !carries_the_key(r)));
    let api_requests = api.requests();
    assert_eq!(
        api_requests.len(),
        2,
        "the signed URL comes from the API again"
    );
    assert_eq!(api_requests[1].header("range"), Some("bytes=40000-"));
}

#[tokio::test]
async fn a_server_that_ignores_range_means_starting_over() {
    let body = audio(50_000);
    let storage = ScriptedServer::start_https(vec![
        Reply::CutShort {
            headers: vec![("accept-ranges".into(), "bytes".into())],
            announced: body.len(),
            sent: body[..10_000].to_vec(),
        },
        // The whole body again, from its first byte.
        recording(&body),
    ])
    .await;
    let api = api_sending_to(&storage).await;

    let (err, file) = failed_download(&api).await;

    assert!(
        matches!(
            err.kind(),
            ErrorKind::Incomplete {
                received: 10_000,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        file.len(),
        10_000,
        "nothing of the second answer was written"
    );
}

#[tokio::test]
async fn the_operation_timeout_bounds_the_whole_download() {
    let api = ScriptedServer::start(vec![Reply::Trickle {
        body: audio(1_000),
        every: Duration::from_millis(20),
    }])
    .await;

    let started = std::time::Instant::now();
    let err = client(&api)
        .get_call_recording(CALL)
        .operation_timeout(Duration::from_millis(300))
        .download_to(&mut tokio::io::sink())
        .await
        .unwrap_err();

    assert!(
        matches!(err.kind(), ErrorKind::OperationTimeout { .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn another_redirect_status_keeps_todays_error_and_sends_no_key() {
    let storage = ScriptedServer::start_https(vec![recording(b"RIFF")]).await;
    let target = format!("{}/r.wav", storage.base_url);
    let api = ScriptedServer::start(vec![
        Reply::raw(307, "text/plain", "").with_header("location", &target),
    ])
    .await;

    let err = client(&api)
        .get_call_recording(CALL)
        .download_to(&mut tokio::io::sink())
        .await
        .unwrap_err();

    let ErrorKind::Redirect { location, .. } = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(location.as_deref(), Some(target.as_str()));
    assert!(storage.requests().is_empty());
}

#[tokio::test]
async fn a_download_follows_a_few_redirects_and_no_more() {
    // Storage that sends the download on to itself again and again.
    let storage = ScriptedServer::start_https(vec![found("/elsewhere.wav?signature=s1g")]).await;
    let api = api_sending_to(&storage).await;

    let err = client(&api)
        .get_call_recording(CALL)
        .download_to(&mut tokio::io::sink())
        .await
        .unwrap_err();

    let ErrorKind::RedirectRefused { reason, .. } = err.kind() else {
        panic!("{err}")
    };
    assert!(reason.contains("more redirects"), "{reason}");
    assert_eq!(
        storage.requests().len(),
        ultravox_client::MAX_DOWNLOAD_REDIRECTS,
        "each hop sent once, then it stopped"
    );
    assert!(storage.requests().iter().all(|r| !carries_the_key(r)));
}
