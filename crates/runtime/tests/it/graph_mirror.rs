//! GraphStorage's folder mirror against the real emulator: after the first listing, a poll
//! after a change costs the delta request(s) only, changes elsewhere in the drive do not count,
//! and a folder moved in with content is found by listing again.

use crate::common;

use std::collections::BTreeSet;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_graph::{DriveClient, DriveRef, ItemRef, UploadOptions};
use graphlink_runtime::storage::{Entry, GraphStorage, Storage};
use graphlink_runtime::{Project, ResolvedConnection};

const USER: &str = "adele@contoso.onmicrosoft.com";

struct Env {
    emu: RunningEmulator,
    tmp: tempfile::TempDir,
    http: reqwest::Client,
}

impl Env {
    async fn start() -> Self {
        let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
        let http = graphlink_http::ClientOptions::default()
            .trust_ca_file(emu.ca_cert_path().unwrap())
            .unwrap()
            .build()
            .unwrap();
        Self {
            emu,
            tmp: tempfile::tempdir().unwrap(),
            http,
        }
    }

    /// Adele's drive through a new connection (its own pool and token cache).
    async fn drive(&self, n: u32) -> DriveClient {
        let dir = self.tmp.path().join(format!("p{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let text = common::emulator_connection("emu", &self.emu, "${env:GL_MIRROR_TEST_SECRET}");
        std::fs::write(dir.join("p.toml"), text).unwrap();
        let p = Project::load(&dir).unwrap();
        // The secret comes from this lookup, not the process environment.
        let env =
            |n: &str| (n == "GL_MIRROR_TEST_SECRET").then(|| "emulator-client-secret".to_string());
        let values = graphlink_runtime::macros::StaticValues {
            env: &env,
            lay: None,
            secrets: None,
        };
        let conn =
            ResolvedConnection::resolve(&p.dir, p.connection("emu").unwrap(), &values).unwrap();
        let client = conn.graph_client(&dir).unwrap();
        client.drive(&DriveRef::User(USER.into())).await.unwrap()
    }

    async fn reset_requests(&self) {
        self.http
            .delete(format!("{}/_emulator/requests", self.emu.base_url()))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    /// Graph requests since the last reset: (all, delta, children listings).
    async fn requests(&self) -> (u64, u64, u64) {
        let count = |path: &'static str| async move {
            let v: serde_json::Value = self
                .http
                .get(format!("{}/_emulator/requests", self.emu.base_url()))
                .query(&[("path", path)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (
                v["total"].as_u64().unwrap(),
                v["matching"].as_u64().unwrap(),
            )
        };
        let (total, delta) = count("/root/delta").await;
        let (_, children) = count("/children").await;
        (total, delta, children)
    }
}

async fn upload(drive: &DriveClient, paths: &[String]) {
    stream::iter(paths.iter().map(|path| async move {
        let (folder, name) = path.rsplit_once('/').unwrap();
        drive
            .upload_bytes(
                &ItemRef::path(format!("/{folder}")),
                name,
                Bytes::from(format!("content of {path}")),
                &UploadOptions::default(),
            )
            .await
    }))
    .buffer_unordered(8)
    .try_collect::<Vec<_>>()
    .await
    .unwrap();
}

fn paths(entries: &[Entry]) -> BTreeSet<String> {
    entries.iter().map(|e| e.path.clone()).collect()
}

/// What a fresh storage (a full walk) lists, to compare the mirror's answers with.
async fn walked(drive: &DriveClient, dir: &str, recursive: bool) -> Vec<Entry> {
    GraphStorage::new(drive.clone(), "fresh")
        .list(dir, recursive)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_after_changes_costs_only_delta() {
    let env = Env::start().await;
    let mine = env.drive(1).await;
    let other = env.drive(2).await;
    for folder in [
        "m/in/a/deep",
        "m/in/b",
        "m/out",
        "m/elsewhere",
        "m/incoming/batch/inner",
    ] {
        other
            .create_folder_all(&format!("/{folder}"))
            .await
            .unwrap();
    }
    let mut files: Vec<String> = (0..300)
        .map(|i| match i % 4 {
            0 => format!("m/in/f{i:03}.txt"),
            1 => format!("m/in/a/f{i:03}.txt"),
            2 => format!("m/in/a/deep/f{i:03}.txt"),
            _ => format!("m/in/b/f{i:03}.txt"),
        })
        .collect();
    upload(&other, &files).await;
    upload(
        &other,
        &[
            "m/incoming/batch/x1.txt".into(),
            "m/incoming/batch/x2.txt".into(),
            "m/incoming/batch/inner/x3.txt".into(),
        ],
    )
    .await;

    let storage = GraphStorage::new(mine.clone(), "mine");
    assert!(storage.may_have_changed("m/in").await.unwrap());
    let first = storage.list("m/in", true).await.unwrap();
    assert_eq!(first.len(), 300);
    assert_eq!(paths(&first), files.iter().cloned().collect());
    assert_eq!(first, walked(&other, "m/in", true).await);

    // Another user adds 3 files, deletes 1, moves 1 out and renames 1.
    let added = [
        "m/in/new1.txt".to_string(),
        "m/in/a/new2.txt".to_string(),
        "m/in/a/deep/new3.txt".to_string(),
    ];
    upload(&other, &added).await;
    other
        .delete(&ItemRef::path("/m/in/f000.txt"), None)
        .await
        .unwrap();
    other
        .move_item(
            &ItemRef::path("/m/in/a/f001.txt"),
            Some(&ItemRef::path("/m/out")),
            None,
            None,
        )
        .await
        .unwrap();
    other
        .move_item(
            &ItemRef::path("/m/in/b/f003.txt"),
            None,
            Some("renamed.txt"),
            None,
        )
        .await
        .unwrap();
    files
        .retain(|f| !["m/in/f000.txt", "m/in/a/f001.txt", "m/in/b/f003.txt"].contains(&f.as_str()));
    files.extend(added.iter().cloned());
    files.push("m/in/b/renamed.txt".into());
    let expected: BTreeSet<String> = files.iter().cloned().collect();

    env.reset_requests().await;
    assert!(storage.may_have_changed("m/in").await.unwrap());
    let listed = storage.list("m/in", true).await.unwrap();
    let (total, delta, children) = env.requests().await;
    assert_eq!(paths(&listed), expected);
    assert_eq!(
        (total, delta, children),
        (1, 1, 0),
        "the delta request only"
    );
    assert_eq!(
        listed,
        walked(&other, "m/in", true).await,
        "same entries as a walk"
    );
    let direct = storage.list("m/in", false).await.unwrap();
    assert_eq!(direct, walked(&other, "m/in", false).await);

    // An idle poll: one request, nothing changed.
    env.reset_requests().await;
    assert!(!storage.may_have_changed("m/in").await.unwrap());
    assert_eq!(env.requests().await.0, 1);

    // A change elsewhere in the drive is not a change of the folder.
    upload(&other, &["m/elsewhere/e.txt".into()]).await;
    env.reset_requests().await;
    assert!(!storage.may_have_changed("m/in").await.unwrap());
    assert_eq!(env.requests().await.0, 1);

    // A folder moved in with content: delta does not report its files; listing again does.
    other
        .move_item(
            &ItemRef::path("/m/incoming/batch"),
            Some(&ItemRef::path("/m/in/b")),
            None,
            None,
        )
        .await
        .unwrap();
    assert!(storage.may_have_changed("m/in").await.unwrap());
    let listed = storage.list("m/in", true).await.unwrap();
    let moved_in: BTreeSet<String> = paths(&listed).difference(&expected).cloned().collect();
    assert_eq!(
        moved_in,
        [
            "m/in/b/batch/inner/x3.txt",
            "m/in/b/batch/x1.txt",
            "m/in/b/batch/x2.txt"
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );
    assert_eq!(listed, walked(&other, "m/in", true).await);

    // A folder moved out takes its files along.
    other
        .move_item(
            &ItemRef::path("/m/in/b/batch"),
            Some(&ItemRef::path("/m/out")),
            None,
            None,
        )
        .await
        .unwrap();
    env.reset_requests().await;
    assert!(storage.may_have_changed("m/in").await.unwrap());
    assert_eq!(paths(&storage.list("m/in", true).await.unwrap()), expected);
    assert_eq!(env.requests().await.2, 0, "no listing");
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_never_hands_out_what_the_storage_moved() {
    let env = Env::start().await;
    let mine = env.drive(1).await;
    mine.create_folder_all("/w/in/sub").await.unwrap();
    mine.create_folder_all("/w/done").await.unwrap();
    let files: Vec<String> = (0..6).map(|i| format!("w/in/sub/f{i}.txt")).collect();
    upload(&mine, &files).await;
    let storage = GraphStorage::new(mine.clone(), "mine");
    assert_eq!(storage.list("w/in", true).await.unwrap().len(), 6);

    // Moved, deleted, written: the next listing (no poll in between) reflects it.
    storage
        .rename("w/in/sub/f0.txt", "w/done/f0.txt", false)
        .await
        .unwrap();
    storage.delete("w/in/sub/f1.txt").await.unwrap();
    storage
        .write("w/in/sub/f2.txt", &mut &b"rewritten"[..])
        .await
        .unwrap();
    storage
        .write("w/in/tmp.part", &mut &b"temporary"[..])
        .await
        .unwrap();
    storage
        .rename("w/in/tmp.part", "w/in/final.txt", false)
        .await
        .unwrap();
    let listed = storage.list("w/in", true).await.unwrap();
    assert_eq!(listed, walked(&mine, "w/in", true).await);
    assert_eq!(
        paths(&listed),
        [
            "w/in/final.txt",
            "w/in/sub/f2.txt",
            "w/in/sub/f3.txt",
            "w/in/sub/f4.txt",
            "w/in/sub/f5.txt"
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );
    let f2 = listed.iter().find(|e| e.path.ends_with("f2.txt")).unwrap();
    assert_eq!(f2.size, 9);

    // Renaming the listed folder: the old path lists as empty.
    storage.may_have_changed("w/in").await.unwrap();
    mine.move_item(&ItemRef::path("/w/in"), None, Some("in2"), None)
        .await
        .unwrap();
    assert!(storage.may_have_changed("w/in").await.unwrap());
    assert!(storage.list("w/in", true).await.unwrap().is_empty());
    assert_eq!(storage.list("w/in2", true).await.unwrap().len(), 5);
    env.emu.shutdown().await;
}
