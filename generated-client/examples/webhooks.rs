//! A webhook endpoint on hyper: it verifies each request Ultravox sends
//! (signature and timestamp, against the raw body) before anything reads
//! the body, answers 204, and prints each verified payload as one JSON
//! line; a request that fails verification is answered 401 (or 400 when it
//! is not a webhook at all) and goes no further.
//!
//! ```sh
//! ULTRAVOX_WEBHOOK_SECRET=… cargo run -p ultravox-client --features webhooks --example webhooks -- 127.0.0.1:8787
//! ```
//!
//! Put it behind your HTTPS proxy, and give its URL as the batch's
//! `webhookUrl` (with the same secret as `webhookSecret`) or as an account
//! webhook's `url`.
//!
//! It stands up to abuse: a request accepted before is refused (a
//! [`ReplayGuard`]), bodies are capped, a connection that does not send its
//! headers in time is closed, at most [`Limits::max_connections`] are
//! served at once (more wait, unaccepted, in the kernel's backlog), and an
//! `accept` that fails (out of file descriptors) is logged and tried again
//! instead of ending the server.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use ultravox_client::webhooks::{ReplayGuard, Verifier, VerifyError};

/// The largest body read; a webhook's is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the endpoint serves at once, and how long it waits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long to wait before accepting again after `accept` failed.
    pub accept_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 128,
            header_read_timeout: Duration::from_secs(10),
            accept_backoff: Duration::from_millis(100),
        }
    }
}

/// Serves the endpoint on `listener`, forever: every verified payload goes
/// to `events`.
pub async fn serve(
    listener: TcpListener,
    verifier: Verifier,
    events: UnboundedSender<Value>,
    limits: Limits,
) {
    let verifier = Arc::new(verifier);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // A slot first: past the cap, connections wait in the backlog.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors, or a connection reset before it
                // was accepted: the server goes on.
                eprintln!("accept failed ({err}); accepting again shortly");
                tokio::time::sleep(limits.accept_backoff).await;
                continue;
            }
        };
        let verifier = verifier.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |request| {
                let (verifier, events) = (verifier.clone(), events.clone());
                async move { Ok::<_, Infallible>(receive(request, &verifier, &events).await) }
            });
            // A connection that breaks or stalls affects only itself.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One request: the answer, and the payload sent to `events` if verified.
async fn receive(
    request: Request<Incoming>,
    verifier: &Verifier,
    events: &UnboundedSender<Value>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY_BYTES).collect().await else {
        return answer(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let body = body.to_bytes();
    match verifier.verify(&parts.headers, &body, SystemTime::now()) {
        Ok(verified) => match verified.decode::<Value>() {
            Ok(payload) => {
                let _ = events.send(payload);
                answer(StatusCode::NO_CONTENT)
            }
            Err(_) => answer(StatusCode::BAD_REQUEST),
        },
        // Signed by someone else, or too old or too new to be trusted.
        Err(
            VerifyError::NoSignatureMatched
            | VerifyError::Stale { .. }
            | VerifyError::FromTheFuture { .. }
            | VerifyError::Replayed,
        ) => answer(StatusCode::UNAUTHORIZED),
        // Ultravox tries again later.
        Err(VerifyError::ReplayGuardFull) => answer(StatusCode::SERVICE_UNAVAILABLE),
        Err(_) => answer(StatusCode::BAD_REQUEST),
    }
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8787".to_owned());
    let secret = std::env::var("ULTRAVOX_WEBHOOK_SECRET")
        .map_err(|_| "set ULTRAVOX_WEBHOOK_SECRET to the webhook's secret")?;
    let listener = TcpListener::bind(&address).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(payload) = received.recv().await {
            println!("{payload}");
        }
    });
    // An empty secret is refused here, not accepted as a key anyone has.
    let verifier = Verifier::new([secret])?.replay_guard(ReplayGuard::new(100_000));
    serve(listener, verifier, events, Limits::default()).await;
    Ok(())
}
