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
    /// Returns `None` for a key that is empty or not a valid header value.
    pub(crate) fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        let mut value = HeaderValue::from_str(key).ok()?;
        value.set_sensitive(true);
        // codegen only emits a header name that is a valid HTTP token.
        let header = HeaderName::from_bytes(crate::API_KEY_HEADER.as_bytes()).ok()?;
        Some(Self { header, value })
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
