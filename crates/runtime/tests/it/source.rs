//! Source behaviours end to end with local storages.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use graphlink_runtime::coordinator::{Filter, Status};
use graphlink_runtime::notify::{Notifier, SentMessage};
use parking_lot::Mutex;

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl Notifier for Recorder {
    async fn send(
        &self,
        conversation: &str,
        content: &str,
    ) -> graphlink_runtime::Result<SentMessage> {
        self.0
            .lock()
            .push((conversation.to_string(), content.to_string()));
        Ok(SentMessage::default())
    }
}

fn with_notifications(text: &str) -> String {
    format!(
        "{text}\n[workflow.copy.on_success]\nservice = \"log\"\nconversation = \"ops\"\nmessage = \"ok ${{file.path}} ${{file.size}}\"\n\n\
         [workflow.copy.on_failure]\nservice = \"log\"\nconversation = \"ops\"\nmessage = \"failed ${{file.name}}: ${{error}}\"\n\n\
         [service.log]\ntype = \"log\"\n"
    )
}

async fn node_with_recorder(fx: &Fixture) -> (graphlink_runtime::Node, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let r2 = rec.clone();
    let node = fx
        .node_with(&[], "main", move |o| {
            o.notifiers.insert("log".into(), r2);
        })
        .await;
    (node, rec)
}

#[tokio::test]
async fn filter_prefix_suffix_regexes_and_sub_directories() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("", "filter = \"[a-z]+_\\\\d+\\\\..*\"\nprefix = \"inv\"\nsuffix = \"\\\\.(pdf|xml)\"\ninclude_subdirs = true\ndone = \"done\"", ""),
    );
    for f in [
        "in/inv_1.pdf",
        "in/inv_2.xml",
        "in/inv_3.txt",
        "in/bill_4.pdf",
        "in/invX.pdf",
        "in/sub/inv_5.pdf",
    ] {
        fx.put(f, b"x");
    }
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 3);
    assert_eq!(
        fx.files("out"),
        vec![
            "sub/inv_5.pdf".replace("sub/", ""),
            "inv_1.pdf".into(),
            "inv_2.xml".into()
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(fx.files("in"), vec!["bill_4.pdf", "invX.pdf", "inv_3.txt"]);
    assert_eq!(
        fx.files("done"),
        vec!["inv_1.pdf", "inv_2.xml", "sub/inv_5.pdf"]
    );
}

#[tokio::test]
async fn without_sub_directories_only_the_top_level_is_taken() {
    let fx = Fixture::new();
    fx.project_file("p.toml", &basic_project("", "done = \"done\"", ""));
    fx.put("in/top.txt", b"x");
    fx.put("in/sub/deep.txt", b"x");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    assert_eq!(fx.files("in"), vec!["sub/deep.txt"]);
}

#[tokio::test]
async fn ordering_and_notifications() {
    for (order, expect) in [
        ("name-asc", vec!["a", "b", "c"]),
        ("name-desc", vec!["c", "b", "a"]),
        ("modified-asc", vec!["b", "c", "a"]),
        ("modified-desc", vec!["a", "c", "b"]),
    ] {
        let fx = Fixture::new();
        fx.project_file(
            "p.toml",
            // A strict order of completion needs one file at a time (with more in flight,
            // the order says which files start first).
            &with_notifications(&basic_project(
                &format!("order = \"{order}\""),
                "done = \"done\"",
                "",
            ))
            .replace("sink = \"out\"\n", "sink = \"out\"\nfiles_in_flight = 1\n"),
        );
        fx.put_aged("in/a", b"1", Duration::from_secs(10));
        fx.put_aged("in/b", b"22", Duration::from_secs(30));
        fx.put_aged("in/c", b"333", Duration::from_secs(20));
        let (node, rec) = node_with_recorder(&fx).await;
        until_idle(&node).await;
        let got: Vec<String> = rec
            .0
            .lock()
            .iter()
            .map(|(_, m)| m.split(' ').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(got, expect, "order {order}");
        let first = rec.0.lock()[0].clone();
        assert_eq!(first.0, "ops");
        assert!(
            first.1.starts_with("ok ")
                && first.1.ends_with(&format!(
                    " {}",
                    first
                        .1
                        .split(' ')
                        .nth(1)
                        .map(|n| match n {
                            "a" => 1,
                            "b" => 2,
                            _ => 3,
                        })
                        .unwrap()
                )),
            "{first:?}"
        );
    }
}

#[tokio::test]
async fn failure_notification_carries_the_error() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &with_notifications(&basic_project("", "error = \"error\"", "")).replace(
            "sink = \"out\"\n",
            "sink = \"out\"\ncommand = [\"false\"]\n",
        ),
    );
    fx.put("in/x.bin", b"x");
    let (node, rec) = node_with_recorder(&fx).await;
    assert_eq!(until_idle(&node).await.failed, 1);
    let msgs = rec.0.lock().clone();
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0]
            .1
            .starts_with("failed x.bin: processing command: 'false' failed"),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn stable_time_waits_until_the_file_stops_changing() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("stable_time = \"1h\"", "done = \"done\"", ""),
    );
    fx.put("in/fresh.txt", b"x");
    fx.put_aged("in/old.txt", b"x", Duration::from_secs(7200));
    let node = fx.node(&[]).await;
    let r = tick(&node).await;
    assert_eq!((r.done, r.unstable), (1, 1), "{r:?}");
    assert_eq!(fx.files("in"), vec!["fresh.txt"]);
    // Still changing: still waiting.
    fx.put("in/fresh.txt", b"xy");
    let r = tick(&node).await;
    assert_eq!((r.done, r.unstable), (0, 1));

    // A short stable time: taken once unchanged for that long.
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("stable_time = \"300ms\"", "done = \"done\"", ""),
    );
    fx.put("in/f.txt", b"x");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!(r.done, 1);
}

async fn done_policy(policy: &str) -> Fixture {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            &format!("done = \"done\"\ndone_exists = \"{policy}\"\ndone_prefix = \"d-\""),
            "when_exists = \"replace\"",
        ),
    );
    fx.put("done/d-a.txt", b"old");
    fx.put("in/a.txt", b"new");
    let node = fx.node(&[]).await;
    until_idle(&node).await;
    fx
}

#[tokio::test]
async fn done_directory_when_exists_policies() {
    let fx = done_policy("fail").await;
    assert_eq!(fx.files("in"), vec!["a.txt"], "fail leaves the input");
    assert_eq!(fx.read("done/d-a.txt"), b"old");

    let fx = done_policy("fail-delete").await;
    assert!(fx.files("in").is_empty(), "fail-delete deletes the input");
    assert_eq!(fx.files("done"), vec!["d-a.txt"]);
    assert_eq!(fx.read("done/d-a.txt"), b"old");

    let fx = done_policy("replace").await;
    assert_eq!(fx.files("done"), vec!["d-a.txt"]);
    assert_eq!(fx.read("done/d-a.txt"), b"new");

    let fx = done_policy("rename-counter").await;
    assert_eq!(fx.read("done/d-a.txt"), b"new");
    assert_eq!(fx.read("done/d-a_1.txt"), b"old");

    let fx = done_policy("rename-timestamp").await;
    assert_eq!(fx.read("done/d-a.txt"), b"new");
    assert_eq!(fx.files("done").len(), 2);

    let fx = done_policy("counter").await;
    assert_eq!(fx.read("done/d-a.txt"), b"old");
    assert_eq!(fx.read("done/d-a_1.txt"), b"new");

    let fx = done_policy("timestamp").await;
    assert_eq!(fx.read("done/d-a.txt"), b"old");
    let other = fx
        .files("done")
        .into_iter()
        .find(|f| f != "d-a.txt")
        .unwrap();
    assert!(
        other.starts_with("d-a_2") && other.ends_with("Z.txt"),
        "{other}"
    );
    assert_eq!(fx.read(&format!("done/{other}")), b"new");
}

#[tokio::test]
async fn fail_policy_in_done_marks_the_file_failed() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            "done = \"done\"\ndone_exists = \"fail\"",
            "when_exists = \"replace\"",
        ),
    );
    fx.put("done/a.txt", b"old");
    fx.put("in/a.txt", b"new");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!(r.failed, 1);
    let recs = node.coordinator().list(&Filter::default()).await.unwrap();
    assert_eq!(recs[0].status, Status::Failure);
    assert!(recs[0]
        .error
        .as_deref()
        .unwrap()
        .contains("already exists in the done directory"));
    // Manual reprocessing: never taken again.
    assert!(tick(&node).await.idle());
}

#[tokio::test]
async fn error_directory_policies_and_suffix() {
    for (policy, expect_files) in [
        ("counter", vec!["a-err.txt", "a-err_1.txt"]),
        ("replace", vec!["a-err.txt"]),
        ("rename-counter", vec!["a-err.txt", "a-err_1.txt"]),
        ("fail", vec!["a-err.txt"]),
    ] {
        let fx = Fixture::new();
        fx.project_file(
            "p.toml",
            &basic_project(
                "",
                &format!("error = \"error\"\nerror_suffix = \"-err\"\nerror_exists = \"{policy}\""),
                "",
            )
            .replace(
                "sink = \"out\"\n",
                "sink = \"out\"\ncommand = [\"false\"]\n",
            ),
        );
        fx.put("error/a-err.txt", b"old");
        fx.put("in/a.txt", b"new");
        let node = fx.node(&[]).await;
        assert_eq!(until_idle(&node).await.failed, 1);
        assert_eq!(fx.files("error"), expect_files, "{policy}");
        assert_eq!(
            fx.files("in").len(),
            usize::from(policy == "fail"),
            "{policy}"
        );
        if policy == "counter" {
            assert_eq!(fx.read("error/a-err_1.txt"), b"new");
        }
    }
}

#[tokio::test]
async fn on_success_keep_and_delete_without_done_directory() {
    let fx = Fixture::new();
    fx.project_file("p.toml", &basic_project("", "on_success = \"keep\"", ""));
    fx.put("in/a.txt", b"x");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    assert_eq!(fx.files("in"), vec!["a.txt"]);
    assert!(
        tick(&node).await.idle(),
        "manual mode: a kept DONE file is not taken again"
    );

    let fx = Fixture::new();
    fx.project_file("p.toml", &basic_project("", "", ""));
    fx.put("in/a.txt", b"x");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    assert!(
        fx.files("in").is_empty(),
        "no done directory: the input is deleted"
    );
}

#[tokio::test]
async fn reprocessing_manual_automatic_when_changed() {
    // manual: a reappearing file is not taken again until an operator resets it.
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "reprocessing = \"manual\"",
            "done = \"done\"\ndone_exists = \"counter\"",
            "when_exists = \"counter\"",
        ),
    );
    fx.put("in/a.txt", b"1");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    fx.put("in/a.txt", b"2");
    assert!(tick(&node).await.idle());
    assert_eq!(fx.files("in"), vec!["a.txt"]);
    let n = node
        .coordinator()
        .reset(&Filter {
            path: Some("a.txt".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(tick(&node).await.done, 1);
    assert_eq!(fx.read("out/a.txt"), b"2");

    // automatic: a file that reappears after being moved to done is taken again.
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "reprocessing = \"automatic\"",
            "done = \"done\"\ndone_exists = \"counter\"",
            "when_exists = \"counter\"",
        ),
    );
    fx.put("in/a.txt", b"1");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    fx.put("in/a.txt", b"1");
    assert_eq!(tick(&node).await.done, 1);
    assert_eq!(fx.files("done"), vec!["a.txt", "a_1.txt"]);
    let rec = &node.coordinator().list(&Filter::default()).await.unwrap()[0];
    assert_eq!(rec.generation, 2);

    // when-changed: the input stays; taken again only when its content changes.
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "reprocessing = \"when-changed\"",
            "on_success = \"keep\"",
            "when_exists = \"replace\"",
        ),
    );
    fx.put("in/a.txt", b"v1");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 1);
    assert!(tick(&node).await.idle(), "unchanged: not taken again");
    fx.put("in/a.txt", b"version 2");
    assert_eq!(tick(&node).await.done, 1);
    assert_eq!(fx.read("out/a.txt"), b"version 2");
}

#[tokio::test]
async fn wait_for_clearance() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project("wait_for_clearance = true", "done = \"done\"", ""),
    );
    fx.put("in/a.txt", b"x");
    fx.put("in/b.txt", b"y");
    let node = fx.node(&[]).await;
    let r = until_idle(&node).await;
    assert_eq!((r.done, r.waiting), (0, 2), "{r:?}");
    let coord = node.coordinator();
    let waiting = coord
        .list(&Filter {
            status: Some(Status::WaitForClearance),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(waiting.len(), 2);
    assert_eq!(
        coord
            .clearance(&Filter {
                path: Some("b*".into()),
                ..Default::default()
            })
            .await
            .unwrap(),
        1
    );
    let r = tick(&node).await;
    assert_eq!((r.done, r.waiting), (1, 1));
    assert_eq!(fx.files("out"), vec!["b.txt"]);
    assert_eq!(node.status().workflows[0].files_waiting, 1);
}

#[tokio::test]
async fn max_streams_per_period() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "max_streams = 2\nmax_streams_period = \"1h\"",
            "done = \"done\"",
            "",
        ),
    );
    for i in 0..5 {
        fx.put(&format!("in/{i}.txt"), b"x");
    }
    let node = fx.node(&[]).await;
    let r = tick(&node).await;
    assert_eq!(r.done, 2);
    assert!(r.blocked_until.is_some());
    let r = tick(&node).await;
    assert_eq!(r.done, 0, "still throttled");
    assert!(matches!(
        node.status().workflows[0].state,
        graphlink_runtime::WorkflowState::Throttled(_)
    ));
    assert_eq!(fx.files("in").len(), 3);
}

#[tokio::test]
async fn failure_backoff_blocks_new_streams_then_resets_after_successes() {
    let fx = Fixture::new();
    let text = basic_project(
        "[source.in.backoff]\nmin = \"1h\"\nmax = \"2h\"\nreset_after_successes = 1",
        "error = \"error\"\ndone = \"done\"",
        "",
    )
    .replace(
        "sink = \"out\"\n",
        // One file at a time: with more in flight, those already started finish too.
        "sink = \"out\"\nfiles_in_flight = 1\ncommand = [\"sh\", \"-c\", \"if grep -q bad; then exit 1; fi; cat\"]\n",
    );
    // The backoff table must come after the folder table keys of [source.in]: move it to the end.
    let (head, backoff) = text.split_once("[source.in.backoff]").unwrap();
    let (backoff, rest) = backoff.split_once("\n\n").unwrap();
    fx.project_file(
        "p.toml",
        &format!("{head}{rest}\n[source.in.backoff]{backoff}\n"),
    );
    fx.put("in/1.txt", b"bad");
    fx.put("in/2.txt", b"good");
    let node = fx.node(&[]).await;
    let r = tick(&node).await;
    assert_eq!((r.done, r.failed), (0, 1), "{r:?}");
    let until = r.blocked_until.expect("backing off");
    assert!(until > std::time::SystemTime::now() + Duration::from_secs(3000));
    assert!(matches!(
        node.status().workflows[0].state,
        graphlink_runtime::WorkflowState::BackingOff(_)
    ));
    assert_eq!(tick(&node).await.done, 0, "blocked during the backoff");
    assert_eq!(fx.files("in"), vec!["2.txt"]);
}

#[tokio::test]
async fn housekeeping_deletes_old_files() {
    let fx = Fixture::new();
    fx.project_file(
        "p.toml",
        &basic_project(
            "",
            "done = \"done\"\nerror = \"error\"\n[source.in.folders.main.housekeeping]\nschedule = \"0 3 * * *\"\ndone = \"1d\"\nerror = \"2d\"",
            "[sink.out.housekeeping]\nschedule = \"0 3 * * *\"\noutput = \"7d\"",
        ),
    );
    let day = Duration::from_secs(86400);
    fx.put_aged("done/old.txt", b"x", day * 2);
    fx.put_aged("done/new.txt", b"x", day / 2);
    fx.put_aged("error/e1.txt", b"x", day * 3);
    fx.put_aged("error/e2.txt", b"x", day);
    fx.put_aged("out/o1.txt", b"x", day * 8);
    fx.put_aged("out/o2.txt", b"x", day * 6);
    let node = fx.node(&[]).await;
    tick(&node).await;
    assert_eq!(fx.files("done").len(), 2, "not due yet");
    node.housekeep_now().await;
    assert_eq!(fx.files("done"), vec!["new.txt"]);
    assert_eq!(fx.files("error"), vec!["e2.txt"]);
    assert_eq!(fx.files("out"), vec!["o2.txt"]);
}

#[tokio::test]
async fn several_folder_setups() {
    let fx = Fixture::new();
    let text = basic_project(
        "",
        "done = \"done/main\"",
        "directory = \"out/${file.folder}\"",
    )
    .replace("directory = \"out\"\n", "")
        + "\n[source.in.folders.second]\ninput = \"in2\"\ndone = \"done/second\"\n";
    fx.project_file("p.toml", &text);
    fx.put("in/a.txt", b"1");
    fx.put("in2/a.txt", b"2");
    let node = fx.node(&[]).await;
    assert_eq!(until_idle(&node).await.done, 2);
    assert_eq!(fx.read("out/main/a.txt"), b"1");
    assert_eq!(fx.read("out/second/a.txt"), b"2");
    assert_eq!(fx.files("done"), vec!["main/a.txt", "second/a.txt"]);
}
