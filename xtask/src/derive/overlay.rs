//! The project's deliberate changes to the vendor's document, as an OpenAPI
//! Overlay 1.0 document (RFC 9535 JSONPath targets), applied strictly: an
//! action whose target matches nothing fails, so an upstream rename cannot
//! turn an override into a silent no-op.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use roas_overlay::apply::{Apply, ApplyErrorKind, ApplyOptions};
use roas_overlay::v1_0::Overlay;
use roas_overlay::validation::Validate;
use serde_json::Value;

use crate::fetch::document;

/// Reads and validates the overlay at `path`.
pub fn load(path: &Path, shown: &str) -> Result<Overlay> {
    let value = document::load(path, shown, "an OpenAPI Overlay 1.0 document")?;
    let overlay: Overlay = serde_json::from_value(value)
        .with_context(|| format!("{shown} is not an OpenAPI Overlay 1.0 document"))?;
    overlay
        .validate(Default::default())
        .map_err(|err| anyhow!("{shown} is not a valid Overlay 1.0 document: {err}"))?;
    Ok(overlay)
}

/// Applies every action of `overlay` to `document`, or none of them.
pub fn apply(overlay: &Overlay, document: &mut Value, shown: &str, target: &str) -> Result<()> {
    let Err(err) = overlay.apply(document, ApplyOptions::ErrorOnZeroMatch.into()) else {
        return Ok(());
    };
    let action = &overlay.actions[err.action_index];
    let why = action
        .description
        .as_deref()
        .map(|text| {
            text.split(". ")
                .next()
                .unwrap_or(text)
                .trim_end_matches('.')
        })
        .unwrap_or("no description");
    let problem = match err.kind {
        ApplyErrorKind::ZeroMatch => format!("which matches nothing in {target}"),
        other => format!("which cannot be applied to {target}: {other}"),
    };
    bail!(
        "{shown}: action {} (\"{why}\") targets `{}`, {problem}. The vendor's document \
         changed under it: fix its `target` or delete the action",
        err.action_index + 1,
        err.target,
    );
}
