//! A generated type that only changes its name keeps the old one, as a
//! deprecated alias, so that an upgrade does not break a program that
//! names it (`use ultravox_client::types::ScheduledCallBatchRequestWebhookSecret`
//! still compiles, with a warning that names the new type).
//!
//! A rename is read from the previous generated code: a type it had that
//! the new code lacks, whose definition (its name and docs aside) is the
//! definition of exactly one type the new code adds (several old types
//! may so become one: two identical newtypes merged). The aliases the
//! previous code had are carried forward (to the new name of their
//! target, should it move again), as long as their target exists and no
//! new type takes their name.

use std::collections::{BTreeMap, BTreeSet};

use quote::{ToTokens, format_ident};

/// The renames from `previous` to `new` (the items of the `types`
/// module): `(old, new)`, by old name.
pub fn detect(previous: &[syn::Item], new: &[syn::Item]) -> BTreeMap<String, String> {
    // Only the types on one side alone can be renamed: their shapes alone
    // are worth rendering.
    let (old_names, new_names) = (names(previous), names(new));
    let old_types = definitions(previous, |name| !new_names.contains(name));
    let new_types = definitions(new, |name| !old_names.contains(name));
    let mut by_shape: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, shape) in &new_types {
        by_shape.entry(shape).or_default().push(name);
    }
    // Several old types may become one (two identical newtypes merged).
    let mut renames = BTreeMap::new();
    for (name, shape) in &old_types {
        if let Some([only]) = by_shape.get(shape.as_str()).map(Vec::as_slice) {
            renames.insert(name.clone(), (*only).to_owned());
        }
    }
    renames
}

/// The deprecated aliases `items` holds: `(old, target)`.
pub fn aliases(items: &[syn::Item]) -> BTreeMap<String, String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Type(alias)
                if alias
                    .attrs
                    .iter()
                    .any(|attr| attr.path().is_ident("deprecated")) =>
            {
                let syn::Type::Path(target) = &*alias.ty else {
                    return None;
                };
                let target = target.path.get_ident()?.to_string();
                Some((alias.ident.to_string(), target))
            }
            _ => None,
        })
        .collect()
}

/// Every alias the new `types` module should have: the previous aliases
/// (their targets followed through `renames`) and the new renames, minus
/// those whose target is gone or whose name a type has taken again.
pub fn resolve(
    carried: &BTreeMap<String, String>,
    renames: &BTreeMap<String, String>,
    new: &[syn::Item],
) -> BTreeMap<String, String> {
    let present = names(new);
    carried
        .iter()
        .chain(renames)
        .filter_map(|(old, target)| {
            let target = renames.get(target).unwrap_or(target);
            (present.contains(target) && !present.contains(old))
                .then(|| (old.clone(), target.clone()))
        })
        .collect()
}

/// Adds `aliases` to the `types` module `types` (and to its `builder`
/// module where the target has a builder).
pub fn add(types: &mut Vec<syn::Item>, aliases: &BTreeMap<String, String>) {
    let builders = crate::generate::syn_modules::items(types, "builder")
        .map(names)
        .unwrap_or_default();
    let mut builder_aliases = Vec::new();
    for (old, new) in aliases {
        let (old_ident, new_ident) = (format_ident!("{old}"), format_ident!("{new}"));
        let note = format!("renamed to `{new}`");
        let doc = format!(" The former name of [`{new}`], kept so that code naming it builds.");
        types.push(syn::parse_quote! {
            #[doc = #doc]
            #[deprecated(note = #note)]
            pub type #old_ident = #new_ident;
        });
        if builders.contains(new) {
            let doc = format!(" The former name of [`{new}`]'s builder.");
            builder_aliases.push(syn::parse_quote! {
                #[doc = #doc]
                #[deprecated(note = #note)]
                pub type #old_ident = #new_ident;
            });
        }
    }
    if let Some(builder) = crate::generate::syn_modules::items_mut(types, "builder") {
        builder.extend(builder_aliases);
    }
}

/// The names of the structs and enums of `items`.
fn names(items: &[syn::Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(item.ident.to_string()),
            syn::Item::Enum(item) => Some(item.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Each struct and enum of `items` whose name `wanted` accepts, by name,
/// with its definition as tokens: its name and its docs left out.
fn definitions(items: &[syn::Item], wanted: impl Fn(&str) -> bool) -> BTreeMap<String, String> {
    let placeholder = format_ident!("Renamed");
    let undocumented =
        |attrs: &mut Vec<syn::Attribute>| attrs.retain(|attr| !attr.path().is_ident("doc"));
    items
        .iter()
        .filter(|item| match item {
            syn::Item::Struct(item) => wanted(&item.ident.to_string()),
            syn::Item::Enum(item) => wanted(&item.ident.to_string()),
            _ => false,
        })
        .filter_map(|item| {
            let mut item = item.clone();
            let name = match &mut item {
                syn::Item::Struct(item) => {
                    undocumented(&mut item.attrs);
                    for field in item.fields.iter_mut() {
                        undocumented(&mut field.attrs);
                    }
                    std::mem::replace(&mut item.ident, placeholder.clone())
                }
                syn::Item::Enum(item) => {
                    undocumented(&mut item.attrs);
                    for variant in &mut item.variants {
                        undocumented(&mut variant.attrs);
                    }
                    std::mem::replace(&mut item.ident, placeholder.clone())
                }
                _ => return None,
            };
            Some((name.to_string(), item.to_token_stream().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    fn items(code: &str) -> Vec<syn::Item> {
        syn::parse_str::<syn::File>(code).unwrap().items
    }

    #[test]
    fn a_type_that_only_changes_its_name_keeps_the_old_one() {
        let previous = items(
            "/// Old docs.\n pub struct OldSecret(String);
             pub struct Kept { pub a: i64 }
             pub struct Gone { pub b: bool }
             #[deprecated(note = \"renamed to `OldSecret`\")] pub type Ancient = OldSecret;
             pub mod builder { pub struct Kept; }",
        );
        let new = items(
            "/// New docs.\n pub struct Secret(String);
             pub struct Kept { pub a: i64 }
             pub struct Other { pub c: u8 }
             pub mod builder { pub struct Kept; }",
        );
        let renames = super::detect(&previous, &new);
        assert_eq!(
            renames.into_iter().collect::<Vec<_>>(),
            [("OldSecret".to_owned(), "Secret".to_owned())]
        );
        let renames = super::detect(&previous, &new);
        let carried = super::aliases(&previous);
        let resolved = super::resolve(&carried, &renames, &new);
        assert_eq!(resolved["Ancient"], "Secret", "followed through the rename");
        assert_eq!(resolved["OldSecret"], "Secret");
        assert!(!resolved.contains_key("Gone"));
        let mut types = new.clone();
        super::add(&mut types, &resolved);
        let code = quote::quote!(#(#types)*).to_string();
        assert!(code.contains("pub type OldSecret = Secret"), "{code}");
        assert!(code.contains("renamed to `Secret`"), "{code}");
        // Two new types of one shape: not a rename of either.
        let twins = items("pub struct A(String); pub struct B(String);");
        assert!(super::detect(&items("pub struct Old(String);"), &twins).is_empty());
    }
}
