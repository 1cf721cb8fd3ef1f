//! Seed entries for Teams: teams with their channels and members, and chats.

use serde::{Deserialize, Serialize};

use crate::seed::Seed;

/// A team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TeamSeed {
    /// Team (group) id; derived from the display name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Members, by UPN or object id (seed users).
    #[serde(default)]
    pub members: Vec<String>,
    /// Channels. The one marked `primary` (else the first) is the team's primary channel, the
    /// "General" channel whatever its display name's language.
    #[serde(default)]
    pub channels: Vec<ChannelSeed>,
}

/// A channel of a team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelSeed {
    /// Channel id `19:<32 hex>@thread.tacv2`; derived from the names when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name (the primary channel's may be localized, e.g. "Allgemein").
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Whether this is the team's primary (General) channel.
    #[serde(default)]
    pub primary: bool,
}

/// A chat that exists from the start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChatSeed {
    /// Chat id `19:<...>@thread.v2`; derived from the members when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// `oneOnOne` (exactly two members) or `group`.
    pub chat_type: String,
    /// Topic (group chats).
    #[serde(default)]
    pub topic: Option<String>,
    /// Members, by UPN or object id (seed users).
    pub members: Vec<String>,
}

impl TeamSeed {
    /// The default seed's teams: "Finance" (General, Invoices, Ops Alerts) and "Operations"
    /// (General, Alerts), both with Adele and Megan as members.
    pub fn defaults() -> Vec<Self> {
        let members = vec![
            "adele@contoso.onmicrosoft.com".to_string(),
            "megan@contoso.onmicrosoft.com".to_string(),
        ];
        let channel = |id: &str, name: &str, description: &str, primary: bool| ChannelSeed {
            id: Some(format!("19:{id}@thread.tacv2")),
            display_name: name.into(),
            description: description.into(),
            primary,
        };
        vec![
            TeamSeed {
                id: Some("c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a01".into()),
                display_name: "Finance".into(),
                description: "Finance department".into(),
                members: members.clone(),
                channels: vec![
                    channel("5f2d8c1a9b0e4d3c8a7f6e5d4c3b2a10", "General", "", true),
                    channel(
                        "8a1b2c3d4e5f60718293a4b5c6d7e8f9",
                        "Invoices",
                        "Incoming invoices",
                        false,
                    ),
                    channel(
                        "0e9d8c7b6a5f40312e1d0c9b8a7f6e5d",
                        "Ops Alerts",
                        "Alerts from file transfers",
                        false,
                    ),
                ],
            },
            TeamSeed {
                id: Some("c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a02".into()),
                display_name: "Operations".into(),
                description: "IT operations".into(),
                members,
                channels: vec![
                    channel("3c4d5e6f708192a3b4c5d6e7f8091a2b", "General", "", true),
                    channel(
                        "7b6a5f4e3d2c1b0a9f8e7d6c5b4a3921",
                        "Alerts",
                        "Operational alerts",
                        false,
                    ),
                ],
            },
        ]
    }
}

/// Checks the Teams part of a seed; the message names the offending field.
pub fn validate(seed: &Seed) -> Result<(), String> {
    let user_known = |u: &str| seed.user(u).is_some();
    let mut team_ids = std::collections::HashSet::new();
    let mut channel_ids = std::collections::HashSet::new();
    for (i, team) in seed.teams.iter().enumerate() {
        if team.display_name.trim().is_empty() {
            return Err(format!("teams[{i}].display_name is empty"));
        }
        let id = super::ids::team_id(team);
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
            let cid = super::ids::channel_id(&id, ch);
            if !super::ids::is_channel_id(&cid) {
                return Err(format!(
                    "teams[{i}].channels[{j}].id {cid} is not of the form 19:<32 hex>@thread.tacv2"
                ));
            }
            if !channel_ids.insert(cid.clone()) {
                return Err(format!("teams[{i}].channels[{j}].id {cid} is used twice"));
            }
        }
    }
    for (i, chat) in seed.chats.iter().enumerate() {
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
