//! Delta: full enumeration with paging, token=latest, changes (create, modify, rename, move,
//! delete), an idle delta costing one request, and 410 resync with a Location.

use crate::graph_support;

use std::collections::HashMap;

use graph_support::*;
use serde_json::{json, Value};

/// Follows nextLinks to the deltaLink; returns (items, deltaLink, requests made).
async fn drain(g: &G, first: &str) -> (Vec<Value>, String, usize) {
    let mut url = first.to_string();
    let mut items = Vec::new();
    let mut requests = 0;
    loop {
        let page = g.get(&url).await.expect(200);
        requests += 1;
        items.extend(page.body["value"].as_array().unwrap().iter().cloned());
        if let Some(next) = page.body["@odata.nextLink"].as_str() {
            assert!(page.body["@odata.deltaLink"].is_null());
            assert!(next.starts_with(g.base()));
            url = next.to_string();
        } else {
            let link = page.body["@odata.deltaLink"].as_str().unwrap().to_string();
            assert!(
                link.starts_with(g.base()) && link.contains("?token="),
                "{link}"
            );
            return (items, link, requests);
        }
    }
}

/// Last state per id (last wins).
fn by_id(items: &[Value]) -> HashMap<String, Value> {
    items
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

async fn request_count(g: &G) -> u64 {
    let v: Value = g
        .http
        .get(format!("{}/_emulator/requests", g.base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn delta_enumerates_pages_and_reports_every_kind_of_change() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    for path in [
        "a/one.txt",
        "a/two.txt",
        "b/three.txt",
        "four.txt",
        "a/sub/five.txt",
    ] {
        g.put_bytes(
            &format!("/drives/{d}/root:/{path}:/content"),
            path.as_bytes().to_vec(),
        )
        .await
        .expect(201);
    }
    // Full enumeration, 3 per page: root + 3 folders + 5 files = 9 items, parents first.
    let (items, link, requests) = drain(&g, &format!("/drives/{d}/root/delta?$top=3")).await;
    assert_eq!(requests, 3);
    assert_eq!(items.len(), 9);
    assert!(items[0]["root"].is_object());
    let mut seen = std::collections::HashSet::new();
    for item in &items {
        if let Some(parent) = item["parentReference"]["id"].as_str() {
            assert!(
                seen.contains(parent),
                "parent of {} not listed before it",
                item["name"]
            );
            assert!(
                item["parentReference"]["path"].is_null(),
                "delta leaves path out"
            );
        }
        seen.insert(item["id"].as_str().unwrap().to_string());
    }
    let ids: HashMap<String, String> = items
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // Nothing changed: one request, empty page, same position.
    let before = request_count(&g).await;
    let idle = g.get(&link).await.expect(200);
    assert_eq!(idle.body["value"], json!([]));
    assert!(idle.body["@odata.nextLink"].is_null());
    let idle_link = idle.body["@odata.deltaLink"].as_str().unwrap().to_string();
    assert_eq!(request_count(&g).await - before, 1);

    // Changes: create, modify, rename, move, delete (a folder with content).
    g.put_bytes(
        &format!("/drives/{d}/root:/new.txt:/content"),
        b"n".to_vec(),
    )
    .await
    .expect(201);
    g.put_bytes(
        &format!("/drives/{d}/root:/four.txt:/content"),
        b"4!".to_vec(),
    )
    .await
    .expect(200);
    g.patch(
        &format!("/drives/{d}/items/{}", ids["one.txt"]),
        json!({"name": "uno.txt"}),
        &[],
    )
    .await
    .expect(200);
    g.patch(
        &format!("/drives/{d}/items/{}", ids["two.txt"]),
        json!({"parentReference": {"id": ids["b"]}}),
        &[],
    )
    .await
    .expect(200);
    g.delete(&format!("/drives/{d}/items/{}", ids["sub"]), &[])
        .await
        .expect(204);
    let (changes, next_link, _) = drain(&g, &idle_link).await;
    let last = by_id(&changes);
    let created = changes.iter().find(|c| c["name"] == "new.txt").unwrap();
    assert!(created["file"].is_object());
    assert_eq!(last[&ids["four.txt"]]["size"], 2);
    assert!(
        last[&ids["four.txt"]]["cTag"].is_null(),
        "business omits cTag in delta"
    );
    assert_eq!(last[&ids["one.txt"]]["name"], "uno.txt");
    assert_eq!(
        last[&ids["two.txt"]]["parentReference"]["id"],
        ids["b"].as_str()
    );
    for gone in ["sub", "five.txt"] {
        let t = &last[&ids[gone]];
        assert!(t["deleted"].is_object(), "{gone}: {t:#}");
        assert!(t["name"].is_null(), "deleted items carry no name");
    }
    assert!(
        !last.contains_key(&ids["three.txt"]),
        "unchanged items are not reported"
    );

    // token=latest: empty page and a link that reports only later changes.
    let latest = g
        .get(&format!("/drives/{d}/root/delta?token=latest"))
        .await
        .expect(200);
    assert_eq!(latest.body["value"], json!([]));
    let latest_link = latest.body["@odata.deltaLink"]
        .as_str()
        .unwrap()
        .to_string();
    g.put_bytes(
        &format!("/drives/{d}/root:/later.txt:/content"),
        b"l".to_vec(),
    )
    .await
    .expect(201);
    let (after, _, _) = drain(&g, &latest_link).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["name"], "later.txt");
    let (same, _, _) = drain(&g, &next_link).await;
    assert_eq!(
        same.len(),
        1,
        "the earlier link sees the same single change"
    );
}

#[tokio::test]
async fn expired_or_unknown_tokens_answer_410_with_a_fresh_link() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    g.put_bytes(&format!("/drives/{d}/root:/x.txt:/content"), b"x".to_vec())
        .await
        .expect(201);
    let (_, link, _) = drain(&g, &format!("/drives/{d}/root/delta")).await;
    let garbage = g
        .get(&format!("/drives/{d}/root/delta?token=bogus"))
        .await
        .expect(410);
    assert_eq!(
        garbage.codes(),
        (
            "resyncRequired".into(),
            "resyncChangesApplyDifferences".into()
        )
    );
    let location = garbage.header("location").unwrap();
    assert_eq!(location, format!("{}/v1.0/drives/{d}/root/delta", g.base()));
    // A token of another drive is refused too.
    let megan = g.get(&format!("/users/{MEGAN}/drive")).await.expect(200);
    let other = megan.body["id"].as_str().unwrap();
    let token = link.split("token=").nth(1).unwrap();
    g.get(&format!("/drives/{other}/root/delta?token={token}"))
        .await
        .expect(410);
    // Expire every token of the drive: 410, and the Location enumerates afresh.
    let r = g
        .http
        .post(format!("{}/_emulator/drives/{d}/expire-delta", g.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let expired = g.get(&link).await.expect(410);
    let fresh = expired.header("location").unwrap();
    let (items, new_link, _) = drain(&g, &fresh).await;
    assert_eq!(items.len(), 2);
    g.get(&new_link).await.expect(200);
    // The function form of the token works as well.
    let token = new_link.split("token=").nth(1).unwrap();
    g.get(&format!("/drives/{d}/root/delta(token='{token}')"))
        .await
        .expect(200);
    // Delta is a root-only operation on business drives.
    g.put_bytes(
        &format!("/drives/{d}/root:/f/y.txt:/content"),
        b"y".to_vec(),
    )
    .await
    .expect(201);
    g.get(&format!("/drives/{d}/root:/f:/delta"))
        .await
        .expect(400);
}
