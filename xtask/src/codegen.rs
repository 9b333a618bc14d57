//! `cargo xtask codegen`: spec → progenitor → formatted, committed Rust.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use openapiv3::OpenAPI;
use progenitor_impl::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl, TypePatch,
};

use crate::{output, spec};

/// The spec, relative to the workspace root.
pub const SPEC: &str = "openapi/ultravox.json";
/// Where the generated files go, relative to the workspace root.
pub const OUT_DIR: &str = "generated-client/src";
/// The generator, pinned exactly in Cargo.toml; named in each file's header.
const GENERATOR: &str = "progenitor 0.15.1";

pub struct Options {
    pub spec: std::path::PathBuf,
    pub out_dir: std::path::PathBuf,
    pub check: bool,
}

/// Upstream schema names → the idiomatic Rust names users see.
/// Keys are typify's own names for the schemas (PascalCase of the spec names).
const RENAMES: &[(&str, &str)] = &[
    ("UltravoxV1CallMedium", "CallMedium"),
    ("UltravoxV1CallMediumWebRtcMedium", "WebRtcMedium"),
    ("UltravoxV1CallMediumTwilioMedium", "TwilioMedium"),
    ("UltravoxV1CallMediumWebSocketMedium", "WebSocketMedium"),
    ("UltravoxV1CallMediumTelnyxMedium", "TelnyxMedium"),
    ("UltravoxV1CallMediumPlivoMedium", "PlivoMedium"),
    ("UltravoxV1CallMediumExotelMedium", "ExotelMedium"),
    ("UltravoxV1CallMediumSipMedium", "SipMedium"),
    (
        "UltravoxV1TwilioMediumOutgoingRequestParams",
        "TwilioOutgoingRequestParams",
    ),
    (
        "UltravoxV1TelnyxMediumOutgoingRequestParams",
        "TelnyxOutgoingRequestParams",
    ),
    (
        "UltravoxV1PlivoMediumOutgoingRequestParams",
        "PlivoOutgoingRequestParams",
    ),
    ("UltravoxV1SipMediumSipIncoming", "SipIncoming"),
    ("UltravoxV1SipMediumSipOutgoing", "SipOutgoing"),
];

pub fn run(root: &Path, options: &Options) -> Result<()> {
    let shown = display_path(root, &options.spec);
    let spec = spec::load(&options.spec, &shown)?;
    let files = generate(&spec, &shown)?;

    let mut stale = Vec::new();
    for (name, contents) in &files {
        let path = options.out_dir.join(name);
        let shown_out = display_path(root, &path);
        if options.check {
            if let Some(diff) = output::diff(&path, contents)? {
                eprintln!("{shown_out} is stale:\n{diff}");
                stale.push(shown_out);
            } else {
                println!("{shown_out}: up to date");
            }
        } else {
            let changed = output::write_if_changed(&path, contents)?;
            println!(
                "{shown_out}: {}",
                if changed { "updated" } else { "unchanged" }
            );
        }
    }
    if !stale.is_empty() {
        return Err(anyhow!(
            "{} out of date with {shown}; run `cargo xtask codegen` and commit the result",
            stale.join(", ")
        ));
    }
    Ok(())
}

/// Generates every output in memory; nothing is written unless all succeed.
fn generate(spec: &OpenAPI, shown: &str) -> Result<Vec<(&'static str, String)>> {
    let settings = settings();
    let client = guarded(shown, || Generator::new(&settings).generate_tokens(spec))?;
    let mocks = guarded(shown, || Generator::new(&settings).httpmock(spec, "crate"))?;
    Ok(vec![
        (
            "generated.rs",
            with_header(&format_file(client, shown)?, shown),
        ),
        (
            "generated_httpmock.rs",
            with_header(&format_file(mocks, shown)?, shown),
        ),
    ])
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema")
        // Ordered maps keep serialized output and snapshots deterministic.
        .with_map_type("::std::collections::BTreeMap")
        // The client carries its hand-written configuration (key, retries)
        // and must implement `ClientHooks` in `src/hooks.rs`.
        .with_inner_type("crate::ClientConfig".parse().expect("a Rust path"))
        .with_hooks(HooksMode::Expected)
        // The API adds statuses over time: an open, hand-written enum keeps
        // unknown ones instead of failing the page.
        .with_replacement(
            "ScheduledCallStatusEnum",
            "crate::ScheduledCallStatus",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    for (from, to) in RENAMES {
        settings.with_patch(from, TypePatch::default().with_rename(to));
    }
    settings
}

/// progenitor reports most problems as errors but panics on some; turn both
/// into an error that names the spec, without a backtrace.
fn guarded<T>(shown: &str, generate: impl FnOnce() -> progenitor_impl::Result<T>) -> Result<T> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(generate));
    std::panic::set_hook(previous_hook);
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(anyhow!(
            "progenitor cannot generate a client from {shown}: {err}"
        )),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(anyhow!(
                "progenitor cannot generate a client from {shown}: it panicked with `{message}`; \
                 simplify the schema it names, or report it upstream"
            ))
        }
    }
}

fn format_file(tokens: proc_macro2::TokenStream, shown: &str) -> Result<String> {
    let file: syn::File = syn::parse2(tokens)
        .with_context(|| format!("progenitor produced invalid Rust for {shown}"))?;
    Ok(prettyplease::unparse(&file))
}

fn with_header(code: &str, shown: &str) -> String {
    format!(
        "// @generated by `cargo xtask codegen` from {shown} with {GENERATOR}. \
         Do not edit: change the spec and regenerate.\n\n{code}"
    )
}

/// Paths in messages and headers are relative to the workspace root, with
/// `/` separators, so output does not depend on where the checkout lives.
fn display_path(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(relative) => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}
