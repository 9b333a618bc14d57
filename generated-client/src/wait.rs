//! Waiting for something the API reports to reach a state: the same GET
//! sent again at an interval until its response says so, within a
//! deadline (aws-sdk-rust's waiters, for any operation).

use std::fmt;
use std::time::Duration;

use progenitor_client::ResponseValue;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::operation::Repeatable;
use crate::request::Request;

/// How long [`Request::wait_until`] waits, and how often it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    max_wait: Duration,
    interval: Duration,
}

impl Wait {
    /// Asks every 5 seconds (see [`Wait::every`]) for at most `max_wait`,
    /// the requests included. A `max_wait` too long to add to the clock
    /// (`Duration::MAX`) waits without a deadline.
    pub fn up_to(max_wait: Duration) -> Self {
        Self {
            max_wait,
            interval: Duration::from_secs(5),
        }
    }

    /// Asks every `interval`, counted from the end of one request to the
    /// start of the next.
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }
}

/// Why [`Request::wait_until`] ended without the state it waited for:
/// the [`Error`] ([`ErrorKind::WaitTimedOut`] when the deadline came
/// first), and the last response it saw, if any. `?` turns it into the
/// [`Error`] where the last response is not needed.
pub struct WaitError<T> {
    error: Error,
    last: Option<ResponseValue<T>>,
}

impl<T> WaitError<T> {
    /// Why the wait ended.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// Whether the deadline came first ([`ErrorKind::WaitTimedOut`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self.error.kind(), ErrorKind::WaitTimedOut { .. })
    }

    /// The last response seen before the wait ended, if any request
    /// succeeded.
    pub fn last(&self) -> Option<&ResponseValue<T>> {
        self.last.as_ref()
    }

    /// The error and the last response, taken apart.
    pub fn into_parts(self) -> (Error, Option<ResponseValue<T>>) {
        (self.error, self.last)
    }
}

impl<T> fmt::Debug for WaitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitError")
            .field("error", &self.error)
            .field("saw_a_response", &self.last.is_some())
            .finish()
    }
}

impl<T> fmt::Display for WaitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<T> std::error::Error for WaitError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl<T> From<WaitError<T>> for Error {
    fn from(wait: WaitError<T>) -> Self {
        wait.error
    }
}

impl<Op: Repeatable> Request<'_, Op> {
    /// Sends this GET again and again until `done` says its response is
    /// the one waited for, and returns that response; a request that fails
    /// after the client's retries ends the wait. The deadline bounds the
    /// whole wait: a request still running then is dropped, and a retry
    /// the server asks to come after the deadline (`Retry-After`) is not
    /// waited for — the wait ends at the deadline with the last response.
    /// Only an operation that may be repeated (a GET, see [`Repeatable`])
    /// has it: on a POST, it does not compile.
    ///
    /// [`Repeatable`]: crate::Repeatable
    ///
    /// Wait for a batch to finish, checking every 10 seconds for at most
    /// an hour:
    ///
    /// ```no_run
    /// # async fn job(client: ultravox_client::Client, agent: ultravox_client::Uuid, batch: ultravox_client::Uuid) -> Result<(), ultravox_client::Error> {
    /// use std::time::Duration;
    /// use ultravox_client::Wait;
    ///
    /// let wait = Wait::up_to(Duration::from_secs(3600)).every(Duration::from_secs(10));
    /// let done = |batch: &ultravox_client::types::ScheduledCallBatch| {
    ///     batch.ended_at.is_some() || batch.completed_count == batch.total_count
    /// };
    /// match client.get_batch(agent, batch).wait_until(wait, done).await {
    ///     Ok(batch) => println!("{} calls done", batch.completed_count),
    ///     Err(err) if err.is_timeout() => match err.last() {
    ///         Some(batch) => println!("still running: {} of {}", batch.completed_count, batch.total_count),
    ///         None => println!("no answer within the hour: {err}"),
    ///     },
    ///     Err(err) => return Err(err.into()),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// A POST is not sent again: `wait_until` does not compile on it.
    ///
    /// ```compile_fail,E0277
    /// # async fn job(client: ultravox_client::Client, agent: ultravox_client::Uuid, body: ultravox_client::types::ScheduledCallBatchRequest) {
    /// use std::time::Duration;
    /// let wait = ultravox_client::Wait::up_to(Duration::from_secs(60));
    /// let _ = client.create_batch(agent).body(body).wait_until(wait, |_| true).await;
    /// # }
    /// ```
    pub async fn wait_until(
        &self,
        wait: Wait,
        mut done: impl FnMut(&Op::Response) -> bool,
    ) -> Result<ResponseValue<Op::Response>, WaitError<Op::Response>> {
        let started = Instant::now();
        // Durations saturate: no deadline past the clock's range.
        let far_future = || started + Duration::from_secs(100 * 365 * 24 * 3600);
        let deadline = started
            .checked_add(wait.max_wait)
            .unwrap_or_else(far_future);
        let failed = |kind: ErrorKind, last| WaitError {
            error: Error::from(kind).in_operation(Op::NAME, true),
            last,
        };
        let timed_out = |last| {
            let waited = started.elapsed();
            failed(ErrorKind::WaitTimedOut { waited }, last)
        };
        let mut last = None;
        loop {
            let response = match tokio::time::timeout_at(deadline, self.send()).await {
                Err(_elapsed) => return Err(timed_out(last)),
                // The server asks to come back after the deadline: the wait
                // cannot end in time, so it ends now, as at the deadline.
                Ok(Err(error))
                    if error.is_retryable()
                        && error.retry_after().is_some_and(|after| {
                            Instant::now()
                                .checked_add(after)
                                .is_none_or(|at| at >= deadline)
                        }) =>
                {
                    return Err(timed_out(last));
                }
                Ok(Err(error)) => return Err(WaitError { error, last }),
                Ok(Ok(response)) => response,
            };
            if done(&response) {
                return Ok(response);
            }
            last = Some(response);
            // The next request starts at the deadline at the latest, and
            // then times out at once.
            let next = Instant::now()
                .checked_add(wait.interval)
                .unwrap_or(deadline);
            tokio::time::sleep_until(next.min(deadline)).await;
        }
    }
}
