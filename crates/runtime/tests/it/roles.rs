//! Two nodes with different roles on one project run only what their roles allow.

use crate::common;

use common::*;

#[tokio::test]
async fn nodes_run_only_what_their_roles_allow() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        r#"
[source.eu-in]
type = "local"
root = "{data}"
required_roles = ["eu"]
[source.eu-in.folders.main]
input = "eu/in"
done = "eu/done"

[source.us-in]
type = "local"
root = "{data}"
[source.us-in.folders.main]
input = "us/in"
done = "us/done"

[sink.out]
type = "local"
root = "{data}"
directory = "out/${workflow}"

[sink.us-out]
type = "local"
root = "{data}"
directory = "out/us-only"
required_roles = ["us", "admin"]

[workflow.eu]
source = "eu-in"
sink = "out"

[workflow.us]
source = "us-in"
sink = "us-out"

[workflow.any]
source = "us-in"
sink = "out"
required_roles = ["ingest"]
"#,
    );
    fx.put("eu/in/e.txt", b"e");
    fx.put("us/in/u.txt", b"u");
    let eu = fx.node(&["eu"]).await;
    assert_eq!(eu.workflows(), vec!["eu"]);
    let skipped: Vec<&str> = eu.skipped().iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(skipped, vec!["any", "us"]);
    assert!(
        eu.skipped()[1].1.contains("sink 'us-out'"),
        "{:?}",
        eu.skipped()
    );
    let us = fx.node_with(&["us", "other"], "us", |_| {}).await;
    assert_eq!(us.workflows(), vec!["us"]);
    assert_eq!(until_idle(&eu).await.done, 1);
    assert_eq!(fx.files("out"), vec!["eu/e.txt"]);
    assert_eq!(until_idle(&us).await.done, 1);
    assert_eq!(fx.files("out"), vec!["eu/e.txt", "us-only/u.txt"]);
    let none = fx.node_with(&[], "none", |_| {}).await;
    assert!(
        none.workflows().is_empty(),
        "a node without roles runs only assets without required roles"
    );
    let st = us.status();
    assert_eq!(st.workflows[0].files_done, 1);
    assert!(std::fs::read_to_string(fx.state("us").join("status.json"))
        .unwrap()
        .contains("\"files_done\": 1"));
}

#[tokio::test]
async fn two_nodes_share_a_state_folder_only_one_at_a_time() {
    let fx = Fixture::new();
    fx.project_file("p.toml", &basic_project("", "done = \"done\"", ""));
    let _a = fx.node(&[]).await;
    let err = graphlink_runtime::Node::new(
        &fx.project(),
        graphlink_runtime::NodeOptions::new(vec![], fx.state("main")),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("another node"), "{err}");
}
