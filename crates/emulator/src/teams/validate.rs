//! Checks of the Teams part of a seed: ids of the documented forms and used once, members
//! who are seed users, chats of a known type with enough members.

use super::ids;
use super::seed::{ChatSeed, TeamSeed};

/// Checks the Teams part of a seed (its `teams` and `chats`; members must be users
/// `user_known` accepts); the message names the offending field.
pub fn validate(
    teams: &[TeamSeed],
    chats: &[ChatSeed],
    user_known: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let mut team_ids = std::collections::HashSet::new();
    let mut channel_ids = std::collections::HashSet::new();
    for (i, team) in teams.iter().enumerate() {
        if team.display_name.trim().is_empty() {
            return Err(format!("teams[{i}].display_name is empty"));
        }
        let id = ids::team_id(team);
        if uuid::Uuid::parse_str(&id).is_err() {
            return Err(format!("teams[{i}].id {id} is not a GUID"));
        }
        if !team_ids.insert(id.to_ascii_lowercase()) {
            return Err(format!("teams[{i}].id {id} is used twice"));
        }
        for m in &team.members {
            if !user_known(m) {
                return Err(format!("teams[{i}].members: unknown user {m}"));
            }
        }
        if team.channels.is_empty() {
            return Err(format!("teams[{i}] needs at least one channel"));
        }
        if team.channels.iter().filter(|c| c.primary).count() > 1 {
            return Err(format!("teams[{i}] has more than one primary channel"));
        }
        for (j, ch) in team.channels.iter().enumerate() {
            if ch.display_name.trim().is_empty() {
                return Err(format!("teams[{i}].channels[{j}].display_name is empty"));
            }
            let cid = ids::channel_id(&id, ch);
            if !ids::is_channel_id(&cid) {
                return Err(format!(
                    "teams[{i}].channels[{j}].id {cid} is not of the form 19:<32 hex>@thread.tacv2"
                ));
            }
            if !channel_ids.insert(cid.clone()) {
                return Err(format!("teams[{i}].channels[{j}].id {cid} is used twice"));
            }
        }
    }
    for (i, chat) in chats.iter().enumerate() {
        match chat.chat_type.as_str() {
            "oneOnOne" if chat.members.len() != 2 => {
                return Err(format!(
                    "chats[{i}]: a oneOnOne chat has exactly two members"
                ))
            }
            "oneOnOne" | "group" => {}
            other => {
                return Err(format!(
                    "chats[{i}].chat_type {other:?}: expected oneOnOne or group"
                ))
            }
        }
        if chat.members.len() < 2 {
            return Err(format!("chats[{i}] needs at least two members"));
        }
        for m in &chat.members {
            if !user_known(m) {
                return Err(format!("chats[{i}].members: unknown user {m}"));
            }
        }
    }
    Ok(())
}
