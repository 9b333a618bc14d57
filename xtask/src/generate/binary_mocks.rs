//! The mocks of an operation whose success body is binary (a recording):
//! progenitor's `Then` answers its success with a JSON value and its `302`
//! with no `Location`. Here `ok` takes the bytes and sends them with the
//! media type the spec gives, and `found` takes the `Location`, so a test
//! can play the API that answers with audio or with a redirect to storage.

use heck::ToUpperCamelCase;
use quote::format_ident;
use serde_json::Value;

use crate::derive::slice::Operation;
use crate::generate::syn_modules;

/// The media type of `operation_id`'s first success response, when it is
/// not JSON.
fn binary_media_type(spec: &Value, operation_id: &str) -> Option<String> {
    let (_, _, operation) = crate::generate::surface::find(spec, operation_id).ok()?;
    let (_, success) = operation["responses"]
        .as_object()?
        .iter()
        .find(|(status, _)| status.starts_with('2'))?;
    let media_type = success["content"].as_object()?.keys().next()?;
    (!media_type.contains("json")).then(|| media_type.clone())
}

/// Rewrites `ok` and `found` of every binary operation's `Then`.
pub fn fix(file: &mut syn::File, spec: &Value, operations: &[Operation]) {
    let Some(items) = syn_modules::items_mut(&mut file.items, "operations") else {
        return;
    };
    for operation in operations {
        let Some(media_type) = binary_media_type(spec, &operation.id) else {
            continue;
        };
        let then = format_ident!("{}Then", operation.name.to_upper_camel_case());
        for item in items.iter_mut() {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let is_then = block.trait_.is_none()
                && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(&then));
            if !is_then {
                continue;
            }
            for member in &mut block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                if function.sig.ident == "ok" {
                    *function = syn::parse_quote! {
                        /// Answers `200` with `body` as the spec's media type.
                        pub fn ok(self, body: &[u8]) -> Self {
                            Self(
                                self.0
                                    .status(200u16)
                                    .header("content-type", #media_type)
                                    .body(body),
                            )
                        }
                    };
                } else if function.sig.ident == "found" {
                    *function = syn::parse_quote! {
                        /// Answers `302 Found` pointing to `location`, where
                        /// the body is stored.
                        pub fn found(self, location: &str) -> Self {
                            Self(self.0.status(302u16).header("location", location))
                        }
                    };
                }
            }
        }
    }
}
