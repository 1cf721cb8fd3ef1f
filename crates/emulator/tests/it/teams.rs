//! The emulator's Teams endpoints over HTTPS with tokens from its real device flow and client
//! credentials: discovery, URL-encoded channel ids, Graph's exact 401/403 bodies, message
//! shapes, chats, throttling with `Retry-After`, the admin view and page, persistence.

use crate::teams_support;

use graphlink_emulator::{EmulatorOptions, Seed};
use serde_json::{json, Value};
use teams_support::*;

const ALL: &str = "User.Read Files.ReadWrite.All ChannelMessage.Send ChatMessage.Send Team.ReadBasic.All Channel.ReadBasic.All Chat.ReadWrite";

#[tokio::test]
async fn discovery_with_encoded_channel_ids_and_the_primary_channel() {
    let t = T::start().await;
    let adele = t.user_token(ADELE, ALL).await;

    let teams = t.get("/me/joinedTeams", &adele).await.expect(200).body;
    let names: Vec<&str> = teams["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Finance", "Operations"]);
    let same = t
        .get(&format!("/users/{ADELE}/joinedTeams"), &adele)
        .await
        .expect(200)
        .body;
    assert_eq!(same["value"].as_array().unwrap().len(), 2);

    let team = t
        .get(&format!("/teams/{FINANCE}"), &adele)
        .await
        .expect(200)
        .body;
    assert_eq!(team["displayName"], "Finance");

    let channels = t
        .get(&format!("/teams/{FINANCE}/channels"), &adele)
        .await
        .expect(200)
        .body;
    let channels = channels["value"].as_array().unwrap();
    assert_eq!(channels.len(), 3);
    for c in channels {
        let id = c["id"].as_str().unwrap();
        assert!(
            id.starts_with("19:") && id.ends_with("@thread.tacv2"),
            "{id}"
        );
        assert_eq!(c["membershipType"], "standard");
    }
    let primary = t
        .get(&format!("/teams/{FINANCE}/primaryChannel"), &adele)
        .await
        .expect(200)
        .body;
    assert_eq!(primary["id"], FINANCE_GENERAL);
    let by_encoded_id = t
        .get(
            &format!("/teams/{FINANCE}/channels/{}", enc(OPS_ALERTS)),
            &adele,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_encoded_id["displayName"], "Ops Alerts");
    let beta = t
        .get(
            &format!("/beta/teams/{FINANCE}/channels/{OPS_ALERTS}"),
            &adele,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(beta["id"], OPS_ALERTS);

    let missing = t
        .get(
            &format!(
                "/teams/{FINANCE}/channels/{}",
                enc("19:00000000000000000000000000000000@thread.tacv2")
            ),
            &adele,
        )
        .await
        .expect(404);
    assert_eq!(missing.body["error"]["code"], "NotFound");
    assert!(missing.header("request-id").is_some());

    // The Graph side's routes still answer next to the Teams routes.
    t.get("/me/drive", &adele).await.expect(200);
    t.get("/me", &adele).await.expect(200);
}

#[tokio::test]
async fn app_only_and_missing_scopes_get_graphs_exact_answers() {
    let t = T::start().await;
    let app = t.app_token().await;
    let body = json!({"body": {"content": "hello"}});

    let refused = t
        .post(
            &format!("/teams/{FINANCE}/channels/{}/messages", enc(OPS_ALERTS)),
            &app,
            body.clone(),
        )
        .await
        .expect(401);
    assert_eq!(refused.body["error"]["code"], "Unauthorized");
    assert_eq!(
        refused.body["error"]["message"],
        "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details."
    );
    assert!(refused.body["error"]["innerError"]["request-id"].is_string());
    let chat_refused = t
        .post("/chats/19:abc@thread.v2/messages", &app, body.clone())
        .await
        .expect(401);
    assert_eq!(chat_refused.body["error"]["code"], "Unauthorized");

    // /me with an app-only token, and an app without Teams roles.
    let me = t.get("/me/joinedTeams", &app).await.expect(400);
    assert_eq!(me.body["error"]["code"], "BadRequest");
    let no_role = t
        .get(&format!("/users/{ADELE}/joinedTeams"), &app)
        .await
        .expect(403);
    assert_eq!(no_role.body["error"]["code"], "Forbidden");

    // A delegated token without ChannelMessage.Send.
    let reader = t.user_token(ADELE, "User.Read Team.ReadBasic.All").await;
    let denied = t
        .post(
            &format!("/teams/{FINANCE}/channels/{}/messages", enc(OPS_ALERTS)),
            &reader,
            body,
        )
        .await
        .expect(403);
    assert_eq!(denied.body["error"]["code"], "Forbidden");
    let message = denied.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("ChannelMessage.Send"), "{message}");
    t.get(&format!("/teams/{FINANCE}/channels"), &reader)
        .await
        .expect(403);
}

#[tokio::test]
async fn messages_replies_mentions_cards_and_the_page() {
    let t = T::start().await;
    t.settings(json!({"channel_post_rate_per_sec": 0})).await;
    let adele = t.user_token(ADELE, ALL).await;
    let path = format!("/teams/{FINANCE}/channels/{}/messages", enc(OPS_ALERTS));

    let root = t
        .post(&path, &adele, json!({"subject": "Nightly", "body": {"contentType": "text", "content": "Upload done\n3 files"}}))
        .await
        .expect(201)
        .body;
    let id = root["id"].as_str().unwrap().to_string();
    assert!(id.parse::<u64>().is_ok(), "{id}");
    assert_eq!(root["messageType"], "message");
    assert_eq!(root["replyToId"], Value::Null);
    assert_eq!(root["etag"], root["id"]);
    assert_eq!(root["channelIdentity"]["teamId"], FINANCE);
    assert_eq!(root["channelIdentity"]["channelId"], OPS_ALERTS);
    assert_eq!(root["from"]["user"]["id"], ADELE_ID);
    assert_eq!(root["from"]["user"]["displayName"], "Adele Vance");
    assert_eq!(root["from"]["user"]["userIdentityType"], "aadUser");
    assert_eq!(root["importance"], "normal");
    assert!(root["createdDateTime"].as_str().unwrap().ends_with('Z'));
    assert!(root["webUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://teams.microsoft.com/l/message/19%3A"));

    let card = json!({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "Failed: <b>a.txt</b>"}]});
    let reply = t
        .post(
            &format!("{path}/{id}/replies"),
            &adele,
            json!({
                "importance": "high",
                "body": {"contentType": "html", "content": "<at id=\"0\">Megan Bowen</at> see <attachment id=\"card1\"></attachment><script>alert(1)</script>"},
                "mentions": [{"id": 0, "mentionText": "Megan Bowen", "mentioned": {"user": {"id": MEGAN_ID, "displayName": "Megan Bowen", "userIdentityType": "aadUser"}}}],
                "attachments": [{"id": "card1", "contentType": "application/vnd.microsoft.card.adaptive", "content": card.to_string()}],
            }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(reply["replyToId"], id.as_str());
    assert_eq!(reply["mentions"][0]["mentioned"]["user"]["id"], MEGAN_ID);
    assert_eq!(
        reply["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );

    // A mention without its <at> tag, and an attachment the body does not reference.
    t.post(
        &path,
        &adele,
        json!({"body": {"contentType": "html", "content": "hi"},
               "mentions": [{"id": 0, "mentionText": "M", "mentioned": {"user": {"id": MEGAN_ID}}}]}),
    )
    .await
    .expect(400);
    t.post(
        &path,
        &adele,
        json!({"body": {"contentType": "html", "content": "hi"},
               "attachments": [{"id": "x", "contentType": "application/vnd.microsoft.card.adaptive", "content": "{}"}]}),
    )
    .await
    .expect(400);
    t.post(
        &format!("{path}/1/replies"),
        &adele,
        json!({"body": {"content": "x"}}),
    )
    .await
    .expect(404);

    let posted = t.posted().await;
    let msgs = channel_messages(&posted, "Finance", "Ops Alerts");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["subject"], "Nightly");
    assert_eq!(msgs[0]["replies"][0]["id"], reply["id"]);

    let page = t
        .http
        .get(format!("{}/_emulator/ui/teams", t.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<span class=\"mention\">Megan Bowen</span>"),
        "{page}"
    );
    assert!(page.contains("Upload done<br>3 files"));
    assert!(page.contains("Failed: &lt;b&gt;a.txt&lt;/b&gt;"));
    assert!(!page.contains("alert(1)"));
    assert!(page.contains("Ops Alerts"));
    let index = t
        .http
        .get(format!("{}/_emulator/ui", t.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("/_emulator/ui/teams"));
    let refreshing = t
        .http
        .get(format!("{}/_emulator/ui/teams?refresh=5", t.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refreshing.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
}

#[tokio::test]
async fn chats_are_created_once_listed_with_members_and_posted_to() {
    let t = T::start().await;
    let adele = t.user_token(ADELE, ALL).await;
    let member = |who: &str| {
        json!({"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": ["owner"],
               "user@odata.bind": format!("https://graph.microsoft.com/v1.0/users('{who}')")})
    };
    let first = t
        .post(
            "/chats",
            &adele,
            json!({"chatType": "oneOnOne", "members": [member(ADELE), member(MEGAN_ID)]}),
        )
        .await
        .expect(201)
        .body;
    let id = first["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("19:") && id.ends_with("@thread.v2"), "{id}");
    let again = t
        .post(
            "/chats",
            &adele,
            json!({"chatType": "oneOnOne", "members": [member(MEGAN), member(ADELE_ID)]}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(again["id"], id.as_str());
    let group = t
        .post(
            "/chats",
            &adele,
            json!({"chatType": "group", "topic": "Ops", "members": [member(ADELE), member(MEGAN)]}),
        )
        .await
        .expect(201)
        .body;
    assert_ne!(group["id"], id.as_str());
    t.post("/chats", &adele, json!({"chatType": "oneOnOne", "members": [member(MEGAN), member("nobody@contoso.onmicrosoft.com")]}))
        .await
        .expect(404);
    t.post(
        "/chats",
        &adele,
        json!({"chatType": "oneOnOne", "members": [member(ADELE)]}),
    )
    .await
    .expect(400);

    let chats = t
        .get("/me/chats?$expand=members", &adele)
        .await
        .expect(200)
        .body;
    let chats = chats["value"].as_array().unwrap();
    assert_eq!(chats.len(), 2);
    let one = chats.iter().find(|c| c["id"] == id.as_str()).unwrap();
    let emails: Vec<&str> = one["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&ADELE) && emails.contains(&MEGAN),
        "{emails:?}"
    );
    let plain = t.get("/me/chats", &adele).await.expect(200).body;
    assert!(plain["value"][0].get("members").is_none());
    let members = t
        .get(&format!("/chats/{}/members", enc(&id)), &adele)
        .await
        .expect(200)
        .body;
    assert_eq!(members["value"].as_array().unwrap().len(), 2);

    let sent = t
        .post(
            &format!("/chats/{}/messages", enc(&id)),
            &adele,
            json!({"body": {"content": "ping"}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(sent["chatId"], id.as_str());
    assert_eq!(sent["channelIdentity"], Value::Null);
    let listed = t
        .get(&format!("/chats/{}/messages", enc(&id)), &adele)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["value"][0]["id"], sent["id"]);

    // Megan sees the chat; nobody else's token can post to it.
    let megan = t.user_token(MEGAN, ALL).await;
    let hers = t.get("/me/chats", &megan).await.expect(200).body;
    assert!(hers["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id.as_str()));
}

#[tokio::test]
async fn channel_posts_beyond_the_rate_get_429_with_retry_after() {
    let t = T::start().await;
    t.settings(json!({"channel_post_rate_per_sec": 1.0, "channel_post_burst": 2}))
        .await;
    let adele = t.user_token(ADELE, ALL).await;
    let path = format!("/teams/{FINANCE}/channels/{}/messages", enc(OPS_ALERTS));
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..4 {
        let a = t
            .post(&path, &adele, json!({"body": {"content": format!("m{i}")}}))
            .await;
        if a.status == 429 {
            assert_eq!(a.body["error"]["code"], "TooManyRequests");
            retry_after = a.header("retry-after");
        }
        statuses.push(a.status);
    }
    assert_eq!(&statuses[..2], [201, 201]);
    assert!(statuses.contains(&429), "{statuses:?}");
    let secs: f64 = retry_after.unwrap().parse().unwrap();
    assert!(secs > 0.0 && secs <= 1.01, "{secs}");
    let posted = t.posted().await;
    assert!(posted["throttled"].as_u64().unwrap() >= 1);
    // Chats are not subject to the channel limit.
    let counters: Value = t.get("/_emulator/requests", "").await.body;
    assert!(counters["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn messages_survive_a_restart_and_the_seed_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let options = || EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let t = T::start_with(options()).await;
    let adele = t.user_token(ADELE, ALL).await;
    t.post(
        &format!(
            "/teams/{FINANCE}/channels/{}/messages",
            enc(FINANCE_GENERAL)
        ),
        &adele,
        json!({"body": {"content": "kept"}}),
    )
    .await
    .expect(201);
    t.emu.state().teams.flush().unwrap();
    t.shutdown().await;

    let t = T::start_with(options()).await;
    let posted = t.posted().await;
    let msgs = channel_messages(&posted, "Finance", "General");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["body"]["content"], "kept");

    let text = Seed::default().to_toml();
    assert!(text.contains("Ops Alerts"), "{text}");
    assert_eq!(Seed::from_toml(&text, "printed").unwrap(), Seed::default());
    let localized = text.replacen(
        "display_name = \"General\"",
        "display_name = \"Allgemein\"",
        1,
    );
    let seed = Seed::from_toml(&localized, "localized").unwrap();
    assert_eq!(seed.teams[0].channels[0].display_name, "Allgemein");
    assert!(Seed::from_toml(&text.replace("Ops Alerts", ""), "x").is_err());
}
