//! Items against the real emulator: special-character names, paged children, walk, delta.

use crate::common;

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use common::*;
use futures::StreamExt;
use graphlink_graph::{
    ConflictBehavior, DeltaCursor, DeltaEvent, DeltaStart, DriveClient, ItemRef, ListOptions,
    NoProgress, UploadOptions,
};
use serde_json::json;

/// Names with every character that breaks naive colon-path URLs.
const NAMES: &[&str] = &[
    "plain.txt",
    "with space.txt",
    "hash#1.txt",
    "100% sure.txt",
    "it's.txt",
    "amp&eq=plus+.txt",
    "semi;comma,at@.txt",
    "brackets [1] {2} (3).txt",
    "ünïcödé ñ.txt",
    "日本語のファイル.txt",
    "emoji 😀.txt",
    "dollar$ tilde~ bang!.txt",
    "%20literal.txt",
    ".leading dot",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_every_special_character_round_trip() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let folder_name = "Spé cial #% ' dir";
    let folder = guard(
        "mkdir",
        drive.create_folder(&ItemRef::Root, folder_name, ConflictBehavior::Fail),
    )
    .await
    .unwrap();
    assert_eq!(folder.name.as_deref(), Some(folder_name));
    let opts = UploadOptions::default();
    for (i, name) in NAMES.iter().enumerate() {
        let body = format!("content of {name} #{i}");
        // Upload by path under the folder path...
        let parent = ItemRef::path(format!("/{folder_name}"));
        let item = guard(
            "upload",
            drive.upload_bytes(&parent, name, Bytes::from(body.clone()), &opts),
        )
        .await
        .unwrap_or_else(|e| panic!("upload {name:?}: {e}"));
        assert_eq!(item.name.as_deref(), Some(*name));
        // ...read back by path, by id, and relative to the folder id.
        let by_path = guard("get", drive.get(&parent.join(name))).await.unwrap();
        assert_eq!(by_path.id, item.id, "{name:?}");
        let relative = ItemRef::id(folder.id.clone()).join(name);
        assert_eq!(
            guard("get rel", drive.get(&relative)).await.unwrap().id,
            item.id
        );
        let mut out = Vec::new();
        guard(
            "download",
            drive.download(&parent.join(name), &mut out, &NoProgress),
        )
        .await
        .unwrap_or_else(|e| panic!("download {name:?}: {e}"));
        assert_eq!(out, body.as_bytes(), "{name:?}");
    }
    let listed: HashSet<String> = guard("list", drive.list(&ItemRef::id(folder.id.clone())))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| i.name)
        .collect();
    let expected: HashSet<String> = NAMES.iter().map(ToString::to_string).collect();
    assert_eq!(listed, expected);
    let parent_path = listed_parent_path(&drive, &folder.id).await;
    assert_eq!(parent_path, format!("/{folder_name}"));
}

async fn listed_parent_path(drive: &DriveClient, folder_id: &str) -> String {
    let children = drive.list(&ItemRef::id(folder_id)).await.unwrap();
    let p = children[0]
        .parent_reference
        .as_ref()
        .unwrap()
        .path
        .clone()
        .unwrap();
    graphlink_graph::drive_path_from_parent_path(&p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_are_paged_through_next_links_and_walked() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    guard("mkdir", drive.create_folder_all("/paged/sub/deeper"))
        .await
        .unwrap();
    for i in 0..23 {
        guard(
            "upload",
            drive.upload_bytes(
                &ItemRef::path("/paged"),
                &format!("f{i:02}.txt"),
                Bytes::from(vec![b'x'; i]),
                &UploadOptions::default(),
            ),
        )
        .await
        .unwrap();
    }
    guard(
        "upload deep",
        drive.upload_bytes(
            &ItemRef::path("/paged/sub/deeper"),
            "deep.txt",
            Bytes::from_static(b"deep"),
            &UploadOptions::default(),
        ),
    )
    .await
    .unwrap();
    let options = ListOptions {
        page_size: Some(5),
        order_by: None,
    };
    let items: Vec<_> = drive
        .children_with(&ItemRef::path("/paged"), &options)
        .collect()
        .await;
    let names: Vec<String> = items
        .into_iter()
        .map(|r| r.unwrap().name.unwrap())
        .collect();
    assert_eq!(names.len(), 24, "{names:?}");
    let unique: HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), 24);
    // Five pages of five: the first request and four next links.
    let v: serde_json::Value = env
        .http
        .get(format!("{}/_emulator/requests", env.emu.base_url()))
        .query(&[("path", "children"), ("method", "GET")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["matching"].as_u64(), Some(5), "{v}");
    let walked: Vec<String> = guard(
        "walk",
        drive
            .walk(&ItemRef::path("/paged"))
            .map(|e| e.unwrap().relative_path)
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(
        walked.contains(&"sub/deeper/deep.txt".to_string()),
        "{walked:?}"
    );
    assert!(walked.contains(&"f22.txt".to_string()));
    let pos = |p: &str| walked.iter().position(|w| w == p).unwrap();
    assert!(pos("sub") < pos("sub/deeper") && pos("sub/deeper") < pos("sub/deeper/deep.txt"));
    assert_eq!(walked.len(), 23 + 3);
}

async fn run_delta(drive: &DriveClient, start: DeltaStart) -> (Vec<DeltaEvent>, DeltaCursor) {
    let events: Vec<DeltaEvent> = guard(
        "delta",
        drive.delta(start).map(|e| e.unwrap()).collect::<Vec<_>>(),
    )
    .await;
    let cursor = match events.last() {
        Some(DeltaEvent::Done(c)) => c.clone(),
        other => panic!("delta did not end with Done: {other:?}"),
    };
    (events, cursor)
}

fn items_of(events: &[DeltaEvent]) -> HashMap<String, graphlink_graph::DriveItem> {
    let mut out = HashMap::new();
    for e in events {
        if let DeltaEvent::Page { items, .. } = e {
            for i in items {
                out.insert(i.id.clone(), i.clone());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_enumerates_resumes_from_a_stored_cursor_and_resyncs() {
    let env = start().await;
    env.settings(json!({"page_size": 4})).await;
    let drive = guard("drive", env.adele()).await;
    let opts = UploadOptions::default();
    for i in 0..6 {
        guard(
            "upload",
            drive.upload_bytes(
                &ItemRef::Root,
                &format!("d{i}.txt"),
                Bytes::from(format!("{i}")),
                &opts,
            ),
        )
        .await
        .unwrap();
    }
    // Full enumeration, over several pages.
    let (events, cursor) = run_delta(&drive, DeltaStart::Full).await;
    let pages = events
        .iter()
        .filter(|e| matches!(e, DeltaEvent::Page { .. }))
        .count();
    assert!(pages >= 2, "{events:?}");
    let all = items_of(&events);
    let names: HashSet<_> = all.values().filter_map(|i| i.name.clone()).collect();
    for i in 0..6 {
        assert!(names.contains(&format!("d{i}.txt")), "{names:?}");
    }
    // Store the cursor as text, change things, resume from it.
    let stored = cursor.as_str().to_string();
    let gone = all
        .values()
        .find(|i| i.name.as_deref() == Some("d0.txt"))
        .unwrap()
        .id
        .clone();
    guard("delete", drive.delete(&ItemRef::id(gone.clone()), None))
        .await
        .unwrap();
    guard(
        "upload",
        drive.upload_bytes(&ItemRef::Root, "new.txt", Bytes::from_static(b"new"), &opts),
    )
    .await
    .unwrap();
    let (events, next) = run_delta(&drive, DeltaStart::Resume(DeltaCursor::new(stored))).await;
    let changed = items_of(&events);
    assert!(
        changed.get(&gone).is_some_and(|i| i.deleted.is_some()),
        "{changed:?}"
    );
    assert!(changed
        .values()
        .any(|i| i.name.as_deref() == Some("new.txt")));
    assert!(
        !changed
            .values()
            .any(|i| i.name.as_deref() == Some("d3.txt")),
        "unchanged items reported"
    );
    // Nothing changed since: an empty round.
    let (events, _) = run_delta(&drive, DeltaStart::Resume(next)).await;
    assert!(
        items_of(&events).values().all(|i| i.root.is_some()),
        "{events:?}"
    );
    // token=latest: no items, just a cursor that sees later changes.
    let (events, latest) = run_delta(&drive, DeltaStart::Latest).await;
    assert!(items_of(&events).is_empty(), "{events:?}");
    guard(
        "upload",
        drive.upload_bytes(&ItemRef::Root, "later.txt", Bytes::from_static(b"l"), &opts),
    )
    .await
    .unwrap();
    let (events, _) = run_delta(&drive, DeltaStart::Resume(latest.clone())).await;
    assert!(items_of(&events)
        .values()
        .any(|i| i.name.as_deref() == Some("later.txt")));
    // An invalid cursor: 410 → Resync event, then a full enumeration from the Location.
    let broken = latest.as_str().split("token=").next().unwrap().to_string() + "token=garbage";
    let (events, _) = run_delta(&drive, DeltaStart::Resume(DeltaCursor::new(broken))).await;
    assert!(matches!(events[0], DeltaEvent::Resync { .. }), "{events:?}");
    if let DeltaEvent::Resync { code, .. } = &events[0] {
        assert!(code.as_deref().unwrap_or("").contains("resync"), "{code:?}");
    }
    let names: HashSet<_> = items_of(&events)
        .values()
        .filter_map(|i| i.name.clone())
        .collect();
    assert!(
        names.contains("later.txt") && names.contains("d5.txt"),
        "{names:?}"
    );
}
