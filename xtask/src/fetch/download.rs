//! Downloading the vendor's document: bounded in time, size and redirects,
//! retried (twice, with backoff) only when the server failed or could not
//! be reached, and conditional on what was fetched last, so an unchanged
//! document costs a 304.

use crate::sinks::line::one_line;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use backon::{BlockingRetryable, ExponentialBuilder};

/// The largest document accepted (the real one is about 260 KB).
pub const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Redirects followed before giving up (a loop ends here).
const MAX_REDIRECTS: u32 = 5;
/// Retries after the first attempt, for a 5xx or a connection that failed.
const RETRIES: usize = 2;

/// How a download may go; the default is what `sync` and `watch` use.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Limit on connecting.
    pub connect: Duration,
    /// Limit on one attempt as a whole, the body included.
    pub total: Duration,
    /// The first wait before a retry (doubled for the next).
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(50),
            backoff: Duration::from_secs(2),
        }
    }
}

/// What the last download left, to ask for changes only.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The outcome of a download.
#[derive(Debug)]
pub enum Downloaded {
    /// `304 Not Modified`: the document is the one fetched last.
    NotModified,
    Document {
        bytes: Vec<u8>,
        /// The `ETag` and `Last-Modified` the server sent, if any.
        validators: Validators,
    },
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    transient: bool,
}

/// Downloads `url`, sending `known`'s validators (`If-None-Match`,
/// `If-Modified-Since`) when given.
pub fn download(url: &str, known: Option<&Validators>, limits: Limits) -> Result<Downloaded> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(limits.connect))
        .timeout_global(Some(limits.total))
        // Redirects are followed here, only within the URL's origin.
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("ultravox-client-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let origin = super::origin::origin(url);
    let attempt = || -> std::result::Result<Downloaded, Failure> {
        let mut current = url.to_owned();
        let mut redirects = 0;
        let (mut response, asked) = loop {
            let mut request = agent.get(&current);
            let mut asked = false;
            if let Some(known) = known {
                if let Some(etag) = &known.etag {
                    request = request.header("If-None-Match", etag);
                    asked = true;
                }
                if let Some(date) = &known.last_modified {
                    request = request.header("If-Modified-Since", date);
                    asked = true;
                }
            }
            let response = request.call().map_err(|err| failure(url, limits, err))?;
            if !response.status().is_redirection() || response.status() == 304 {
                break (response, asked);
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            let next = if location.starts_with('/') && !location.starts_with("//") {
                let base = super::origin::scheme_and_authority(&current);
                format!("{base}{location}")
            } else {
                location.to_owned()
            };
            if super::origin::origin(&next) != origin || origin.is_none() {
                return Err(Failure {
                    message: format!(
                        "{url} redirected to {}, which is not on its origin; the document must \
                         come from where the workflow says, so it was not fetched",
                        one_line(location)
                    ),
                    transient: false,
                });
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(Failure {
                    message: format!(
                        "{url} redirected more than {MAX_REDIRECTS} times (a redirect loop?)"
                    ),
                    transient: false,
                });
            }
            current = next;
        };
        let status = response.status();
        if status == 304 {
            if !asked {
                return Err(Failure {
                    message: format!(
                        "{url} answered 304 Not Modified to a request that named no version \
                         (no If-None-Match, no If-Modified-Since): the server or a cache in \
                         between is wrong; nothing was taken in"
                    ),
                    transient: false,
                });
            }
            return Ok(Downloaded::NotModified);
        }
        if !status.is_success() {
            return Err(Failure {
                message: format!(
                    "{url} answered HTTP {status}{}",
                    if status.is_server_error() {
                        format!(" after {} attempts", RETRIES + 1)
                    } else {
                        String::new()
                    }
                ),
                transient: status.is_server_error(),
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        if let Some(encoding) =
            header("content-encoding").filter(|encoding| !encoding.eq_ignore_ascii_case("identity"))
        {
            return Err(Failure {
                message: format!(
                    "{url} sent a body compressed with {} although none was asked for; the \
                     document is taken in as sent, uncompressed",
                    one_line(&encoding)
                ),
                transient: false,
            });
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_vec()
            .map_err(|err| match err {
                // The head arrived: a failure now is a body cut short.
                ureq::Error::Io(io) => Failure {
                    message: format!(
                        "{url} sent a body cut short ({io}); it was not taken in, download it \
                         again"
                    ),
                    transient: true,
                },
                err => failure(url, limits, err),
            })?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Err(Failure {
                message: format!("{url} sent a gzip-compressed body without saying so"),
                transient: false,
            });
        }
        Ok(Downloaded::Document { bytes, validators })
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(limits.backoff)
        .with_max_times(RETRIES);
    attempt
        .retry(backoff)
        .sleep(std::thread::sleep)
        .when(|failed| failed.transient)
        .call()
        .map_err(|failed| anyhow!("{}", failed.message))
}

/// What a transport error means for the user, naming the limit it hit.
fn failure(url: &str, limits: Limits, err: ureq::Error) -> Failure {
    use ureq::Error;
    let (message, transient) = match &err {
        Error::Timeout(_) => (
            format!(
                "{url} did not answer within the download timeout ({} s to connect, {} s in \
                 all)",
                limits.connect.as_secs(),
                limits.total.as_secs()
            ),
            false,
        ),
        Error::BodyExceedsLimit(_) => (
            format!("{url} sent more than the size limit of {MAX_BYTES} bytes (32 MiB)"),
            false,
        ),
        Error::TooManyRedirects => (
            format!("{url} redirected more than {MAX_REDIRECTS} times (a redirect loop?)"),
            false,
        ),
        Error::ConnectionFailed | Error::HostNotFound | Error::Io(_) => {
            (format!("cannot connect to {url}: {err}"), true)
        }
        _ => (format!("cannot download {url}: {err}"), false),
    };
    Failure { message, transient }
}

/// Whether `source` names a URL rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Refuses a download that is not text.
pub fn text(bytes: Vec<u8>, url: &str) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() => bail!("{url} sent an empty body"),
        Ok(text) => Ok(text),
        Err(err) => bail!("{url} sent a body that is not UTF-8 text ({err})"),
    }
}
