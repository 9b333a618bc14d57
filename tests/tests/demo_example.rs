//! The runnable example, run as a user would: `cargo run --example ... -- --demo`.

use std::process::{Command, Output};

fn run_example(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(tests::workspace_root())
        // `--features mock` matches the features `cargo test --workspace` built
        // the crate with (tests/ enables them), so the example reuses that
        // build; the demo itself needs no feature.
        .args([
            "run",
            "--quiet",
            "-p",
            "ultravox-client",
            "--features",
            "mock",
        ])
        .args(["--example", "list_scheduled_calls", "--"])
        .args(args)
        .env_remove("ULTRAVOX_API_KEY")
        .env_remove("ULTRAVOX_BASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("cargo runs")
}

fn stdout_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is one JSON object"))
        .collect()
}

#[test]
fn demo_prints_one_page_or_every_page_as_ndjson() {
    let one_page = run_example(&["--demo"], &[]);
    let stderr = String::from_utf8_lossy(&one_page.stderr);
    assert!(one_page.status.success(), "{stderr}");
    assert_eq!(stdout_lines(&one_page).len(), 4);
    assert_eq!(stderr.trim(), "listed 4 scheduled calls from 1 page(s)");

    let every_page = run_example(&["--demo", "--all"], &[]);
    let stderr = String::from_utf8_lossy(&every_page.stderr);
    assert!(every_page.status.success(), "{stderr}");
    let calls = stdout_lines(&every_page);
    assert_eq!(calls.len(), 8);
    assert_eq!(stderr.trim(), "listed 8 scheduled calls from 3 page(s)");

    let mut statuses: Vec<_> = calls
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        ["ERROR", "EXPIRED", "FUTURE", "PENDING", "SUCCESS"]
    );
    let media: std::collections::BTreeSet<_> = calls
        .iter()
        .filter_map(|c| c["medium"].as_object())
        .flat_map(|m| m.keys().cloned())
        .collect();
    assert_eq!(media.len(), 7, "every medium: {media:?}");
}

#[test]
fn failures_are_one_line_and_exit_1() {
    // (arguments, environment, what the error line must say)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (
            &["not-a-uuid", "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b"],
            &[("ULTRAVOX_API_KEY", "k")],
            "AGENT_ID \"not-a-uuid\" is not a UUID",
        ),
        (
            &[
                "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b",
            ],
            &[],
            "ULTRAVOX_API_KEY",
        ),
        (
            &[
                "--max-retries",
                "0",
                "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                "5a1f3b9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b",
            ],
            &[
                ("ULTRAVOX_API_KEY", "k"),
                ("ULTRAVOX_BASE_URL", "http://127.0.0.1:9"),
            ],
            "cannot connect",
        ),
    ];
    for (args, env, expected) in cases {
        let output = run_example(args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}
