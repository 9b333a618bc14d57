//! Verifying the webhooks Ultravox sends (feature `webhooks`).
//!
//! Ultravox signs each webhook request with a secret the two sides share: a
//! batch's `webhookSecret` for the requests its `webhookUrl` receives, an
//! account webhook's `secrets` for its events. The request carries
//!
//! - `X-Ultravox-Webhook-Timestamp` ([`TIMESTAMP_HEADER`]): when it was
//!   sent, ISO 8601 (RFC 3339, or without an offset, which is read as UTC);
//! - `X-Ultravox-Webhook-Signature` ([`SIGNATURE_HEADER`]): the hex HMAC-SHA256, keyed by the secret, of the
//!   raw request body followed by the timestamp header's value; several
//!   signatures separated by commas while secrets rotate, any one matching
//!   is enough. An entry that is not 64 hex digits (a scheme this version
//!   does not know) is skipped, and only the first [`MAX_SIGNATURES`]
//!   entries are looked at, so a header of thousands costs no more than a
//!   few.
//!
//! A [`Verifier`] checks both against the raw body as received (before any
//! JSON parsing: a re-encoded body no longer matches), then that the
//! timestamp is recent: a request captured and sent again later than the
//! tolerance (a minute) is refused. Within that minute the same request
//! verifies again, unless the verifier has a [`ReplayGuard`], which
//! remembers what it accepted until its timestamp is too old anyway and
//! refuses it a second time. It works on the `http` crate's types and knows
//! no web framework; see `examples/webhooks.rs` for a receiving endpoint on
//! hyper.
//!
//! ```
//! use std::time::SystemTime;
//! use ultravox_client::webhooks::{ReplayGuard, Verifier};
//!
//! fn receive(headers: &http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//!     // Made once and shared (it is cheap to clone; clones share the guard).
//!     let verifier = Verifier::new(["the batch's webhookSecret"])?
//!         .replay_guard(ReplayGuard::new(100_000));
//!     // A rejection is a 401 to answer, with nothing acted on.
//!     let request = verifier.verify(headers, body, SystemTime::now())?;
//!     // Only now is the body worth reading. What a batch sends when it
//!     // creates a call is not described by the API's document: raw JSON.
//!     let payload: serde_json::Value = request.decode()?;
//!     println!("{payload} sent at {}", request.timestamp());
//!     Ok(())
//! }
//! ```
//!
//! An account webhook's request (`/api/webhooks`) is typed: its body is a
//! [`types::AccountWebhookEvent`](crate::types::AccountWebhookEvent), the
//! event an open enum of the events the API's document names (an event
//! added later arrives as `Unknown`, kept as sent) and the call the
//! generated [`types::Call`](crate::types::Call).
//!
//! ```
//! use std::time::SystemTime;
//! use ultravox_client::types::{AccountWebhookEvent, Events};
//! use ultravox_client::webhooks::Verifier;
//!
//! fn receive(headers: &http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = Verifier::new(["the old secret", "the new secret"])?;
//!     let event: AccountWebhookEvent = verifier.verify(headers, body, SystemTime::now())?.decode()?;
//!     match event.event {
//!         Events::CallEnded => println!("call {} ended: {:?}", event.call.call_id, event.call.end_reason),
//!         other => println!("{other} for call {}", event.call.call_id),
//!     }
//!     Ok(())
//! }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::digest::CtOutput;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::Error;

/// `X-Ultravox-Webhook-Timestamp`: when Ultravox sent the request (ISO 8601).
pub const TIMESTAMP_HEADER: HeaderName = HeaderName::from_static("x-ultravox-webhook-timestamp");
/// `X-Ultravox-Webhook-Signature`: the signatures, hex HMAC-SHA256,
/// comma-separated.
pub const SIGNATURE_HEADER: HeaderName = HeaderName::from_static("x-ultravox-webhook-signature");

/// How old a request may be: Ultravox's documentation suggests a minute.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(60);
/// How far ahead of this machine's clock a timestamp may be (the sender's
/// clock may run a little fast).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(10);

/// HMAC-SHA256's output, in bytes.
const SIGNATURE_BYTES: usize = 32;

/// How many entries of [`SIGNATURE_HEADER`]'s list are looked at: the
/// first ones (Ultravox sends one per secret it signs with, two while a
/// secret rotates). The worst header costs this many hex decodings and
/// comparisons per secret, besides one HMAC per secret.
pub const MAX_SIGNATURES: usize = 8;

type HmacSha256 = Hmac<Sha256>;

/// Why a request was not accepted. Answer it with a 4xx (401 for
/// [`NoSignatureMatched`](Self::NoSignatureMatched)) and do not act on the
/// body. Neither `Display` nor `Debug` shows a secret or a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request lacks one of the two headers.
    Missing {
        /// The header's name ([`TIMESTAMP_HEADER`] or [`SIGNATURE_HEADER`]).
        header: HeaderName,
    },
    /// A header is not of the documented form (or is sent twice): a timestamp that is not ISO 8601, a
    /// signature that is not 64 hex digits, a value that is not ASCII.
    Malformed {
        /// The header's name ([`TIMESTAMP_HEADER`] or [`SIGNATURE_HEADER`]).
        header: HeaderName,
    },
    /// No signature matches any of the secrets: the body or the timestamp
    /// was changed after signing, the secret is another, or it was not
    /// signed by Ultravox.
    NoSignatureMatched,
    /// The signature matches, but the request was sent longer ago than the
    /// tolerance allows: a replay, or a delivery held up.
    Stale {
        /// How old it is.
        age: Duration,
    },
    /// The signature matches, but the timestamp is further in the future
    /// than the clock-skew allowance.
    FromTheFuture {
        /// How far ahead of this machine's clock it is.
        ahead: Duration,
    },
    /// The verifier was given no secret to check with.
    NoSecrets,
    /// A secret given to the verifier is empty (an unset variable read as
    /// ""): anyone could sign with it.
    EmptySecret,
    /// The request verifies, but its [`ReplayGuard`] accepted it before:
    /// the same request sent again within the tolerance.
    Replayed,
    /// The request verifies, but its [`ReplayGuard`] is full of requests
    /// still within the tolerance: rather than forget one that could then
    /// be replayed, it refuses this one. Answer 503, and Ultravox tries
    /// again; give the guard more room if it happens.
    ReplayGuardFull,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { header } => write!(f, "webhook: no `{header}` header"),
            Self::Malformed { header } => write!(f, "webhook: `{header}` is malformed"),
            Self::NoSignatureMatched => {
                f.write_str("webhook: no signature matches any of the secrets")
            }
            Self::Stale { age } => write!(
                f,
                "webhook: sent {} s ago, longer ago than the tolerance",
                age.as_secs()
            ),
            Self::FromTheFuture { ahead } => write!(
                f,
                "webhook: its timestamp is {} s ahead of this machine's clock",
                ahead.as_secs()
            ),
            Self::NoSecrets => f.write_str("webhook: the verifier has no secret"),
            Self::EmptySecret => f.write_str("webhook: a secret of the verifier is empty"),
            Self::Replayed => f.write_str("webhook: this request was accepted before (a replay)"),
            Self::ReplayGuardFull => {
                f.write_str("webhook: the replay guard is full of recent requests")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Checks webhook requests against one or more secrets (several while a
/// secret rotates: any one may have signed).
///
/// Its `Debug` does not show the secrets. Clones share its
/// [`ReplayGuard`], if it has one.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<HmacSha256>,
    tolerance: Duration,
    clock_skew: Duration,
    guard: Option<Arc<ReplayGuard>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("{} redacted", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .field("clock_skew", &self.clock_skew)
            .field("replay_guard", &self.guard)
            .finish()
    }
}

impl Verifier {
    /// A verifier for `secrets` (as configured in Ultravox: the text, used
    /// as UTF-8 bytes), with [`DEFAULT_TOLERANCE`] and
    /// [`DEFAULT_CLOCK_SKEW`], and no [`ReplayGuard`].
    ///
    /// # Errors
    ///
    /// [`VerifyError::NoSecrets`] for no secret at all, and
    /// [`VerifyError::EmptySecret`] for an empty one (a variable that is
    /// set but empty): a request signed with the empty key would verify.
    pub fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, VerifyError> {
        let keys = secrets
            .into_iter()
            .map(|secret| match secret.as_ref() {
                [] => Err(VerifyError::EmptySecret),
                // HMAC takes a key of any length.
                secret => {
                    Ok(HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length"))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(VerifyError::NoSecrets);
        }
        Ok(Self {
            keys,
            tolerance: DEFAULT_TOLERANCE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            guard: None,
        })
    }

    /// Refuses a request this verifier (or a clone of it) accepted before,
    /// as [`VerifyError::Replayed`]; see [`ReplayGuard`] for what it
    /// guarantees.
    pub fn replay_guard(mut self, guard: ReplayGuard) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }

    /// How old a request may be ([`DEFAULT_TOLERANCE`] unless set).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// How far ahead of `now` a timestamp may be ([`DEFAULT_CLOCK_SKEW`]
    /// unless set).
    pub fn clock_skew(mut self, clock_skew: Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }

    /// Verifies a request: its headers, its raw `body` as received, and
    /// the time `now` to judge the timestamp by (`SystemTime::now()`, or a
    /// fixed time in tests). The signature is checked first, so
    /// [`VerifyError::Stale`], [`VerifyError::FromTheFuture`] and
    /// [`VerifyError::Replayed`] are only said of requests Ultravox did
    /// sign. Of the signature list, entries that are not 64 hex digits are
    /// skipped and only the first [`MAX_SIGNATURES`] are looked at: it is
    /// [`VerifyError::Malformed`] only when none of those is a signature.
    /// Comparisons take the same time whichever byte differs.
    pub fn verify<'body>(
        &self,
        headers: &HeaderMap,
        body: &'body [u8],
        now: SystemTime,
    ) -> Result<Verified<'body>, VerifyError> {
        let sent_text = header_text(headers, TIMESTAMP_HEADER)?;
        // As bytes: only the entries looked at are read, however long the
        // list (a byte that is not ASCII makes an entry that is skipped).
        let signatures = header_value(headers, SIGNATURE_HEADER)?.as_bytes();
        let sent = parse_timestamp(sent_text).ok_or(VerifyError::Malformed {
            header: TIMESTAMP_HEADER,
        })?;
        let mut listed = [[0; SIGNATURE_BYTES]; MAX_SIGNATURES];
        let mut count = 0;
        for entry in signatures.split(|&byte| byte == b',').take(MAX_SIGNATURES) {
            if let Some(signature) = decode_hex(entry.trim_ascii()) {
                listed[count] = signature;
                count += 1;
            }
        }
        if count == 0 {
            return Err(VerifyError::Malformed {
                header: SIGNATURE_HEADER,
            });
        }
        let listed = &listed[..count];

        let matched = self.keys.iter().find_map(|key| {
            let mut mac = key.clone();
            mac.update(body);
            mac.update(sent_text.as_bytes());
            let expected = mac.finalize();
            listed
                .iter()
                .any(|signature| expected == CtOutput::new((*signature).into()))
                .then(|| <[u8; SIGNATURE_BYTES]>::from(expected.into_bytes()))
        });
        let Some(signature) = matched else {
            return Err(VerifyError::NoSignatureMatched);
        };

        let sent_at = SystemTime::from(sent);
        match now.duration_since(sent_at) {
            Ok(age) if age > self.tolerance => return Err(VerifyError::Stale { age }),
            Ok(_) => {}
            Err(ahead) => {
                let ahead = ahead.duration();
                if ahead > self.clock_skew {
                    return Err(VerifyError::FromTheFuture { ahead });
                }
            }
        }
        if let Some(guard) = &self.guard {
            // Past this instant the timestamp check refuses it anyway (a
            // tolerance too long to add: remembered for good).
            let expires = sent_at
                .checked_add(self.tolerance)
                .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
                .unwrap_or(now);
            guard.admit(signature, expires, now)?;
        }
        Ok(Verified { body, sent })
    }
}

/// Verifies a request with [`Verifier::new`]`(secrets)`'s defaults: a
/// minute's tolerance, ten seconds of clock skew, no replay guard (a guard
/// must outlive one request: keep a [`Verifier`]).
pub fn verify<'body, S: AsRef<[u8]>>(
    secrets: impl IntoIterator<Item = S>,
    headers: &HeaderMap,
    body: &'body [u8],
    now: SystemTime,
) -> Result<Verified<'body>, VerifyError> {
    Verifier::new(secrets)?.verify(headers, body, now)
}

/// Remembers the requests a [`Verifier`] accepted, so that the same request
/// sent again is refused ([`VerifyError::Replayed`]), for as long as its
/// timestamp is within the tolerance (after that the timestamp check
/// refuses it anyway, and the guard forgets it).
///
/// What it guarantees: within one process, every verifier sharing the
/// guard accepts a signed request at most once, however many tasks or
/// threads verify at the same time (a request is remembered by its
/// signature, under a lock held for a few hundred nanoseconds). What it
/// does not: several processes (replicas behind a load balancer, a
/// restarted process) each remember only what they accepted — share a
/// store of your own across them, keyed by the same signature, for that.
/// Its memory is bounded: it holds at most `capacity` requests (about 64
/// bytes each); when all of them are still within the tolerance, a new
/// request is refused with [`VerifyError::ReplayGuardFull`] rather than
/// forgetting one that could then be replayed.
pub struct ReplayGuard {
    capacity: usize,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    signatures: HashSet<[u8; SIGNATURE_BYTES]>,
    /// In the order accepted, with when each may be forgotten.
    order: VecDeque<(SystemTime, [u8; SIGNATURE_BYTES])>,
}

impl ReplayGuard {
    /// A guard that remembers up to `capacity` requests (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// How many requests it remembers now.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic elsewhere while it was held leaves the sets consistent.
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits `signature` once, remembered until `expires`.
    fn admit(
        &self,
        signature: [u8; SIGNATURE_BYTES],
        expires: SystemTime,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let mut seen = self.lock();
        let Seen { signatures, order } = &mut *seen;
        // Forget what has expired: the oldest accepted first, and any
        // expired entry found at the front.
        while order.front().is_some_and(|(until, _)| *until <= now) {
            if let Some((_, old)) = order.pop_front() {
                signatures.remove(&old);
            }
        }
        if signatures.contains(&signature) {
            return Err(VerifyError::Replayed);
        }
        if order.len() >= self.capacity {
            // Entries accepted later may expire sooner: look at all of them
            // before refusing.
            order.retain(|(until, old)| {
                let keep = *until > now;
                if !keep {
                    signatures.remove(old);
                }
                keep
            });
            if order.len() >= self.capacity {
                return Err(VerifyError::ReplayGuardFull);
            }
        }
        signatures.insert(signature);
        order.push_back((expires, signature));
        Ok(())
    }
}

impl fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayGuard")
            .field("capacity", &self.capacity)
            .field("remembered", &self.len())
            .finish()
    }
}

/// A request whose signature and timestamp were verified.
#[derive(Clone, Copy, Debug)]
pub struct Verified<'body> {
    body: &'body [u8],
    sent: DateTime<Utc>,
}

impl<'body> Verified<'body> {
    /// The body, as received and verified.
    pub fn body(&self) -> &'body [u8] {
        self.body
    }

    /// When Ultravox sent it (the timestamp header).
    pub fn timestamp(&self) -> DateTime<Utc> {
        self.sent
    }

    /// The body decoded as `T`: a type of your own, the account webhooks'
    /// event, or `serde_json::Value` for a request whose body the API's
    /// document does not describe (what a batch sends its `webhookUrl`
    /// when it creates a call). A body that does not decode is an
    /// [`Error`] of kind [`Decode`](crate::ErrorKind::Decode) (no status:
    /// it is a request's body) with the key path where it failed, whose
    /// `Display` starts with `webhook request body:`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::decode(self.body).map_err(|err| err.in_operation("webhook request body", false))
    }
}

/// The one value of the header `header`.
fn header_value(headers: &HeaderMap, header: HeaderName) -> Result<&HeaderValue, VerifyError> {
    let mut values = headers.get_all(&header).iter();
    let Some(value) = values.next() else {
        return Err(VerifyError::Missing { header });
    };
    if values.next().is_some() {
        // Two timestamps or two signature lists: which one was signed?
        return Err(VerifyError::Malformed { header });
    }
    Ok(value)
}

/// The one value of the header `header`, as text.
fn header_text(headers: &HeaderMap, header: HeaderName) -> Result<&str, VerifyError> {
    header_value(headers, header.clone())?
        .to_str()
        .map_err(|_| VerifyError::Malformed { header })
}

/// RFC 3339, or ISO 8601 without an offset (read as UTC).
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|sent| sent.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|sent| sent.and_utc())
        })
        .ok()
}

/// 64 hex digits, either case.
fn decode_hex(digits: &[u8]) -> Option<[u8; SIGNATURE_BYTES]> {
    if digits.len() != 2 * SIGNATURE_BYTES {
        return None;
    }
    let mut bytes = [0; SIGNATURE_BYTES];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let nibble = |digit: u8| char::from(digit).to_digit(16);
        *byte = ((nibble(pair[0])? << 4) | nibble(pair[1])?) as u8;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_in_either_case_and_nothing_else() {
        let lower = "00ff".repeat(16);
        let upper = "00FF".repeat(16);
        let hex = |text: &str| decode_hex(text.as_bytes());
        assert_eq!(hex(&lower), hex(&upper));
        assert_eq!(hex(&lower).unwrap()[..2], [0x00, 0xff]);
        assert_eq!(hex(&lower[2..]), None, "too short");
        assert_eq!(hex(&format!("{lower}00")), None, "too long");
        assert_eq!(hex(&"0g".repeat(32)), None, "not hex");
        assert_eq!(hex(&"é".repeat(32)), None, "not ASCII");
    }

    #[test]
    fn timestamps_with_and_without_an_offset() {
        let utc = parse_timestamp("2026-12-04T18:00:00Z").unwrap();
        assert_eq!(parse_timestamp("2026-12-04T18:00:00"), Some(utc));
        assert_eq!(parse_timestamp("2026-12-04T19:00:00+01:00"), Some(utc));
        assert_eq!(
            parse_timestamp("2026-12-04T18:00:00.250").unwrap() - utc,
            chrono::TimeDelta::milliseconds(250)
        );
        for bad in ["", "yesterday", "2026-12-04", "18:00:00Z", "1733335200"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
