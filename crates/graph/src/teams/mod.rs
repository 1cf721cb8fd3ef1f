//! Microsoft Teams: discover joined teams, channels and chats, resolve them by name or id,
//! find or create a chat with given people, and send messages (text, HTML, @mentions,
//! adaptive cards) to channels, channel threads and chats.
//!
//! Start with [`TeamsClient::new`] (or [`GraphClient::teams`]) once per connection and clone it:
//! the client paces channel posts (about two per second, Teams' limit per app and tenant) and
//! sends one post at a time, so a burst of notifications arrives in the order it was sent.
//! Every request goes through the connection's pipeline, whose retry policy honours
//! `Retry-After` and pauses the whole connection when Teams throttles anyway.
//!
//! | task | call |
//! |---|---|
//! | list teams, channels, chats (`teams list`) | [`TeamsClient::overview`], [`TeamsClient::joined_teams`], [`TeamsClient::channels`], [`TeamsClient::chats`] |
//! | channel by team + channel name or id ("General" = primary channel) | [`TeamsClient::resolve_channel`] |
//! | chat with exactly these people | [`TeamsClient::find_chat`], [`TeamsClient::find_or_create_chat`] |
//! | send | [`TeamsClient::send`] with a [`Conversation`] and [`MessageContent`] |
//! | the same, by name, resolved once per client | [`TeamsClient::channel_conversation`], [`TeamsClient::chat_conversation`] |
//! | @mention someone | [`TeamsClient::mention_target`] then [`MessageContent::push_mention`] |
//!
//! Posting needs a signed-in user (device flow): Graph refuses application-only posts, which
//! [`is_app_only_refusal`] recognises and [`APP_ONLY_POSTING_HINT`] explains.

mod chats;
mod content;
mod pacer;
mod resolve;
mod send;
mod targets;
pub mod wire;

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::wire::Collection;

pub use chats::describe_chat;
pub use content::{
    escape_html, Importance, MentionTarget, MessageContent, ADAPTIVE_CARD_CONTENT_TYPE,
};
pub use pacer::Pacing;
pub use resolve::{ResolvedChannel, TeamOverview, TeamsOverview};
pub use send::Conversation;
pub use wire::{Channel, Chat, ChatMessage, ConversationMember, Team, User};

/// What to tell a user whose connection has application credentials and tries to post.
pub const APP_ONLY_POSTING_HINT: &str = "Teams allows posting only with a signed-in user: use a device-flow connection (graphlink auth login)";

const SIGNED_IN_HINT: &str = "joined teams and chats need a signed-in user: use a device-flow connection (graphlink auth login)";

const FORBIDDEN_HINT: &str = "the signed-in user lacks a Teams permission (consent to ChannelMessage.Send, ChatMessage.Send, Team.ReadBasic.All, Channel.ReadBasic.All, Chat.ReadWrite) or is not a member of the team or chat";

/// The Teams side of a connection. Cheap to clone; clones share the pacing.
#[derive(Clone)]
pub struct TeamsClient {
    graph: GraphClient,
    shared: Arc<Shared>,
}

struct Shared {
    pacing: Pacing,
    pacer: pacer::Pacer,
    /// Posts go out one at a time, in the order they were asked for.
    lane: tokio::sync::Mutex<()>,
    me: tokio::sync::OnceCell<User>,
    targets: targets::Targets,
}

impl fmt::Debug for TeamsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsClient")
            .field("graph", &self.graph)
            .field("pacing", &self.shared.pacing)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// A [`TeamsClient`] over this connection with the default pacing. Create it once per
    /// connection and clone it, so every sender shares one pace.
    pub fn teams(&self) -> TeamsClient {
        TeamsClient::new(self.clone())
    }
}

impl TeamsClient {
    /// A Teams client with the default pacing ([`Pacing::default`]: 2 channel posts/s).
    pub fn new(graph: GraphClient) -> Self {
        Self::with_pacing(graph, Pacing::default())
    }

    /// A Teams client with the given pacing of channel posts.
    pub fn with_pacing(graph: GraphClient, pacing: Pacing) -> Self {
        Self {
            graph,
            shared: Arc::new(Shared {
                pacing,
                pacer: pacer::Pacer::new(pacing),
                lane: tokio::sync::Mutex::new(()),
                me: tokio::sync::OnceCell::new(),
                targets: targets::Targets::default(),
            }),
        }
    }

    /// The underlying Graph client.
    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// The pacing of channel posts.
    pub fn pacing(&self) -> Pacing {
        self.shared.pacing
    }

    /// The signed-in user (`GET /me`), asked once.
    pub async fn me(&self) -> Result<User> {
        self.shared
            .me
            .get_or_try_init(|| async { self.get::<User>("/me").await })
            .await
            .cloned()
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.graph.get_json(path).await.map_err(explain)
    }

    /// Every entry of a collection, following `@odata.nextLink`.
    async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        let mut pages = 0;
        while let Some(link) = next {
            pages += 1;
            if pages > 10_000 {
                return Err(Error::protocol(
                    format!("GET {path}"),
                    "more than 10000 pages: the paging links go round in circles",
                ));
            }
            let page: Collection<T> = self.get(&link).await?;
            out.extend(page.value);
            next = page.next_link;
        }
        Ok(out)
    }
}

/// Whether `err` is Graph's refusal of a message posted with application credentials.
pub fn is_app_only_refusal(err: &Error) -> bool {
    err.api().is_some_and(|e| {
        e.status == 401
            && e.has_code("Unauthorized")
            && e.message
                .as_deref()
                .is_some_and(|m| m.contains("application-only context"))
    })
}

/// Gives Teams-specific hints to Graph's answers.
pub(crate) fn explain(err: Error) -> Error {
    let hint = if is_app_only_refusal(&err) {
        Some(APP_ONLY_POSTING_HINT)
    } else {
        match err.api() {
            Some(e)
                if e.status == 400
                    && e.message
                        .as_deref()
                        .is_some_and(|m| m.contains("only valid with delegated")) =>
            {
                Some(SIGNED_IN_HINT)
            }
            Some(e) if e.status == 403 => Some(FORBIDDEN_HINT),
            _ => None,
        }
    };
    match (err, hint) {
        (Error::Api(mut e), Some(hint)) => {
            e.hint = Some(hint.to_string());
            Error::Api(e)
        }
        (err, _) => err,
    }
}
