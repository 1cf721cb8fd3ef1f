//! The emulator's web pages: `GET /_emulator/ui` (index) and `GET /_emulator/ui/teams`, which
//! shows every channel's and chat's messages as Teams would: sender, time, subject, the
//! rendered (sanitised) body with mentions highlighted, adaptive cards, and replies.

use axum::extract::{Query, State};
use axum::response::Html;

use super::model::Message;
use super::sanitize::body_html;
use crate::html::escape;
use crate::AppState;

const STYLE: &str = "body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f5f5f5;color:#242424}
header{background:#464775;color:#fff;padding:12px 20px}header a{color:#fff}
main{padding:16px 20px;max-width:1000px}
section{background:#fff;border-radius:6px;margin:0 0 18px;padding:12px 16px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 8px}.meta{color:#616161;font-size:12px}
.msg{border-left:3px solid #6264a7;padding:6px 10px;margin:10px 0;background:#fafafa}
.reply{margin-left:28px;border-left-color:#c4c4e8}
.from{font-weight:600;margin-right:8px}.subject{font-weight:600;font-size:15px}
.mention{background:#e8ebfa;color:#4f52b2;font-weight:600;border-radius:3px;padding:0 2px}
.card{border:1px solid #d1d1d1;border-radius:4px;padding:8px;margin:6px 0;background:#fff}
.card-kind{font-size:11px;color:#616161;text-transform:uppercase}
.importance{color:#c4314b;font-weight:600;font-size:12px}
pre{white-space:pre-wrap;font-size:12px}.empty{color:#8a8a8a;font-style:italic}";

fn page(title: &str, body: &str, refresh: Option<u32>) -> Html<String> {
    let refresh = refresh
        .map(|s| {
            format!(
                "<meta http-equiv=\"refresh\" content=\"{}\">",
                s.clamp(1, 3600)
            )
        })
        .unwrap_or_default();
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">{refresh}<title>{t}</title><style>{STYLE}</style></head><body><header><a href=\"/_emulator/ui\">graphlink emulator</a> · {t}</header><main>{body}</main></body></html>",
        t = escape(title)
    ))
}

/// `GET /_emulator/ui`.
pub async fn index() -> Html<String> {
    let links = [
        (
            "/_emulator/ui/teams",
            "Teams: channels and chats with their messages",
        ),
        ("/_emulator/teams/messages", "Teams messages (JSON)"),
        ("/_emulator/drives", "Drives (JSON)"),
        ("/_emulator/sites", "Sites (JSON)"),
        ("/_emulator/uploads", "Open upload sessions (JSON)"),
        ("/_emulator/identity", "Identity platform state (JSON)"),
        ("/_emulator/requests", "Request counters (JSON)"),
        ("/_emulator/faults", "Fault rules (JSON)"),
        ("/_emulator/settings", "Settings (JSON)"),
    ];
    let items: String = links
        .iter()
        .map(|(href, text)| format!("<li><a href=\"{href}\">{}</a></li>", escape(text)))
        .collect();
    page(
        "Emulator",
        &format!("<section><ul>{items}</ul></section>"),
        None,
    )
}

fn message_html(m: &Message, reply: bool) -> String {
    let mut html = format!(
        "<div class=\"msg{}\" id=\"m{}\"><div><span class=\"from\">{}</span><span class=\"meta\">{}</span>",
        if reply { " reply" } else { "" },
        escape(&m.id),
        escape(&m.from_name),
        escape(&m.created_text()),
    );
    if m.importance != "normal" {
        html.push_str(&format!(
            " <span class=\"importance\">{}</span>",
            escape(&m.importance.to_uppercase())
        ));
    }
    html.push_str("</div>");
    if let Some(subject) = m.subject.as_deref().filter(|s| !s.is_empty()) {
        html.push_str(&format!("<div class=\"subject\">{}</div>", escape(subject)));
    }
    html.push_str(&format!(
        "<div class=\"body\">{}</div></div>",
        body_html(&m.content_type, &m.content, &m.attachments)
    ));
    for r in &m.replies {
        html.push_str(&message_html(r, true));
    }
    html
}

fn messages_html(messages: &[Message]) -> String {
    if messages.is_empty() {
        return "<div class=\"empty\">No messages yet.</div>".into();
    }
    messages.iter().map(|m| message_html(m, false)).collect()
}

/// Query of the Teams page: `?refresh=N` reloads it every N seconds.
#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    refresh: Option<u32>,
}

/// `GET /_emulator/ui/teams` (`?refresh=N` reloads every N seconds).
pub async fn teams(State(state): State<AppState>, Query(q): Query<PageQuery>) -> Html<String> {
    let store = state.teams.read();
    let mut body = String::from(
        "<p><a href=\"/_emulator/ui/teams\">Refresh</a> · <a href=\"/_emulator/ui/teams?refresh=5\">refresh every 5 s</a></p>",
    );
    for team in &store.teams {
        for c in &team.channels {
            body.push_str(&format!(
                "<section><h2>{} › {}{}</h2><div class=\"meta\">{}</div>{}</section>",
                escape(&team.display_name),
                escape(&c.display_name),
                if c.primary { " (primary)" } else { "" },
                escape(&c.id),
                messages_html(&c.messages)
            ));
        }
    }
    for chat in &store.chats {
        let names: Vec<String> = chat
            .members
            .iter()
            .map(|m| {
                state
                    .seed
                    .user(m)
                    .map(|u| u.display_name.clone())
                    .unwrap_or(m.clone())
            })
            .collect();
        let title = chat.topic.clone().unwrap_or_else(|| names.join(", "));
        body.push_str(&format!(
            "<section><h2>Chat: {}</h2><div class=\"meta\">{} · {} · {}</div>{}</section>",
            escape(&title),
            escape(&chat.chat_type),
            escape(&names.join(", ")),
            escape(&chat.id),
            messages_html(&chat.messages)
        ));
    }
    page("Teams", &body, q.refresh)
}
