//! The public surface generated for each exposed operation, on top of
//! progenitor's (crate-private) builder: a marker type in `operations` that
//! implements the hand-written layer's `Operation` trait (and `Listing`,
//! when the spec makes the operation a cursor listing, or `Download`, when
//! its success body is binary), the `Client` method
//! taking the path parameters in path order, and the request's parameter
//! and body methods. Everything is read from progenitor's output and the
//! spec; nothing names an operation by hand.

use crate::sinks::rustdoc::code_span;
use anyhow::{Context, Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::derive::slice::{METHODS, Operation};
use crate::generate::syn_modules;

/// What one operation looks like in the spec and in progenitor's output.
struct Facts<'f> {
    operation: &'f Operation,
    path: String,
    method: String,
    spec: Value,
    /// Every parameter, the path item's shared ones included.
    parameters: Vec<Value>,
    /// The path parameters in path order: Rust name and type.
    path_parameters: Vec<(syn::Ident, syn::Type)>,
    /// progenitor's setters for everything else (query, header, body).
    setters: Vec<&'f syn::ImplItemFn>,
    builder: syn::Ident,
    response: syn::Type,
    error_body: syn::Type,
    /// `Some(item type)` when the operation is a cursor listing.
    listing: Option<syn::Type>,
    /// `Some(whether the spec documents a 302)` when the success body is
    /// binary (progenitor's `ByteStream`).
    download: Option<bool>,
    /// The enums of progenitor's `types` module.
    enums: Vec<&'f syn::Ident>,
}

/// For progenitor's `builder` module: the operation's builder says what it
/// would send, `describe() -> (path, query)`, for `Request`'s `Debug` (the
/// builder's fields are private to that module). A path parameter not set
/// yet shows as `{unset}`; a cursor's value is not shown.
fn describe_impl(facts: &Facts) -> syn::Item {
    let builder = &facts.builder;
    let mut path_steps = Vec::new();
    let mut parameters = facts.path_parameters.iter();
    for (index, piece) in facts.path.split(['{', '}']).enumerate() {
        if index % 2 == 0 {
            path_steps.push(quote!(path.push_str(#piece);));
        } else if let Some((field, _)) = parameters.next() {
            path_steps.push(quote! {
                match &self.#field {
                    ::std::result::Result::Ok(value) => path.push_str(&value.to_string()),
                    ::std::result::Result::Err(_) => path.push_str("{unset}"),
                }
            });
        }
    }
    let setter_names: Vec<String> = facts
        .setters
        .iter()
        .map(|f| f.sig.ident.to_string())
        .collect();
    let query_steps = facts
        .parameters
        .iter()
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .filter_map(|p| p["name"].as_str())
        .filter(|name| setter_names.contains(&name.to_snake_case()))
        .map(|name| {
            let field = format_ident!("{}", name.to_snake_case());
            if name == "cursor" {
                quote! {
                    if let ::std::result::Result::Ok(::std::option::Option::Some(_)) = &self.#field {
                        query.push((#name, ::std::string::String::from("…")));
                    }
                }
            } else {
                quote! {
                    if let ::std::result::Result::Ok(::std::option::Option::Some(value)) = &self.#field {
                        query.push((#name, value.to_string()));
                    }
                }
            }
        });
    syn::parse_quote! {
        impl #builder<'_> {
            /// What the request would send: its path, and its query
            /// parameters that are set (for `Request`'s `Debug`).
            pub(crate) fn describe(
                &self,
            ) -> (
                ::std::string::String,
                ::std::vec::Vec<(&'static str, ::std::string::String)>,
            ) {
                let mut path = ::std::string::String::new();
                #(#path_steps)*
                #[allow(unused_mut)]
                let mut query = ::std::vec::Vec::new();
                #(#query_steps)*
                (path, query)
            }
        }
    }
}

/// The generated surface of every operation in `operations`, and the
/// items for progenitor's `builder` module (see [`describe_impl`]).
pub fn tokens(
    file: &syn::File,
    spec: &Value,
    operations: &[Operation],
) -> Result<(TokenStream, Vec<syn::Item>)> {
    let mut described = Vec::new();
    let mut markers = Vec::new();
    let mut methods = Vec::new();
    let mut forwarders = Vec::new();
    let mut pages = std::collections::BTreeMap::new();
    for operation in operations {
        let facts = facts(file, spec, operation)?;
        markers.push(marker(&facts));
        methods.push(client_method(&facts));
        forwarders.push(forwarding_impl(&facts));
        described.push(describe_impl(&facts));
        if facts.listing.is_some() {
            let page = &facts.response;
            pages
                .entry(quote!(#page).to_string())
                .or_insert_with(|| page_impl(page));
        }
    }
    let pages = pages.into_values();
    let surface = quote! {
        /// The exposed operations, one marker type each: they name a
        /// [`Request`](crate::Request)'s operation, e.g.
        /// `Request<'_, operations::ListScheduledCalls>`.
        pub mod operations {
            #[allow(unused_imports)]
            use super::{types, ByteStream};
            #(#markers)*
        }
        impl Client {
            #(#methods)*
        }
        #(#forwarders)*
        #(#pages)*
    };
    Ok((surface, described))
}

/// `next_cursor()` on a listing's page type.
fn page_impl(page: &syn::Type) -> TokenStream {
    quote! {
        impl #page {
            /// The cursor of the next page (`None` on the last page, or
            /// when `next` has no cursor): save it with
            /// [`Cursor::as_str`](crate::Cursor::as_str) to continue later
            /// with [`Request::resume_from`](crate::Request::resume_from).
            pub fn next_cursor(&self) -> Option<crate::Cursor> {
                self.next.as_deref().and_then(crate::Cursor::from_next_link)
            }
        }
    }
}

/// Whether `types` (progenitor's `types` module) makes `response` a page of
/// a cursor listing: a struct with `next: Option<String>` and
/// `results: Vec<Item>`; returns the item type.
fn listing_item(types: &[syn::Item], response: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(path) = response else {
        return None;
    };
    let name = &path.path.segments.last()?.ident;
    let fields = types.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == *name => Some(&s.fields),
        _ => None,
    })?;
    let field = |wanted: &str| {
        fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == wanted))
            .map(|f| &f.ty)
    };
    let next = field("next")?;
    let next_ok = quote!(#next).to_string().replace(' ', "")
        == "::std::option::Option<::std::string::String>";
    let results = generic_argument(field("results")?, "Vec", 0)?;
    // A type of the `types` module, named from inside it.
    let item = match results {
        syn::Type::Path(path)
            if path.qself.is_none()
                && path.path.segments.len() == 1
                && types.iter().any(|item| {
                    matches!(item, syn::Item::Struct(s) if s.ident == path.path.segments[0].ident)
                        || matches!(item, syn::Item::Enum(e) if e.ident == path.path.segments[0].ident)
                        || matches!(item, syn::Item::Type(t) if t.ident == path.path.segments[0].ident)
                }) =>
        {
            syn::parse_quote!(types::#path)
        }
        other => other.clone(),
    };
    next_ok.then_some(item)
}

/// Whether progenitor reads the success body as bytes: the spec gives it
/// a media type that is not JSON (`audio/wav`, `format: binary`).
fn is_byte_stream(response: &syn::Type) -> bool {
    matches!(response, syn::Type::Path(path)
        if path.qself.is_none() && path.path.segments.len() == 1
            && path.path.segments[0].ident == "ByteStream")
}

/// Whether the operation's responses include `302 Found`: where the body
/// lives elsewhere (a storage URL), which a download follows.
fn documents_a_redirect(operation: &Value) -> bool {
    operation
        .get("responses")
        .and_then(Value::as_object)
        .is_some_and(|responses| responses.contains_key("302"))
}

/// The `index`th type argument of `ty` when its last segment is `outer`.
fn generic_argument<'t>(ty: &'t syn::Type, outer: &str, index: usize) -> Option<&'t syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    arguments
        .args
        .iter()
        .filter_map(|argument| match argument {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .nth(index)
}

fn facts<'f>(file: &'f syn::File, spec: &Value, operation: &'f Operation) -> Result<Facts<'f>> {
    let (path, method, operation_spec) = find(spec, &operation.id)?;
    let builder_name = operation.id.to_upper_camel_case();
    let builder_items = syn_modules::items(&file.items, "builder")
        .context("progenitor's output has no `builder` module; has its layout changed?")?;
    let types = syn_modules::items(&file.items, "types")
        .context("progenitor's output has no `types` module; has its layout changed?")?;
    let fields = builder_items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == builder_name => Some(&s.fields),
            _ => None,
        })
        .with_context(|| {
            format!(
                "progenitor made no builder `{builder_name}` for `{}`",
                operation.id
            )
        })?;
    let setters_block = builder_items
        .iter()
        .find_map(|item| match item {
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && matches!(&*block.self_ty, syn::Type::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == builder_name)) =>
            {
                Some(block)
            }
            _ => None,
        })
        .with_context(|| format!("progenitor made no methods for `{builder_name}`"))?;
    let functions: Vec<&syn::ImplItemFn> = setters_block
        .items
        .iter()
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) => Some(function),
            _ => None,
        })
        .collect();

    let mut path_parameters = Vec::new();
    for name in path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
    {
        let rust = name.0.to_snake_case();
        let ty = fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| *i == rust))
            .and_then(|f| generic_argument(&f.ty, "Result", 0))
            .with_context(|| {
                format!(
                    "progenitor's builder `{builder_name}` has no field `{rust}` for the path \
                     parameter `{}`",
                    name.0
                )
            })?;
        path_parameters.push((format_ident!("{rust}"), ty.clone()));
    }

    let send = functions
        .iter()
        .find(|f| f.sig.ident == "send")
        .with_context(|| format!("progenitor's builder `{builder_name}` has no `send`"))?;
    let syn::ReturnType::Type(_, output) = &send.sig.output else {
        bail!("`{builder_name}::send` returns nothing; has progenitor's layout changed?");
    };
    let ok = generic_argument(output, "Result", 0);
    let err = generic_argument(output, "Result", 1);
    let (Some(response), Some(error_body)) = (
        ok.and_then(|t| generic_argument(t, "ResponseValue", 0)),
        err.and_then(|t| generic_argument(t, "Error", 0)),
    ) else {
        bail!(
            "`{builder_name}::send` does not return `Result<ResponseValue<T>, Error<E>>`; \
             has progenitor's layout changed?"
        );
    };
    let parameters = parameters(spec, &path, &operation_spec);
    let has_cursor = parameters
        .iter()
        .any(|p| p.get("in").and_then(Value::as_str) == Some("query") && p["name"] == "cursor");
    let listing = has_cursor.then(|| listing_item(types, response)).flatten();
    let download = is_byte_stream(response).then(|| documents_a_redirect(&operation_spec));

    let path_names: Vec<String> = path_parameters.iter().map(|(i, _)| i.to_string()).collect();
    let setters = functions
        .into_iter()
        .filter(|f| {
            let name = f.sig.ident.to_string();
            name != "new" && name != "send" && !path_names.contains(&name)
        })
        .collect();
    Ok(Facts {
        operation,
        path,
        method,
        spec: operation_spec,
        parameters,
        path_parameters,
        setters,
        builder: format_ident!("{builder_name}"),
        response: response.clone(),
        error_body: error_body.clone(),
        listing,
        download,
        enums: types
            .iter()
            .filter_map(|item| match item {
                syn::Item::Enum(e) => Some(&e.ident),
                _ => None,
            })
            .collect(),
    })
}

/// The enum `T` of a setter `fn x<V>(self, value: V) where V: TryInto<types::T>`.
fn enum_argument(sig: &syn::Signature, enums: &[&syn::Ident]) -> Option<syn::Type> {
    let predicate = sig.generics.where_clause.as_ref()?.predicates.first()?;
    let syn::WherePredicate::Type(bound) = predicate else {
        return None;
    };
    let syn::TypeParamBound::Trait(try_into) = bound.bounds.first()? else {
        return None;
    };
    let last = try_into.path.segments.last()?;
    if last.ident != "TryInto" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let Some(syn::GenericArgument::Type(target)) = arguments.args.first() else {
        return None;
    };
    let syn::Type::Path(path) = target else {
        return None;
    };
    let name = &path.path.segments.last()?.ident;
    enums.contains(&name).then(|| target.clone())
}

/// The path, method and operation object of `operation_id`.
pub fn find(spec: &Value, operation_id: &str) -> Result<(String, String, Value)> {
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method)
                && operation["operationId"] == operation_id
            {
                return Ok((path.clone(), method.to_owned(), operation.clone()));
            }
        }
    }
    bail!("the derived spec has no operation `{operation_id}`")
}

/// The operation's parameters, the path item's shared ones included.
fn parameters(spec: &Value, path: &str, operation: &Value) -> Vec<Value> {
    let shared = spec["paths"][path]
        .get("parameters")
        .and_then(Value::as_array);
    let own = operation.get("parameters").and_then(Value::as_array);
    shared.into_iter().chain(own).flatten().cloned().collect()
}

fn marker_ident(operation: &Operation) -> syn::Ident {
    format_ident!("{}", operation.name.to_upper_camel_case())
}

/// The operation's summary and description, then where it goes.
fn doc_lines(facts: &Facts) -> Vec<String> {
    let text = |key: &str| facts.spec.get(key).and_then(Value::as_str).map(str::trim);
    let mut doc = Vec::new();
    for part in [text("summary"), text("description")].into_iter().flatten() {
        if !part.is_empty() && !doc.iter().any(|known: &String| known == part) {
            doc.push(part.to_owned());
        }
    }
    let sends = format!(
        "Sends {} (operation {}).",
        code_span(&format!("{} {}", facts.method.to_uppercase(), facts.path)),
        code_span(&facts.operation.id)
    );
    let mut out: Vec<String> = doc.join("\n\n").lines().map(|l| format!(" {l}")).collect();
    if !out.is_empty() {
        out.push(String::new());
    }
    out.push(format!(" {sends}"));
    out
}

fn marker(facts: &Facts) -> TokenStream {
    let marker = marker_ident(facts.operation);
    let Facts {
        builder,
        response,
        error_body,
        ..
    } = facts;
    let id = &facts.operation.id;
    let method = &facts.operation.name;
    let http_method = facts.method.to_uppercase();
    let doc = format!(
        " The operation {}: {}, sent by [`Client::{method}`](super::Client::{method}).",
        code_span(id),
        code_span(&format!("{} {}", facts.method.to_uppercase(), facts.path))
    );
    let is_json = |ty: &syn::Type| {
        quote!(#ty)
            .to_string()
            .replace(' ', "")
            .starts_with("types::")
    };
    let error_text = if is_json(error_body) {
        quote!(::serde_json::to_string(&body).unwrap_or_default())
    } else {
        quote!({
            let _ = body;
            String::new()
        })
    };
    let listing = facts.listing.as_ref().map(|item| {
        quote! {
            impl crate::operation::Listing for #marker {
                type Item = #item;
                fn next(page: &Self::Response) -> Option<&str> {
                    page.next.as_deref()
                }
                fn is_empty(page: &Self::Response) -> bool {
                    page.results.is_empty()
                }
                fn into_items(page: Self::Response) -> Vec<Self::Item> {
                    page.results
                }
            }
        }
    });
    let download = facts.download.map(|follows_redirect| {
        quote! {
            impl crate::operation::Download for #marker {
                const FOLLOWS_REDIRECT: bool = #follows_redirect;
            }
        }
    });
    // A GET may be sent again and again (`Request::wait_until`); the
    // compiler refuses it for any other method.
    let repeatable = (facts.method.eq_ignore_ascii_case("get"))
        .then(|| quote!(impl crate::operation::Repeatable for #marker {}));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug)]
        pub enum #marker {}
        impl crate::operation::sealed::Sealed for #marker {}
        impl crate::operation::Operation for #marker {
            type Builder<'a> = super::builder::#builder<'a>;
            type Response = #response;
            type ErrorBody = #error_body;
            const OPERATION_ID: &'static str = #id;
            const NAME: &'static str = #method;
            const HTTP_METHOD: &'static str = #http_method;
            fn send(builder: Self::Builder<'_>) -> crate::operation::Sending<'_, Self> {
                ::std::boxed::Box::pin(builder.send())
            }
            fn error_text(body: Self::ErrorBody) -> String {
                #error_text
            }
            fn describe(
                builder: &Self::Builder<'_>,
            ) -> (::std::string::String, ::std::vec::Vec<(&'static str, ::std::string::String)>) {
                builder.describe()
            }
        }
        #listing
        #download
        #repeatable
    }
}

fn client_method(facts: &Facts) -> TokenStream {
    let name = format_ident!("{}", facts.operation.name);
    let marker = marker_ident(facts.operation);
    let builder = &facts.builder;
    let arguments = facts
        .path_parameters
        .iter()
        .map(|(name, ty)| quote!(#name: #ty));
    let setters = facts
        .path_parameters
        .iter()
        .map(|(name, _)| quote!(.#name(#name)));
    let mut doc = doc_lines(facts);
    if facts.listing.is_some() {
        doc.push(String::new());
        doc.push(
            " A listing: `.send()` fetches one page, [`Request::pages`](crate::Request::pages) \
             and [`Request::stream`](crate::Request::stream) walk them all."
                .to_owned(),
        );
    }
    if let Some(follows_redirect) = facts.download {
        doc.push(String::new());
        doc.push(
            " A download: [`Request::download_to`](crate::Request::download_to) streams the \
             body into a writer, [`Request::byte_stream`](crate::Request::byte_stream) yields it."
                .to_owned(),
        );
        if follows_redirect {
            doc.push(
                " The documented `302` is followed to an `https://` URL, without the API key."
                    .to_owned(),
            );
        }
    }
    quote! {
        #( #[doc = #doc] )*
        pub fn #name(&self, #(#arguments),*) -> crate::Request<'_, operations::#marker> {
            crate::Request::new(builder::#builder::new(self) #(#setters)*)
        }
    }
}

/// `impl Request<'_, operations::X>` with a method per progenitor setter
/// that is not a path parameter (query, header, body), forwarding to it: a
/// parameter the vendor adds reaches users with no hand edit.
fn forwarding_impl(facts: &Facts) -> TokenStream {
    let marker = marker_ident(facts.operation);
    let parameters = &facts.parameters;
    let methods = facts.setters.iter().filter_map(|function| {
        let mut sig = function.sig.clone();
        let Some(syn::FnArg::Typed(argument)) = sig.inputs.iter().nth(1).cloned() else {
            return None;
        };
        let argument_name = &argument.pat;
        sig.inputs[0] = syn::parse_quote!(self);
        // An enum parameter takes the enum itself, not anything that converts.
        if let Some(target) = enum_argument(&sig, &facts.enums) {
            sig.generics = syn::Generics::default();
            sig.inputs[1] = syn::parse_quote!(#argument_name: #target);
        }
        let method = &sig.ident;
        let name = method.to_string();
        // A parameter named like a keyword (`type`) gets a method with a
        // trailing `_` (`type_`).
        let described = parameters.iter().find(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.to_snake_case() == name.trim_end_matches('_'))
        });
        let doc = match (name.as_str(), described) {
            ("body", _) => "The request's JSON body.".to_owned(),
            ("body_map", _) => "Changes the request's JSON body through its builder.".to_owned(),
            (_, Some(parameter)) => parameter
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    format!(
                        "The {} {} parameter.",
                        code_span(parameter["name"].as_str().unwrap_or(&name)),
                        code_span(parameter["in"].as_str().unwrap_or("query"))
                    )
                }),
            (_, None) => format!("Sets `{name}`."),
        };
        let doc_lines = doc
            .lines()
            .map(|line| format!(" {line}"))
            .collect::<Vec<_>>();
        Some(quote! {
            #( #[doc = #doc_lines] )*
            pub #sig {
                self.map_builder(|builder| builder.#method(#argument_name))
            }
        })
    });
    quote! {
        impl<'a> crate::Request<'a, operations::#marker> {
            #(#methods)*
        }
    }
}

/// Renames the generated mocks after the client methods
/// (`MockServerExt::list_scheduled_calls`, with `ListScheduledCallsWhen` and
/// `ListScheduledCallsThen`), so a test reads like the code it tests.
pub fn rename_mocks(file: &mut syn::File, operations: &[Operation]) {
    use syn::visit_mut::VisitMut;

    /// Every `<OperationId>When` / `<OperationId>Then` becomes
    /// `<Name>When` / `<Name>Then` (by the operationId's camel case).
    struct MockTypes(std::collections::HashMap<String, String>);
    impl VisitMut for MockTypes {
        fn visit_ident_mut(&mut self, ident: &mut syn::Ident) {
            let text = ident.to_string();
            for suffix in ["When", "Then"] {
                if let Some(name) = text.strip_suffix(suffix).and_then(|stem| self.0.get(stem)) {
                    *ident = format_ident!("{name}{suffix}");
                }
            }
        }
    }
    let names = operations
        .iter()
        .map(|o| (o.id.to_upper_camel_case(), o.name.to_upper_camel_case()))
        .collect();
    MockTypes(names).visit_file_mut(file);

    let rename = |ident: &mut syn::Ident| {
        if let Some(operation) = operations.iter().find(|o| *ident == o.id.to_snake_case()) {
            *ident = format_ident!("{}", operation.name);
        }
    };
    for item in &mut file.items {
        match item {
            syn::Item::Trait(block) if block.ident == "MockServerExt" => {
                for member in &mut block.items {
                    if let syn::TraitItem::Fn(function) = member {
                        rename(&mut function.sig.ident);
                    }
                }
            }
            syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|s| s.ident == "MockServerExt")
                }) =>
            {
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(function) = member {
                        rename(&mut function.sig.ident);
                    }
                }
            }
            _ => {}
        }
    }
}

/// progenitor's mocks match a query parameter with `value.to_string()`,
/// which does not compile for an array or a map. The client sends an array
/// as the parameter repeated once per element, and a map as one pair per
/// entry (form style, exploded): match them that way.
pub fn fix_mock_collections(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;

    #[derive(Clone, Copy, PartialEq)]
    enum Collection {
        Array,
        Map,
    }

    struct Rewrite(Collection);

    impl VisitMut for Rewrite {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::MethodCall(call) = expr else {
                return;
            };
            let is_value_to_string = call.args.len() == 2
                && matches!(&call.args[1], syn::Expr::MethodCall(inner)
                    if inner.method == "to_string"
                        && matches!(&*inner.receiver, syn::Expr::Path(p) if p.path.is_ident("value")));
            if call.method != "query_param" || !is_value_to_string {
                return;
            }
            let (when, name) = (&call.receiver, &call.args[0]);
            *expr = match self.0 {
                Collection::Array => syn::parse_quote! {
                    value
                        .iter()
                        .fold(#when, |when, item| when.query_param(#name, item.to_string()))
                },
                Collection::Map => syn::parse_quote! {
                    value
                        .iter()
                        .fold(#when, |when, (key, item)| {
                            when.query_param(key.to_string(), item.to_string())
                        })
                },
            };
        }
    }

    let Some(items) = syn_modules::items_mut(&mut file.items, "operations") else {
        return;
    };
    for item in items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &mut block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            let where_clause = &function.sig.generics.where_clause;
            let bounds = quote!(#where_clause).to_string().replace(' ', "");
            let collection = if bounds.contains("::std::vec::Vec<") {
                Collection::Array
            } else if bounds.contains("BTreeMap<") || bounds.contains("HashMap<") {
                Collection::Map
            } else {
                continue;
            };
            Rewrite(collection).visit_block_mut(&mut function.block);
        }
    }
}

/// Every mock's `Then` also answers as the API does when it fails: an
/// error status with a JSON body, and a transient status with
/// `Retry-After`, so tests of retries and error handling read like the
/// success case.
pub fn add_mock_error_helpers(file: &mut syn::File) {
    let Some(items) = syn_modules::items_mut(&mut file.items, "operations") else {
        return;
    };
    for item in items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let is_then = block.trait_.is_none()
            && matches!(&*block.self_ty, syn::Type::Path(p)
                if p.path.get_ident().is_some_and(|i| i.to_string().ends_with("Then")));
        if !is_then {
            continue;
        }
        block.items.push(syn::parse_quote! {
            /// Answers with `status` (an error the API may send) and `body` as JSON.
            pub fn error(self, status: u16, body: &::serde_json::Value) -> Self {
                Self(
                    self.0
                        .status(status)
                        .header("content-type", "application/json")
                        .json_body(body.clone()),
                )
            }
        });
        block.items.push(syn::parse_quote! {
            /// Answers at most `times` requests, then stops matching, so the
            /// next mock that matches answers instead (mocks are tried in the
            /// order they were made): "503 once, then the page" is two mocks.
            pub fn up_to_n_times(self, times: usize) -> Self {
                Self(self.0.up_to_n_times(times))
            }
        });
        block.items.push(syn::parse_quote! {
            /// Answers with `status` (429 or 503, say) and `Retry-After: <seconds>`.
            pub fn retry_after(self, status: u16, seconds: u64) -> Self {
                Self(
                    self.0
                        .status(status)
                        .header("retry-after", seconds.to_string()),
                )
            }
        });
    }
}
