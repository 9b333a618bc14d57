//! Listing a batch's scheduled calls: one page, every page, or every call.
//!
//! Pages are fetched one at a time, so memory stays at one page however
//! long the batch.

use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use progenitor_client::ResponseValue;
use uuid::Uuid;

use crate::builder::AgentsScheduledBatchesScheduledCallsList;
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
        }
    }
}

/// A listing request; see [`Client::list_scheduled_calls`]. Its query
/// parameters (`.status()`, `.page_size()`, `.cursor()`, and any the API
/// adds) are generated from the spec, and the same ones are sent with every
/// page.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListScheduledCalls<'a> {
    /// progenitor's builder for the operation, with the path set.
    request: AgentsScheduledBatchesScheduledCallsList<'a>,
}

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

    /// Fetches one page, keeping the response's status and headers.
    pub async fn send(&self) -> Result<ResponseValue<PaginatedScheduledCallList>, Error> {
        match self.request.clone().send().await {
            Ok(page) => Ok(page),
            Err(err) => Err(Error::from_generated(err).await),
        }
    }

    /// Every page, following `next` until it is null. Each `next` link is
    /// reduced to its `cursor`, which is sent to the configured base URL: the
    /// host inside the link is never called. A page whose `next` repeats an
    /// earlier cursor (or has none) is still yielded; the error comes after it.
    pub fn pages(
        self,
    ) -> impl Stream<Item = Result<ResponseValue<PaginatedScheduledCallList>, Error>> + 'a {
        // A starting cursor set with `.cursor()` is inside progenitor's
        // builder; the detector learns cursors from the pages.
        let loops = LoopDetector::new(None);
        stream::try_unfold(Step::Fetch(self, loops), |step| async move {
            let (mut request, mut loops) = match step {
                Step::Fetch(request, loops) => (request, loops),
                Step::Fail(err) => return Err(err),
                Step::Done => return Ok(None),
            };
            let page = request.send().await?;
            let next = match page.next.as_deref().map(cursor_of) {
                None => Step::Done,
                Some(Err(err)) => Step::Fail(err),
                Some(Ok(cursor)) if loops.is_repeat(&cursor) => {
                    Step::Fail(Error::Pagination(format!(
                        "the API returned cursor {cursor:?} a second time; stopping instead of looping"
                    )))
                }
                Some(Ok(cursor)) => {
                    request = request.cursor(cursor);
                    Step::Fetch(request, loops)
                }
            };
            Ok(Some((page, next)))
        })
    }

    /// Every scheduled call of every page, in order.
    pub fn stream(self) -> impl Stream<Item = Result<ScheduledCall, Error>> + 'a {
        self.pages()
            .map_ok(|page| stream::iter(page.into_inner().results.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

/// Where [`ListScheduledCalls::pages`] stands between two pages.
enum Step<'a> {
    /// Fetch the page at `request.cursor`.
    Fetch(ListScheduledCalls<'a>, LoopDetector),
    /// The last page was yielded; its `next` was unusable.
    Fail(Error),
    Done,
}

/// Spots a cursor sequence that cycles, in constant memory (Brent's
/// algorithm): a checkpoint cursor is kept and moved after 1, 2, 4, 8, …
/// steps; meeting it again means a loop. A server repeating one cursor is
/// caught on the next page; a longer cycle of length λ within about 2λ pages.
struct LoopDetector {
    checkpoint: Option<String>,
    steps: u64,
    power: u64,
}

impl LoopDetector {
    fn new(start: Option<String>) -> Self {
        Self {
            checkpoint: start,
            steps: 0,
            power: 1,
        }
    }

    fn is_repeat(&mut self, cursor: &str) -> bool {
        if self.checkpoint.as_deref() == Some(cursor) {
            return true;
        }
        self.steps += 1;
        if self.steps == self.power {
            self.checkpoint = Some(cursor.to_owned());
            self.power *= 2;
            self.steps = 0;
        }
        false
    }
}

/// The percent-decoded `cursor` query value of a `next` link (absolute, or
/// relative to the API).
fn cursor_of(link: &str) -> Result<String, Error> {
    // Any absolute base resolves a relative link; only its query is read.
    let base = reqwest::Url::parse("https://api.invalid/").expect("a valid URL");
    let url = base
        .join(link)
        .map_err(|err| Error::Pagination(format!("`next` is not a URL ({err}): {link:?}")))?;
    url.query_pairs()
        .find(|(key, _)| key == "cursor")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| Error::Pagination(format!("`next` has no cursor: {link:?}")))
}

#[cfg(test)]
mod tests {
    use super::{LoopDetector, cursor_of};

    /// Steps through `cursors`; returns the index of the first one flagged.
    fn first_repeat(start: Option<&str>, cursors: &[&str]) -> Option<usize> {
        let mut loops = LoopDetector::new(start.map(str::to_owned));
        cursors.iter().position(|cursor| loops.is_repeat(cursor))
    }

    #[test]
    fn loops_are_caught_and_progress_is_not() {
        assert_eq!(first_repeat(None, &["a", "a"]), Some(1));
        assert_eq!(first_repeat(Some("a"), &["a"]), Some(0));
        let cycle = [
            "a", "b", "c", "d", "e", "b", "c", "d", "e", "b", "c", "d", "e", "b", "c", "d", "e",
        ];
        let caught = first_repeat(None, &cycle).expect("a cycle of 4 is caught");
        assert!(caught <= 1 + 2 * 4 + 4, "caught late, at {caught}");
        let distinct: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
        let distinct: Vec<&str> = distinct.iter().map(String::as_str).collect();
        assert_eq!(first_repeat(None, &distinct), None);
    }

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
