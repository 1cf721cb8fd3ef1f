//! What the Teams side keeps (and persists in `DATA/teams/teams.json`): teams, channels,
//! chats and their messages with replies.

use serde::{Deserialize, Serialize};

use super::ids;
use crate::graph::ids::{format_time, now_millis, Millis};
use crate::seed::Seed;

/// Everything the Teams side stores.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamsStore {
    /// Teams with their channels.
    pub teams: Vec<Team>,
    /// Chats.
    pub chats: Vec<Chat>,
    /// The last message id handed out (ids are increasing milliseconds).
    #[serde(default)]
    pub last_message_id: Millis,
}

/// A team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// Team (group) id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Member user ids.
    pub members: Vec<String>,
    /// Channels; exactly one is primary.
    pub channels: Vec<Channel>,
    /// Creation time (ms).
    pub created: Millis,
}

/// A channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Channel {
    /// `19:<32 hex>@thread.tacv2`.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// The team's primary (General) channel.
    pub primary: bool,
    /// Creation time (ms).
    pub created: Millis,
    /// Root messages in posting order; replies hang below them.
    pub messages: Vec<Message>,
}

/// A chat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chat {
    /// `19:<...>@thread.v2`.
    pub id: String,
    /// `oneOnOne` or `group`.
    pub chat_type: String,
    /// Topic (group chats).
    pub topic: Option<String>,
    /// Member user ids.
    pub members: Vec<String>,
    /// Creation time (ms).
    pub created: Millis,
    /// Last update (ms).
    pub last_updated: Millis,
    /// Messages in posting order.
    pub messages: Vec<Message>,
}

/// A message (channel root message, reply, or chat message).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Id (milliseconds since the epoch, as a string).
    pub id: String,
    /// The root message's id, for replies.
    pub reply_to_id: Option<String>,
    /// Creation time (ms).
    pub created: Millis,
    /// Sender's user id.
    pub from_id: String,
    /// Sender's display name.
    pub from_name: String,
    /// Subject (channel root messages).
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    pub importance: String,
    /// `text` or `html`.
    pub content_type: String,
    /// The body.
    pub content: String,
    /// Mentions as sent (`id`, `mentionText`, `mentioned`).
    pub mentions: Vec<serde_json::Value>,
    /// Attachments as sent (`id`, `contentType`, `content`, `name`, ...).
    pub attachments: Vec<serde_json::Value>,
    /// Replies (root channel messages only).
    #[serde(default)]
    pub replies: Vec<Message>,
}

impl TeamsStore {
    /// Builds the store from the seed's teams and chats.
    pub fn from_seed(seed: &Seed) -> Self {
        let mut store = TeamsStore::default();
        store.merge_seed(seed);
        store
    }

    /// Adds the seed's teams, channels and chats whose ids are not stored yet.
    pub fn merge_seed(&mut self, seed: &Seed) {
        let now = now_millis();
        let user_id = |u: &String| seed.user(u).map(|u| u.id.clone());
        for t in &seed.teams {
            let id = ids::team_id(t);
            let pos = match self
                .teams
                .iter()
                .position(|x| x.id.eq_ignore_ascii_case(&id))
            {
                Some(p) => p,
                None => {
                    self.teams.push(Team {
                        id: id.clone(),
                        display_name: t.display_name.clone(),
                        description: t.description.clone(),
                        members: t.members.iter().filter_map(user_id).collect(),
                        channels: Vec::new(),
                        created: now,
                    });
                    self.teams.len() - 1
                }
            };
            let team = &mut self.teams[pos];
            let primary_index = t.channels.iter().position(|c| c.primary).unwrap_or(0);
            for (i, c) in t.channels.iter().enumerate() {
                let cid = ids::channel_id(&id, c);
                if team.channels.iter().any(|x| x.id == cid) {
                    continue;
                }
                let primary = i == primary_index && !team.channels.iter().any(|x| x.primary);
                team.channels.push(Channel {
                    id: cid,
                    display_name: c.display_name.clone(),
                    description: c.description.clone(),
                    primary,
                    created: now,
                    messages: Vec::new(),
                });
            }
        }
        for c in &seed.chats {
            let id = ids::seed_chat_id(c);
            if self.chats.iter().any(|x| x.id == id) {
                continue;
            }
            self.chats.push(Chat {
                id,
                chat_type: c.chat_type.clone(),
                topic: c.topic.clone(),
                members: c.members.iter().filter_map(user_id).collect(),
                created: now,
                last_updated: now,
                messages: Vec::new(),
            });
        }
    }

    /// A fresh message id: milliseconds since the epoch, strictly increasing.
    pub fn next_message_id(&mut self) -> Millis {
        let id = now_millis().max(self.last_message_id + 1);
        self.last_message_id = id;
        id
    }

    /// The team with this id (case-insensitive).
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// The team with this id, mutable.
    pub fn team_mut(&mut self, id: &str) -> Option<&mut Team> {
        self.teams
            .iter_mut()
            .find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// The chat with this id.
    pub fn chat(&self, id: &str) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    /// The chat with this id, mutable.
    pub fn chat_mut(&mut self, id: &str) -> Option<&mut Chat> {
        self.chats.iter_mut().find(|c| c.id == id)
    }
}

impl Team {
    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The channel with this id, mutable.
    pub fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// Whether the user is a member.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|m| m.eq_ignore_ascii_case(user_id))
    }
}

impl Chat {
    /// Whether the user is a member.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|m| m.eq_ignore_ascii_case(user_id))
    }
}

impl Message {
    /// Creation time in Graph's format.
    pub fn created_text(&self) -> String {
        format_time(self.created)
    }
}
