//! Seed entries for Teams: teams with their channels and members, and chats.

use serde::{Deserialize, Serialize};

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
