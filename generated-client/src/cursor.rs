//! Cursors as the API writes them: taken from a page's `next` link still
//! percent-encoded, put back into a request's query byte for byte, and
//! bounded in length before anything is sent.

/// Where a listing resumes: the `cursor` of a page, exactly as the API
/// wrote it in the previous page's `next` link (still percent-encoded), so
/// it goes back byte for byte. Take one from
/// [`Error::resume_cursor`](crate::Error::resume_cursor) or a page's
/// `next_cursor()`, save [`Cursor::as_str`] where your job keeps its
/// state, restore it with [`Cursor::from_raw`], and continue with
/// [`Request::resume_from`](crate::Request::resume_from).
///
/// ```
/// use ultravox_client::Cursor;
///
/// let saved = Cursor::from_raw("cD00ODY%3D");
/// assert_eq!(saved.as_str(), "cD00ODY%3D");
/// assert_eq!(Cursor::from_raw(saved.as_str()), saved);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor as the API wrote it (percent-encoding kept).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A cursor a service saved from [`Cursor::as_str`]. It is sent as
    /// given; one longer than any the API writes (4 KiB) is refused with
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)
    /// before anything is sent.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The cursor of a page's `next` link, if it has one.
    pub(crate) fn from_next_link(link: &str) -> Option<Self> {
        raw_cursor_of(link).ok().map(Self)
    }

    pub(crate) fn into_raw(self) -> String {
        self.0
    }
}

/// A cursor longer than this is refused: no real cursor is near it, and
/// the request it makes would be refused anyway.
pub(crate) const MAX_CURSOR_BYTES: usize = 4096;

/// The longest URL a request can carry (the `http` crate's limit on a URI,
/// which reqwest converts every URL to).
const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

/// The last `cursor` value of a query string (the one Django's
/// `QueryDict.get` reads), still percent-encoded.
pub(crate) fn raw_cursor_in(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("cursor="))
        .next_back()
}

/// The raw `cursor` query value of a `next` link (absolute, or relative to
/// the API), as the URL parser serialises the link's query: what the API
/// wrote, percent-encoding kept, so it goes back byte for byte. `Err` says
/// what is wrong with the link.
pub(crate) fn raw_cursor_of(link: &str) -> Result<String, String> {
    // Any absolute base resolves a relative link; only its query is read.
    static BASE: std::sync::LazyLock<reqwest::Url> = std::sync::LazyLock::new(|| {
        reqwest::Url::parse("https://api.invalid/").expect("a valid URL")
    });
    let url = BASE
        .join(link)
        .map_err(|err| format!("`next` is not a URL ({err}): {link:?}"))?;
    url.query()
        .and_then(raw_cursor_in)
        .map(str::to_owned)
        .ok_or_else(|| format!("`next` has no cursor: {link:?}"))
}

/// `raw` as one query value: what a URL's query may hold (RFC 3986:
/// unreserved characters, `%XX` escapes, `!$'()*,=:@/?`) goes back byte
/// for byte, as the API wrote it; anything else — a `&`, `;` or `#` that
/// would end the value, a `+` a server reads as a space, a `%` that starts
/// no escape, a space, a byte that is not ASCII — is percent-encoded, so a
/// cursor from outside (a saved position, `Cursor::from_raw`) can never add
/// a query parameter.
pub(crate) fn as_query_value(raw: &str) -> std::borrow::Cow<'_, str> {
    let bytes = raw.as_bytes();
    let escape_at = |at: usize| {
        bytes[at] == b'%'
            && bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let kept = |at: usize| {
        bytes[at].is_ascii_alphanumeric()
            || b"-._~!$'()*,=:@/?".contains(&bytes[at])
            || escape_at(at)
    };
    if (0..bytes.len()).all(kept) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for (at, &byte) in bytes.iter().enumerate() {
        if kept(at) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Replaces every `cursor` pair of `url`'s query with `cursor=<raw>` (as
/// one value: see [`as_query_value`]), leaving the other pairs, and their
/// encoding, as they were.
pub(crate) fn set_raw_cursor(url: &mut reqwest::Url, raw: &str) {
    let mut query: Vec<&str> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("cursor"))
        .collect();
    let cursor = format!("cursor={}", as_query_value(raw));
    query.push(&cursor);
    let query = query.join("&");
    url.set_query(Some(&query));
}

/// Why `url` cannot be sent, if it cannot: a cursor longer than any the
/// API writes (a caller's, since the walk refuses the API's own), or a URL
/// longer than a request can carry.
pub(crate) fn refusal(url: &reqwest::Url) -> Option<String> {
    if let Some(cursor) = url.query().and_then(raw_cursor_in)
        && cursor.len() > MAX_CURSOR_BYTES
    {
        return Some(format!(
            "the cursor is {} bytes long, more than the {MAX_CURSOR_BYTES} bytes of any cursor \
             the API writes; pass a cursor the API returned",
            cursor.len()
        ));
    }
    let length = url.as_str().len();
    (length > MAX_URL_BYTES).then(|| {
        format!(
            "the request URL is {length} bytes long, more than the {MAX_URL_BYTES} bytes a \
             request can carry; shorten the query parameters"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_raw_cursor_replaces_every_other_and_keeps_its_bytes() {
        let mut url = reqwest::Url::parse("http://h/p?cursor=old&pageSize=2&cursor=x").unwrap();
        set_raw_cursor(&mut url, "%FF%FE");
        assert_eq!(url.query(), Some("pageSize=2&cursor=%FF%FE"));
        let mut url = reqwest::Url::parse("http://h/p").unwrap();
        set_raw_cursor(&mut url, "cD00ODY%3D%22");
        assert_eq!(url.query(), Some("cursor=cD00ODY%3D%22"));
    }

    #[test]
    fn a_cursor_is_one_query_value() {
        let mut url = reqwest::Url::parse("http://h/p?pageSize=2").unwrap();
        set_raw_cursor(&mut url, "0:abc&pageSize=999&status=EVIL#x+y; z%zz");
        assert_eq!(
            url.query(),
            Some("pageSize=2&cursor=0:abc%26pageSize=999%26status=EVIL%23x%2By%3B%20z%25zz")
        );
        for written in ["cD00ODY%3D", "a/b?c=d:e@f!$'()*,", "%FF%FE"] {
            assert_eq!(as_query_value(written), written);
        }
        assert_eq!(as_query_value("é"), "%C3%A9");
    }

    #[test]
    fn an_oversized_cursor_or_url_is_refused_by_length() {
        let url = |query: String| reqwest::Url::parse(&format!("http://h/p?{query}")).unwrap();
        assert_eq!(refusal(&url(format!("cursor={}", "a".repeat(4096)))), None);
        let refused = refusal(&url(format!("cursor={}", "a".repeat(4097)))).unwrap();
        assert!(refused.contains("4097 bytes"), "{refused}");
        let refused = refusal(&url(format!("other={}", "a".repeat(70_000)))).unwrap();
        assert!(refused.contains("request URL"), "{refused}");
    }
}
