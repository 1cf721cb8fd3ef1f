//! `graphlink demo`, `project validate | usage`, `run --once`, `coordinator` and `secret`,
//! through the binary.

use std::path::Path;
use std::process::Output;

use crate::common::text;

fn graphlink(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_graphlink"))
        .current_dir(dir)
        .args(args)
        .env_remove("GRAPHLINK_PROJECT")
        .output()
        .unwrap()
}

#[test]
fn the_demo_archives_every_invoice() {
    let work = tempfile::tempdir().unwrap();
    let out = graphlink(
        work.path(),
        &["--json", "demo", "--data", work.path().to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["done"], 8);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["archived"].as_array().unwrap().len(), 8);
    assert_eq!(
        summary["left_in_inbox"],
        serde_json::json!(["notes-from-accounting.docx"])
    );
}

#[test]
fn validate_usage_run_coordinator_and_secrets_on_a_local_project() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    for i in 0..5 {
        std::fs::write(
            dir.join("in").join(format!("f{i}.csv")),
            format!("row {i}\n"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("project.toml"),
        r#"
[source.inbox]
type = "local"
root = "in"
poll_interval = "1s"
[source.inbox.folders.csv]
input = "."
filter = ".*\\.csv"
done = "done"

[sink.outbox]
type = "local"
root = "out"
directory = "."

[workflow.copy-csv]
source = "inbox"
sink = "outbox"
"#,
    )
    .unwrap();
    let out = graphlink(dir, &["project", "validate"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = graphlink(dir, &["--json", "project", "usage", "inbox"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("copy-csv"),
        "{}",
        text(&out.stdout)
    );
    // An asset the project does not have: not found, 3.
    let out = graphlink(dir, &["project", "usage", "nowhere"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("'nowhere'"));

    let out = graphlink(dir, &["--json", "run", "--once", "--state-dir", "state"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["done"], 5);
    for i in 0..5 {
        assert_eq!(
            std::fs::read_to_string(dir.join("out").join(format!("f{i}.csv"))).unwrap(),
            format!("row {i}\n")
        );
    }
    let out = graphlink(
        dir,
        &[
            "--json",
            "coordinator",
            "list",
            "--state-dir",
            "state",
            "--status",
            "done",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 5);
    let out = graphlink(
        dir,
        &[
            "coordinator",
            "list",
            "--state-dir",
            "state",
            "--status",
            "bogus",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("wait-for-clearance"),
        "{}",
        text(&out.stderr)
    );

    // An invalid project: every problem reported with file and field, exit code 6.
    std::fs::write(dir.join("bad.toml"), "[source.\"has space\"]\ntype = \"local\"\nroot = \"x\"\n[workflow.w2]\nsource = \"nope\"\nsink = \"outbox\"\n").unwrap();
    let out = graphlink(dir, &["project", "validate"]);
    assert_eq!(out.status.code(), Some(6));
    let report = text(&out.stdout);
    assert!(
        report.contains("bad.toml") && report.contains("has space") && report.contains("nope"),
        "{report}"
    );
    std::fs::remove_file(dir.join("bad.toml")).unwrap();

    // Secrets: keygen, create, add (value from stdin), and the value never printed.
    let out = graphlink(dir, &["--json", "secret", "keygen", "--out", "node.key"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recipient = key["recipient"].as_str().unwrap();
    let out = graphlink(
        dir,
        &["secret", "create", "vault", "--recipient", recipient],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = graphlink(
        dir,
        &[
            "secret",
            "add",
            "vault",
            "api_key",
            "--value",
            "s3cr3t-value",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("s3cr3t-value"));
    let all: String = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    assert!(
        !all.contains("s3cr3t-value"),
        "the secret is stored encrypted only"
    );
}
