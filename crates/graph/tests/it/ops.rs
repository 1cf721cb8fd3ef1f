//! Folder operations, move/rename, delete, copy and `$batch` against the real emulator.

use crate::common;

use std::collections::BTreeMap;

use bytes::Bytes;
use common::*;
use graphlink_graph::wire::BatchItemRequest;
use graphlink_graph::{ConflictBehavior, DriveRef, ItemRef, NoProgress, UploadOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_move_rename_delete_and_copy() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let deep = guard("mkdir -p", drive.create_folder_all("/a/b c/d#"))
        .await
        .unwrap();
    assert_eq!(deep.name.as_deref(), Some("d#"));
    let again = guard("mkdir -p again", drive.create_folder_all("a/b c/d#/"))
        .await
        .unwrap();
    assert_eq!(again.id, deep.id);
    let err = guard(
        "mkdir clash",
        drive.create_folder(&ItemRef::path("/a"), "b c", ConflictBehavior::Fail),
    )
    .await
    .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    let renamed = guard(
        "mkdir rename",
        drive.create_folder(&ItemRef::path("/a"), "b c", ConflictBehavior::Rename),
    )
    .await
    .unwrap();
    assert_ne!(renamed.name.as_deref(), Some("b c"));

    let opts = UploadOptions::default();
    let file = guard(
        "upload",
        drive.upload_bytes(
            &ItemRef::path("/a"),
            "f.txt",
            Bytes::from_static(b"hello"),
            &opts,
        ),
    )
    .await
    .unwrap();
    // Rename in place, then move into the deep folder with a stale eTag (412), then a good one.
    let moved = guard(
        "rename",
        drive.move_item(&ItemRef::id(file.id.clone()), None, Some("g.txt"), None),
    )
    .await
    .unwrap();
    assert_eq!(moved.name.as_deref(), Some("g.txt"));
    let stale = file.e_tag.clone().unwrap();
    let err = guard(
        "move stale",
        drive.move_item(
            &ItemRef::path("/a/g.txt"),
            Some(&ItemRef::path("/a/b c/d#")),
            None,
            Some(&stale),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(412), "{err}");
    let moved = guard(
        "move",
        drive.move_item(
            &ItemRef::path("/a/g.txt"),
            Some(&ItemRef::path("/a/b c/d#")),
            Some("h.txt"),
            moved.e_tag.as_deref(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        moved
            .parent_reference
            .as_ref()
            .and_then(|p| p.id.as_deref()),
        Some(deep.id.as_str())
    );
    assert!(guard("old gone", drive.try_get(&ItemRef::path("/a/g.txt")))
        .await
        .unwrap()
        .is_none());

    // Copy within the drive and to another drive.
    let copy_id = guard(
        "copy",
        drive.copy(
            &ItemRef::id(moved.id.clone()),
            &drive,
            &ItemRef::Root,
            Some("copy.txt"),
            None,
        ),
    )
    .await
    .unwrap();
    let copy = guard("get copy", drive.get(&ItemRef::id(copy_id)))
        .await
        .unwrap();
    assert_eq!(copy.name.as_deref(), Some("copy.txt"));
    let megan = guard("megan", env.client.drive(&DriveRef::User(MEGAN.into())))
        .await
        .unwrap();
    let other = guard(
        "copy across",
        drive.copy(
            &ItemRef::id(moved.id.clone()),
            &megan,
            &ItemRef::Root,
            None,
            None,
        ),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    guard(
        "read copy",
        megan.download(&ItemRef::id(other), &mut out, &NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(out, b"hello");
    let err = guard(
        "copy missing",
        drive.copy(
            &ItemRef::path("/nope.txt"),
            &drive,
            &ItemRef::Root,
            None,
            None,
        ),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    // Delete with a stale eTag fails, then succeeds; the folder tree goes too.
    let err = guard(
        "delete stale",
        drive.delete(&ItemRef::id(moved.id.clone()), Some(&stale)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(412), "{err}");
    guard("delete", drive.delete(&ItemRef::path("/a"), None))
        .await
        .unwrap();
    assert!(
        guard("gone", drive.try_get(&ItemRef::path("/a/b c/d#/h.txt")))
            .await
            .unwrap()
            .is_none()
    );
    let err = guard("delete again", drive.delete(&ItemRef::path("/a"), None))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    // A file in the way of mkdir -p.
    guard(
        "upload",
        drive.upload_bytes(&ItemRef::Root, "file", Bytes::from_static(b"x"), &opts),
    )
    .await
    .unwrap();
    let err = guard("mkdir over file", drive.create_folder_all("/file/sub"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a folder"), "{err}");
}

fn get(id: &str, url: &str) -> BatchItemRequest {
    BatchItemRequest {
        id: id.into(),
        method: "GET".into(),
        url: url.into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_split_by_twenty_keep_order_and_pass_failed_dependencies_through() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let d = drive.id().to_string();
    let mut requests: Vec<_> = (0..25)
        .map(|i| get(&format!("r{i}"), &format!("/drives/{d}/root")))
        .collect();
    requests[3] = get("r3", &format!("drives/{d}/root:/missing.txt"));
    let mut dependent = get("r4", &format!("/drives/{d}/root"));
    dependent.depends_on = vec!["r3".into()];
    requests[4] = dependent;
    let mut create = BatchItemRequest {
        id: "r5".into(),
        method: "POST".into(),
        url: format!("/drives/{d}/root/children"),
        body: Some(
            json!({"name": "batched", "folder": {}, "@microsoft.graph.conflictBehavior": "fail"}),
        ),
        ..Default::default()
    };
    create.headers = BTreeMap::from([("Content-Type".to_string(), "application/json".to_string())]);
    requests[5] = create;
    let answers = guard("batch", env.client.batch(requests)).await.unwrap();
    assert_eq!(answers.len(), 25);
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.id, format!("r{i}"));
    }
    assert_eq!(answers[0].status, 200);
    assert_eq!(answers[3].status, 404);
    assert_eq!(answers[4].status, 424);
    assert_eq!(answers[5].status, 201);
    assert_eq!(answers[24].status, 200);
    assert!(guard("created", drive.try_get(&ItemRef::path("/batched")))
        .await
        .unwrap()
        .is_some());
    let err = env
        .client
        .batch(vec![get("x", "/me"), get("x", "/me")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("used twice"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_current_etag_lets_move_and_delete_through() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let file = guard(
        "upload",
        drive.upload_bytes(
            &ItemRef::Root,
            "tagged.txt",
            Bytes::from_static(b"t"),
            &UploadOptions::default(),
        ),
    )
    .await
    .unwrap();
    let moved = guard(
        "rename with eTag",
        drive.move_item(
            &ItemRef::id(file.id.clone()),
            None,
            Some("tagged2.txt"),
            file.e_tag.as_deref(),
        ),
    )
    .await
    .unwrap();
    guard(
        "delete with eTag",
        drive.delete(&ItemRef::id(moved.id.clone()), moved.e_tag.as_deref()),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_batch_items_and_their_dependents_are_retried_alone() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let d = drive.id().to_string();
    guard(
        "upload",
        drive.upload_bytes(
            &ItemRef::Root,
            "throttled.txt",
            Bytes::from_static(b"t"),
            &UploadOptions::default(),
        ),
    )
    .await
    .unwrap();
    env.faults(json!({
        "path": "root:/throttled\\.txt",
        "sequence": [{"kind": "status", "status": 429, "retry_after": "0.2"}, "pass"]
    }))
    .await;
    let a = get("a", &format!("/drives/{d}/root:/throttled.txt"));
    let mut b = get("b", &format!("/drives/{d}/root"));
    b.depends_on = vec!["a".into()];
    let c = get("c", &format!("/drives/{d}/root/children"));
    let answers = guard("batch", env.client.batch(vec![a, b, c]))
        .await
        .unwrap();
    let statuses: Vec<_> = answers.iter().map(|r| (r.id.as_str(), r.status)).collect();
    assert_eq!(statuses, [("a", 200), ("b", 200), ("c", 200)]);
    let v: serde_json::Value = env
        .http
        .get(format!("{}/_emulator/requests", env.emu.base_url()))
        .query(&[("path", "\\$batch"), ("method", "POST")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["matching"].as_u64(), Some(2), "{v}");
    // The retried round held only the throttled item and its dependent: c ran once.
    let v: serde_json::Value = env
        .http
        .get(format!("{}/_emulator/requests", env.emu.base_url()))
        .query(&[("path", "root/children$"), ("method", "GET")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["matching"].as_u64(), Some(1), "{v}");
}
