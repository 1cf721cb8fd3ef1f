//! Graph addressing, items, special-character names, children paging, folders, PATCH/DELETE
//! with If-Match, simple-upload conflict behaviours, and token checks — over HTTPS.

use crate::graph_support;

use graph_support::*;
use reqwest::Method;
use serde_json::json;

fn enc(s: &str) -> String {
    // Each segment on its own, as clients must.
    s.split('/')
        .map(|seg| {
            percent_encoding::utf8_percent_encode(seg, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn drives_and_sites_are_addressable_every_documented_way() {
    let g = G::start().await;
    let drive = g.get(&format!("/users/{ADELE}/drive")).await.expect(200);
    let id = drive.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("b!"));
    assert_eq!(drive.body["driveType"], "business");
    assert_eq!(drive.body["owner"]["user"]["email"], ADELE);
    assert!(drive.body["quota"]["total"].as_u64().unwrap() > 0);
    assert!(drive.headers.contains_key("request-id"));
    g.get(&format!("/users/{ADELE_ID}/drive")).await.expect(200);
    assert_eq!(
        g.get(&format!("/drives/{id}")).await.expect(200).body["id"],
        id.as_str()
    );
    assert_eq!(
        g.get(&format!("/users/{ADELE}/drives"))
            .await
            .expect(200)
            .body["value"][0]["id"],
        id.as_str()
    );
    g.get(&format!("/beta/drives/{id}").replace("/beta", ""))
        .await
        .expect(200);
    let beta = g
        .http
        .get(format!("{}/beta/drives/{id}/root", g.base()))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(beta.status(), 200);

    // /me needs a delegated token.
    let me = g.get("/me/drive").await.expect(400);
    assert_eq!(me.codes().0, "BadRequest");
    assert_eq!(
        me.body["error"]["message"],
        "/me request is only valid with delegated authentication flow."
    );
    let user = g.user_token(ADELE, ADELE_ID, "Files.ReadWrite.All User.Read");
    let mine = g
        .req(Method::GET, "/me/drive", Some(&user), None, &[])
        .await
        .expect(200);
    assert_eq!(mine.body["id"], id.as_str());
    let me = g
        .req(Method::GET, "/me", Some(&user), None, &[])
        .await
        .expect(200);
    assert_eq!(me.body["userPrincipalName"], ADELE);

    // Sites: root, by path, chained, by id, search.
    let root = g.get("/sites/root").await.expect(200);
    assert!(root.body["root"].is_object());
    let fin = g
        .get("/sites/contoso.sharepoint.com:/sites/Finance")
        .await
        .expect(200);
    let site_id = fin.body["id"].as_str().unwrap().to_string();
    assert_eq!(site_id.split(',').count(), 3);
    assert_eq!(fin.body["displayName"], "Finance");
    let libs = g
        .get("/sites/contoso.sharepoint.com:/sites/Finance:/drives")
        .await
        .expect(200);
    let names: Vec<&str> = libs.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Documents", "Invoices"]);
    assert!(libs.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["driveType"] == "documentLibrary"));
    let default = g.get(&format!("/sites/{site_id}/drive")).await.expect(200);
    assert_eq!(default.body["name"], "Documents");
    g.get(&format!("/sites/{site_id}/drive/root:/"))
        .await
        .expect(200);
    let collection = site_id.split(',').nth(1).unwrap();
    assert_eq!(
        g.get(&format!("/sites/{collection}"))
            .await
            .expect(200)
            .body["id"],
        site_id.as_str()
    );
    assert!(g
        .get("/sites/contoso.sharepoint.com")
        .await
        .expect(200)
        .body["root"]
        .is_object());
    let found = g.get("/sites?search=fin").await.expect(200);
    assert_eq!(found.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["value"][0]["id"], site_id.as_str());
    g.get("/sites/contoso.sharepoint.com:/sites/Nope")
        .await
        .expect(404);
    g.get("/groups/abc/drive").await.expect(404);
    let unknown = g.get("/drives/b!nope").await.expect(404);
    assert_eq!(unknown.codes().0, "itemNotFound");
    g.get("/nonsense/path").await.expect(400);
}

#[tokio::test]
async fn tokens_are_checked() {
    let g = G::start().await;
    let none = g
        .req(
            Method::GET,
            &format!("/users/{ADELE}/drive"),
            None,
            None,
            &[],
        )
        .await
        .expect(401);
    assert_eq!(none.codes().0, "InvalidAuthenticationToken");
    assert_eq!(none.body["error"]["message"], "Access token is empty.");
    assert!(none
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    assert!(none.body["error"]["innerError"]["request-id"].is_string());
    let expired = g.expired_token();
    let old = g
        .req(Method::GET, "/sites/root", Some(&expired), None, &[])
        .await
        .expect(401);
    assert_eq!(
        old.body["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    g.req(Method::GET, "/sites/root", Some("not.a.jwt"), None, &[])
        .await
        .expect(401);
}

#[tokio::test]
async fn names_with_special_characters_round_trip() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let names = [
        "a b.txt",
        "100% #1.txt",
        "it's & more.txt",
        "Ünïcødé ✓ 日本.txt",
        "semi;colon=plus+.txt",
    ];
    for (i, name) in names.iter().enumerate() {
        let path = format!("/drives/{d}/root:/x y/{}:/content", enc(name));
        let created = g
            .put_bytes(&path, format!("body {i}").into_bytes())
            .await
            .expect(201);
        assert_eq!(created.body["name"], *name);
        assert_eq!(
            created.body["parentReference"]["path"],
            format!("/drives/{d}/root:/x%20y")
        );
        let got = g
            .get(&format!("/drives/{d}/root:/x y/{}", enc(name)))
            .await
            .expect(200);
        assert_eq!(got.body["id"], created.body["id"]);
        assert_eq!(
            g.download(&format!(
                "/drives/{d}/items/{}/content",
                got.body["id"].as_str().unwrap()
            ))
            .await,
            format!("body {i}").into_bytes()
        );
        // The other documented form: items/{parent}:/{name}:/content.
        let parent = created.body["parentReference"]["id"].as_str().unwrap();
        let again = g
            .put_bytes(
                &format!("/drives/{d}/items/{parent}:/{}:/content", enc(name)),
                b"v2".to_vec(),
            )
            .await
            .expect(200);
        assert_eq!(again.body["id"], created.body["id"]);
    }
    let list = g
        .get(&format!("/drives/{d}/root:/x y:/children"))
        .await
        .expect(200);
    let mut listed: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    listed.sort();
    let mut want = names.to_vec();
    want.sort();
    assert_eq!(listed, want);
    // Illegal names are refused with a clear error, not misrouted.
    for bad in ["what?.txt", "a:b.txt", "trailing."] {
        let r = g
            .put_bytes(&format!("/drives/{d}/root:/{}:/content", enc(bad)), vec![1])
            .await
            .expect(400);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not valid"),
            "{:#}",
            r.body
        );
    }
    // An SDK that encodes the whole item id (`root:/x:`) as one segment works too.
    let sdk = g
        .get(&format!("/drives/{d}/items/root%3A%2Fx%20y%2Fa%20b.txt%3A"))
        .await
        .expect(200);
    assert_eq!(sdk.body["name"], "a b.txt");
}

#[tokio::test]
async fn children_page_with_absolute_next_links() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    for i in 0..25 {
        g.put_bytes(
            &format!("/drives/{d}/root:/many/f{i:02}.txt:/content"),
            vec![i as u8],
        )
        .await
        .expect(201);
    }
    let mut names = Vec::new();
    let mut url = format!("/drives/{d}/root:/many:/children?$top=10");
    let mut pages = 0;
    loop {
        let page = g.get(&url).await.expect(200);
        pages += 1;
        for item in page.body["value"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_string());
            assert!(item["file"]["hashes"]["quickXorHash"].is_string());
            assert!(item["@microsoft.graph.downloadUrl"].is_string());
        }
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(g.base()), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..25).map(|i| format!("f{i:02}.txt")).collect();
    assert_eq!(names, want);
    // Descending order, and the settings' default page size.
    let desc = g
        .get(&format!(
            "/drives/{d}/root:/many:/children?$orderby=name%20desc&$top=3"
        ))
        .await
        .expect(200);
    assert_eq!(desc.body["value"][0]["name"], "f24.txt");
    let resp = g
        .http
        .put(format!("{}/_emulator/settings", g.base()))
        .json(&json!({"page_size": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let first = g
        .get(&format!("/drives/{d}/root:/many:/children"))
        .await
        .expect(200);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 7);
    let folder = g.get(&format!("/drives/{d}/root:/many")).await.expect(200);
    assert_eq!(folder.body["folder"]["childCount"], 25);
    assert_eq!(folder.body["size"], 25);
}

#[tokio::test]
async fn folders_moves_deletes_and_conflicts() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let make = |name: &str, behaviour: &str| json!({"name": name, "folder": {}, "@microsoft.graph.conflictBehavior": behaviour});
    let f = g
        .post(&format!("/drives/{d}/root/children"), make("F", "fail"))
        .await
        .expect(201);
    assert_eq!(f.body["folder"]["childCount"], 0);
    let clash = g
        .post(&format!("/drives/{d}/root/children"), make("f", "fail"))
        .await
        .expect(409);
    assert_eq!(clash.codes().0, "nameAlreadyExists");
    let renamed = g
        .post(&format!("/drives/{d}/root/children"), make("F", "rename"))
        .await
        .expect(201);
    assert_eq!(renamed.body["name"], "F 1");
    let kept = g
        .post(&format!("/drives/{d}/root/children"), make("F", "replace"))
        .await
        .expect(201);
    assert_eq!(
        kept.body["id"], f.body["id"],
        "replace keeps an existing folder"
    );
    let fid = f.body["id"].as_str().unwrap().to_string();
    g.put_bytes(
        &format!("/drives/{d}/items/{fid}:/a.txt:/content"),
        b"abc".to_vec(),
    )
    .await
    .expect(201);

    // Simple upload conflict behaviours.
    let file = format!("/drives/{d}/root:/F/a.txt:/content");
    let fail = g
        .put_bytes(
            &format!("{file}?@microsoft.graph.conflictBehavior=fail"),
            b"x".to_vec(),
        )
        .await
        .expect(409);
    assert_eq!(fail.codes().0, "nameAlreadyExists");
    let ren = g
        .put_bytes(
            &format!("{file}?@microsoft.graph.conflictBehavior=rename"),
            b"x".to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(ren.body["name"], "a 1.txt");
    let before = g
        .get(&format!("/drives/{d}/root:/F/a.txt"))
        .await
        .expect(200);
    let rep = g.put_bytes(&file, b"replaced".to_vec()).await.expect(200);
    assert_eq!(rep.body["id"], before.body["id"]);
    assert_ne!(rep.body["eTag"], before.body["eTag"]);
    assert_ne!(rep.body["cTag"], before.body["cTag"]);
    let empty = g
        .put_bytes(
            &format!("/drives/{d}/root:/deep/er/empty.bin:/content"),
            Vec::new(),
        )
        .await
        .expect(201);
    assert_eq!(empty.body["size"], 0);
    assert_eq!(
        empty.body["file"]["hashes"]["quickXorHash"],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    );
    g.get(&format!("/drives/{d}/root:/deep/er"))
        .await
        .expect(200);

    // PATCH: rename + move with If-Match.
    let a = g
        .get(&format!("/drives/{d}/root:/F/a.txt"))
        .await
        .expect(200);
    let aid = a.body["id"].as_str().unwrap().to_string();
    let etag = a.body["eTag"].as_str().unwrap().to_string();
    assert!(etag.starts_with("\"{") && etag.ends_with(",2\""), "{etag}");
    let target = renamed.body["id"].as_str().unwrap();
    let stale = g
        .patch(
            &format!("/drives/{d}/items/{aid}"),
            json!({"name": "b.txt"}),
            &[("if-match", "\"{00000000-0000-0000-0000-000000000000},1\"")],
        )
        .await
        .expect(412);
    assert_eq!(stale.status, 412);
    let moved = g
        .patch(
            &format!("/drives/{d}/items/{aid}"),
            json!({"name": "b.txt", "parentReference": {"id": target}}),
            &[("if-match", &etag)],
        )
        .await
        .expect(200);
    assert_eq!(moved.body["name"], "b.txt");
    assert_eq!(moved.body["parentReference"]["id"], target);
    assert_eq!(
        moved.body["parentReference"]["path"],
        format!("/drives/{d}/root:/F%201")
    );
    g.get(&format!("/drives/{d}/root:/F/a.txt"))
        .await
        .expect(404);
    // Name clash on move, move into itself, across drives.
    g.put_bytes(
        &format!("/drives/{d}/root:/F 1/c.txt:/content"),
        b"c".to_vec(),
    )
    .await
    .expect(201);
    let clash = g
        .patch(
            &format!("/drives/{d}/items/{aid}"),
            json!({"name": "C.TXT"}),
            &[],
        )
        .await
        .expect(409);
    assert_eq!(clash.codes().0, "nameAlreadyExists");
    g.patch(
        &format!("/drives/{d}/items/{fid}"),
        json!({"parentReference": {"id": fid}}),
        &[],
    )
    .await
    .expect(400);
    let other = g
        .get(&format!("/users/{MEGAN}/drive"))
        .await
        .expect(200)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let across = g
        .patch(
            &format!("/drives/{d}/items/{aid}"),
            json!({"parentReference": {"driveId": other, "id": "x"}}),
            &[],
        )
        .await
        .expect(400);
    assert!(across.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("across drives"));
    // fileSystemInfo is client-settable.
    let fsi = g
        .patch(
            &format!("/drives/{d}/items/{aid}"),
            json!({"fileSystemInfo": {"lastModifiedDateTime": "2020-01-02T03:04:05Z"}}),
            &[],
        )
        .await
        .expect(200);
    assert_eq!(
        fsi.body["fileSystemInfo"]["lastModifiedDateTime"],
        "2020-01-02T03:04:05Z"
    );

    // DELETE with If-Match.
    let cur = fsi.body["eTag"].as_str().unwrap().to_string();
    g.delete(&format!("/drives/{d}/items/{aid}"), &[("if-match", &etag)])
        .await
        .expect(412);
    g.delete(&format!("/drives/{d}/items/{aid}"), &[("if-match", &cur)])
        .await
        .expect(204);
    g.get(&format!("/drives/{d}/items/{aid}")).await.expect(404);
    // Deleting a folder removes its subtree.
    g.delete(&format!("/drives/{d}/items/{fid}"), &[])
        .await
        .expect(204);
    let paths = g.paths(&d).await;
    assert!(paths.iter().all(|p| !p.starts_with("/F/")), "{paths:?}");
    g.delete(&format!("/drives/{d}/root"), &[])
        .await
        .expect(403);
}
