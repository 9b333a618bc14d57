//! `tests/tests/it/exposed_operations.rs`: one module of tests per exposed
//! operation, calling the generic checks of `tests/src/operation_checks.rs`
//! with the operation's client method, its typed mock, and (where the spec
//! has them) its body and example. Generated so that an operation added to
//! `openapi/operations.yaml` is tested with no hand-written line.

use anyhow::Result;
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::derive::slice::Operation;

/// The success statuses progenitor's mocks name (`then.ok(...)`), best first.
const SUCCESS_MOCKS: [&str; 5] = ["ok", "created", "accepted", "no_content", "reset_content"];

pub fn tokens(
    client: &syn::File,
    mocks: &syn::File,
    spec: &Value,
    operations: &[Operation],
) -> Result<TokenStream> {
    let mut modules = Vec::new();
    for operation in operations {
        let builder = operation.id.to_upper_camel_case();
        let module = format_ident!("{}", operation.name);
        let method = format_ident!("{}", operation.name);
        let marker = format_ident!("{}", operation.name.to_upper_camel_case());
        let path_parameters = path_parameter_count(spec, &operation.id)?;
        let samples = (0..path_parameters).map(|_| quote!(sample()));
        let id = &operation.id;
        let body =
            body_type(client, &builder).map(|ty| quote!(.body(check::request_body::<#ty>(#id))));

        // Checks that decode the response apply to a JSON (or empty) one
        // with a success status; a byte stream or a redirect gets none.
        let response = response_type(client, &marker)
            .map(|ty| quote!(#ty).to_string().replace(' ', ""))
            .unwrap_or_default();
        let has_json_body = response.starts_with("types::");
        let decodable = response == "()" || has_json_body;
        let is_download = response == "ByteStream";
        if is_download && success_mock(mocks, &format!("{marker}Then")).is_some() {
            modules.push(quote! {
                mod #module {
                    use super::*;

                    type Op = operations::#marker;

                    fn request(client: &Client) -> Request<'_, Op> {
                        client.#method(#(#samples),*) #body
                    }

                    fn mock<'s>(server: &'s MockServer, body: &[u8]) -> Mock<'s> {
                        server.#method(|_, then| {
                            then.ok(body);
                        })
                    }

                    #[tokio::test]
                    async fn download_round_trip() {
                        check::download_round_trip(request, mock).await;
                    }
                }
            });
            continue;
        }
        let Some((then, takes_value)) =
            success_mock(mocks, &format!("{marker}Then")).filter(|_| decodable)
        else {
            continue;
        };
        let then_ident = format_ident!("{then}");
        let respond = if takes_value {
            quote!(then.#then_ident(response);)
        } else {
            quote!(let _ = response; then.#then_ident();)
        };
        let listing = is_listing(client, &marker).then(|| {
            quote! {
                #[tokio::test]
                async fn two_page_walk() {
                    check::two_page_walk(request).await;
                }
            }
        });
        let fidelity = has_json_body.then(|| {
            quote! {
                #[test]
                fn the_response_type_matches_the_spec() {
                    check::response_type_matches_the_spec::<Op>();
                }
            }
        });
        let example = has_example(spec, &operation.id).then(|| {
            quote! {
                #[test]
                fn the_specs_example_decodes() {
                    let id = <Op as ultravox_client::Operation>::OPERATION_ID;
                    check::example_decodes::<Op>(&support::spec::response_example_of(id));
                }
            }
        });
        modules.push(quote! {
            mod #module {
                use super::*;

                type Op = operations::#marker;

                fn request(client: &Client) -> Request<'_, Op> {
                    client.#method(#(#samples),*) #body
                }

                fn mock<'s>(
                    server: &'s MockServer,
                    response: &<Op as ultravox_client::Operation>::Response,
                ) -> Mock<'s> {
                    server.#method(|_, then| {
                        #respond
                    })
                }

                #[tokio::test]
                async fn round_trip() {
                    check::round_trip(request, mock).await;
                }

                #[test]
                fn unknown_enum_values_are_kept() {
                    check::unknown_enum_values::<Op>();
                }

                #fidelity

                #listing
                #example
            }
        });
    }
    Ok(quote! {
        //! One module per operation of `openapi/operations.yaml`: a round trip
        //! through its typed mock, an unknown value at every enum path of its
        //! response, its response type checked against the vendor's schema,
        //! a two-page walk for a listing, the spec's example
        //! where it has one, and for a binary body a download through the
        //! mock (see `tests/src/operation_checks.rs`).

        #[allow(unused_imports)]
        use httpmock::{Mock, MockServer};
        #[allow(unused_imports)]
        use support::operation_checks::{self as check, sample};
        #[allow(unused_imports)]
        use ultravox_client::mock::MockServerExt;
        #[allow(unused_imports)]
        use ultravox_client::{Client, Request, operations, types};

        #(#modules)*
    })
}

fn path_parameter_count(spec: &Value, operation_id: &str) -> Result<usize> {
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for operation in item.as_object().into_iter().flat_map(|m| m.values()) {
            if operation["operationId"] == operation_id {
                return Ok(path.matches('{').count());
            }
        }
    }
    anyhow::bail!("the derived spec has no operation `{operation_id}`")
}

/// The type progenitor's builder takes for the JSON body, if any
/// (`V: TryInto<types::X>` on its `body` setter), as `types::X`.
fn body_type(client: &syn::File, builder: &str) -> Option<syn::Type> {
    let items = module(client, "builder")?;
    let setters = items.iter().find_map(|item| match item {
        syn::Item::Impl(block)
            if matches!(&*block.self_ty, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == builder)) =>
        {
            Some(block)
        }
        _ => None,
    })?;
    let body = setters.items.iter().find_map(|member| match member {
        syn::ImplItem::Fn(function) if function.sig.ident == "body" => Some(function),
        _ => None,
    })?;
    let predicate = body
        .sig
        .generics
        .where_clause
        .as_ref()?
        .predicates
        .first()?;
    let syn::WherePredicate::Type(predicate) = predicate else {
        return None;
    };
    let syn::TypeParamBound::Trait(bound) = predicate.bounds.first()? else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &bound.path.segments.last()?.arguments
    else {
        return None;
    };
    let Some(syn::GenericArgument::Type(ty)) = arguments.args.first() else {
        return None;
    };
    Some(ty.clone())
}

/// The success method of the mock's `Then` (`ok`, `created`, …) and whether
/// it takes the response body.
fn success_mock(mocks: &syn::File, then: &str) -> Option<(String, bool)> {
    let items = module(mocks, "operations")?;
    let methods: Vec<&syn::ImplItemFn> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block)
                if matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(then)) =>
            {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| &block.items)
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) => Some(function),
            _ => None,
        })
        .collect();
    SUCCESS_MOCKS.iter().find_map(|wanted| {
        methods
            .iter()
            .find(|f| f.sig.ident == wanted)
            .map(|f| ((*wanted).to_owned(), f.sig.inputs.len() > 1))
    })
}

/// The `Response` of the generated `Operation` impl for `marker`.
fn response_type(client: &syn::File, marker: &syn::Ident) -> Option<syn::Type> {
    module(client, "operations")?
        .iter()
        .find_map(|item| match item {
            syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "Operation")
                }) && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(marker)) =>
            {
                block.items.iter().find_map(|member| match member {
                    syn::ImplItem::Type(ty) if ty.ident == "Response" => Some(ty.ty.clone()),
                    _ => None,
                })
            }
            _ => None,
        })
}

/// Whether the generated client implements `Listing` for `marker`.
fn is_listing(client: &syn::File, marker: &syn::Ident) -> bool {
    module(client, "operations").is_some_and(|items| {
        items.iter().any(|item| {
            matches!(item, syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "Listing")
                })
                && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(marker)))
        })
    })
}

fn has_example(spec: &Value, operation_id: &str) -> bool {
    spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flat_map(|m| m.values()))
        .filter(|operation| operation["operationId"] == operation_id)
        .flat_map(|operation| operation["responses"].as_object().into_iter().flatten())
        .any(|(status, response)| {
            status.starts_with('2')
                && response
                    .pointer("/content/application~1json/example")
                    .is_some()
        })
}

fn module<'f>(file: &'f syn::File, name: &str) -> Option<&'f [syn::Item]> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == name => {
            module.content.as_ref().map(|(_, items)| &items[..])
        }
        _ => None,
    })
}
