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
            /// Multiply the budgets on the generated code's size (enum values,
            /// properties, schemas, bytes) by FACTOR (default 1).
            optional --budget factor: u32
            /// Stop the work on the document (parse, derive, generate,
            /// format) after SECONDS (default 45), times the budget.
            optional --time-limit seconds: u64
            /// Cap that work's memory at MIB mebibytes (default 1024),
            /// times the budget.
            optional --memory-limit mib: u64
        }

        /// Take in a newly published vendor document: download (or read) and
        /// validate it, replace openapi/upstream.yaml and its record
        /// openapi/upstream.lock, run codegen, print a change report
        /// (Markdown). On any failure no file changes.
        cmd sync {
            /// The document: an http(s) URL, or a file (YAML or JSON).
            required --from source: String
            /// Also write the report to FILE.
            optional --report file: PathBuf
            /// The program that checks the regenerated client builds, run as
            /// `PROGRAM check --locked --all-features -p ultravox-client`
            /// (default cargo); a failure puts every file back.
            optional --check-with program: PathBuf
            /// Skip that check (faster; `watch` always runs it).
            optional --no-build-check
            /// Limit on the download, in seconds (default 50).
            optional --timeout seconds: u64
            /// Multiply the budgets on the generated code's size (enum values,
            /// properties, schemas, bytes) by FACTOR (default 1).
            optional --budget factor: u32
            /// Stop the work on the document (parse, derive, generate,
            /// format) after SECONDS (default 45), times the budget.
            optional --time-limit seconds: u64
            /// Cap that work's memory at MIB mebibytes (default 1024),
            /// times the budget.
            optional --memory-limit mib: u64
        }

        /// The scheduled job's step: sync in the working tree and write
        /// DIR/outcome (changed, unchanged or refused) and, for a change,
        /// the pull request's title, body, labels and commit message; for
        /// a refusal, DIR/failure.md (exit code 2, no file changed).
        cmd watch {
            /// The document: an http(s) URL, or a file (YAML or JSON).
            required --from source: String
            /// Where the outcome files go.
            required --out dir: PathBuf
            /// The git revision cargo-semver-checks compares with (default HEAD).
            optional --baseline rev: String
            /// The program that checks the regenerated client builds, run as
            /// `PROGRAM check --locked --all-features -p ultravox-client`
            /// (default cargo); a failure is a refusal.
            optional --check-with program: PathBuf
            /// Limit on the download, in seconds (default 50).
            optional --timeout seconds: u64
            /// Multiply the budgets on the generated code's size (enum values,
            /// properties, schemas, bytes) by FACTOR (default 1).
            optional --budget factor: u32
            /// Stop the work on the document (parse, derive, generate,
            /// format) after SECONDS (default 45), times the budget.
            optional --time-limit seconds: u64
            /// Cap that work's memory at MIB mebibytes (default 1024),
            /// times the budget.
            optional --memory-limit mib: u64
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
