//! Teams and channels: `joinedTeams`, `GET /teams/{id}`, channel listing, the primary channel,
//! channel messages and replies.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::access::{self, not_found, not_member};
use super::incoming;
use super::model::{Message, Team};
use super::render::{self, Place};
use super::throttle::retry_after_text;
use crate::graph::auth::Caller;
use crate::graph::reply::{json_body, user_not_found, Outcome};
use crate::web::{BaseUrl, GraphError};
use crate::AppState;

/// `{"@odata.context": ..., "@odata.count": n, "value": [...]}`.
pub fn collection(value: Vec<Value>) -> Response {
    Json(json!({"@odata.count": value.len(), "value": value})).into_response()
}

fn user_for(state: &AppState, who: &str) -> Result<String, GraphError> {
    state
        .seed
        .user(who)
        .map(|u| u.id.clone())
        .ok_or_else(user_not_found)
}

/// `GET /me/joinedTeams`.
pub async fn my_teams(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    let me = access::me(&caller)?.to_string();
    access::require(&caller, &access::READ_TEAMS, false)?;
    joined(&state, &me)
}

/// `GET /users/{id|upn}/joinedTeams`.
pub async fn user_teams(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_TEAMS, false)?;
    let id = user_for(&state, &user)?;
    if caller
        .user_id()
        .is_some_and(|me| !me.eq_ignore_ascii_case(&id))
    {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Delegated callers can only list their own joined teams.",
        ));
    }
    joined(&state, &id)
}

fn joined(state: &AppState, user_id: &str) -> Outcome {
    let store = state.teams.read();
    let value = store
        .teams
        .iter()
        .filter(|t| t.has_member(user_id))
        .map(|t| render::team(&state.seed, t))
        .collect();
    Ok(collection(value))
}

/// Looks a team up and checks that a delegated caller is a member.
pub fn team_for<'a>(
    store: &'a super::model::TeamsStore,
    caller: &Caller,
    team_id: &str,
) -> Result<&'a Team, GraphError> {
    let team = store
        .team(team_id)
        .ok_or_else(|| not_found(format!("No team found with Group Id {team_id}")))?;
    if let Some(me) = caller.user_id() {
        if !team.has_member(me) {
            return Err(not_member("team"));
        }
    }
    Ok(team)
}

/// `GET /teams/{id}`.
pub async fn get_team(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(team_id): Path<String>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_TEAMS, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    Ok(Json(render::team(&state.seed, team)).into_response())
}

/// `GET /teams/{id}/channels`.
pub async fn list_channels(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(team_id): Path<String>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHANNELS, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    let value = team
        .channels
        .iter()
        .map(|c| render::channel(&state.seed, team, c))
        .collect();
    Ok(collection(value))
}

/// `GET /teams/{id}/channels/{channel-id}`.
pub async fn get_channel(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((team_id, channel_id)): Path<(String, String)>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHANNELS, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    let channel = team
        .channel(&channel_id)
        .ok_or_else(|| not_found(channel_missing(&channel_id)))?;
    Ok(Json(render::channel(&state.seed, team, channel)).into_response())
}

/// `GET /teams/{id}/primaryChannel`.
pub async fn primary_channel(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(team_id): Path<String>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHANNELS, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    let channel = team
        .channels
        .iter()
        .find(|c| c.primary)
        .ok_or_else(|| not_found("The team has no primary channel."))?;
    Ok(Json(render::channel(&state.seed, team, channel)).into_response())
}

fn channel_missing(id: &str) -> String {
    format!("Channel {id} was not found in the team.")
}

/// `POST /teams/{id}/channels/{channel-id}/messages`.
pub async fn post_message(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((team_id, channel_id)): Path<(String, String)>,
    body: axum::body::Body,
) -> Outcome {
    post(&state, &base, &headers, &team_id, &channel_id, None, body).await
}

/// `POST /teams/{id}/channels/{channel-id}/messages/{message-id}/replies`.
pub async fn post_reply(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((team_id, channel_id, message_id)): Path<(String, String, String)>,
    body: axum::body::Body,
) -> Outcome {
    post(
        &state,
        &base,
        &headers,
        &team_id,
        &channel_id,
        Some(&message_id),
        body,
    )
    .await
}

async fn post(
    state: &AppState,
    base: &str,
    headers: &HeaderMap,
    team_id: &str,
    channel_id: &str,
    parent: Option<&str>,
    body: axum::body::Body,
) -> Outcome {
    let caller = access::caller(state, headers, base)?;
    access::require(&caller, &access::SEND_CHANNEL, true)?;
    {
        let store = state.teams.read();
        let team = team_for(&store, &caller, team_id)?;
        let channel = team
            .channel(channel_id)
            .ok_or_else(|| not_found(channel_missing(channel_id)))?;
        if let Some(parent) = parent {
            if !channel.messages.iter().any(|m| m.id == parent) {
                return Err(not_found(format!("Message {parent} was not found.")));
            }
        }
    }
    let settings = state.settings();
    if let Err(wait) = state.teams.throttle.take(
        &caller.claims.appid,
        settings.channel_post_rate_per_sec,
        settings.channel_post_burst,
    ) {
        state.faults.note_pause(wait);
        return Err(GraphError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests: channel messages are limited per app per tenant. Retry after the time given in Retry-After.",
        )
        .header(axum::http::header::RETRY_AFTER, retry_after_text(wait)));
    }
    let json = json_body(body).await?;
    let new = incoming::parse(&state.seed, &json)?;
    let identity = caller.identity();
    let mut store = state.teams.write();
    let id = store.next_message_id();
    let team = store
        .team_mut(team_id)
        .ok_or_else(|| not_found(format!("No team found with Group Id {team_id}")))?;
    let canonical_team = team.id.clone();
    let channel = team
        .channel_mut(channel_id)
        .ok_or_else(|| not_found(channel_missing(channel_id)))?;
    let message = Message {
        id: id.to_string(),
        reply_to_id: parent.map(str::to_string),
        created: id,
        from_id: identity.id,
        from_name: identity.display_name,
        subject: if parent.is_none() { new.subject } else { None },
        importance: new.importance,
        content_type: new.content_type,
        content: new.content,
        mentions: new.mentions,
        attachments: new.attachments,
        replies: Vec::new(),
    };
    let place = Place::Channel {
        team_id: &canonical_team,
        channel_id: &channel.id,
    };
    let rendered = render::message(&state.seed, &place, &message);
    match parent {
        Some(parent) => {
            let root = channel
                .messages
                .iter_mut()
                .find(|m| m.id == parent)
                .ok_or_else(|| not_found(format!("Message {parent} was not found.")))?;
            root.replies.push(message);
        }
        None => channel.messages.push(message),
    }
    drop(store);
    state.teams.changed();
    Ok((StatusCode::CREATED, Json(rendered)).into_response())
}

/// `GET /teams/{id}/channels/{channel-id}/messages` (newest first; `$top`, `$expand=replies`).
pub async fn list_messages(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((team_id, channel_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHANNEL_MESSAGES, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    let channel = team
        .channel(&channel_id)
        .ok_or_else(|| not_found(channel_missing(&channel_id)))?;
    let expand = query
        .get("$expand")
        .is_some_and(|e| e.split(',').any(|p| p.trim() == "replies"));
    let place = Place::Channel {
        team_id: &team.id,
        channel_id: &channel.id,
    };
    let value = channel
        .messages
        .iter()
        .rev()
        .take(top(&query)?)
        .map(|m| {
            let mut v = render::message(&state.seed, &place, m);
            if expand {
                v["replies"] = m
                    .replies
                    .iter()
                    .map(|r| render::message(&state.seed, &place, r))
                    .collect();
            }
            v
        })
        .collect();
    Ok(collection(value))
}

/// `GET .../messages/{message-id}/replies` (newest first).
pub async fn list_replies(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((team_id, channel_id, message_id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHANNEL_MESSAGES, false)?;
    let store = state.teams.read();
    let team = team_for(&store, &caller, &team_id)?;
    let channel = team
        .channel(&channel_id)
        .ok_or_else(|| not_found(channel_missing(&channel_id)))?;
    let root = channel
        .messages
        .iter()
        .find(|m| m.id == message_id)
        .ok_or_else(|| not_found(format!("Message {message_id} was not found.")))?;
    let place = Place::Channel {
        team_id: &team.id,
        channel_id: &channel.id,
    };
    let value = root
        .replies
        .iter()
        .rev()
        .take(top(&query)?)
        .map(|m| render::message(&state.seed, &place, m))
        .collect();
    Ok(collection(value))
}

/// `$top` (default: everything).
pub fn top(query: &HashMap<String, String>) -> Result<usize, GraphError> {
    match query.get("$top").or_else(|| query.get("top")) {
        None => Ok(usize::MAX),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| access::bad_request(format!("Invalid $top value '{t}'."))),
    }
}
