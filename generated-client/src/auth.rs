//! The API key: sent in the spec's API-key header, never printed.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

/// An Ultravox API key. Its `Debug` output is redacted, and the header value
/// is marked sensitive so HTTP-level logging redacts it too.
#[derive(Clone)]
pub(crate) struct ApiKey {
    header: HeaderName,
    value: HeaderValue,
}

impl ApiKey {
    /// The key without surrounding whitespace, or why it cannot be sent;
    /// the reason never repeats the key.
    pub(crate) fn new(key: &str) -> Result<Self, &'static str> {
        let key = key.trim();
        if key.is_empty() {
            return Err("is empty");
        }
        // HTTP allows other bytes in a header value, but then sends them as
        // raw bytes the server reads as it pleases: a key is printable ASCII.
        if !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(
                "contains a character other than printable ASCII (a control character, \
                 a non-ASCII letter or an invisible character such as U+200B); copy it again",
            );
        }
        let mut value = HeaderValue::from_str(key).map_err(|_| "is not a valid header value")?;
        value.set_sensitive(true);
        // codegen only emits a header name that is a valid HTTP token.
        let header = HeaderName::from_bytes(crate::API_KEY_HEADER.as_bytes())
            .map_err(|_| "cannot be sent: the spec's API-key header name is invalid")?;
        Ok(Self { header, value })
    }

    /// The header to send: its name and the (sensitive) key.
    pub(crate) fn header(&self) -> (HeaderName, HeaderValue) {
        (self.header.clone(), self.value.clone())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
