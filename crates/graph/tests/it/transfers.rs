//! Downloads and uploads against the real emulator: large round trip, resume after cut
//! connections in both directions, expired download URLs, vanished upload sessions, conflicts,
//! empty files, quota.

use crate::common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use graphlink_graph::quickxorhash::QuickXorHash;
use graphlink_graph::{ConflictBehavior, ItemRef, NoProgress, Settings, UploadOptions};
use serde_json::json;

fn small_chunks() -> Settings {
    Settings {
        upload_chunk_size: 4 * 327_680,
        simple_upload_limit: 1024 * 1024,
        ..Settings::default()
    }
}

async fn matching(env: &Env, method: &str, path: &str) -> u64 {
    env.matching(method, path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_round_trips_through_an_upload_session_and_a_download() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let dir = tempfile::tempdir().unwrap();
    let size = 64 * 1024 * 1024 + 12_345;
    let data = content(size, 7);
    let src = dir.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let progress = move |n: u64| {
        counter.fetch_add(n, Ordering::Relaxed);
    };
    let item = guard(
        "upload",
        drive.upload_file(
            &ItemRef::path("/big"),
            "big.bin",
            &src,
            &UploadOptions::default(),
            &progress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(size as u64));
    assert_eq!(sent.load(Ordering::Relaxed), size as u64);
    let expected_hash = QuickXorHash::hash_base64(&data);
    assert_eq!(
        item.file.unwrap().hashes.unwrap().quick_xor_hash.as_deref(),
        Some(expected_hash.as_str())
    );
    // Fragments of the default size.
    assert_eq!(
        matching(&env, "PUT", "^/_upload/").await,
        (size as u64).div_ceil(Settings::default().upload_chunk_size)
    );
    let dest = dir.path().join("back.bin");
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let progress = move |n: u64| {
        counter.fetch_add(n, Ordering::Relaxed);
    };
    guard(
        "download",
        drive.download_to_file(&ItemRef::path("/big/big.bin"), &dest, &progress),
    )
    .await
    .unwrap();
    assert_eq!(received.load(Ordering::Relaxed), size as u64);
    assert!(
        std::fs::read(&dest).unwrap() == data,
        "downloaded content differs"
    );
    // No temporary file left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_resumes_after_cut_requests_and_lost_answers() {
    let env = start_with(small_chunks()).await;
    let drive = guard("drive", env.adele()).await;
    let data = content(6 * 1024 * 1024 + 99, 3);
    env.faults(json!({
        "path": "^/_upload/",
        "methods": ["PUT"],
        "sequence": [
            "pass",
            {"kind": "cut_request", "after_bytes": 100000},
            "pass",
            {"kind": "cut_response", "after_bytes": 0},
            {"kind": "status", "status": 500},
            "pass"
        ]
    }))
    .await;
    let item = guard(
        "upload",
        drive.upload(
            &ItemRef::Root,
            "resumed.bin",
            std::io::Cursor::new(data.clone()),
            data.len() as u64,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(data.len() as u64));
    // The client asked the session where to resume.
    assert!(matching(&env, "GET", "^/_upload/").await >= 2);
    let mut back = Vec::new();
    guard(
        "download",
        drive.download(&ItemRef::id(item.id), &mut back, &NoProgress),
    )
    .await
    .unwrap();
    assert!(back == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_upload_resumes_within_its_fragment() {
    let env = start_with(small_chunks()).await;
    let drive = guard("drive", env.adele()).await;
    let data = content(3 * 1024 * 1024, 5);
    env.faults(json!({
        "path": "^/_upload/",
        "methods": ["PUT"],
        "sequence": ["pass", {"kind": "cut_request", "after_bytes": 5000}, "pass"]
    }))
    .await;
    let item = guard(
        "upload",
        drive.upload_stream(
            &ItemRef::Root,
            "stream.bin",
            &data[..],
            data.len() as u64,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(data.len() as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_upload_session_is_started_over() {
    let env = start_with(small_chunks()).await;
    let drive = guard("drive", env.adele()).await;
    let data = content(3 * 1024 * 1024, 11);
    // The session "vanishes" after the first fragment. (An early error answer to a PUT may
    // reach the client as a broken connection; the status query then finds the session gone.)
    env.faults(json!([
        {
            "path": "^/_upload/",
            "methods": ["PUT"],
            "sequence": ["pass", {"kind": "status", "status": 404, "code": "itemNotFound"}]
        },
        {
            "path": "^/_upload/",
            "methods": ["GET"],
            "sequence": [{"kind": "status", "status": 404, "code": "itemNotFound"}]
        }
    ]))
    .await;
    let item = guard(
        "upload",
        drive.upload(
            &ItemRef::Root,
            "restarted.bin",
            std::io::Cursor::new(data.clone()),
            data.len() as u64,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(data.len() as u64));
    assert_eq!(matching(&env, "POST", "createUploadSession").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_resumes_with_range_and_reasks_for_an_expired_url() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let data = content(5 * 1024 * 1024 + 1, 13);
    let item = guard(
        "upload",
        drive.upload(
            &ItemRef::Root,
            "dl.bin",
            std::io::Cursor::new(data.clone()),
            data.len() as u64,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    env.faults(json!({
        "path": "^/_download/",
        "sequence": [
            {"kind": "cut_response", "after_bytes": 1000000},
            {"kind": "cut_response", "after_bytes": 700000},
            {"kind": "status", "status": 401, "code": "unauthenticated"},
            {"kind": "cut_response", "after_bytes": 300000},
            "pass"
        ]
    }))
    .await;
    let mut back = Vec::new();
    guard(
        "download",
        drive.download(&ItemRef::id(item.id.clone()), &mut back, &NoProgress),
    )
    .await
    .unwrap();
    assert!(
        back == data,
        "content differs after resumes ({} bytes)",
        back.len()
    );
    assert_eq!(matching(&env, "GET", "^/_download/").await, 5);
    // The item read carried a download link: /content was asked only after the 401.
    assert_eq!(matching(&env, "GET", "/content").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_files_conflicts_and_quota() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let item = guard(
        "upload empty",
        drive.upload_file(
            &ItemRef::Root,
            "empty.txt",
            &empty,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(0));
    let mut back = vec![1u8];
    back.clear();
    guard(
        "download empty",
        drive.download(&ItemRef::path("/empty.txt"), &mut back, &NoProgress),
    )
    .await
    .unwrap();
    assert!(back.is_empty());

    let fail = UploadOptions {
        conflict: ConflictBehavior::Fail,
    };
    let err = guard(
        "conflict",
        drive.upload_file(&ItemRef::Root, "empty.txt", &empty, &fail, &NoProgress),
    )
    .await
    .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert!(err.to_string().contains("already exists"), "{err}");
    let replace = UploadOptions {
        conflict: ConflictBehavior::Replace,
    };
    let replaced = guard(
        "replace",
        drive.upload_bytes(
            &ItemRef::Root,
            "empty.txt",
            Bytes::from_static(b"now full"),
            &replace,
        ),
    )
    .await
    .unwrap();
    assert_eq!(replaced.id, item.id);
    assert_eq!(replaced.size, Some(8));
    let rename = UploadOptions {
        conflict: ConflictBehavior::Rename,
    };
    let renamed = guard(
        "rename",
        drive.upload_bytes(
            &ItemRef::Root,
            "empty.txt",
            Bytes::from_static(b"x"),
            &rename,
        ),
    )
    .await
    .unwrap();
    assert_ne!(renamed.id, item.id);
    assert_ne!(renamed.name.as_deref(), Some("empty.txt"));
    // Session upload with fail on an existing name.
    let settings = small_chunks();
    let big = content(settings.simple_upload_limit as usize + 1, 1);
    let env2 = start_with(settings).await;
    let drive2 = guard("drive", env2.adele()).await;
    guard(
        "first",
        drive2.upload_bytes(&ItemRef::Root, "taken.bin", Bytes::from(big.clone()), &fail),
    )
    .await
    .unwrap();
    let err = guard(
        "second",
        drive2.upload_bytes(&ItemRef::Root, "taken.bin", Bytes::from(big), &fail),
    )
    .await
    .unwrap_err();
    assert!(err.is_conflict(), "{err}");

    // Quota.
    env.settings(json!({"drive_quota_bytes": 1000})).await;
    let err = guard(
        "quota",
        drive.upload_bytes(
            &ItemRef::Root,
            "big.txt",
            Bytes::from(vec![0u8; 5000]),
            &replace,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(507), "{err}");
    assert!(err.to_string().contains("quota"), "{err}");
    // Downloading a folder is refused clearly.
    let err = guard(
        "folder",
        drive.download(&ItemRef::Root, &mut Vec::new(), &NoProgress),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("is a folder"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_upload_cancels_its_session_and_no_preauthenticated_url_leaks() {
    let env = start_with(small_chunks()).await;
    let drive = guard("drive", env.adele()).await;
    let data = content(3 * 1024 * 1024, 17);
    // Every fragment after the first is refused.
    env.faults(json!([
        {"path": "^/_upload/", "methods": ["PUT"], "sequence": ["pass"]},
        {"path": "^/_upload/", "methods": ["PUT"], "fault": {"kind": "status", "status": 400, "code": "invalidRequest"}}
    ]))
    .await;
    let err = guard(
        "upload",
        drive.upload(
            &ItemRef::Root,
            "doomed.bin",
            std::io::Cursor::new(data),
            3 * 1024 * 1024,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap_err();
    // A clean 400, or (when the early answer surfaced as a broken connection) the transport
    // error after the resume attempts ran out.
    assert!(
        err.status() == Some(400) || matches!(err, graphlink_graph::Error::Transport { .. }),
        "{err}"
    );
    let text = format!("{err} {err:?}");
    assert!(text.contains("upload session"), "{text}");
    assert!(!text.contains("_upload"), "upload URL leaked: {text}");
    assert_eq!(matching(&env, "DELETE", "^/_upload/").await, 1);
    assert!(
        guard("absent", drive.try_get(&ItemRef::path("/doomed.bin")))
            .await
            .unwrap()
            .is_none()
    );

    // A download URL that keeps being refused: bounded re-asks, then a clear error.
    env.clear_faults().await;
    let item = guard(
        "small",
        drive.upload_bytes(
            &ItemRef::Root,
            "small.txt",
            Bytes::from_static(b"abc"),
            &UploadOptions::default(),
        ),
    )
    .await
    .unwrap();
    env.faults(json!({
        "path": "^/_download/",
        "fault": {"kind": "status", "status": 403, "code": "accessDenied"},
        "probability": 1.0
    }))
    .await;
    let err = guard(
        "download",
        drive.download(&ItemRef::id(item.id), &mut Vec::new(), &NoProgress),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("download URL") && !text.contains("_download"),
        "{text}"
    );
    let settings = graphlink_graph::Settings::default();
    assert_eq!(
        matching(&env, "GET", "^/_download/").await,
        u64::from(settings.max_url_refreshes) + 1
    );
}
