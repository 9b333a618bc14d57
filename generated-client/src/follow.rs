//! A download's documented redirect: the `302` that points to where the
//! body is stored (a signed storage URL on another host). It is followed
//! only to `https://`, for at most [`MAX_DOWNLOAD_REDIRECTS`] hops, with a request built
//! afresh: no API key and no header the client adds for the API goes
//! there (the storage URL carries its own signature). Any other redirect
//! is left to the caller as an error, as for every call.

use reqwest::header::{CONTENT_RANGE, LOCATION, RANGE};
use reqwest::{Method, Request, Response, StatusCode, Url};

use crate::call::DownloadCall;
use crate::fetch::{self, ClientFailure, Failure, Limits, Outcome};

/// How many redirects one download follows (the `302` its operation
/// documents, to `https://` only); one more is
/// [`ErrorKind::RedirectRefused`](crate::ErrorKind::RedirectRefused).
pub const MAX_DOWNLOAD_REDIRECTS: usize = 3;

/// Follows `outcome` (the answer to `sent_to`) to the body, when it is the
/// documented `302`; then checks that a resumed download got the bytes it
/// asked for.
pub(crate) async fn to_the_body(
    http: &reqwest::Client,
    mut outcome: Outcome,
    sent_to: Url,
    download: DownloadCall,
    limits: &Limits,
    attempt_timeout: Option<std::time::Duration>,
) -> Result<Outcome, Failure> {
    let mut at = sent_to;
    let mut hops = 0;
    while download.follows_redirect && outcome.status() == StatusCode::FOUND {
        let Outcome::Read(fetched) = &outcome else {
            break; // a streamed answer is a success, never a redirect
        };
        let location = fetched
            .response
            .headers()
            .get(LOCATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let Some(location) = location else {
            break; // no target: the caller gets the redirect as an error
        };
        // A storage URL's query is its signature: kept out of errors.
        let shown = location
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let refused = |reason| {
            Failure::Client(ClientFailure::RedirectRefused {
                location: shown.clone(),
                reason,
            })
        };
        if hops == MAX_DOWNLOAD_REDIRECTS {
            return Err(refused("more redirects than a download follows"));
        }
        let target = at
            .join(&location)
            .map_err(|_| refused("the target is not a URL"))?;
        if target.scheme() != "https" {
            return Err(refused(
                "a download follows a redirect only to https://, so the body is not read in clear",
            ));
        }
        hops += 1;
        let mut request = Request::new(Method::GET, target.clone());
        *request.timeout_mut() = attempt_timeout;
        if let Some(from) = download.from {
            ask_from(&mut request, from);
        }
        outcome = fetch::fetch(http.clone(), request, limits.clone(), true).await?;
        at = target;
    }
    match (download.from, outcome) {
        (Some(from), Outcome::Streaming(response)) => {
            resumed(response, from).map(Outcome::Streaming)
        }
        (_, outcome) => Ok(outcome),
    }
}

/// Asks for the body from byte `from` on (`Range: bytes={from}-`).
pub(crate) fn ask_from(request: &mut Request, from: u64) {
    let range = format!("bytes={from}-");
    request
        .headers_mut()
        .insert(RANGE, range.parse().expect("digits are a header value"));
}

/// A response to `Range: bytes={from}-`: a `206` whose `Content-Range`
/// starts at `from` goes on as the operation's `200` (so the generated code
/// takes it as the body); anything else cannot continue the download.
fn resumed(response: Response, from: u64) -> Result<Response, Failure> {
    let starts_at = response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes "))
        .and_then(|range| range.split_once('-'))
        .and_then(|(start, _)| start.trim().parse::<u64>().ok());
    if response.status() != StatusCode::PARTIAL_CONTENT || starts_at != Some(from) {
        return Err(Failure::Client(ClientFailure::RangeNotHonoured {
            asked_from: from,
        }));
    }
    let mut response = http::Response::from(response);
    *response.status_mut() = StatusCode::OK;
    Ok(Response::from(response))
}
