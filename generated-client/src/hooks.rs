//! progenitor's per-request hooks: authentication, timeouts and retries
//! live here, so every generated operation gets them.

use std::pin::Pin;
use std::task::{Context, Poll};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response};
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::fetch::{self, ClientFailure, Failure, Limits};
use crate::{Client, call};

// progenitor's plumbing, not the crate's API.
#[doc(hidden)]
impl ClientHooks<ClientConfig> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let config = self.inner();
        let (name, key) = config.api_key.header();
        let headers = request.headers_mut();
        headers.insert(name, key);
        // progenitor sends the spec's `info.version` as `api-version`. That is
        // the document's version, not an API version Ultravox reads (its
        // version is in the path, /api/), so don't send a misleading header.
        headers.remove("api-version");
        let options = call::options();
        // Per request, so it holds whatever reqwest client sends it.
        if let Some(timeout) = options.timeout.or(config.timeout) {
            *request.timeout_mut() = Some(timeout);
        }
        if let Some(from) = options.download.and_then(|download| download.from) {
            crate::follow::ask_from(request, from);
        }
        call::prepare(request.url_mut());
        match crate::cursor::refusal(request.url()) {
            Some(problem) => Err(progenitor_client::Error::InvalidRequest(problem)),
            None => Ok(()),
        }
    }

    /// Sends the request (with retries, the body read whole) within the
    /// operation timeout. A call awaited at once runs inline; a page
    /// fetched ahead runs on a task of its own, so it progresses while the
    /// caller does other work, and dropping the call cancels it.
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let config = self.inner();
        let options = call::options();
        let operation_timeout = options.operation_timeout.or(config.operation_timeout);
        let limits = Limits {
            policy: config.retry.clone(),
            max_retries: options.max_retries.unwrap_or(config.retry.max_retries),
            max_response_bytes: config.max_response_bytes,
            idempotent: crate::retry::is_idempotent(request.method().as_str()),
            deadline: operation_timeout
                .and_then(|limit| tokio::time::Instant::now().checked_add(limit)),
        };
        let span = tracing::debug_span!(
            "ultravox_client.call",
            operation = info.operation_id,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        call::ran_with(call::Ran {
            deadline: limits.deadline.zip(operation_timeout),
            max_retries: limits.max_retries,
        });
        let http = config.http_for_this_runtime(self.client());
        let call = async move {
            let Some(download) = options.download else {
                return fetch::fetch(http, request, limits, false).await;
            };
            let (attempt_timeout, sent_to) = (request.timeout().copied(), request.url().clone());
            let outcome = fetch::fetch(http.clone(), request, limits.clone(), true).await?;
            crate::follow::to_the_body(&http, outcome, sent_to, download, &limits, attempt_timeout)
                .await
        }
        .instrument(span);
        // Boxed: the call's future is several KB, and progenitor's future
        // holding this one is moved twice per request; a pointer is cheap
        // to move, the whole future is not.
        let call = Box::pin(async move {
            match operation_timeout {
                Some(limit) => tokio::time::timeout(limit, call)
                    .await
                    .unwrap_or(Err(Failure::Client(ClientFailure::OperationTimeout(limit)))),
                None => call.await,
            }
        });
        let outcome = if options.detached {
            let task = AbortOnDrop(tokio::spawn(call));
            let answered = async {
                // The poll that starts a page fetched ahead comes while the
                // caller still holds the page before it. It ends here, however
                // quick the task was, so the response is decoded only when the
                // caller asks for it: two decoded pages are never alive at once.
                tokio::task::yield_now().await;
                task.await
            };
            match on_the_runtime_it_started_on(answered).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                // Not aborted by us (the handle is alive): the runtime that
                // ran the task is gone, and nothing will answer.
                Ok(Err(_)) => Err(Failure::Client(ClientFailure::RuntimeShutDown)),
                Err(other_runtime) => Err(other_runtime),
            }
        } else {
            on_the_runtime_it_started_on(call)
                .await
                .and_then(|outcome| outcome)
        };
        match outcome {
            Ok(fetch::Outcome::Read(fetched)) => {
                if fetched.response.status().is_success() {
                    call::received(fetched.response.body());
                }
                Ok(fetched.into_response())
            }
            Ok(streaming) => Ok(streaming.into_response()),
            Err(Failure::Transport(err)) => Err(err),
            Err(Failure::Client(failure)) => Ok(failure.into_response()),
        }
    }
}

/// Polls `call` as long as it is polled on the tokio runtime it started
/// on: its connection, its timers and, for a page fetched ahead, its task
/// belong to that runtime, which nobody may be driving any more (a
/// `current_thread` runtime between `block_on`s) or which is gone, so they
/// would hang or panic. Polled anywhere else, it ends at once with
/// [`ClientFailure::RuntimeShutDown`] (and a task of its own is aborted).
async fn on_the_runtime_it_started_on<T>(call: impl Future<Output = T>) -> Result<T, Failure> {
    let current = || {
        tokio::runtime::Handle::try_current()
            .ok()
            .map(|handle| handle.id())
    };
    let started_on = current();
    let mut call = std::pin::pin!(call);
    std::future::poll_fn(|cx| {
        if started_on.is_some() && current() != started_on {
            return Poll::Ready(Err(Failure::Client(ClientFailure::RuntimeShutDown)));
        }
        call.as_mut().poll(cx).map(Ok)
    })
    .await
}

/// A spawned task that is cancelled when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
