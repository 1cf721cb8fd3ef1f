//! Shared test fixture: a project folder, a local data folder and a state folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use graphlink_runtime::{Node, NodeOptions, PollReport, Project};
use tokio_util::sync::CancellationToken;

pub(crate) struct Fixture {
    pub tmp: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("project")).unwrap();
        std::fs::create_dir_all(tmp.path().join("data")).unwrap();
        Self { tmp }
    }

    pub(crate) fn project_dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub(crate) fn state(&self, name: &str) -> PathBuf {
        self.tmp.path().join("state").join(name)
    }

    /// Writes a project file; `{data}` is replaced by the data folder.
    pub(crate) fn project_file(&self, name: &str, text: &str) {
        let text = text.replace("{data}", &self.data().display().to_string());
        std::fs::write(self.project_dir().join(name), text).unwrap();
    }

    pub(crate) fn project(&self) -> Project {
        Project::load(self.project_dir()).unwrap()
    }

    pub(crate) fn put(&self, rel: &str, content: &[u8]) {
        let p = self.data().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub(crate) fn put_aged(&self, rel: &str, content: &[u8], age: Duration) {
        self.put(rel, content);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(self.data().join(rel))
            .unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    pub(crate) fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.data().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.data().join(rel).exists()
    }

    /// File names (recursive, relative to `dir`), sorted.
    pub(crate) fn files(&self, dir: &str) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.data().join(dir), Path::new(""), &mut out);
        out.sort();
        out
    }

    pub(crate) async fn node(&self, roles: &[&str]) -> Node {
        self.node_with(roles, "main", |_| {}).await
    }

    pub(crate) async fn node_with(
        &self,
        roles: &[&str],
        state: &str,
        f: impl FnOnce(&mut NodeOptions),
    ) -> Node {
        let mut opts = NodeOptions::new(
            roles.iter().map(ToString::to_string).collect(),
            self.state(state),
        );
        f(&mut opts);
        match Node::new(&self.project(), opts).await {
            Ok(n) => n,
            Err(e) => panic!("node: {e}"),
        }
    }
}

fn walk(dir: &Path, rel: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let e = e.unwrap();
        let r = rel.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            walk(&e.path(), &r, out);
        } else {
            out.push(r.to_string_lossy().replace('\\', "/"));
        }
    }
}

pub(crate) async fn tick(node: &Node) -> PollReport {
    node.tick(&CancellationToken::new()).await.unwrap()
}

pub(crate) async fn until_idle(node: &Node) -> PollReport {
    tokio::time::timeout(
        Duration::from_secs(60),
        node.run_until_idle(&CancellationToken::new()),
    )
    .await
    .expect("hang guard")
    .unwrap()
}

/// A local source + local sink + workflow, with extra TOML lines for source, folder and sink.
pub(crate) fn basic_project(source_extra: &str, folder_extra: &str, sink_extra: &str) -> String {
    format!(
        r#"
[source.in]
type = "local"
root = "{{data}}"
{source_extra}

[source.in.folders.main]
input = "in"
{folder_extra}

[sink.out]
type = "local"
root = "{{data}}"
directory = "out"
{sink_extra}

[workflow.copy]
source = "in"
sink = "out"
"#
    )
}

pub(crate) use graphlink_testkit::project::emulator_connection;
