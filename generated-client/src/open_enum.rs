//! What every generated open enum shares (see `types`): the opaque value of
//! its `Unknown` variant, decoding that matches the borrowed string (a known
//! value costs no allocation), and a JSON Schema that accepts any string and
//! lists the known ones.

use std::fmt;
use std::marker::PhantomData;

/// A value of an open enum that this version of the crate does not know,
/// kept exactly as the API sent it. Only decoding and the enums'
/// `from_api_value` make one, and only for a value without a variant of its
/// own; read it with [`UnknownValue::as_str`] (or the enum's own `as_str`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(String);

impl UnknownValue {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The value as the API spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// What the generated open enums implement for [`Visitor`].
pub(crate) trait OpenEnum: Sized {
    /// The named variant for a value this version knows, `Unknown` for any other.
    fn from_owned(value: String) -> Self;
    /// [`Self::from_owned`] for a borrowed value (known ones allocate nothing).
    fn from_borrowed(value: &str) -> Self;
}

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

impl<T: OpenEnum> serde::de::Visitor<'_> for Visitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from_borrowed(value))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<T, E> {
        Ok(T::from_owned(value))
    }
}

/// Open: any string is valid; the known values are listed as examples.
#[cfg(feature = "json-schema")]
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
