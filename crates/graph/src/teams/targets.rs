//! Conversations by name, resolved once per client: what the Teams service asset calls for
//! each notification, so a burst of messages to one channel or chat costs one lookup.

use std::collections::HashMap;

use super::send::Conversation;
use super::TeamsClient;
use crate::error::Result;

/// Resolved conversations, by normalised key.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    map: parking_lot::Mutex<HashMap<String, Conversation>>,
    /// Held while a chat is looked up or created, so concurrent senders create it once.
    pub(crate) chat_creation: tokio::sync::Mutex<()>,
}

fn channel_key(team: &str, channel: &str) -> String {
    format!(
        "channel\n{}\n{}",
        team.trim().to_lowercase(),
        channel.trim().to_lowercase()
    )
}

fn chat_key(people: &[String]) -> String {
    let mut list: Vec<String> = people.iter().map(|p| p.trim().to_lowercase()).collect();
    list.sort();
    list.dedup();
    format!("chat\n{}", list.join("\n"))
}

impl TeamsClient {
    /// The channel of `team` named or identified by `channel` (see
    /// [`TeamsClient::resolve_channel`]), resolved on first use and remembered by this client.
    pub async fn channel_conversation(&self, team: &str, channel: &str) -> Result<Conversation> {
        let key = channel_key(team, channel);
        if let Some(c) = self.shared.targets.map.lock().get(&key) {
            return Ok(c.clone());
        }
        let conversation = self.resolve_channel(team, channel).await?.conversation();
        self.shared
            .targets
            .map
            .lock()
            .insert(key, conversation.clone());
        Ok(conversation)
    }

    /// The chat with exactly the signed-in user and `people`, found or created on first use
    /// (see [`TeamsClient::find_or_create_chat`]) and remembered by this client.
    pub async fn chat_conversation(&self, people: &[String]) -> Result<Conversation> {
        let key = chat_key(people);
        if let Some(c) = self.shared.targets.map.lock().get(&key) {
            return Ok(c.clone());
        }
        let _one_at_a_time = self.shared.targets.chat_creation.lock().await;
        if let Some(c) = self.shared.targets.map.lock().get(&key) {
            return Ok(c.clone());
        }
        let chat = self.find_or_create_chat(people).await?;
        let conversation = Conversation::Chat { chat_id: chat.id };
        self.shared
            .targets
            .map
            .lock()
            .insert(key, conversation.clone());
        Ok(conversation)
    }

    /// Forgets every remembered conversation (after a channel or chat was deleted or renamed).
    pub fn forget_conversations(&self) {
        self.shared.targets.map.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_order_and_duplicates() {
        let p = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            chat_key(&p(&["Megan@x", " lee@x"])),
            chat_key(&p(&["lee@x", "megan@X", "megan@x"]))
        );
        assert_ne!(chat_key(&p(&["a"])), chat_key(&p(&["a", "b"])));
        assert_eq!(
            channel_key("Finance ", "ops alerts"),
            channel_key("finance", "Ops Alerts")
        );
    }
}
