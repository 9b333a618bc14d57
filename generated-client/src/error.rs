//! One error type for every way a call can fail.

use std::fmt;
use std::time::Duration;

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::cursor::Cursor;
use crate::fetch::{ClientFailure, MAX_ERROR_BODY};

/// How much of a body `Display` shows.
const SNIPPET_CHARS: usize = 200;
/// How much of a JSON key path `Display` shows (nesting can make it long).
const PATH_CHARS: usize = 120;
/// How much of any other text from outside (a message, a link) `Display` shows.
const TEXT_CHARS: usize = 300;

/// Why a call failed: what went wrong ([`Error::kind`]), the client method
/// that failed ([`Error::operation`]) and, for a listing that ended after
/// at least one page, where to resume ([`Error::resume_cursor`]).
///
/// `Display` is one bounded line that starts with the method's name
/// (`get_batch: HTTP 404 Not Found: {"detail":"Not found."}`), never with
/// the key, a cursor or a query; control and format characters (ESC,
/// bidirectional overrides, zero-width characters) are escaped, so it is
/// safe for a terminal or a log. Bodies are shortened there, but kept (up
/// to 64 KiB) in the kind; in both, the value of every sensitive property
/// (those the types' `Debug` redacts) is masked, valid JSON or not.
pub struct Error {
    // Boxed: a `Result<_, Error>` stays one pointer wide on the error side.
    inner: Box<Inner>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("operation", &self.inner.operation)
            .field("resume_cursor", &self.inner.resume)
            .finish()
    }
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    /// Whether the failed request's method may be sent twice (RFC 9110).
    idempotent: bool,
    resume: Option<Cursor>,
}

/// What went wrong, for [`Error::kind`]. Every kind's `Display` is one
/// bounded line, safe for a terminal or a log.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with a status the operation does not document as
    /// success.
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The response headers (see [`Error::retry_after`]).
        headers: HeaderMap,
        /// The response body as text (lossy UTF-8, at most 64 KiB), the
        /// value of every sensitive property masked (as `Debug` redacts
        /// them in the types: webhook secrets, SIP passwords, …).
        body: String,
    },
    /// The API answered with a redirect (a 3xx other than `304 Not
    /// Modified`, which is a [`ErrorKind::Status`]). Redirects are not
    /// followed: the API key would go wherever `Location` points.
    Redirect {
        /// The HTTP status (3xx).
        status: StatusCode,
        /// The `Location` header as sent, if any.
        location: Option<String>,
        /// The response headers.
        headers: HeaderMap,
    },
    /// The response body is larger than
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes);
    /// it was not read past the limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The `Content-Length` the server announced, when it gave it away.
        announced: Option<u64>,
    },
    /// A success response whose body is not what the operation returns
    /// (or a body given to [`decode`](crate::decode), or a webhook's request
    /// body, which came with no response: no status).
    Decode {
        /// The HTTP status of the response; `None` for a body that was not
        /// a response of this client.
        status: Option<StatusCode>,
        /// JSON key path of the failure, e.g. `results[3].batchId` (`.` for the root).
        path: String,
        /// What serde reported there.
        message: String,
        /// The response body as text (lossy UTF-8, at most 64 KiB), the
        /// value of every sensitive property masked (as `Debug` redacts
        /// them in the types: webhook secrets, SIP passwords, …).
        body: String,
    },
    /// No complete response within the per-attempt timeout
    /// ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)), on the
    /// last attempt.
    Timeout(reqwest::Error),
    /// The whole call — every attempt and every wait between them — took
    /// longer than its operation timeout
    /// ([`ClientBuilder::operation_timeout`](crate::ClientBuilder::operation_timeout)).
    OperationTimeout {
        /// The limit that was reached.
        limit: Duration,
    },
    /// [`Request::wait_until`](crate::Request::wait_until) reached its
    /// deadline before the response it waited for (its
    /// [`WaitError`](crate::WaitError) keeps the last response seen).
    WaitTimedOut {
        /// How long it waited.
        waited: Duration,
    },
    /// The tokio runtime the call started on shut down before the call
    /// finished (a page fetched ahead runs on a task of that runtime), or
    /// the call was polled on another runtime: its connection and timers
    /// belong to the first one. Await a call, and use a listing, on one
    /// runtime that outlives it.
    RuntimeShutDown,
    /// The call was polled outside a tokio runtime (by another executor,
    /// such as `futures::executor::block_on`): reqwest's connections and
    /// the client's timers need one. Nothing was sent.
    NoRuntime,
    /// The server could not be reached.
    Connect(reqwest::Error),
    /// Any other transport failure, e.g. a connection reset mid-body.
    Transport(reqwest::Error),
    /// The request could not be built from the given arguments.
    InvalidRequest(String),
    /// The client could not be configured (missing key, bad base URL).
    Config(String),
    /// The API broke the pagination contract (a repeated cursor, a `next`
    /// link without a cursor); stopping beats looping forever.
    Pagination(String),
    /// A download's redirect that was not followed: only the `302` its
    /// operation documents is, to an `https://` URL, for a few hops.
    RedirectRefused {
        /// The `Location` it pointed to, without its query or fragment (a
        /// storage URL's query is its signature).
        location: String,
        /// Why it was not followed.
        reason: String,
    },
    /// A download's body ended, or failed, before all of it arrived, and
    /// could not be resumed: nothing after `received` bytes was delivered.
    Incomplete {
        /// The bytes delivered (and written) before it stopped.
        received: u64,
        /// The length the server announced, when it did.
        expected: Option<u64>,
        /// Why it stopped, and why it could not go on from there (the
        /// server did not announce `Accept-Ranges`, ignored a `Range`, or
        /// the resumes ran out): the download must start over.
        reason: String,
    },
    /// Writing a download's bytes to the caller's writer failed.
    Write(std::io::Error),
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// What went wrong, taken out of the error.
    pub fn into_kind(self) -> ErrorKind {
        self.inner.kind
    }

    /// The [`Client`](crate::Client) method whose call failed
    /// (`"get_batch"`); `None` for an error building the client.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// For an error that ended a listing after at least one page (or one
    /// resumed from a cursor): the cursor of the page it could not fetch.
    /// [`Request::resume_from`](crate::Request::resume_from) continues
    /// there, with the request's filters; no page is lost or repeated.
    /// `None` when the loop guards ended the walk on purpose
    /// ([`ErrorKind::Pagination`]): resuming would repeat the cycle.
    pub fn resume_cursor(&self) -> Option<&Cursor> {
        self.inner.resume.as_ref()
    }

    /// The HTTP status, for errors that came with a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind() {
            ErrorKind::Status { status, .. } | ErrorKind::Redirect { status, .. } => Some(*status),
            ErrorKind::Decode { status, .. } => *status,
            ErrorKind::Timeout(err) | ErrorKind::Connect(err) | ErrorKind::Transport(err) => {
                err.status()
            }
            _ => None,
        }
    }

    /// Whether the same call may succeed if you send it again later, by the
    /// retry table the client's own retries follow (the README shows it): a
    /// transient status (408, 429, 500, 502, 503, 504) or a connection lost
    /// on the way, for a method that may be sent twice; a connection that
    /// could not be made, for any method. The client already retried such
    /// failures `max_retries` times; this is for your own retry loop above
    /// it. An operation timeout, redirects, other statuses, bodies that do
    /// not decode or are too large, refused requests and configuration
    /// errors are not.
    pub fn is_retryable(&self) -> bool {
        use crate::retry::{self, Class};
        let class = match self.kind() {
            ErrorKind::Status { status, .. } => retry::class_of_status(*status),
            ErrorKind::Timeout(err) | ErrorKind::Connect(err) | ErrorKind::Transport(err) => {
                retry::class_of_transport(err)
            }
            _ => Class::Final,
        };
        retry::is_retried(class, self.inner.idempotent)
    }

    /// The response headers, for errors that came with them (the raw
    /// `Retry-After` among them).
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self.kind() {
            ErrorKind::Status { headers, .. } | ErrorKind::Redirect { headers, .. } => {
                Some(headers)
            }
            _ => None,
        }
    }

    /// How long the server asked to wait before sending again
    /// (`Retry-After` in seconds, or an HTTP date from now, read leniently;
    /// zero for `0` or a past date), `None` when it sent none or an
    /// unreadable one. The client already waited for it, within
    /// [`max_retry_after`](crate::ClientBuilder::max_retry_after), as long
    /// as retries were left.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers()?.get(reqwest::header::RETRY_AFTER)?;
        match crate::retry::parse_retry_after(value.to_str().ok()?) {
            crate::retry::RetryAfter::Wait(wait) => Some(wait),
            crate::retry::RetryAfter::Now => Some(Duration::ZERO),
            crate::retry::RetryAfter::Absent => None,
        }
    }

    /// The error with the method that failed, and whether its HTTP method
    /// may be sent twice.
    pub(crate) fn in_operation(mut self, operation: &'static str, idempotent: bool) -> Self {
        self.inner.operation = Some(operation);
        self.inner.idempotent = idempotent;
        self
    }

    /// The error with the cursor a listing can resume from.
    pub(crate) fn resumable_at(mut self, cursor: Option<Cursor>) -> Self {
        self.inner.resume = cursor;
        self
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        let inner = Inner {
            kind,
            operation: None,
            idempotent: true,
            resume: None,
        };
        Self {
            inner: Box::new(inner),
        }
    }
}

impl ErrorKind {
    /// The URL is dropped: it carries the cursor, which can be long, and
    /// says nothing the caller does not know.
    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            ErrorKind::Timeout(err)
        } else if err.is_connect() {
            ErrorKind::Connect(err)
        } else {
            ErrorKind::Transport(err)
        }
    }

    /// Converts an error of the generated code, reading the body of an
    /// unexpected response (bounded) so it can be shown.
    pub(crate) async fn from_generated<E>(
        err: progenitor_client::Error<E>,
        error_text: fn(E) -> String,
    ) -> Self {
        use progenitor_client::Error as Generated;
        match err {
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                ErrorKind::InvalidRequest(message)
            }
            Generated::CommunicationError(err)
            | Generated::ResponseBodyError(err)
            | Generated::InvalidUpgrade(err) => ErrorKind::from_transport(err),
            // A documented error response, already decoded: shown as JSON again.
            Generated::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = masked(error_text(response.into_inner()));
                ErrorKind::Status {
                    status,
                    headers,
                    body,
                }
            }
            // progenitor does not say which status failed to decode; every
            // documented success status of the exposed operations is 2xx.
            Generated::InvalidResponsePayload(bytes, err) => {
                decode_error(Some(StatusCode::OK), &bytes, err)
            }
            Generated::UnexpectedResponse(response) => {
                // A failure found while fetching (see `fetch.rs`).
                if let Some(failure) = response.extensions().get::<ClientFailure>().cloned() {
                    return match failure {
                        ClientFailure::TooLarge { limit, announced } => {
                            ErrorKind::TooLarge { limit, announced }
                        }
                        ClientFailure::OperationTimeout(limit) => {
                            ErrorKind::OperationTimeout { limit }
                        }
                        ClientFailure::RuntimeShutDown => ErrorKind::RuntimeShutDown,
                        ClientFailure::RedirectRefused { location, reason } => {
                            ErrorKind::RedirectRefused {
                                location,
                                reason: reason.to_owned(),
                            }
                        }
                        ClientFailure::RangeNotHonoured { asked_from } => ErrorKind::Incomplete {
                            received: asked_from,
                            expected: None,
                            reason: "the server did not resume at that byte".to_owned(),
                        },
                    };
                }
                let status = response.status();
                let headers = response.headers().clone();
                if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                    let location = headers
                        .get(reqwest::header::LOCATION)
                        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                    return ErrorKind::Redirect {
                        status,
                        location,
                        headers,
                    };
                }
                match read_bounded(response).await {
                    Ok(body) => ErrorKind::Status {
                        status,
                        headers,
                        body,
                    },
                    Err(err) => ErrorKind::from_transport(err),
                }
            }
        }
    }
}

/// Decodes a response body as the client does (for example a page of
/// [`types::PaginatedScheduledCallList`](crate::types::PaginatedScheduledCallList)),
/// reporting a failure as [`ErrorKind::Decode`] with the JSON key path (e.g.
/// `results[3].batchId`). Useful for bodies stored or received outside
/// this client.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|err| decode_error(None, body, err).into())
}

/// A body that failed to decode, with the key path where it failed (found
/// from serde_json's position by `json_path`) and serde's message.
fn decode_error(status: Option<StatusCode>, body: &[u8], err: serde_json::Error) -> ErrorKind {
    let path = crate::json_path::path_at(body, &err);
    let message = err.to_string();
    let kept = &body[..body.len().min(MAX_ERROR_BODY)];
    ErrorKind::Decode {
        status,
        path,
        message,
        body: masked(String::from_utf8_lossy(kept).into_owned()),
    }
}

/// What `body` becomes in an error: the value of every sensitive property
/// (the spec's `writeOnly`, the overlay's `x-sensitive`: the same list as
/// the types' `Debug` redaction) replaced, wherever it stands and whether
/// or not the body is valid JSON (it may be cut short at 64 KiB, or be
/// what failed to decode).
fn masked(body: String) -> String {
    let bytes = body.as_bytes();
    let may_hold_one = body.contains('\\')
        || crate::generated::SENSITIVE_KEYS
            .iter()
            .any(|key| body.contains(key));
    if !may_hold_one {
        return body;
    }
    let mut out = String::with_capacity(body.len());
    let (mut copied, mut at) = (0, 0);
    while at < bytes.len() {
        if bytes[at] != b'"' {
            at += 1;
            continue;
        }
        let end = json_string_end(bytes, at);
        let mut after = end;
        while after < bytes.len() && bytes[after].is_ascii_whitespace() {
            after += 1;
        }
        let is_key = bytes.get(after) == Some(&b':');
        // A key written with escapes (`"pass\u0077ord"`) is read as JSON.
        let sensitive = is_key
            && serde_json::from_str::<String>(&body[at..end])
                .is_ok_and(|key| crate::generated::SENSITIVE_KEYS.contains(&key.as_str()));
        if !sensitive {
            at = end;
            continue;
        }
        let mut value = after + 1;
        while value < bytes.len() && bytes[value].is_ascii_whitespace() {
            value += 1;
        }
        out.push_str(&body[copied..value]);
        out.push_str("\"*** Sensitive Data Redacted ***\"");
        copied = json_value_end(bytes, value);
        at = copied;
    }
    out.push_str(&body[copied..]);
    out
}

/// Where the JSON string opening at `start` ends (after its closing quote),
/// or the end of `bytes` when it is cut short.
fn json_string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Where the JSON value starting at `start` ends: a string, an object or
/// array (nesting and strings in it followed), or a scalar up to the next
/// delimiter; the end of `bytes` when it is cut short.
fn json_value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b'"') => json_string_end(bytes, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut at = start;
            while at < bytes.len() {
                match bytes[at] {
                    b'"' => {
                        at = json_string_end(bytes, at);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        _ => bytes[start.min(bytes.len())..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
            .map_or(bytes.len(), |end| start + end),
    }
}

/// The error body (already cut to 64 KiB while it was fetched).
async fn read_bounded(mut response: reqwest::Response) -> reqwest::Result<String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY {
            break;
        }
    }
    Ok(masked(String::from_utf8_lossy(&body).into_owned()))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(operation) = self.inner.operation {
            write!(f, "{operation}: ")?;
        }
        self.inner.kind.fmt(f)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Status { status, body, .. } => {
                write!(f, "HTTP {status}: {}", snippet(body))
            }
            ErrorKind::Redirect {
                status, location, ..
            } => write!(
                f,
                "HTTP {status}: the API redirected to {}; redirects are not followed, so the API \
                 key is sent only to the configured base URL",
                location
                    .as_deref()
                    .map_or_else(|| "(no Location)".to_owned(), |l| one_line(l, TEXT_CHARS))
            ),
            ErrorKind::TooLarge { limit, announced } => {
                write!(
                    f,
                    "the response body is larger than the limit of {limit} bytes"
                )?;
                if let Some(length) = announced {
                    write!(f, " (Content-Length: {length})")?;
                }
                f.write_str("; raise ClientBuilder::max_response_bytes if it is expected")
            }
            ErrorKind::Decode {
                status,
                path,
                message,
                body,
            } => {
                match status {
                    Some(status) => write!(f, "cannot decode the HTTP {status} response")?,
                    None => f.write_str("cannot decode the body")?,
                }
                write!(
                    f,
                    " at `{}`: {}; body: {}",
                    one_line(path, PATH_CHARS),
                    one_line(message, TEXT_CHARS),
                    snippet(body)
                )
            }
            ErrorKind::Timeout(err) => write!(f, "timed out: {}", chain(err)),
            ErrorKind::OperationTimeout { limit } => write!(
                f,
                "the call did not finish within its operation timeout of {limit:?} (every \
                 attempt and wait included)"
            ),
            ErrorKind::WaitTimedOut { waited } => write!(
                f,
                "still not in the state waited for after {waited:?}; wait longer, or check \
                 the last response"
            ),
            ErrorKind::RuntimeShutDown => f.write_str(
                "the tokio runtime this call started on shut down, or the call was polled on \
                 another runtime, before it finished; await calls and listings on one runtime \
                 that outlives them",
            ),
            ErrorKind::NoRuntime => f.write_str(
                "no tokio runtime is running: the client needs one (its connections and timers \
                 run on tokio); await the call inside #[tokio::main], Runtime::block_on or a \
                 task of a runtime",
            ),
            ErrorKind::RedirectRefused { location, reason } => write!(
                f,
                "redirect to {} not followed: {}",
                one_line(location, 200),
                one_line(reason, 200)
            ),
            ErrorKind::Incomplete {
                received,
                expected,
                reason,
            } => {
                let of = expected
                    .map(|total| format!(" of {total}"))
                    .unwrap_or_default();
                write!(
                    f,
                    "the download stopped after {received}{of} bytes ({}); it must start over",
                    one_line(reason, 200)
                )
            }
            ErrorKind::Write(err) => write!(f, "writing the download failed: {err}"),
            ErrorKind::Connect(err) => write!(f, "cannot connect: {}", chain(err)),
            ErrorKind::Transport(err) => write!(f, "transport error: {}", chain(err)),
            ErrorKind::InvalidRequest(message) => {
                write!(f, "invalid request: {}", one_line(message, TEXT_CHARS))
            }
            ErrorKind::Config(message) => {
                write!(
                    f,
                    "invalid configuration: {}",
                    one_line(message, TEXT_CHARS)
                )
            }
            ErrorKind::Pagination(message) => {
                write!(f, "pagination error: {}", one_line(message, TEXT_CHARS))
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.kind.source()
    }
}

impl std::error::Error for ErrorKind {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ErrorKind::Timeout(err) | ErrorKind::Connect(err) | ErrorKind::Transport(err) => {
                Some(err)
            }
            _ => None,
        }
    }
}

/// reqwest's top-level message is terse ("error sending request"); the cause
/// says what happened.
pub(crate) fn chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    one_line(&text, TEXT_CHARS)
}

/// The body on one line, cut to [`SNIPPET_CHARS`] characters.
fn snippet(body: &str) -> String {
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    one_line(body, SNIPPET_CHARS)
}

/// `text` as one line for a terminal or a log: whitespace runs folded to a
/// space, other control characters (ESC, BEL, …) and format characters
/// (Unicode category Cf: bidirectional overrides such as U+202E, zero-width
/// characters) escaped as `\u{1b}`, so nothing a server sent can move the
/// cursor or reorder what a reader sees; cut to `limit` characters with `…`
/// where it was cut.
pub(crate) fn one_line(text: &str, limit: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    let mut pending_space = false;
    let categories = CodePointMapData::<GeneralCategory>::new();
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = shown > 0;
            continue;
        }
        if shown >= limit {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c.is_control() || categories.get(c) == GeneralCategory::Format {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
        shown += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::masked;

    const SHOWN: &str = "*** Sensitive Data Redacted ***";

    #[test]
    fn sensitive_values_are_masked_wherever_they_stand() {
        for key in crate::generated::SENSITIVE_KEYS {
            let body = format!(
                r#"{{"ok": 1, "{key}": "hunter2", "nested": {{"{key}" : ["hunter2", {{"x": "hunter2"}}]}}, "after": "kept"}}"#
            );
            let shown = masked(body);
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains(r#""after": "kept""#), "{shown}");
            let value: serde_json::Value = serde_json::from_str(&shown).unwrap();
            assert_eq!(value[key], SHOWN);
            assert_eq!(value["nested"][key], SHOWN);
        }
        let key = crate::generated::SENSITIVE_KEYS[0];
        // Cut short, escaped keys, odd values: still masked.
        for body in [
            format!(r#"{{"{key}": "hunter2 and more"#),
            format!(r#"{{"{key}": ["hunter2", "#),
            format!(
                r#"{{"\u{:04x}{}": "hunter2"}}"#,
                key.as_bytes()[0],
                &key[1..]
            ),
            format!(r#"{{"{key}":hunter2}}"#),
            format!(r#"[{{"{key}"  :  "a\"hunter2"}}]"#),
        ] {
            let shown = masked(body.clone());
            assert!(!shown.contains("hunter2"), "{body} -> {shown}");
        }
        let plain = r#"{"detail": "Not found.", "passwordHint": "x"}"#.to_owned();
        assert_eq!(masked(plain.clone()), plain);
    }
}
