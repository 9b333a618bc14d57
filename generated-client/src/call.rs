//! Settings of one call that override the client's (`.timeout()`,
//! `.operation_timeout()`, `.max_retries()` on a request), the cursor a
//! listing sends back, and what the call sent. progenitor's hooks see only
//! the request, so each call runs in a task-local scope that the hooks read.

use std::cell::RefCell;
use std::time::Duration;

/// Per-call overrides of the client's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) max_retries: Option<usize>,
    /// Run the request on a task of its own, so it progresses while nobody
    /// awaits it (a page fetched ahead). A request awaited at once runs
    /// inline: no hand-off between threads.
    pub(crate) detached: bool,
}

/// The scope one request runs in.
pub(crate) struct CallScope {
    pub(crate) options: CallOptions,
    /// The `cursor` query value to send exactly as the API wrote it in a
    /// `next` link (still percent-encoded), replacing any other.
    pub(crate) raw_cursor: Option<String>,
    /// The URL the request was sent to, recorded by the `pre` hook.
    pub(crate) sent: RefCell<Option<reqwest::Url>>,
}

tokio::task_local! {
    static CALL: CallScope;
}

/// Runs `request` with `options`, sending `raw_cursor` when given; returns
/// its output and the URL it sent.
pub(crate) async fn scoped<T>(
    options: CallOptions,
    raw_cursor: Option<String>,
    request: impl Future<Output = T>,
) -> (T, Option<reqwest::Url>) {
    let scope = CallScope {
        options,
        raw_cursor,
        sent: RefCell::new(None),
    };
    CALL.scope(scope, async {
        let output = request.await;
        (output, CALL.with(|scope| scope.sent.take()))
    })
    .await
}

/// The options of the call in progress (defaults outside a scoped call).
pub(crate) fn options() -> CallOptions {
    CALL.try_with(|scope| scope.options).unwrap_or_default()
}

/// Puts the scope's raw cursor into `url` (the last `cursor` is the one
/// the API reads, so every other is removed), then records the URL as sent.
pub(crate) fn prepare(url: &mut reqwest::Url) {
    let _ = CALL.try_with(|scope| {
        if let Some(cursor) = &scope.raw_cursor {
            set_raw_cursor(url, cursor);
        }
        *scope.sent.borrow_mut() = Some(url.clone());
    });
}

/// Replaces every `cursor` pair of `url`'s query with `cursor=<raw>`,
/// leaving the other pairs, and their encoding, as they were.
fn set_raw_cursor(url: &mut reqwest::Url, raw: &str) {
    let mut query: Vec<&str> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("cursor"))
        .collect();
    let cursor = format!("cursor={raw}");
    query.push(&cursor);
    let query = query.join("&");
    url.set_query(Some(&query));
}

#[cfg(test)]
mod tests {
    use super::set_raw_cursor;

    #[test]
    fn the_raw_cursor_replaces_every_other_and_keeps_its_bytes() {
        let mut url = reqwest::Url::parse("http://h/p?cursor=old&pageSize=2&cursor=x").unwrap();
        set_raw_cursor(&mut url, "%FF%FE");
        assert_eq!(url.query(), Some("pageSize=2&cursor=%FF%FE"));
        let mut url = reqwest::Url::parse("http://h/p").unwrap();
        set_raw_cursor(&mut url, "cD00ODY%3D%22");
        assert_eq!(url.query(), Some("cursor=cD00ODY%3D%22"));
    }
}
