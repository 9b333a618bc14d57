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
    /// No (usable) header: use the backoff.
    Absent,
    /// `0` or a date that has passed: no particular wait, so the backoff.
    Now,
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
            RetryAfter::Absent | RetryAfter::Now => Some(Delay {
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

/// What an attempt ended in, as far as sending it again goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A status worth another try: timeouts, rate limits, server trouble.
    TransientStatus,
    /// The connection could not be made: the request never left.
    NotSent,
    /// The request may have reached the server, but no (whole) answer came.
    Lost,
    /// Sending it again would fail again, or must not happen.
    Final,
}

/// One row of the retry table. `failures` and `wait` are its words in the
/// README, which a test compares with [`RULES`].
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Rule {
    pub(crate) class: Class,
    /// The failures of the class, for the README.
    pub(crate) failures: &'static str,
    /// Whether GET, HEAD, OPTIONS, PUT and DELETE are sent again.
    pub(crate) idempotent: bool,
    /// Whether POST and PATCH are sent again.
    pub(crate) not_idempotent: bool,
    pub(crate) wait: &'static str,
}

/// The retry table: what the retry loop sends again, what
/// [`Error::is_retryable`](crate::Error::is_retryable) calls retryable, and
/// the table in the README (a test checks it is this one).
pub(crate) const RULES: [Rule; 4] = [
    Rule {
        class: Class::TransientStatus,
        failures: "408, 429, 500, 502, 503, 504",
        idempotent: true,
        not_idempotent: false,
        wait: "`Retry-After` (seconds or an HTTP date, lenient about `UTC`/`+0000` and spacing) \
               if the server sent one, up to `max_retry_after` (60 s; a longer one fails the call \
               at once with the server's answer, and so does one that would not end before the \
               operation timeout); otherwise, and for `Retry-After: 0` or a past date, the backoff",
    },
    Rule {
        class: Class::NotSent,
        failures: "connect error (connection refused, DNS, connect timeout): the request never left",
        idempotent: true,
        not_idempotent: true,
        wait: "the backoff",
    },
    Rule {
        class: Class::Lost,
        failures: "attempt timeout, connection closed or reset before the response or while \
                   reading the body (the keep-alive race)",
        idempotent: true,
        not_idempotent: false,
        wait: "the backoff",
    },
    Rule {
        class: Class::Final,
        failures: "other statuses (400, 401, 403, 404, 422, 3xx, …), a body over the size \
                   limit or that does not decode, a request that cannot be built, a response \
                   the HTTP parser refuses (a head too large, too many headers, an invalid \
                   `Content-Length`: the server would send it again), the operation timeout \
                   reached, a runtime gone, a configuration or pagination error",
        idempotent: false,
        not_idempotent: false,
        wait: "",
    },
];

/// Whether a failure of `class` is sent again, for a request whose method
/// is `idempotent` or not.
pub(crate) fn is_retried(class: Class, idempotent: bool) -> bool {
    RULES
        .iter()
        .find(|rule| rule.class == class)
        .is_some_and(|rule| {
            if idempotent {
                rule.idempotent
            } else {
                rule.not_idempotent
            }
        })
}

/// [`RULES`] as the README shows them.
#[cfg(test)]
fn table_markdown() -> String {
    let yes_no = |retried: bool| if retried { "yes" } else { "no" };
    let mut table = "| failure | GET, HEAD, OPTIONS, PUT, DELETE | POST, PATCH | wait |\n\
                     | --- | --- | --- | --- |\n"
        .to_owned();
    for rule in &RULES {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.failures,
            yes_no(rule.idempotent),
            yes_no(rule.not_idempotent),
            rule.wait
        ));
    }
    table
}

/// The class of a response's status.
pub(crate) fn class_of_status(status: StatusCode) -> Class {
    if matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504) {
        Class::TransientStatus
    } else {
        Class::Final
    }
}

/// The class of a transport failure: a connection that could not be made
/// never reached the server; a timeout or a connection closed or reset
/// before or while the response arrived may have (reqwest reports a failed
/// body read as a decode error). A request that could not be built is
/// final, and so is a response the server got wrong (a head too large, too
/// many headers, an invalid `Content-Length`): the same server would send
/// the same bytes again.
pub(crate) fn class_of_transport(err: &reqwest::Error) -> Class {
    if err.is_connect() {
        Class::NotSent
    } else if err.is_builder() || err.is_redirect() || is_malformed_response(err) {
        Class::Final
    } else {
        Class::Lost
    }
}

/// Whether a request with `method` may be sent again after it may have
/// reached the server: GET, HEAD, OPTIONS, PUT, DELETE and TRACE are
/// idempotent; POST and PATCH are not (a retried POST can create a call twice).
pub(crate) fn is_idempotent(method: &str) -> bool {
    use reqwest::Method;
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return false;
    };
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
        Method::TRACE,
    ]
    .contains(&method)
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
/// asctime; `UTC`, `+0000` and extra spaces are accepted too). Zero or a
/// past date is [`RetryAfter::Now`], an unreadable value
/// [`RetryAfter::Absent`]; a number of seconds too large for any clock is a
/// wait longer than any limit.
pub(crate) fn parse_retry_after(value: &str) -> RetryAfter {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<u64>() {
            Ok(0) => RetryAfter::Now,
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
    let Some(when) = parse_http_date(&normalized) else {
        return RetryAfter::Absent;
    };
    match SystemTime::from(when).duration_since(SystemTime::now()) {
        Ok(wait) if !wait.is_zero() => RetryAfter::Wait(wait),
        _ => RetryAfter::Now,
    }
}

/// An HTTP date (RFC 9110 §5.6.7) with single spaces and a `GMT` zone, by
/// chrono, which the generated types already use for `date-time`.
fn parse_http_date(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    // IMF-fixdate, then the two obsolete forms: RFC 850 and asctime.
    const FORMATS: [&str; 3] = [
        "%a, %d %b %Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    ];
    FORMATS.iter().find_map(|format| {
        chrono::NaiveDateTime::parse_from_str(value, format)
            .ok()
            .map(|when| when.and_utc())
    })
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
        // The obsolete forms a server may still send (RFC 9110 §5.6.7).
        let in_a_minute =
            chrono::DateTime::<chrono::Utc>::from(SystemTime::now() + Duration::from_secs(60));
        for form in [
            in_a_minute.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
            in_a_minute.format("%a %b %e %H:%M:%S %Y").to_string(),
        ] {
            let RetryAfter::Wait(wait) = parse_retry_after(&form) else {
                panic!("{form:?} not understood");
            };
            assert!(
                wait <= Duration::from_secs(60) && wait >= Duration::from_secs(58),
                "{form:?}: {wait:?}"
            );
        }
        for malformed in [
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 31 Feb 2026 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
        ] {
            assert_eq!(
                parse_retry_after(malformed),
                RetryAfter::Absent,
                "{malformed:?}"
            );
        }
        // No wait asked for: the normal backoff applies.
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        for value in ["0", past.as_str()] {
            assert_eq!(parse_retry_after(value), RetryAfter::Now, "{value:?}");
        }
        for value in ["soon", "-1", ""] {
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
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(class_of_status(status), Class::TransientStatus, "{code}");
        }
        for code in [200, 301, 302, 304, 400, 401, 403, 404, 409, 422, 501] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(class_of_status(status), Class::Final, "{code}");
        }
    }

    #[test]
    fn the_readme_shows_the_retry_table() {
        let readme = include_str!("../../README.md");
        let table = table_markdown();
        assert!(
            readme.contains(&table),
            "README.md must show the retry table as the code has it:\n{table}"
        );
    }
}
