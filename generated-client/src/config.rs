//! Building a [`Client`]: key, base URL, timeouts, retries.

use std::time::Duration;

use crate::auth::ApiKey;
use crate::retry::RetryPolicy;
use crate::{Client, DEFAULT_BASE_URL, Error};

/// Environment variable holding the API key (required by [`Client::from_env`]).
pub const API_KEY_VAR: &str = "ULTRAVOX_API_KEY";
/// Environment variable overriding the base URL (optional).
pub const BASE_URL_VAR: &str = "ULTRAVOX_BASE_URL";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the generated client carries besides its `reqwest::Client`; read by
/// the hooks in `hooks.rs` on every request.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) api_key: ApiKey,
    pub(crate) retry: RetryPolicy,
    /// Per-request timeout; `None` leaves a caller's `reqwest::Client` in charge.
    pub(crate) timeout: Option<Duration>,
}

/// Configures a [`Client`]. Start from [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    reqwest_client: Option<reqwest::Client>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("reqwest_client", &self.reqwest_client)
            .finish()
    }
}

impl Client {
    /// A builder with the defaults: [`DEFAULT_BASE_URL`], 30 s request
    /// timeout, 10 s connect timeout, 2 retries. An API key is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            reqwest_client: None,
        }
    }

    /// A client configured from `ULTRAVOX_API_KEY` (required) and
    /// `ULTRAVOX_BASE_URL` (optional, default [`DEFAULT_BASE_URL`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().from_env().build()
    }
}

impl ClientBuilder {
    /// The key sent in the [`API_KEY_HEADER`](crate::API_KEY_HEADER) header on every request.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Scheme, host, optional port and path stem, e.g. `http://127.0.0.1:8080`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Limit on a whole request, body included (default 30 s). A stalled
    /// server ends in [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit on establishing a connection (default 10 s). Not applied to a
    /// client passed to [`ClientBuilder::reqwest_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after the first attempt (default 2). `0` disables retrying.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The first and the largest backoff between attempts (default 500 ms
    /// and 8 s); each delay is jittered.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.retry.min_delay = first;
        self.retry.max_delay = max.max(first);
        self
    }

    /// The longest `Retry-After` the client will wait (default 60 s); a
    /// longer one fails the call with the server's response instead.
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.retry.max_retry_after = limit;
        self
    }

    /// Use this `reqwest::Client` (proxies, custom TLS, connection pools).
    /// Its own timeouts apply unless [`ClientBuilder::timeout`] is set too.
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.reqwest_client = Some(client);
        self
    }

    /// Takes the key from `ULTRAVOX_API_KEY` and, when set, the base URL
    /// from `ULTRAVOX_BASE_URL`.
    pub fn from_env(self) -> Self {
        self.env(|name| std::env::var(name).ok())
    }

    /// Reads the key and base URL through `lookup`.
    fn env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        self.api_key = lookup(API_KEY_VAR);
        if let Some(url) = lookup(BASE_URL_VAR).filter(|url| !url.trim().is_empty()) {
            self.base_url = url;
        }
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let api_key = match &self.api_key {
            None => {
                return Err(Error::Config(format!(
                    "no API key: set {API_KEY_VAR} or call ClientBuilder::api_key"
                )));
            }
            Some(key) => ApiKey::new(key).ok_or_else(|| {
                Error::Config(format!(
                    "the API key ({API_KEY_VAR}) is empty or not a valid header value"
                ))
            })?,
        };
        let base_url = normalize_base_url(&self.base_url)?;
        let (http, timeout) = match self.reqwest_client {
            Some(client) => (client, self.timeout),
            None => {
                let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
                let client = reqwest::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(self.connect_timeout)
                    .build()
                    .map_err(|err| Error::Config(format!("cannot build the HTTP client: {err}")))?;
                (client, Some(timeout))
            }
        };
        let config = ClientConfig {
            api_key,
            retry: self.retry,
            timeout,
        };
        Ok(Client::new_with_client(&base_url, http, config))
    }
}

/// An absolute http(s) URL without a trailing `/` (the generated code
/// appends `/api/...`).
fn normalize_base_url(raw: &str) -> Result<String, Error> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|err| Error::Config(format!("invalid base URL {raw:?}: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
        return Err(Error::Config(format!(
            "invalid base URL {raw:?}: expected http(s)://host[:port][/path]"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_vars(vars: &[(&str, &str)]) -> Result<Client, Error> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Client::builder()
            .env(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .build()
    }

    #[test]
    fn env_needs_the_key() {
        for vars in [&[][..], &[(API_KEY_VAR, "")], &[(API_KEY_VAR, "  ")]] {
            let err = from_vars(vars).unwrap_err().to_string();
            assert!(err.contains(API_KEY_VAR), "{err}");
        }
    }

    #[test]
    fn env_base_url_defaults_and_overrides() {
        let client = from_vars(&[(API_KEY_VAR, "k")]).unwrap();
        assert_eq!(client.baseurl, DEFAULT_BASE_URL);
        let client = from_vars(&[
            (API_KEY_VAR, "k"),
            (BASE_URL_VAR, "http://127.0.0.1:9/stem/"),
        ])
        .unwrap();
        assert_eq!(client.baseurl, "http://127.0.0.1:9/stem");
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        for url in ["api.ultravox.ai", "ftp://x", "http://x/?q=1", ""] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{url}: {err}");
        }
    }
}
