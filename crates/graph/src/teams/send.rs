//! Sending: where a message goes ([`Conversation`]) and the post itself, one at a time per
//! client and paced for channels.

use reqwest::Method;

use super::content::MessageContent;
use super::wire::ChatMessage;
use super::{explain, TeamsClient};
use crate::error::Result;
use crate::path::encode_id;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversation {
    /// A new thread in a channel.
    Channel {
        /// Team id.
        team_id: String,
        /// Channel id (`19:...@thread.tacv2`).
        channel_id: String,
    },
    /// A reply in a channel thread.
    Reply {
        /// Team id.
        team_id: String,
        /// Channel id.
        channel_id: String,
        /// The thread's root message id.
        message_id: String,
    },
    /// A chat.
    Chat {
        /// Chat id (`19:...@thread.v2`).
        chat_id: String,
    },
}

impl Conversation {
    /// The Graph path messages are posted to.
    pub fn messages_path(&self) -> String {
        match self {
            Conversation::Channel {
                team_id,
                channel_id,
            } => format!(
                "/teams/{}/channels/{}/messages",
                encode_id(team_id),
                encode_id(channel_id)
            ),
            Conversation::Reply {
                team_id,
                channel_id,
                message_id,
            } => format!(
                "/teams/{}/channels/{}/messages/{}/replies",
                encode_id(team_id),
                encode_id(channel_id),
                encode_id(message_id)
            ),
            Conversation::Chat { chat_id } => {
                format!("/chats/{}/messages", encode_id(chat_id))
            }
        }
    }

    /// Whether this is a channel (Teams limits channel posts per app and tenant).
    pub fn is_channel(&self) -> bool {
        !matches!(self, Conversation::Chat { .. })
    }
}

impl TeamsClient {
    /// Sends `content` to `to` and returns the created message (id, `createdDateTime`,
    /// `webUrl`, ...). Posts of one client go out one at a time in call order; channel posts
    /// are paced. Application credentials get an error saying to use a device-flow connection
    /// ([`super::is_app_only_refusal`]).
    pub async fn send(&self, to: &Conversation, content: &MessageContent) -> Result<ChatMessage> {
        let body = content.to_wire()?;
        let req = self
            .graph
            .req(Method::POST, &to.messages_path())?
            .json(&body)?;
        let _turn = self.shared.lane.lock().await;
        if to.is_channel() {
            self.shared.pacer.acquire().await;
        }
        let sent: ChatMessage = self.graph.send_json(&req).await.map_err(explain)?;
        tracing::debug!(message = %sent.id, "posted a Teams message");
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_thread_ids() {
        let c = Conversation::Reply {
            team_id: "t".into(),
            channel_id: "19:ab@thread.tacv2".into(),
            message_id: "1700000000000".into(),
        };
        assert_eq!(
            c.messages_path(),
            "/teams/t/channels/19%3Aab%40thread.tacv2/messages/1700000000000/replies"
        );
        assert!(c.is_channel());
        let chat = Conversation::Chat {
            chat_id: "19:x@thread.v2".into(),
        };
        assert_eq!(chat.messages_path(), "/chats/19%3Ax%40thread.v2/messages");
        assert!(!chat.is_channel());
    }
}
