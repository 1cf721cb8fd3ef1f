//! Joined teams and their channels: listing, and resolving a team and a channel by name or
//! id ("General" is the team's primary channel whatever its display name's language).

use super::send::Conversation;
use super::wire::{Channel, Chat, Team};
use super::TeamsClient;
use crate::error::{Error, Result};
use crate::path::encode_id;

/// A channel resolved from names or ids.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedChannel {
    /// The team.
    pub team: Team,
    /// The channel.
    pub channel: Channel,
}

impl ResolvedChannel {
    /// Where to post a new thread in this channel.
    pub fn conversation(&self) -> Conversation {
        Conversation::Channel {
            team_id: self.team.id.clone(),
            channel_id: self.channel.id.clone(),
        }
    }

    /// Where to post a reply to the thread started by `message_id`.
    pub fn thread(&self, message_id: impl Into<String>) -> Conversation {
        Conversation::Reply {
            team_id: self.team.id.clone(),
            channel_id: self.channel.id.clone(),
            message_id: message_id.into(),
        }
    }
}

/// A team with its channels.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamOverview {
    /// The team.
    pub team: Team,
    /// Its channels.
    pub channels: Vec<Channel>,
    /// The primary ("General") channel's id.
    pub primary_channel_id: Option<String>,
}

/// What a connection can see: joined teams with their channels, and chats with members.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamsOverview {
    /// Joined teams.
    pub teams: Vec<TeamOverview>,
    /// Chats (members expanded).
    pub chats: Vec<Chat>,
}

fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

/// A channel id as the user may have written it: `19:...@thread.tacv2` (or `@thread.skype`),
/// percent-encoded or not.
fn channel_id(s: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()?
        .to_string();
    (decoded.starts_with("19:") && decoded.contains("@thread.")).then_some(decoded)
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = items.map(|n| format!("'{n}'")).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

impl TeamsClient {
    /// The teams the signed-in user is a member of (`GET /me/joinedTeams`).
    pub async fn joined_teams(&self) -> Result<Vec<Team>> {
        self.list("/me/joinedTeams").await
    }

    /// A team by id (`GET /teams/{id}`).
    pub async fn team(&self, team_id: &str) -> Result<Team> {
        self.get(&format!("/teams/{}", encode_id(team_id))).await
    }

    /// A team's channels (`GET /teams/{id}/channels`).
    pub async fn channels(&self, team_id: &str) -> Result<Vec<Channel>> {
        self.list(&format!("/teams/{}/channels", encode_id(team_id)))
            .await
    }

    /// A team's primary ("General") channel (`GET /teams/{id}/primaryChannel`).
    pub async fn primary_channel(&self, team_id: &str) -> Result<Channel> {
        self.get(&format!("/teams/{}/primaryChannel", encode_id(team_id)))
            .await
    }

    /// A channel by id (`GET /teams/{id}/channels/{channel-id}`).
    pub async fn channel(&self, team_id: &str, channel_id: &str) -> Result<Channel> {
        self.get(&format!(
            "/teams/{}/channels/{}",
            encode_id(team_id),
            encode_id(channel_id)
        ))
        .await
    }

    /// A joined team by display name (case-insensitive) or id.
    pub async fn resolve_team(&self, name_or_id: &str) -> Result<Team> {
        let wanted = name_or_id.trim();
        if wanted.is_empty() {
            return Err(Error::invalid("team", "empty team name or id"));
        }
        let teams = self.joined_teams().await?;
        if let Some(t) = teams.iter().find(|t| t.id.eq_ignore_ascii_case(wanted)) {
            return Ok(t.clone());
        }
        let found: Vec<&Team> = teams
            .iter()
            .filter(|t| t.display_name.eq_ignore_ascii_case(wanted))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] if is_guid(wanted) => self.team(wanted).await,
            [] => Err(Error::Resolve {
                what: format!("team '{wanted}'"),
                reason: format!(
                    "not among the signed-in user's teams ({})",
                    names(teams.iter().map(|t| t.display_name.as_str()))
                ),
            }),
            many => Err(Error::Resolve {
                what: format!("team '{wanted}'"),
                reason: format!(
                    "{} teams have that name; use the id instead ({})",
                    many.len(),
                    many.iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// A channel of a team, both by name or id. "General" (any case) is the team's primary
    /// channel, whatever its display name.
    pub async fn resolve_channel(&self, team: &str, channel: &str) -> Result<ResolvedChannel> {
        let team = self.resolve_team(team).await?;
        let wanted = channel.trim();
        if wanted.is_empty() {
            return Err(Error::invalid("channel", "empty channel name or id"));
        }
        let channel = if let Some(id) = channel_id(wanted) {
            self.channel(&team.id, &id).await?
        } else if wanted.eq_ignore_ascii_case("general") {
            self.primary_channel(&team.id).await?
        } else {
            let channels = self.channels(&team.id).await?;
            let found: Vec<&Channel> = channels
                .iter()
                .filter(|c| c.display_name.eq_ignore_ascii_case(wanted))
                .collect();
            match found.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Error::Resolve {
                        what: format!("channel '{wanted}' of team '{}'", team.display_name),
                        reason: format!(
                            "no such channel; the team has {}",
                            names(channels.iter().map(|c| c.display_name.as_str()))
                        ),
                    })
                }
                many => {
                    return Err(Error::Resolve {
                        what: format!("channel '{wanted}' of team '{}'", team.display_name),
                        reason: format!("{} channels have that name; use the id", many.len()),
                    })
                }
            }
        };
        Ok(ResolvedChannel { team, channel })
    }

    /// Joined teams with their channels (and which is primary), and chats with their members:
    /// what `graphlink teams list` shows.
    pub async fn overview(&self) -> Result<TeamsOverview> {
        let mut teams = Vec::new();
        for team in self.joined_teams().await? {
            let channels = self.channels(&team.id).await?;
            let primary_channel_id = match self.primary_channel(&team.id).await {
                Ok(c) => Some(c.id),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            teams.push(TeamOverview {
                team,
                channels,
                primary_channel_id,
            });
        }
        let chats = self.chats().await?;
        Ok(TeamsOverview { teams, chats })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_are_recognised_encoded_or_not() {
        let id = "19:0e9d8c7b6a5f40312e1d0c9b8a7f6e5d@thread.tacv2";
        assert_eq!(channel_id(id).as_deref(), Some(id));
        assert_eq!(
            channel_id("19%3A0e9d8c7b6a5f40312e1d0c9b8a7f6e5d%40thread.tacv2").as_deref(),
            Some(id)
        );
        assert_eq!(channel_id("Ops Alerts"), None);
        assert_eq!(channel_id("General"), None);
        assert!(is_guid("c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a01"));
        assert!(!is_guid("Finance"));
    }
}
