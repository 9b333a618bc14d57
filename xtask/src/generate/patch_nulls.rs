//! A PATCH body must be able to say "clear this" as well as "leave it
//! alone". typify makes an optional, nullable property one `Option` whose
//! `None` is left out of the JSON, so `null` could never be sent. In the
//! bodies of PATCH operations such a property becomes `Option<Option<T>>`:
//! `None` is left out, `Some(None)` is sent as `null`, and the builder's
//! setter turns `None` into `Some(None)`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::Value;

/// The function the rewritten fields decode through (see [`decoder`]).
const DECODER: &str = "nullable_present";

/// The named schemas that are the body of a PATCH operation.
pub fn patch_bodies(spec: &Value) -> BTreeSet<String> {
    spec.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(|path| path.pointer("/patch/requestBody/content"))
        .filter_map(Value::as_object)
        .flat_map(|content| content.values())
        .filter_map(|media| media.pointer("/schema/$ref").and_then(Value::as_str))
        .filter_map(|reference| reference.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
        .collect()
}

/// For each schema that is the body of a PATCH operation, the JSON names of
/// its optional, nullable properties.
pub fn clearable_properties(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for name in patch_bodies(spec) {
        let Some(schema) = spec.pointer(&format!("/components/schemas/{name}")) else {
            continue;
        };
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let clearable: BTreeSet<String> =
            crate::derive::rustify::properties_marked(schema, "nullable")
                .into_iter()
                .filter(|property| !required.contains(property.as_str()))
                .collect();
        if !clearable.is_empty() {
            out.insert(name.to_owned(), clearable);
        }
    }
    out
}

/// Rewrites the fields `clearable` names in the generated `types` items,
/// and their builders. Fails if a field is not the `Option` typify makes
/// for such a property, naming it: the generator's output has changed.
pub fn rewrite(
    types: &mut Vec<syn::Item>,
    clearable: &BTreeMap<String, BTreeSet<String>>,
) -> Result<()> {
    if clearable.is_empty() {
        return Ok(());
    }
    let mut rewritten = BTreeMap::<String, Vec<String>>::new();
    for item in types.iter_mut() {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let Some(properties) = clearable.get(&item.ident.to_string()) else {
            continue;
        };
        let syn::Fields::Named(fields) = &mut item.fields else {
            continue;
        };
        for field in &mut fields.named {
            let json_name = json_name(field);
            if !properties.contains(&json_name) {
                continue;
            }
            if !is_option(&field.ty) {
                bail!(
                    "`{}.{json_name}` is optional and nullable in a PATCH body, but its \
                     generated field is not an `Option`; update xtask/src/generate/patch_nulls.rs for \
                     the generator's output",
                    item.ident
                );
            }
            let inner = &field.ty;
            field.ty = syn::parse_quote!(::std::option::Option<#inner>);
            let decoder = DECODER;
            field.attrs.extend([
                syn::parse_quote!(#[serde(default, deserialize_with = #decoder)]),
                syn::parse_quote!(#[doc = ""]),
                syn::parse_quote!(#[doc = "`None` leaves the field as it is (it is not sent); `Some(None)` sends `null`, which clears it."]),
            ]);
            let ident = field.ident.as_ref().expect("a named field").to_string();
            rewritten
                .entry(item.ident.to_string())
                .or_default()
                .push(ident);
        }
    }
    for (schema, properties) in clearable {
        let found = rewritten.get(schema).map_or(0, Vec::len);
        if found != properties.len() {
            bail!(
                "the PATCH body `{schema}` has {} optional nullable properties ({}), but {found} \
                 generated fields were found for them; update xtask/src/generate/patch_nulls.rs for the \
                 generator's output",
                properties.len(),
                properties.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let Some(builders) = crate::generate::syn_modules::items_mut(types, "builder") else {
        bail!("progenitor's `types` module has no `builder` module; has its layout changed?");
    };
    for (name, fields) in &rewritten {
        rewrite_builder(builders, name, fields)?;
    }
    types.push(decoder());
    Ok(())
}

/// `Option<Option<T>>` decodes `null` as `None`, which would make a body
/// that clears a field read back as one that leaves it alone: a present
/// field is `Some`, whatever its value.
fn decoder() -> syn::Item {
    let name = syn::Ident::new(DECODER, proc_macro2::Span::call_site());
    syn::parse_quote! {
        #[inline]
        fn #name<'de, D, T>(
            deserializer: D,
        ) -> ::std::result::Result<::std::option::Option<::std::option::Option<T>>, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: ::serde::Deserialize<'de>,
        {
            <::std::option::Option<T> as ::serde::Deserialize<'de>>::deserialize(deserializer)
                .map(::std::option::Option::Some)
        }
    }
}

/// The builder's field gets the same type; its setter keeps taking an
/// `Option<T>` and stores it as set (`Some`), so `None` means "send null".
fn rewrite_builder(builders: &mut [syn::Item], name: &str, fields: &[String]) -> Result<()> {
    let mut changed = 0;
    for item in builders.iter_mut() {
        match item {
            syn::Item::Struct(item) if item.ident == name => {
                let syn::Fields::Named(named) = &mut item.fields else {
                    continue;
                };
                for field in &mut named.named {
                    let ident = field.ident.as_ref().map(ToString::to_string);
                    if ident.is_some_and(|ident| fields.contains(&ident)) {
                        wrap_result_value(&mut field.ty)?;
                        changed += 1;
                    }
                }
            }
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && matches!(&*block.self_ty, syn::Type::Path(path) if path.path.is_ident(name)) =>
            {
                for member in &mut block.items {
                    let syn::ImplItem::Fn(setter) = member else {
                        continue;
                    };
                    if !fields.contains(&setter.sig.ident.to_string()) {
                        continue;
                    }
                    store_as_set(setter)?;
                    setter.attrs.push(syn::parse_quote!(
                        #[doc = "`None` sends `null`, which clears the field; a field whose setter is not called is not sent."]
                    ));
                    changed += 1;
                }
            }
            _ => {}
        }
    }
    if changed != 2 * fields.len() {
        bail!(
            "the builder of `{name}` lacks a field or setter for {}; update \
             xtask/src/generate/patch_nulls.rs for the generator's output",
            fields.join(", ")
        );
    }
    Ok(())
}

/// `Result<Option<T>, String>` → `Result<Option<Option<T>>, String>`.
fn wrap_result_value(ty: &mut syn::Type) -> Result<()> {
    if let syn::Type::Path(path) = ty
        && let Some(last) = path.path.segments.last_mut()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments
        && let Some(syn::GenericArgument::Type(value)) = arguments.args.first_mut()
    {
        let inner = value.clone();
        *value = syn::parse_quote!(::std::option::Option<#inner>);
        return Ok(());
    }
    bail!("a builder field is not a `Result`; update xtask/src/generate/patch_nulls.rs")
}

/// `self.field = EXPR;` → `self.field = (EXPR).map(Some);`
fn store_as_set(setter: &mut syn::ImplItemFn) -> Result<()> {
    for statement in &mut setter.block.stmts {
        if let syn::Stmt::Expr(syn::Expr::Assign(assign), _) = statement {
            let value = &assign.right;
            *assign.right = syn::parse_quote!((#value).map(::std::option::Option::Some));
            return Ok(());
        }
    }
    bail!(
        "the setter `{}` has no assignment; update xtask/src/generate/patch_nulls.rs",
        setter.sig.ident
    )
}

/// The JSON name of a field: its `#[serde(rename = "…")]`, or its name.
pub fn json_name(field: &syn::Field) -> String {
    let mut renamed = None;
    for attr in field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
    {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed.unwrap_or_else(|| {
        let ident = field.ident.as_ref().expect("a named field").to_string();
        ident.strip_prefix("r#").map(str::to_owned).unwrap_or(ident)
    })
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path)
        if path.path.segments.last().is_some_and(|last| last.ident == "Option"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn spec() -> Value {
        serde_json::json!({
            "paths": {
                "/things/{id}": {
                    "patch": {"requestBody": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/PatchedThingRequest"}
                    }}}},
                    "post": {"requestBody": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ThingRequest"}
                    }}}}
                }
            },
            "components": {"schemas": {
                "PatchedThingRequest": {
                    "type": "object",
                    "required": ["kept"],
                    "properties": {
                        "note": {"type": "string", "nullable": true},
                        "endsAt": {"type": "string", "nullable": true},
                        "paused": {"type": "boolean"},
                        "kept": {"type": "string", "nullable": true}
                    }
                },
                "ThingRequest": {
                    "type": "object",
                    "properties": {"note": {"type": "string", "nullable": true}}
                }
            }}
        })
    }

    #[test]
    fn only_optional_nullable_properties_of_patch_bodies_are_clearable() {
        let clearable = clearable_properties(&spec());
        assert_eq!(
            clearable,
            BTreeMap::from([(
                "PatchedThingRequest".to_owned(),
                BTreeSet::from(["endsAt".to_owned(), "note".to_owned()])
            )])
        );
    }

    #[test]
    fn fields_become_double_options_and_setters_store_what_they_get() {
        let mut file: syn::File = syn::parse2(quote! {
            pub struct PatchedThingRequest {
                #[serde(rename = "endsAt", skip_serializing_if = "::std::option::Option::is_none")]
                pub ends_at: ::std::option::Option<::std::string::String>,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub note: ::std::option::Option<::std::string::String>,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub paused: ::std::option::Option<bool>,
                pub kept: ::std::option::Option<::std::string::String>,
            }
            pub mod builder {
                pub struct PatchedThingRequest {
                    ends_at: ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
                    note: ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
                    paused: ::std::result::Result<::std::option::Option<bool>, ::std::string::String>,
                }
                impl PatchedThingRequest {
                    pub fn ends_at<T>(mut self, value: T) -> Self {
                        self.ends_at = convert(value, "ends_at");
                        self
                    }
                    pub fn note<T>(mut self, value: T) -> Self {
                        self.note = convert(value, "note");
                        self
                    }
                    pub fn paused<T>(mut self, value: T) -> Self {
                        self.paused = convert(value, "paused");
                        self
                    }
                }
            }
        })
        .unwrap();
        rewrite(&mut file.items, &clearable_properties(&spec())).unwrap();
        let code = prettyplease::unparse(&file)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            code.contains(
                "pub ends_at: ::std::option::Option<::std::option::Option<::std::string::String>>"
            ),
            "{code}"
        );
        assert_eq!(
            code.matches("deserialize_with = \"nullable_present\"")
                .count(),
            2,
            "{code}"
        );
        assert!(
            code.contains("pub paused: ::std::option::Option<bool>"),
            "{code}"
        );
        assert!(
            code.contains("pub kept: ::std::option::Option<::std::string::String>"),
            "{code}"
        );
        assert!(
            code.contains(
                "self.note = (convert(value, \"note\")).map(::std::option::Option::Some);"
            ),
            "{code}"
        );
        assert!(
            code.contains("self.paused = convert(value, \"paused\");"),
            "{code}"
        );
        assert_eq!(code.matches("fn nullable_present").count(), 1, "{code}");
    }

    #[test]
    fn a_field_that_is_not_an_option_is_refused_by_name() {
        let mut file: syn::File = syn::parse2(quote! {
            pub struct PatchedThingRequest {
                pub note: ::std::string::String,
                #[serde(rename = "endsAt")]
                pub ends_at: ::std::option::Option<::std::string::String>,
            }
        })
        .unwrap();
        let error = rewrite(&mut file.items, &clearable_properties(&spec())).unwrap_err();
        assert!(
            error.to_string().contains("`PatchedThingRequest.note`"),
            "{error}"
        );
    }
}
