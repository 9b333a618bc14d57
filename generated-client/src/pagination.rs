//! Listing a batch's scheduled calls: one page, every page, or every call.
//!
//! Pages are fetched in order, the next one while the current one is used:
//! memory stays at two pages at most, however long the batch.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, TryStreamExt, stream};
use progenitor_client::ResponseValue;
use uuid::Uuid;

use crate::builder::AgentsScheduledBatchesScheduledCallsList;
use crate::call::{self, CallOptions};
use crate::types::{PaginatedScheduledCallList, ScheduledCall};
use crate::{Client, Error};

impl Client {
    /// Lists the scheduled calls of `batch_id`, which belongs to `agent_id`.
    ///
    /// ```no_run
    /// # async fn demo(client: ultravox_client::Client, agent: uuid::Uuid, batch: uuid::Uuid)
    /// # -> Result<(), ultravox_client::Error> {
    /// use futures_util::TryStreamExt;
    /// use ultravox_client::types::ScheduledCallStatus;
    ///
    /// let mut calls = std::pin::pin!(client
    ///     .list_scheduled_calls(agent, batch)
    ///     .status(ScheduledCallStatus::Error)
    ///     .page_size(100)
    ///     .stream());
    /// while let Some(call) = calls.try_next().await? {
    ///     println!("{:?}: {:?}", call.call_id, call.error);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_scheduled_calls(&self, agent_id: Uuid, batch_id: Uuid) -> ListScheduledCalls<'_> {
        ListScheduledCalls {
            request: self
                .agents_scheduled_batches_scheduled_calls_list()
                .agent_id(agent_id)
                .batch_id(batch_id),
            options: CallOptions::default(),
            paging: Paging::default(),
        }
    }
}

/// A listing request; see [`Client::list_scheduled_calls`]. Its query
/// parameters (`.status()`, `.page_size()`, `.cursor()`, and any the API
/// adds) are generated from the spec, and the same ones are sent with every
/// page. `.timeout()` and `.max_retries()` override the client's settings
/// for this call and every page it fetches.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListScheduledCalls<'a> {
    /// progenitor's builder for the operation, with the path set.
    request: AgentsScheduledBatchesScheduledCallsList<'a>,
    options: CallOptions,
    paging: Paging,
}

/// How `.pages()` and `.stream()` walk the listing.
#[derive(Clone, Copy, Debug)]
struct Paging {
    read_ahead: bool,
    max_pages: Option<u64>,
    max_empty_pages: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            read_ahead: true,
            max_pages: None,
            max_empty_pages: 100,
        }
    }
}

/// A cursor longer than this is refused: no real cursor is near it, and
/// the request it makes would be refused anyway.
const MAX_CURSOR_BYTES: usize = 4096;

type Page = ResponseValue<PaginatedScheduledCallList>;
type Fetch<'a> =
    Pin<Box<dyn Future<Output = (Result<Page, Error>, Option<reqwest::Url>)> + Send + 'a>>;

impl<'a> ListScheduledCalls<'a> {
    /// Changes the underlying request; the generated parameter methods use it.
    pub(crate) fn map_request(
        mut self,
        change: impl FnOnce(
            AgentsScheduledBatchesScheduledCallsList<'a>,
        ) -> AgentsScheduledBatchesScheduledCallsList<'a>,
    ) -> Self {
        self.request = change(self.request);
        self
    }

    /// Limit on each request of this call, body included (overrides
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt, for each request of this call
    /// (overrides [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries)).
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.options.max_retries = Some(retries);
        self
    }

    /// Whether `.pages()` and `.stream()` fetch the next page while the
    /// current one is being used (default: on). At most one page is fetched
    /// ahead, so at most two pages are in memory.
    pub fn read_ahead(mut self, enabled: bool) -> Self {
        self.paging.read_ahead = enabled;
        self
    }

    /// Stop with [`Error::Pagination`] rather than fetch more than `pages`
    /// pages (default: no limit besides the loop guards).
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.paging.max_pages = Some(pages);
        self
    }

    /// Fetches one page, keeping the response's status and headers.
    pub async fn send(&self) -> Result<Page, Error> {
        self.fetch(false).await.0
    }

    /// One page, and the URL that was sent for it; `detached`: on a task of
    /// its own (a page fetched ahead).
    fn fetch(&self, detached: bool) -> Fetch<'a> {
        let request = self.request.clone();
        let options = CallOptions {
            detached,
            ..self.options
        };
        Box::pin(call::scoped(options, async move {
            match request.send().await {
                Ok(page) => Ok(page),
                Err(err) => Err(Error::from_generated(err).await),
            }
        }))
    }

    /// Every page, following `next` until it is null. Each `next` link is
    /// reduced to its `cursor`, which is sent to the configured base URL: the
    /// host inside the link is never called. The next page is fetched while
    /// the current one is used (see [`Self::read_ahead`]); dropping the
    /// stream cancels that fetch.
    ///
    /// The walk stops with [`Error::Pagination`], after the last good page,
    /// when a `next` link has no cursor, repeats a cursor already fetched
    /// (no page is delivered twice), or after 100 empty pages in a row or
    /// [`Self::max_pages`] pages.
    pub fn pages(self) -> impl Stream<Item = Result<Page, Error>> + Send + 'a {
        Pages {
            guard: Guard::new(self.paging),
            in_flight: Some(self.fetch(false)),
            listing: self,
            ahead: None,
            failure: None,
        }
    }

    /// Every scheduled call of every page, in order.
    pub fn stream(self) -> impl Stream<Item = Result<ScheduledCall, Error>> + Send + 'a {
        self.pages()
            .map_ok(|page| stream::iter(page.into_inner().results.into_iter().map(Ok)))
            .try_flatten()
    }
}

/// The page stream of [`ListScheduledCalls::pages`].
struct Pages<'a> {
    /// The request for the next page.
    listing: ListScheduledCalls<'a>,
    /// The next page's fetch, once it has been decided there is one.
    in_flight: Option<Fetch<'a>>,
    /// The next page, when it arrived before it was asked for.
    ahead: Option<(Result<Page, Error>, Option<reqwest::Url>)>,
    /// Why the walk stops, delivered after the page that showed it.
    failure: Option<Error>,
    guard: Guard,
}

impl Stream for Pages<'_> {
    type Item = Result<Page, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(failure) = this.failure.take() {
            return Poll::Ready(Some(Err(failure)));
        }
        let (result, sent) = match this.ahead.take() {
            Some(outcome) => outcome,
            None => match this.in_flight.as_mut() {
                None => return Poll::Ready(None),
                Some(fetch) => match fetch.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(outcome) => {
                        this.in_flight = None;
                        outcome
                    }
                },
            },
        };
        let page = match result {
            Ok(page) => page,
            Err(err) => return Poll::Ready(Some(Err(err))),
        };
        match this.guard.next(sent.as_ref(), &page) {
            Ok(None) => {}
            Ok(Some(cursor)) => {
                this.listing = this.listing.clone().cursor(cursor);
                let read_ahead = this.listing.paging.read_ahead;
                let mut fetch = this.listing.fetch(read_ahead);
                // One poll starts the request on its own task (see
                // `hooks.rs`); it then progresses while the caller works.
                if read_ahead && let Poll::Ready(outcome) = fetch.as_mut().poll(cx) {
                    this.ahead = Some(outcome);
                } else {
                    this.in_flight = Some(fetch);
                }
            }
            Err(failure) => this.failure = Some(failure),
        }
        Poll::Ready(Some(Ok(page)))
    }
}

/// Decides whether there is a next page, and stops a listing that would
/// not end: cursors already fetched are remembered as 64-bit hashes (8
/// bytes a page), so a cycle of any length is caught before a page is
/// delivered twice.
struct Guard {
    paging: Paging,
    fetched: HashSet<u64>,
    pages: u64,
    empty_in_a_row: u32,
}

impl Guard {
    fn new(paging: Paging) -> Self {
        Self {
            paging,
            fetched: HashSet::new(),
            pages: 0,
            empty_in_a_row: 0,
        }
    }

    /// The cursor of the page after `page`, which was fetched from `sent`;
    /// `None` at the end.
    fn next(&mut self, sent: Option<&reqwest::Url>, page: &Page) -> Result<Option<String>, Error> {
        if let Some(cursor) = sent.and_then(cursor_in) {
            self.fetched.insert(hash(&cursor));
        }
        self.pages += 1;
        self.empty_in_a_row = if page.results.is_empty() {
            self.empty_in_a_row + 1
        } else {
            0
        };
        let Some(link) = page.next.as_deref() else {
            return Ok(None);
        };
        let cursor = cursor_of(link)?;
        if cursor.len() > MAX_CURSOR_BYTES {
            return Err(Error::Pagination(format!(
                "the API returned a cursor of {} bytes (more than {MAX_CURSOR_BYTES}); stopping",
                cursor.len()
            )));
        }
        if !self.fetched.insert(hash(&cursor)) {
            return Err(Error::Pagination(format!(
                "the API returned cursor {cursor:?} a second time; stopping instead of \
                 delivering its page again"
            )));
        }
        if self.empty_in_a_row >= self.paging.max_empty_pages {
            return Err(Error::Pagination(format!(
                "{} empty pages in a row, each with another cursor; stopping a listing that \
                 does not end",
                self.empty_in_a_row
            )));
        }
        if self.paging.max_pages.is_some_and(|max| self.pages >= max) {
            return Err(Error::Pagination(format!(
                "stopped after {} pages, the limit set with max_pages",
                self.pages
            )));
        }
        Ok(Some(cursor))
    }
}

fn hash(cursor: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}

/// The `cursor` query value of a URL that was sent.
fn cursor_in(url: &reqwest::Url) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == "cursor")
        .map(|(_, value)| value.into_owned())
}

/// The percent-decoded `cursor` query value of a `next` link (absolute, or
/// relative to the API).
fn cursor_of(link: &str) -> Result<String, Error> {
    // Any absolute base resolves a relative link; only its query is read.
    let base = reqwest::Url::parse("https://api.invalid/").expect("a valid URL");
    let url = base
        .join(link)
        .map_err(|err| Error::Pagination(format!("`next` is not a URL ({err}): {link:?}")))?;
    cursor_in(&url).ok_or_else(|| Error::Pagination(format!("`next` has no cursor: {link:?}")))
}

#[cfg(test)]
mod tests {
    use super::cursor_of;

    #[test]
    fn cursor_is_taken_from_next_and_percent_decoded() {
        assert_eq!(
            cursor_of("http://api.example.org/accounts/?cursor=cD00ODY%3D\"").unwrap(),
            "cD00ODY=\""
        );
        assert_eq!(
            cursor_of("/api/x?pageSize=2&cursor=a%2Bb&status=ERROR").unwrap(),
            "a+b"
        );
        assert!(cursor_of("https://api.ultravox.ai/api/x?pageSize=2").is_err());
    }
}
