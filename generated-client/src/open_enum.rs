//! What every generated open enum shares (see `types`): decoding that
//! matches the borrowed string, so a known value costs no allocation, and a
//! JSON Schema that accepts any string and lists the known ones.

use std::fmt;
use std::marker::PhantomData;

/// Deserializes an open enum from a string.
pub(crate) struct Visitor<T> {
    expecting: &'static str,
    target: PhantomData<T>,
}

impl<T> Visitor<T> {
    pub(crate) fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            target: PhantomData,
        }
    }
}

impl<T> serde::de::Visitor<'_> for Visitor<T>
where
    T: for<'s> From<&'s str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<T, E> {
        Ok(T::from(value))
    }
}

/// Open: any string is valid; the known values are listed as examples.
pub(crate) fn json_schema<'v>(
    description: &str,
    known: impl Iterator<Item = &'v str>,
) -> schemars::Schema {
    let description = format!(
        "{description}\n\nOpen: any string; the values this version knows are listed as \
         examples, and others are kept verbatim."
    );
    let examples: Vec<&str> = known.collect();
    schemars::json_schema!({
        "type": "string",
        "description": description,
        "examples": examples,
    })
}
