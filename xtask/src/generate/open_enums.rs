//! Every string enum of the spec becomes an open enum: a variant per listed
//! value plus `Unknown(UnknownValue)`, so a value the vendor adds later decodes
//! (and re-serializes unchanged) instead of failing a whole page. typify
//! replaces each enum schema by the type generated here; what all open enums
//! share (the borrowing serde visitor, the JSON Schema) is hand-written once
//! in `generated-client/src/open_enum.rs`.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::derive::rustify::StringEnum;

/// Where the generated enums live, as the generated code names them.
pub const MODULE: &str = "crate::types";

const OPEN_DOC: &str = " This enum is open, as smithy-rs makes its enums: a value this version \
of the crate does not know arrives as `Unknown` (an opaque [`UnknownValue`](crate::UnknownValue)) \
and goes back out unchanged. Only decoding and [`Self::from_api_value`] make one, and only for \
a value with no variant of its own, so a known value is always its named variant. Equality, \
hashing and ordering follow the value as the API spells it ([`Self::as_str`]), so a value a \
later release names still compares equal to what was decoded before. The enum is \
`#[non_exhaustive]` and `Unknown` is deprecated for matching: match the variants you handle \
and one `_` arm for the rest.";

/// The open enums for `enums`, to be placed in `types`.
pub fn tokens(enums: &[StringEnum]) -> Result<TokenStream> {
    let mut out = TokenStream::new();
    for string_enum in enums {
        out.extend(one(string_enum)?);
    }
    Ok(out)
}

fn one(string_enum: &StringEnum) -> Result<TokenStream> {
    let name = format_ident!("{}", string_enum.name);
    let description = string_enum.description.clone().unwrap_or_else(|| {
        format!(
            "A value of the spec's {}.",
            crate::sinks::rustdoc::code_span(&string_enum.origin)
        )
    });
    let doc_lines = description.lines().map(|line| format!(" {line}"));
    let values = &string_enum.values;
    let variants: Vec<_> = variant_names(string_enum)?
        .iter()
        .map(|variant| format_ident!("{variant}"))
        .collect();
    let variant_docs = values
        .iter()
        .map(|value| format!(" {}", crate::sinks::rustdoc::code_span(value)));
    let count = proc_macro2::Literal::usize_unsuffixed(values.len());
    let expecting = format!("a {} string", string_enum.name);
    let name_text = string_enum.name.as_str();
    Ok(quote! {
        #( #[doc = #doc_lines] )*
        #[doc = ""]
        #[doc = #OPEN_DOC]
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            /// A value this version of the crate does not know, kept verbatim
            /// (see [`UnknownValue`](crate::UnknownValue)).
            #[deprecated(note = "don't match on `Unknown`: a later release may give its value a \
                variant of its own, and the arm would stop matching. Match the variants you \
                handle and use a `_` arm (with `as_str()`) for the rest")]
            Unknown(crate::UnknownValue),
        }
        #[allow(deprecated)]
        impl #name {
            /// The values the spec lists, in its order.
            pub const KNOWN: [#name; #count] = [ #( #name::#variants, )* ];

            /// The value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #name::#variants => #values, )*
                    #name::Unknown(value) => value.as_str(),
                }
            }

            /// The variant for `value` as the API spells it: its named
            /// variant when this version knows it, `Unknown` (sent as written)
            /// for any other.
            pub fn from_api_value(value: &str) -> Self {
                Self::known(value)
                    .unwrap_or_else(|| #name::Unknown(crate::UnknownValue::new(value.to_owned())))
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    #( #values => ::std::option::Option::Some(#name::#variants), )*
                    _ => ::std::option::Option::None,
                }
            }
        }
        impl crate::open_enum::OpenEnum for #name {
            fn from_owned(value: ::std::string::String) -> Self {
                #[allow(deprecated)]
                Self::known(&value).unwrap_or(#name::Unknown(crate::UnknownValue::new(value)))
            }
            fn from_borrowed(value: &str) -> Self {
                Self::from_api_value(value)
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            /// Never fails: see [`Self::from_api_value`].
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from_api_value(value))
            }
        }
        impl ::std::cmp::PartialEq for #name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }
        impl ::std::cmp::Eq for #name {}
        impl ::std::hash::Hash for #name {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }
        impl ::std::cmp::PartialOrd for #name {
            fn partial_cmp(&self, other: &Self) -> ::std::option::Option<::std::cmp::Ordering> {
                ::std::option::Option::Some(self.cmp(other))
            }
        }
        impl ::std::cmp::Ord for #name {
            fn cmp(&self, other: &Self) -> ::std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }
        impl ::std::fmt::Display for #name {
            /// The value as the API spells it, honouring width, fill and alignment.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_str(crate::open_enum::Visitor::<Self>::new(#expecting))
            }
        }
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name_text)
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                crate::open_enum::json_schema(#description, Self::KNOWN.iter().map(Self::as_str))
            }
        }
    })
}

/// Variant names: the value in PascalCase (`URGENCY_SOON` → `UrgencySoon`).
fn variant_names(string_enum: &StringEnum) -> Result<Vec<String>> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = Vec::new();
    for value in &string_enum.values {
        let mut name = value.to_upper_camel_case();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            name = format!("V{name}");
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            name = name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        }
        if name == "Unknown" {
            name = "UnknownValue".to_owned();
        }
        if let Some(other) = seen.insert(name.clone(), value) {
            bail!(
                "the enum `{}` has values `{other}` and `{value}` that both become the variant \
                 `{name}`; extend the naming in xtask/src/generate/open_enums.rs",
                string_enum.name
            );
        }
        names.push(name);
    }
    Ok(names)
}
