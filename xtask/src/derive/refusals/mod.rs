//! What a vendor document may not do. The document may change the API the
//! crate describes, nothing else: these checks run on every document
//! before anything is generated from it (by `codegen`, `sync` and `watch`),
//! and each refusal names the place in the document and why.
//!
//! - [`names`]: names that would not compile, or not pass clippy, once
//!   sanitised (collisions, control, bidirectional, invisible or non-ASCII
//!   characters, over-long names), invalid header parameters, the auth
//!   header as a parameter;
//! - [`paths`]: paths with `..`, `?`, `#` or a scheme, duplicate
//!   operationIds;
//! - [`cycles`]: `$ref` cycles without structure (which hang the
//!   generator or make a type that cannot be decoded);
//! - [`budget`]: more enum values, properties, schemas or generated code
//!   than a budget allows (`--budget FACTOR` raises it);
//! - [`origin`]: a server whose scheme, host or port changes, unless the
//!   overlay allows it, plain `http://` always, and a query or fragment;
//! - [`patterns`]: a `pattern` that is not a regular expression, or whose
//!   shortest match is huge (every test sample would be).

pub mod budget;
pub mod cycles;
pub mod names;
pub mod origin;
pub mod paths;
pub mod patterns;

use anyhow::Result;
use serde_json::Value;

/// The checks of the whole document (before the overlay and the slice).
pub fn check_document(document: &Value, shown: &str) -> Result<()> {
    paths::check_operation_ids(document, shown)?;
    // A path that leaves the base URL is suspect wherever it is.
    paths::check_paths(document, shown)
}

/// The checks of the derived spec: what is generated.
pub fn check_derived(spec: &Value, shown: &str) -> Result<()> {
    origin::check_scheme(spec, shown)?;
    names::check(spec, shown)?;
    cycles::check(spec, shown)?;
    patterns::check(spec, shown)?;
    budget::check_spec(spec, shown)
}
