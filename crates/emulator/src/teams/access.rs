//! Who may do what on Teams resources, with Graph's error bodies: delegated scopes versus
//! application roles, team and chat membership, and the application-only posting refusal.

use axum::http::{HeaderMap, StatusCode};

use crate::graph::auth::{self, Caller};
use crate::graph::throttle;
use crate::web::GraphError;
use crate::AppState;

/// Graph's exact message when an app-only token posts a message outside a migration.
pub const APP_ONLY_POST: &str = "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.";

/// Permissions accepted by each Teams operation: (delegated scopes, application roles).
#[derive(Debug)]
pub struct Need {
    /// Delegated scopes, any of which suffices.
    pub delegated: &'static [&'static str],
    /// Application roles, any of which suffices (empty: app-only not supported).
    pub application: &'static [&'static str],
}

/// Listing joined teams and reading a team.
pub const READ_TEAMS: Need = Need {
    delegated: &[
        "Team.ReadBasic.All",
        "TeamSettings.Read.All",
        "TeamSettings.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
    application: &[
        "Team.ReadBasic.All",
        "TeamSettings.Read.All",
        "TeamSettings.ReadWrite.All",
        "Directory.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
};

/// Listing and reading channels.
pub const READ_CHANNELS: Need = Need {
    delegated: &[
        "Channel.ReadBasic.All",
        "ChannelSettings.Read.All",
        "ChannelSettings.ReadWrite.All",
        "Directory.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
    application: &[
        "Channel.ReadBasic.All",
        "ChannelSettings.Read.All",
        "ChannelSettings.ReadWrite.All",
        "Directory.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
};

/// Posting to a channel (delegated only).
pub const SEND_CHANNEL: Need = Need {
    delegated: &["ChannelMessage.Send", "Group.ReadWrite.All"],
    application: &[],
};

/// Reading channel messages.
pub const READ_CHANNEL_MESSAGES: Need = Need {
    delegated: &[
        "ChannelMessage.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
    application: &[
        "ChannelMessage.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
    ],
};

/// Listing and reading chats (and their members).
pub const READ_CHATS: Need = Need {
    delegated: &["Chat.ReadBasic", "Chat.Read", "Chat.ReadWrite"],
    application: &["Chat.ReadBasic.All", "Chat.Read.All", "Chat.ReadWrite.All"],
};

/// Reading chat messages.
pub const READ_CHAT_MESSAGES: Need = Need {
    delegated: &["Chat.Read", "Chat.ReadWrite"],
    application: &["Chat.Read.All", "Chat.ReadWrite.All"],
};

/// Creating a chat.
pub const CREATE_CHAT: Need = Need {
    delegated: &["Chat.Create", "Chat.ReadWrite"],
    application: &["Chat.Create", "Chat.ReadWrite.All"],
};

/// Posting to a chat (delegated only).
pub const SEND_CHAT: Need = Need {
    delegated: &["ChatMessage.Send", "Chat.ReadWrite"],
    application: &[],
};

/// Authenticates the request (the Graph side's bearer-token check) and applies the optional
/// Graph-wide request limit per app (`graph_requests_per_second`), shared with the drive routes.
pub fn caller(state: &AppState, headers: &HeaderMap, base: &str) -> Result<Caller, GraphError> {
    let caller = auth::authenticate(state, headers, base)?;
    throttle::admit(state, &caller.claims.appid)?;
    Ok(caller)
}

/// Checks that the caller holds one of the permissions `need` lists: 403 `Forbidden` naming
/// them otherwise. Posting operations (no application roles) answer app-only callers with
/// Graph's 401 import-only refusal.
pub fn require(caller: &Caller, need: &Need, posting: bool) -> Result<(), GraphError> {
    if caller.is_app_only() && posting {
        return Err(GraphError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            APP_ONLY_POST,
        ));
    }
    let list = if caller.is_app_only() {
        need.application
    } else {
        need.delegated
    };
    if list.iter().any(|p| caller.claims.has_permission(p)) {
        return Ok(());
    }
    let held = if caller.is_app_only() {
        caller.claims.roles.join(" ")
    } else {
        caller.claims.scp.clone().unwrap_or_default()
    };
    let kind = if caller.is_app_only() {
        "roles"
    } else {
        "scopes"
    };
    Err(GraphError::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "Missing {kind} permissions on the request. API requires one of '{}'. {} on the request '{held}'",
            list.join(", "),
            if caller.is_app_only() { "Roles" } else { "Scopes" },
        ),
    ))
}

/// The signed-in user's id, or Graph's 400 for `/me` with an app-only token.
pub fn me(caller: &Caller) -> Result<&str, GraphError> {
    caller.user_id().ok_or_else(|| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        )
    })
}

/// 404 `NotFound` for a team, channel, chat or message.
pub fn not_found(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::NOT_FOUND, "NotFound", message)
}

/// 403 `Forbidden` for a user who is not a member of the team or chat.
pub fn not_member(what: &str) -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!("The user is not a member of this {what}."),
    )
}

/// 400 `BadRequest`.
pub fn bad_request(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}
