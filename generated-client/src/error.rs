//! One error type for every way a call can fail.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use unicode_general_category::{GeneralCategory, get_general_category};

use crate::fetch::{ClientFailure, MAX_ERROR_BODY};

/// How much of a body `Display` shows.
const SNIPPET_CHARS: usize = 200;
/// How much of a JSON key path `Display` shows (nesting can make it long).
const PATH_CHARS: usize = 120;
/// How much of any other text from outside (a message, a link) `Display` shows.
const TEXT_CHARS: usize = 300;

/// Why a call failed. Every variant's `Display` is one bounded line with
/// control and format characters (ESC, bidirectional overrides, zero-width
/// characters) escaped, safe for a terminal or a log; bodies are shortened
/// there, but kept (up to 64 KiB) in the variant.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status the operation does not document as
    /// success.
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The response headers (see [`Error::retry_after`]).
        headers: HeaderMap,
        /// The response body as text (lossy UTF-8, at most 64 KiB).
        body: String,
    },
    /// The API answered with a redirect (a 3xx other than `304 Not
    /// Modified`, which is a [`Error::Status`]). Redirects are not
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
    /// A success response whose body is not what the operation returns.
    Decode {
        /// The HTTP status.
        status: StatusCode,
        /// JSON key path of the failure, e.g. `results[3].batchId` (`.` for the root).
        path: String,
        /// What serde reported there.
        message: String,
        /// The response body as text (lossy UTF-8, at most 64 KiB).
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
}

impl Error {
    /// The HTTP status, for errors that came with a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. }
            | Error::Redirect { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::Timeout(err) | Error::Connect(err) | Error::Transport(err) => err.status(),
            _ => None,
        }
    }

    /// Whether the same call may succeed if you send it again later: a
    /// transient status (408, 429, 500, 502, 503, 504), a timeout, a
    /// connection that could not be made or was lost (not a response the
    /// HTTP parser refused: that one would come back). The client already
    /// retried such failures `max_retries` times (a POST or PATCH only when
    /// it could not have reached the server); this is for your own retry
    /// loop above it. Redirects, other statuses, bodies that do not decode
    /// or are too large, refused requests and configuration errors are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Status { status, .. } => crate::retry::is_transient_status(*status),
            Error::Timeout(err) | Error::Connect(err) | Error::Transport(err) => {
                crate::retry::is_transient_error(err)
            }
            Error::OperationTimeout { .. } => true,
            _ => false,
        }
    }

    /// The response headers, for errors that came with them.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Status { headers, .. } | Error::Redirect { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// The `Retry-After` the server sent with the failing response, as sent
    /// (seconds or an HTTP date). The client already waited for it, within
    /// [`max_retry_after`](crate::ClientBuilder::max_retry_after), as long
    /// as retries were left.
    pub fn retry_after(&self) -> Option<&str> {
        self.headers()?
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()
    }

    /// The URL is dropped: it carries the cursor, which can be long, and
    /// says nothing the caller does not know.
    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            Error::Timeout(err)
        } else if err.is_connect() {
            Error::Connect(err)
        } else {
            Error::Transport(err)
        }
    }

    /// Converts an error of the generated code, reading the body of an
    /// unexpected response (bounded) so it can be shown; `locate` finds
    /// where a body that failed to decode went wrong (the operation's own
    /// response type decides).
    pub(crate) async fn from_generated<E>(
        err: progenitor_client::Error<E>,
        error_text: fn(E) -> String,
        locate: fn(&[u8]) -> Option<(String, String)>,
    ) -> Self {
        use progenitor_client::Error as Generated;
        match err {
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                Error::InvalidRequest(message)
            }
            Generated::CommunicationError(err)
            | Generated::ResponseBodyError(err)
            | Generated::InvalidUpgrade(err) => Error::from_transport(err),
            // A documented error response, already decoded: shown as JSON again.
            Generated::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = error_text(response.into_inner());
                Error::Status {
                    status,
                    headers,
                    body,
                }
            }
            // progenitor does not say which status failed to decode; every
            // documented success status of the exposed operations is 2xx.
            Generated::InvalidResponsePayload(bytes, err) => {
                decode_error(StatusCode::OK, &bytes, err, locate(&bytes))
            }
            Generated::UnexpectedResponse(response) => {
                // A failure found while fetching (see `fetch.rs`).
                if let Some(&failure) = response.extensions().get::<ClientFailure>() {
                    return match failure {
                        ClientFailure::TooLarge { limit, announced } => {
                            Error::TooLarge { limit, announced }
                        }
                        ClientFailure::OperationTimeout(limit) => Error::OperationTimeout { limit },
                        ClientFailure::RuntimeShutDown => Error::RuntimeShutDown,
                    };
                }
                let status = response.status();
                let headers = response.headers().clone();
                if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                    let location = headers
                        .get(reqwest::header::LOCATION)
                        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                    return Error::Redirect {
                        status,
                        location,
                        headers,
                    };
                }
                match read_bounded(response).await {
                    Ok(body) => Error::Status {
                        status,
                        headers,
                        body,
                    },
                    Err(err) => Error::from_transport(err),
                }
            }
        }
    }
}

/// Decodes a response body as the client does (for example a page of
/// [`types::PaginatedScheduledCallList`](crate::types::PaginatedScheduledCallList)),
/// reporting a failure as [`Error::Decode`] with the JSON key path (e.g.
/// `results[3].batchId`). Useful for bodies stored or received outside
/// this client.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|err| decode_error(StatusCode::OK, body, err, locate::<T>(body)))
}

/// Where `body` fails to decode as `T`: the JSON key path and serde's
/// message. serde_json's own error has only a line and column, so a body
/// that failed is decoded once more to learn where (the success path pays
/// nothing).
pub(crate) fn locate<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<(String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(located) => Some((located.path().to_string(), located.inner().to_string())),
        Ok(_) => None,
    }
}

fn decode_error(
    status: StatusCode,
    body: &[u8],
    err: serde_json::Error,
    located: Option<(String, String)>,
) -> Error {
    let (path, message) = located.unwrap_or_else(|| (".".to_owned(), err.to_string()));
    let kept = &body[..body.len().min(MAX_ERROR_BODY)];
    Error::Decode {
        status,
        path,
        message,
        body: String::from_utf8_lossy(kept).into_owned(),
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
    Ok(String::from_utf8_lossy(&body).into_owned())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Status { status, body, .. } => {
                write!(f, "HTTP {status}: {}", snippet(body))
            }
            Error::Redirect {
                status, location, ..
            } => write!(
                f,
                "HTTP {status}: the API redirected to {}; redirects are not followed, so the API \
                 key is sent only to the configured base URL",
                location
                    .as_deref()
                    .map_or_else(|| "(no Location)".to_owned(), |l| one_line(l, TEXT_CHARS))
            ),
            Error::TooLarge { limit, announced } => {
                write!(
                    f,
                    "the response body is larger than the limit of {limit} bytes"
                )?;
                if let Some(length) = announced {
                    write!(f, " (Content-Length: {length})")?;
                }
                f.write_str("; raise ClientBuilder::max_response_bytes if it is expected")
            }
            Error::Decode {
                status,
                path,
                message,
                body,
            } => write!(
                f,
                "cannot decode the HTTP {status} response at `{}`: {}; body: {}",
                one_line(path, PATH_CHARS),
                one_line(message, TEXT_CHARS),
                snippet(body)
            ),
            Error::Timeout(err) => write!(f, "timed out: {}", chain(err)),
            Error::OperationTimeout { limit } => write!(
                f,
                "the call did not finish within its operation timeout of {limit:?} (every \
                 attempt and wait included)"
            ),
            Error::RuntimeShutDown => f.write_str(
                "the tokio runtime this call started on shut down, or the call was polled on \
                 another runtime, before it finished; await calls and listings on one runtime \
                 that outlives them",
            ),
            Error::NoRuntime => f.write_str(
                "no tokio runtime is running: the client needs one (its connections and timers \
                 run on tokio); await the call inside #[tokio::main], Runtime::block_on or a \
                 task of a runtime",
            ),
            Error::Connect(err) => write!(f, "cannot connect: {}", chain(err)),
            Error::Transport(err) => write!(f, "transport error: {}", chain(err)),
            Error::InvalidRequest(message) => {
                write!(f, "invalid request: {}", one_line(message, TEXT_CHARS))
            }
            Error::Config(message) => {
                write!(
                    f,
                    "invalid configuration: {}",
                    one_line(message, TEXT_CHARS)
                )
            }
            Error::Pagination(message) => {
                write!(f, "pagination error: {}", one_line(message, TEXT_CHARS))
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Timeout(err) | Error::Connect(err) | Error::Transport(err) => Some(err),
            _ => None,
        }
    }
}

/// reqwest's top-level message is terse ("error sending request"); the cause
/// says what happened.
fn chain(err: &reqwest::Error) -> String {
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
        if c.is_control() || get_general_category(c) == GeneralCategory::Format {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
        shown += 1;
    }
    out
}
