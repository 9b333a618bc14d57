//! Stage 2, derive: vendor document + operations + overlay → the derived
//! spec (`openapi/ultravox.json`): the overlay is applied to the whole
//! document, then the exposed operations are sliced out, then checked
//! (`crate::derive::refusals`); `rustify` turns the derived spec into the
//! generator's input.

pub mod overlay;
pub mod refusals;
pub mod rust_names;
pub mod rustify;
pub mod slice;

use anyhow::Result;
use serde_json::Value;

use crate::fetch::document;
use crate::project::Project;
use slice::Operation;

/// The derived spec and the operations it was sliced for.
pub struct Derived {
    pub spec: Value,
    pub operations: Vec<Operation>,
}

/// Derives the spec from `upstream` (already parsed; `shown` names it).
pub fn derive(project: &Project, mut upstream: Value, shown: &str) -> Result<Derived> {
    document::check_openapi_version(&upstream, shown)?;
    refusals::check_document(&upstream, shown)?;
    let operations = exposed_operations(project)?;
    slice::check_operations(&upstream, &operations, shown)?;
    let overlay_path = project.overlay();
    let overlay_shown = project.show(&overlay_path);
    let overlay = overlay::load(&overlay_path, &overlay_shown)?;
    overlay::apply(&overlay, &mut upstream, &overlay_shown, shown)?;
    let spec = slice::slice(&upstream, &operations, shown)?;
    refusals::check_derived(&spec, shown)?;
    Ok(Derived { spec, operations })
}

/// The operations `openapi/operations.yaml` exposes.
pub fn exposed_operations(project: &Project) -> Result<Vec<Operation>> {
    let path = project.operations();
    let shown = project.show(&path);
    slice::operations(
        &document::load(&path, &shown, "a list of operations")?,
        &shown,
    )
}

/// Derives the spec from the committed vendor document.
pub fn derive_committed(project: &Project) -> Result<Derived> {
    let path = project.upstream();
    let shown = project.show(&path);
    let upstream = document::load(&path, &shown, "the vendor's OpenAPI document")?;
    derive(project, upstream, &shown)
}

/// The derived spec as committed: pretty JSON with a final newline.
pub fn to_text(spec: &Value) -> String {
    let mut text = serde_json::to_string_pretty(spec).expect("JSON values serialize");
    text.push('\n');
    text
}
