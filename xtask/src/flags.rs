//! The command line, declared once: `cargo xtask --help` prints it.

use std::path::PathBuf;

xflags::xflags! {
    /// Project automation: regenerate the client from openapi/, take in a
    /// newly published vendor document, list the vendor's operations, check
    /// a release's version bump.
    cmd xtask {
        /// Work on the project at DIR (default: this workspace).
        optional --root dir: PathBuf

        /// Derive openapi/ultravox.json from the vendor's document
        /// (openapi/upstream.yaml), openapi/operations.yaml and
        /// openapi/overlay.yaml, and regenerate generated-client/src/.
        cmd codegen {
            /// Write nothing; fail if any derived or generated file is stale.
            optional --check
        }

        /// Take in a newly published vendor document: validate it, replace
        /// openapi/upstream.yaml, run codegen, print a change report
        /// (Markdown). On any failure no file changes.
        cmd sync {
            /// The downloaded document (YAML or JSON).
            required --from file: PathBuf
            /// Also write the report to FILE.
            optional --report file: PathBuf
        }

        /// Every operation of the vendor's document: operationId, method,
        /// path, whether it is a cursor listing, and the Rust method of the
        /// exposed ones.
        cmd operations {}

        /// Before a release: cargo-semver-checks on the client against git
        /// revision REV (the last release), which says whether the version
        /// bump is big enough.
        cmd semver {
            /// The git revision (tag, branch, commit) to compare with.
            required --baseline rev: String
        }
    }
}
