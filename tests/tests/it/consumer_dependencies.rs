//! Consumers build only the committed code: none of the code generator may
//! appear in `ultravox-client`'s dependency tree.

use std::process::Command;

// (syn itself stays: serde_derive needs it.)
const GENERATOR_CRATES: [&str; 5] = [
    "progenitor-impl",
    "typify",
    "typify-impl",
    "prettyplease",
    "openapiv3",
];

#[test]
fn client_dependency_tree_excludes_the_generator() {
    let output = Command::new(env!("CARGO"))
        .current_dir(support::spec::workspace_root())
        .args([
            "tree",
            "--locked",
            "-p",
            "ultravox-client",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).unwrap();
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        names.contains(&"progenitor-client"),
        "unexpected tree:\n{tree}"
    );
    for generator in GENERATOR_CRATES {
        assert!(
            !names.contains(&generator),
            "{generator} is in the consumer's build:\n{tree}"
        );
    }
}
