//! progenitor's per-request hooks: authentication, timeouts and retries
//! live here, so every generated operation gets them.

use std::pin::Pin;
use std::task::{Context, Poll};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response};
use tracing::Instrument;

use crate::fetch::{self, Failure, Limits};
use crate::{Client, ClientConfig, call};

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
        if let Some(timeout) = call::options().timeout.or(config.timeout) {
            *request.timeout_mut() = Some(timeout);
        }
        call::record_sent(request.url());
        Ok(())
    }

    /// Sends the request (with retries, the body read whole). A page
    /// fetched ahead runs on a task of its own, so it progresses while the
    /// caller does other work; dropping the call cancels it.
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let config = self.inner();
        let options = call::options();
        let limits = Limits {
            policy: config.retry.clone(),
            max_retries: options.max_retries.unwrap_or(config.retry.max_retries),
            max_response_bytes: config.max_response_bytes,
        };
        let span = tracing::debug_span!(
            "ultravox_client.call",
            operation = info.operation_id,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let task =
            tokio::spawn(fetch::fetch(self.client().clone(), request, limits).instrument(span));
        match AbortOnDrop(task).await {
            Ok(Ok(fetched)) => Ok(fetched.into_response()),
            Ok(Err(Failure::Transport(err))) => Err(err),
            Ok(Err(Failure::TooLarge(too_large))) => Ok(too_large.into_response()),
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // The runtime is shutting down: nothing will answer.
            Err(_) => std::future::pending().await,
        }
    }
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
