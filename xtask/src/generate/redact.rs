//! Sensitive properties stay out of logs: the generated `Debug` of a type
//! shows `*** Sensitive Data Redacted ***` (aws-sdk-rust's wording) in place
//! of every property the spec marks `writeOnly` or the overlay marks
//! `x-sensitive: true`, in the type, its builder and the newtype typify
//! makes for a constrained string. Serialization is unchanged.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use quote::quote;
use serde_json::Value;

/// The overlay's mark of a property that must not be shown.
pub const SENSITIVE: &str = "x-sensitive";

/// What `Debug` shows in place of a sensitive value.
const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// The sensitive properties of each schema of the (rustified) spec, by the
/// schema's Rust name.
pub fn sensitive_properties(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return BTreeMap::new();
    };
    schemas
        .iter()
        .filter_map(|(name, schema)| {
            let marked: BTreeSet<String> = [SENSITIVE, "writeOnly"]
                .into_iter()
                .flat_map(|marker| crate::derive::rustify::properties_marked(schema, marker))
                .collect();
            (!marked.is_empty()).then(|| (name.clone(), marked))
        })
        .collect()
}

/// `SENSITIVE_KEYS`: the JSON names of every sensitive property, for the
/// hand-written layer to mask in what an error keeps of a body (the same
/// list as `Debug`'s).
pub fn sensitive_keys(sensitive: &BTreeMap<String, BTreeSet<String>>) -> syn::Item {
    let keys: BTreeSet<&str> = sensitive.values().flatten().map(String::as_str).collect();
    let count = proc_macro2::Literal::usize_unsuffixed(keys.len());
    let keys = keys.into_iter();
    syn::parse_quote! {
        /// The JSON names of the properties the spec marks `writeOnly` or the
        /// overlay marks `x-sensitive`: their values are redacted in `Debug`,
        /// and masked in what an [`Error`](crate::Error) keeps of a body.
        pub(crate) const SENSITIVE_KEYS: [&str; #count] = [#(#keys),*];
    }
}

/// Replaces the derived `Debug` of every struct with sensitive properties
/// (and of its builder, and of the newtypes of those properties) by one
/// that redacts them. Fails naming the property when no field is found
/// for it: the generator's output has changed.
pub fn rewrite(
    types: &mut Vec<syn::Item>,
    sensitive: &BTreeMap<String, BTreeSet<String>>,
) -> Result<()> {
    let newtype_names: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) if matches!(item.fields, syn::Fields::Unnamed(_)) => {
                Some(item.ident.to_string())
            }
            _ => None,
        })
        .collect();
    // Struct name -> its sensitive field idents.
    let mut redacted = BTreeMap::<String, BTreeSet<String>>::new();
    let mut secret_newtypes = BTreeSet::new();
    for item in types.iter() {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let Some(properties) = sensitive.get(&item.ident.to_string()) else {
            continue;
        };
        let syn::Fields::Named(fields) = &item.fields else {
            continue;
        };
        let mut found = BTreeSet::new();
        for field in &fields.named {
            let json_name = crate::generate::patch_nulls::json_name(field);
            if !properties.contains(&json_name) {
                continue;
            }
            found.insert(json_name);
            let ident = field.ident.as_ref().expect("a named field").to_string();
            redacted
                .entry(item.ident.to_string())
                .or_default()
                .insert(ident);
            let ty = &field.ty;
            let tokens = quote!(#ty).to_string();
            secret_newtypes.extend(
                tokens
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .filter(|word| newtype_names.contains(*word))
                    .map(str::to_owned),
            );
        }
        if let Some(missing) = properties.difference(&found).next() {
            bail!(
                "`{}.{missing}` is sensitive, but no generated field was found for it; update \
                 xtask/src/generate/redact.rs for the generator's output",
                item.ident
            );
        }
    }
    let mut impls = Vec::new();
    for item in types.iter_mut() {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let name = item.ident.to_string();
        if let Some(fields) = redacted.get(&name) {
            remove_debug_derive(item)?;
            impls.push(debug_impl(item, fields));
        } else if secret_newtypes.contains(&name) {
            remove_debug_derive(item)?;
            let ident = &item.ident;
            impls.push(syn::parse_quote! {
                impl ::std::fmt::Debug for #ident {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.debug_tuple(stringify!(#ident))
                            .field(&::std::format_args!(#REDACTED))
                            .finish()
                    }
                }
            });
        }
    }
    let Some(builders) = crate::generate::syn_modules::items_mut(types, "builder") else {
        bail!("progenitor's `types` module has no `builder` module; has its layout changed?");
    };
    let mut builder_impls = Vec::new();
    for item in builders.iter_mut() {
        if let syn::Item::Struct(builder) = item
            && let Some(fields) = redacted.get(&builder.ident.to_string())
        {
            remove_debug_derive(builder)?;
            builder_impls.push(debug_impl(builder, fields));
        }
    }
    builders.extend(builder_impls);
    types.extend(impls);
    Ok(())
}

/// `impl Debug` listing every field, the sensitive ones redacted.
fn debug_impl(item: &syn::ItemStruct, sensitive: &BTreeSet<String>) -> syn::Item {
    let ident = &item.ident;
    let fields = item.fields.iter().map(|field| {
        let name = field.ident.as_ref().expect("a named field");
        let shown = name.to_string();
        let shown = shown.strip_prefix("r#").unwrap_or(&shown);
        if sensitive.contains(&name.to_string()) {
            quote!(.field(#shown, &::std::format_args!(#REDACTED)))
        } else {
            quote!(.field(#shown, &self.#name))
        }
    });
    syn::parse_quote! {
        impl ::std::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!(#ident)) #(#fields)* .finish()
            }
        }
    }
}

fn remove_debug_derive(item: &mut syn::ItemStruct) -> Result<()> {
    let mut removed = false;
    for attr in &mut item.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<&syn::Path> = paths.iter().filter(|p| !p.is_ident("Debug")).collect();
        if kept.len() < paths.len() {
            removed = true;
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    if !removed {
        bail!(
            "`{}` has a sensitive property but derives no `Debug`; update xtask/src/generate/redact.rs \
             for the generator's output",
            item.ident
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_only_and_marked_properties_are_sensitive() {
        let spec = json!({ "components": { "schemas": {
            "Batch": { "properties": {
                "calls": { "type": "array", "writeOnly": true },
                "webhookSecret": { "type": "string", "x-sensitive": true },
                "paused": { "type": "boolean" },
            }},
            "Plain": { "properties": { "name": { "type": "string" } } },
        }}});
        let sensitive = sensitive_properties(&spec);
        assert_eq!(
            sensitive,
            BTreeMap::from([(
                "Batch".to_owned(),
                BTreeSet::from(["calls".to_owned(), "webhookSecret".to_owned()])
            )])
        );
    }

    #[test]
    fn the_debug_of_a_struct_its_builder_and_its_newtype_redacts() {
        let file: syn::File = syn::parse_quote! {
            #[derive(Clone, Debug, PartialEq)]
            pub struct Batch {
                pub paused: Option<bool>,
                #[serde(rename = "webhookSecret")]
                pub webhook_secret: Option<BatchWebhookSecret>,
            }
            #[derive(Clone, Debug, Eq)]
            pub struct BatchWebhookSecret(String);
            pub mod builder {
                #[derive(Clone, Debug)]
                pub struct Batch {
                    paused: Result<Option<bool>, String>,
                    webhook_secret: Result<Option<super::BatchWebhookSecret>, String>,
                }
            }
        };
        let mut types = file.items;
        let sensitive = BTreeMap::from([(
            "Batch".to_owned(),
            BTreeSet::from(["webhookSecret".to_owned()]),
        )]);
        rewrite(&mut types, &sensitive).unwrap();
        let code = quote!(#(#types)*).to_string();
        assert!(!code.contains("Debug , PartialEq"), "{code}");
        assert_eq!(
            code.matches("impl :: std :: fmt :: Debug for").count(),
            3,
            "{code}"
        );
        assert_eq!(code.matches(REDACTED).count(), 3, "{code}");
        assert!(
            code.contains(". field (\"paused\" , & self . paused)"),
            "{code}"
        );

        let missing = BTreeMap::from([("Batch".to_owned(), BTreeSet::from(["other".to_owned()]))]);
        let mut other: syn::File = syn::parse_quote!(
            #[derive(Debug)]
            pub struct Batch {
                pub a: u8,
            }
        );
        let err = rewrite(&mut other.items, &missing).unwrap_err();
        assert!(
            err.to_string().contains("`Batch.other` is sensitive"),
            "{err}"
        );
    }
}
