//! Crash safety: a node processing 200 files is SIGKILLed at random moments 20 times and
//! restarted; at the end every file is in done or error exactly once, every output is
//! complete and identical to its input, and no temporary file remains.
//!
//! The node runs in a child process: this same test binary, started with
//! `CRASH_CHILD_DIR` set, runs the `crash_child` test as the node.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use graphlink_runtime::coordinator::{Coordinator, Filter, SqliteCoordinator, Status};
use graphlink_runtime::{Node, NodeOptions, Project};
use tokio_util::sync::CancellationToken;

const FILES: usize = 1000;
const KILLS: usize = 20;

const PROJECT: &str = r#"
[source.in]
type = "local"
root = "../data"
[source.in.folders.main]
input = "in"
done = "done"
error = "error"
done_exists = "fail"
error_exists = "fail"

[sink.out]
type = "local"
root = "../data"
directory = "out"
when_exists = "rollback"

[source.in.backoff]
min = "5ms"
max = "20ms"

[workflow.crash]
source = "in"
sink = "out"
command = ["sh", "-c", "case \"$0\" in *bad*) cat >/dev/null; exit 7;; esac; sleep 0.02; cat", "${file.name}"]
"#;

/// The node, when started by the parent test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(dir) = std::env::var_os("CRASH_CHILD_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let project = Project::load(dir.join("project")).unwrap();
    let node = Node::new(&project, NodeOptions::new(vec![], dir.join("state")))
        .await
        .unwrap();
    node.run_until_idle(&CancellationToken::new())
        .await
        .unwrap();
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn content(i: usize, rng: &mut Lcg) -> Vec<u8> {
    let len = 1 + (rng.next() % 48_000) as usize;
    let mut v = format!("file {i}\n").into_bytes();
    v.extend((0..len).map(|_| (rng.next() & 0xff) as u8));
    v
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn spawn(dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRASH_CHILD_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_delivers_once() {
    if std::env::var_os("CRASH_CHILD_DIR").is_some() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("project")).unwrap();
    std::fs::create_dir_all(dir.join("data/in")).unwrap();
    std::fs::write(dir.join("project/p.toml"), PROJECT).unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut rng = Lcg(seed);
    let mut originals = Vec::new();
    for i in 0..FILES {
        let name = if i % 17 == 0 {
            format!("bad-{i:04}.bin")
        } else {
            format!("f-{i:04}.bin")
        };
        let data = content(i, &mut rng);
        std::fs::write(dir.join("data/in").join(&name), &data).unwrap();
        originals.push((name, data));
    }

    let mut hits = 0;
    for kill in 0..KILLS {
        let mut child = spawn(dir);
        let wait = Duration::from_millis(40 + rng.next() % 400);
        std::thread::sleep(wait);
        match child.try_wait().unwrap() {
            Some(status) => eprintln!("the node finished before kill {kill}: {status}"),
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                hits += 1;
            }
        }
        let finished = names(&dir.join("data/done")).len() + names(&dir.join("data/error")).len();
        eprintln!("kill {kill} after {wait:?}: {finished} files finished");
    }
    assert!(hits >= KILLS / 2, "only {hits} kills hit a running node");
    // Final run to completion (hang guard: 120 s).
    let mut child = spawn(dir);
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
        if waited > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the final run did not finish");
        }
    };
    assert!(status.success(), "final run: {status}");

    let done: BTreeSet<String> = names(&dir.join("data/done")).into_iter().collect();
    let error: BTreeSet<String> = names(&dir.join("data/error")).into_iter().collect();
    let out = names(&dir.join("data/out"));
    assert!(
        names(&dir.join("data/in")).is_empty(),
        "inputs left: {:?}",
        names(&dir.join("data/in"))
    );
    assert!(done.is_disjoint(&error));
    assert_eq!(
        done.len() + error.len(),
        FILES,
        "every file exactly once in done or error"
    );
    assert!(
        out.iter().all(|n| !n.starts_with(".graphlink-")),
        "temporary files left: {out:?}"
    );
    assert_eq!(out.len(), done.len(), "one output per done file");
    for (name, data) in &originals {
        if name.starts_with("bad-") {
            assert!(error.contains(name), "{name} should have failed");
            assert!(!dir.join("data/out").join(name).exists());
            assert_eq!(
                &std::fs::read(dir.join("data/error").join(name)).unwrap(),
                data
            );
        } else {
            assert!(done.contains(name), "{name} should be done");
            assert_eq!(
                &std::fs::read(dir.join("data/out").join(name)).unwrap(),
                data,
                "{name}: output differs"
            );
            assert_eq!(
                &std::fs::read(dir.join("data/done").join(name)).unwrap(),
                data
            );
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let coord = SqliteCoordinator::open_in(&dir.join("state")).unwrap();
    let records = rt.block_on(coord.list(&Filter::default())).unwrap();
    assert_eq!(records.len(), FILES);
    for r in &records {
        let expect = if r.key.path.starts_with("bad-") {
            Status::Failure
        } else {
            Status::Done
        };
        assert_eq!(r.status, expect, "{r:?}");
        assert_eq!(r.generation, 1);
    }
}
