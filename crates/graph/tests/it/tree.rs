//! Recursive transfers of a folder of many small files while the emulator throttles (429/503
//! with Retry-After) and cuts connections.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use graphlink_graph::{ConflictBehavior, ItemRef, TreeOptions};
use serde_json::json;

fn write_tree(root: &Path, files: usize) -> BTreeMap<String, Vec<u8>> {
    let mut expected = BTreeMap::new();
    for i in 0..files {
        let dir = match i % 4 {
            0 => String::new(),
            1 => "one".to_string(),
            2 => "one/two #2".to_string(),
            _ => format!("many/d{}", i % 7),
        };
        let rel = if dir.is_empty() {
            format!("file {i}.txt")
        } else {
            format!("{dir}/file {i}.txt")
        };
        let data = content(100 + (i * 37) % 3000, i as u32 + 1);
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &data).unwrap();
        expected.insert(rel, data);
    }
    expected
}

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn visit(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                visit(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(root, root, &mut out);
    out
}

/// The scenario: every file of a 500-file folder arrives once and intact.
const FILES: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_many_files_round_trips_under_throttling_and_cut_connections() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let src = tempfile::tempdir().unwrap();
    let expected = write_tree(src.path(), FILES);
    env.faults(json!([
        {"path": "^/v1\\.0/drives/", "fault": {"kind": "status", "status": 429, "retry_after": "0.05"}, "probability": 0.1},
        {"path": "^/v1\\.0/drives/", "fault": {"kind": "status", "status": 503, "retry_after": "0.02"}, "probability": 0.1},
        {"path": "^/v1\\.0/drives/", "fault": {"kind": "cut_response", "after_bytes": 0}, "probability": 0.03},
        {"path": ":/content", "methods": ["PUT"], "fault": {"kind": "cut_request", "after_bytes": 10}, "probability": 0.05},
        {"path": "^/_download/", "fault": {"kind": "cut_response", "after_bytes": 50}, "probability": 0.1}
    ]))
    .await;
    let options = TreeOptions {
        concurrency: 8,
        conflict: ConflictBehavior::Fail,
    };
    let report = guard(
        "upload",
        drive.upload_dir(
            src.path(),
            "/tree/in",
            &options,
            &graphlink_graph::NoProgress,
        ),
    )
    .await
    .unwrap();
    assert!(
        report.failures.is_empty(),
        "upload failures: {:?}",
        report.failures
    );
    assert_eq!(report.files, FILES as u64);
    let dest = tempfile::tempdir().unwrap();
    let report = guard(
        "download",
        drive.download_dir(
            &ItemRef::path("/tree/in"),
            dest.path(),
            &options,
            &graphlink_graph::NoProgress,
        ),
    )
    .await
    .unwrap();
    assert!(
        report.failures.is_empty(),
        "download failures: {:?}",
        report.failures
    );
    assert_eq!(report.files, FILES as u64);
    let counters = env.counters().await;
    let injected = counters["injected"].as_u64().unwrap_or(0);
    assert!(
        injected >= 100,
        "too few faults injected to mean anything: {counters}"
    );
    env.clear_faults().await;
    assert_eq!(read_tree(dest.path()), expected);
}

/// A folder download uses the links its listing carried: one request per file, and `/content`
/// only for a link that no longer works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_download_takes_one_request_per_file() {
    const N: usize = 24;
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let src = tempfile::tempdir().unwrap();
    let expected = write_tree(src.path(), N);
    let options = TreeOptions::default();
    let report = guard(
        "upload",
        drive.upload_dir(src.path(), "/links", &options, &graphlink_graph::NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(report.files, N as u64);
    // Two links refused as expired: those two files ask /content for a fresh one.
    env.faults(json!({
        "path": "^/_download/",
        "sequence": [
            {"kind": "status", "status": 401, "code": "unauthenticated"},
            {"kind": "status", "status": 401, "code": "unauthenticated"},
            "pass"
        ]
    }))
    .await;
    let (downloads, contents) = (
        env.matching("GET", "^/_download/").await,
        env.matching("GET", "/content").await,
    );
    let dest = tempfile::tempdir().unwrap();
    let report = guard(
        "download",
        drive.download_dir(
            &ItemRef::path("/links"),
            dest.path(),
            &options,
            &graphlink_graph::NoProgress,
        ),
    )
    .await
    .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(read_tree(dest.path()), expected);
    assert_eq!(
        env.matching("GET", "^/_download/").await - downloads,
        N as u64 + 2
    );
    assert_eq!(env.matching("GET", "/content").await - contents, 2);
}

/// A folder upload reads its small files ahead in batches and leaves the others to their own
/// upload: empty files, small ones (several batches' worth), ones over the read-ahead size but
/// under the simple-upload limit, and ones that need an upload session all arrive intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_upload_of_mixed_sizes_arrives_intact() {
    let env = start_with(graphlink_graph::Settings {
        simple_upload_limit: 3 * 1024 * 1024,
        upload_chunk_size: 320 * 1024,
        ..Default::default()
    })
    .await;
    let drive = guard("drive", env.adele()).await;
    let src = tempfile::tempdir().unwrap();
    let mut expected = write_tree(src.path(), 150);
    for (name, len) in [
        ("empty", 0),
        ("one/just over a MiB", 1024 * 1024 + 1),
        ("one/two #2/session", 3 * 1024 * 1024 + 5),
    ] {
        let data = content(len, len as u32);
        std::fs::write(src.path().join(name), &data).unwrap();
        expected.insert(name.to_string(), data);
    }
    let report = guard(
        "upload",
        drive.upload_dir(
            src.path(),
            "/mixed",
            &TreeOptions::default(),
            &graphlink_graph::NoProgress,
        ),
    )
    .await
    .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.files, expected.len() as u64);
    let dest = tempfile::tempdir().unwrap();
    let report = guard(
        "download",
        drive.download_dir(
            &ItemRef::path("/mixed"),
            dest.path(),
            &TreeOptions::default(),
            &graphlink_graph::NoProgress,
        ),
    )
    .await
    .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(read_tree(dest.path()), expected);
}
