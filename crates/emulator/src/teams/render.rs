//! The JSON shapes Graph answers with for teams, channels, chats, members and chatMessages.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::model::{Channel, Chat, Message, Team};
use crate::graph::ids::format_time;
use crate::seed::Seed;

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A team as `joinedTeams` and `GET /teams/{id}` show it.
pub fn team(seed: &Seed, t: &Team) -> Value {
    let general = t.channels.iter().find(|c| c.primary).map(|c| c.id.as_str());
    json!({
        "id": t.id,
        "createdDateTime": format_time(t.created),
        "displayName": t.display_name,
        "description": t.description,
        "internalId": general,
        "classification": null,
        "specialization": "none",
        "visibility": "private",
        "webUrl": format!(
            "https://teams.microsoft.com/l/team/{}/conversations?groupId={}&tenantId={}",
            enc(general.unwrap_or_default()), t.id, seed.tenant.id
        ),
        "isArchived": false,
        "tenantId": seed.tenant.id,
        "isMembershipLimitedToOwners": false,
    })
}

/// A channel.
pub fn channel(seed: &Seed, team: &Team, c: &Channel) -> Value {
    json!({
        "id": c.id,
        "createdDateTime": format_time(c.created),
        "displayName": c.display_name,
        "description": if c.description.is_empty() { Value::Null } else { json!(c.description) },
        "isFavoriteByDefault": null,
        "email": "",
        "tenantId": seed.tenant.id,
        "webUrl": format!(
            "https://teams.microsoft.com/l/channel/{}/{}?groupId={}&tenantId={}",
            enc(&c.id), enc(&c.display_name), team.id, seed.tenant.id
        ),
        "membershipType": "standard",
    })
}

/// A conversation member (`aadUserConversationMember`).
pub fn member(seed: &Seed, thread_id: &str, user_id: &str, owner: bool) -> Value {
    use base64::Engine;
    let user = seed.user(user_id);
    let membership = base64::engine::general_purpose::STANDARD
        .encode(format!("1#{thread_id}#{user_id}").as_bytes());
    json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": membership,
        "roles": if owner { json!(["owner"]) } else { json!([]) },
        "displayName": user.map(|u| u.display_name.clone()),
        "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
        "userId": user_id,
        "email": user.map(|u| u.upn.clone()),
        "tenantId": seed.tenant.id,
    })
}

/// A chat, with its members when `expand_members`.
pub fn chat(seed: &Seed, c: &Chat, expand_members: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "topic": c.topic,
        "createdDateTime": format_time(c.created),
        "lastUpdatedDateTime": format_time(c.last_updated),
        "chatType": c.chat_type,
        "webUrl": format!(
            "https://teams.microsoft.com/l/chat/{}/0?tenantId={}",
            enc(&c.id), seed.tenant.id
        ),
        "tenantId": seed.tenant.id,
        "viewpoint": null,
    });
    if expand_members {
        v["members"] = Value::Array(
            c.members
                .iter()
                .map(|m| member(seed, &c.id, m, true))
                .collect(),
        );
    }
    v
}

/// Where a message lives, for its `channelIdentity`/`chatId` and `webUrl`.
#[derive(Debug)]
pub enum Place<'a> {
    /// A channel of a team.
    Channel {
        /// Team id.
        team_id: &'a str,
        /// Channel id.
        channel_id: &'a str,
    },
    /// A chat.
    Chat {
        /// Chat id.
        chat_id: &'a str,
    },
}

/// A chatMessage.
pub fn message(seed: &Seed, place: &Place<'_>, m: &Message) -> Value {
    let created = m.created_text();
    let (channel_identity, chat_id, web_url) = match place {
        Place::Channel {
            team_id,
            channel_id,
        } => (
            json!({"teamId": team_id, "channelId": channel_id}),
            Value::Null,
            format!(
                "https://teams.microsoft.com/l/message/{}/{}?groupId={}&tenantId={}&createdTime={}&parentMessageId={}",
                enc(channel_id),
                m.id,
                team_id,
                seed.tenant.id,
                m.created,
                m.reply_to_id.as_deref().unwrap_or(&m.id)
            ),
        ),
        Place::Chat { chat_id } => (
            Value::Null,
            json!(chat_id),
            format!(
                "https://teams.microsoft.com/l/message/{}/{}?context=%7B%22contextType%22%3A%22chat%22%7D",
                enc(chat_id),
                m.id
            ),
        ),
    };
    json!({
        "id": m.id,
        "replyToId": m.reply_to_id,
        "etag": m.id,
        "messageType": "message",
        "createdDateTime": created,
        "lastModifiedDateTime": created,
        "lastEditedDateTime": null,
        "deletedDateTime": null,
        "subject": m.subject,
        "summary": null,
        "chatId": chat_id,
        "importance": m.importance,
        "locale": "en-us",
        "webUrl": web_url,
        "channelIdentity": channel_identity,
        "policyViolation": null,
        "eventDetail": null,
        "from": {
            "application": null,
            "device": null,
            "user": {
                "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                "id": m.from_id,
                "displayName": m.from_name,
                "userIdentityType": "aadUser",
                "tenantId": seed.tenant.id,
            }
        },
        "body": {"contentType": m.content_type, "content": m.content},
        "attachments": m.attachments,
        "mentions": m.mentions,
        "reactions": [],
    })
}
