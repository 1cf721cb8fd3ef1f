//! Teams wire types (serde only, no logic): teams, channels, chats, members, users and
//! chatMessages, and the bodies this client posts. Field names follow Graph; fields Graph may
//! omit are optional, unknown fields are ignored.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A team (`/me/joinedTeams`, `/teams/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// Team (group) id, a GUID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Link to the team in Teams.
    #[serde(default)]
    pub web_url: Option<String>,
}

/// A channel of a team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// Channel id, `19:...@thread.tacv2`.
    pub id: String,
    /// Display name (the primary channel's is localized: "General", "Allgemein", ...).
    #[serde(default)]
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `standard`, `private` or `shared`.
    #[serde(default)]
    pub membership_type: Option<String>,
    /// Link to the channel in Teams.
    #[serde(default)]
    pub web_url: Option<String>,
}

/// A chat (`/me/chats`, `/chats/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    /// Chat id, `19:...@thread.v2` (one-on-one chats may use other suffixes).
    pub id: String,
    /// Topic (group chats; none for one-on-one chats).
    #[serde(default)]
    pub topic: Option<String>,
    /// `oneOnOne`, `group` or `meeting`.
    #[serde(default)]
    pub chat_type: Option<String>,
    /// Link to the chat in Teams.
    #[serde(default)]
    pub web_url: Option<String>,
    /// Last activity.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_updated_date_time: Option<OffsetDateTime>,
    /// Members (only with `$expand=members`).
    #[serde(default)]
    pub members: Option<Vec<ConversationMember>>,
}

/// A member of a chat or team (`aadUserConversationMember`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMember {
    /// Membership id (not the user's id).
    #[serde(default)]
    pub id: Option<String>,
    /// The user's display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The user's object id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's e-mail address (usually the UPN).
    #[serde(default)]
    pub email: Option<String>,
    /// `owner`, `guest`, or none.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A directory user (`/me`, `/users/{id|upn}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// User principal name.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Mail address.
    #[serde(default)]
    pub mail: Option<String>,
}

/// A message's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `text` or `html`.
    pub content_type: String,
    /// The content.
    pub content: String,
}

/// Where a channel message lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelIdentity {
    /// Team id.
    pub team_id: String,
    /// Channel id.
    pub channel_id: String,
}

/// A user as Teams identifies message senders and mentioned people.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamworkUserIdentity {
    /// Object id.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `aadUser` for users of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_identity_type: Option<String>,
}

/// Who sent a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatMessageFrom {
    /// The sending user (none for app or system messages).
    #[serde(default)]
    pub user: Option<TeamworkUserIdentity>,
}

/// Who a mention points at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MentionedIdentity {
    /// The mentioned user.
    #[serde(default)]
    pub user: Option<TeamworkUserIdentity>,
}

/// A mention: the body carries `<at id="{id}">{mentionText}</at>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessageMention {
    /// Index matching the `<at id>` tag.
    pub id: i64,
    /// The text inside the tag.
    pub mention_text: String,
    /// The mentioned user.
    pub mentioned: MentionedIdentity,
}

/// An attachment; adaptive cards have `contentType` `application/vnd.microsoft.card.adaptive`
/// and the card as a JSON string in `content`, and the body carries
/// `<attachment id="{id}"></attachment>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessageAttachment {
    /// Id referenced by the body's `<attachment>` tag.
    pub id: String,
    /// Content type.
    pub content_type: String,
    /// The content (adaptive cards: the card's JSON as a string).
    #[serde(default)]
    pub content: Option<String>,
    /// Link to the content (file attachments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_url: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A chatMessage as Graph returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// Message id.
    pub id: String,
    /// The thread's root message id, for replies.
    #[serde(default)]
    pub reply_to_id: Option<String>,
    /// Version tag.
    #[serde(default)]
    pub etag: Option<String>,
    /// `message`, `systemEventMessage`, ...
    #[serde(default)]
    pub message_type: Option<String>,
    /// When it was posted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last change.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_modified_date_time: Option<OffsetDateTime>,
    /// Subject (channel root messages).
    #[serde(default)]
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    #[serde(default)]
    pub importance: Option<String>,
    /// Link to the message in Teams.
    #[serde(default)]
    pub web_url: Option<String>,
    /// The chat, for chat messages.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// The team and channel, for channel messages.
    #[serde(default)]
    pub channel_identity: Option<ChannelIdentity>,
    /// The sender.
    #[serde(default)]
    pub from: Option<ChatMessageFrom>,
    /// The body.
    #[serde(default)]
    pub body: ItemBody,
    /// Mentions.
    #[serde(default)]
    pub mentions: Vec<ChatMessageMention>,
    /// Attachments.
    #[serde(default)]
    pub attachments: Vec<ChatMessageAttachment>,
}

/// The body of `POST .../messages` and `.../replies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewChatMessage {
    /// The body.
    pub body: ItemBody,
    /// Subject (channel root messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<String>,
    /// Mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<ChatMessageMention>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<ChatMessageAttachment>,
}

/// A member of a chat being created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewChatMember {
    /// `#microsoft.graph.aadUserConversationMember`.
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    /// `["owner"]`.
    pub roles: Vec<String>,
    /// `https://graph.microsoft.com/v1.0/users('<id-or-upn>')`.
    #[serde(rename = "user@odata.bind")]
    pub user_bind: String,
}

/// The body of `POST /chats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewChat {
    /// `oneOnOne` or `group`.
    pub chat_type: String,
    /// Topic (group chats only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Members, the signed-in user included.
    pub members: Vec<NewChatMember>,
}
