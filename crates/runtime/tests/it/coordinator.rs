//! Access coordinator semantics on SQLite, with two handles on one database.

use std::time::Duration;

use graphlink_runtime::coordinator::*;
use graphlink_runtime::model::Reprocessing;

fn key(path: &str) -> FileKey {
    FileKey {
        workflow: "w".into(),
        source: "s".into(),
        folder: "f".into(),
        path: path.into(),
    }
}

fn req(path: &str, owner: &str, fp: &str) -> AcquireRequest {
    AcquireRequest {
        key: key(path),
        fingerprint: fp.into(),
        size: 1,
        owner: owner.into(),
        lease: Duration::from_secs(60),
        reprocessing: Reprocessing::Manual,
        clearance: false,
    }
}

#[tokio::test]
async fn two_handles_acquire_a_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = std::sync::Arc::new(SqliteCoordinator::open_in(dir.path()).unwrap());
    let b = std::sync::Arc::new(SqliteCoordinator::open_in(dir.path()).unwrap());
    // Race 50 files from two handles on two threads: each file is acquired exactly once.
    let mut tasks = Vec::new();
    for (c, owner) in [(a.clone(), "node-a"), (b.clone(), "node-b")] {
        tasks.push(tokio::task::spawn_blocking(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut won = 0;
                for i in 0..50 {
                    if let Acquire::Acquired(_) =
                        c.acquire(&req(&format!("f{i}"), owner, "x")).await.unwrap()
                    {
                        won += 1;
                    }
                }
                won
            })
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 50);
    assert_eq!(
        a.acquire(&req("f0", "node-c", "x")).await.unwrap(),
        Acquire::Busy
    );
}

#[tokio::test]
async fn status_transitions_and_lease_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let c = SqliteCoordinator::open_in(dir.path()).unwrap();
    let mut r = req("a", "n1", "fp1");
    r.lease = Duration::from_millis(1);
    let Acquire::Acquired(rec) = c.acquire(&r).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (rec.status, rec.generation, rec.attempts),
        (Status::Acquired, 1, 1)
    );
    c.mark_written(&key("a"), "n1", "tmp/a.part", "out/a")
        .await
        .unwrap();
    // Another owner may not write to it.
    assert!(c.mark_pending(&key("a"), "n2", Ok(())).await.is_err());
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The lease of n1 expired: n2 takes over and resumes from the record.
    let Acquire::Resume(rec) = c.acquire(&req("a", "n2", "fp1")).await.unwrap() else {
        panic!()
    };
    assert!(rec.written);
    assert_eq!(rec.temp_path.as_deref(), Some("tmp/a.part"));
    assert_eq!(rec.owner.as_deref(), Some("n2"));
    assert!(
        c.mark_done(&key("a"), "n1", true).await.is_err(),
        "the old owner lost it"
    );
    c.mark_pending(&key("a"), "n2", Ok(())).await.unwrap();
    assert_eq!(c.owned("n2").await.unwrap().len(), 1);
    c.mark_done(&key("a"), "n2", true).await.unwrap();
    assert!(c.owned("n2").await.unwrap().is_empty());
    assert_eq!(
        c.acquire(&req("a", "n3", "fp1")).await.unwrap(),
        Acquire::Processed(Status::Done)
    );
    let all = c.list(&Filter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::Done);
}

#[tokio::test]
async fn reprocessing_modes() {
    let dir = tempfile::tempdir().unwrap();
    let c = SqliteCoordinator::open_in(dir.path()).unwrap();
    for (path, mode) in [
        ("m", Reprocessing::Manual),
        ("a", Reprocessing::Automatic),
        ("w", Reprocessing::WhenChanged),
    ] {
        let mut r = req(path, "n", "fp1");
        r.reprocessing = mode;
        assert!(matches!(c.acquire(&r).await.unwrap(), Acquire::Acquired(_)));
        c.mark_pending(&key(path), "n", Ok(())).await.unwrap();
        c.mark_done(&key(path), "n", mode == Reprocessing::Automatic)
            .await
            .unwrap();
        // Same content seen again.
        let again = c.acquire(&r).await.unwrap();
        match mode {
            Reprocessing::Automatic => assert!(
                matches!(again, Acquire::Acquired(ref x) if x.generation == 2),
                "{again:?}"
            ),
            _ => assert_eq!(again, Acquire::Processed(Status::Done), "{mode:?}"),
        }
        // Changed content.
        let mut changed = r.clone();
        changed.fingerprint = "fp2".into();
        let again = c.acquire(&changed).await.unwrap();
        match mode {
            Reprocessing::Manual => assert_eq!(again, Acquire::Processed(Status::Done)),
            Reprocessing::WhenChanged => {
                assert!(matches!(again, Acquire::Acquired(ref x) if x.generation == 2));
            }
            Reprocessing::Automatic => {
                assert!(
                    matches!(again, Acquire::Resume(_)),
                    "generation 2 in flight, same owner: {again:?}"
                );
                let mut other = changed.clone();
                other.owner = "someone-else".into();
                assert_eq!(
                    c.acquire(&other).await.unwrap(),
                    Acquire::Busy,
                    "held by a live owner"
                );
            }
        }
    }
}

#[tokio::test]
async fn clearance_reset_and_release() {
    let dir = tempfile::tempdir().unwrap();
    let c = SqliteCoordinator::open_in(dir.path()).unwrap();
    let mut r = req("x.pdf", "n", "fp");
    r.clearance = true;
    assert_eq!(c.acquire(&r).await.unwrap(), Acquire::WaitingForClearance);
    assert_eq!(c.acquire(&r).await.unwrap(), Acquire::WaitingForClearance);
    assert_eq!(
        c.clearance(&Filter {
            path: Some("*.pdf".into()),
            ..Default::default()
        })
        .await
        .unwrap(),
        1
    );
    assert!(matches!(c.acquire(&r).await.unwrap(), Acquire::Acquired(_)));
    // In flight with a live lease: reset leaves it alone; after release it can be reset.
    assert_eq!(c.reset(&Filter::default()).await.unwrap(), 0);
    c.release(&key("x.pdf"), "n").await.unwrap();
    assert_eq!(
        c.reset(&Filter {
            status: Some(Status::Acquired),
            ..Default::default()
        })
        .await
        .unwrap(),
        1
    );
    assert!(c.list(&Filter::default()).await.unwrap().is_empty());
    assert_eq!(
        Status::parse("wait-for-clearance"),
        Some(Status::WaitForClearance)
    );
}
