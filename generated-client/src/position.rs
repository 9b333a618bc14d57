//! Where a row of a listing stands: its page's cursor and its index in the
//! page, so a job can save its place after every row and resume after it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::cursor::Cursor;

/// The place of one row of a listing: the cursor of the page it was on
/// (none for the listing's first page) and its index in that page's
/// `results`. [`Request::stream_with_positions`](crate::Request::stream_with_positions)
/// hands one out with every row; save it (as text: `Display` and `FromStr`
/// round-trip) after the row is done, and after a crash continue with
/// [`Request::resume_after`](crate::Request::resume_after): the page is
/// fetched again and the rows up to this one are skipped, so no row is
/// delivered twice and none is lost, as long as the API answers a cursor
/// with the same page (its cursors name positions, not snapshots: a row
/// added to or removed from that page in between moves the rest).
///
/// ```
/// use ultravox_client::Position;
///
/// let saved: Position = "3:cD00ODY%3D".parse().unwrap();
/// assert_eq!(saved.index(), 3);
/// assert_eq!(saved.cursor().unwrap().as_str(), "cD00ODY%3D");
/// assert_eq!(saved.to_string(), "3:cD00ODY%3D");
///
/// let first_page: Position = "0:".parse().unwrap();
/// assert_eq!(first_page.cursor(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// Shared by every row of a page: handing out a position costs no
    /// allocation.
    pub(crate) cursor: Option<Arc<str>>,
    pub(crate) index: usize,
}

impl Position {
    /// The row at `index` of the page `cursor` names (`None`: the
    /// listing's first page, as the request asks for it).
    pub fn new(cursor: Option<Cursor>, index: usize) -> Self {
        Self {
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
}

impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Position")
            .field("cursor", &self.cursor.as_deref())
            .field("index", &self.index)
            .finish()
    }
}

/// `index:cursor`, the cursor as the API wrote it (empty for the first
/// page).
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.index, self.cursor.as_deref().unwrap_or(""))
    }
}

/// A saved position that does not read as `index:cursor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionParseError(());

impl fmt::Display for PositionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a position reads `index:cursor` (the index a whole number, the cursor possibly empty)",
        )
    }
}

impl std::error::Error for PositionParseError {}

impl FromStr for Position {
    type Err = PositionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (index, cursor) = text.split_once(':').ok_or(PositionParseError(()))?;
        let index = index.parse().map_err(|_| PositionParseError(()))?;
        let cursor = (!cursor.is_empty()).then(|| Cursor::from_raw(cursor));
        Ok(Self::new(cursor, index))
    }
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
        for bad in ["", "x:", "-1:a", "1", ":a"] {
            assert!(bad.parse::<Position>().is_err(), "{bad}");
        }
    }
}
