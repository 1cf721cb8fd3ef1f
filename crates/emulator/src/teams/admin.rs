//! Admin views of what was posted, for tests and people (no auth):
//! - `GET    /_emulator/teams/messages`: every channel's and chat's messages in posting order
//!   (replies under their root message), and how many channel posts were throttled;
//! - `DELETE /_emulator/teams/messages`: forgets every message (teams, channels, chats stay).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::model::Message;
use super::render::{self, Place};
use crate::seed::Seed;
use crate::AppState;

fn with_replies(seed: &Seed, place: &Place<'_>, m: &Message) -> Value {
    let mut v = render::message(seed, place, m);
    v["replies"] = m
        .replies
        .iter()
        .map(|r| render::message(seed, place, r))
        .collect();
    v
}

/// `GET /_emulator/teams/messages`.
pub async fn messages(State(state): State<AppState>) -> Json<Value> {
    let seed = &state.seed;
    let store = state.teams.read();
    let upn = |id: &String| seed.user(id).map(|u| u.upn.clone()).unwrap_or(id.clone());
    let mut channels = Vec::new();
    for team in &store.teams {
        for c in &team.channels {
            let place = Place::Channel {
                team_id: &team.id,
                channel_id: &c.id,
            };
            channels.push(json!({
                "teamId": team.id,
                "team": team.display_name,
                "channelId": c.id,
                "channel": c.display_name,
                "primary": c.primary,
                "messages": c.messages.iter().map(|m| with_replies(seed, &place, m)).collect::<Vec<_>>(),
            }));
        }
    }
    let chats: Vec<Value> = store
        .chats
        .iter()
        .map(|c| {
            let place = Place::Chat { chat_id: &c.id };
            json!({
                "chatId": c.id,
                "chatType": c.chat_type,
                "topic": c.topic,
                "members": c.members.iter().map(upn).collect::<Vec<_>>(),
                "messages": c.messages.iter().map(|m| render::message(seed, &place, m)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({
        "throttled": state.teams.throttle.throttled(),
        "channels": channels,
        "chats": chats,
    }))
}

/// `DELETE /_emulator/teams/messages`.
pub async fn clear(State(state): State<AppState>) -> StatusCode {
    let mut store = state.teams.write();
    for team in &mut store.teams {
        for c in &mut team.channels {
            c.messages.clear();
        }
    }
    for c in &mut store.chats {
        c.messages.clear();
    }
    drop(store);
    state.teams.changed();
    StatusCode::NO_CONTENT
}
