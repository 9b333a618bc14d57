//! One request of any operation: the generic builder every generated client
//! method returns. Its parameter and body methods are generated per
//! operation; the settings and `send()` here are shared by all of them.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use progenitor_client::ResponseValue;

use crate::Error;
use crate::call::{self, CallOptions};
use crate::listing::Paging;
use crate::operation::Operation;

/// A request of the operation `Op`, returned by a method of
/// [`Client`](crate::Client) (for example
/// [`Client::list_scheduled_calls`](crate::Client::list_scheduled_calls)).
///
/// Its parameter methods (`.status()`, `.page_size()`, …, and `.body()` /
/// `.body_map()` for an operation with a JSON body) are generated from the
/// spec. `.timeout()`, `.operation_timeout()` and `.max_retries()` override
/// the client's settings for this call (for a listing, for every page it
/// fetches). A listing also has [`Request::pages`] and [`Request::stream`].
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
}

impl<Op: Operation> Clone for Request<'_, Op> {
    fn clone(&self) -> Self {
        Self {
            builder: self.builder.clone(),
            options: self.options,
            paging: self.paging,
            raw_cursor: self.raw_cursor.clone(),
        }
    }
}

impl<Op: Operation> fmt::Debug for Request<'_, Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation", &Op::OPERATION_ID)
            .field("builder", &self.builder)
            .field("options", &self.options)
            .field("paging", &self.paging)
            .finish()
    }
}

/// One response, and the URL that was sent for it.
pub(crate) type Fetch<'a, T> = Pin<
    Box<dyn Future<Output = (Result<ResponseValue<T>, Error>, Option<reqwest::Url>)> + Send + 'a>,
>;

impl<'a, Op: Operation> Request<'a, Op> {
    /// A request from progenitor's builder; the generated client methods use it.
    pub(crate) fn new(builder: Op::Builder<'a>) -> Self {
        Self {
            builder,
            options: CallOptions::default(),
            paging: Paging::default(),
            raw_cursor: None,
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
        self.fetch(false).await.0
    }

    /// The response, and the URL that was sent for it; `detached`: on a task
    /// of its own (a page fetched ahead).
    pub(crate) fn fetch(&self, detached: bool) -> Fetch<'a, Op::Response> {
        let builder = self.builder.clone();
        let options = CallOptions {
            detached,
            ..self.options
        };
        Box::pin(call::scoped(options, self.raw_cursor.clone(), async move {
            match Op::send(builder).await {
                Ok(response) => Ok(response),
                Err(err) => {
                    Err(Error::from_generated(err, Op::error_text, Op::locate_decode_error).await)
                }
            }
        }))
    }
}
