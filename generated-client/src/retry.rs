//! Retrying transient failures: exponential backoff with jitter (backon),
//! `Retry-After` honoured up to a limit.

use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::RETRY_AFTER;
use reqwest::{Request, Response, StatusCode};

#[derive(Clone, Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) max_retries: usize,
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// An attempt that may deserve another try.
enum Failed {
    /// A response with a transient status; handed back as-is when retries
    /// run out, so the caller sees the server's status, headers and body.
    Status(Response),
    /// A transport error: retried only for connect errors and timeouts.
    Transport(reqwest::Error),
}

impl Failed {
    fn is_transient(&self) -> bool {
        match self {
            Failed::Status(response) => is_transient_status(response.status()),
            Failed::Transport(err) => err.is_connect() || err.is_timeout(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        let Failed::Status(response) = self else {
            return None;
        };
        parse_retry_after(response.headers().get(RETRY_AFTER)?.to_str().ok()?)
    }
}

fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` is either delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }

    /// The wait before the next attempt, or `None` to stop: retries are used
    /// up, or the server asked for a longer pause than we accept.
    fn next_delay(&self, failed: &Failed, backoff: Option<Duration>) -> Option<Duration> {
        let backoff = backoff?;
        match failed.retry_after() {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(backoff),
        }
    }

    /// Sends `request`, retrying transient failures. The final transient
    /// response (if any) is returned, not hidden, so its status reaches the caller.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: Request,
    ) -> reqwest::Result<Response> {
        // A streaming body cannot be replayed: send it once.
        let Some(template) = request.try_clone() else {
            return http.execute(request).await;
        };
        let attempt = || async {
            let request = template
                .try_clone()
                .expect("a request that cloned once clones again");
            match http.execute(request).await {
                Ok(response) if is_transient_status(response.status()) => {
                    Err(Failed::Status(response))
                }
                Ok(response) => Ok(response),
                Err(err) => Err(Failed::Transport(err)),
            }
        };
        let outcome = attempt
            .retry(self.backoff())
            .when(Failed::is_transient)
            .adjust(|failed, backoff| self.next_delay(failed, backoff))
            .await;
        match outcome {
            Ok(response) | Err(Failed::Status(response)) => Ok(response),
            Err(Failed::Transport(err)) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        let soon = SystemTime::now() + Duration::from_secs(30);
        let wait = parse_retry_after(&httpdate::fmt_http_date(soon)).unwrap();
        assert!(
            wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
            "{wait:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn transient_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 400, 401, 403, 404, 409, 422, 501] {
            assert!(
                !is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
