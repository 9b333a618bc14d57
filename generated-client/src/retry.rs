//! Whether and when to send a request again: only what is safe to repeat
//! (RFC 9110 §9.2.2), after an exponential backoff with jitter that never
//! exceeds the cap, or the server's `Retry-After` up to a limit.

use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;
use reqwest::StatusCode;

/// The client's retry settings (a listing can override `max_retries`).
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

/// What the server said about waiting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RetryAfter {
    /// No (usable) header, or one asking for no wait: use the backoff.
    Absent,
    /// Wait this long.
    Wait(Duration),
}

/// The next wait, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Delay {
    pub(crate) wait: Duration,
    pub(crate) from_retry_after: bool,
}

impl RetryPolicy {
    /// Backoff before each retry, without jitter (added by [`Self::delay`]).
    pub(crate) fn backoff(&self, max_retries: usize) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(max_retries)
    }

    /// The wait before the next attempt, given the backoff's next delay
    /// (`None` when retries are used up) and the server's `Retry-After`;
    /// `None` means stop. A `Retry-After` longer than `max_retry_after`
    /// stops too: the caller gets the server's answer instead of a long sleep.
    pub(crate) fn delay(
        &self,
        backoff: Option<Duration>,
        retry_after: RetryAfter,
    ) -> Option<Delay> {
        let backoff = backoff?;
        match retry_after {
            RetryAfter::Wait(wait) if wait > self.max_retry_after => None,
            RetryAfter::Wait(wait) => Some(Delay {
                wait,
                from_retry_after: true,
            }),
            RetryAfter::Absent => Some(Delay {
                wait: jittered(backoff.min(self.max_delay)),
                from_retry_after: false,
            }),
        }
    }
}

/// "Equal jitter": a random wait between half the delay and the delay, so
/// clients spread out and the documented maximum still holds.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// Statuses worth another try: timeouts, rate limits, server trouble.
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a request with `method` may be sent again after it may have
/// reached the server: GET, HEAD, OPTIONS, PUT, DELETE and TRACE are
/// idempotent; POST and PATCH are not (a retried POST can create a call twice).
pub(crate) fn is_idempotent(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
        Method::TRACE,
    ]
    .contains(method)
}

/// A failure that proves the request never reached the server (the
/// connection could not be made: refused, DNS, connect timeout), so even a
/// POST can be sent again.
pub(crate) fn never_reached_the_server(err: &reqwest::Error) -> bool {
    err.is_connect()
}

/// A transport failure of an idempotent request worth another try: connect
/// errors, timeouts, and connections closed or reset before or while the
/// response arrived (reqwest reports a failed body read as a decode error).
/// A request that could not be built is not, and neither is a response the
/// server got wrong (a head too large, too many headers, an invalid
/// `Content-Length`): the same server would send the same bytes again.
pub(crate) fn is_transient_error(err: &reqwest::Error) -> bool {
    !err.is_builder() && !err.is_redirect() && !is_malformed_response(err)
}

/// Whether hyper refused the response's bytes as HTTP.
fn is_malformed_response(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            // Every parse failure: a head too large, a bad header, a bad status.
            return hyper.is_parse();
        }
        source = cause.source();
    }
    false
}

/// `Retry-After` is delay-seconds or an HTTP date (IMF-fixdate, RFC 850 or
/// asctime; `UTC`, `+0000` and extra spaces are accepted too). Zero, a past
/// date or an unreadable value means "no particular wait"; a number of
/// seconds too large for any clock is a wait longer than any limit.
pub(crate) fn parse_retry_after(value: &str) -> RetryAfter {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<u64>() {
            Ok(0) => RetryAfter::Absent,
            Ok(seconds) => RetryAfter::Wait(Duration::from_secs(seconds)),
            // Only digits, so the one way to fail is overflow.
            Err(_) => RetryAfter::Wait(Duration::MAX),
        };
    }
    let normalized = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" UTC", " GMT")
        .replace(" +0000", " GMT");
    match httpdate::parse_http_date(&normalized)
        .ok()
        .and_then(|when| when.duration_since(SystemTime::now()).ok())
    {
        Some(wait) if !wait.is_zero() => RetryAfter::Wait(wait),
        _ => RetryAfter::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(
            parse_retry_after("1"),
            RetryAfter::Wait(Duration::from_secs(1))
        );
        assert_eq!(
            parse_retry_after(" 120 "),
            RetryAfter::Wait(Duration::from_secs(120))
        );
        let soon = SystemTime::now() + Duration::from_secs(30);
        let imf = httpdate::fmt_http_date(soon);
        for form in [
            imf.clone(),
            imf.replace(" GMT", " UTC"),
            imf.replace(" GMT", " +0000"),
            imf.replace(' ', "  "),
        ] {
            let RetryAfter::Wait(wait) = parse_retry_after(&form) else {
                panic!("{form:?} not understood");
            };
            assert!(
                wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
                "{wait:?}"
            );
        }
        // No wait asked for: the normal backoff applies.
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        for value in ["0", past.as_str(), "soon", "-1", ""] {
            assert_eq!(parse_retry_after(value), RetryAfter::Absent, "{value:?}");
        }
        assert_eq!(
            parse_retry_after("99999999999999999999999"),
            RetryAfter::Wait(Duration::MAX),
            "an overflowing delay is the longest wait, not none"
        );
    }

    #[test]
    fn jittered_delays_stay_under_the_cap() {
        let policy = RetryPolicy {
            max_delay: Duration::from_secs(8),
            ..RetryPolicy::default()
        };
        for backoff in [
            Duration::from_secs(1),
            Duration::from_secs(8),
            Duration::from_secs(30),
        ] {
            for _ in 0..1000 {
                let delay = policy.delay(Some(backoff), RetryAfter::Absent).unwrap();
                assert!(delay.wait <= policy.max_delay, "{delay:?}");
                assert!(delay.wait >= backoff.min(policy.max_delay) / 2, "{delay:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_limit() {
        let policy = RetryPolicy::default();
        let honoured = policy
            .delay(
                Some(Duration::from_millis(500)),
                RetryAfter::Wait(Duration::from_secs(20)),
            )
            .unwrap();
        assert_eq!(honoured.wait, Duration::from_secs(20));
        assert!(honoured.from_retry_after);
        let too_long = RetryAfter::Wait(Duration::from_secs(3600));
        assert_eq!(
            policy.delay(Some(Duration::from_millis(500)), too_long),
            None
        );
        assert_eq!(
            policy.delay(None, RetryAfter::Absent),
            None,
            "retries used up"
        );
    }

    #[test]
    fn transient_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 301, 302, 400, 401, 403, 404, 409, 422, 501] {
            assert!(
                !is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
