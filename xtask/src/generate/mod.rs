//! Stage 3, generate (`cargo xtask codegen`): the derived spec (from the
//! vendor document, the operations and the overlay) → progenitor → the
//! rewrites of this module's submodules → formatted, committed Rust,
//! written all or nothing.

pub mod binary_mocks;
pub mod builders;
pub mod crates;
pub mod open_enums;
pub mod operation_tests;
pub mod output;
pub mod patch_nulls;
pub mod redact;
pub mod renames;
pub mod scope;
pub mod surface;
pub mod syn_modules;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use openapiv3::OpenAPI;
use progenitor_impl::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl,
};
use quote::quote;
use serde_json::Value;

use crate::derive::rustify::{self, Rustified};
use crate::derive::{self, Derived};
use crate::fetch::provenance::Provenance;
use crate::project::Project;

/// The generator, pinned exactly in Cargo.toml; named in each file's header.
const GENERATOR: &str = "progenitor 0.15.1";

pub fn run(project: &Project, check: bool) -> Result<()> {
    let journal = project.root.join(output::JOURNAL);
    if check && journal.exists() {
        bail!(
            "{} holds a write that a killed `cargo xtask sync` or `codegen` left unfinished; \
             run `cargo xtask codegen` (or the same sync again) to complete or undo it",
            project.show(&journal)
        );
    }
    if output::recover(&project.root)? {
        crate::sinks::terminal::err("completed or undid an interrupted write\n");
    }
    verify_upstream(project)?;
    let budget = crate::derive::refusals::budget::factor();
    let job = Job {
        root: project.root.clone(),
        budget,
    };
    let Files(files) = crate::limits::run(
        "codegen",
        &job,
        crate::limits::caps(),
        &project.show(&project.derived()),
    )?;
    if check {
        let mut stale = Vec::new();
        let mut diffs = String::new();
        for (path, contents) in &files {
            let shown = project.show(path);
            match output::diff(path, contents)? {
                Some(diff) => {
                    diffs.push_str(&format!("\n{shown} is stale:\n{diff}\n"));
                    stale.push(shown);
                }
                None => crate::sinks::terminal::out(&format!("{shown}: up to date\n")),
            }
        }
        if !stale.is_empty() {
            bail!(
                "{} out of date with openapi/{{upstream.yaml, operations.yaml, overlay.yaml}}; \
                 run `cargo xtask codegen` and commit the result\n{diffs}",
                stale.join(", ")
            );
        }
        return Ok(());
    }
    let changed = output::write_all(&project.root, &files)?;
    for ((path, _), changed) in files.iter().zip(changed) {
        let state = if changed { "updated" } else { "unchanged" };
        crate::sinks::terminal::out(&format!("{}: {state}\n", project.show(path)));
    }
    Ok(())
}

/// What [`run`] hands to its limited child (`crate::limits`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Job {
    root: PathBuf,
    budget: u32,
}

/// Every file [`run`] writes: what its limited child sends back.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Files(#[serde(with = "crate::limits::by_file")] Vec<(PathBuf, String)>);

/// The limited child's side of [`run`]: every file, derived and generated
/// from the committed document.
pub fn codegen_job(job: Value) -> Result<Files> {
    let job: Job = serde_json::from_value(job).context("the codegen job is damaged")?;
    crate::derive::refusals::budget::set_factor(job.budget as usize);
    let project = Project::at(job.root);
    crate::limits::stage("derive");
    let derived = derive::derive_committed(&project)?;
    // The client as generated last: the names its types had are kept.
    let previous = std::fs::read_to_string(project.out_dir().join("generated.rs"))
        .ok()
        .and_then(|code| syn::parse_file(&code).ok());
    outputs(&project, &derived, previous.as_ref(), false).map(Files)
}

/// Fails when `openapi/upstream.yaml` is not the document its provenance
/// record describes (a hand edit): the project's changes belong in the
/// overlay. Without a record (before the first sync) there is nothing to
/// check against.
fn verify_upstream(project: &Project) -> Result<()> {
    let lock = project.upstream_lock();
    let Some(record) = Provenance::load(&lock, &project.show(&lock))? else {
        return Ok(());
    };
    let upstream = project.upstream();
    let shown = project.show(&upstream);
    let bytes = std::fs::read(&upstream).with_context(|| format!("cannot read {shown}"))?;
    record.verify(&bytes, &shown, &project.show(&lock))
}

/// Every derived and generated file, in memory: nothing is written unless
/// all of them could be made. `previous` is the client as generated last:
/// a type it had under another name keeps that name as a deprecated alias
/// (see `renames`); and for a new document (`new_document`, `sync`), what
/// it uses unqualified no new schema may be named (see `scope`).
pub fn outputs(
    project: &Project,
    derived: &Derived,
    previous: Option<&syn::File>,
    new_document: bool,
) -> Result<Vec<(PathBuf, String)>> {
    let spec_path = project.derived();
    let shown = project.show(&spec_path);
    crate::derive::refusals::names::check_parameter_methods(
        &derived.spec,
        &request_methods(project)?,
        &shown,
    )?;
    let rustified = rustify::rustify(&derived.spec)?;
    let openapi: OpenAPI = serde_json::from_value(rustified.spec.clone())
        .map_err(|err| anyhow!("{shown} is not a valid OpenAPI 3.0 document: {err}"))?;

    let settings = settings(&rustified);
    crate::limits::stage("generate");
    let client = guarded(&shown, || {
        Generator::new(&settings).generate_tokens(&openapi)
    })?;
    let mocks = guarded(&shown, || {
        Generator::new(&settings).httpmock(&openapi, "crate")
    })?;

    let mut client: syn::File = syn::parse2(client)
        .with_context(|| format!("progenitor produced invalid Rust for {shown}"))?;
    check_type_names(&client, &rustified)?;
    complete_client(&mut client, derived, &rustified)?;
    if let Some(previous) = previous {
        keep_renamed_types(&mut client, previous)?;
    }
    let mut mocks: syn::File = syn::parse2(mocks)
        .with_context(|| format!("progenitor produced invalid Rust mocks for {shown}"))?;
    surface::rename_mocks(&mut mocks, &derived.operations);
    surface::fix_mock_collections(&mut mocks);
    surface::add_mock_error_helpers(&mut mocks);
    binary_mocks::fix(&mut mocks, &derived.spec, &derived.operations);

    for (file, name) in [(&client, "generated.rs"), (&mocks, "generated_httpmock.rs")] {
        crate::sinks::rustdoc_backstop::check(file, &format!("{name} from {shown}"))?;
    }
    scope::check(&client, previous.filter(|_| new_document), &shown)?;
    let manifest = project.client_manifest();
    let lock = project.root.join("Cargo.lock");
    for (file, name) in [(&client, "generated.rs"), (&mocks, "generated_httpmock.rs")] {
        crates::check(file, &manifest, &project.show(&manifest), &lock, name)?;
    }

    let operation_tests: syn::File = syn::parse2(operation_tests::tokens(
        &client,
        &mocks,
        &derived.spec,
        &derived.operations,
    )?)
    .context("the generated operation tests are not valid Rust")?;

    crate::limits::stage("format");
    let client_code = with_header(&prettyplease::unparse(&client), &shown);
    crate::derive::refusals::budget::check_generated(client_code.len(), "generated.rs", &shown)?;
    let out_dir = project.out_dir();
    Ok(vec![
        (spec_path, derive::to_text(&derived.spec)),
        (out_dir.join("generated.rs"), client_code),
        (
            out_dir.join("generated_httpmock.rs"),
            with_header(&prettyplease::unparse(&mocks), &shown),
        ),
        (
            project.operation_tests(),
            with_header(&prettyplease::unparse(&operation_tests), &shown),
        ),
    ])
}

/// The methods every request has: those of `Request` in the client's
/// hand-written source, and progenitor's builder's own.
fn request_methods(project: &Project) -> Result<std::collections::BTreeSet<String>> {
    let mut methods: std::collections::BTreeSet<String> =
        ["send", "new", "body", "body_map", "map_builder"]
            .map(str::to_owned)
            .into();
    let dir = project.out_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        // A project without the hand-written layer (a test's scratch copy).
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(methods),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot list {}", project.show(&dir)));
        }
    };
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".rs") || name.starts_with("generated") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", project.show(&path)))?;
        methods.extend(request_impl_methods(&text));
    }
    Ok(methods)
}

/// The names of the functions in `impl … Request<…> { … }` blocks (not
/// trait impls) of `source`. Scanned as text, not parsed: this runs on every
/// codegen, and the methods are what rustfmt lays out one per `fn` line.
fn request_impl_methods(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth: Option<usize> = None;
    for line in source.lines() {
        let trimmed = line.trim_start();
        match depth {
            None => {
                if trimmed.starts_with("impl")
                    && trimmed.contains("Request<")
                    && !trimmed.contains(" for ")
                    && trimmed.ends_with('{')
                {
                    depth = Some(1);
                }
            }
            Some(level) => {
                if level == 1 {
                    let signature = trimmed
                        .trim_start_matches("pub ")
                        .trim_start_matches("pub(crate) ")
                        .trim_start_matches("async ");
                    if let Some(rest) = signature.strip_prefix("fn ") {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        names.push(name);
                    }
                }
                let opened = line.matches('{').count();
                let closed = line.matches('}').count();
                let level = (level + opened).saturating_sub(closed);
                depth = (level > 0).then_some(level);
            }
        }
    }
    names
}

fn settings(rustified: &Rustified) -> GenerationSettings {
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
        .with_inner_type("crate::config::ClientConfig".parse().expect("a Rust path"))
        .with_hooks(HooksMode::Expected);
    for string_enum in &rustified.enums {
        settings.with_replacement(
            &string_enum.name,
            format!("{}::{}", open_enums::MODULE, string_enum.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

/// The generated `types` module.
/// Adds to `client`'s `types` the deprecated aliases `previous` had, and
/// one for every type that only changed its name since.
fn keep_renamed_types(client: &mut syn::File, previous: &syn::File) -> Result<()> {
    let before = syn_modules::items(&previous.items, "types").unwrap_or_default();
    let types = types_module(client)?;
    let renamed = renames::detect(before, types);
    let aliases = renames::resolve(&renames::aliases(before), &renamed, types);
    renames::add(types, &aliases);
    Ok(())
}

fn types_module(file: &mut syn::File) -> Result<&mut Vec<syn::Item>> {
    syn_modules::items_mut(&mut file.items, "types")
        .context("progenitor's output has no `types` module; has its layout changed?")
}

/// typify ignores settings that match nothing, and names types after the
/// raw schema names: check what it made.
fn check_type_names(file: &syn::File, rustified: &Rustified) -> Result<()> {
    let types = syn_modules::items(&file.items, "types")
        .context("progenitor's output has no `types` module; has its layout changed?")?;
    let names: Vec<String> = syn_modules::type_names(types).collect();
    for name in &names {
        if let Some(prefix) = rustified.raw_prefixes.iter().find(|p| name.starts_with(*p)) {
            bail!(
                "the generated type `{name}` still carries the upstream prefix `{prefix}`; \
                 extend the naming rule in xtask/src/derive/rust_names.rs"
            );
        }
    }
    for string_enum in &rustified.enums {
        if names.contains(&string_enum.name) {
            bail!(
                "typify generated its own `{}` although it was told to use the open enum; \
                 the replacement matched no schema",
                string_enum.name
            );
        }
    }
    Ok(())
}

/// Adds what progenitor does not make: the open enums, the constants the
/// hand-written layer reads from the spec, and the public surface of every
/// operation (see `surface`) in place of progenitor's own client methods,
/// so users meet one request type and one error type.
fn complete_client(file: &mut syn::File, derived: &Derived, rustified: &Rustified) -> Result<()> {
    let enums: syn::File = syn::parse2(open_enums::tokens(&rustified.enums)?)
        .context("the open enums are not valid Rust")?;
    types_module(file)?.extend(enums.items);

    let constants: syn::File = syn::parse2(constants(&derived.spec)?)
        .context("the spec's constants are not valid Rust")?;
    file.items.extend(constants.items);

    let (surface, described) = surface::tokens(file, &rustified.spec, &derived.operations)?;
    let surface: syn::File =
        syn::parse2(surface).context("the generated client surface is not valid Rust")?;
    syn_modules::items_mut(&mut file.items, "builder")
        .context("progenitor's output has no `builder` module; has its layout changed?")?
        .extend(described);

    // progenitor's own client methods are replaced by the surface's, which
    // build progenitor's builders directly (same names by default).
    file.items
        .retain(|item| !matches!(item, syn::Item::Impl(block) if is_client_operations(block)));
    file.items.extend(surface.items);
    hide_generator_plumbing(file);
    semver_safe_types(types_module(file)?);
    json_schema_behind_feature(types_module(file)?);
    inline_type_impls(types_module(file)?);
    builders::rewrite(types_module(file)?, &rustified.spec)?;
    patch_nulls::rewrite(
        types_module(file)?,
        &patch_nulls::clearable_properties(&rustified.spec),
    )?;
    let sensitive = redact::sensitive_properties(&rustified.spec);
    redact::rewrite(types_module(file)?, &sensitive)?;
    file.items.push(redact::sensitive_keys(&sensitive));
    // progenitor's `prelude` holds only `Client`, which the crate root
    // exports already.
    file.items
        .retain(|item| !matches!(item, syn::Item::Mod(module) if module.ident == "prelude"));
    Ok(())
}

/// Every function of the types' non-generic impls (builders' `Default`,
/// `TryFrom` and `From`, `Type::builder()`, defaults, newtype conversions,
/// the open enums' methods) is `#[inline]`: it is then compiled in the crate
/// that uses it, if one does, instead of in the client for every consumer.
/// Most of the ~12,000 generated lines are such impls; a consumer's build
/// pays for what it calls.
fn inline_type_impls(types: &mut [syn::Item]) {
    use syn::visit_mut::VisitMut;

    struct Inline;
    impl VisitMut for Inline {
        fn visit_item_impl_mut(&mut self, block: &mut syn::ItemImpl) {
            if block.generics.params.is_empty() {
                for item in &mut block.items {
                    if let syn::ImplItem::Fn(function) = item
                        && function.sig.generics.params.is_empty()
                        && !function
                            .attrs
                            .iter()
                            .any(|attr| attr.path().is_ident("inline"))
                    {
                        function.attrs.push(syn::parse_quote!(#[inline]));
                    }
                }
            }
            syn::visit_mut::visit_item_impl_mut(self, block);
        }

        fn visit_item_fn_mut(&mut self, function: &mut syn::ItemFn) {
            if function.sig.generics.params.is_empty() {
                function.attrs.push(syn::parse_quote!(#[inline]));
            }
        }
    }
    for item in types {
        Inline.visit_item_mut(item);
    }
}

/// The types' JSON Schema (`schemars::JsonSchema`) is the client's feature
/// `json-schema`: a consumer who does not use it does not compile schemars
/// and its derive. Every derive of it, `#[schemars(…)]` attribute and
/// hand-made impl (the open enums') is put behind the feature.
fn json_schema_behind_feature(types: &mut [syn::Item]) {
    let is_json_schema = |path: &syn::Path| {
        path.segments
            .last()
            .is_some_and(|segment| segment.ident == "JsonSchema")
    };
    let gate = |attrs: &mut Vec<syn::Attribute>| {
        let mut derived = false;
        for attr in attrs.iter_mut() {
            if attr.path().is_ident("derive") {
                let Ok(paths) = attr.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                ) else {
                    continue;
                };
                let kept: Vec<&syn::Path> = paths.iter().filter(|p| !is_json_schema(p)).collect();
                if kept.len() < paths.len() {
                    derived = true;
                    *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
                }
            } else if attr.path().is_ident("schemars") {
                let meta = &attr.meta;
                *attr = syn::parse_quote!(#[cfg_attr(feature = "json-schema", #meta)]);
            }
        }
        if derived {
            attrs.push(syn::parse_quote!(
                #[cfg_attr(feature = "json-schema", derive(::schemars::JsonSchema))]
            ));
        }
    };
    for item in types {
        match item {
            syn::Item::Struct(item) => gate(&mut item.attrs),
            syn::Item::Enum(item) => gate(&mut item.attrs),
            syn::Item::Impl(block)
                if block
                    .trait_
                    .as_ref()
                    .is_some_and(|(path, _)| is_json_schema(path)) =>
            {
                block
                    .attrs
                    .push(syn::parse_quote!(#[cfg(feature = "json-schema")]));
            }
            _ => {}
        }
    }
}

/// Every generated struct is `#[non_exhaustive]` and ignores unknown
/// fields, as aws-sdk-rust's are and do, so
/// a property the vendor adds is not a breaking change: outside the crate a
/// value is built with its builder, which gets a documented `builder()` and
/// a `build()` that fails naming a required field that was not set.
fn semver_safe_types(types: &mut [syn::Item]) {
    let mut structs = Vec::new();
    for item in types.iter_mut() {
        if let syn::Item::Struct(item) = item {
            item.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            // Unknown fields are ignored, as everywhere: a field the vendor
            // adds to a fieldless message must not fail a page.
            item.attrs.retain(|attr| {
                let tokens = quote!(#attr).to_string();
                !(attr.path().is_ident("serde") && tokens.contains("deny_unknown_fields"))
            });
            structs.push(item.ident.clone());
        }
    }
    for item in types.iter_mut() {
        match item {
            // `impl X { pub fn builder() -> builder::X }`
            syn::Item::Impl(block) if block.trait_.is_none() => {
                let syn::Type::Path(self_ty) = &*block.self_ty else {
                    continue;
                };
                let Some(name) = self_ty.path.get_ident().cloned() else {
                    continue;
                };
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(function) = member
                        && function.sig.ident == "builder"
                    {
                        let doc = format!(
                            " Starts a [`builder::{name}`]: set the fields with its methods, then \
                             call `.build()`, which fails naming a required field left unset."
                        );
                        function.attrs.push(syn::parse_quote!(#[doc = #doc]));
                    }
                }
            }
            syn::Item::Mod(module) if module.ident == "builder" => {
                let Some((_, items)) = &mut module.content else {
                    continue;
                };
                let builders: Vec<syn::Ident> = items
                    .iter()
                    .filter_map(|item| match item {
                        syn::Item::Struct(s) if structs.contains(&s.ident) => Some(s.ident.clone()),
                        _ => None,
                    })
                    .collect();
                for item in items.iter_mut() {
                    if let syn::Item::Struct(builder) = item {
                        // A builder of a fieldless struct has no fields either:
                        // without this, users could build it with `{}`, and a
                        // field the vendor adds would break them.
                        builder.attrs.push(syn::parse_quote!(#[non_exhaustive]));
                        let doc = format!(
                            " Builds a [`{0}`](super::{0}); start from `{0}::builder()`.",
                            builder.ident
                        );
                        builder.attrs.push(syn::parse_quote!(#[doc = #doc]));
                    }
                }
                for name in builders {
                    let doc = format!(
                        " The [`{name}`](super::{name}), or the first required field left unset \
                         or the first value that does not convert."
                    );
                    items.push(syn::parse_quote! {
                        impl #name {
                            #[doc = #doc]
                            pub fn build(self) -> ::std::result::Result<super::#name, super::error::ConversionError> {
                                ::std::convert::TryFrom::try_from(self)
                            }
                        }
                    });
                }
            }
            _ => {}
        }
    }
}

/// What progenitor makes public on `Client` that users must not meet: its
/// constructors (which skip the builder's checks of the base URL and the
/// redirect policy; `Client::builder` is the way in), a doc comment that
/// gives the spec file's version as the client's, and the `ClientInfo`
/// impl the hooks need (hidden from the docs).
fn hide_generator_plumbing(file: &mut syn::File) {
    let client_doc = [
        " The Ultravox API client. Build one with [`Client::builder`] or",
        " [`Client::from_env`]; each method sends one operation of the API (see",
        " [`operations`]) and returns a [`Request`](crate::Request) to refine and send.",
        " Cloning is cheap: clones share one connection pool.",
    ];
    for item in &mut file.items {
        match item {
            syn::Item::Struct(client) if client.ident == "Client" => {
                client.attrs.retain(|attr| !attr.path().is_ident("doc"));
                client
                    .attrs
                    .extend(client_doc.iter().map(|line| syn::parse_quote!(#[doc = #line])));
            }
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
                    && block.items.iter().any(|member| {
                        matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "new_with_client")
                    }) =>
            {
                block
                    .items
                    .retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(function) = member {
                        function.vis = syn::parse_quote!(pub(crate));
                    }
                }
            }
            syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "ClientInfo")
                }) =>
            {
                block.attrs.push(syn::parse_quote!(#[doc(hidden)]));
            }
            _ => {}
        }
    }
}

/// `impl Client { pub fn <operation>(&self) -> builder::… }`.
fn is_client_operations(block: &syn::ItemImpl) -> bool {
    let self_is_client =
        matches!(&*block.self_ty, syn::Type::Path(path) if path.path.is_ident("Client"));
    self_is_client
        && block.trait_.is_none()
        && block.items.iter().all(|member| {
            matches!(member, syn::ImplItem::Fn(function)
                if matches!(&function.sig.output, syn::ReturnType::Type(_, ty)
                    if quote!(#ty).to_string().starts_with("builder ::")))
        })
}

fn constants(spec: &Value) -> Result<proc_macro2::TokenStream> {
    let base_url = spec
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .context("the spec lists no `servers`; the client needs the API's URL")?
        .trim_end_matches('/');
    let (scheme, header) = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .find_map(|(name, scheme)| {
            let is_header_key = scheme.get("type")? == "apiKey" && scheme.get("in")? == "header";
            is_header_key.then(|| Some((name.clone(), scheme.get("name")?.as_str()?.to_owned())))?
        })
        .context(
            "the exposed operations use no `apiKey` security scheme sent in a header; \
             the client's auth needs one",
        )?;
    let path_prefix = path_prefix(spec);
    let url_doc = format!(" The API's URL, from the spec's `servers`: `{base_url}`.");
    let header_doc = format!(
        " The header that carries the API key, from the spec's `{scheme}` security scheme."
    );
    Ok(quote! {
        #[doc = #url_doc]
        pub const DEFAULT_BASE_URL: &str = #base_url;
        #[doc = #header_doc]
        pub const API_KEY_HEADER: &str = #header;
        /// The first path segment every exposed operation's path starts
        /// with (empty when they differ): a base URL must not end in it.
        pub(crate) const PATH_PREFIX: &str = #path_prefix;
    })
}

/// `/segment` when every path of `spec` starts with that one segment.
fn path_prefix(spec: &Value) -> String {
    let mut segments = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.keys())
        .map(|path| {
            path.trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
        });
    let Some(first) = segments.next() else {
        return String::new();
    };
    let shared = !first.is_empty() && !first.contains('{') && segments.all(|other| other == first);
    if shared {
        format!("/{first}")
    } else {
        String::new()
    }
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
                 remove the operation it names from openapi/operations.yaml, or report it upstream"
            ))
        }
    }
}

fn with_header(code: &str, shown: &str) -> String {
    format!(
        "// @generated by `cargo xtask codegen` from {shown} (derived from openapi/upstream.yaml, \
         openapi/operations.yaml and openapi/overlay.yaml) with {GENERATOR}. Do not edit: \
         change those files and regenerate.\n\n{code}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{derive::slice, fetch::document, project};

    /// The scan finds the request's own methods in the client's source.
    #[test]
    fn the_requests_own_methods_are_found() {
        let project = Project::at(project::workspace_root());
        let methods = request_methods(&project).unwrap();
        for method in [
            "send",
            "pages",
            "stream",
            "timeout",
            "max_retries",
            "wait_until",
        ] {
            assert!(methods.contains(method), "{method}: {methods:?}");
        }
        assert_eq!(
            request_impl_methods(
                "impl<'a> Request<'a, Op> {\n    pub fn a(&self) {\n        if x { }\n    }\n    async fn b() {}\n}\nimpl Clone for Request<'_> {\n    fn clone() {}\n}\n"
            ),
            ["a", "b"]
        );
    }

    /// Every operation of the vendor's whole document derives and generates
    /// (in memory, with the dependency lines codegen asks for applied).
    #[test]
    fn the_whole_vendor_document_generates() {
        let data =
            project::workspace_root().join("xtask/tests/data/ultravox-openapi-2026-07-02.yaml");
        let upstream = document::load(&data, "the 2026-07-02 capture", "a document").unwrap();
        let ids: Vec<String> = upstream["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| {
                slice::METHODS
                    .iter()
                    .filter_map(|method| item.get(*method)?["operationId"].as_str())
            })
            .map(str::to_owned)
            .collect();
        assert!(ids.len() > 100, "{} operations", ids.len());

        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path().to_path_buf();
        let workspace = project::workspace_root();
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        std::fs::create_dir_all(root.join("generated-client")).unwrap();
        let operations: String = ids
            .iter()
            .map(|id| format!("- operationId: {id}\n"))
            .collect();
        std::fs::write(root.join("openapi/operations.yaml"), operations).unwrap();
        std::fs::copy(
            workspace.join("openapi/overlay.yaml"),
            root.join("openapi/overlay.yaml"),
        )
        .unwrap();
        // The client's manifest without what the hint lines set.
        let manifest: String =
            std::fs::read_to_string(workspace.join("generated-client/Cargo.toml"))
                .unwrap()
                .lines()
                .filter(|line| {
                    !["chrono", "schemars", "regress"]
                        .iter()
                        .any(|name| line.starts_with(name))
                })
                .map(|line| format!("{line}\n"))
                .collect();
        let lines: Vec<String> = ["chrono", "regress"]
            .into_iter()
            .flat_map(|name| crates::dependency_lines(name, "*"))
            .map(|line| line.split("  #").next().unwrap().to_owned())
            .collect();
        let manifest = manifest.replacen(
            "[dependencies]\n",
            &format!("[dependencies]\n{}\n", lines.join("\n")),
            1,
        );
        std::fs::write(root.join("generated-client/Cargo.toml"), manifest).unwrap();

        let project = Project::at(root);
        let derived = derive::derive(&project, upstream, "the 2026-07-02 capture").unwrap();
        let files =
            outputs(&project, &derived, None, false).unwrap_or_else(|err| panic!("{err:#}"));
        let client = &files
            .iter()
            .find(|(path, _)| path.ends_with("generated.rs"))
            .unwrap()
            .1;
        for id in &ids {
            let method = heck::ToSnakeCase::to_snake_case(id.as_str());
            assert!(
                client.contains(&format!("pub fn {method}(")),
                "no client method for `{id}`"
            );
        }
    }
}
