//! Permissions: application roles vs delegated scopes, read-only roles, Sites.Selected grants
//! through `POST /sites/{id}/permissions`.

use crate::graph_support;

use graph_support::*;
use reqwest::Method;
use serde_json::json;

const SELECTED_APP: &str = "44444444-4444-4444-8444-444444444444";

#[tokio::test]
async fn sites_selected_gives_nothing_until_granted() {
    let g = G::start().await;
    let site = g
        .get("/sites/contoso.sharepoint.com:/sites/Finance")
        .await
        .expect(200)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sel = g.app_token(SELECTED_APP, &["Sites.Selected"]);
    let children = format!("/sites/{site}/drive/root/children");
    let upload = format!("/sites/{site}/drive/root:/granted.txt:/content");
    let denied = g
        .req(Method::GET, &children, Some(&sel), None, &[])
        .await
        .expect(403);
    assert_eq!(denied.codes().0, "accessDenied");
    g.req(
        Method::GET,
        &format!("/users/{ADELE}/drive"),
        Some(&sel),
        None,
        &[],
    )
    .await
    .expect(403);
    // The app cannot grant itself.
    let grant = |roles: &[&str]| json!({"roles": roles, "grantedToIdentities": [{"application": {"id": SELECTED_APP, "displayName": "selected"}}]});
    g.req(
        Method::POST,
        &format!("/sites/{site}/permissions"),
        Some(&sel),
        Some(grant(&["write"])),
        &[],
    )
    .await
    .expect(403);
    // Read grant: reads work, writes do not.
    let read = g
        .post(&format!("/sites/{site}/permissions"), grant(&["read"]))
        .await
        .expect(201);
    assert_eq!(read.body["roles"], json!(["read"]));
    assert_eq!(
        read.body["grantedToIdentities"][0]["application"]["id"],
        SELECTED_APP
    );
    g.req(Method::GET, &children, Some(&sel), None, &[])
        .await
        .expect(200);
    let put = |token: String| {
        let g = &g;
        let upload = upload.clone();
        async move {
            G::answer(
                g.http
                    .put(g.url(&upload))
                    .bearer_auth(token)
                    .body("x")
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    put(sel.clone()).await.expect(403);
    // Write grant (same permission, updated).
    let write = g
        .post(&format!("/sites/{site}/permissions"), grant(&["write"]))
        .await
        .expect(201);
    assert_eq!(write.body["id"], read.body["id"]);
    put(sel.clone()).await.expect(201);
    // Only the granted site is visible.
    let root_site = g.get("/sites/root").await.expect(200).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    g.req(
        Method::GET,
        &format!("/sites/{root_site}/drive/root"),
        Some(&sel),
        None,
        &[],
    )
    .await
    .expect(403);
    let search = g
        .req(Method::GET, "/sites?search=*", Some(&sel), None, &[])
        .await
        .expect(200);
    assert_eq!(search.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(search.body["value"][0]["id"], site.as_str());
    // Revoking takes the access away again.
    let list = g
        .get(&format!("/sites/{site}/permissions"))
        .await
        .expect(200);
    let pid = list.body["value"][0]["id"].as_str().unwrap().to_string();
    g.delete(&format!("/sites/{site}/permissions/{pid}"), &[])
        .await
        .expect(204);
    g.req(Method::GET, &children, Some(&sel), None, &[])
        .await
        .expect(403);
}

#[tokio::test]
async fn read_roles_and_delegated_scopes_are_enforced() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    g.put_bytes(&format!("/drives/{d}/root:/r.txt:/content"), b"r".to_vec())
        .await
        .expect(201);
    let reader = g.app_token(APP, &["Files.Read.All"]);
    g.req(
        Method::GET,
        &format!("/drives/{d}/root:/r.txt"),
        Some(&reader),
        None,
        &[],
    )
    .await
    .expect(200);
    for (method, path, body) in [
        (
            Method::POST,
            format!("/drives/{d}/root/children"),
            Some(json!({"name": "n", "folder": {}})),
        ),
        (Method::DELETE, format!("/drives/{d}/root:/r.txt"), None),
        (
            Method::PATCH,
            format!("/drives/{d}/root:/r.txt"),
            Some(json!({"name": "s.txt"})),
        ),
        (
            Method::POST,
            format!("/drives/{d}/root:/r.txt:/createUploadSession"),
            Some(json!({})),
        ),
    ] {
        let a = g.req(method.clone(), &path, Some(&reader), body, &[]).await;
        assert_eq!(a.status, 403, "{method} {path}: {:#}", a.body);
    }
    // A token without roles or scopes is refused.
    let empty = g.app_token(APP, &[]);
    g.req(Method::GET, "/sites/root", Some(&empty), None, &[])
        .await
        .expect(401);

    // Delegated Files.ReadWrite: the user's own drive only.
    let own = g.user_token(ADELE, ADELE_ID, "Files.ReadWrite User.Read");
    g.req(
        Method::POST,
        "/me/drive/root/children",
        Some(&own),
        Some(json!({"name": "mine", "folder": {}})),
        &[],
    )
    .await
    .expect(201);
    g.req(
        Method::GET,
        &format!("/users/{MEGAN}/drive/root/children"),
        Some(&own),
        None,
        &[],
    )
    .await
    .expect(403);
    g.req(Method::GET, "/sites/root/drive/root", Some(&own), None, &[])
        .await
        .expect(403);
    let created = g.get(&format!("/drives/{d}/root:/mine")).await.expect(200);
    assert_eq!(created.body["createdBy"]["user"]["email"], ADELE);
    // Delegated Sites.ReadWrite.All reaches site libraries.
    let all = g.user_token(ADELE, ADELE_ID, "Sites.ReadWrite.All");
    g.req(
        Method::GET,
        "/sites/root/drive/root/children",
        Some(&all),
        None,
        &[],
    )
    .await
    .expect(200);
    // App-only items record the application.
    let app_made = g.get(&format!("/drives/{d}/root:/r.txt")).await.expect(200);
    assert_eq!(app_made.body["createdBy"]["application"]["id"], APP);
}

#[tokio::test]
async fn tokens_from_the_emulators_token_endpoint_are_accepted() {
    let g = G::start().await;
    let resp = g
        .http
        .post(format!("{}/oauth2/v2.0/token", g.emu.authority()))
        .form(&[
            ("client_id", APP),
            ("client_secret", "emulator-client-secret"),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let drive = g
        .req(
            Method::GET,
            &format!("/users/{ADELE}/drive"),
            Some(token),
            None,
            &[],
        )
        .await
        .expect(200);
    assert!(drive.body["id"].as_str().unwrap().starts_with("b!"));
    let me = g
        .req(Method::GET, "/me/drive", Some(token), None, &[])
        .await
        .expect(400);
    assert_eq!(me.codes().0, "BadRequest");
}
