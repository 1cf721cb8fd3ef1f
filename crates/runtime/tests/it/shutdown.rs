//! Stopping a node abandons in-flight streams cleanly: no output under its final name, no
//! temporary file, the file released and processed by the next run.

use crate::common;

use std::time::Duration;

use common::*;
use graphlink_runtime::coordinator::{Filter, Status};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_abandons_in_flight_streams_and_the_next_run_finishes_them() {
    let fx = Fixture::new();
    let slow = basic_project("poll_interval = \"1h\"", "done = \"done\"", "").replace(
        "sink = \"out\"\n",
        "sink = \"out\"\ncommand = [\"sh\", \"-c\", \"cat; sleep 30\"]\n",
    );
    fx.project_file("p.toml", &slow);
    fx.put("in/a.txt", b"payload");
    let node = fx.node(&[]).await;
    let shutdown = CancellationToken::new();
    let runner = {
        let shutdown = shutdown.clone();
        async move { node.run(shutdown).await.map(|_| node) }
    };
    let handle = tokio::spawn(runner);
    // Wait until the stream is in flight (the temporary file holds the payload).
    let mut waited = 0;
    loop {
        let temps: Vec<String> = fx
            .files("out")
            .into_iter()
            .filter(|f| f.starts_with(".graphlink-"))
            .collect();
        if !temps.is_empty() && fx.read(&format!("out/{}", temps[0])) == b"payload" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 1500, "the stream never started");
    }
    shutdown.cancel();
    let node = tokio::time::timeout(Duration::from_secs(20), handle)
        .await
        .expect("stops promptly")
        .unwrap()
        .unwrap();
    assert!(
        fx.files("out").is_empty(),
        "no output and no temporary file: {:?}",
        fx.files("out")
    );
    assert_eq!(fx.files("in"), vec!["a.txt"]);
    let recs = node.coordinator().list(&Filter::default()).await.unwrap();
    assert_eq!(recs[0].status, Status::Acquired);
    assert_eq!(
        node.status().workflows[0].state,
        graphlink_runtime::WorkflowState::Stopped
    );
    drop(node);

    // Next run (a fast command now): the released file is resumed and delivered once.
    fx.project_file("p.toml", &slow.replace("cat; sleep 30", "cat"));
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!((r.done, r.recovered), (1, 1), "{r:?}");
    assert_eq!(fx.files("out"), vec!["a.txt"]);
    assert_eq!(fx.read("out/a.txt"), b"payload");
    assert_eq!(fx.files("done"), vec!["a.txt"]);
}
