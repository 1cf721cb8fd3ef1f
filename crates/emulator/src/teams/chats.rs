//! Chats: `GET /me/chats` (`$expand=members`), `GET /chats/{id}`, members, `POST /chats`, and
//! chat messages.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::Value;

use super::access::{self, bad_request, not_found, not_member};
use super::channels::{collection, top};
use super::incoming;
use super::model::{Chat, Message, TeamsStore};
use super::render::{self, Place};
use crate::graph::auth::Caller;
use crate::graph::ids::now_millis;
use crate::graph::reply::{json_body, Outcome};
use crate::web::{BaseUrl, GraphError};
use crate::AppState;

fn chat_for<'a>(
    store: &'a TeamsStore,
    caller: &Caller,
    chat_id: &str,
) -> Result<&'a Chat, GraphError> {
    let chat = store
        .chat(chat_id)
        .ok_or_else(|| not_found(format!("Chat {chat_id} was not found.")))?;
    if let Some(me) = caller.user_id() {
        if !chat.has_member(me) {
            return Err(not_member("chat"));
        }
    }
    Ok(chat)
}

fn expands_members(query: &HashMap<String, String>) -> bool {
    query
        .get("$expand")
        .is_some_and(|e| e.split(',').any(|p| p.trim() == "members"))
}

/// `GET /me/chats`.
pub async fn my_chats(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    let me = access::me(&caller)?.to_string();
    access::require(&caller, &access::READ_CHATS, false)?;
    let expand = expands_members(&query);
    let store = state.teams.read();
    let mut chats: Vec<&Chat> = store.chats.iter().filter(|c| c.has_member(&me)).collect();
    chats.sort_by_key(|c| std::cmp::Reverse(c.last_updated));
    let value = chats
        .into_iter()
        .map(|c| render::chat(&state.seed, c, expand))
        .collect();
    Ok(collection(value))
}

/// `GET /chats/{id}`.
pub async fn get_chat(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHATS, false)?;
    let store = state.teams.read();
    let chat = chat_for(&store, &caller, &chat_id)?;
    Ok(Json(render::chat(&state.seed, chat, expands_members(&query))).into_response())
}

/// `GET /chats/{id}/members`.
pub async fn chat_members(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHATS, false)?;
    let store = state.teams.read();
    let chat = chat_for(&store, &caller, &chat_id)?;
    let value = chat
        .members
        .iter()
        .map(|m| render::member(&state.seed, &chat.id, m, true))
        .collect();
    Ok(collection(value))
}

/// The user an `aadUserConversationMember`'s `user@odata.bind` names:
/// `https://graph.microsoft.com/v1.0/users('<id-or-upn>')`.
fn bound_user(state: &AppState, member: &Value, i: usize) -> Result<String, GraphError> {
    let kind = member
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !kind.eq_ignore_ascii_case("#microsoft.graph.aadUserConversationMember") {
        return Err(bad_request(format!(
            "members[{i}]: @odata.type must be #microsoft.graph.aadUserConversationMember."
        )));
    }
    let bind = member
        .get("user@odata.bind")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request(format!("members[{i}]: user@odata.bind is missing.")))?;
    let inner = bind
        .rsplit_once("users('")
        .and_then(|(_, rest)| rest.strip_suffix("')"))
        .ok_or_else(|| {
            bad_request(format!(
                "members[{i}]: user@odata.bind must look like https://graph.microsoft.com/v1.0/users('<id-or-upn>')."
            ))
        })?;
    let inner = percent_encoding::percent_decode_str(inner).decode_utf8_lossy();
    state
        .seed
        .user(&inner)
        .map(|u| u.id.clone())
        .ok_or_else(|| {
            GraphError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("members[{i}]: user '{inner}' was not found in the tenant."),
            )
        })
}

/// `POST /chats`: a oneOnOne chat between two people is created once (an existing one is
/// returned); every group chat request creates a new chat.
pub async fn create_chat(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Outcome {
    create(&state, &base, &headers, body).await
}

async fn create(
    state: &AppState,
    base: &str,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Outcome {
    let caller = access::caller(state, headers, base)?;
    access::require(&caller, &access::CREATE_CHAT, false)?;
    let json = json_body(body).await?;
    let chat_type = match json.get("chatType").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("oneOnOne") => "oneOnOne",
        Some(t) if t.eq_ignore_ascii_case("group") => "group",
        Some(t) => return Err(bad_request(format!("Invalid chatType '{t}'."))),
        None => return Err(bad_request("chatType is required.")),
    };
    let list = json
        .get("members")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request("members is required."))?;
    let mut members: Vec<String> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let id = bound_user(state, m, i)?;
        if members.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
            return Err(bad_request(format!("members[{i}] is listed twice.")));
        }
        members.push(id);
    }
    if let Some(me) = caller.user_id() {
        if !members.iter().any(|m| m.eq_ignore_ascii_case(me)) {
            return Err(bad_request(
                "The signed-in user must be one of the chat's members.",
            ));
        }
    }
    match chat_type {
        "oneOnOne" if members.len() != 2 => {
            return Err(bad_request(
                "A oneOnOne chat must have exactly two members.",
            ))
        }
        "group" if members.len() < 2 => {
            return Err(bad_request("A group chat needs at least two members."))
        }
        _ => {}
    }
    let topic = match json.get("topic") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if chat_type == "group" => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(bad_request("Only group chats have a topic."));
        }
        Some(_) => return Err(bad_request("topic must be a string.")),
    };
    let mut store = state.teams.write();
    if chat_type == "oneOnOne" {
        if let Some(existing) = store.chats.iter().find(|c| {
            c.chat_type == "oneOnOne"
                && c.members.len() == 2
                && members.iter().all(|m| c.has_member(m))
        }) {
            let v = render::chat(&state.seed, existing, false);
            return Ok((StatusCode::CREATED, Json(v)).into_response());
        }
    }
    let now = now_millis();
    let chat = Chat {
        id: super::ids::new_chat_id(),
        chat_type: chat_type.to_string(),
        topic,
        members,
        created: now,
        last_updated: now,
        messages: Vec::new(),
    };
    let v = render::chat(&state.seed, &chat, false);
    store.chats.push(chat);
    drop(store);
    state.teams.changed();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `POST /chats/{id}/messages`.
pub async fn post_message(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    body: axum::body::Body,
) -> Outcome {
    post(&state, &base, &headers, &chat_id, body).await
}

async fn post(
    state: &AppState,
    base: &str,
    headers: &HeaderMap,
    chat_id: &str,
    body: axum::body::Body,
) -> Outcome {
    let caller = access::caller(state, headers, base)?;
    access::require(&caller, &access::SEND_CHAT, true)?;
    chat_for(&state.teams.read(), &caller, chat_id)?;
    let json = json_body(body).await?;
    let new = incoming::parse(&state.seed, &json)?;
    let identity = caller.identity();
    let mut store = state.teams.write();
    let id = store.next_message_id();
    let chat = store
        .chat_mut(chat_id)
        .ok_or_else(|| not_found(format!("Chat {chat_id} was not found.")))?;
    let message = Message {
        id: id.to_string(),
        reply_to_id: None,
        created: id,
        from_id: identity.id,
        from_name: identity.display_name,
        subject: new.subject,
        importance: new.importance,
        content_type: new.content_type,
        content: new.content,
        mentions: new.mentions,
        attachments: new.attachments,
        replies: Vec::new(),
    };
    let rendered = render::message(&state.seed, &Place::Chat { chat_id: &chat.id }, &message);
    chat.last_updated = id;
    chat.messages.push(message);
    drop(store);
    state.teams.changed();
    Ok((StatusCode::CREATED, Json(rendered)).into_response())
}

/// `GET /chats/{id}/messages` (newest first; `$top`).
pub async fn list_messages(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Outcome {
    let caller = access::caller(&state, &headers, &base)?;
    access::require(&caller, &access::READ_CHAT_MESSAGES, false)?;
    let store = state.teams.read();
    let chat = chat_for(&store, &caller, &chat_id)?;
    let place = Place::Chat { chat_id: &chat.id };
    let value = chat
        .messages
        .iter()
        .rev()
        .take(top(&query)?)
        .map(|m| render::message(&state.seed, &place, m))
        .collect();
    Ok(collection(value))
}
