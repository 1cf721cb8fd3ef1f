//! What a message says: text or HTML, @mentions of users, adaptive cards, subject and
//! importance, turned into the `chatMessage` body Graph expects.

use serde_json::Value;

use super::wire::{
    ChatMessageAttachment, ChatMessageMention, ItemBody, MentionedIdentity, NewChatMessage,
    TeamworkUserIdentity, User,
};
use crate::error::{Error, Result};

/// The content type of adaptive-card attachments.
pub const ADAPTIVE_CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

/// A message's importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Importance {
    /// Normal (the default).
    #[default]
    Normal,
    /// Marked important.
    High,
    /// Urgent (repeated notifications).
    Urgent,
}

impl Importance {
    fn as_str(self) -> &'static str {
        match self {
            Importance::Normal => "normal",
            Importance::High => "high",
            Importance::Urgent => "urgent",
        }
    }
}

/// A person to @mention: their object id and the name shown in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionTarget {
    /// The user's object id.
    pub user_id: String,
    /// The text shown (usually the display name).
    pub display_name: String,
}

impl From<&User> for MentionTarget {
    fn from(u: &User) -> Self {
        let display_name = u
            .display_name
            .clone()
            .or_else(|| u.user_principal_name.clone())
            .unwrap_or_else(|| u.id.clone());
        Self {
            user_id: u.id.clone(),
            display_name,
        }
    }
}

/// A message to send, built piece by piece:
///
/// ```
/// # use graphlink_graph::teams::{MessageContent, MentionTarget, Importance};
/// let megan = MentionTarget { user_id: "5a1d...".into(), display_name: "Megan Bowen".into() };
/// let content = MessageContent::text("Upload of invoices.csv failed: ")
///     .push_text("disk full. ")
///     .push_mention(&megan)
///     .push_text(", please check.")
///     .with_card(serde_json::json!({"type": "AdaptiveCard", "version": "1.4", "body": []}))
///     .with_importance(Importance::High);
/// ```
///
/// Plain text stays a `text` body until a mention, HTML or a card needs `html`; then the
/// text written so far is escaped (line breaks kept).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessageContent {
    html: bool,
    body: String,
    subject: Option<String>,
    importance: Option<Importance>,
    mentions: Vec<MentionTarget>,
    cards: Vec<Value>,
}

/// Escapes text for an HTML body, keeping line breaks as `<br>`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl MessageContent {
    /// A plain-text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            body: text.into(),
            ..Self::default()
        }
    }

    /// An HTML message (Teams renders a subset of HTML; `<at>` and `<attachment>` tags are
    /// yours to match with [`MessageContent::push_mention`] / cards if you write them).
    pub fn html(html: impl Into<String>) -> Self {
        Self {
            html: true,
            body: html.into(),
            ..Self::default()
        }
    }

    /// A message that is just an adaptive card.
    pub fn card(card: Value) -> Self {
        Self::html("").with_card(card)
    }

    fn ensure_html(&mut self) {
        if !self.html {
            self.body = escape_html(&self.body);
            self.html = true;
        }
    }

    /// Appends text (escaped when the body is HTML).
    pub fn push_text(mut self, text: &str) -> Self {
        if self.html {
            self.body.push_str(&escape_html(text));
        } else {
            self.body.push_str(text);
        }
        self
    }

    /// Appends HTML (the body becomes HTML).
    pub fn push_html(mut self, html: &str) -> Self {
        self.ensure_html();
        self.body.push_str(html);
        self
    }

    /// Appends an @mention of a user (`<at id="n">Name</at>` plus its `mentions` entry).
    pub fn push_mention(mut self, who: &MentionTarget) -> Self {
        self.ensure_html();
        let id = self.mentions.len();
        self.body.push_str(&format!(
            "<at id=\"{id}\">{}</at>",
            escape_html(&who.display_name)
        ));
        self.mentions.push(who.clone());
        self
    }

    /// Attaches an adaptive card (a JSON object with `"type": "AdaptiveCard"`); it is shown
    /// after the body.
    pub fn with_card(mut self, card: Value) -> Self {
        self.cards.push(card);
        self
    }

    /// Sets the subject (shown on channel root messages).
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the importance.
    pub fn with_importance(mut self, importance: Importance) -> Self {
        self.importance = Some(importance);
        self
    }

    /// Whether the body is HTML.
    pub fn is_html(&self) -> bool {
        self.html || !self.cards.is_empty()
    }

    /// The `chatMessage` to post. Fails on an empty message or a card that is not an
    /// adaptive card object.
    pub fn to_wire(&self) -> Result<NewChatMessage> {
        let mut body = if !self.cards.is_empty() && !self.html {
            escape_html(&self.body)
        } else {
            self.body.clone()
        };
        if body.trim().is_empty() && self.cards.is_empty() {
            return Err(Error::invalid("message", "the message is empty"));
        }
        let mut attachments = Vec::new();
        for (i, card) in self.cards.iter().enumerate() {
            let Some(obj) = card.as_object() else {
                return Err(Error::invalid(
                    "adaptive card",
                    format!("card {} is not a JSON object", i + 1),
                ));
            };
            if obj.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
                return Err(Error::invalid(
                    "adaptive card",
                    format!("card {} needs \"type\": \"AdaptiveCard\"", i + 1),
                ));
            }
            let id = uuid::Uuid::new_v4().simple().to_string();
            body.push_str(&format!("<attachment id=\"{id}\"></attachment>"));
            attachments.push(ChatMessageAttachment {
                id,
                content_type: ADAPTIVE_CARD_CONTENT_TYPE.to_string(),
                content: Some(card.to_string()),
                content_url: None,
                name: None,
            });
        }
        let mentions = self
            .mentions
            .iter()
            .enumerate()
            .map(|(i, m)| ChatMessageMention {
                id: i as i64,
                mention_text: m.display_name.clone(),
                mentioned: MentionedIdentity {
                    user: Some(TeamworkUserIdentity {
                        id: Some(m.user_id.clone()),
                        display_name: Some(m.display_name.clone()),
                        user_identity_type: Some("aadUser".into()),
                    }),
                },
            })
            .collect();
        Ok(NewChatMessage {
            body: ItemBody {
                content_type: if self.is_html() { "html" } else { "text" }.into(),
                content: body,
            },
            subject: self.subject.clone(),
            importance: self.importance.map(|i| i.as_str().to_string()),
            mentions,
            attachments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_stays_text_until_a_mention_or_card_needs_html() {
        let plain = MessageContent::text("a < b\nc").to_wire().unwrap();
        assert_eq!(plain.body.content_type, "text");
        assert_eq!(plain.body.content, "a < b\nc");

        let megan = MentionTarget {
            user_id: "m-id".into(),
            display_name: "Megan <B>".into(),
        };
        let w = MessageContent::text("a < b\n")
            .push_mention(&megan)
            .push_text(" & co")
            .to_wire()
            .unwrap();
        assert_eq!(w.body.content_type, "html");
        assert_eq!(
            w.body.content,
            "a &lt; b<br><at id=\"0\">Megan &lt;B&gt;</at> &amp; co"
        );
        assert_eq!(w.mentions[0].id, 0);
        assert_eq!(w.mentions[0].mention_text, "Megan <B>");

        let card = json!({"type": "AdaptiveCard", "body": []});
        let w = MessageContent::text("x")
            .with_card(card.clone())
            .to_wire()
            .unwrap();
        let id = &w.attachments[0].id;
        assert_eq!(
            w.body.content,
            format!("x<attachment id=\"{id}\"></attachment>")
        );
        assert_eq!(
            w.attachments[0].content.as_deref(),
            Some(card.to_string().as_str())
        );
        assert_eq!(w.body.content_type, "html");

        assert!(MessageContent::text("  ").to_wire().is_err());
        assert!(MessageContent::card(json!([1])).to_wire().is_err());
        assert!(MessageContent::card(json!({"type": "Hero"}))
            .to_wire()
            .is_err());
        let s = serde_json::to_value(MessageContent::text("hi").to_wire().unwrap()).unwrap();
        assert_eq!(s, json!({"body": {"contentType": "text", "content": "hi"}}));
    }
}
