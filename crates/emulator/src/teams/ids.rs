//! Teams identifiers: team GUIDs, channel ids `19:<32 hex>@thread.tacv2`, chat ids
//! `19:<32 hex>@thread.v2`, and message ids (milliseconds since the epoch, as Teams uses).

use sha2::{Digest, Sha256};

use super::seed::{ChannelSeed, ChatSeed, TeamSeed};
use crate::graph::ids::derived_guid;

fn hex32(seed: &str) -> String {
    Sha256::digest(seed.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_hex32() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The seed team's id (given, or derived from its display name).
pub fn team_id(team: &TeamSeed) -> String {
    team.id
        .clone()
        .unwrap_or_else(|| derived_guid(&format!("team|{}", team.display_name)))
}

/// The seed channel's id (given, or derived from the team id and its display name).
pub fn channel_id(team_id: &str, channel: &ChannelSeed) -> String {
    channel.id.clone().unwrap_or_else(|| {
        format!(
            "19:{}@thread.tacv2",
            hex32(&format!("channel|{team_id}|{}", channel.display_name))
        )
    })
}

/// The seed chat's id (given, or derived from its members).
pub fn seed_chat_id(chat: &ChatSeed) -> String {
    chat.id.clone().unwrap_or_else(|| {
        let mut members: Vec<String> = chat.members.iter().map(|m| m.to_lowercase()).collect();
        members.sort();
        format!(
            "19:{}@thread.v2",
            hex32(&format!("chat|{}", members.join("|")))
        )
    })
}

/// A fresh chat id.
pub fn new_chat_id() -> String {
    format!("19:{}@thread.v2", random_hex32())
}

/// Whether `id` has the channel id form `19:<32 hex>@thread.tacv2`.
pub fn is_channel_id(id: &str) -> bool {
    id.strip_prefix("19:")
        .and_then(|r| r.strip_suffix("@thread.tacv2"))
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_have_the_documented_forms() {
        let ch = ChannelSeed {
            id: None,
            display_name: "Ops Alerts".into(),
            description: String::new(),
            primary: false,
        };
        let id = channel_id("t", &ch);
        assert!(is_channel_id(&id), "{id}");
        assert_eq!(id, channel_id("t", &ch));
        assert!(!is_channel_id("19:abc@thread.tacv2"));
        assert!(new_chat_id().ends_with("@thread.v2"));
    }
}
