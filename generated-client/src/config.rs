//! Building a [`Client`]: key, base URL, timeouts, retries, limits.

use std::ffi::OsString;
use std::time::Duration;

use crate::auth::ApiKey;
use crate::connections::{Connections, build_http};
use crate::error::{Error, ErrorKind};
use crate::retry::RetryPolicy;
use crate::{Client, DEFAULT_BASE_URL};

/// Environment variable holding the API key (required by [`Client::from_env`]).
pub const API_KEY_VAR: &str = "ULTRAVOX_API_KEY";
/// Environment variable overriding the base URL (optional).
pub const BASE_URL_VAR: &str = "ULTRAVOX_BASE_URL";
/// The `User-Agent` this client sends: `ultravox-client/<version>`.
pub const USER_AGENT: &str = concat!("ultravox-client/", env!("CARGO_PKG_VERSION"));

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// What the generated client carries besides its `reqwest::Client`; read by
/// the hooks in `hooks.rs` on every request.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) api_key: ApiKey,
    pub(crate) retry: RetryPolicy,
    /// Per-attempt timeout, set on every request; `None`: none.
    pub(crate) timeout: Option<Duration>,
    /// Limit on a whole call, retries and waits included.
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) max_response_bytes: u64,
    /// The crate's own reqwest clients, one per runtime; `None` for a
    /// `reqwest_client` of the caller's, which is used as given.
    pub(crate) connections: Option<Connections>,
}

impl ClientConfig {
    /// The reqwest client to send with on the current runtime.
    pub(crate) fn http_for_this_runtime(&self, given: &reqwest::Client) -> reqwest::Client {
        match &self.connections {
            Some(connections) => connections.for_this_runtime(given),
            None => given.clone(),
        }
    }
}

/// Configures a [`Client`]. Start from [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: u64,
    reqwest_client: Option<reqwest::Client>,
    allow_prefix_in_base_url: bool,
    /// A problem found while reading the environment, reported by `build`.
    env_error: Option<String>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &redacted(&self.base_url))
            .field("timeout", &self.timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("reqwest_client", &self.reqwest_client)
            .field("allow_prefix_in_base_url", &self.allow_prefix_in_base_url)
            .finish()
    }
}

impl Client {
    /// A builder with the defaults: [`DEFAULT_BASE_URL`], 30 s per attempt,
    /// no operation timeout, 10 s connect timeout, 2 retries, responses up
    /// to 32 MiB. An API key is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Some(DEFAULT_TIMEOUT),
            operation_timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            reqwest_client: None,
            allow_prefix_in_base_url: false,
            env_error: None,
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
    /// The API key is sent only there: no user name or password, query or
    /// fragment is accepted, and redirects are not followed. Every request
    /// path already starts with the API's prefix (`/api/…`), so a base URL
    /// whose path ends in it (`https://host/api`) is refused unless
    /// [`ClientBuilder::allow_prefix_in_base_url`] says it is meant.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Accept a base URL whose path ends in the prefix every request path
    /// starts with (`/api`), for a gateway that strips one such prefix
    /// before the API sees the request: requests then go to `…/api/api/…`.
    pub fn allow_prefix_in_base_url(mut self, allowed: bool) -> Self {
        self.allow_prefix_in_base_url = allowed;
        self
    }

    /// Limit on each attempt of a request, body included (default 30 s),
    /// whichever reqwest client sends it (one of
    /// [`ClientBuilder::reqwest_client`] too). A stalled server ends in
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) once retries run out. A call can override it;
    /// [`ClientBuilder::disable_timeout`] turns it off.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No limit on an attempt: it waits as long as the server takes, unless
    /// a [`ClientBuilder::reqwest_client`] of your own has a timeout of its
    /// own, or [`ClientBuilder::operation_timeout`] ends the whole call.
    pub fn disable_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Limit on a whole call: every attempt, and every wait between them
    /// (default: none, so a call can take up to `max_retries + 1` times
    /// [`ClientBuilder::timeout`] plus the waits). A call that reaches it
    /// ends in [`ErrorKind::OperationTimeout`](crate::ErrorKind::OperationTimeout); a wait before a retry that would
    /// not end before it is not started: the call returns the last answer
    /// (its status and `Retry-After`) at once. For a listing it applies to each
    /// page's call. A call can override it.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Limit on establishing a connection (default 10 s). Not applied to a
    /// client passed to [`ClientBuilder::reqwest_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after the first attempt (default 2). `0` disables retrying.
    /// A listing can override it.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The first and the largest backoff between attempts (default 500 ms
    /// and 8 s); each delay is jittered between half and all of it, so the
    /// largest is never exceeded.
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

    /// The largest response body accepted (default 32 MiB). A larger one —
    /// announced by `Content-Length` or counted while reading — fails with
    /// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) without being buffered past the limit.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Use this `reqwest::Client` (proxies, custom TLS, connection pools).
    /// The crate's attempt timeout ([`ClientBuilder::timeout`], 30 s unless
    /// changed) is set on each request it sends; the connect timeout is
    /// the client's own.
    ///
    /// It is used as given, on every runtime: its pooled connections belong
    /// to the runtime that opened them, so use it on one runtime (or a
    /// multi-thread runtime that keeps running). The crate's own client
    /// keeps a pool per runtime instead.
    ///
    /// The crate cannot see or change this client's settings, so set two of
    /// them yourself: `.redirect(reqwest::redirect::Policy::none())`, or a
    /// redirect would carry the API key (a custom header, which reqwest
    /// does not strip) to whatever host it names; and
    /// `.user_agent(ultravox_client::USER_AGENT)` if you want the crate's
    /// `User-Agent` (the client's own, if any, is sent unchanged).
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.reqwest_client = Some(client);
        self
    }

    /// Takes the key from `ULTRAVOX_API_KEY` and, when set, the base URL
    /// from `ULTRAVOX_BASE_URL`. A variable that is not valid Unicode, or a
    /// base URL that is set but blank, makes [`ClientBuilder::build`] fail,
    /// naming it: a typo never sends the key to the default URL.
    pub fn from_env(self) -> Self {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`ClientBuilder::from_env`], reading the variables through `lookup`
    /// instead of the process environment (a tool's own settings, a test).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use ultravox_client::{API_KEY_VAR, Client};
    ///
    /// let client = Client::builder()
    ///     .from_env_with(|name| (name == API_KEY_VAR).then(|| OsString::from("uvx-key")))
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn from_env_with(mut self, lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut read = |name: &str| match lookup(name)?.into_string() {
            Ok(value) => Some(value),
            Err(_) => {
                self.env_error
                    .get_or_insert_with(|| format!("{name} is set but is not valid Unicode"));
                None
            }
        };
        let api_key = read(API_KEY_VAR);
        let base_url = read(BASE_URL_VAR);
        self.api_key = api_key;
        match base_url {
            Some(url) if url.trim().is_empty() => {
                self.env_error.get_or_insert_with(|| {
                    format!("{BASE_URL_VAR} is set but blank; unset it to use {DEFAULT_BASE_URL}")
                });
            }
            Some(url) => self.base_url = url,
            None => {}
        }
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(problem) = self.env_error {
            return Err(config_error(problem));
        }
        let api_key = match &self.api_key {
            None => {
                return Err(config_error(format!(
                    "no API key: set {API_KEY_VAR} or call ClientBuilder::api_key"
                )));
            }
            Some(key) => ApiKey::new(key)
                .map_err(|why| config_error(format!("the API key ({API_KEY_VAR}) {why}")))?,
        };
        let base_url = normalize_base_url(&self.base_url, self.allow_prefix_in_base_url)?;
        let (http, connections) = match self.reqwest_client {
            Some(client) => (client, None),
            None => {
                let client = build_http(self.connect_timeout)
                    .map_err(|err| config_error(format!("cannot build the HTTP client: {err}")))?;
                let connections = Connections::new(client.clone(), self.connect_timeout);
                (client, Some(connections))
            }
        };
        let config = ClientConfig {
            api_key,
            retry: self.retry,
            timeout: self.timeout,
            operation_timeout: self.operation_timeout,
            max_response_bytes: self.max_response_bytes,
            connections,
        };
        Ok(Client::new_with_client(&base_url, http, config))
    }
}

/// An absolute http(s) URL without a trailing `/` (the generated code
/// appends `/api/...`), whose path does not end in that prefix unless
/// `prefix_allowed`. Errors never repeat a password.
fn normalize_base_url(raw: &str, prefix_allowed: bool) -> Result<String, Error> {
    let shown = redacted(raw);
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|err| config_error(format!("invalid base URL {shown}: {err}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(format!(
            "invalid base URL {shown}: a user name or password in it would be sent as Basic \
             auth beside the API key; remove it"
        )));
    }
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(config_error(format!(
            "invalid base URL {shown}: expected http(s)://host[:port][/path], without ?query or #fragment"
        )));
    }
    let path = url.path().trim_end_matches('/');
    let prefix = crate::generated::PATH_PREFIX;
    if !prefix_allowed && !prefix.is_empty() && path.ends_with(prefix) {
        let without = shown.trim_end_matches('/').trim_end_matches(prefix);
        return Err(config_error(format!(
            "invalid base URL {shown}: its path ends in {prefix}, which every request path of \
             the API already starts with ({prefix}/…), so requests would go to \
             {prefix}{prefix}/…; use {without}, or call \
             ClientBuilder::allow_prefix_in_base_url(true) for a gateway that strips it"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `raw` for messages: user name and password replaced, a query or
/// fragment (it may carry a token) shown as `…`, at most 200 characters,
/// control characters escaped.
fn redacted(raw: &str) -> String {
    let shown = match reqwest::Url::parse(raw.trim()) {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
            }
            let (query, fragment) = (url.query().is_some(), url.fragment().is_some());
            url.set_query(None);
            url.set_fragment(None);
            let mut shown = url.to_string();
            if query {
                shown.push_str("?…");
            }
            if fragment {
                shown.push_str("#…");
            }
            shown
        }
        // Unparsable: it may still hold a password; show only its shape.
        Err(_) if raw.contains('@') => format!("<{} characters>", raw.chars().count()),
        Err(_) => match raw.split_once(['?', '#']) {
            Some((before, _)) => format!("{before}…"),
            None => raw.to_owned(),
        },
    };
    crate::error::one_line(&shown, 200)
}

/// A configuration error (no operation: nothing was called).
fn config_error(problem: String) -> Error {
    ErrorKind::Config(problem).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_vars(vars: &[(&str, &str)]) -> Result<Client, Error> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Client::builder()
            .from_env_with(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
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

    #[cfg(unix)]
    #[test]
    fn env_that_is_not_unicode_is_named() {
        use std::os::unix::ffi::OsStringExt;
        for name in [API_KEY_VAR, BASE_URL_VAR] {
            let err = Client::builder()
                .api_key("k")
                .from_env_with(|wanted| {
                    (wanted == name).then(|| OsString::from_vec(vec![b'h', 0xff, b'x']))
                })
                .build()
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(name) && err.contains("not valid Unicode"),
                "{err}"
            );
        }
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        for url in [
            "api.ultravox.ai",
            "ftp://x",
            "http://x/?q=1",
            "",
            "http://host/stem#",
            "http://host/#frag",
        ] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Config(_)), "{url}: {err}");
        }
    }

    #[test]
    fn a_password_in_the_base_url_is_refused_and_never_shown() {
        for url in [
            "http://user:hunter2@127.0.0.1:9",
            "http://user:hunter2@127.0.0.1:notaport",
        ] {
            let builder = Client::builder().api_key("k").base_url(url);
            assert!(!format!("{builder:?}").contains("hunter2"), "{builder:?}");
            let err = builder.build().unwrap_err();
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains("hunter2"), "{text}");
            }
        }
    }

    #[test]
    fn a_blank_base_url_variable_is_refused_not_ignored() {
        for blank in ["", "  ", "\t\n"] {
            let err = from_vars(&[(API_KEY_VAR, "k"), (BASE_URL_VAR, blank)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(BASE_URL_VAR) && err.contains("blank"),
                "{blank:?}: {err}"
            );
        }
    }

    #[test]
    fn a_refused_base_url_never_repeats_its_query_or_fragment() {
        for url in [
            "http://host/?token=s3cret",
            "ftp://host/?token=s3cret",
            "http://host/#token=s3cret",
            "http://host:notaport/?token=s3cret",
        ] {
            let err = Client::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .unwrap_err();
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains("s3cret"), "{url}: {text}");
            }
        }
    }

    #[test]
    fn a_key_that_is_not_printable_ascii_is_refused_without_repeating_it() {
        for key in ["ключ", "uvx-key\u{200b}", "uvx\u{7f}key", "uvx-ké"] {
            let err = Client::builder().api_key(key).build().unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err.kind(), ErrorKind::Config(_)),
                "{key:?}: {text}"
            );
            assert!(text.contains("printable ASCII"), "{key:?}: {text}");
            assert!(!text.contains(key.trim()), "{key:?}: {text}");
        }
        assert!(Client::builder().api_key(" uvx-key ").build().is_ok());
    }
}
