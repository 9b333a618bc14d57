//! Names a document may not take because the generated code already uses
//! them: derived from the generated code's own scope, never from a list.
//!
//! A schema becomes a type of `types` (and a builder of the same name in
//! `types::builder`); a property becomes a field and a builder method.
//! Refused, naming the schema or property:
//!
//! - a name defined twice in one module (a schema named like an item the
//!   generator writes itself: `FieldError`, `IntoField`, …);
//! - a method defined twice for one type (a property named like a
//!   builder's own method: `build`, …);
//! - a schema type named like something the generated code in `types`
//!   uses unqualified and finds elsewhere (the prelude's `String`,
//!   `Default`, `Option`; an imported `Uuid`): the schema would shadow it.
//!   What the code uses unqualified is read from the committed generated
//!   code (where nothing shadows anything yet) and from the new code.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use syn::visit::Visit;

/// Checks `new` (the generated client about to be written) against itself
/// and against `committed` (the client as generated last, if any).
pub fn check(new: &syn::File, committed: Option<&syn::File>, shown: &str) -> Result<()> {
    let mut modules = Vec::new();
    collect_modules(&new.items, "crate", &mut modules);
    for (path, items) in &modules {
        check_duplicates(path, items, shown)?;
    }
    let types_of = |file: &syn::File| -> BTreeSet<String> {
        crate::generate::syn_modules::items(&file.items, "types")
            .map(|items| crate::generate::syn_modules::type_names(items).collect())
            .unwrap_or_default()
    };
    // Only a type the committed code did not have can shadow what it uses:
    // it defined every other one itself.
    let before = committed.map(types_of).unwrap_or_default();
    let candidates: BTreeSet<String> = types_of(new).difference(&before).cloned().collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let mut outside: BTreeMap<String, String> = BTreeMap::new();
    for file in committed.into_iter().chain([new]) {
        let mut modules = Vec::new();
        collect_modules(&file.items, "crate", &mut modules);
        for (path, items) in modules
            .iter()
            .filter(|(path, _)| path.starts_with("crate::types"))
        {
            for name in found_elsewhere(items, &candidates) {
                outside.entry(name).or_insert_with(|| path.clone());
            }
        }
    }
    if let Some((name, module)) = outside.iter().next() {
        bail!(
            "{shown}: a schema would become the type `{name}`, which the generated code in \
             `{}` uses unqualified for something else (the standard library's, a crate's, or \
             the generator's own `{name}`); the client would not compile. Rename the schema with \
             an action in openapi/overlay.yaml, or report it to Ultravox",
            module.trim_start_matches("crate::")
        );
    }
    Ok(())
}

/// Every inline module of `items`, by path (`crate::types::builder`), with
/// its items.
fn collect_modules<'f>(
    items: &'f [syn::Item],
    path: &str,
    out: &mut Vec<(String, &'f [syn::Item])>,
) {
    out.push((path.to_owned(), items));
    for item in items {
        if let syn::Item::Mod(module) = item
            && let Some((_, content)) = &module.content
        {
            collect_modules(content, &format!("{path}::{}", module.ident), out);
        }
    }
}

/// The name `item` defines, and whether in the type namespace (`true`) or
/// the value one.
fn defined(item: &syn::Item) -> Option<(&syn::Ident, bool)> {
    Some(match item {
        syn::Item::Struct(item) => (&item.ident, true),
        syn::Item::Enum(item) => (&item.ident, true),
        syn::Item::Union(item) => (&item.ident, true),
        syn::Item::Trait(item) => (&item.ident, true),
        syn::Item::Type(item) => (&item.ident, true),
        syn::Item::Mod(item) => (&item.ident, true),
        syn::Item::Fn(item) => (&item.sig.ident, false),
        syn::Item::Const(item) => (&item.ident, false),
        syn::Item::Static(item) => (&item.ident, false),
        _ => return None,
    })
}

/// Names the items of one module define, in the type and the value
/// namespace, and the methods of each type's inherent impls.
fn check_duplicates(module: &str, items: &[syn::Item], shown: &str) -> Result<()> {
    let module = module.trim_start_matches("crate::");
    let mut types: BTreeSet<String> = BTreeSet::new();
    let mut values: BTreeSet<String> = BTreeSet::new();
    let mut methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items {
        if let syn::Item::Impl(item) = item
            && item.trait_.is_none()
        {
            // The whole type: `Request<A>` and `Request<B>` differ.
            let owner = quote::ToTokens::to_token_stream(&item.self_ty)
                .to_string()
                .replace(' ', "");
            for inner in &item.items {
                if let syn::ImplItem::Fn(function) = inner {
                    let name = function.sig.ident.to_string();
                    if !methods
                        .entry(owner.clone())
                        .or_default()
                        .insert(name.clone())
                    {
                        bail!(
                            "{shown}: `{module}::{owner}` would have two methods `{name}`: \
                                 a property of the schema is named like a method the generated \
                                 code writes itself; the client would not compile. Rename the \
                                 property with an action in openapi/overlay.yaml, or report it \
                                 to Ultravox"
                        );
                    }
                }
            }
            continue;
        }
        let Some((name, is_type)) = defined(item) else {
            continue;
        };
        let namespace = if is_type { &mut types } else { &mut values };
        let name = name.to_string();
        if !namespace.insert(name.clone()) {
            bail!(
                "{shown}: the generated module `{module}` would define `{name}` twice: a schema is \
                 named like an item the generated code writes itself; the client would not \
                 compile. Rename the schema with an action in openapi/overlay.yaml, or report it \
                 to Ultravox"
            );
        }
    }
    Ok(())
}

/// Which of `candidates` `items` (one module) use unqualified but do not
/// define: found in the prelude, imported, or generic parameters.
fn found_elsewhere(items: &[syn::Item], candidates: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = Used {
        candidates,
        found: BTreeSet::new(),
    };
    for item in items {
        // Nested modules are modules of their own.
        if !matches!(item, syn::Item::Mod(_)) {
            used.visit_item(item);
        }
    }
    let defined: BTreeSet<String> = items
        .iter()
        .filter_map(|item| defined(item).map(|(name, _)| name.to_string()))
        .collect();
    used.found
        .into_iter()
        .filter(|name| !defined.contains(name))
        .collect()
}

/// The candidates that are the first segment of a path without a leading
/// `::` (or of a derive).
struct Used<'c> {
    candidates: &'c BTreeSet<String>,
    found: BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Used<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first()
        {
            let name = first.ident.to_string();
            if self.candidates.contains(&name) {
                self.found.insert(name);
            }
        }
        syn::visit::visit_path(self, path);
    }
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if attr.path().is_ident("derive") {
            let _ = attr.parse_nested_meta(|meta| {
                self.visit_path(&meta.path);
                Ok(())
            });
        }
    }
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        // `use a::B;` defines `B` here; its path is not a use of `a`.
        let _ = item;
    }
}

#[cfg(test)]
mod tests {
    fn file(code: &str) -> syn::File {
        syn::parse_str(code).unwrap()
    }

    #[test]
    fn collisions_with_the_generated_scope_are_refused_naming_them() {
        let committed = file(
            "pub mod types {
                #[derive(Clone, Default)]
                pub struct Call { pub id: String, pub at: Uuid }
                pub mod builder {
                    pub struct FieldError;
                    pub struct Call;
                    impl Call { pub fn id(self) -> Self { self } pub fn build(self) {} }
                }
            }",
        );
        super::check(&committed, Some(&committed), "doc").unwrap();
        for (new, expected) in [
            (
                "pub mod types { pub struct String; pub struct Call { pub id: String } }",
                "`String`",
            ),
            (
                "pub mod types { pub struct Default; #[derive(Default)] pub struct Call; }",
                "`Default`",
            ),
            ("pub mod types { pub struct Uuid; }", "`Uuid`"),
            (
                "pub mod types { pub mod builder { pub struct FieldError; pub struct FieldError; } }",
                "`FieldError` twice",
            ),
            (
                "pub mod types { pub mod builder { pub struct Call;
                    impl Call { pub fn build(self) {} }
                    impl Call { pub fn build(self) {} } } }",
                "two methods `build`",
            ),
        ] {
            let err = super::check(&file(new), Some(&committed), "doc")
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{new}: {err}");
        }
    }
}
