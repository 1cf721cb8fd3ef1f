//! Source and sink policies on OneDrive through the emulator (HTTPS, real client): every sink
//! when-exists policy, the done/error when-exists policies, sub-directories with filters,
//! when-changed reprocessing by content hash, and clearance; files in flight at once, with
//! several of them taking the same output and done names.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use graphlink_runtime::coordinator::{Filter, Status};
use graphlink_runtime::model::{AssetId, AssetKind};
use graphlink_runtime::storage::Storage;
use graphlink_runtime::{
    GraphStorageFactory, Node, NodeOptions, PollReport, Project, ResolvedConnection, StorageFactory,
};
use graphlink_testkit::TestEmulator;
use tokio_util::sync::CancellationToken;

struct Env {
    emu: TestEmulator,
    tmp: tempfile::TempDir,
}

impl Env {
    async fn start() -> Self {
        std::env::set_var("GL_POLICY_TEST_SECRET", "emulator-client-secret");
        Self {
            emu: TestEmulator::start().await,
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    /// A project under `t{n}/`: OneDrive source `t{n}/in` → OneDrive sink `t{n}/out`.
    fn project(
        &self,
        n: u32,
        source_extra: &str,
        folder_extra: &str,
        sink_extra: &str,
        workflow_extra: &str,
    ) -> Project {
        let dir = self.tmp.path().join(format!("p{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let connection =
            common::emulator_connection("emu", &self.emu.emu, "${env:GL_POLICY_TEST_SECRET}");
        let text = format!(
            r#"
{connection}

[source.in]
type = "onedrive"
connection = "emu"
user = "adele@contoso.onmicrosoft.com"
{source_extra}

[source.in.folders.main]
input = "t{n}/in"
{folder_extra}

[sink.out]
type = "onedrive"
connection = "emu"
user = "megan@contoso.onmicrosoft.com"
{dir_line}
{sink_extra}

[workflow.w]
source = "in"
sink = "out"
{workflow_extra}
"#,
            dir_line = if sink_extra.lines().any(|l| l.starts_with("directory =")) {
                String::new()
            } else {
                format!("directory = \"t{n}/out\"")
            },
        );
        std::fs::write(dir.join("p.toml"), text).unwrap();
        let p = Project::load(&dir).unwrap();
        let problems = graphlink_runtime::validate(&p);
        assert!(problems.is_empty(), "{problems:?}");
        p
    }

    async fn storages(&self, p: &Project) -> (Arc<dyn Storage>, Arc<dyn Storage>) {
        let env = |n: &str| std::env::var(n).ok();
        let values = graphlink_runtime::macros::StaticValues {
            env: &env,
            lay: None,
            secrets: None,
        };
        let conn =
            ResolvedConnection::resolve(&p.dir, p.connection("emu").unwrap(), &values).unwrap();
        let f = GraphStorageFactory::new(self.tmp.path());
        let src = f
            .open(
                &conn,
                &AssetId::new(AssetKind::Source, "in"),
                &p.source("in").unwrap().storage,
            )
            .await
            .unwrap();
        let dst = f
            .open(
                &conn,
                &AssetId::new(AssetKind::Sink, "out"),
                &p.sink("out").unwrap().storage,
            )
            .await
            .unwrap();
        (src, dst)
    }

    async fn node(&self, p: &Project, n: u32) -> Node {
        Node::new(
            p,
            NodeOptions::new(vec![], self.tmp.path().join(format!("state{n}"))),
        )
        .await
        .unwrap()
    }
}

async fn put(s: &dyn Storage, path: &str, data: &[u8]) {
    let dir = graphlink_runtime::naming::parent(path).to_string();
    s.mkdirs(&dir).await.unwrap();
    s.write(path, &mut &data[..]).await.unwrap();
}

async fn get(s: &dyn Storage, path: &str) -> Vec<u8> {
    let mut r = s.read(path).await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut v = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut r, &mut v)
        .await
        .unwrap();
    v
}

async fn names(s: &dyn Storage, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .list(dir, true)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            e.path
                .strip_prefix(&format!("{dir}/"))
                .unwrap_or(&e.path)
                .to_string()
        })
        .collect();
    v.sort();
    v
}

async fn idle(node: &Node) -> PollReport {
    tokio::time::timeout(
        Duration::from_secs(60),
        node.run_until_idle(&CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_when_exists_policies_on_onedrive() {
    let env = Env::start().await;
    let cases = [
        ("rollback", "", vec!["a.txt"], b"old file".as_slice()),
        ("replace", "", vec!["a.txt"], b"new".as_slice()),
        ("counter", "", vec!["a.txt", "a_1.txt"], b"new".as_slice()),
        (
            "archive",
            "archive_directory = \"ARCH\"\narchive_exists = \"counter\"",
            vec!["a.txt"],
            b"new".as_slice(),
        ),
    ];
    for (n, (policy, extra, expect, content)) in cases.into_iter().enumerate() {
        let n = n as u32;
        let p = env.project(
            n,
            "",
            "done = \"DONE\"\nerror = \"ERR\"",
            &format!(
                "when_exists = \"{policy}\"\n{}",
                extra.replace("ARCH", &format!("t{n}/archive"))
            ),
            "",
        );
        let (src, dst) = env.storages(&p).await;
        put(dst.as_ref(), &format!("t{n}/out/a.txt"), b"old file").await;
        put(src.as_ref(), &format!("t{n}/in/a.txt"), b"new").await;
        let p = env.project(
            n,
            "",
            &format!("done = \"t{n}/done\"\nerror = \"t{n}/error\""),
            &format!(
                "when_exists = \"{policy}\"\n{}",
                extra.replace("ARCH", &format!("t{n}/archive"))
            ),
            "",
        );
        let node = env.node(&p, n).await;
        let r = idle(&node).await;
        assert_eq!(
            names(dst.as_ref(), &format!("t{n}/out")).await,
            expect,
            "{policy}"
        );
        assert_eq!(
            get(dst.as_ref(), &format!("t{n}/out/a.txt")).await,
            content,
            "{policy}"
        );
        if policy == "rollback" {
            assert_eq!(r.failed, 1);
            assert_eq!(
                names(src.as_ref(), &format!("t{n}/error")).await,
                vec!["a.txt"]
            );
        } else {
            assert_eq!(r.done, 1, "{policy}: {r:?}");
            assert_eq!(
                names(src.as_ref(), &format!("t{n}/done")).await,
                vec!["a.txt"]
            );
        }
        if policy == "archive" {
            assert_eq!(
                get(dst.as_ref(), &format!("t{n}/archive/a.txt")).await,
                b"old file"
            );
        }
    }
    // timestamp: the existing output gets a timestamp suffix.
    let n = 9;
    let p = env.project(
        n,
        "",
        &format!("done = \"t{n}/done\""),
        "when_exists = \"timestamp\"",
        "",
    );
    let (src, dst) = env.storages(&p).await;
    put(dst.as_ref(), &format!("t{n}/out/a.txt"), b"old").await;
    put(src.as_ref(), &format!("t{n}/in/a.txt"), b"new").await;
    idle(&env.node(&p, n).await).await;
    let out = names(dst.as_ref(), &format!("t{n}/out")).await;
    assert_eq!(out.len(), 2);
    assert!(
        out.iter()
            .any(|f| f.starts_with("a_2") && f.ends_with("Z.txt")),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_and_error_policies_on_onedrive() {
    let env = Env::start().await;
    // (policy, expected done folder, input left)
    let cases = [
        ("fail", vec!["a.txt"], true),
        ("fail-delete", vec!["a.txt"], false),
        ("replace", vec!["a.txt"], false),
        ("rename-counter", vec!["a.txt", "a_1.txt"], false),
        ("counter", vec!["a.txt", "a_1.txt"], false),
    ];
    for (i, (policy, expect, left)) in cases.into_iter().enumerate() {
        let n = 20 + i as u32;
        let p = env.project(
            n,
            "",
            &format!("done = \"t{n}/done\"\ndone_exists = \"{policy}\""),
            "when_exists = \"replace\"",
            "",
        );
        let (src, _) = env.storages(&p).await;
        put(src.as_ref(), &format!("t{n}/done/a.txt"), b"old").await;
        put(src.as_ref(), &format!("t{n}/in/a.txt"), b"new").await;
        let node = env.node(&p, n).await;
        idle(&node).await;
        assert_eq!(
            names(src.as_ref(), &format!("t{n}/done")).await,
            expect,
            "{policy}"
        );
        assert_eq!(
            !names(src.as_ref(), &format!("t{n}/in")).await.is_empty(),
            left,
            "{policy}"
        );
        let newest = match policy {
            "replace" | "rename-counter" => Some("a.txt"),
            "counter" => Some("a_1.txt"),
            _ => None,
        };
        if let Some(f) = newest {
            assert_eq!(
                get(src.as_ref(), &format!("t{n}/done/{f}")).await,
                b"new",
                "{policy}"
            );
        }
    }
    // Error folder with a failing command, counter policy and a suffix.
    let n = 30;
    let p = env.project(
        n,
        "",
        &format!("error = \"t{n}/error\"\nerror_suffix = \"-e\"\nerror_exists = \"counter\""),
        "",
        "command = [\"false\"]",
    );
    let (src, dst) = env.storages(&p).await;
    put(src.as_ref(), &format!("t{n}/error/a-e.txt"), b"old").await;
    put(src.as_ref(), &format!("t{n}/in/a.txt"), b"new").await;
    let node = env.node(&p, n).await;
    assert_eq!(idle(&node).await.failed, 1);
    assert_eq!(
        names(src.as_ref(), &format!("t{n}/error")).await,
        vec!["a-e.txt", "a-e_1.txt"]
    );
    assert!(
        names(dst.as_ref(), &format!("t{n}/out")).await.is_empty(),
        "nothing delivered, no temporary file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subdirectories_filters_when_changed_and_clearance_on_onedrive() {
    let env = Env::start().await;
    let n = 40;
    let p = env.project(
        n,
        "reprocessing = \"when-changed\"\nwait_for_clearance = true",
        "filter = \".*\\\\.pdf\"\ninclude_subdirs = true\non_success = \"keep\"",
        "when_exists = \"replace\"\ndirectory = \"t40/out/${file.folder}\"\nfile_name = \"${file.path}\"",
        "",
    );
    let (src, dst) = env.storages(&p).await;
    put(src.as_ref(), "t40/in/x/deep.pdf", b"v1").await;
    put(src.as_ref(), "t40/in/skip.txt", b"no").await;
    let node = env.node(&p, n).await;
    let r = idle(&node).await;
    assert_eq!((r.done, r.waiting), (0, 1), "{r:?}");
    let coord = node.coordinator();
    assert_eq!(coord.clearance(&Filter::default()).await.unwrap(), 1);
    assert_eq!(idle(&node).await.done, 1);
    assert_eq!(get(dst.as_ref(), "t40/out/main/x/deep.pdf").await, b"v1");
    // Unchanged: not taken again. Changed content (same name): waits for clearance again.
    assert!(node.tick(&CancellationToken::new()).await.unwrap().idle());
    put(src.as_ref(), "t40/in/x/deep.pdf", b"version 2").await;
    let r = idle(&node).await;
    assert_eq!(r.waiting, 1, "{r:?}");
    coord.clearance(&Filter::default()).await.unwrap();
    assert_eq!(idle(&node).await.done, 1);
    assert_eq!(
        get(dst.as_ref(), "t40/out/main/x/deep.pdf").await,
        b"version 2"
    );
    let recs = coord.list(&Filter::default()).await.unwrap();
    assert_eq!((recs[0].status, recs[0].generation), (Status::Done, 2));
    assert!(
        recs[0].fingerprint.starts_with("hash:"),
        "Graph files are identified by their hash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_in_flight_at_once_keep_the_policy_when_outputs_collide() {
    let env = Env::start().await;
    let n = 40;
    // Every input has the same output name: the counter policy must give each its own name,
    // however the streams interleave.
    let p = env.project(
        n,
        "",
        &format!("done = \"t{n}/done\""),
        "file_name = \"same.txt\"\nwhen_exists = \"counter\"",
        "files_in_flight = 6",
    );
    let (src, dst) = env.storages(&p).await;
    let files = 12;
    for i in 0..files {
        put(
            src.as_ref(),
            &format!("t{n}/in/f{i:02}.txt"),
            format!("content {i}").as_bytes(),
        )
        .await;
    }
    // Each request waits a little, so that files overlap for the emulator to see.
    env.emu
        .faults(serde_json::json!({
            "path": "^/v1\\.0/",
            "fault": {"kind": "latency", "ms": 40},
        }))
        .await;
    let node = env.node(&p, n).await;
    let report = idle(&node).await;
    assert_eq!(
        (report.done, report.failed),
        (files, 0),
        "{report:?}: {:?}",
        node.status().workflows[0].last_error
    );
    let most = env.emu.counters().await["max_in_flight"].as_u64().unwrap();
    assert!(most >= 4, "at most {most} requests were served at once");

    let out = names(dst.as_ref(), &format!("t{n}/out")).await;
    assert_eq!(out.len(), files, "{out:?}");
    let mut contents = Vec::new();
    for name in &out {
        contents
            .push(String::from_utf8(get(dst.as_ref(), &format!("t{n}/out/{name}")).await).unwrap());
    }
    contents.sort();
    let mut expected: Vec<String> = (0..files).map(|i| format!("content {i}")).collect();
    expected.sort();
    assert_eq!(
        contents, expected,
        "every input delivered once, none overwritten"
    );
    let done = names(src.as_ref(), &format!("t{n}/done")).await;
    assert_eq!(done.len(), files, "{done:?}");
    assert!(names(src.as_ref(), &format!("t{n}/in")).await.is_empty());
}
