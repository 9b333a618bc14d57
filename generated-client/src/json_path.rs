//! Where in a JSON body a decode error happened, as a key path
//! (`results[3].batchId`).
//!
//! serde_json's error says only a line and column. Decoding a failed body
//! again through a path-tracking deserializer would compile a second copy of
//! every response type's `Deserialize` code; instead the body up to the
//! error's position is walked once by a visitor that accepts any JSON and
//! knows nothing of the types. It stops where the typed decode stopped, so
//! it names the same place, written as serde_path_to_error writes it (the
//! tests compare the two) — except in a part of the body the decoder skips
//! unread (a field the type does not have, array elements beyond a struct's
//! fields), which serde_path_to_error reports at the enclosing value and
//! this walk at the place inside it.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

/// The key path in `body` at which `err` happened: `.` for the document
/// itself or when the error has no position.
pub(crate) fn path_at(body: &[u8], err: &serde_json::Error) -> String {
    let Some(offset) = offset(body, err.line(), err.column()) else {
        return ".".to_owned();
    };
    let walk = RefCell::new(Walk::default());
    let mut reader = serde_json::Deserializer::from_slice(&body[..offset]);
    let result = Value { walk: &walk }.deserialize(&mut reader);
    let walk = walk.into_inner();
    let Some(Failure { mut path, place }) = walk.failure else {
        // The document was read to its end: a type error of the document.
        debug_assert!(result.is_ok());
        return ".".to_owned();
    };
    if err.classify() == Category::Data {
        // A type error is raised once the value is read: it is the value
        // that ended where the walk stopped, unless the walk stopped in a
        // value (a type error at a value's first byte) or before a colon (a
        // duplicate key: the object's)...
        match place {
            Place::Value => {}
            // ...or at the first byte of an array's next element, which the
            // walk stopped before.
            Place::BeforeElement(index) if body.get(offset).copied().is_some_and(begins_value) => {
                path.push(Segment::Index(index));
            }
            Place::BeforeElement(_) | Place::BetweenMembers => {
                // The last value read is a member of a container the walk
                // was still in, so its path begins like the failure's.
                path = match walk.last_read {
                    Some(LastRead { depth, segment }) if depth <= path.len() => {
                        path.truncate(depth);
                        path.push(segment);
                        path
                    }
                    _ => Vec::new(),
                };
            }
        }
    }
    // Broken JSON stops the walk at the byte the decode stopped at: there,
    // the failure's path is the answer as it is.
    render(&path)
}

/// The byte offset of a serde_json position: `column` bytes after the start
/// of the 1-based `line`. The bytes before it are the ones serde_json had
/// read, or peeked at, when it failed.
fn offset(body: &[u8], line: usize, column: usize) -> Option<usize> {
    let line_start = match line {
        0 => return None,
        1 => 0,
        _ => body
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(line - 2)
            .map(|(newline, _)| newline + 1)?,
    };
    Some((line_start + column).min(body.len()))
}

/// One step of a path.
#[derive(Clone)]
enum Segment {
    Key(String),
    Index(usize),
    /// A key that was not read (serde_path_to_error's `?`).
    Unknown,
}

/// Where in the JSON the walk failed.
enum Place {
    /// In a value, or between a key and its colon.
    Value,
    /// Between an array's elements, before the element `index`.
    BeforeElement(usize),
    /// Between an object's members.
    BetweenMembers,
}

/// The innermost failure of the walk.
struct Failure {
    path: Vec<Segment>,
    place: Place,
}

/// The last value read to its end: the member `segment` of the container
/// at `depth` of the path.
struct LastRead {
    depth: usize,
    segment: Segment,
}

#[derive(Default)]
struct Walk {
    /// The path to the value being read.
    path: Vec<Segment>,
    last_read: Option<LastRead>,
    failure: Option<Failure>,
}

impl Walk {
    /// Records the first (innermost) failure, at the current path (and
    /// `extra` below it).
    fn fail(&mut self, place: Place, extra: Option<Segment>) {
        if self.failure.is_none() {
            let mut path = self.path.clone();
            path.extend(extra);
            self.failure = Some(Failure { path, place });
        }
    }

    /// Takes the member at the top of the path off it; `read`: the member
    /// was read to its end, so it is the last value read.
    fn pop_member(&mut self, read: bool) {
        let segment = self.path.pop().expect("a member's segment is on the path");
        if read {
            let depth = self.path.len();
            self.last_read = Some(LastRead { depth, segment });
        }
    }
}

/// Any JSON value, read at the walk's current path.
#[derive(Clone, Copy)]
struct Value<'w> {
    walk: &'w RefCell<Walk>,
}

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let result = deserializer.deserialize_any(self);
        if result.is_err() {
            self.walk.borrow_mut().fail(Place::Value, None);
        }
        result
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut elements: A) -> Result<(), A::Error> {
        for index in 0.. {
            self.walk.borrow_mut().path.push(Segment::Index(index));
            let element = elements.next_element_seed(self);
            let mut walk = self.walk.borrow_mut();
            walk.pop_member(matches!(element, Ok(Some(()))));
            match element {
                Ok(Some(())) => {}
                Ok(None) => break,
                Err(err) => {
                    walk.fail(Place::BeforeElement(index), None);
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        loop {
            let key = match members.next_key::<String>() {
                Ok(Some(key)) => key,
                Ok(None) => return Ok(()),
                Err(err) => {
                    // serde_path_to_error: a key not read is `?`.
                    let mut walk = self.walk.borrow_mut();
                    walk.fail(Place::BetweenMembers, Some(Segment::Unknown));
                    return Err(err);
                }
            };
            self.walk.borrow_mut().path.push(Segment::Key(key));
            let value = members.next_value_seed(self);
            let mut walk = self.walk.borrow_mut();
            walk.pop_member(value.is_ok());
            if let Err(err) = value {
                // At the colon, before the value: the object's path.
                walk.fail(Place::Value, None);
                return Err(err);
            }
        }
    }
}

/// Whether a JSON value can begin with `byte`.
fn begins_value(byte: u8) -> bool {
    !byte.is_ascii_whitespace() && !matches!(byte, b',' | b':' | b']' | b'}')
}

/// `results[3].batchId`, or `.` for the document itself.
fn render(path: &[Segment]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let mut text = String::new();
    for (at, segment) in path.iter().enumerate() {
        match segment {
            Segment::Index(index) => {
                text.push('[');
                text.push_str(&index.to_string());
                text.push(']');
                continue;
            }
            Segment::Key(key) => {
                if at > 0 {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Unknown => {
                if at > 0 {
                    text.push('.');
                }
                text.push('?');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::path_at;

    /// The path at which decoding `body` as `T` fails.
    fn path<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let err = serde_json::from_str::<T>(body).expect_err(body);
        path_at(body.as_bytes(), &err)
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        id: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        results: Vec<Row>,
    }

    #[test]
    fn names_the_field_the_element_or_the_document() {
        let cases = [
            // type errors: the value, or the object that lacks a field
            (r#"{"results": [{"id": 3}]}"#, "results[0].id"),
            (
                r#"{"results": [{"id": "a"}, {"id": "b", "tags": {}}]}"#,
                "results[1].tags",
            ),
            (r#"{"results": [{"id": "a"}, {}]}"#, "results[1]"),
            (r#"{"results": {"0": {}}}"#, "results"),
            (r#"{"next": null}"#, "."),
            (r#"[1]"#, "[0]"),
            (r#"{"results": [[[]]]}"#, "results[0][0]"),
            (r#"{"results": [{"id": "a"}, [[]]]}"#, "results[1][0]"),
            (
                r#"{"res\"ults": 1, "results": [{"id": "a", "tags": [1]}]}"#,
                "results[0].tags[0]",
            ),
            (
                "{\n  \"results\": [\n    {\"id\": null}\n  ]\n}",
                "results[0].id",
            ),
            (r#"{"results": [], "results": []}"#, "."),
            // broken JSON: where the reader was
            (r#"{"results": [{"id": "a"}, {"id": "b"#, "results[1].id"),
            (r#"{"results": ["#, "results"),
            (r#"{"results": [["#, "results[0]"),
            (r#"{"results": [{"id": "a"}"#, "results"),
            (r#"{"results": [], "#, "?"),
            (r#"{"results""#, "."),
            (r#"{"results": [{"id": "a",}]}"#, "results[0].?"),
            ("<html>", "."),
            ("", "."),
        ];
        for (body, expected) in cases {
            assert_eq!(path::<Page>(body), expected, "{body}");
        }
    }

    #[test]
    fn a_key_with_escapes_is_shown_unescaped() {
        let body = r#"{"a\u0062c": "x"}"#;
        let err = serde_json::from_str::<std::collections::HashMap<String, u8>>(body).unwrap_err();
        assert_eq!(path_at(body.as_bytes(), &err), "abc");
    }
}
