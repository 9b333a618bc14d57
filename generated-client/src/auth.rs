//! The API key: sent as `X-API-Key`, never printed.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

/// The header the API reads the key from.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// An Ultravox API key. Its `Debug` output is redacted, and the header value
/// is marked sensitive so HTTP-level logging redacts it too.
#[derive(Clone)]
pub(crate) struct ApiKey(HeaderValue);

impl ApiKey {
    /// Returns `None` for a key that is empty or not a valid header value.
    pub(crate) fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        let mut value = HeaderValue::from_str(key).ok()?;
        value.set_sensitive(true);
        Some(Self(value))
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
