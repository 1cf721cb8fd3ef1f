//! The persistent token cache shared by several processes and threads: no rotated refresh
//! token may be lost, whatever the interleaving.

use std::path::Path;
use std::process::Command;

use graphlink_identity::cache::{CacheFile, CachedAccount, TokenStore};
use graphlink_identity::{AccountInfo, Secret};

const KEY: &str = "https://login.test/t|client|adele";
const CHILD_ENV: &str = "GRAPHLINK_IDENTITY_TEST_CACHE_DIR";
const ROTATIONS: u64 = 40;
const CRASH_ENV: &str = "GRAPHLINK_IDENTITY_TEST_CRASH_DIR";

/// One "refresh": under the lock, read the current refresh token `rt-N`, "redeem" it and store
/// the rotated `rt-N+1`. Any lost update shows up as a final count below the total.
fn rotate(store: &TokenStore) {
    let locked = store.lock().expect("lock");
    let mut file = locked.read().expect("read");
    let entry = file
        .accounts
        .entry(KEY.to_string())
        .or_insert_with(|| CachedAccount {
            authority: "https://login.test/t".into(),
            client_id: "client".into(),
            account: AccountInfo {
                username: Some("adele@contoso.onmicrosoft.com".into()),
                ..Default::default()
            },
            scopes: vec![],
            refresh_token: Some(Secret::new("rt-0")),
            access_token: None,
            updated_at: 0,
        });
    let n: u64 = entry
        .refresh_token
        .as_ref()
        .and_then(|t| t.expose().strip_prefix("rt-"))
        .and_then(|n| n.parse().ok())
        .expect("a rotated token in the file");
    // Widen the race window: another writer would slip in here without the lock.
    std::thread::yield_now();
    entry.refresh_token = Some(Secret::new(format!("rt-{}", n + 1)));
    locked.write(&file).expect("write");
}

fn final_count(dir: &Path) -> u64 {
    let file: CacheFile = TokenStore::new(dir).read().unwrap();
    file.accounts[KEY]
        .refresh_token
        .as_ref()
        .unwrap()
        .expose()
        .strip_prefix("rt-")
        .unwrap()
        .parse()
        .unwrap()
}

/// Runs in the child processes only (does nothing in a normal test run).
#[test]
fn child_rotator() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let store = TokenStore::new(Path::new(&dir));
        for _ in 0..ROTATIONS {
            rotate(&store);
        }
    }
}

/// Runs in the child process of the crash test only: rotates until killed.
#[test]
fn child_rotate_forever() {
    if let Ok(dir) = std::env::var(CRASH_ENV) {
        let store = TokenStore::new(Path::new(&dir));
        loop {
            rotate(&store);
        }
    }
}

#[test]
fn a_process_killed_mid_write_leaves_a_valid_cache() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "persistent_cache::child_rotate_forever",
            "--test-threads",
            "1",
            "--quiet",
        ])
        .env(CRASH_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (hang guard: 60 s) until the child has written many times, then kill it wherever it is.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let done = TokenStore::new(dir.path())
            .read()
            .ok()
            .and_then(|f| f.accounts.get(KEY).cloned())
            .is_some_and(|_| final_count(dir.path()) >= 200);
        if done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child never wrote"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the child was doing, the cache file is whole, and the next update works.
    let before = final_count(dir.path());
    rotate(&TokenStore::new(dir.path()));
    assert_eq!(final_count(dir.path()), before + 1);
}

#[test]
fn two_processes_sharing_the_cache_never_lose_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "persistent_cache::child_rotator",
                    "--test-threads",
                    "1",
                    "--quiet",
                ])
                .env(CHILD_ENV, dir.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // This process rotates too, at the same time.
    let store = TokenStore::new(dir.path());
    for _ in 0..ROTATIONS {
        rotate(&store);
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(final_count(dir.path()), 3 * ROTATIONS);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn threads_with_separate_handles_never_lose_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = TokenStore::new(&path);
                for _ in 0..ROTATIONS {
                    rotate(&store);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(final_count(dir.path()), 4 * ROTATIONS);
}
