//! Verifying the webhooks Ultravox sends (feature `webhooks`).
//!
//! Ultravox signs each webhook request with a secret the two sides share: a
//! batch's `webhookSecret` for the requests its `webhookUrl` receives, an
//! account webhook's `secrets` for its events. The request carries
//!
//! - [`TIMESTAMP_HEADER`]: when it was sent, ISO 8601 (RFC 3339, or without
//!   an offset, which is read as UTC);
//! - [`SIGNATURE_HEADER`]: the hex HMAC-SHA256, keyed by the secret, of the
//!   raw request body followed by the timestamp header's value; several
//!   signatures separated by commas while secrets rotate, any one matching
//!   is enough.
//!
//! A [`Verifier`] checks both against the raw body as received (before any
//! JSON parsing: a re-encoded body no longer matches), then that the
//! timestamp is recent, so a captured request cannot be replayed later. It
//! works on the `http` crate's types and knows no web framework; see
//! `examples/webhooks.rs` for a receiving endpoint on hyper.
//!
//! ```
//! use std::time::SystemTime;
//! use ultravox_client::webhooks::Verifier;
//!
//! fn receive(headers: &http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = Verifier::new(["the batch's webhookSecret"]);
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
//!     let verifier = Verifier::new(["the old secret", "the new secret"]);
//!     let event: AccountWebhookEvent = verifier.verify(headers, body, SystemTime::now())?.decode()?;
//!     match event.event {
//!         Events::CallEnded => println!("call {} ended: {:?}", event.call.call_id, event.call.end_reason),
//!         other => println!("{other} for call {}", event.call.call_id),
//!     }
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::digest::CtOutput;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::Error;

/// The header that says when Ultravox sent the request (ISO 8601).
pub const TIMESTAMP_HEADER: HeaderName = HeaderName::from_static("x-ultravox-webhook-timestamp");
/// The header that carries the signatures: hex HMAC-SHA256, comma-separated.
pub const SIGNATURE_HEADER: HeaderName = HeaderName::from_static("x-ultravox-webhook-signature");

/// How old a request may be: Ultravox's documentation suggests a minute.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(60);
/// How far ahead of this machine's clock a timestamp may be (the sender's
/// clock may run a little fast).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(10);

/// HMAC-SHA256's output, in bytes.
const SIGNATURE_BYTES: usize = 32;

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
    /// The verifier has no secret to check with.
    NoSecrets,
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
        }
    }
}

impl std::error::Error for VerifyError {}

/// Checks webhook requests against one or more secrets (several while a
/// secret rotates: any one may have signed).
///
/// Its `Debug` does not show the secrets.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<HmacSha256>,
    tolerance: Duration,
    clock_skew: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("{} redacted", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .field("clock_skew", &self.clock_skew)
            .finish()
    }
}

impl Verifier {
    /// A verifier for `secrets` (as configured in Ultravox: the text, used
    /// as UTF-8 bytes), with [`DEFAULT_TOLERANCE`] and
    /// [`DEFAULT_CLOCK_SKEW`].
    pub fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let keys = secrets
            .into_iter()
            .map(|secret| {
                // HMAC takes a key of any length.
                HmacSha256::new_from_slice(secret.as_ref()).expect("HMAC accepts any key length")
            })
            .collect();
        Self {
            keys,
            tolerance: DEFAULT_TOLERANCE,
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
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
    /// [`VerifyError::Stale`] and [`VerifyError::FromTheFuture`] are only
    /// said of requests Ultravox did sign. Comparisons take the same time
    /// whichever byte differs.
    pub fn verify<'body>(
        &self,
        headers: &HeaderMap,
        body: &'body [u8],
        now: SystemTime,
    ) -> Result<Verified<'body>, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NoSecrets);
        }
        let sent_text = header_text(headers, TIMESTAMP_HEADER)?;
        let signatures = header_text(headers, SIGNATURE_HEADER)?;
        let sent = parse_timestamp(sent_text).ok_or(VerifyError::Malformed {
            header: TIMESTAMP_HEADER,
        })?;
        let signatures = signatures
            .split(',')
            .map(|signature| decode_hex(signature.trim()))
            .collect::<Option<Vec<_>>>()
            .ok_or(VerifyError::Malformed {
                header: SIGNATURE_HEADER,
            })?;

        let matched = self.keys.iter().any(|key| {
            let mut mac = key.clone();
            mac.update(body);
            mac.update(sent_text.as_bytes());
            let expected = mac.finalize();
            signatures
                .iter()
                .any(|signature| expected == CtOutput::new((*signature).into()))
        });
        if !matched {
            return Err(VerifyError::NoSignatureMatched);
        }

        let sent_at = SystemTime::from(sent);
        match now.duration_since(sent_at) {
            Ok(age) if age > self.tolerance => Err(VerifyError::Stale { age }),
            Ok(_) => Ok(Verified { body, sent }),
            Err(ahead) => match ahead.duration() {
                ahead if ahead > self.clock_skew => Err(VerifyError::FromTheFuture { ahead }),
                _ => Ok(Verified { body, sent }),
            },
        }
    }
}

/// Verifies a request with [`Verifier::new`]`(secrets)`'s defaults: a
/// minute's tolerance, ten seconds of clock skew.
pub fn verify<'body, S: AsRef<[u8]>>(
    secrets: impl IntoIterator<Item = S>,
    headers: &HeaderMap,
    body: &'body [u8],
    now: SystemTime,
) -> Result<Verified<'body>, VerifyError> {
    Verifier::new(secrets).verify(headers, body, now)
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
    /// [`Error`] of kind [`Decode`](crate::ErrorKind::Decode) with the key
    /// path where it failed.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::decode(self.body)
    }
}

/// The one value of the header `header`, as text.
fn header_text(headers: &HeaderMap, header: HeaderName) -> Result<&str, VerifyError> {
    let mut values = headers.get_all(&header).iter();
    let Some(value) = values.next() else {
        return Err(VerifyError::Missing { header });
    };
    if values.next().is_some() {
        // Two timestamps or two signature lists: which one was signed?
        return Err(VerifyError::Malformed { header });
    }
    value
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
fn decode_hex(text: &str) -> Option<[u8; SIGNATURE_BYTES]> {
    let digits = text.as_bytes();
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
        assert_eq!(decode_hex(&lower), decode_hex(&upper));
        assert_eq!(decode_hex(&lower).unwrap()[..2], [0x00, 0xff]);
        assert_eq!(decode_hex(&lower[2..]), None, "too short");
        assert_eq!(decode_hex(&format!("{lower}00")), None, "too long");
        assert_eq!(decode_hex(&"0g".repeat(32)), None, "not hex");
        assert_eq!(decode_hex(&"é".repeat(32)), None, "not ASCII");
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
