//! Settings of one call that override the client's (`.timeout()`,
//! `.operation_timeout()`, `.max_retries()` on a request), the cursor a
//! listing sends back, and what the call sent and received. progenitor's
//! hooks see only the request, so each call runs in a task-local scope that
//! the hooks read and write.

use std::cell::{Cell, RefCell};
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// Per-call overrides of the client's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) max_retries: Option<usize>,
    /// Run the request on a task of its own, so it progresses while nobody
    /// awaits it (a page fetched ahead). A request awaited at once runs
    /// inline: no hand-off between threads.
    pub(crate) detached: bool,
    /// Which success bodies get a [`Fingerprint`].
    pub(crate) fingerprint: Fingerprinting,
    /// A download: the success body is handed on unread.
    pub(crate) download: Option<DownloadCall>,
}

/// How a download's call differs from others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DownloadCall {
    /// The operation documents a `302` to where the body is.
    pub(crate) follows_redirect: bool,
    /// Resume: ask for the bytes from this offset on (`Range`).
    pub(crate) from: Option<u64>,
}

/// Which success bodies a call fingerprints. A listing compares later
/// pages with its first one; only a body that could be the same bytes —
/// of the first page's length, with the same bytes at its start and end —
/// is hashed whole, which keeps hashing off the hot path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Fingerprinting {
    #[default]
    Off,
    Always,
    /// Only a body that may equal the one of this fingerprint.
    Like(Fingerprint),
}

/// How many bytes at each end of a body its sample hashes.
const SAMPLE_BYTES: usize = 256;

/// A body's length and 64-bit hash: two bodies with the same fingerprint
/// are taken to be the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) length: usize,
    /// The hash of the first and last [`SAMPLE_BYTES`] bytes.
    sample: u64,
    hash: u64,
}

impl Fingerprinting {
    fn of(self, body: &[u8]) -> Option<Fingerprint> {
        let sample = || {
            let mut hasher = std::hash::DefaultHasher::new();
            body[..body.len().min(SAMPLE_BYTES)].hash(&mut hasher);
            body[body.len().saturating_sub(SAMPLE_BYTES)..].hash(&mut hasher);
            hasher.finish()
        };
        let sample = match self {
            Fingerprinting::Off => return None,
            Fingerprinting::Always => sample(),
            Fingerprinting::Like(first) => {
                if body.len() != first.length {
                    return None;
                }
                let sample = sample();
                if sample != first.sample {
                    return None;
                }
                sample
            }
        };
        let mut hasher = std::hash::DefaultHasher::new();
        body.hash(&mut hasher);
        Some(Fingerprint {
            length: body.len(),
            sample,
            hash: hasher.finish(),
        })
    }
}

/// What one call sent, and the fingerprint of what it received.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sent {
    /// The URL the request was sent to, recorded by the `pre` hook.
    pub(crate) url: Option<reqwest::Url>,
    /// The success body's fingerprint, when [`CallOptions::fingerprint`] asked.
    pub(crate) fingerprint: Option<Fingerprint>,
    /// The limits the call ran with (a download's body is read after the
    /// call returns, and within them).
    pub(crate) limits: Option<Ran>,
}

/// The limits a call ran with, from its options and the client's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ran {
    /// When the operation timeout ends it, and that timeout.
    pub(crate) deadline: Option<(tokio::time::Instant, Duration)>,
    pub(crate) max_retries: usize,
}

/// The scope one request runs in.
struct CallScope {
    options: CallOptions,
    /// The `cursor` query value to send exactly as the API wrote it in a
    /// `next` link (still percent-encoded), replacing any other.
    raw_cursor: Option<String>,
    url: RefCell<Option<reqwest::Url>>,
    fingerprint: Cell<Option<Fingerprint>>,
    limits: Cell<Option<Ran>>,
}

tokio::task_local! {
    static CALL: CallScope;
}

/// Runs `request` with `options`, sending `raw_cursor` when given; returns
/// its output and what it sent.
pub(crate) async fn scoped<T>(
    options: CallOptions,
    raw_cursor: Option<String>,
    request: impl Future<Output = T>,
) -> (T, Sent) {
    let scope = CallScope {
        options,
        raw_cursor,
        url: RefCell::new(None),
        fingerprint: Cell::new(None),
        limits: Cell::new(None),
    };
    CALL.scope(scope, async {
        let output = request.await;
        let sent = CALL.with(|scope| Sent {
            url: scope.url.take(),
            fingerprint: scope.fingerprint.get(),
            limits: scope.limits.get(),
        });
        (output, sent)
    })
    .await
}

/// The options of the call in progress (defaults outside a scoped call).
pub(crate) fn options() -> CallOptions {
    CALL.try_with(|scope| scope.options).unwrap_or_default()
}

/// Puts the scope's raw cursor into `url` (the last `cursor` is the one
/// the API reads, so every other is removed), then records the URL as sent.
pub(crate) fn prepare(url: &mut reqwest::Url) {
    let _ = CALL.try_with(|scope| {
        if let Some(cursor) = &scope.raw_cursor {
            crate::cursor::set_raw_cursor(url, cursor);
        }
        *scope.url.borrow_mut() = Some(url.clone());
    });
}

/// Records the limits the call runs with.
pub(crate) fn ran_with(limits: Ran) {
    let _ = CALL.try_with(|scope| scope.limits.set(Some(limits)));
}

/// Records the fingerprint of a success body, if the call asked for one.
pub(crate) fn received(body: &[u8]) {
    let _ = CALL.try_with(|scope| scope.fingerprint.set(scope.options.fingerprint.of(body)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_that_may_be_the_same_are_hashed() {
        let body = b"{\"results\":[]}";
        let always = Fingerprinting::Always.of(body).unwrap();
        assert_eq!(always.length, body.len());
        assert_eq!(Fingerprinting::Like(always).of(body), Some(always));
        assert_eq!(
            Fingerprinting::Like(always).of(b"{}"),
            None,
            "another length"
        );
        assert_eq!(
            Fingerprinting::Like(always).of(b"{\"results\":[9]"),
            None,
            "the same length, other bytes at an end"
        );
        // The same length and ends, other bytes in the middle: hashed, and
        // told apart by the whole hash.
        let long = |middle: u8| {
            let mut body = vec![b'a'; 2 * SAMPLE_BYTES + 10];
            body[SAMPLE_BYTES + 5] = middle;
            body
        };
        let first = Fingerprinting::Always.of(&long(b'x')).unwrap();
        let other = Fingerprinting::Like(first).of(&long(b'y')).unwrap();
        assert_ne!(other, first);
        assert_eq!(Fingerprinting::Like(first).of(&long(b'x')), Some(first));
        assert_eq!(Fingerprinting::Off.of(body), None);
        assert_ne!(
            Fingerprinting::Always.of(b"{\"results\":[1]}"),
            Some(always)
        );
    }
}
