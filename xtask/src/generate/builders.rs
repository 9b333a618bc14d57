//! Builders without ceremony. typify's setters take `T: TryInto<Field>`, so
//! `.to("+1…")` on an optional string, a `&str` for a string newtype and a
//! child's builder for a child all fail to compile, and a build error names
//! only the outermost field. Every setter of the types' builders instead
//! takes `V: IntoField<Field>`, a trait generated here with impls for:
//!
//! - the field's own type, and its value alone for an optional field;
//! - `&str` and `&String` for strings, string newtypes (checked as the
//!   newtype checks), UUIDs and date-times (parsed);
//! - a child's builder, and a `Vec` of them, built when the parent is: an
//!   error deep inside is reported with its path
//!   (`calls[3].medium.twilio.outgoing.to: no value supplied`).
//!
//! Building also checks what the spec asks of what the client sends: a
//! `format: uri` value parses as an absolute URI, and a list has between
//! `minItems` and `maxItems` items, in every schema a request body reaches.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::visit_mut::VisitMut;

/// What building checks of one field, from its property in the spec.
#[derive(Default, Debug, PartialEq)]
struct Checks {
    uri: bool,
    min_items: Option<u64>,
    max_items: Option<u64>,
    /// typify makes an optional list a `Vec` that is left out when empty.
    empty_is_unset: bool,
}

/// Rewrites the builders of the generated `types` module (see the module
/// docs). Fails when a builder does not have typify's shape any more.
pub fn rewrite(types: &mut [syn::Item], spec: &Value) -> Result<()> {
    let newtypes = string_newtypes(types);
    let sent = crate::derive::rustify::reached_from_request_bodies(spec);
    let checks = checks(types, spec, &sent);
    let builders = crate::generate::syn_modules::items_mut(types, "builder")
        .context("progenitor's `types` module has no `builder` module; has its layout changed?")?;
    let names: BTreeSet<String> = builders
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(item.ident.to_string()),
            _ => None,
        })
        .collect();

    // By their tokens, for a deterministic order.
    let mut targets = BTreeMap::new();
    let mut added = Vec::new();
    for item in builders.iter_mut() {
        match item {
            syn::Item::Struct(builder) => field_errors(builder)?,
            syn::Item::Impl(block) if is_default_impl(block) => missing_values(block),
            syn::Item::Impl(block) if block.trait_.is_none() => {
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(setter) = member
                        && setter.sig.ident != "build"
                    {
                        let target = setter_takes_into_field(setter, &newtypes)?;
                        targets.insert(quote!(#target).to_string(), target);
                    }
                }
            }
            syn::Item::Impl(block) if is_try_from_builder(block) => {
                let name = self_type_name(block).context("a builder's `TryFrom` impl")?;
                added.push(finish(block, &name, checks.get(&name))?);
            }
            _ => {}
        }
    }
    builders.extend(added);
    builders.extend(support_items());
    let needs = |check: fn(&Checks) -> bool| {
        checks
            .values()
            .flat_map(BTreeMap::values)
            .any(|(checks, _)| check(checks))
    };
    if needs(|checks| checks.uri) {
        builders.extend(uri_check_items());
    }
    if needs(|checks| checks.min_items.is_some() || checks.max_items.is_some()) {
        builders.extend(items_check_items());
    }
    let mut impls = BTreeSet::new();
    for target in targets.values() {
        for item in into_field_impls(target, &names, &newtypes, &sent) {
            // One impl per (input, target), however many setters need it.
            let syn::Item::Impl(block) = &item else {
                continue;
            };
            let (input, trait_path) = (&block.self_ty, block.trait_.as_ref().map(|(path, _)| path));
            if impls.insert(quote!(#input #trait_path).to_string()) {
                builders.push(item);
            }
        }
    }
    let uri_newtypes: BTreeSet<String> = checks
        .values()
        .flat_map(|fields| fields.values())
        .filter_map(|(checks, newtype)| checks.uri.then_some(newtype.clone()).flatten())
        .collect();
    for newtype in &uri_newtypes {
        let newtype = format_ident!("{newtype}");
        builders.push(syn::parse_quote! {
            impl Text for super::#newtype {
                #[inline]
                fn text(&self) -> ::std::option::Option<&str> {
                    ::std::option::Option::Some(self.as_str())
                }
            }
        });
    }
    uri_in_newtypes(types, &uri_newtypes)
}

/// The newtype of a `format: uri` string checks what the builder checks:
/// `"…".parse::<WebhookUrl>()` (and `TryFrom`, which parses) refuses what
/// is not an absolute URI, before its other checks.
fn uri_in_newtypes(types: &mut [syn::Item], newtypes: &BTreeSet<String>) -> Result<()> {
    let mut checked = BTreeSet::new();
    for item in types.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_from_str = block
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|last| last.ident == "FromStr");
        let syn::Type::Path(self_type) = &*block.self_ty else {
            continue;
        };
        let Some(name) = self_type.path.get_ident().map(ToString::to_string) else {
            continue;
        };
        if !is_from_str || !newtypes.contains(&name) {
            continue;
        }
        for member in &mut block.items {
            if let syn::ImplItem::Fn(function) = member
                && function.sig.ident == "from_str"
            {
                function.block.stmts.insert(
                    0,
                    syn::parse_quote! {
                        if let ::std::result::Result::Err(e) = ::reqwest::Url::parse(value) {
                            return ::std::result::Result::Err(
                                ::std::format!("not an absolute URI ({e})").into(),
                            );
                        }
                    },
                );
                checked.insert(name.clone());
            }
        }
    }
    if let Some(missing) = newtypes.difference(&checked).next() {
        bail!(
            "the newtype `{missing}` of a `format: uri` string has no `FromStr::from_str` to \
             check it in; update xtask/src/generate/builders.rs for the generator's output"
        );
    }
    Ok(())
}

/// `Result<T, String>` → `Result<T, FieldError>` for every field.
fn field_errors(builder: &mut syn::ItemStruct) -> Result<()> {
    let syn::Fields::Named(fields) = &mut builder.fields else {
        return Ok(());
    };
    for field in &mut fields.named {
        let error = result_arguments(&mut field.ty)
            .and_then(|arguments| arguments.args.iter_mut().nth(1))
            .with_context(|| {
                format!(
                    "the builder field `{}.{}` is not a `Result`; update xtask/src/generate/builders.rs \
                     for the generator's output",
                    builder.ident,
                    field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )
            })?;
        *error = syn::parse_quote!(FieldError);
    }
    Ok(())
}

fn result_arguments(ty: &mut syn::Type) -> Option<&mut syn::AngleBracketedGenericArguments> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last_mut()?;
    if last.ident != "Result" {
        return None;
    }
    match &mut last.arguments {
        syn::PathArguments::AngleBracketed(arguments) if arguments.args.len() == 2 => {
            Some(arguments)
        }
        _ => None,
    }
}

fn is_default_impl(block: &syn::ItemImpl) -> bool {
    block
        .trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .is_some_and(|last| last.ident == "Default")
}

fn is_try_from_builder(block: &syn::ItemImpl) -> bool {
    block
        .trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .is_some_and(|last| last.ident == "TryFrom")
}

/// `Err("no value supplied for x".to_string())` → `Err(FieldError::missing("x"))`.
fn missing_values(block: &mut syn::ItemImpl) {
    struct Missing;
    impl VisitMut for Missing {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            if let syn::Expr::MethodCall(call) = expr
                && call.method == "to_string"
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = &*call.receiver
                && let Some(field) = text.value().strip_prefix("no value supplied for ")
            {
                *expr = syn::parse_quote!(FieldError::missing(#field));
                return;
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }
    }
    Missing.visit_item_impl_mut(block);
}

/// A setter `fn x<T>(mut self, value: T) -> Self where T: TryInto<F>,
/// T::Error: Display { self.x = value.try_into().map_err(…); self }` becomes
/// `fn x<V: IntoField<F>>(…) { self.x = value.into_field().map_err(|e|
/// e.at("x")); self }`. Returns `F`.
fn setter_takes_into_field(
    setter: &mut syn::ImplItemFn,
    newtypes: &BTreeSet<String>,
) -> Result<syn::Type> {
    let name = setter.sig.ident.to_string();
    let unexpected = || {
        format!(
            "the builder setter `{name}` is not typify's `TryInto` setter; update \
             xtask/src/generate/builders.rs for the generator's output"
        )
    };
    let target = setter
        .sig
        .generics
        .where_clause
        .as_ref()
        .and_then(|clause| {
            clause.predicates.iter().find_map(|predicate| {
                let syn::WherePredicate::Type(predicate) = predicate else {
                    return None;
                };
                predicate.bounds.iter().find_map(|bound| {
                    let syn::TypeParamBound::Trait(bound) = bound else {
                        return None;
                    };
                    let last = bound.path.segments.last()?;
                    if last.ident != "TryInto" {
                        return None;
                    }
                    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
                        return None;
                    };
                    match arguments.args.first()? {
                        syn::GenericArgument::Type(target) => Some(target.clone()),
                        _ => None,
                    }
                })
            })
        })
        .with_context(unexpected)?;
    let field = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    let mut replaced = false;
    for statement in &mut setter.block.stmts {
        if let syn::Stmt::Expr(syn::Expr::Assign(assign), _) = statement
            && matches!(&*assign.right, syn::Expr::MethodCall(call) if call.method == "map_err")
        {
            *assign.right = syn::parse_quote!(
                IntoField::into_field(value).map_err(|e| e.at(#field))
            );
            replaced = true;
        }
    }
    if !replaced {
        bail!(unexpected());
    }
    setter.sig.generics = syn::parse_quote!(<V: IntoField<#target>>);
    setter.sig.generics.where_clause = None;
    for input in &mut setter.sig.inputs {
        if let syn::FnArg::Typed(argument) = input {
            *argument.ty = syn::parse_quote!(V);
        }
    }
    let doc = setter_doc(&target, newtypes);
    setter.attrs.push(syn::parse_quote!(#[doc = #doc]));
    Ok(target)
}

fn setter_doc(target: &syn::Type, newtypes: &BTreeSet<String>) -> String {
    let (base, optional) = match option_inner(target) {
        Some(inner) => (inner, true),
        None => (target, false),
    };
    let mut takes = vec![format!("`{}`", plain(base))];
    match last_ident(base).as_deref() {
        Some("String") => takes.push("`&str`".to_owned()),
        Some("Uuid" | "DateTime") => takes.push("`&str` (parsed)".to_owned()),
        Some("Vec")
            if generic_inner(base, "Vec")
                .and_then(super_name)
                .is_some_and(|item| newtypes.contains(&item)) =>
        {
            takes.push("a `Vec<&str>` or `Vec<String>`".to_owned())
        }
        Some("Vec") => takes.push("a `Vec` of the items' builders".to_owned()),
        _ => {}
    }
    let mut doc = format!(" Takes {}", takes.join(" or "));
    if optional {
        doc.push_str(", or an `Option` of it");
    }
    doc.push_str("; see [`IntoField`] for every value it takes.");
    doc
}

/// A type as a reader would write it: `Option<String>`, `Vec<ScheduledCall>`.
fn plain(ty: &syn::Type) -> String {
    let syn::Type::Path(path) = ty else {
        return quote!(#ty).to_string();
    };
    let Some(last) = path.path.segments.last() else {
        return String::new();
    };
    match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) => {
            let inner: Vec<String> = arguments
                .args
                .iter()
                .map(|argument| match argument {
                    syn::GenericArgument::Type(ty) => plain(ty),
                    other => quote!(#other).to_string(),
                })
                .collect();
            format!("{}<{}>", last.ident, inner.join(", "))
        }
        _ => last.ident.to_string(),
    }
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        // Only a crate's type (`::uuid::Uuid`, `::std::string::String`): a
        // schema may be named `Uuid` too, and is `super::Uuid`.
        syn::Type::Path(path) if path.path.leading_colon.is_some() => {
            path.path.segments.last().map(|last| last.ident.to_string())
        }
        _ => None,
    }
}

/// `T` of `Option<T>` (or `Vec<T>` with `name = "Vec"`).
fn generic_inner<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(inner) if arguments.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    generic_inner(ty, "Option")
}

/// `super::X` → `X`.
fn super_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match &segments[..] {
        [root, name] if root == "super" => Some(name.clone()),
        _ => None,
    }
}

fn self_type_name(block: &syn::ItemImpl) -> Option<String> {
    let (path, _) = block.trait_.as_ref()?;
    let syn::PathArguments::AngleBracketed(arguments) = &path.segments.last()?.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(syn::Type::Path(path)) => {
            path.path.get_ident().map(ToString::to_string)
        }
        _ => None,
    }
}

/// The builder's `TryFrom` body `Ok(Self { a: value.a?, … })` moves into
/// `fn finish(self) -> Result<super::X, FieldError>`, which also runs the
/// field's checks; `TryFrom` (and so `build()`) calls it.
fn finish(
    block: &mut syn::ItemImpl,
    name: &str,
    checks: Option<&BTreeMap<String, (Checks, Option<String>)>>,
) -> Result<syn::Item> {
    let unexpected = || {
        format!(
            "the builder of `{name}` does not convert with `Ok(Self {{ … }})`; update \
             xtask/src/generate/builders.rs for the generator's output"
        )
    };
    let function = block
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::ImplItem::Fn(function) => Some(function),
            _ => None,
        })
        .with_context(unexpected)?;
    let Some(syn::FnArg::Typed(argument)) = function.sig.inputs.first() else {
        bail!(unexpected());
    };
    let parameter = argument.pat.clone();
    let Some(syn::Stmt::Expr(syn::Expr::Call(ok), None)) = function.block.stmts.last() else {
        bail!(unexpected());
    };
    let Some(syn::Expr::Struct(literal)) = ok.args.first() else {
        bail!(unexpected());
    };
    let mut literal = literal.clone();
    let ident = format_ident!("{name}");
    literal.path = syn::parse_quote!(super::#ident);
    // `a: value.a?, b: value.b?` becomes one match of every field: each
    // field without a value is named, not only the first.
    let mut results = Vec::new();
    for (index, field) in literal.fields.iter_mut().enumerate() {
        if let syn::Expr::Try(tried) = &field.expr {
            let local = format_ident!("f{index}");
            results.push((local.clone(), (*tried.expr).clone()));
            field.expr = syn::parse_quote!(#local);
        }
    }
    let locals: Vec<&syn::Ident> = results.iter().map(|(local, _)| local).collect();
    let exprs = results.iter().map(|(_, expr)| expr);
    let gathered = (!results.is_empty()).then(|| {
        quote! {
            let (#(#locals,)*) = match (#(#exprs,)*) {
                (#(::std::result::Result::Ok(#locals),)*) => (#(#locals,)*),
                (#(#locals,)*) => {
                    return ::std::result::Result::Err(FieldError::gather([#(#locals.err()),*]));
                }
            };
        }
    });
    let checks = checks.into_iter().flatten().map(|(field, (checks, _))| {
        let field_ident = syn::Ident::new_raw(field, proc_macro2::Span::call_site());
        let field_ident = if syn::parse_str::<syn::Ident>(field).is_ok() {
            format_ident!("{field}")
        } else {
            field_ident
        };
        let uri = checks
            .uri
            .then(|| quote!(check_uri(&built.#field_ident).map_err(|e| e.at(#field))?;));
        let items = (checks.min_items.is_some() || checks.max_items.is_some()).then(|| {
            let min = option_tokens(checks.min_items);
            let max = option_tokens(checks.max_items);
            let empty_is_unset = checks.empty_is_unset;
            quote!(check_items(&built.#field_ident, #min, #max, #empty_is_unset).map_err(|e| e.at(#field))?;)
        });
        quote!(#uri #items)
    });
    function.block = syn::parse_quote!({
        #parameter.finish().map_err(super::error::ConversionError::from)
    });
    Ok(syn::parse_quote! {
        impl #ident {
            /// The value, or every field without one, by its path.
            #[inline]
            fn finish(self) -> ::std::result::Result<super::#ident, FieldError> {
                let #parameter = self;
                #gathered
                let built = #literal;
                #(#checks)*
                ::std::result::Result::Ok(built)
            }
        }
    })
}

fn option_tokens(value: Option<u64>) -> proc_macro2::TokenStream {
    match value {
        Some(value) => {
            let value = value as usize;
            quote!(::std::option::Option::Some(#value))
        }
        None => quote!(::std::option::Option::None),
    }
}

/// The impls of `IntoField<target>` besides the blanket ones.
///
/// A `Vec` of builders is taken only for a list that requests send: with
/// it, `Vec::new()` alone no longer says which `Vec` it is, and a list a
/// value is built with to stand for a response (a mock's page) is often
/// empty.
fn into_field_impls(
    target: &syn::Type,
    builders: &BTreeSet<String>,
    newtypes: &BTreeSet<String>,
    sent: &BTreeSet<String>,
) -> Vec<syn::Item> {
    let (base, optional) = match option_inner(target) {
        Some(inner) => (inner, true),
        None => (target, false),
    };
    if optional {
        // `IntoField<Option<U>>` converts through `IntoField<U>`.
        let mut all = into_field_impls(base, builders, newtypes, sent);
        all.extend(optional_impls(target, base, builders, newtypes, sent));
        return all;
    }
    let mut impls: Vec<(syn::Type, syn::Expr)> = Vec::new();
    let parse = quote!(value.parse().map_err(FieldError::invalid));
    match last_ident(base).as_deref() {
        Some("String") => {
            impls.push((
                syn::parse_quote!(&str),
                syn::parse_quote!(Ok(value.to_owned())),
            ));
            impls.push((
                syn::parse_quote!(&::std::string::String),
                syn::parse_quote!(Ok(value.clone())),
            ));
        }
        Some("Uuid" | "DateTime") => {
            impls.push((
                syn::parse_quote!(&str),
                syn::parse2(parse).expect("an expression"),
            ));
        }
        _ => {}
    }
    if let Some(name) = super_name(base) {
        if newtypes.contains(&name) {
            let convert =
                quote!(::std::convert::TryFrom::try_from(value).map_err(FieldError::invalid));
            impls.push((
                syn::parse_quote!(&str),
                syn::parse2(convert.clone()).expect("an expression"),
            ));
            impls.push((
                syn::parse_quote!(::std::string::String),
                syn::parse2(convert).expect("an expression"),
            ));
            impls.push((
                syn::parse_quote!(&::std::string::String),
                syn::parse_quote!(
                    ::std::convert::TryFrom::try_from(value.as_str()).map_err(FieldError::invalid)
                ),
            ));
        }
        if builders.contains(&name) {
            let builder = format_ident!("{name}");
            impls.push((
                syn::parse_quote!(#builder),
                syn::parse_quote!(value.finish()),
            ));
        }
    }
    if let Some(item) = generic_inner(base, "Vec")
        && let Some(name) = super_name(item)
        && builders.contains(&name)
        && sent.contains(&name)
    {
        let builder = format_ident!("{name}");
        impls.push((
            syn::parse_quote!(::std::vec::Vec<#builder>),
            syn::parse_quote!(
                value
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| item.finish().map_err(|e| e.at_index(index)))
                    .collect()
            ),
        ));
    }
    // A list of constrained strings (a webhook's `secrets`) from plain
    // strings, each checked as the newtype checks it; an error names its index.
    if let Some(item) = generic_inner(base, "Vec")
        && let Some(name) = super_name(item)
        && newtypes.contains(&name)
    {
        let convert: syn::Expr = syn::parse_quote!(
            value
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    ::std::convert::TryFrom::try_from(item)
                        .map_err(|e| FieldError::invalid(e).at_index(index))
                })
                .collect()
        );
        impls.push((syn::parse_quote!(::std::vec::Vec<&'a str>), convert.clone()));
        impls.push((
            syn::parse_quote!(::std::vec::Vec<::std::string::String>),
            convert,
        ));
    }
    impls
        .into_iter()
        .map(|(input, body)| {
            let (input, generics) = with_lifetime(input);
            syn::parse_quote! {
                impl #generics IntoField<#target> for #input {
                    #[inline]
                    fn into_field(self) -> ::std::result::Result<#target, FieldError> {
                        let value = self;
                        #body
                    }
                }
            }
        })
        .collect()
}

/// For each input of `IntoField<base>` (besides `base` itself), the same
/// input for `IntoField<Option<base>>`.
fn optional_impls(
    target: &syn::Type,
    base: &syn::Type,
    builders: &BTreeSet<String>,
    newtypes: &BTreeSet<String>,
    sent: &BTreeSet<String>,
) -> Vec<syn::Item> {
    into_field_impls(base, builders, newtypes, sent)
        .into_iter()
        .filter_map(|item| {
            let syn::Item::Impl(block) = item else {
                return None;
            };
            let input = &block.self_ty;
            let generics = &block.generics;
            Some(syn::parse_quote! {
                impl #generics IntoField<#target> for #input {
                    #[inline]
                    fn into_field(self) -> ::std::result::Result<#target, FieldError> {
                        IntoField::<#base>::into_field(self).map(::std::option::Option::Some)
                    }
                }
            })
        })
        .collect()
}

/// `&str` → `&'a str` with `<'a>`; a type that names `'a` itself
/// (`Vec<&'a str>`) gets `<'a>` too.
fn with_lifetime(input: syn::Type) -> (syn::Type, proc_macro2::TokenStream) {
    match input {
        syn::Type::Reference(mut reference) => {
            reference.lifetime = Some(syn::parse_quote!('a));
            (syn::Type::Reference(reference), quote!(<'a>))
        }
        other if quote!(#other).to_string().contains("'a") => (other, quote!(<'a>)),
        other => (other, quote!()),
    }
}

/// The newtypes typify makes of a constrained string: `struct X(String)`.
fn string_newtypes(types: &[syn::Item]) -> BTreeSet<String> {
    types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => match &item.fields {
                syn::Fields::Unnamed(fields)
                    if fields.unnamed.len() == 1
                        && last_ident(&fields.unnamed[0].ty).as_deref() == Some("String") =>
                {
                    Some(item.ident.to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Per builder, per field (by Rust name): what building checks, and the
/// string newtype the field holds, if any. Only for schemas a request body
/// reaches: a value built to stand for a response (a mock's) keeps
/// whatever the API might send.
fn checks(
    types: &[syn::Item],
    spec: &Value,
    sent: &BTreeSet<String>,
) -> BTreeMap<String, BTreeMap<String, (Checks, Option<String>)>> {
    let schemas = spec.pointer("/components/schemas");
    let resolve = |property: &Value| -> Value {
        // A shared schema behind `allOf: [$ref]` carries the format.
        let target = property
            .pointer("/allOf/0/$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| schemas?.get(name));
        target.cloned().unwrap_or_else(|| property.clone())
    };
    let mut out = BTreeMap::new();
    for item in types {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let name = item.ident.to_string();
        let syn::Fields::Named(fields) = &item.fields else {
            continue;
        };
        let Some(properties) = sent
            .contains(&name)
            .then(|| schemas?.get(&name)?.get("properties"))
            .flatten()
        else {
            continue;
        };
        for field in &fields.named {
            let Some(property) = properties.get(crate::generate::patch_nulls::json_name(field))
            else {
                continue;
            };
            let shape = resolve(property);
            let mut checks = Checks {
                uri: shape.get("format").and_then(Value::as_str) == Some("uri"),
                min_items: property.get("minItems").and_then(Value::as_u64),
                max_items: property.get("maxItems").and_then(Value::as_u64),
                empty_is_unset: false,
            };
            if checks == Checks::default() {
                continue;
            }
            let json_name = Value::String(crate::generate::patch_nulls::json_name(field));
            checks.empty_is_unset = !spec
                .pointer(&format!("/components/schemas/{name}/required"))
                .and_then(Value::as_array)
                .is_some_and(|required| required.contains(&json_name));
            let mut ty = &field.ty;
            while let Some(inner) = option_inner(ty) {
                ty = inner;
            }
            let newtype = super_name(ty).or_else(|| match ty {
                syn::Type::Path(path) => path
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .filter(|ident| ident != "String"),
                _ => None,
            });
            let ident = field.ident.as_ref().expect("a named field").to_string();
            let ident = ident.strip_prefix("r#").unwrap_or(&ident).to_owned();
            out.entry(name.clone())
                .or_insert_with(BTreeMap::new)
                .insert(ident, (checks, newtype));
        }
    }
    out
}

/// The trait, the error and the checks every builder shares.
fn support_items() -> Vec<syn::Item> {
    let file: syn::File = syn::parse_quote! {
        /// A value a builder's setter takes for a field of type `T`:
        ///
        /// - a `T`, and for an optional field (`T` = `Option<U>`) a `U` alone;
        /// - for a string, a `&str` or a `&String`; for a string with a
        ///   length or a pattern (a newtype such as [`WebhookSecret`](super::WebhookSecret)),
        ///   a `&str`, a `&String` or a `String`, checked as the newtype's
        ///   `TryFrom` checks (and for a list of them, a `Vec<&str>` or a
        ///   `Vec<String>`); for a UUID or a date-time, a `&str`, parsed;
        /// - for a field whose type has a builder, that builder (and for a
        ///   list of them, a `Vec` of builders): it is built when the
        ///   parent is, and an error inside it is reported with its path,
        ///   such as `sip_details.billed_duration: no value supplied`.
        ///
        /// The crate implements it; a setter's error shows at `build()`.
        pub trait IntoField<T> {
            /// The field's value, or why there is none.
            fn into_field(self) -> ::std::result::Result<T, FieldError>;
        }
        impl<T> IntoField<T> for T {
            #[inline]
            fn into_field(self) -> ::std::result::Result<T, FieldError> {
                ::std::result::Result::Ok(self)
            }
        }
        impl<T> IntoField<::std::option::Option<T>> for T {
            #[inline]
            fn into_field(self) -> ::std::result::Result<::std::option::Option<T>, FieldError> {
                ::std::result::Result::Ok(::std::option::Option::Some(self))
            }
        }
        /// Why a builder's fields have no value: where (each field's path
        /// from the value being built, as in `sip_details.billed_duration`)
        /// and what went wrong — every field without a value, not only the
        /// first. `build()` reports them as its error's message,
        /// `path: message; path: message`.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct FieldError {
            path: ::std::string::String,
            message: ::std::borrow::Cow<'static, str>,
            /// The other fields without a value, each with no `more`.
            more: ::std::vec::Vec<FieldError>,
        }
        impl FieldError {
            #[inline]
            fn missing(field: &'static str) -> Self {
                Self {
                    path: field.to_owned(),
                    message: ::std::borrow::Cow::Borrowed("no value supplied"),
                    more: ::std::vec::Vec::new(),
                }
            }
            #[inline]
            fn invalid(error: impl ::std::fmt::Display) -> Self {
                Self {
                    path: ::std::string::String::new(),
                    message: ::std::borrow::Cow::Owned(error.to_string()),
                    more: ::std::vec::Vec::new(),
                }
            }
            /// Every error of `errors`, as one.
            fn gather(errors: impl IntoIterator<Item = ::std::option::Option<FieldError>>) -> Self {
                let mut all = errors
                    .into_iter()
                    .flatten()
                    .flat_map(|mut error| {
                        let more = ::std::mem::take(&mut error.more);
                        ::std::iter::once(error).chain(more)
                    });
                match all.next() {
                    ::std::option::Option::Some(mut first) => {
                        first.more = all.collect();
                        first
                    }
                    ::std::option::Option::None => Self::invalid("a field has no value"),
                }
            }
            /// The same errors, one field further out.
            #[inline]
            fn at(self, field: &str) -> Self {
                self.prefixed(&|path: &str| match path.chars().next() {
                    None => field.to_owned(),
                    Some('[') => format!("{field}{path}"),
                    Some(_) => format!("{field}.{path}"),
                })
            }
            /// The same errors, at an item of a list.
            #[inline]
            fn at_index(self, index: usize) -> Self {
                self.prefixed(&|path: &str| match path.chars().next() {
                    None | Some('[') => format!("[{index}]{path}"),
                    Some(_) => format!("[{index}].{path}"),
                })
            }
            fn prefixed(self, prefix: &dyn Fn(&str) -> ::std::string::String) -> Self {
                Self {
                    path: prefix(&self.path),
                    message: self.message,
                    more: self.more.into_iter().map(|error| error.prefixed(prefix)).collect(),
                }
            }
            /// Where: the first field's path, `sip_details.billed_duration`.
            pub fn path(&self) -> &str {
                &self.path
            }
            /// What went wrong there, without the path.
            pub fn message(&self) -> &str {
                &self.message
            }
            /// Every field without a value, this one first: `(path, message)`.
            pub fn fields(&self) -> impl ::std::iter::Iterator<Item = (&str, &str)> + '_ {
                ::std::iter::once(self)
                    .chain(&self.more)
                    .map(|error| (error.path.as_str(), &*error.message))
            }
        }
        impl ::std::fmt::Display for FieldError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                for (index, (path, message)) in self.fields().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    if path.is_empty() {
                        f.write_str(message)?;
                    } else {
                        write!(f, "{path}: {message}")?;
                    }
                }
                Ok(())
            }
        }
        impl ::std::error::Error for FieldError {}
        impl ::std::convert::From<FieldError> for super::error::ConversionError {
            #[inline]
            fn from(error: FieldError) -> Self {
                error.to_string().into()
            }
        }
    };
    file.items
}

/// `check_uri`, for the fields whose property is `format: uri`.
fn uri_check_items() -> Vec<syn::Item> {
    let file: syn::File = syn::parse_quote! {
        /// The text of a value whose property is `format: uri`.
        trait Text {
            fn text(&self) -> ::std::option::Option<&str>;
        }
        impl Text for ::std::string::String {
            #[inline]
            fn text(&self) -> ::std::option::Option<&str> {
                ::std::option::Option::Some(self)
            }
        }
        impl<T: Text> Text for ::std::option::Option<T> {
            #[inline]
            fn text(&self) -> ::std::option::Option<&str> {
                self.as_ref().and_then(Text::text)
            }
        }
        /// `format: uri`: an absolute URI (with a scheme).
        fn check_uri(value: &impl Text) -> ::std::result::Result<(), FieldError> {
            match value.text() {
                ::std::option::Option::Some(text) => ::reqwest::Url::parse(text)
                    .map(|_| ())
                    .map_err(|e| FieldError::invalid(format!("not an absolute URI ({e})"))),
                ::std::option::Option::None => ::std::result::Result::Ok(()),
            }
        }
    };
    file.items
}

/// `check_items`, for the fields with `minItems` or `maxItems`.
fn items_check_items() -> Vec<syn::Item> {
    let file: syn::File = syn::parse_quote! {
        /// The number of items of a list, if there is one.
        trait Items {
            fn count(&self) -> ::std::option::Option<usize>;
        }
        impl<T> Items for ::std::vec::Vec<T> {
            #[inline]
            fn count(&self) -> ::std::option::Option<usize> {
                ::std::option::Option::Some(self.len())
            }
        }
        impl<T: Items> Items for ::std::option::Option<T> {
            #[inline]
            fn count(&self) -> ::std::option::Option<usize> {
                self.as_ref().and_then(Items::count)
            }
        }
        /// `minItems` / `maxItems`; an optional list that is empty is not
        /// sent, so it is not checked.
        fn check_items(
            value: &impl Items,
            min: ::std::option::Option<usize>,
            max: ::std::option::Option<usize>,
            empty_is_unset: bool,
        ) -> ::std::result::Result<(), FieldError> {
            let ::std::option::Option::Some(count) = value.count() else {
                return ::std::result::Result::Ok(());
            };
            if count == 0 && empty_is_unset {
                return ::std::result::Result::Ok(());
            }
            if let ::std::option::Option::Some(min) = min && count < min {
                return ::std::result::Result::Err(FieldError::invalid(format!(
                    "{count} item(s), at least {min} required"
                )));
            }
            if let ::std::option::Option::Some(max) = max && count > max {
                return ::std::result::Result::Err(FieldError::invalid(format!(
                    "{count} item(s), at most {max} allowed"
                )));
            }
            ::std::result::Result::Ok(())
        }
    };
    file.items
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types() -> Vec<syn::Item> {
        vec![
            syn::parse_quote! { pub struct Batch { pub calls: Vec<Call>, #[serde(rename = "webhookUrl")] pub webhook_url: Option<String> } },
            syn::parse_quote! { pub struct Call { pub to: Option<String>, pub secret: Option<Secret> } },
            syn::parse_quote! { pub struct Secret(::std::string::String); },
            syn::parse_quote! {
                pub mod builder {
                    pub struct Batch {
                        calls: ::std::result::Result<::std::vec::Vec<super::Call>, ::std::string::String>,
                        webhook_url: ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
                    }
                    impl ::std::default::Default for Batch {
                        fn default() -> Self {
                            Self {
                                calls: Err("no value supplied for calls".to_string()),
                                webhook_url: Ok(Default::default()),
                            }
                        }
                    }
                    impl Batch {
                        pub fn calls<T>(mut self, value: T) -> Self
                        where
                            T: ::std::convert::TryInto<::std::vec::Vec<super::Call>>,
                            T::Error: ::std::fmt::Display,
                        {
                            self.calls = value.try_into().map_err(|e| format!("error converting supplied value for calls: {e}"));
                            self
                        }
                    }
                    impl ::std::convert::TryFrom<Batch> for super::Batch {
                        type Error = super::error::ConversionError;
                        fn try_from(value: Batch) -> ::std::result::Result<Self, super::error::ConversionError> {
                            Ok(Self { calls: value.calls?, webhook_url: value.webhook_url? })
                        }
                    }
                    pub struct Call {}
                    impl Call {
                        pub fn secret<T>(mut self, value: T) -> Self
                        where
                            T: ::std::convert::TryInto<::std::option::Option<super::Secret>>,
                            T::Error: ::std::fmt::Display,
                        {
                            self.secret = value.try_into().map_err(|e| format!("error converting supplied value for secret: {e}"));
                            self
                        }
                    }
                    impl ::std::convert::TryFrom<Call> for super::Call {
                        type Error = super::error::ConversionError;
                        fn try_from(_value: Call) -> ::std::result::Result<Self, super::error::ConversionError> {
                            Ok(Self {})
                        }
                    }
                }
            },
        ]
    }

    fn spec() -> Value {
        json!({
            "paths": { "/b": { "post": { "requestBody": { "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Batch" } } } } } } },
            "components": { "schemas": {
                "Batch": { "type": "object", "properties": {
                    "calls": { "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/Call" } },
                    "webhookUrl": { "type": "string", "format": "uri" } } },
                "Call": { "type": "object", "properties": { "to": { "type": "string" } } }
            } }
        })
    }

    #[test]
    fn setters_take_into_field_and_children_build_with_their_parent() {
        let mut types = types();
        rewrite(&mut types, &spec()).unwrap();
        let code = quote!(#(#types)*).to_string();
        for expected in [
            // setters
            "pub fn calls < V : IntoField < :: std :: vec :: Vec < super :: Call > > >",
            "IntoField :: into_field (value) . map_err (| e | e . at (\"calls\"))",
            // unset fields and the errors' type
            "Err (FieldError :: missing (\"calls\"))",
            "calls : :: std :: result :: Result < :: std :: vec :: Vec < super :: Call > , FieldError >",
            // a Vec of children's builders, a &str for a newtype
            "impl IntoField < :: std :: vec :: Vec < super :: Call > > for :: std :: vec :: Vec < Call >",
            "impl < 'a > IntoField < super :: Secret > for & 'a str",
            "impl < 'a > IntoField < :: std :: option :: Option < super :: Secret > > for & 'a str",
            // the checks the spec asks for
            "check_items (& built . calls , :: std :: option :: Option :: Some (1usize) , :: std :: option :: Option :: None , true)",
            "check_uri (& built . webhook_url) . map_err (| e | e . at (\"webhook_url\"))",
            // the fieldless builder keeps its parameter's name
            "_value . finish ()",
        ] {
            assert!(code.contains(expected), "missing `{expected}` in\n{code}");
        }
        assert!(!code.contains("TryInto"), "{code}");
    }

    #[test]
    fn checks_apply_only_to_what_requests_send() {
        let mut spec = spec();
        spec["paths"] = json!({});
        let mut types = types();
        rewrite(&mut types, &spec).unwrap();
        let code = quote!(#(#types)*).to_string();
        assert!(!code.contains("check_uri"), "{code}");
        assert!(!code.contains("check_items"), "{code}");
    }

    #[test]
    fn a_setter_of_another_shape_is_refused_by_name() {
        let mut types = types();
        let syn::Item::Mod(module) = &mut types[3] else {
            unreachable!()
        };
        module.content.as_mut().unwrap().1.push(syn::parse_quote! {
            impl Batch {
                pub fn paused(mut self, value: bool) -> Self { self.paused = Ok(value); self }
            }
        });
        let err = rewrite(&mut types, &spec()).unwrap_err().to_string();
        assert!(
            err.contains("`paused`") && err.contains("xtask/src/generate/builders.rs"),
            "{err}"
        );
    }
}
