//! Walking a listing: every page, or every item, following `next` by its
//! cursor. Pages are fetched in order, the next one while the current one
//! is used: memory stays at two pages at most, however long the listing.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::{Stream, TryStreamExt};
use progenitor_client::ResponseValue;

use crate::call::{Fingerprint, Fingerprinting, Sent};
use crate::cursor::{self, Cursor, MAX_CURSOR_BYTES};
use crate::error::{Error, ErrorKind};
use crate::operation::Listing;
use crate::position::{Position, Positioned};
use crate::request::{Fetch, Fetched, Paging, Request};

impl<'a, Op: Listing> Request<'a, Op> {
    /// Whether `.pages()` and `.stream()` fetch the next page while the
    /// current one is being used (default: on). At most one page is fetched
    /// ahead, so at most two pages are in memory.
    pub fn read_ahead(mut self, enabled: bool) -> Self {
        self.paging.read_ahead = enabled;
        self
    }

    /// Stop with [`ErrorKind::Pagination`] rather than fetch more than `pages`
    /// pages (default: no limit besides the loop guards). `0` allows no
    /// page: `.pages()` and `.stream()` then fetch nothing and end with
    /// [`ErrorKind::InvalidRequest`].
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.paging.max_pages = Some(pages);
        self
    }

    /// Continue a listing at `cursor`, from
    /// [`Error::resume_cursor`] or a page's `next_cursor()`, with this
    /// request's filters: the first page fetched is the one the cursor
    /// names, so no page is lost and none repeated, and the loop guards
    /// apply as in any walk. A cursor set with `.cursor()` is replaced.
    ///
    /// The service pattern: stream; on a retryable error, wait and resume
    /// where the listing stopped.
    ///
    /// ```no_run
    /// # async fn job(client: ultravox_client::Client, agent: ultravox_client::Uuid, batch: ultravox_client::Uuid) -> Result<(), ultravox_client::Error> {
    /// use std::time::Duration;
    /// use futures_util::TryStreamExt;
    ///
    /// let mut resume = None;
    /// loop {
    ///     let mut request = client.list_scheduled_calls(agent, batch).page_size(100);
    ///     if let Some(cursor) = resume.take() {
    ///         request = request.resume_from(cursor);
    ///     }
    ///     let mut calls = std::pin::pin!(request.stream());
    ///     let err = loop {
    ///         match calls.try_next().await {
    ///             Ok(Some(call)) => println!("{:?}", call.call_id),
    ///             Ok(None) => return Ok(()),
    ///             Err(err) => break err,
    ///         }
    ///     };
    ///     if !err.is_retryable() {
    ///         return Err(err);
    ///     }
    ///     // No cursor: the first page failed, and nothing was delivered yet.
    ///     resume = err.resume_cursor().cloned();
    ///     tokio::time::sleep(err.retry_after().unwrap_or(Duration::from_secs(5))).await;
    /// }
    /// # }
    /// ```
    pub fn resume_from(mut self, cursor: Cursor) -> Self {
        self.raw_cursor = Some(cursor.into_raw());
        self.paging.skip_rows = 0;
        self
    }

    /// Continue a listing after the row at `position` (from
    /// [`Self::stream_with_positions`], saved when the row was done), with
    /// this request's filters: the row's page is fetched again and its rows
    /// up to and including that one are skipped by [`Self::stream`] and
    /// [`Self::stream_with_positions`] ([`Self::pages`] delivers the page
    /// whole). A cursor set with `.cursor()` is replaced, unless the
    /// position is on the listing's first page.
    ///
    /// A job that saves its place after every row, and after a crash
    /// carries on with the next one — see the README's "A job that survives
    /// a crash" for the whole program:
    ///
    /// ```no_run
    /// # async fn job(client: ultravox_client::Client, agent: ultravox_client::Uuid, batch: ultravox_client::Uuid) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::TryStreamExt;
    /// use ultravox_client::Position;
    ///
    /// let saved: Option<Position> = std::fs::read_to_string("job.state")
    ///     .ok()
    ///     .map(|text| text.parse())
    ///     .transpose()?;
    /// let mut request = client.list_scheduled_calls(agent, batch);
    /// if let Some(position) = &saved {
    ///     request = request.resume_after(position);
    /// }
    /// let mut rows = std::pin::pin!(request.stream_with_positions());
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{:?}", row.item.call_id);
    ///     // Write, then rename: a crash leaves the old state or the new one.
    ///     std::fs::write("job.state.tmp", row.position.to_string())?;
    ///     std::fs::rename("job.state.tmp", "job.state")?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn resume_after(mut self, position: &Position) -> Self {
        if let Some(cursor) = &position.cursor {
            self.raw_cursor = Some(cursor.to_string());
        }
        self.resume_listing = position.listing.clone();
        self.paging.skip_rows = position.index.saturating_add(1);
        self
    }

    /// Every page, following `next` until it is null. Each `next` link is
    /// reduced to its `cursor`, which is sent to the configured base URL: the
    /// host inside the link is never called. The next page is fetched while
    /// the current one is used (see [`Self::read_ahead`]); dropping the
    /// stream cancels that fetch.
    ///
    /// Every page is delivered the first time its cursor is fetched, and no
    /// cursor is fetched twice: the walk stops with [`ErrorKind::Pagination`],
    /// after the last good page, when a `next` link has no cursor or names a
    /// cursor already fetched, or after 100 empty pages in a row or
    /// [`Self::max_pages`] pages. The first page, fetched without a cursor,
    /// is recognised by its body: a later page with the same bytes is the
    /// first page again, and is withheld, so no page is delivered twice
    /// however a cycle closes.
    pub fn pages(
        self,
    ) -> impl Stream<Item = Result<ResponseValue<Op::Response>, Error>> + Send + 'a {
        self.walk().map_ok(|(_, _, page)| page)
    }

    /// Every item of every page (the elements of `results`), in order.
    pub fn stream(self) -> impl Stream<Item = Result<Op::Item, Error>> + Send + 'a {
        Rows::new(self, |_: &PageOf, _, item| item)
    }

    /// Every item of every page, in order, each with its [`Position`]: the
    /// page's cursor and the item's index in it, to save after the item
    /// is done and resume after with [`Self::resume_after`].
    pub fn stream_with_positions(
        self,
    ) -> impl Stream<Item = Result<Positioned<Op::Item>, Error>> + Send + 'a {
        Rows::new(self, |page: &PageOf, index, item| Positioned {
            position: Position {
                listing: Some(page.listing.clone()),
                cursor: page.cursor.clone(),
                index,
            },
            item,
        })
    }

    /// The walk behind [`Self::pages`] and [`Self::stream`]: every page
    /// with the cursor it was fetched with.
    fn walk(self) -> Pages<'a, Op> {
        let (in_flight, failure) = if self.paging.max_pages == Some(0) {
            let refused = "max_pages(0) allows no page; use at least 1".to_owned();
            let refused = Error::from(ErrorKind::InvalidRequest(refused));
            (None, Some(refused.in_operation(Op::NAME, true)))
        } else {
            (Some(self.fetch(false, Fingerprinting::Always)), None)
        };
        Pages {
            guard: Guard::new(self.paging),
            in_flight,
            listing: self,
            identity: None,
            ahead: None,
            failure,
        }
    }
}

/// The page stream of [`Request::pages`].
struct Pages<'a, Op: Listing> {
    /// The request for the next page.
    listing: Request<'a, Op>,
    /// What identifies the listing (see [`Position::listing`]), from the
    /// first page's URL.
    identity: Option<Arc<str>>,
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
    /// A page, with the listing and the cursor it was fetched with (`None`:
    /// the first page, as the request asks for it).
    type Item = Result<(Arc<str>, Option<Arc<str>>, ResponseValue<Op::Response>), Error>;

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
            Err(err) => {
                // The page's cursor, as the request for it carried it.
                let cursor = this.listing.raw_cursor.clone().map(Cursor::from_raw);
                return Poll::Ready(Some(Err(err.resumable_at(cursor))));
            }
        };
        let stopped = |kind| Error::from(kind).in_operation(Op::NAME, true);
        let identity = match &this.identity {
            Some(identity) => identity.clone(),
            None => {
                let identity = crate::position::listing_of(Op::NAME, sent.url.as_ref());
                // A position resumed after must be of this listing: its index
                // would skip rows of another.
                if let Some(expected) = this.listing.resume_listing.take()
                    && expected != identity
                {
                    // Short: `Display` shows 300 characters, and each listing
                    // is about 130.
                    let refused = format!("a position of `{expected}` resumed `{identity}`");
                    return Poll::Ready(Some(Err(stopped(ErrorKind::InvalidRequest(refused)))));
                }
                this.identity = Some(identity.clone());
                identity
            }
        };
        let cursor = this.listing.raw_cursor.as_deref().map(Arc::from);
        match this.guard.next(&sent, Op::next(&page), Op::is_empty(&page)) {
            Next::End => {}
            Next::Withhold(failure) => return Poll::Ready(Some(Err(stopped(failure)))),
            Next::StopAfter(failure) => this.failure = Some(stopped(failure)),
            Next::Cursor(cursor) => {
                this.listing.raw_cursor = Some(cursor);
                let read_ahead = this.listing.paging.read_ahead;
                let mut fetch = this.listing.fetch(read_ahead, this.guard.fingerprinting());
                // One poll starts the request on its own task (see
                // `hooks.rs`); it then progresses while the caller works.
                if read_ahead && let Poll::Ready(outcome) = fetch.as_mut().poll(cx) {
                    this.ahead = Some(outcome);
                } else {
                    this.in_flight = Some(fetch);
                }
            }
        }
        Poll::Ready(Some(Ok((identity, cursor, page))))
    }
}

/// Which listing and page a row came from.
struct PageOf {
    listing: Arc<str>,
    /// The cursor the page was fetched with (`None`: the first page).
    cursor: Option<Arc<str>>,
}

/// The row stream of [`Request::stream`] and
/// [`Request::stream_with_positions`]: each row of each page, made into
/// what the caller gets by `make`. One flat stream rather than a chain of
/// combinators, because a row is large (hundreds of bytes) and each layer
/// would move it again.
struct Rows<'a, Op: Listing, F> {
    pages: Pages<'a, Op>,
    /// The rows of the page being delivered, with their indexes in it.
    page: Option<(PageOf, std::iter::Enumerate<std::vec::IntoIter<Op::Item>>)>,
    /// The rows of the first page to skip (those up to a resumed position).
    skip: usize,
    make: F,
}

impl<'a, Op: Listing, F> Rows<'a, Op, F> {
    fn new(request: Request<'a, Op>, make: F) -> Self {
        let skip = request.paging.skip_rows;
        Rows {
            pages: request.walk(),
            page: None,
            skip,
            make,
        }
    }
}

impl<Op: Listing, F> Unpin for Rows<'_, Op, F> {}

impl<Op: Listing, T, F: FnMut(&PageOf, usize, Op::Item) -> T> Stream for Rows<'_, Op, F> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some((page, rows)) = &mut this.page {
                if let Some((index, item)) = rows.next() {
                    return Poll::Ready(Some(Ok((this.make)(page, index, item))));
                }
                this.page = None;
            }
            match std::task::ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                Some(Ok((listing, cursor, page))) => {
                    let mut rows = Op::into_items(page.into_inner()).into_iter().enumerate();
                    if let Some(skipped) = std::mem::take(&mut this.skip).checked_sub(1) {
                        rows.nth(skipped);
                    }
                    this.page = Some((PageOf { listing, cursor }, rows));
                }
            }
        }
    }
}

/// What follows a page.
enum Next {
    /// Deliver the page, then fetch the page with this (raw) cursor.
    Cursor(String),
    /// Deliver the page; it was the last.
    End,
    /// Deliver the page, then end the walk with this error.
    StopAfter(ErrorKind),
    /// The page was delivered before: end the walk with this error instead.
    Withhold(ErrorKind),
}

/// Decides whether there is a next page, and stops a listing that would
/// not end. Every page is delivered the first time its cursor is fetched;
/// a `next` naming a cursor fetched before ends the walk before it is
/// fetched again. Cursors are kept as 64-bit hashes (8 bytes a page). The
/// first page has no cursor of its own when the caller set none, so a
/// cycle back to it is recognised by its body: later pages of its length
/// are fingerprinted and compared with it.
struct Guard {
    paging: Paging,
    /// Every cursor fetched (the first page's too, when the caller set one).
    fetched: HashSet<u64>,
    /// The first page's body, when it was fetched without a cursor.
    first_page: Option<Fingerprint>,
    pages: u64,
    empty_in_a_row: u32,
}

impl Guard {
    fn new(paging: Paging) -> Self {
        Self {
            paging,
            fetched: HashSet::new(),
            first_page: None,
            pages: 0,
            empty_in_a_row: 0,
        }
    }

    /// Which bodies the next page's fetch fingerprints.
    fn fingerprinting(&self) -> Fingerprinting {
        self.first_page
            .map_or(Fingerprinting::Off, Fingerprinting::Like)
    }

    /// What follows a page that was fetched as `sent`, has the `next` link
    /// `next` and is `empty` or not.
    fn next(&mut self, sent: &Sent, next: Option<&str>, empty: bool) -> Next {
        let sent_cursor = sent
            .url
            .as_ref()
            .and_then(|url| url.query())
            .and_then(cursor::raw_cursor_in);
        if self.pages == 0 {
            match sent_cursor {
                Some(cursor) => {
                    self.fetched.insert(hash(cursor));
                }
                None => self.first_page = sent.fingerprint,
            }
        } else if self.first_page.is_some() && sent.fingerprint == self.first_page {
            return Next::Withhold(ErrorKind::Pagination(format!(
                "the API answered cursor {} with the first page again (the same body); \
                 stopping instead of delivering it twice",
                shown(sent_cursor.unwrap_or_default())
            )));
        }
        self.pages += 1;
        let Some(link) = next else {
            return Next::End;
        };
        let cursor = match cursor::raw_cursor_of(link) {
            Ok(cursor) => cursor,
            Err(problem) => return Next::StopAfter(ErrorKind::Pagination(problem)),
        };
        self.empty_in_a_row = if empty { self.empty_in_a_row + 1 } else { 0 };
        if cursor.len() > MAX_CURSOR_BYTES {
            return Next::StopAfter(ErrorKind::Pagination(format!(
                "the API returned a cursor of {} bytes (more than {MAX_CURSOR_BYTES}); stopping",
                cursor.len()
            )));
        }
        if !self.fetched.insert(hash(&cursor)) {
            return Next::StopAfter(ErrorKind::Pagination(format!(
                "the API's next cursor {} was fetched before; stopping instead of fetching \
                 it twice",
                shown(&cursor)
            )));
        }
        if self.empty_in_a_row >= self.paging.max_empty_pages {
            return Next::StopAfter(ErrorKind::Pagination(format!(
                "{} empty pages in a row, each with another cursor; stopping a listing that \
                 does not end",
                self.empty_in_a_row
            )));
        }
        if self.paging.max_pages.is_some_and(|max| self.pages >= max) {
            return Next::StopAfter(ErrorKind::Pagination(format!(
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
