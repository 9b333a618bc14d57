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
    let path = match (err.classify(), walk.failure) {
        // A type error is raised once the value is read: it is the value
        // that ended where the walk stopped, unless the walk stopped in a
        // value (a type error at a value's first byte) or before a colon (a
        // duplicate key: the object's).
        (
            Category::Data,
            Some(Failure {
                path,
                between: false,
                ..
            }),
        ) => path,
        // ...or at the first byte of an array's next element, which the
        // walk stopped before.
        (
            Category::Data,
            Some(Failure {
                mut path,
                next: Some(next),
                ..
            }),
        ) if body.get(offset).is_some_and(|&byte| begins_value(byte)) => {
            path.push(next);
            path
        }
        (Category::Data, _) => walk.last_read.unwrap_or_default(),
        // Broken JSON stops the walk at the same byte.
        (_, Some(failure)) => failure.path,
        (_, None) => {
            debug_assert!(result.is_ok());
            Vec::new()
        }
    };
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

/// Where the walk failed: `between`: between an object's members or an
/// array's elements, where no value is being read; `next`: the array's next
/// element, when that is where.
struct Failure {
    path: Vec<Segment>,
    between: bool,
    next: Option<Segment>,
}

#[derive(Default)]
struct Walk {
    /// The path to the value being read.
    path: Vec<Segment>,
    /// The path of the last value read to its end.
    last_read: Option<Vec<Segment>>,
    /// The innermost place the walk failed.
    failure: Option<Failure>,
}

impl Walk {
    /// Records the first (innermost) failure: at the current path, or at
    /// `extra` below it.
    fn fail(&mut self, extra: Option<Segment>, between: bool) {
        self.fail_before(extra, between, None);
    }

    /// [`fail`](Self::fail), before the array element `next`.
    fn fail_before(&mut self, extra: Option<Segment>, between: bool, next: Option<Segment>) {
        if self.failure.is_none() {
            let mut path = self.path.clone();
            path.extend(extra);
            self.failure = Some(Failure {
                path,
                between,
                next,
            });
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
        let mut walk = self.walk.borrow_mut();
        match &result {
            Ok(()) => walk.last_read = Some(walk.path.clone()),
            Err(_) => walk.fail(None, false),
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
            walk.path.pop();
            match element {
                Ok(Some(())) => {}
                Ok(None) => break,
                Err(err) => {
                    walk.fail_before(None, true, Some(Segment::Index(index)));
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
                    self.walk.borrow_mut().fail(Some(Segment::Unknown), true);
                    return Err(err);
                }
            };
            self.walk.borrow_mut().path.push(Segment::Key(key));
            let value = members.next_value_seed(self);
            let mut walk = self.walk.borrow_mut();
            walk.path.pop();
            if let Err(err) = value {
                // At the colon, before the value: the object's path.
                walk.fail(None, false);
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
