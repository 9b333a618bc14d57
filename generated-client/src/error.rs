//! One error type for every way a call can fail.

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::types::PaginatedScheduledCallList;

/// How much of an error body is kept (the rest is dropped unread).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// How much of a body `Display` shows.
const SNIPPET_CHARS: usize = 200;
/// How much of a JSON key path `Display` shows (nesting can make it long).
const PATH_CHARS: usize = 120;

/// Why a call failed. Every variant's `Display` is one line; bodies are
/// shortened there, but kept (up to 64 KiB) in the variant.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status other than 200.
    Status {
        status: StatusCode,
        headers: HeaderMap,
        /// The response body as text (lossy UTF-8, at most 64 KiB).
        body: String,
    },
    /// A 200 response whose body is not a page of scheduled calls.
    Decode {
        status: StatusCode,
        /// JSON key path of the failure, e.g. `results[3].batchId` (`.` for the root).
        path: String,
        message: String,
        /// The response body as text (lossy UTF-8, at most 64 KiB).
        body: String,
    },
    /// No complete response within the configured timeout.
    Timeout(reqwest::Error),
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
            Error::Status { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::Timeout(err) | Error::Connect(err) | Error::Transport(err) => err.status(),
            _ => None,
        }
    }

    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Error::Timeout(err)
        } else if err.is_connect() {
            Error::Connect(err)
        } else {
            Error::Transport(err)
        }
    }

    /// Converts an error of the generated code, reading the body of an
    /// unexpected response (bounded) so it can be shown.
    pub async fn from_generated(err: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as Generated;
        match err {
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                Error::InvalidRequest(message)
            }
            Generated::CommunicationError(err)
            | Generated::ResponseBodyError(err)
            | Generated::InvalidUpgrade(err) => Error::from_transport(err),
            Generated::ErrorResponse(response) => Error::Status {
                status: response.status(),
                headers: response.headers().clone(),
                body: String::new(),
            },
            // Only the documented 200 response is decoded.
            Generated::InvalidResponsePayload(bytes, err) => {
                decode_error(StatusCode::OK, &bytes, err)
            }
            Generated::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
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

/// Decodes a page body as the client does, reporting a failure as
/// [`Error::Decode`] with the JSON key path (e.g. `results[3].batchId`).
/// Useful for pages stored or received outside this client.
pub fn decode_page(body: &[u8]) -> Result<PaginatedScheduledCallList, Error> {
    serde_json::from_slice(body).map_err(|err| decode_error(StatusCode::OK, body, err))
}

/// serde_json's own error has only a line and column, so a body that failed
/// is decoded once more to learn where (the success path pays nothing).
fn decode_error(status: StatusCode, body: &[u8], err: serde_json::Error) -> Error {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, message) = match serde_path_to_error::deserialize::<_, PaginatedScheduledCallList>(
        &mut deserializer,
    ) {
        Err(located) => (located.path().to_string(), located.inner().to_string()),
        Ok(_) => (".".to_owned(), err.to_string()),
    };
    let kept = &body[..body.len().min(MAX_ERROR_BODY)];
    Error::Decode {
        status,
        path,
        message,
        body: String::from_utf8_lossy(kept).into_owned(),
    }
}

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
            Error::Decode {
                status,
                path,
                message,
                body,
            } => write!(
                f,
                "cannot decode the HTTP {status} response at `{}`: {message}; body: {}",
                shorten(path, PATH_CHARS),
                snippet(body)
            ),
            Error::Timeout(err) => write!(f, "timed out: {}", chain(err)),
            Error::Connect(err) => write!(f, "cannot connect: {}", chain(err)),
            Error::Transport(err) => write!(f, "transport error: {}", chain(err)),
            Error::InvalidRequest(message) => write!(f, "invalid request: {message}"),
            Error::Config(message) => write!(f, "invalid configuration: {message}"),
            Error::Pagination(message) => write!(f, "pagination error: {message}"),
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
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The body on one line, cut to [`SNIPPET_CHARS`] characters.
fn snippet(body: &str) -> String {
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    shorten(
        &body.split_whitespace().collect::<Vec<_>>().join(" "),
        SNIPPET_CHARS,
    )
}

/// `text` cut to `limit` characters, with `…` where it was cut.
fn shorten(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(limit).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}
