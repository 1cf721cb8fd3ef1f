//! `[service.NAME]`: where notifications go (Teams channels and chats, or the log). Its
//! settings and the check of its own; the check of its connection is `validate`'s.

use super::check::Checks;
use super::reader::{AssetReader, Tbl};
use super::settings::{
    keyword, keywords, list, named, settings, text, with, Setting, SettingExt, Settings,
};
use super::AssetMeta;
use crate::macros::Scope;

const STATIC: Option<Scope> = Some(Scope::Static);

settings! {
    /// A Teams channel entry.
    #[derive(Debug, Clone)]
    pub struct ChannelEntry named
        /// Logical name (spaces allowed).
        name
    {
        /// Team name or id.
        pub team: String = text(STATIC).required(" (team name or id)").or_default(),
        /// Channel name or id (`General` = the default channel).
        pub channel: String = text(STATIC).or("General"),
        /// Free text.
        pub description: String = text(None).or_default(),
    }
}

settings! {
    /// A Teams chat entry.
    #[derive(Debug, Clone)]
    pub struct ChatEntry named
        /// Logical name.
        name
    {
        /// Members (UPN/email or name).
        pub members: Vec<String> = list(STATIC).not_empty(" (one or more UPNs or names)"),
        /// Free text.
        pub description: String = text(None).or_default(),
    }
}

/// A service's kind.
#[derive(Debug, Clone)]
pub enum ServiceKind {
    /// Microsoft Teams through a connection.
    Teams {
        /// The connection asset.
        connection: String,
        /// Channels.
        channels: Vec<ChannelEntry>,
        /// Chats.
        chats: Vec<ChatEntry>,
    },
    /// Writes messages to the node's log (for tests and dry runs).
    Log,
}

keywords! {
    /// The service `type`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum ServiceType {
        /// Microsoft Teams.
        Teams = "teams",
        /// The node's log.
        Log = "log",
    }
}

settings! {
    /// `type = "teams"`.
    pub(crate) struct TeamsKeys {
        /// The connection asset.
        pub connection: String = text(None)
            .required(" (an MS Graph connection asset, device flow)")
            .or_default(),
        /// Channels (`[service.NAME.channels.LOGICAL-NAME]`).
        pub channels: Vec<ChannelEntry> = named(),
        /// Chats (`[service.NAME.chats.LOGICAL-NAME]`).
        pub chats: Vec<ChatEntry> = named(),
    }
}

impl ServiceKind {
    /// Reads `type` and the keys of that type; `None` when the type is missing or unknown.
    fn read(r: &mut AssetReader<'_>, t: &mut Tbl<'_>) -> Option<Self> {
        let kind = keyword::<ServiceType>()
            .required(" (teams or log)")
            .needed()
            .read(r, t, "type")?;
        Some(match kind {
            ServiceType::Teams => {
                let keys = TeamsKeys::read(r, t, "")?;
                ServiceKind::Teams {
                    connection: keys.connection,
                    channels: keys.channels,
                    chats: keys.chats,
                }
            }
            ServiceType::Log => ServiceKind::Log,
        })
    }
}

settings! {
    /// A service.
    #[derive(Debug, Clone)]
    pub struct Service {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// Its kind (`type` and its keys).
        pub kind: ServiceKind = with(ServiceKind::read).needed(),
    }
}

impl Service {
    /// The conversation names it knows (`None` = any).
    pub fn conversations(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ServiceKind::Teams {
                channels, chats, ..
            } => Some(
                channels
                    .iter()
                    .map(|c| c.name.as_str())
                    .chain(chats.iter().map(|c| c.name.as_str()))
                    .collect(),
            ),
            ServiceKind::Log => None,
        }
    }

    /// The checks of one service (its connection's are `validate`'s).
    pub(crate) fn check(&self, c: &mut Checks<'_>) {
        if let ServiceKind::Teams {
            channels, chats, ..
        } = &self.kind
        {
            if channels.is_empty() && chats.is_empty() {
                c.at(
                    &self.meta,
                    None,
                    "a Teams service needs at least one channel or chat",
                );
            }
        }
    }
}
