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
}

/// Which success bodies a call fingerprints. A listing compares later
/// pages with its first one; hashing only bodies of the first page's
/// length keeps that off the hot path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Fingerprinting {
    #[default]
    Off,
    Always,
    /// Only a body of this many bytes (no other can equal it).
    IfLength(usize),
}

/// A body's length and 64-bit hash: two bodies with the same fingerprint
/// are taken to be the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) length: usize,
    hash: u64,
}

impl Fingerprinting {
    fn of(self, body: &[u8]) -> Option<Fingerprint> {
        let wanted = match self {
            Fingerprinting::Off => false,
            Fingerprinting::Always => true,
            Fingerprinting::IfLength(length) => body.len() == length,
        };
        wanted.then(|| {
            let mut hasher = std::hash::DefaultHasher::new();
            body.hash(&mut hasher);
            Fingerprint {
                length: body.len(),
                hash: hasher.finish(),
            }
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
}

/// The scope one request runs in.
struct CallScope {
    options: CallOptions,
    /// The `cursor` query value to send exactly as the API wrote it in a
    /// `next` link (still percent-encoded), replacing any other.
    raw_cursor: Option<String>,
    url: RefCell<Option<reqwest::Url>>,
    fingerprint: Cell<Option<Fingerprint>>,
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
    };
    CALL.scope(scope, async {
        let output = request.await;
        let sent = CALL.with(|scope| Sent {
            url: scope.url.take(),
            fingerprint: scope.fingerprint.get(),
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

/// Records the fingerprint of a success body, if the call asked for one.
pub(crate) fn received(body: &[u8]) {
    let _ = CALL.try_with(|scope| scope.fingerprint.set(scope.options.fingerprint.of(body)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodies_of_the_wanted_length_are_hashed() {
        let body = b"{\"results\":[]}";
        let always = Fingerprinting::Always.of(body).unwrap();
        assert_eq!(always.length, body.len());
        assert_eq!(Fingerprinting::IfLength(body.len()).of(body), Some(always));
        assert_eq!(Fingerprinting::IfLength(3).of(body), None);
        assert_eq!(Fingerprinting::Off.of(body), None);
        assert_ne!(
            Fingerprinting::Always.of(b"{\"results\":[1]}"),
            Some(always)
        );
    }
}
