//! `$batch` (relative urls, dependsOn → 424, limits, per-item throttling) and copy with its
//! monitor URL.

use crate::graph_support;

use graph_support::*;
use serde_json::{json, Value};

fn response<'a>(batch: &'a Answer, id: &str) -> &'a Value {
    batch.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no response {id}: {:#}", batch.body))
}

#[tokio::test]
async fn batch_runs_items_through_the_router_with_dependencies_and_throttling() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let batch = g
        .post(
            "/$batch",
            json!({"requests": [
                {"id": "1", "method": "GET", "url": format!("/users/{ADELE}/drive")},
                {"id": "2", "method": "POST", "url": format!("drives/{d}/root/children"),
                 "headers": {"Content-Type": "application/json"},
                 "body": {"name": "from-batch", "folder": {}}},
                {"id": "3", "method": "GET", "url": format!("/drives/{d}/root:/from-batch"),
                 "dependsOn": ["2"]},
                {"id": "4", "method": "GET", "url": "/drives/b!missing"},
                {"id": "5", "method": "GET", "url": "/sites/root", "dependsOn": ["4"]},
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(response(&batch, "1")["status"], 200);
    assert_eq!(response(&batch, "1")["body"]["id"], d.as_str());
    assert_eq!(response(&batch, "2")["status"], 201);
    assert_eq!(response(&batch, "3")["status"], 200);
    assert_eq!(response(&batch, "3")["body"]["name"], "from-batch");
    assert_eq!(response(&batch, "4")["status"], 404);
    assert_eq!(
        response(&batch, "4")["body"]["error"]["code"],
        "itemNotFound"
    );
    assert_eq!(response(&batch, "5")["status"], 424);

    // Limits and validation.
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/sites/root"}))
        .collect();
    g.post("/$batch", json!({ "requests": many }))
        .await
        .expect(400);
    g.post(
        "/$batch",
        json!({"requests": [
            {"id": "1", "method": "GET", "url": "/sites/root"},
            {"id": "1", "method": "GET", "url": "/sites/root"}]}),
    )
    .await
    .expect(400);
    g.post(
        "/$batch",
        json!({"requests": [{"id": "1", "method": "GET", "url": "/sites/root", "dependsOn": ["9"]}]}),
    )
    .await
    .expect(400);

    // A throttled item gets its own 429 + Retry-After; the others succeed.
    let rule = json!({"path": "^/v1\\.0/sites/root$", "sequence": [
        {"kind": "status", "status": 429, "retry_after": "3"}]});
    let r = g
        .http
        .post(format!("{}/_emulator/faults", g.base()))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let batch = g
        .post(
            "/$batch",
            json!({"requests": [
                {"id": "a", "method": "GET", "url": "/sites/root"},
                {"id": "b", "method": "GET", "url": format!("/drives/{d}")}]}),
        )
        .await
        .expect(200);
    let throttled = response(&batch, "a");
    assert_eq!(throttled["status"], 429);
    assert_eq!(throttled["headers"]["retry-after"], "3");
    assert_eq!(throttled["body"]["error"]["code"], "TooManyRequests");
    assert_eq!(response(&batch, "b")["status"], 200);
}

async fn wait_for_copy(g: &G, monitor: &str) -> Value {
    // The monitor needs no Authorization. The first poll always says inProgress.
    let first: Value = g
        .http
        .get(monitor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "inProgress");
    for _ in 0..500 {
        let resp = g.http.get(monitor).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        if body["status"] != "inProgress" {
            assert_eq!(status, 200);
            return body;
        }
        assert_eq!(status, 202);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the copy never finished");
}

#[tokio::test]
async fn copy_answers_202_with_a_monitor_and_copies_the_subtree() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    for (path, body) in [("src/a.txt", "A"), ("src/sub/b.txt", "BB")] {
        g.put_bytes(
            &format!("/drives/{d}/root:/{path}:/content"),
            body.as_bytes().to_vec(),
        )
        .await
        .expect(201);
    }
    let dest = g
        .post(
            &format!("/drives/{d}/root/children"),
            json!({"name": "dest", "folder": {}}),
        )
        .await
        .expect(201);
    let dest_id = dest.body["id"].as_str().unwrap();
    let started = g
        .post(
            &format!("/drives/{d}/root:/src:/copy"),
            json!({"parentReference": {"driveId": d, "id": dest_id}, "name": "copied"}),
        )
        .await
        .expect(202);
    let monitor = started.header("location").unwrap();
    assert!(monitor.starts_with(&format!("{}/_monitor/", g.base())));
    let done = wait_for_copy(&g, &monitor).await;
    assert_eq!(done["status"], "completed");
    let new_id = done["resourceId"].as_str().unwrap();
    let copy = g
        .get(&format!("/drives/{d}/items/{new_id}"))
        .await
        .expect(200);
    assert_eq!(copy.body["name"], "copied");
    assert_eq!(copy.body["parentReference"]["id"], dest_id);
    assert_eq!(
        g.download(&format!("/drives/{d}/root:/dest/copied/sub/b.txt:/content"))
            .await,
        b"BB"
    );
    // The source is untouched.
    assert_eq!(
        g.download(&format!("/drives/{d}/root:/src/a.txt:/content"))
            .await,
        b"A"
    );
    // Same name again with the default (fail): 409.
    let clash = g
        .post(
            &format!("/drives/{d}/root:/src:/copy"),
            json!({"parentReference": {"id": dest_id}, "name": "copied"}),
        )
        .await
        .expect(409);
    assert_eq!(clash.codes().0, "nameAlreadyExists");
    // Across drives.
    let megan = g.get(&format!("/users/{MEGAN}/drive")).await.expect(200);
    let other = megan.body["id"].as_str().unwrap();
    let started = g
        .post(
            &format!("/drives/{d}/root:/src/a.txt:/copy"),
            json!({"parentReference": {"driveId": other}}),
        )
        .await
        .expect(202);
    let done = wait_for_copy(&g, &started.header("location").unwrap()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        g.download(&format!("/drives/{other}/root:/a.txt:/content"))
            .await,
        b"A"
    );
}

#[tokio::test]
async fn the_emulator_can_throttle_per_app_and_batch_items_get_their_own_429() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let r = g
        .http
        .put(format!("{}/_emulator/settings", g.base()))
        .json(&json!({"graph_requests_per_second": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut throttled = None;
    for _ in 0..5 {
        let a = g.get(&format!("/drives/{d}")).await;
        if a.status == 429 {
            throttled = Some(a);
            break;
        }
        assert_eq!(a.status, 200);
    }
    let throttled = throttled.expect("a burst beyond the rate is throttled");
    assert_eq!(
        throttled.codes(),
        ("TooManyRequests".into(), "activityLimitReached".into())
    );
    let wait: f64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0.0 && wait <= 1.0, "{wait}");
    // Another app has its own budget.
    let other = g.app_token(
        "55555555-5555-4555-8555-555555555555",
        &["Files.ReadWrite.All"],
    );
    g.req(
        reqwest::Method::GET,
        &format!("/drives/{d}"),
        Some(&other),
        None,
        &[],
    )
    .await
    .expect(200);
    // Honouring Retry-After lets the next request through.
    tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
    g.get(&format!("/drives/{d}")).await.expect(200);

    // In a batch each item is throttled on its own.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let requests: Vec<Value> = (0..5)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/drives/{d}")}))
        .collect();
    let batch = g
        .post("/$batch", json!({ "requests": requests }))
        .await
        .expect(200);
    let statuses: Vec<u64> = batch.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
    for r in batch.body["responses"].as_array().unwrap() {
        if r["status"] == 429 {
            assert!(r["headers"]["retry-after"].is_string(), "{r:#}");
        }
    }
}
