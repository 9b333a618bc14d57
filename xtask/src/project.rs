//! Where the project's inputs and outputs live, relative to its root.

use std::path::{Path, PathBuf};

/// The workspace root, whatever directory the command was started from.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The files codegen and sync read and write.
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// The vendor's OpenAPI document, exactly as published.
    pub fn upstream(&self) -> PathBuf {
        self.root.join("openapi/upstream.yaml")
    }

    /// Where the vendor's document came from, and its sha256.
    pub fn upstream_lock(&self) -> PathBuf {
        self.root.join("openapi/upstream.lock")
    }

    /// The operations the client exposes.
    pub fn operations(&self) -> PathBuf {
        self.root.join("openapi/operations.yaml")
    }

    /// The project's deliberate changes, as an OpenAPI Overlay 1.0 document.
    pub fn overlay(&self) -> PathBuf {
        self.root.join("openapi/overlay.yaml")
    }

    /// The derived spec: the slice with the overlay applied.
    pub fn derived(&self) -> PathBuf {
        self.root.join("openapi/ultravox.json")
    }

    /// Where the generated Rust goes.
    pub fn out_dir(&self) -> PathBuf {
        self.root.join("generated-client/src")
    }

    /// The generated tests every exposed operation gets.
    pub fn operation_tests(&self) -> PathBuf {
        self.root.join("tests/tests/it/exposed_operations.rs")
    }

    /// The client's manifest: what the generated code may use.
    pub fn client_manifest(&self) -> PathBuf {
        self.root.join("generated-client/Cargo.toml")
    }

    /// `path` relative to the root with `/` separators, so messages and
    /// file headers do not depend on where the checkout lives.
    pub fn show(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(relative) => relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => path.display().to_string(),
        }
    }
}
