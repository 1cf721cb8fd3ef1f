//! The Graph store survives restarts: items, content, delta positions, grants and upload
//! sessions in progress; a large tree reloads intact.

use crate::graph_support;

use graph_support::*;
use graphlink_emulator::graph::model::Identity;
use graphlink_emulator::graph::mutate::new_item;
use graphlink_emulator::EmulatorOptions;
use serde_json::json;

const UNIT: usize = 327_680;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let g = G::start_with(options.clone()).await;
    let d = g.adele_drive().await;
    let body = data(5000, 9);
    let file = g
        .put_bytes(
            &format!("/drives/{d}/root:/keep/me.bin:/content"),
            body.clone(),
        )
        .await
        .expect(201);
    g.put_bytes(
        &format!("/drives/{d}/root:/gone.txt:/content"),
        b"g".to_vec(),
    )
    .await
    .expect(201);
    g.delete(&format!("/drives/{d}/root:/gone.txt"), &[])
        .await
        .expect(204);
    let delta = g.get(&format!("/drives/{d}/root/delta")).await.expect(200);
    let link = delta.body["@odata.deltaLink"].as_str().unwrap().to_string();
    let site = g.get("/sites/root").await.expect(200).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    g.post(
        &format!("/sites/{site}/permissions"),
        json!({"roles": ["write"], "grantedToIdentities": [{"application": {"id": "44444444-4444-4444-8444-444444444444"}}]}),
    )
    .await
    .expect(201);
    let session = g
        .post(
            &format!("/drives/{d}/root:/resume.bin:/createUploadSession"),
            json!({}),
        )
        .await
        .expect(200);
    let url = session.body["uploadUrl"].as_str().unwrap().to_string();
    let total = 2 * UNIT + 7;
    let big = data(total, 4);
    let resp = g
        .http
        .put(&url)
        .header("content-range", format!("bytes 0-{}/{total}", UNIT - 1))
        .body(big[..UNIT].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let tree_before = g.tree(&d).await;
    let old_base = g.base().to_string();
    let (http, token) = (g.http.clone(), g.token.clone());
    g.shutdown().await;

    let g2 = G::start_with(options).await;
    let g = g2.with_client(http, token);
    // The new emulator listens on another port: links keep their path and token.
    let link = link.replace(&old_base, g.base());
    let url = url.replace(&old_base, g.base());
    assert_eq!(g.adele_drive().await, d, "drive ids are stable");
    let again = g
        .get(&format!("/drives/{d}/root:/keep/me.bin"))
        .await
        .expect(200);
    assert_eq!(again.body["id"], file.body["id"]);
    assert_eq!(again.body["eTag"], file.body["eTag"]);
    assert_eq!(
        g.download(&format!("/drives/{d}/root:/keep/me.bin:/content"))
            .await,
        body
    );
    g.get(&format!("/drives/{d}/root:/gone.txt"))
        .await
        .expect(404);
    assert_eq!(g.tree(&d).await, tree_before);
    // The delta position is still valid and nothing changed.
    let idle = g.get(&link).await.expect(200);
    assert_eq!(idle.body["value"], json!([]));
    // The grant is still there.
    let grants = g
        .get(&format!("/sites/{site}/permissions"))
        .await
        .expect(200);
    assert_eq!(grants.body["value"].as_array().unwrap().len(), 1);
    // The upload session resumes where it was.
    let status = G::answer(g.http.get(&url).send().await.unwrap())
        .await
        .expect(200);
    assert_eq!(
        status.body["nextExpectedRanges"],
        json!([format!("{UNIT}-{}", total - 1)])
    );
    let resp = g
        .http
        .put(&url)
        .header(
            "content-range",
            format!("bytes {UNIT}-{}/{total}", total - 1),
        )
        .body(big[UNIT..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        g.download(&format!("/drives/{d}/root:/resume.bin:/content"))
            .await,
        big
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_library_reloads_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let g = G::start_with(options.clone()).await;
    let d = g.adele_drive().await;
    const N: usize = 100_000;
    {
        // Populate through the store API (what requests do, minus HTTP) to keep the test fast.
        let graph = &g.emu.state().graph;
        let mut store = graph.write();
        let root = store.drive(&d).unwrap().meta.root.clone();
        let folder = new_item("big", &root, &Identity::system(), None);
        let folder_id = folder.id.clone();
        store.put_item(&d, folder);
        for i in 0..N {
            store.put_item(
                &d,
                new_item(&format!("f{i:05}"), &folder_id, &Identity::system(), None),
            );
        }
    }
    let first = g
        .get(&format!("/drives/{d}/root:/big:/children?$top=1000"))
        .await
        .expect(200);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 1000);
    let (http, token) = (g.http.clone(), g.token.clone());
    g.shutdown().await;
    let g2 = G::start_with(options).await;
    let g = g2.with_client(http, token);
    let folder = g.get(&format!("/drives/{d}/root:/big")).await.expect(200);
    assert_eq!(folder.body["folder"]["childCount"], N as u64);
    // Page through all children.
    let mut url = format!("/drives/{d}/root:/big:/children?$top=5000");
    let mut count = 0;
    let mut last = String::new();
    loop {
        let page = g.get(&url).await.expect(200);
        for item in page.body["value"].as_array().unwrap() {
            let name = item["name"].as_str().unwrap().to_string();
            assert!(name > last, "names ascend");
            last = name;
            count += 1;
        }
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(count, N);
    // A full delta enumeration pages through all of it, then an idle delta is one request.
    let mut url = format!("/drives/{d}/root/delta?$top=10000");
    let mut seen = 0;
    let link = loop {
        let page = g.get(&url).await.expect(200);
        seen += page.body["value"].as_array().unwrap().len();
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break page.body["@odata.deltaLink"].as_str().unwrap().to_string(),
        }
    };
    assert_eq!(seen, N + 2, "every file, the folder and the root");
    let idle = g.get(&link).await.expect(200);
    assert_eq!(idle.body["value"].as_array().unwrap().len(), 0);
}
