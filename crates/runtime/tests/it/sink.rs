//! Sink behaviours end to end with local storages: temp-then-move, prefix/suffix, file names
//! with macros, sub-directories, every when-exists policy, archive, leftover temp cleanup.

use crate::common;

use common::*;

#[tokio::test]
async fn copies_files_and_moves_inputs_to_done() {
    let fx = Fixture::new();
    fx.project_file("p.toml", &basic_project("", "done = \"done\"", ""));
    fx.put("in/a.txt", b"alpha");
    fx.put("in/b.txt", b"beta");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!(r.done, 2, "{r:?}");
    assert_eq!(fx.read("out/a.txt"), b"alpha");
    assert_eq!(fx.read("out/b.txt"), b"beta");
    assert_eq!(fx.files("done"), vec!["a.txt", "b.txt"]);
    assert!(fx.files("in").is_empty());
    assert_eq!(
        fx.files("out"),
        vec!["a.txt", "b.txt"],
        "no temporary file left"
    );
}

#[tokio::test]
async fn prefix_suffix_file_name_macros_and_sub_directories() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            "include_subdirs = true\ndone = \"done\"",
            "directory = \"out/${file.folder}/${date:%Y}\"\nprefix = \"p-\"\nsuffix = \"-s\"\nfile_name = \"${workflow}-${file.stem}.${file.ext}\"",
        )
        .replace("directory = \"out\"\n", ""),
    );
    fx.put("in/x/deep.csv", b"1,2");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    let year = chrono_year();
    assert_eq!(
        fx.read(&format!("out/main/{year}/p-copy-deep-s.csv")),
        b"1,2"
    );
    assert_eq!(
        fx.files("done"),
        vec!["x/deep.csv"],
        "done mirrors the sub-directory"
    );
}

fn chrono_year() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Good enough for the test (UTC, ignoring the few hours around new year).
    let days = secs / 86400;
    let mut year = 1970;
    let mut d = days as i64;
    loop {
        let len = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
            366
        } else {
            365
        };
        if d < len {
            break;
        }
        d -= len;
        year += 1;
    }
    year.to_string()
}

async fn run_policy(policy: &str, extra: &str) -> Fixture {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            "done = \"done\"\nerror = \"error\"",
            &format!("when_exists = \"{policy}\"\n{extra}"),
        ),
    );
    fx.put("out/a.txt", b"old");
    fx.put("in/a.txt", b"new");
    let node = fx.node(&[]).await;
    until_idle(&node).await;
    fx
}

#[tokio::test]
async fn when_exists_rollback_fails_the_stream_and_writes_nothing() {
    let fx = run_policy("rollback", "").await;
    assert_eq!(fx.read("out/a.txt"), b"old");
    assert_eq!(fx.files("out"), vec!["a.txt"]);
    assert_eq!(fx.files("error"), vec!["a.txt"]);
    assert!(fx.files("done").is_empty());
}

#[tokio::test]
async fn when_exists_replace() {
    let fx = run_policy("replace", "").await;
    assert_eq!(fx.read("out/a.txt"), b"new");
    assert_eq!(fx.files("out"), vec!["a.txt"]);
    assert_eq!(fx.files("done"), vec!["a.txt"]);
}

#[tokio::test]
async fn when_exists_counter_renames_the_existing_file() {
    let fx = run_policy("counter", "").await;
    assert_eq!(fx.read("out/a.txt"), b"new");
    assert_eq!(fx.read("out/a_1.txt"), b"old");
    assert_eq!(fx.files("out").len(), 2);
}

#[tokio::test]
async fn when_exists_timestamp_renames_the_existing_file() {
    let fx = run_policy("timestamp", "").await;
    assert_eq!(fx.read("out/a.txt"), b"new");
    let files = fx.files("out");
    assert_eq!(files.len(), 2, "{files:?}");
    let other = files.iter().find(|f| *f != "a.txt").unwrap();
    assert!(
        other.starts_with("a_2") && other.ends_with("Z.txt"),
        "{other}"
    );
    assert_eq!(fx.read(&format!("out/{other}")), b"old");
}

#[tokio::test]
async fn when_exists_archive_with_each_archive_policy() {
    // archive: the existing output moves to the archive folder.
    let fx = run_policy("archive", "archive_directory = \"archive\"").await;
    assert_eq!(fx.read("out/a.txt"), b"new");
    assert_eq!(fx.read("archive/a.txt"), b"old");

    for (policy, expect) in [
        ("replace", vec!["a.txt"]),
        ("counter", vec!["a.txt", "a_1.txt"]),
    ] {
        let fx = Fixture::new();
        fx.project_file(
            "p.toml",
            &basic_project(
                "",
                "done = \"done\"",
                &format!("when_exists = \"archive\"\narchive_directory = \"archive\"\narchive_exists = \"{policy}\""),
            ),
        );
        fx.put("archive/a.txt", b"older");
        fx.put("out/a.txt", b"old");
        fx.put("in/a.txt", b"new");
        let node = fx.node(&[]).await;
        until_idle(&node).await;
        let mut files = fx.files("archive");
        files.sort();
        let mut expect = expect.clone();
        expect.sort();
        assert_eq!(files, expect, "archive_exists = {policy}");
        assert_eq!(fx.read("out/a.txt"), b"new");
        if policy == "replace" {
            assert_eq!(fx.read("archive/a.txt"), b"old");
        } else {
            assert_eq!(fx.read("archive/a.txt"), b"older");
            assert_eq!(fx.read("archive/a_1.txt"), b"old");
        }
    }

    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("", "done = \"done\"", "when_exists = \"archive\"\narchive_directory = \"archive\"\narchive_exists = \"timestamp\""),
    );
    fx.put("archive/a.txt", b"older");
    fx.put("out/a.txt", b"old");
    fx.put("in/a.txt", b"new");
    let node = fx.node(&[]).await;
    until_idle(&node).await;
    let files = fx.files("archive");
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("a_2") && f.ends_with("Z.txt")),
        "{files:?}"
    );
}

#[tokio::test]
async fn create_dirs_off_fails_when_the_output_folder_is_missing() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("", "error = \"error\"", "create_dirs = false")
            .replace("directory = \"out\"", "directory = \"missing/out\""),
    );
    fx.put("in/a.txt", b"x");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!(r.failed, 1);
    assert!(!fx.exists("missing"));
    assert_eq!(fx.files("error"), vec!["a.txt"]);
    let recs = node.coordinator().list(&Default::default()).await.unwrap();
    assert!(
        recs[0].error.as_deref().unwrap().contains("create_dirs"),
        "{:?}",
        recs[0].error
    );
}

#[tokio::test]
async fn temporary_directory_prefix_suffix_and_leftover_cleanup() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            "done = \"done\"",
            "temp_directory = \"tmp\"\ntemp_prefix = \"~\"\ntemp_suffix = \".partial\"",
        ),
    );
    // A leftover from an interrupted write, and an unrelated file that must stay.
    fx.put("tmp/~a.txt.deadbeef.partial", b"half");
    fx.put("tmp/keep.txt", b"keep");
    fx.put("in/a.txt", b"full");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    assert_eq!(fx.files("tmp"), vec!["keep.txt"]);
    assert_eq!(fx.read("out/a.txt"), b"full");
}

#[tokio::test]
async fn processing_command_transforms_and_non_zero_exit_fails() {
    let fx = Fixture::new();
    let mut text = basic_project("", "done = \"done\"\nerror = \"error\"", "");
    text = text.replace("sink = \"out\"\n", "sink = \"out\"\ncommand = [\"sh\", \"-c\", \"if grep -q bad; then exit 3; fi; echo processed ${file.name}\"]\n");
    fx.project_file("p.toml", &text);
    fx.put("in/good.txt", b"fine");
    fx.put("in/bad.txt", b"bad content");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!((r.done, r.failed), (1, 1), "{r:?}");
    assert_eq!(fx.read("out/good.txt"), b"processed good.txt\n");
    assert!(!fx.exists("out/bad.txt"));
    assert_eq!(
        fx.files("out"),
        vec!["good.txt"],
        "no temporary file of the failed stream"
    );
    assert_eq!(fx.files("error"), vec!["bad.txt"]);
}
