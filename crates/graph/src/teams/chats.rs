//! Chats: listing with members, finding the chat whose members are exactly the given people
//! (the signed-in user is implicitly one), creating it when there is none, and looking users up.

use reqwest::Method;

use super::content::MentionTarget;
use super::wire::{Chat, ConversationMember, NewChat, NewChatMember, User};
use super::{explain, TeamsClient};
use crate::error::{Error, Result};
use crate::path::encode_id;
use crate::wire::Collection;

fn eq(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()))
}

/// Whether the person written as `who` (UPN/e-mail, object id or display name) is `m`.
fn member_is(m: &ConversationMember, who: &str) -> bool {
    eq(m.email.as_deref(), who)
        || eq(m.user_id.as_deref(), who)
        || eq(m.display_name.as_deref(), who)
}

/// Whether `who` names the signed-in user.
fn is_me(me: &User, who: &str) -> bool {
    eq(Some(&me.id), who)
        || eq(me.user_principal_name.as_deref(), who)
        || eq(me.mail.as_deref(), who)
        || eq(me.display_name.as_deref(), who)
}

fn member_is_me(me: &User, m: &ConversationMember) -> bool {
    eq(m.user_id.as_deref(), &me.id)
        || m.email
            .as_deref()
            .is_some_and(|e| eq(me.user_principal_name.as_deref(), e) || eq(me.mail.as_deref(), e))
}

/// The people asked for, without the signed-in user and duplicates.
fn others(me: &User, people: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in people {
        let p = p.trim();
        if p.is_empty() || is_me(me, p) || out.iter().any(|o| o.eq_ignore_ascii_case(p)) {
            continue;
        }
        out.push(p.to_string());
    }
    out
}

/// Whether each wanted person matches a distinct member (small sets: plain backtracking).
fn assign(wanted: &[String], members: &[&ConversationMember], used: &mut Vec<bool>) -> bool {
    let Some((first, rest)) = wanted.split_first() else {
        return true;
    };
    for (i, m) in members.iter().enumerate() {
        if !used[i] && member_is(m, first) {
            used[i] = true;
            if assign(rest, members, used) {
                return true;
            }
            used[i] = false;
        }
    }
    false
}

/// Whether the chat's members are exactly the signed-in user plus `wanted`.
fn chat_has_exactly(chat: &Chat, me: &User, wanted: &[String]) -> bool {
    let Some(members) = &chat.members else {
        return false;
    };
    let rest: Vec<&ConversationMember> = members.iter().filter(|m| !member_is_me(me, m)).collect();
    rest.len() == wanted.len() && assign(wanted, &rest, &mut vec![false; rest.len()])
}

fn rank(chat: &Chat) -> u8 {
    match chat.chat_type.as_deref() {
        Some("oneOnOne") => 0,
        Some("group") => 1,
        _ => 2,
    }
}

/// A chat's label for people: its topic, else its members' names other than `me`.
pub fn describe_chat(chat: &Chat, me: &User) -> String {
    if let Some(topic) = chat.topic.as_deref().filter(|t| !t.trim().is_empty()) {
        return topic.to_string();
    }
    let names: Vec<String> = chat
        .members
        .iter()
        .flatten()
        .filter(|m| !member_is_me(me, m))
        .map(|m| {
            m.display_name
                .clone()
                .or_else(|| m.email.clone())
                .or_else(|| m.user_id.clone())
                .unwrap_or_default()
        })
        .collect();
    if names.is_empty() {
        chat.id.clone()
    } else {
        names.join(", ")
    }
}

fn looks_like_id_or_upn(who: &str) -> bool {
    who.contains('@') || (who.len() == 36 && uuid::Uuid::parse_str(who).is_ok())
}

impl TeamsClient {
    /// The signed-in user's chats with their members (`GET /me/chats?$expand=members`).
    pub async fn chats(&self) -> Result<Vec<Chat>> {
        self.list("/me/chats?$expand=members").await
    }

    /// A chat by id.
    pub async fn chat(&self, chat_id: &str) -> Result<Chat> {
        self.get(&format!("/chats/{}?$expand=members", encode_id(chat_id)))
            .await
    }

    /// The chat whose members are exactly the signed-in user and `people` (UPN/e-mail, object
    /// id or display name; listing the signed-in user too is harmless). A one-on-one chat is
    /// preferred over a group chat with the same members.
    pub async fn find_chat(&self, people: &[String]) -> Result<Option<Chat>> {
        let me = self.me().await?;
        let wanted = others(&me, people);
        if wanted.is_empty() {
            return Err(Error::invalid(
                "chat members",
                "name at least one person other than the signed-in user",
            ));
        }
        let mut found: Vec<Chat> = self
            .chats()
            .await?
            .into_iter()
            .filter(|c| chat_has_exactly(c, &me, &wanted))
            .collect();
        found.sort_by_key(rank);
        Ok(found.into_iter().next())
    }

    /// [`TeamsClient::find_chat`], or creates the chat: one-on-one for one other person, a
    /// group chat otherwise.
    pub async fn find_or_create_chat(&self, people: &[String]) -> Result<Chat> {
        if let Some(chat) = self.find_chat(people).await? {
            return Ok(chat);
        }
        let me = self.me().await?;
        let wanted = others(&me, people);
        let mut binds = vec![me.id.clone()];
        for who in &wanted {
            let id = if looks_like_id_or_upn(who) {
                who.clone()
            } else {
                self.user(who).await?.id
            };
            binds.push(id);
        }
        let body = NewChat {
            chat_type: if wanted.len() == 1 {
                "oneOnOne"
            } else {
                "group"
            }
            .into(),
            topic: None,
            members: binds
                .iter()
                .map(|id| NewChatMember {
                    odata_type: "#microsoft.graph.aadUserConversationMember".into(),
                    roles: vec!["owner".into()],
                    user_bind: format!(
                        "https://graph.microsoft.com/v1.0/users('{}')",
                        id.replace('\'', "''")
                    ),
                })
                .collect(),
        };
        let req = self.graph.req(Method::POST, "/chats")?.json(&body)?;
        let created: Chat = self.graph.send_json(&req).await.map_err(explain)?;
        tracing::info!(chat = %created.id, members = wanted.len() + 1, "created a Teams chat");
        // Read it back with its members, so callers can show and match it.
        match self.chat(&created.id).await {
            Ok(chat) => Ok(chat),
            Err(_) => Ok(created),
        }
    }

    /// A user of the tenant by UPN/e-mail, object id or display name.
    pub async fn user(&self, who: &str) -> Result<User> {
        let who = who.trim();
        if who.is_empty() {
            return Err(Error::invalid("user", "empty user name"));
        }
        if looks_like_id_or_upn(who) {
            return match self
                .get::<User>(&format!("/users/{}", encode_id(who)))
                .await
            {
                Err(e) if e.is_not_found() => Err(Error::Resolve {
                    what: format!("user '{who}'"),
                    reason: "no such user in the tenant".into(),
                }),
                other => other,
            };
        }
        let req = self
            .graph
            .req(Method::GET, "/users")?
            .query(
                "$filter",
                &format!("displayName eq '{}'", who.replace('\'', "''")),
            )
            .query("$select", "id,displayName,userPrincipalName,mail");
        let page: Collection<User> = self.graph.send_json(&req).await.map_err(explain)?;
        let found: Vec<User> = page
            .value
            .into_iter()
            .filter(|u| eq(u.display_name.as_deref(), who))
            .collect();
        match found.len() {
            1 => Ok(found.into_iter().next().unwrap_or_default()),
            0 => Err(Error::Resolve {
                what: format!("user '{who}'"),
                reason: "no user has that display name; use the UPN or e-mail".into(),
            }),
            n => Err(Error::Resolve {
                what: format!("user '{who}'"),
                reason: format!("{n} users have that display name; use the UPN or e-mail"),
            }),
        }
    }

    /// Whom to @mention for `who` (UPN/e-mail, object id or display name): a member of one
    /// of the signed-in user's chats when there is one (no directory permission needed), else
    /// a directory lookup.
    pub async fn mention_target(&self, who: &str) -> Result<MentionTarget> {
        if let Ok(chats) = self.chats().await {
            for chat in &chats {
                for m in chat.members.iter().flatten() {
                    if let (true, Some(id)) = (member_is(m, who), m.user_id.as_ref()) {
                        return Ok(MentionTarget {
                            user_id: id.clone(),
                            display_name: m.display_name.clone().unwrap_or_else(|| who.to_string()),
                        });
                    }
                }
            }
        }
        Ok(MentionTarget::from(&self.user(who).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, email: &str, name: &str) -> ConversationMember {
        ConversationMember {
            user_id: Some(id.into()),
            email: Some(email.into()),
            display_name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn exact_membership_by_upn_id_or_name() {
        let me = User {
            id: "a".into(),
            display_name: Some("Adele Vance".into()),
            user_principal_name: Some("adele@x".into()),
            mail: Some("adele@x".into()),
        };
        let chat = Chat {
            id: "c".into(),
            members: Some(vec![
                member("a", "adele@x", "Adele Vance"),
                member("m", "megan@x", "Megan Bowen"),
                member("l", "lee@x", "Lee Gu"),
            ]),
            ..Default::default()
        };
        let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        let w = others(&me, &s(&["MEGAN@x", "Lee Gu", "adele@x", "megan@x"]));
        assert_eq!(w, s(&["MEGAN@x", "Lee Gu"]));
        assert!(chat_has_exactly(&chat, &me, &w));
        assert!(chat_has_exactly(&chat, &me, &s(&["l", "Megan Bowen"])));
        assert!(!chat_has_exactly(&chat, &me, &s(&["megan@x"])));
        assert!(!chat_has_exactly(&chat, &me, &s(&["megan@x", "megan@x"])));
        assert!(!chat_has_exactly(&chat, &me, &s(&["megan@x", "someone"])));
        assert_eq!(describe_chat(&chat, &me), "Megan Bowen, Lee Gu");
    }
}
