//! Settings of one listing call that override the client's (`.timeout()`,
//! `.max_retries()` on a listing), and what the call sent. progenitor's
//! hooks see only the request, so the listing runs each page's request in
//! a task-local scope that the hooks read.

use std::cell::RefCell;
use std::time::Duration;

/// Per-call overrides of the client's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_retries: Option<usize>,
    /// Run the request on a task of its own, so it progresses while nobody
    /// awaits it (a page fetched ahead). A request awaited at once runs
    /// inline: no hand-off between threads.
    pub(crate) detached: bool,
}

/// The scope one request runs in.
pub(crate) struct CallScope {
    pub(crate) options: CallOptions,
    /// The URL the request was sent to, recorded by the `pre` hook.
    pub(crate) sent: RefCell<Option<reqwest::Url>>,
}

tokio::task_local! {
    static CALL: CallScope;
}

/// Runs `request` with `options`; returns its output and the URL it sent.
pub(crate) async fn scoped<T>(
    options: CallOptions,
    request: impl Future<Output = T>,
) -> (T, Option<reqwest::Url>) {
    let scope = CallScope {
        options,
        sent: RefCell::new(None),
    };
    CALL.scope(scope, async {
        let output = request.await;
        (output, CALL.with(|scope| scope.sent.take()))
    })
    .await
}

/// The options of the call in progress (defaults outside a listing call).
pub(crate) fn options() -> CallOptions {
    CALL.try_with(|scope| scope.options).unwrap_or_default()
}

/// Records the URL the call in progress sends to.
pub(crate) fn record_sent(url: &reqwest::Url) {
    let _ = CALL.try_with(|scope| *scope.sent.borrow_mut() = Some(url.clone()));
}
