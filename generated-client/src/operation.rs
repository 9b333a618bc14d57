//! What the generic request layer ([`Request`](crate::Request)) needs to know
//! about one operation of the API. `cargo xtask codegen` implements these
//! traits for every operation listed in `openapi/operations.yaml`, on the
//! marker types in [`operations`](crate::operations); no hand-written code
//! names an operation.

use std::future::Future;
use std::pin::Pin;

use progenitor_client::ResponseValue;

pub(crate) mod sealed {
    /// Only the generated marker types implement [`super::Operation`].
    pub trait Sealed {}
}

/// One operation of the API, as exposed by a method of
/// [`Client`](crate::Client). Implemented by the generated marker types in
/// [`operations`](crate::operations) only (the trait is sealed); its items
/// are the generated code's business.
pub trait Operation: sealed::Sealed + 'static {
    /// progenitor's request builder for the operation.
    #[doc(hidden)]
    type Builder<'a>: Clone + std::fmt::Debug + Send + Sync + 'a;
    /// The body of a successful response: a generated type, `()` when there
    /// is none.
    type Response: Send + 'static;
    /// The body of a documented error response, as the generated code decodes it.
    #[doc(hidden)]
    type ErrorBody: Send + 'static;
    /// The spec's `operationId`.
    const OPERATION_ID: &'static str;
    /// The [`Client`](crate::Client) method that sends it
    /// (`"list_scheduled_calls"`), as errors name it.
    const NAME: &'static str;
    /// The HTTP method (`"GET"`, `"POST"`, …).
    const HTTP_METHOD: &'static str;

    /// Sends the request progenitor's builder describes.
    #[doc(hidden)]
    fn send(builder: Self::Builder<'_>) -> Sending<'_, Self>;

    /// A documented error response's body as text for
    /// [`ErrorKind::Status`](crate::ErrorKind::Status): JSON again, or empty for a
    /// body that is not JSON.
    #[doc(hidden)]
    fn error_text(body: Self::ErrorBody) -> String;

    /// What a request would send: its path, and its query parameters that
    /// are set (a cursor's value not shown), for `Request`'s `Debug`.
    #[doc(hidden)]
    fn describe(builder: &Self::Builder<'_>) -> (String, Vec<(&'static str, String)>);
}

/// The future of [`Operation::send`]. Boxed so that the future's body — the
/// request, and decoding the response into the operation's types — is
/// compiled once, in this crate: unboxed, it would be compiled again in every
/// consumer that awaits it through the generic [`Request`](crate::Request)
/// (about 53,000 of the 61,000 LLVM lines of a binary that lists scheduled
/// calls, by `cargo llvm-lines`).
#[doc(hidden)]
pub type Sending<'a, Op> = Pin<
    Box<
        dyn Future<
                Output = Result<
                    ResponseValue<<Op as Operation>::Response>,
                    progenitor_client::Error<<Op as Operation>::ErrorBody>,
                >,
            > + Send
            + 'a,
    >,
>;

/// An operation that may be sent again and again with the same effect: a
/// GET. [`Request::wait_until`](crate::Request::wait_until) needs one;
/// implemented by the generated marker types of GET operations only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a GET: `wait_until` would send it again and again",
    label = "not a GET operation",
    note = "`wait_until` repeats the request until its response says so; only a GET may be repeated"
)]
pub trait Repeatable: Operation {}

/// An operation that lists items page by page with a cursor: the spec gives
/// it a `cursor` query parameter and a response object with a nullable
/// string `next` and an array `results`.
/// [`Request::pages`](crate::Request::pages) and
/// [`Request::stream`](crate::Request::stream) walk it.
pub trait Listing: Operation {
    /// One element of `results`.
    type Item: Send + 'static;

    /// The page's `next` link.
    #[doc(hidden)]
    fn next(page: &Self::Response) -> Option<&str>;

    /// Whether the page's `results` is empty.
    #[doc(hidden)]
    fn is_empty(page: &Self::Response) -> bool;

    /// The page's `results`, for code generic over listings (a page's own
    /// `results` field holds the same).
    fn into_items(page: Self::Response) -> Vec<Self::Item>;
}

/// An operation whose success body is binary: the spec gives it a media
/// type that is not JSON (a call's recording, `audio/wav`).
/// [`Request::download_to`](crate::Request::download_to) and
/// [`Request::byte_stream`](crate::Request::byte_stream) read it as it
/// arrives and follow the documented redirect; `.send()` reads it whole
/// (within [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes))
/// and follows no redirect, as for any operation.
pub trait Download: Operation<Response = progenitor_client::ByteStream> {
    /// Whether the spec documents a `302` to where the body is stored,
    /// which a download follows (to `https://` only, without the API key).
    const FOLLOWS_REDIRECT: bool;
}
