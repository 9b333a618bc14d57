//! Finding an inline module's items in progenitor's output (`types`,
//! `builder`, `operations`), for the passes that read or rewrite them, and
//! the names of the types among them.

/// The items of the inline module `name` among `items`.
pub fn items<'f>(items: &'f [syn::Item], name: &str) -> Option<&'f [syn::Item]> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == name => {
            module.content.as_ref().map(|(_, items)| &items[..])
        }
        _ => None,
    })
}

/// The items of the inline module `name` among `items`, to rewrite.
pub fn items_mut<'f>(items: &'f mut [syn::Item], name: &str) -> Option<&'f mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == name => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// The names of the structs, enums and type aliases among `items`.
pub fn type_names(items: &[syn::Item]) -> impl Iterator<Item = String> + '_ {
    items.iter().filter_map(|item| match item {
        syn::Item::Struct(item) => Some(item.ident.to_string()),
        syn::Item::Enum(item) => Some(item.ident.to_string()),
        syn::Item::Type(item) => Some(item.ident.to_string()),
        _ => None,
    })
}
