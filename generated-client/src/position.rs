//! Where a row of a listing stands: its page's cursor and its index in the
//! page, so a job can save its place after every row and resume after it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::cursor::Cursor;

/// The place of one row of a listing: the listing it belongs to (the
/// operation, its path with the ids in it, and its filters), the cursor of
/// the page it was on (none for the listing's first page) and its index in
/// that page's `results`.
/// [`Request::stream_with_positions`](crate::Request::stream_with_positions)
/// hands one out with every row; save it (as text: `Display` and `FromStr`
/// round-trip) and after a crash continue with
/// [`Request::resume_after`](crate::Request::resume_after): the page is
/// fetched again and the rows up to this one are skipped, so no row is
/// delivered twice and none is lost, as long as the API answers a cursor
/// with the same page (its cursors name positions, not snapshots: a row
/// added to or removed from that page in between moves the rest). Given to
/// another listing (another batch, other filters, another page size), the
/// resumed walk ends at once with an
/// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) naming
/// both listings, instead of skipping rows of the wrong one.
///
/// The text is `v2:index:listing:cursor` (the listing percent-encoded, the
/// cursor as the API wrote it). A position saved by an earlier release as
/// `index:cursor` still parses; it names no listing, so it is not checked.
///
/// ```
/// use ultravox_client::Position;
///
/// let saved: Position = "3:cD00ODY%3D".parse().unwrap();
/// assert_eq!(saved.index(), 3);
/// assert_eq!(saved.cursor().unwrap().as_str(), "cD00ODY%3D");
/// assert_eq!(saved.listing(), None);
///
/// let saved: Position = "v2:3:list_scheduled_calls%20/api/x?status=ERROR:cD00ODY%3D"
///     .parse()
///     .unwrap();
/// assert_eq!(saved.listing(), Some("list_scheduled_calls /api/x?status=ERROR"));
/// assert_eq!(saved.to_string().parse::<Position>().unwrap(), saved);
///
/// let first_page: Position = "0:".parse().unwrap();
/// assert_eq!(first_page.cursor(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// What identifies the listing (shared by every row of a walk).
    pub(crate) listing: Option<Arc<str>>,
    /// Shared by every row of a page: handing out a position costs no
    /// allocation.
    pub(crate) cursor: Option<Arc<str>>,
    pub(crate) index: usize,
}

impl Position {
    /// The row at `index` of the page `cursor` names (`None`: the
    /// listing's first page, as the request asks for it), of no listing in
    /// particular (it is not checked when resumed).
    pub fn new(cursor: Option<Cursor>, index: usize) -> Self {
        Self {
            listing: None,
            cursor: cursor.map(|cursor| Arc::from(cursor.into_raw())),
            index,
        }
    }

    /// The cursor of the row's page; `None` for the listing's first page.
    pub fn cursor(&self) -> Option<Cursor> {
        self.cursor.as_deref().map(Cursor::from_raw)
    }

    /// The row's index in its page's `results`, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The listing the position belongs to: the operation, then the path
    /// and filters it was fetched with (`list_scheduled_calls
    /// /api/agents/…/scheduled_calls?pageSize=100&status=ERROR`); `None`
    /// for one saved by an earlier release or made by [`Position::new`].
    pub fn listing(&self) -> Option<&str> {
        self.listing.as_deref()
    }
}

impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Position")
            .field("listing", &self.listing.as_deref())
            .field("cursor", &self.cursor.as_deref())
            .field("index", &self.index)
            .finish()
    }
}

/// `v2:index:listing:cursor`, the listing percent-encoded and the cursor as
/// the API wrote it (empty for the first page); `index:cursor` for a
/// position of no listing.
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cursor = self.cursor.as_deref().unwrap_or("");
        match &self.listing {
            Some(listing) => write!(f, "v2:{}:{}:{cursor}", self.index, encode(listing)),
            None => write!(f, "{}:{cursor}", self.index),
        }
    }
}

/// A saved position that does not read as `v2:index:listing:cursor` or
/// `index:cursor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionParseError(());

impl fmt::Display for PositionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a position reads `v2:index:listing:cursor` (or, saved by an earlier release, \
             `index:cursor`): the index a whole number, the cursor possibly empty",
        )
    }
}

impl std::error::Error for PositionParseError {}

impl FromStr for Position {
    type Err = PositionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (listing, rest) = match text.strip_prefix("v2:") {
            Some(rest) => {
                let (index, rest) = rest.split_once(':').ok_or(PositionParseError(()))?;
                let (listing, cursor) = rest.split_once(':').ok_or(PositionParseError(()))?;
                let listing = decode(listing).ok_or(PositionParseError(()))?;
                (Some(Arc::from(listing)), (index, cursor))
            }
            None => (None, text.split_once(':').ok_or(PositionParseError(()))?),
        };
        let (index, cursor) = rest;
        let index = index.parse().map_err(|_| PositionParseError(()))?;
        let cursor = (!cursor.is_empty()).then(|| Arc::from(cursor));
        Ok(Self {
            listing,
            cursor,
            index,
        })
    }
}

/// The identity of a listing fetched at `url` by the operation `operation`:
/// its name, the URL's path and its query but the cursor, pairs sorted.
pub(crate) fn listing_of(operation: &str, url: Option<&reqwest::Url>) -> Arc<str> {
    let Some(url) = url else {
        return Arc::from(operation);
    };
    let mut pairs: Vec<&str> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("cursor"))
        .collect();
    pairs.sort_unstable();
    let query = if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    };
    Arc::from(format!("{operation} {}{query}", url.path()))
}

/// `text` with `%`, `:`, whitespace and control characters percent-encoded:
/// one field of the position's text.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '%' || c == ':' || c.is_whitespace() || c.is_control() {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What [`encode`] wrote; `None` for a broken escape.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One row of a listing and its [`Position`], from
/// [`Request::stream_with_positions`](crate::Request::stream_with_positions).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Positioned<T> {
    /// Where the row stands: save it once the row is done.
    pub position: Position,
    /// The row.
    pub item: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_round_trips_as_text() {
        for text in ["0:", "17:cD00ODY%3D%22", "2:a:b", "4:%FF%FE"] {
            let position: Position = text.parse().unwrap();
            assert_eq!(position.to_string(), text);
        }
        assert_eq!(
            "2:a:b"
                .parse::<Position>()
                .unwrap()
                .cursor()
                .unwrap()
                .as_str(),
            "a:b"
        );
        for bad in [
            "",
            "x:",
            "-1:a",
            "1",
            ":a",
            "v2:1:x",
            "v2:x:l:",
            "v2:1:%G0:",
        ] {
            assert!(bad.parse::<Position>().is_err(), "{bad}");
        }
        let listing = "list_scheduled_calls /api/a/b?pageSize=2&status=ERROR%2Cx:y";
        let position = Position {
            listing: Some(Arc::from(listing)),
            cursor: Some(Arc::from("cD0x%3A:y")),
            index: 7,
        };
        let text = position.to_string();
        assert!(text.starts_with("v2:7:"), "{text}");
        let parsed: Position = text.parse().unwrap();
        assert_eq!(parsed, position);
        assert_eq!(parsed.listing(), Some(listing));
        assert_eq!(parsed.cursor().unwrap().as_str(), "cD0x%3A:y");
    }
}
