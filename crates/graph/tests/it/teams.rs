//! The Teams client against the emulator over HTTPS, signed in through the real device flow:
//! name resolution, chat find-or-create, every content type, the app-only refusal, and a
//! burst of 100 channel messages delivered in order under throttling.

use crate::teams_support;

use graphlink_emulator::seed::UserSeed;
use graphlink_emulator::teams::seed::ChatSeed;
use graphlink_emulator::Seed;
use graphlink_graph::teams::{
    is_app_only_refusal, Conversation, Importance, MessageContent, Pacing, TeamsClient,
};
use serde_json::json;
use teams_support::*;

const LEE: &str = "lee@contoso.onmicrosoft.com";

fn fast(client: graphlink_graph::GraphClient) -> TeamsClient {
    TeamsClient::with_pacing(
        client,
        Pacing {
            rate_per_sec: 50.0,
            burst: 10,
        },
    )
}

#[tokio::test]
async fn teams_and_channels_resolve_by_name_and_id_and_general_is_the_primary_channel() {
    let mut seed = Seed::default();
    // Finance's primary channel has a German display name.
    seed.teams[0].channels[0].display_name = "Allgemein".into();
    let env = Env::start_with(seed).await;
    let teams = fast(env.signed_in(ADELE, &[]).await);
    guard("resolution", async {
        let joined = teams.joined_teams().await.unwrap();
        let names: Vec<&str> = joined.iter().map(|t| t.display_name.as_str()).collect();
        assert_eq!(names, ["Finance", "Operations"]);

        assert_eq!(teams.resolve_team("finance").await.unwrap().id, FINANCE);
        assert_eq!(
            teams.resolve_team(FINANCE).await.unwrap().display_name,
            "Finance"
        );

        let general = teams.resolve_channel("Finance", "General").await.unwrap();
        assert_eq!(general.channel.id, FINANCE_GENERAL);
        assert_eq!(general.channel.display_name, "Allgemein");
        let by_local_name = teams.resolve_channel("Finance", "allgemein").await.unwrap();
        assert_eq!(by_local_name.channel.id, FINANCE_GENERAL);

        let ops = teams.resolve_channel(FINANCE, "Ops Alerts").await.unwrap();
        assert_eq!(ops.channel.id, OPS_ALERTS);
        assert_eq!(ops.team.display_name, "Finance");
        let by_id = teams.resolve_channel("Finance", OPS_ALERTS).await.unwrap();
        assert_eq!(by_id.channel.display_name, "Ops Alerts");
        let encoded = OPS_ALERTS.replace(':', "%3A").replace('@', "%40");
        let by_encoded = teams.resolve_channel("Finance", &encoded).await.unwrap();
        assert_eq!(by_encoded.channel.id, OPS_ALERTS);
        let ops_general = teams
            .resolve_channel("Operations", "general")
            .await
            .unwrap();
        assert_eq!(ops_general.channel.display_name, "General");
        assert_ne!(ops_general.channel.id, FINANCE_GENERAL);

        let err = teams
            .resolve_channel("Finance", "Payroll")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Payroll") && err.contains("'Ops Alerts'"),
            "{err}"
        );
        let err = teams
            .resolve_team("Marketing")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Marketing") && err.contains("'Finance'"),
            "{err}"
        );

        // Resolved once per client.
        let first = teams
            .channel_conversation("Finance", "Ops Alerts")
            .await
            .unwrap();
        let gets = env.count("GET", "^/v1\\.0/").await;
        let again = teams
            .channel_conversation("finance", "ops alerts")
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(env.count("GET", "^/v1\\.0/").await, gets);

        let overview = teams.overview().await.unwrap();
        assert_eq!(overview.teams.len(), 2);
        assert_eq!(overview.teams[0].channels.len(), 3);
        assert_eq!(
            overview.teams[0].primary_channel_id.as_deref(),
            Some(FINANCE_GENERAL)
        );
    })
    .await;
}

#[tokio::test]
async fn chats_are_found_when_they_exist_and_created_once_otherwise() {
    let mut seed = Seed::default();
    seed.users.push(UserSeed {
        id: "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000003".into(),
        upn: LEE.into(),
        display_name: "Lee Gu".into(),
    });
    seed.users.push(UserSeed {
        id: "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000004".into(),
        upn: "nestor@contoso.onmicrosoft.com".into(),
        display_name: "Nestor Wilke".into(),
    });
    seed.chats.push(ChatSeed {
        id: None,
        chat_type: "group".into(),
        topic: Some("Month end".into()),
        members: vec![ADELE.into(), MEGAN.into(), LEE.into()],
    });
    let env = Env::start_with(seed).await;
    let teams = fast(env.signed_in(ADELE, &[]).await);
    let people = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    guard("chats", async {
        // The seeded group chat, named by display name and e-mail, the signed-in user listed too.
        let group = teams
            .find_or_create_chat(&people(&[
                "Megan Bowen",
                "LEE@contoso.onmicrosoft.com",
                ADELE,
            ]))
            .await
            .unwrap();
        assert_eq!(group.topic.as_deref(), Some("Month end"));
        assert_eq!(env.count("POST", "^/v1\\.0/chats$").await, 0);

        // No one-on-one chat with Megan yet: created once, then found.
        assert!(teams.find_chat(&people(&[MEGAN])).await.unwrap().is_none());
        let first = teams.find_or_create_chat(&people(&[MEGAN])).await.unwrap();
        assert_eq!(first.chat_type.as_deref(), Some("oneOnOne"));
        assert!(first.id.starts_with("19:") && first.id.ends_with("@thread.v2"));
        let again = teams
            .find_or_create_chat(&people(&["megan bowen"]))
            .await
            .unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(env.count("POST", "^/v1\\.0/chats$").await, 1);

        // A one-on-one chat with Lee, named by display name only (directory lookup).
        let lee = teams
            .find_or_create_chat(&people(&["Lee Gu"]))
            .await
            .unwrap();
        assert_ne!(lee.id, group.id);
        assert_eq!(lee.chat_type.as_deref(), Some("oneOnOne"));
        assert_eq!(env.count("POST", "^/v1\\.0/chats$").await, 2);
        assert_eq!(teams.chats().await.unwrap().len(), 3);

        let err = teams
            .find_or_create_chat(&people(&["Nobody Here"]))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Nobody Here"), "{err}");
        assert!(teams.find_or_create_chat(&people(&[ADELE])).await.is_err());

        // Five notifications at once to a new group chat create it once.
        let before = env.count("POST", "^/v1\\.0/chats$").await;
        let wanted = people(&[MEGAN, "Nestor Wilke"]);
        let conversations =
            futures::future::join_all((0..5).map(|_| teams.chat_conversation(&wanted))).await;
        let created = conversations[0].as_ref().unwrap().clone();
        assert!(conversations
            .iter()
            .all(|c| c.as_ref().unwrap() == &created));
        assert_eq!(env.count("POST", "^/v1\\.0/chats$").await, before + 1);
        let Conversation::Chat { chat_id } = &created else {
            panic!("not a chat: {created:?}");
        };
        let found = teams.find_chat(&wanted).await.unwrap().unwrap();
        assert_eq!(&found.id, chat_id);
        assert_eq!(found.chat_type.as_deref(), Some("group"));
        let to_megan = teams.chat_conversation(&people(&[MEGAN])).await.unwrap();
        assert_eq!(
            to_megan,
            Conversation::Chat {
                chat_id: first.id.clone()
            }
        );
        assert_eq!(env.count("POST", "^/v1\\.0/chats$").await, before + 1);

        // Megan's side sees the chat Adele created.
        let megan = fast(env.signed_in(MEGAN, &[]).await);
        let hers = megan.find_chat(&people(&[ADELE])).await.unwrap().unwrap();
        assert_eq!(hers.id, first.id);
    })
    .await;
}

#[tokio::test]
async fn text_html_mentions_cards_replies_and_chat_messages_are_delivered() {
    let env = Env::start().await;
    env.settings(json!({"channel_post_rate_per_sec": 100.0}))
        .await;
    let teams = fast(env.signed_in(ADELE, &[]).await);
    guard("content", async {
        let ops = teams
            .resolve_channel("Finance", "Ops Alerts")
            .await
            .unwrap();

        let text = teams
            .send(
                &ops.conversation(),
                &MessageContent::text("Upload done\n3 files <ok>").with_subject("Nightly run"),
            )
            .await
            .unwrap();
        assert!(!text.id.is_empty());
        assert!(text.created_date_time.is_some());
        assert!(text
            .web_url
            .as_deref()
            .unwrap()
            .starts_with("https://teams.microsoft.com/l/message/"));
        assert_eq!(
            text.channel_identity.as_ref().unwrap().channel_id,
            OPS_ALERTS
        );
        assert_eq!(
            text.from
                .as_ref()
                .and_then(|f| f.user.as_ref())
                .and_then(|u| u.display_name.as_deref()),
            Some("Adele Vance")
        );

        let html = teams
            .send(
                &ops.conversation(),
                &MessageContent::html("<b>3</b> files moved").with_importance(Importance::High),
            )
            .await
            .unwrap();
        assert_eq!(html.body.content_type, "html");
        assert_eq!(html.importance.as_deref(), Some("high"));

        let megan = teams.mention_target(MEGAN).await.unwrap();
        assert_eq!(megan.display_name, "Megan Bowen");
        let mention = teams
            .send(
                &ops.conversation(),
                &MessageContent::text("Transfer failed, ")
                    .push_mention(&megan)
                    .push_text(" please look."),
            )
            .await
            .unwrap();
        assert_eq!(mention.mentions.len(), 1);
        assert_eq!(
            mention.mentions[0]
                .mentioned
                .user
                .as_ref()
                .unwrap()
                .id
                .as_deref(),
            Some(megan.user_id.as_str())
        );

        let card = json!({"type": "AdaptiveCard", "version": "1.4",
            "body": [{"type": "TextBlock", "text": "invoices.csv: 12 KB"}]});
        let carded = teams
            .send(
                &ops.conversation(),
                &MessageContent::text("Summary").with_card(card.clone()),
            )
            .await
            .unwrap();
        assert_eq!(carded.attachments.len(), 1);
        assert_eq!(
            carded.attachments[0].content_type,
            "application/vnd.microsoft.card.adaptive"
        );

        let reply = teams
            .send(&ops.thread(&text.id), &MessageContent::text("retried: ok"))
            .await
            .unwrap();
        assert_eq!(reply.reply_to_id.as_deref(), Some(text.id.as_str()));

        let chat = teams
            .find_or_create_chat(&[MEGAN.to_string()])
            .await
            .unwrap();
        let in_chat = teams
            .send(
                &Conversation::Chat {
                    chat_id: chat.id.clone(),
                },
                &MessageContent::text("ping"),
            )
            .await
            .unwrap();
        assert_eq!(in_chat.chat_id.as_deref(), Some(chat.id.as_str()));

        // What the emulator stored.
        let posted = env.posted().await;
        let msgs = channel_messages(&posted, "Finance", "Ops Alerts");
        let ids: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [&text.id, &html.id, &mention.id, &carded.id]);
        assert_eq!(msgs[0]["body"]["content"], "Upload done\n3 files <ok>");
        assert_eq!(msgs[0]["subject"], "Nightly run");
        assert_eq!(msgs[1]["body"]["content"], "<b>3</b> files moved");
        assert_eq!(
            msgs[2]["body"]["content"],
            "Transfer failed, <at id=\"0\">Megan Bowen</at> please look."
        );
        let stored_card: serde_json::Value =
            serde_json::from_str(msgs[3]["attachments"][0]["content"].as_str().unwrap()).unwrap();
        assert_eq!(stored_card, card);
        assert!(msgs[3]["body"]["content"]
            .as_str()
            .unwrap()
            .contains("<attachment id="));
        assert_eq!(msgs[0]["replies"][0]["body"]["content"], "retried: ok");
        assert_eq!(
            chat_messages(&posted, &chat.id)[0]["body"]["content"],
            "ping"
        );
    })
    .await;
}

#[tokio::test]
async fn app_only_connections_are_told_to_sign_in() {
    let env = Env::start().await;
    let teams = TeamsClient::new(env.app_only());
    guard("app-only", async {
        let to = Conversation::Channel {
            team_id: FINANCE.into(),
            channel_id: OPS_ALERTS.into(),
        };
        let err = teams
            .send(&to, &MessageContent::text("hi"))
            .await
            .unwrap_err();
        assert!(is_app_only_refusal(&err), "{err}");
        let text = err.to_string();
        assert!(text.contains("HTTP 401"), "{text}");
        assert!(text.contains("import purposes"), "{text}");
        assert!(
            text.contains("use a device-flow connection (graphlink auth login)"),
            "{text}"
        );
        assert!(!text.contains("eyJ"), "no token in errors: {text}");

        let chat = Conversation::Chat {
            chat_id: "19:0123@thread.v2".into(),
        };
        let err = teams
            .send(&chat, &MessageContent::text("hi"))
            .await
            .unwrap_err();
        assert!(is_app_only_refusal(&err), "{err}");

        // /me needs a signed-in user too.
        let err = teams.joined_teams().await.unwrap_err().to_string();
        assert!(err.contains("signed-in user"), "{err}");
        assert_eq!(env.posted().await["channels"][2]["messages"], json!([]));
    })
    .await;

    // A delegated connection without ChannelMessage.Send gets a permission hint.
    let limited = TeamsClient::new(
        env.signed_in(ADELE, &["User.Read", "Team.ReadBasic.All"])
            .await,
    );
    let to = Conversation::Channel {
        team_id: FINANCE.into(),
        channel_id: OPS_ALERTS.into(),
    };
    let err = limited
        .send(&to, &MessageContent::text("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("ChannelMessage.Send"), "{err}");
}

#[tokio::test]
async fn a_burst_of_100_channel_messages_arrives_in_order_under_throttling() {
    let env = Env::start().await;
    // Teams' limit scaled up 5x to keep the test short; the client paces faster than that, so
    // the emulator throttles and the shared retry policy (Retry-After, connection pause) must
    // make up for it without losing or reordering anything.
    env.settings(json!({"channel_post_rate_per_sec": 10.0, "channel_post_burst": 4}))
        .await;
    let teams = TeamsClient::with_pacing(
        env.signed_in(ADELE, &[]).await,
        Pacing {
            rate_per_sec: 40.0,
            burst: 4,
        },
    );
    guard("burst", async {
        let ops = teams
            .resolve_channel("Finance", "Ops Alerts")
            .await
            .unwrap();
        let to = ops.conversation();
        let contents: Vec<MessageContent> = (0..100)
            .map(|i| MessageContent::text(format!("notification {i}")))
            .collect();
        // All 100 are handed over at once; the client sends them one at a time in that order.
        let results = futures::future::join_all(contents.iter().map(|c| teams.send(&to, c))).await;
        let sent: Vec<String> = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|e| panic!("message {i}: {e}")).id)
            .collect();
        assert_eq!(sent.len(), 100);

        let posted = env.posted().await;
        let msgs = channel_messages(&posted, "Finance", "Ops Alerts");
        let bodies: Vec<String> = msgs
            .iter()
            .map(|m| m["body"]["content"].as_str().unwrap().to_string())
            .collect();
        let expected: Vec<String> = (0..100).map(|i| format!("notification {i}")).collect();
        assert_eq!(bodies, expected);
        let ids: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, sent);
        let throttled = posted["throttled"].as_u64().unwrap();
        assert!(
            throttled > 0,
            "the emulator never throttled: the test proves nothing"
        );
        // Every throttled attempt was retried: accepted posts = 100, attempts = 100 + throttled.
        let attempts = env
            .count("POST", "^/v1\\.0/teams/[^/]+/channels/[^/]+/messages$")
            .await;
        assert_eq!(attempts, 100 + throttled);
    })
    .await;
}
