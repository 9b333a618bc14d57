//! One API call on the wire: send the GET, read the whole body within the
//! size limit, and send again when that failed in a way worth retrying —
//! a transient status, a connection closed or reset before or while the
//! response arrived, a timeout. `hooks.rs` runs it inline, or on a task of
//! its own for a page fetched ahead.

use std::time::{Duration, Instant};

use backon::Retryable;
use bytes::Bytes;
use reqwest::header::{CONTENT_LENGTH, RETRY_AFTER};
use reqwest::{Request, Response, ResponseBuilderExt, StatusCode};

use crate::retry::{self, RetryAfter, RetryPolicy};

/// How much of a non-success body is kept (enough for any error message).
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// What one call may do.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub(crate) policy: RetryPolicy,
    pub(crate) max_retries: usize,
    pub(crate) max_response_bytes: u64,
    /// Whether the request may be sent twice (RFC 9110 §9.2.2): a POST or
    /// PATCH is sent again only when it cannot have reached the server.
    pub(crate) idempotent: bool,
    /// When the operation timeout ends the call: a wait that would not end
    /// before it is not started, and the last answer is returned instead.
    pub(crate) deadline: Option<tokio::time::Instant>,
}

/// A response read whole (a non-success body: its first [`MAX_ERROR_BODY`] bytes).
pub(crate) struct Fetched {
    pub(crate) response: http::Response<Bytes>,
}

/// What a call got: a response read whole, or a success whose body is
/// left to arrive as it is read (a download).
pub(crate) enum Outcome {
    Read(Fetched),
    Streaming(Response),
}

/// A failure the client decided on itself, with no response to show for
/// it. It travels through progenitor's code as a response with
/// [`CLIENT_FAILURE_STATUS`] carrying this as an extension, and
/// [`crate::Error::from_generated`] turns it into its own variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ClientFailure {
    /// A body larger than the configured limit; the connection was dropped
    /// without reading the rest.
    TooLarge {
        limit: u64,
        /// The `Content-Length` the server announced, when that gave it away.
        announced: Option<u64>,
    },
    /// The whole call (every attempt and wait) took longer than this.
    OperationTimeout(Duration),
    /// The tokio runtime running the call's task shut down under it.
    RuntimeShutDown,
    /// A download's redirect that is not followed (see `download.rs`).
    RedirectRefused {
        location: String,
        reason: &'static str,
    },
    /// A download resumed with `Range` got another answer than the bytes
    /// from `asked_from` on.
    RangeNotHonoured { asked_from: u64 },
}

pub(crate) enum Failure {
    Transport(reqwest::Error),
    Client(ClientFailure),
}

/// One attempt's outcome, when it was not a plain success.
enum Attempt {
    /// A transient status; the response is kept so the last one can be returned.
    Status(Fetched, RetryAfter),
    Failed(Failure),
}

impl Attempt {
    /// Whether the retry table sends it again.
    fn is_transient(&self, idempotent: bool) -> bool {
        let class = match self {
            Attempt::Status(..) => retry::Class::TransientStatus,
            Attempt::Failed(Failure::Transport(err)) => retry::class_of_transport(err),
            Attempt::Failed(Failure::Client(_)) => retry::Class::Final,
        };
        retry::is_retried(class, idempotent)
    }

    fn retry_after(&self) -> RetryAfter {
        match self {
            Attempt::Status(_, retry_after) => *retry_after,
            Attempt::Failed(_) => RetryAfter::Absent,
        }
    }

    /// What went wrong, for the retry event (never a body or a header value).
    fn describe(&self) -> String {
        match self {
            Attempt::Status(fetched, _) => format!("HTTP {}", fetched.response.status().as_u16()),
            Attempt::Failed(Failure::Transport(err)) => transport_kind(err).to_owned(),
            Attempt::Failed(Failure::Client(failure)) => format!("{failure:?}"),
        }
    }
}

fn transport_kind(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() {
        "body read"
    } else {
        "connection closed or reset"
    }
}

/// Sends `request` with `limits`; the span in scope gets the
/// number of attempts, the final status and the elapsed time. `streaming`:
/// a success body is not read here but handed on as it arrives (retries
/// then cover everything up to the response's head).
pub(crate) async fn fetch(
    http: reqwest::Client,
    request: Request,
    limits: Limits,
    streaming: bool,
) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let attempt = || async {
        attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = request
            .try_clone()
            .expect("generated requests have no streaming body, so they can be cloned");
        let response = http
            .execute(request)
            .await
            .map_err(|err| Attempt::Failed(Failure::Transport(err)))?;
        let status = response.status();
        if retry::class_of_status(status) == retry::Class::TransientStatus {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map_or(RetryAfter::Absent, retry::parse_retry_after);
            let fetched = read(response, MAX_ERROR_BODY as u64, false).await?;
            return Err(Attempt::Status(fetched, retry_after));
        }
        if streaming && status.is_success() {
            return Ok(Outcome::Streaming(response));
        }
        let (limit, strict) = if status.is_success() {
            (limits.max_response_bytes, true)
        } else {
            (MAX_ERROR_BODY as u64, false)
        };
        read(response, limit, strict).await.map(Outcome::Read)
    };
    let outcome = attempt
        .retry(limits.policy.backoff(limits.max_retries))
        .when(|failed| failed.is_transient(limits.idempotent))
        .adjust(|failed, backoff| {
            let wait = limits.policy.delay(backoff, failed.retry_after())?.wait;
            let fits = limits.deadline.is_none_or(|deadline| {
                tokio::time::Instant::now()
                    .checked_add(wait)
                    .is_some_and(|end| end < deadline)
            });
            fits.then_some(wait)
        })
        .notify(|failed, wait: Duration| {
            tracing::debug!(
                attempt = attempts.load(std::sync::atomic::Ordering::Relaxed),
                failure = %failed.describe(),
                delay_ms = wait.as_millis() as u64,
                from_retry_after = matches!(failed.retry_after(), RetryAfter::Wait(asked) if asked == wait),
                "retrying"
            );
        })
        .await;
    let outcome = match outcome {
        Ok(outcome) => Ok(outcome),
        Err(Attempt::Status(fetched, _)) => Ok(Outcome::Read(fetched)),
        Err(Attempt::Failed(failure)) => Err(failure),
    };
    let span = tracing::Span::current();
    span.record(
        "attempts",
        attempts.load(std::sync::atomic::Ordering::Relaxed),
    );
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    if let Ok(outcome) = &outcome {
        span.record("status", outcome.status().as_u16());
    }
    outcome
}

/// Reads the whole body, up to `limit` bytes. `strict`: a larger body is a
/// [`ClientFailure::TooLarge`] failure (found from `Content-Length` before
/// reading, or while counting); otherwise it is cut at `limit`.
///
/// Memory: the body is handed on as it was read, never copied again. A body
/// of announced length within the limit cannot grow past it (hyper reads
/// exactly that many bytes), so it is taken in one piece; a body of unknown
/// length is kept as the chunks that arrived and joined once at the end,
/// so no buffer is doubled while it grows.
async fn read(mut response: Response, limit: u64, strict: bool) -> Result<Fetched, Attempt> {
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let too_large = |announced| {
        Attempt::Failed(Failure::Client(ClientFailure::TooLarge {
            limit,
            announced,
        }))
    };
    if strict && announced.is_some_and(|length| length > limit) {
        return Err(too_large(announced));
    }
    // The URL carried over: without it, turning this back into a
    // `reqwest::Response` parses a placeholder URL, per response.
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    if let Some(headers) = builder.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    let body = if announced.is_some_and(|length| length <= limit) {
        response
            .bytes()
            .await
            .map_err(|err| Attempt::Failed(Failure::Transport(err)))?
    } else {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut received = 0usize;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| Attempt::Failed(Failure::Transport(err)))?
        {
            let room = limit - received;
            if chunk.len() > room {
                if strict {
                    return Err(too_large(None));
                }
                chunks.push(chunk.slice(..room));
                break;
            }
            received += chunk.len();
            chunks.push(chunk);
        }
        match &mut chunks[..] {
            [] => Bytes::new(),
            [only] => std::mem::take(only),
            _ => Bytes::from(chunks.concat()),
        }
    };
    let response = builder
        .body(body)
        .expect("status, version and headers came from a valid response");
    Ok(Fetched { response })
}

/// The status a [`ClientFailure`] travels under through progenitor's code
/// to [`crate::Error::from_generated`], which finds the extension and
/// reports it; users never see this status.
pub(crate) const CLIENT_FAILURE_STATUS: StatusCode = StatusCode::INSUFFICIENT_STORAGE;

impl Fetched {
    pub(crate) fn into_response(self) -> Response {
        Response::from(self.response)
    }
}

impl Outcome {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Outcome::Read(fetched) => fetched.response.status(),
            Outcome::Streaming(response) => response.status(),
        }
    }

    pub(crate) fn into_response(self) -> Response {
        match self {
            Outcome::Read(fetched) => fetched.into_response(),
            Outcome::Streaming(response) => response,
        }
    }
}

impl ClientFailure {
    pub(crate) fn into_response(self) -> Response {
        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = CLIENT_FAILURE_STATUS;
        response.extensions_mut().insert(self);
        Response::from(response)
    }
}

#[cfg(test)]
mod tests {
    //! Which failures are retried, by method (RFC 9110 §9.2.2): a POST or
    //! PATCH only when it cannot have reached the server.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn limits(idempotent: bool) -> Limits {
        Limits {
            policy: RetryPolicy {
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
                ..RetryPolicy::default()
            },
            max_retries: 2,
            max_response_bytes: 1 << 20,
            idempotent,
            deadline: None,
        }
    }

    /// A server that answers every request with `response` (or, when it
    /// is empty, closes the connection without answering); counts requests.
    async fn server(response: &'static [u8]) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(response).await;
            }
        });
        (url, count)
    }

    async fn attempts(method: reqwest::Method, response: &'static [u8]) -> usize {
        let (url, count) = server(response).await;
        let http = reqwest::Client::new();
        let request = http
            .request(method.clone(), &url)
            .body("{}")
            .build()
            .unwrap();
        let idempotent = crate::retry::is_idempotent(method.as_str());
        let _ = fetch(http, request, limits(idempotent), false).await;
        count.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_5xx_or_a_dropped_connection_is_retried_only_for_idempotent_methods() {
        const UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
        const HANG_UP: &[u8] = b"";
        for response in [UNAVAILABLE, HANG_UP] {
            for method in [
                reqwest::Method::GET,
                reqwest::Method::PUT,
                reqwest::Method::DELETE,
            ] {
                assert_eq!(attempts(method.clone(), response).await, 3, "{method}");
            }
            for method in [reqwest::Method::POST, reqwest::Method::PATCH] {
                assert_eq!(attempts(method.clone(), response).await, 1, "{method}");
            }
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_retried_for_every_method() {
        // A port nothing listens on: the request never left.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let http = reqwest::Client::new();
        let request = http.post(&url).body("{}").build().unwrap();
        let err = match http.execute(request.try_clone().unwrap()).await {
            Err(err) => err,
            Ok(_) => panic!("nothing listens there"),
        };
        assert!(err.is_connect(), "{err}");
        let refused = Attempt::Failed(Failure::Transport(err));
        assert!(refused.is_transient(false), "POST after connection refused");
        assert!(refused.is_transient(true));
    }
}
