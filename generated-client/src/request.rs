//! One request of any operation: the generic builder every generated client
//! method returns. Its parameter and body methods are generated per
//! operation; the settings and `send()` here are shared by all of them.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use progenitor_client::ResponseValue;

use crate::call::{self, CallOptions, Fingerprinting, Sent};
use crate::error::{Error, ErrorKind};
use crate::operation::Operation;
use crate::retry::is_idempotent;

/// A request of the operation `Op`, returned by a method of
/// [`Client`](crate::Client) (for example
/// [`Client::list_scheduled_calls`](crate::Client::list_scheduled_calls)).
///
/// Its parameter methods (`.status()`, `.page_size()`, …, and `.body()` /
/// `.body_map()` for an operation with a JSON body) are generated from the
/// spec. `.timeout()`, `.operation_timeout()` and `.max_retries()` override
/// the client's settings for this call (for a listing, for every page it
/// fetches). A listing also has [`Request::pages`], [`Request::stream`] and
/// [`Request::stream_with_positions`].
#[must_use]
pub struct Request<'a, Op: Operation> {
    /// progenitor's builder for the operation, with the path set.
    pub(crate) builder: Op::Builder<'a>,
    pub(crate) options: CallOptions,
    pub(crate) paging: Paging,
    /// The cursor of the page to fetch, exactly as the previous page's
    /// `next` link wrote it (still percent-encoded: a cursor is sent back
    /// byte for byte, even one that is not UTF-8).
    pub(crate) raw_cursor: Option<String>,
    /// The listing a position resumed after belongs to: the walk checks
    /// its first page against it.
    pub(crate) resume_listing: Option<std::sync::Arc<str>>,
    /// A download's progress callback.
    pub(crate) progress: Option<crate::download::ProgressFn>,
}

impl<Op: Operation> Clone for Request<'_, Op> {
    fn clone(&self) -> Self {
        Self {
            builder: self.builder.clone(),
            options: self.options,
            paging: self.paging,
            raw_cursor: self.raw_cursor.clone(),
            resume_listing: self.resume_listing.clone(),
            progress: self.progress.clone(),
        }
    }
}

/// The operation, its method, path and query (a cursor's value not shown),
/// and the settings that differ from the client's — not the generator's
/// internals.
impl<Op: Operation> fmt::Debug for Request<'_, Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, query) = Op::describe(&self.builder);
        let mut out = f.debug_struct("Request");
        out.field("operation", &Op::NAME)
            .field("method", &Op::HTTP_METHOD)
            .field("path", &path)
            .field("query", &query);
        if self.raw_cursor.is_some() {
            out.field("resumes_at_a_cursor", &true);
        }
        out.field("options", &self.options).finish()
    }
}

/// How `.pages()` and `.stream()` walk a listing (set by the listing
/// methods; every request carries it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paging {
    pub(crate) read_ahead: bool,
    pub(crate) max_pages: Option<u64>,
    pub(crate) max_empty_pages: u32,
    /// Rows of the first page that `.stream()` skips: those up to a
    /// position resumed after.
    pub(crate) skip_rows: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            read_ahead: true,
            max_pages: None,
            max_empty_pages: 100,
            skip_rows: 0,
        }
    }
}

/// One response, and what was sent for it.
pub(crate) type Fetched<T> = (Result<ResponseValue<T>, Error>, Sent);

/// A response on its way.
pub(crate) type Fetch<'a, T> = Pin<Box<dyn Future<Output = Fetched<T>> + Send + 'a>>;

impl<'a, Op: Operation> Request<'a, Op> {
    /// A request from progenitor's builder; the generated client methods use it.
    pub(crate) fn new(builder: Op::Builder<'a>) -> Self {
        Self {
            builder,
            options: CallOptions::default(),
            paging: Paging::default(),
            raw_cursor: None,
            resume_listing: None,
            progress: None,
        }
    }

    /// Changes the underlying builder; the generated parameter methods use it.
    pub(crate) fn map_builder(
        mut self,
        change: impl FnOnce(Op::Builder<'a>) -> Op::Builder<'a>,
    ) -> Self {
        self.builder = change(self.builder);
        self
    }

    /// Limit on each attempt of this call, body included (overrides
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Limit on this call as a whole, every attempt and wait included
    /// (overrides
    /// [`ClientBuilder::operation_timeout`](crate::ClientBuilder::operation_timeout));
    /// for a listing, on each page's call.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.options.operation_timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt (overrides
    /// [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries));
    /// for a listing, for each page's call.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.options.max_retries = Some(retries);
        self
    }

    /// Sends the request; the response keeps its status and headers.
    pub async fn send(&self) -> Result<ResponseValue<Op::Response>, Error> {
        self.fetch(false, Fingerprinting::Off).await.0
    }

    /// The response, and what was sent for it; `detached`: on a task of its
    /// own (a page fetched ahead); `fingerprint`: which success bodies to
    /// fingerprint.
    pub(crate) fn fetch(
        &self,
        detached: bool,
        fingerprint: Fingerprinting,
    ) -> Fetch<'a, Op::Response> {
        let builder = self.builder.clone();
        let options = CallOptions {
            detached,
            fingerprint,
            ..self.options
        };
        Box::pin(call::scoped(options, self.raw_cursor.clone(), async move {
            let kind = if tokio::runtime::Handle::try_current().is_err() {
                // reqwest's connections and the client's timers need tokio;
                // polled by another executor, they would panic.
                ErrorKind::NoRuntime
            } else {
                match Op::send(builder).await {
                    Ok(response) => return Ok(response),
                    Err(err) => ErrorKind::from_generated(err, Op::error_text).await,
                }
            };
            Err(Error::from(kind).in_operation(Op::NAME, is_idempotent(Op::HTTP_METHOD)))
        }))
    }
}
