//! Walking a listing: every page, or every item, following `next` by its
//! cursor. Pages are fetched in order, the next one while the current one
//! is used: memory stays at two pages at most, however long the listing.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, TryStreamExt, stream};
use progenitor_client::ResponseValue;

use crate::Error;
use crate::operation::Listing;
use crate::request::{Fetch, Request};

/// How `.pages()` and `.stream()` walk the listing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paging {
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

/// A response and the URL that was sent for it.
type Fetched<T> = (Result<ResponseValue<T>, Error>, Option<reqwest::Url>);

/// A cursor longer than this is refused: no real cursor is near it, and
/// the request it makes would be refused anyway.
const MAX_CURSOR_BYTES: usize = 4096;

impl<'a, Op: Listing> Request<'a, Op> {
    /// Whether `.pages()` and `.stream()` fetch the next page while the
    /// current one is being used (default: on). At most one page is fetched
    /// ahead, so at most two pages are in memory.
    pub fn read_ahead(mut self, enabled: bool) -> Self {
        self.paging.read_ahead = enabled;
        self
    }

    /// Stop with [`Error::Pagination`] rather than fetch more than `pages`
    /// pages (default: no limit besides the loop guards). `0` allows no
    /// page: `.pages()` and `.stream()` then fetch nothing and end with
    /// [`Error::InvalidRequest`].
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.paging.max_pages = Some(pages);
        self
    }

    /// Every page, following `next` until it is null. Each `next` link is
    /// reduced to its `cursor`, which is sent to the configured base URL: the
    /// host inside the link is never called. The next page is fetched while
    /// the current one is used (see [`Self::read_ahead`]); dropping the
    /// stream cancels that fetch.
    ///
    /// The walk stops with [`Error::Pagination`], after the last good page,
    /// when a `next` link has no cursor, names a cursor already fetched, or
    /// after 100 empty pages in a row or [`Self::max_pages`] pages. A page
    /// whose `next` an earlier page already returned is the same page again
    /// (cursors are deterministic): it is withheld and the walk stops, so
    /// no page is ever delivered twice, however a cycle closes.
    pub fn pages(
        self,
    ) -> impl Stream<Item = Result<ResponseValue<Op::Response>, Error>> + Send + 'a {
        let (in_flight, failure) = if self.paging.max_pages == Some(0) {
            let refused = "max_pages(0) allows no page; use at least 1".to_owned();
            (None, Some(Error::InvalidRequest(refused)))
        } else {
            (Some(self.fetch(false)), None)
        };
        Pages {
            guard: Guard::new(self.paging),
            in_flight,
            listing: self,
            ahead: None,
            failure,
        }
    }

    /// Every item of every page (the elements of `results`), in order.
    pub fn stream(self) -> impl Stream<Item = Result<Op::Item, Error>> + Send + 'a {
        self.pages()
            .map_ok(|page| stream::iter(Op::into_items(page.into_inner()).into_iter().map(Ok)))
            .try_flatten()
    }
}

/// The page stream of [`Request::pages`].
struct Pages<'a, Op: Listing> {
    /// The request for the next page.
    listing: Request<'a, Op>,
    /// The next page's fetch, once it has been decided there is one.
    in_flight: Option<Fetch<'a, Op::Response>>,
    /// The next page, when it arrived before it was asked for.
    ahead: Option<Fetched<Op::Response>>,
    /// Why the walk stops, delivered after the page that showed it.
    failure: Option<Error>,
    guard: Guard,
}

// Nothing of `Pages` is pinned in place (the fetch in flight is boxed).
impl<Op: Listing> Unpin for Pages<'_, Op> {}

impl<Op: Listing> Stream for Pages<'_, Op> {
    type Item = Result<ResponseValue<Op::Response>, Error>;

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
        match this
            .guard
            .next(sent.as_ref(), Op::next(&page), Op::is_empty(&page))
        {
            Next::End => {}
            Next::Withhold(failure) => return Poll::Ready(Some(Err(failure))),
            Next::StopAfter(failure) => this.failure = Some(failure),
            Next::Cursor(cursor) => {
                this.listing.raw_cursor = Some(cursor);
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
        }
        Poll::Ready(Some(Ok(page)))
    }
}

/// What follows a page.
enum Next {
    /// Deliver the page, then fetch the page with this (raw) cursor.
    Cursor(String),
    /// Deliver the page; it was the last.
    End,
    /// Deliver the page, then end the walk with this error.
    StopAfter(Error),
    /// The page was delivered before: end the walk with this error instead.
    Withhold(Error),
}

/// Decides whether there is a next page, and stops a listing that would
/// not end. Cursor paging is deterministic, so two pages that return the
/// same `next` are the same page: every `next` returned is remembered as a
/// 64-bit hash (8 bytes a page), and a cycle of any length, closing
/// anywhere (even on the first page, fetched without a cursor), is caught
/// before a page is delivered twice. Every cursor fetched after the first
/// page was returned first, so only the first page's own cursor (one the
/// caller set) is kept beside them.
struct Guard {
    paging: Paging,
    /// The cursor the first page was fetched with, if any.
    first: Option<u64>,
    returned: HashSet<u64>,
    pages: u64,
    empty_in_a_row: u32,
}

impl Guard {
    fn new(paging: Paging) -> Self {
        Self {
            paging,
            first: None,
            returned: HashSet::new(),
            pages: 0,
            empty_in_a_row: 0,
        }
    }

    /// What follows a page that was fetched from `sent`, has the `next`
    /// link `next` and is `empty` or not.
    fn next(&mut self, sent: Option<&reqwest::Url>, next: Option<&str>, empty: bool) -> Next {
        if self.pages == 0 {
            self.first = sent
                .and_then(|url| url.query())
                .and_then(raw_cursor_in)
                .map(hash);
        }
        let Some(link) = next else {
            self.pages += 1;
            return Next::End;
        };
        let cursor = match raw_cursor_of(link) {
            Ok(cursor) => cursor,
            Err(err) => return Next::StopAfter(err),
        };
        let key = hash(&cursor);
        if !self.returned.insert(key) {
            return Next::Withhold(Error::Pagination(format!(
                "the API returned a page whose next cursor {} an earlier page returned too: \
                 the same page again; stopping instead of delivering it twice",
                shown(&cursor)
            )));
        }
        self.pages += 1;
        self.empty_in_a_row = if empty { self.empty_in_a_row + 1 } else { 0 };
        if cursor.len() > MAX_CURSOR_BYTES {
            return Next::StopAfter(Error::Pagination(format!(
                "the API returned a cursor of {} bytes (more than {MAX_CURSOR_BYTES}); stopping",
                cursor.len()
            )));
        }
        if self.first == Some(key) {
            return Next::StopAfter(Error::Pagination(format!(
                "the API returned cursor {} a second time; stopping instead of delivering its \
                 page again",
                shown(&cursor)
            )));
        }
        if self.empty_in_a_row >= self.paging.max_empty_pages {
            return Next::StopAfter(Error::Pagination(format!(
                "{} empty pages in a row, each with another cursor; stopping a listing that \
                 does not end",
                self.empty_in_a_row
            )));
        }
        if self.paging.max_pages.is_some_and(|max| self.pages >= max) {
            return Next::StopAfter(Error::Pagination(format!(
                "stopped after {} pages, the limit set with max_pages",
                self.pages
            )));
        }
        Next::Cursor(cursor)
    }
}

fn hash(cursor: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}

/// A cursor for a message: quoted, at most 100 characters.
fn shown(cursor: &str) -> String {
    format!("{:?}", crate::error::one_line(cursor, 100))
}

/// The last `cursor` value of a query string (the one Django's
/// `QueryDict.get` reads), still percent-encoded.
fn raw_cursor_in(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("cursor="))
        .next_back()
}

/// The raw `cursor` query value of a `next` link (absolute, or relative to
/// the API), as the URL parser serialises the link's query: what the API
/// wrote, percent-encoding kept, so it goes back byte for byte.
fn raw_cursor_of(link: &str) -> Result<String, Error> {
    // Any absolute base resolves a relative link; only its query is read.
    let base = reqwest::Url::parse("https://api.invalid/").expect("a valid URL");
    let url = base
        .join(link)
        .map_err(|err| Error::Pagination(format!("`next` is not a URL ({err}): {link:?}")))?;
    url.query()
        .and_then(raw_cursor_in)
        .map(str::to_owned)
        .ok_or_else(|| Error::Pagination(format!("`next` has no cursor: {link:?}")))
}

#[cfg(test)]
mod tests {
    use super::raw_cursor_of;

    #[test]
    fn the_cursor_is_taken_from_next_as_written() {
        assert_eq!(
            raw_cursor_of("http://api.example.org/accounts/?cursor=cD00ODY%3D\"").unwrap(),
            "cD00ODY%3D%22"
        );
        assert_eq!(
            raw_cursor_of("/api/x?pageSize=2&cursor=a%2Bb&status=ERROR").unwrap(),
            "a%2Bb"
        );
        assert_eq!(raw_cursor_of("/x?cursor=%FF%FE").unwrap(), "%FF%FE");
        assert_eq!(
            raw_cursor_of("/x?cursor=first&cursor=last").unwrap(),
            "last"
        );
        assert!(raw_cursor_of("https://api.ultravox.ai/api/x?pageSize=2").is_err());
        assert!(raw_cursor_of("/x?xcursor=1").is_err());
    }
}
