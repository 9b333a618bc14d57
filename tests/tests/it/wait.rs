//! `Request::wait_until`: the same GET again at an interval until the
//! response is the one waited for, within a deadline.

use std::time::Duration;

use support::http::test_client;
use support::operation_checks::sample;
use support::samples::ids::{AGENT, BATCH};
use ultravox_client::mock::MockServerExt;
use ultravox_client::mock::httpmock::MockServer;
use ultravox_client::operations::GetBatch;
use ultravox_client::types::ScheduledCallBatch;
use ultravox_client::{Error, ErrorKind, Operation, Wait};

/// A batch with `completed` of `total` calls done and no end time.
fn batch(completed: i64, total: i64) -> ScheduledCallBatch {
    let mut batch: ScheduledCallBatch = sample();
    batch.completed_count = completed;
    batch.total_count = total;
    batch.ended_at = None;
    batch
}

fn done(batch: &ScheduledCallBatch) -> bool {
    batch.ended_at.is_some() || batch.completed_count == batch.total_count
}

fn fast(max_wait: Duration) -> Wait {
    Wait::up_to(max_wait).every(Duration::from_millis(10))
}

#[tokio::test]
async fn it_polls_until_the_batch_is_done_and_returns_that_batch() {
    let server = MockServer::start_async().await;
    let running = server.get_batch(|_, then| {
        then.ok(&batch(1, 3)).up_to_n_times(2);
    });
    let failing = server.get_batch(|_, then| {
        // A transient failure on the way: the client's own retry sends it again.
        then.retry_after(503, 0).up_to_n_times(1);
    });
    let finished = server.get_batch(|_, then| {
        then.ok(&batch(3, 3));
    });
    let client = test_client(&server.base_url()).build().unwrap();
    let waited = client
        .get_batch(AGENT, BATCH)
        .wait_until(fast(Duration::from_secs(10)), done)
        .await
        .unwrap();
    assert_eq!(waited.into_inner(), batch(3, 3));
    running.assert_calls(2);
    failing.assert_calls(1);
    finished.assert_calls(1);
}

#[tokio::test]
async fn a_deadline_first_keeps_the_last_batch_seen() {
    let server = MockServer::start_async().await;
    let running = server.get_batch(|_, then| {
        then.ok(&batch(1, 3));
    });
    let client = test_client(&server.base_url()).build().unwrap();
    let started = std::time::Instant::now();
    let err = client
        .get_batch(AGENT, BATCH)
        .wait_until(fast(Duration::from_millis(200)), done)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.last().map(|last| &**last), Some(&batch(1, 3)));
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(running.calls() >= 3, "{} polls", running.calls());
    let err = Error::from(err);
    assert!(
        matches!(err.kind(), ErrorKind::WaitTimedOut { .. }),
        "{err}"
    );
    assert_eq!(err.operation(), Some(GetBatch::NAME));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_failure_after_the_retries_ends_the_wait_with_it() {
    let server = MockServer::start_async().await;
    let running = server.get_batch(|_, then| {
        then.ok(&batch(1, 3)).up_to_n_times(1);
    });
    server.get_batch(|_, then| {
        then.error(404, &serde_json::json!({ "detail": "Not found." }));
    });
    let client = test_client(&server.base_url()).build().unwrap();
    let err = client
        .get_batch(AGENT, BATCH)
        .wait_until(fast(Duration::from_secs(10)), done)
        .await
        .unwrap_err();
    assert!(!err.is_timeout());
    assert_eq!(err.error().status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.last().map(|last| &**last), Some(&batch(1, 3)));
    running.assert_calls(1);
}

/// A server that asks to be asked again after the deadline (`Retry-After`
/// longer than what is left, or than the client waits for) ends the wait
/// by the deadline, with the last response.
#[tokio::test]
async fn a_retry_after_past_the_deadline_ends_the_wait_with_the_last_response() {
    for retry_after in [30, 3600] {
        let server = MockServer::start_async().await;
        server.get_batch(|_, then| {
            then.ok(&batch(1, 3)).up_to_n_times(1);
        });
        server.get_batch(|_, then| {
            then.retry_after(503, retry_after);
        });
        let client = test_client(&server.base_url()).build().unwrap();
        let started = std::time::Instant::now();
        let err = client
            .get_batch(AGENT, BATCH)
            .wait_until(fast(Duration::from_millis(500)), done)
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{retry_after}: {err:?}");
        assert_eq!(err.last().map(|last| &**last), Some(&batch(1, 3)));
        assert!(started.elapsed() < Duration::from_secs(5), "{retry_after}");
    }
}

/// Durations saturate: a wait of `Duration::MAX`, asking every
/// `Duration::MAX`, does not panic.
#[tokio::test]
async fn the_longest_durations_do_not_panic() {
    let server = MockServer::start_async().await;
    server.get_batch(|_, then| {
        then.ok(&batch(3, 3));
    });
    let client = test_client(&server.base_url()).build().unwrap();
    let waited = client
        .get_batch(AGENT, BATCH)
        .wait_until(Wait::up_to(Duration::MAX).every(Duration::MAX), done)
        .await
        .unwrap();
    assert_eq!(waited.into_inner(), batch(3, 3));
    let err = client
        .get_batch(AGENT, BATCH)
        .wait_until(Wait::up_to(Duration::ZERO).every(Duration::MAX), |_| false)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}
