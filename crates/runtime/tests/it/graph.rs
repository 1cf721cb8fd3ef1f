//! Graph-backed sources and sinks against the real emulator over HTTPS: a SharePoint inbox
//! (the Finance site's Invoices library) archived into Adele's OneDrive, with the example
//! project of the repository, and the cost of an idle poll.

use std::sync::Arc;
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions};
use graphlink_runtime::model::{AssetId, AssetKind, StorageSetting};
use graphlink_runtime::storage::Storage;
use graphlink_runtime::{
    GraphStorageFactory, Node, NodeOptions, Project, ResolvedConnection, StorageFactory,
};
use tokio_util::sync::CancellationToken;

fn example_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/finance-inbox")
}

/// Graph requests so far (`/v1.0/...`; not the token endpoint, nor the pre-authenticated
/// download and upload URLs, which Microsoft does not meter as Graph requests).
async fn graph_requests(base: &str, ca: &std::path::Path) -> u64 {
    counters(base, ca, "?path=%5E%2Fv1%5C.0%2F").await["matching"]
        .as_u64()
        .unwrap()
}

async fn requests(base: &str, ca: &std::path::Path) -> u64 {
    counters(base, ca, "").await["total"].as_u64().unwrap()
}

async fn counters(base: &str, ca: &std::path::Path, query: &str) -> serde_json::Value {
    let client = graphlink_http::ClientOptions::default()
        .trust_ca_file(ca)
        .unwrap()
        .build()
        .unwrap();
    client
        .get(format!("{base}/_emulator/requests{query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn open(
    project: &Project,
    factory: &GraphStorageFactory,
    kind: AssetKind,
    name: &str,
) -> Arc<dyn Storage> {
    let env = |n: &str| std::env::var(n).ok();
    let values = graphlink_runtime::macros::StaticValues {
        env: &env,
        lay: project.select_environment(None).unwrap().map(|e| &e.values),
        secrets: None,
    };
    let setting: StorageSetting = match kind {
        AssetKind::Source => project.source(name).unwrap().storage.clone(),
        _ => project.sink(name).unwrap().storage.clone(),
    };
    let conn = ResolvedConnection::resolve(
        &project.dir,
        project.connection(setting.connection().unwrap()).unwrap(),
        &values,
    )
    .unwrap();
    factory
        .open(&conn, &AssetId::new(kind, name), &setting)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharepoint_inbox_to_onedrive_archive_with_the_example_project() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let base = emu.base_url().to_string();
    let ca = emu.ca_cert_path().unwrap().to_path_buf();
    std::env::set_var("GRAPHLINK_DEMO_URL", &base);
    std::env::set_var("GRAPHLINK_DEMO_CA", &ca);
    std::env::set_var("GRAPHLINK_DEMO_SECRET", "emulator-client-secret");

    let project = Project::load(example_dir()).unwrap();
    let problems = graphlink_runtime::validate(&project);
    assert!(problems.is_empty(), "{problems:?}");

    let state = tempfile::tempdir().unwrap();
    let factory = GraphStorageFactory::new(state.path());
    let inbox = open(&project, &factory, AssetKind::Source, "invoices-inbox").await;
    let archive = open(&project, &factory, AssetKind::Sink, "archive").await;
    inbox.mkdirs("Incoming").await.unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            (
                format!("inv-{i:03} #{i}.pdf"),
                format!("invoice {i} ").repeat(100 + i * 400).into_bytes(),
            )
        })
        .collect();
    for (name, data) in &files {
        inbox
            .write(&format!("Incoming/{name}"), &mut data.as_slice())
            .await
            .unwrap();
    }
    inbox
        .write("Incoming/notes.docx", &mut &b"not an invoice"[..])
        .await
        .unwrap();

    let node = Node::new(
        &project,
        NodeOptions::new(vec![], state.path().join("node")),
    )
    .await
    .unwrap();
    let shutdown = CancellationToken::new();
    let report = tokio::time::timeout(Duration::from_secs(120), node.run_until_idle(&shutdown))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.done, report.failed), (5, 0), "{report:?}");

    let year = chrono_like_year();
    let archived = archive.list("Archive/Invoices", true).await.unwrap();
    assert_eq!(archived.len(), 5, "{archived:?}");
    for (name, data) in &files {
        let path = format!("Archive/Invoices/{year}/{name}");
        let mut r = archive.read(&path).await.unwrap();
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut r, &mut got)
            .await
            .unwrap();
        assert_eq!(&got, data, "{path}");
    }
    let left: Vec<String> = inbox
        .list("Incoming", false)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(left, vec!["Incoming/notes.docx"]);
    assert_eq!(inbox.list("Processed", true).await.unwrap().len(), 5);
    assert!(archive
        .list("Archive/Invoices", true)
        .await
        .unwrap()
        .iter()
        .all(|e| !e.path.contains(".graphlink-")));

    // An idle poll costs the delta call only: no listing of the library.
    let before = requests(&base, &ca).await;
    let r = node.tick(&shutdown).await.unwrap();
    assert!(r.idle(), "{r:?}");
    let after = requests(&base, &ca).await;
    assert!(
        after - before <= 2,
        "an idle poll made {} requests",
        after - before
    );

    // A new file is noticed through delta and processed.
    inbox
        .write("Incoming/late.pdf", &mut &b"late"[..])
        .await
        .unwrap();
    let r = node.tick(&shutdown).await.unwrap();
    assert_eq!(r.done, 1, "{r:?}");

    // Steady state: each file costs its download, its upload and the move of the input to
    // the done folder (folder ids are known by now), plus the poll's delta round.
    let n = 6u64;
    for i in 0..n {
        inbox
            .write(&format!("Incoming/batch-{i}.pdf"), &mut &b"batch"[..])
            .await
            .unwrap();
    }
    let before = graph_requests(&base, &ca).await;
    let r = node.tick(&shutdown).await.unwrap();
    assert_eq!(r.done, n as usize, "{r:?}");
    let spent = graph_requests(&base, &ca).await - before;
    assert!(
        spent <= 3 * n + 2,
        "{n} files cost {spent} Graph requests (at most {} expected)",
        3 * n + 2
    );
    drop(node);
    emu.shutdown().await;
}

fn chrono_like_year() -> String {
    // The sink directory uses ${date:%Y} in local time; the test process uses the same clock.
    let out = std::process::Command::new("date")
        .arg("+%Y")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
