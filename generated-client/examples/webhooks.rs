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

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use ultravox_client::webhooks::{Verifier, VerifyError};

/// The largest body read; a webhook's is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Serves the endpoint on `listener` until it fails: every verified
/// payload goes to `events`.
pub async fn serve(
    listener: TcpListener,
    verifier: Verifier,
    events: UnboundedSender<Value>,
) -> std::io::Result<()> {
    let verifier = Arc::new(verifier);
    loop {
        let (stream, _) = listener.accept().await?;
        let verifier = verifier.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (verifier, events) = (verifier.clone(), events.clone());
                async move { Ok::<_, Infallible>(receive(request, &verifier, &events).await) }
            });
            // A connection that breaks affects only itself.
            let _ = hyper::server::conn::http1::Builder::new()
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
            | VerifyError::FromTheFuture { .. },
        ) => answer(StatusCode::UNAUTHORIZED),
        Err(VerifyError::NoSecrets) => answer(StatusCode::INTERNAL_SERVER_ERROR),
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
    serve(listener, Verifier::new([secret]), events).await?;
    Ok(())
}
