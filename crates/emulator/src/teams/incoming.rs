//! Reading a posted chatMessage: body, subject, importance, mentions and attachments, checked
//! the way Graph checks them (every `<at id>` has its mention, every attachment its
//! `<attachment id>` tag, adaptive cards carry JSON).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::access::bad_request;
use crate::seed::Seed;
use crate::web::GraphError;

/// The content type of adaptive-card attachments.
pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";

/// A posted message, checked.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// `text` or `html`.
    pub content_type: String,
    /// The body.
    pub content: String,
    /// Subject, if any.
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    pub importance: String,
    /// Mentions (normalised).
    pub mentions: Vec<Value>,
    /// Attachments (normalised).
    pub attachments: Vec<Value>,
}

fn at_regex() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"(?i)<at\s+id\s*=\s*["']?(\d+)["']?\s*>"#).expect("valid regex")
    })
}

fn attachment_regex() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"(?i)<attachment\s+id\s*=\s*["']([^"']+)["']\s*/?>"#)
            .expect("valid regex")
    })
}

/// The ids of `<at id="N">` tags in a body.
pub fn mention_ids(content: &str) -> BTreeSet<i64> {
    at_regex()
        .captures_iter(content)
        .filter_map(|c| c[1].parse().ok())
        .collect()
}

/// The ids of `<attachment id="...">` tags in a body.
pub fn attachment_ids(content: &str) -> BTreeSet<String> {
    attachment_regex()
        .captures_iter(content)
        .map(|c| c[1].to_string())
        .collect()
}

/// Parses and checks a posted chatMessage.
pub fn parse(seed: &Seed, body: &Value) -> Result<NewMessage, GraphError> {
    let Some(obj) = body.as_object() else {
        return Err(bad_request("The request body must be a JSON object."));
    };
    let b = obj
        .get("body")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request("Missing body."))?;
    let content = b
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Missing body content."))?
        .to_string();
    let content_type = match b.get("contentType").and_then(Value::as_str) {
        None => "text".to_string(),
        Some(t) if t.eq_ignore_ascii_case("text") => "text".to_string(),
        Some(t) if t.eq_ignore_ascii_case("html") => "html".to_string(),
        Some(t) => return Err(bad_request(format!("Invalid body contentType '{t}'."))),
    };
    let subject = match obj.get("subject") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad_request("subject must be a string.")),
    };
    let importance = match obj.get("importance").and_then(Value::as_str) {
        None => "normal".to_string(),
        Some(i) => match i.to_ascii_lowercase().as_str() {
            v @ ("normal" | "high" | "urgent") => v.to_string(),
            _ => return Err(bad_request(format!("Invalid importance '{i}'."))),
        },
    };
    let mentions = mentions(seed, obj.get("mentions"), &content, &content_type)?;
    let attachments = attachments(obj.get("attachments"), &content)?;
    if content.trim().is_empty() && attachments.is_empty() {
        return Err(bad_request("Message body cannot be empty."));
    }
    Ok(NewMessage {
        content_type,
        content,
        subject,
        importance,
        mentions,
        attachments,
    })
}

fn mentions(
    seed: &Seed,
    value: Option<&Value>,
    content: &str,
    content_type: &str,
) -> Result<Vec<Value>, GraphError> {
    let list = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad_request("mentions must be an array.")),
    };
    let tagged = mention_ids(content);
    if !list.is_empty() && content_type != "html" {
        return Err(bad_request(
            "Mentions are only supported in messages with an html body.",
        ));
    }
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, m) in list.iter().enumerate() {
        let id = m
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad_request(format!("mentions[{i}].id must be an integer.")))?;
        let text = m
            .get("mentionText")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request(format!("mentions[{i}].mentionText is missing.")))?;
        let user = m
            .pointer("/mentioned/user")
            .ok_or_else(|| bad_request(format!("mentions[{i}].mentioned.user is missing.")))?;
        let user_id = user.get("id").and_then(Value::as_str).unwrap_or("");
        let known = seed
            .user(user_id)
            .ok_or_else(|| bad_request(format!("mentions[{i}]: unknown user '{user_id}'.")))?;
        if !ids.insert(id) {
            return Err(bad_request(format!("mentions[{i}].id {id} is used twice.")));
        }
        if !tagged.contains(&id) {
            return Err(bad_request(format!(
                "mentions[{i}]: the body has no <at id=\"{id}\"> tag for this mention."
            )));
        }
        out.push(json!({
            "id": id,
            "mentionText": text,
            "mentioned": {
                "application": null,
                "device": null,
                "conversation": null,
                "tag": null,
                "user": {
                    "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                    "id": known.id,
                    "displayName": user.get("displayName").and_then(Value::as_str).unwrap_or(&known.display_name),
                    "userIdentityType": "aadUser",
                    "tenantId": seed.tenant.id,
                }
            }
        }));
    }
    if let Some(missing) = tagged.difference(&ids).next() {
        return Err(bad_request(format!(
            "The body has <at id=\"{missing}\"> but no mention with that id."
        )));
    }
    Ok(out)
}

fn attachments(value: Option<&Value>, content: &str) -> Result<Vec<Value>, GraphError> {
    let list = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad_request("attachments must be an array.")),
    };
    let tagged = attachment_ids(content);
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let id = a
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad_request(format!("attachments[{i}].id is missing.")))?;
        let content_type = a
            .get("contentType")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request(format!("attachments[{i}].contentType is missing.")))?;
        let card = a.get("content");
        if content_type.eq_ignore_ascii_case(ADAPTIVE_CARD) {
            let text = card.and_then(Value::as_str).ok_or_else(|| {
                bad_request(format!(
                    "attachments[{i}].content must be the adaptive card as a JSON string."
                ))
            })?;
            let parsed: Value = serde_json::from_str(text).map_err(|e| {
                bad_request(format!("attachments[{i}].content is not valid JSON: {e}"))
            })?;
            if !parsed.is_object() {
                return Err(bad_request(format!(
                    "attachments[{i}].content must be a JSON object."
                )));
            }
        }
        if !ids.insert(id.to_string()) {
            return Err(bad_request(format!(
                "attachments[{i}].id {id} is used twice."
            )));
        }
        if !tagged.contains(id) {
            return Err(bad_request(format!(
                "Attachment {id} is not referenced in the message body: add <attachment id=\"{id}\"></attachment>."
            )));
        }
        out.push(json!({
            "id": id,
            "contentType": content_type,
            "contentUrl": a.get("contentUrl").cloned().unwrap_or(Value::Null),
            "content": card.cloned().unwrap_or(Value::Null),
            "name": a.get("name").cloned().unwrap_or(Value::Null),
            "thumbnailUrl": a.get("thumbnailUrl").cloned().unwrap_or(Value::Null),
            "teamsAppId": a.get("teamsAppId").cloned().unwrap_or(Value::Null),
        }));
    }
    if let Some(missing) = tagged.difference(&ids).next() {
        return Err(bad_request(format!(
            "The body references attachment {missing}, which is not in attachments."
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_cards_must_match_their_tags() {
        let seed = Seed::default();
        let megan = &seed.users[1];
        let ok = json!({
            "body": {"contentType": "html", "content": "Hi <at id=\"0\">Megan</at> <attachment id=\"c1\"></attachment>"},
            "mentions": [{"id": 0, "mentionText": "Megan", "mentioned": {"user": {"id": megan.id, "displayName": "Megan Bowen", "userIdentityType": "aadUser"}}}],
            "attachments": [{"id": "c1", "contentType": ADAPTIVE_CARD, "content": "{\"type\":\"AdaptiveCard\"}"}],
        });
        let m = parse(&seed, &ok).unwrap();
        assert_eq!(m.mentions.len(), 1);
        assert_eq!(m.attachments.len(), 1);

        let mut no_tag = ok.clone();
        no_tag["body"]["content"] = json!("Hi <attachment id=\"c1\"></attachment>");
        assert!(parse(&seed, &no_tag)
            .unwrap_err()
            .message
            .contains("<at id=\"0\">"));

        let mut bad_card = ok.clone();
        bad_card["attachments"][0]["content"] = json!("{not json");
        assert!(parse(&seed, &bad_card)
            .unwrap_err()
            .message
            .contains("not valid JSON"));

        let mut text = ok.clone();
        text["body"]["contentType"] = json!("text");
        assert!(parse(&seed, &text).is_err());

        assert!(parse(&seed, &json!({"body": {"content": ""}})).is_err());
        assert!(parse(
            &seed,
            &json!({"body": {"content": "x"}, "importance": "meh"})
        )
        .is_err());
    }
}
