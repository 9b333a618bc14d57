//! Generated code that names a crate the client does not depend on (typify
//! reaches for `regress` on a `pattern`, `chrono` on a `date-time`) must fail
//! codegen with the line to add, not the compiler with
//! "cannot find `regress` in the crate root".

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use syn::visit::Visit;

/// Names that look like crate roots but are not.
const NOT_CRATES: [&str; 25] = [
    "std", "core", "alloc", "crate", "self", "super", "bool", "char", "str", "i8", "i16", "i32",
    "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "types",
    "builder",
];

/// The external crates `file` names in paths (`::regress::Regex`, `uuid::Uuid`).
pub fn used(file: &syn::File) -> BTreeSet<String> {
    let mut local = BTreeSet::new();
    collect_local_names(&file.items, &mut local);
    let mut visitor = CrateRoots::default();
    visitor.visit_file(file);
    visitor
        .roots
        .into_iter()
        .filter(|name| !NOT_CRATES.contains(&name.as_str()) && !local.contains(name))
        .collect()
}

#[derive(Default)]
struct CrateRoots {
    roots: BTreeSet<String>,
}

impl Visit<'_> for CrateRoots {
    fn visit_path(&mut self, path: &syn::Path) {
        let first = path.segments.first().map(|s| s.ident.to_string());
        if let Some(first) = first
            && (path.leading_colon.is_some() || path.segments.len() > 1)
            && first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.roots.insert(first);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &syn::ItemUse) {
        if let syn::UseTree::Path(path) = &item.tree {
            self.roots.insert(path.ident.to_string());
        }
    }
}

/// Modules, functions and other items the file itself defines.
fn collect_local_names(items: &[syn::Item], out: &mut BTreeSet<String>) {
    for item in items {
        match item {
            syn::Item::Mod(module) => {
                out.insert(module.ident.to_string());
                if let Some((_, items)) = &module.content {
                    collect_local_names(items, out);
                }
            }
            syn::Item::Fn(function) => {
                out.insert(function.sig.ident.to_string());
            }
            syn::Item::Const(constant) => {
                out.insert(constant.ident.to_string());
            }
            _ => {}
        }
    }
}

/// The crates the client's manifest lists, as code names them (the key of a
/// renamed dependency, `-` as `_`).
pub fn declared(manifest: &Path, shown: &str) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {shown}, the client's manifest"))?;
    let toml: toml::Table =
        toml::from_str(&text).with_context(|| format!("{shown} is not valid TOML"))?;
    let mut names = BTreeSet::new();
    if let Some(table) = toml.get("dependencies").and_then(toml::Value::as_table) {
        names.extend(table.keys().map(|key| key.replace('-', "_")));
    }
    Ok(names)
}

/// Fails when `file` needs a crate `manifest` does not list.
pub fn check(
    file: &syn::File,
    manifest: &Path,
    shown_manifest: &str,
    lock: &Path,
    generated: &str,
) -> Result<()> {
    let declared = declared(manifest, shown_manifest)?;
    let missing: Vec<String> = used(file)
        .into_iter()
        .filter(|name| !declared.contains(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = missing
        .iter()
        .flat_map(|name| dependency_lines(name, &locked_version(lock, name)))
        .map(|line| format!("    {line}"))
        .collect();
    bail!(
        "the generated {generated} uses the crate{} {}, which {shown_manifest} does not depend \
         on (typify needs `regress` for a `pattern`, `chrono` for a `date-time`, …). Add under \
         [dependencies] in {shown_manifest}:\n{}\nthen run `cargo xtask codegen` again; nothing \
         was written",
        if missing.len() > 1 { "s" } else { "" },
        missing
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", "),
        lines.join("\n"),
    )
}

/// The `[dependencies]` lines that make generated code using `name`
/// compile as pasted: the features the generated derives need (serde for
/// `chrono`'s types, and schemars' own feature for their JSON Schema)
/// included.
pub fn dependency_lines(name: &str, version: &str) -> Vec<String> {
    let package = name.replace('_', "-");
    let version = match (name, version) {
        ("chrono", "*") => "0.4",
        (_, version) => version,
    };
    match name {
        // `DateTime<Utc>` in a `#[derive(Deserialize, Serialize, JsonSchema)]`.
        "chrono" => vec![
            // chrono 0.4 is the version schemars' `chrono04` feature speaks.
            format!("chrono = {{ version = \"{version}\", default-features = false, features = [\"serde\", \"std\"] }}"),
            "schemars = { workspace = true, optional = true, features = [\"chrono04\"] }  # replaces `schemars = { workspace = true, optional = true }`".to_owned(),
        ],
        _ => vec![format!("{package} = \"{version}\"")],
    }
}

/// The version of `name` in Cargo.lock (the generator's own tree often has
/// it), or `*` for the user to pin.
fn locked_version(lock: &Path, name: &str) -> String {
    let wanted = format!("name = \"{}\"", name.replace('_', "-"));
    std::fs::read_to_string(lock)
        .ok()
        .and_then(|text| {
            let mut lines = text.lines();
            lines.find(|line| *line == wanted)?;
            let version = lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            Some(version.to_owned())
        })
        .unwrap_or_else(|| "*".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_crate_roots_but_not_local_or_std_paths() {
        let file: syn::File = syn::parse_quote! {
            use progenitor_client::{encode_path, ClientHooks};
            pub mod types {
                pub struct A(::regress::Regex, ::std::string::String, uuid::Uuid);
                fn f() { let _ = super::types::A; let _ = i64::from(1u8); let _ = T::default(); }
            }
        };
        let used: Vec<String> = used(&file).into_iter().collect();
        assert_eq!(used, ["progenitor_client", "regress", "uuid"]);
    }
}
